/**
 * Failover drills and the protection report for the engine's sessions: a drill is refused unless
 * the pair is protected on both servers, runs as a job, and is recorded as evidence; the report
 * gathers the evidence recorded for the pair and what both servers report now.
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ApiOutput, MethodName, methods } from '../api/contract';
import { toErrorData } from '../api/errors';
import type { JobRef } from '../api/jobs';
import type { AgentStatus, ProtectionLevel, VerifyReport } from '../api/models';
import type { JobRunner } from '../jobs/job-runner';
import { TwinlockError } from '../api/errors';
import { clusterDrillRefusal, clusterPairRefusal, runClusterDrill } from '../pair/cluster-drill';
import { drillRefusal, drillRefused, runDrill } from '../pair/drill';
import type { ClusterDrillTimings } from '../pair/cluster-drill';
import type { DrillMember, DrillTimings } from '../pair/drill';
import { protectionReportHtml } from '../pair/protection-report';
import type { ProtectionReportInput } from '../pair/protection-report';
import { readPairStatus } from '../pair/status';
import { writeFileAtomic } from '../store';
import { printHtmlToPdf } from '../verify/report';
import type { EvidenceStore } from './evidence';
import { pairKeyOf } from './evidence';
import type { SessionStore } from './sessions';

type Parsed<M extends MethodName> = z.output<(typeof methods)[M]['input']>;

export interface DrillServiceDeps {
  sessions: SessionStore;
  jobs: JobRunner;
  evidence: EvidenceStore;
  dataDir: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Verifies the pair again when no verification was recorded for it. */
  verify: (ids: [string, string], level: ProtectionLevel) => Promise<VerifyReport>;
  timings?: DrillTimings | undefined;
}

/** A drill kind the pair does not run, and why, with what to pick instead. */
function kindRefused(kind: string, why: string): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `The ${kind} drill does not apply to this pair: ${why}.`,
    hint: 'Run the drill again with one of the kinds named above (twinlock drill --kind …).',
    detail: { field: 'kind' },
  });
}

/** The drill timings as a Level 1 drill takes them (its roles wait as long as an agent's drill may take). */
function clusterTimings(t: DrillTimings | undefined): ClusterDrillTimings {
  const out: ClusterDrillTimings = {};
  if (t?.sampleIntervalMs !== undefined) out.sampleIntervalMs = t.sampleIntervalMs;
  if (t?.statusIntervalMs !== undefined) out.statusIntervalMs = t.statusIntervalMs;
  if (t?.drillTimeoutMs !== undefined) out.rolesTimeoutMs = t.drillTimeoutMs;
  if (t?.protectedTimeoutMs !== undefined) out.protectedTimeoutMs = t.protectedTimeoutMs;
  return out;
}

export function createDrillService(deps: DrillServiceDeps) {
  const { sessions, jobs, evidence, log } = deps;

  const membersOf = async (ids: readonly [string, string]): Promise<[DrillMember, DrillMember]> =>
    (await Promise.all(
      ids.map(async (id) => ({
        sessionId: id,
        computerName: sessions.entry(id).session.computerName,
        host: await sessions.hostOf(id),
      })),
    )) as [DrillMember, DrillMember];

  return {
    async drill({ sessions: ids, kind, watchPorts }: Parsed<'drill'>): Promise<JobRef> {
      sessions.pairOf(ids, 'A drill');
      const members = await membersOf(ids);
      // A Level 1 pair's status comes from its failover cluster; any other from the agent.
      const statuses = (await Promise.all(members.map((m) => readPairStatus(m.host, m.computerName)))) as [
        AgentStatus,
        AgentStatus,
      ];
      const clustered = statuses.some((s) => s.pair?.level === 1 && s.cluster !== undefined);
      if (clustered) {
        const wrongKind = clusterDrillRefusal(kind);
        if (wrongKind) throw kindRefused(kind, wrongKind);
        const refusal = clusterPairRefusal(members, statuses);
        if (refusal) throw drillRefused(refusal);
      } else {
        if (kind === 'drain' || kind === 'live-migration')
          throw kindRefused(
            kind,
            `${kind} moves the VMs of a Windows failover cluster (a Level 1 pair), and this pair runs the lockstep agent at Level ${statuses.find((s) => s.pair)?.pair?.level ?? 'unknown'}; pick primary-loss or link-loss`,
          );
        const refusal = drillRefusal(members, statuses);
        if (refusal) throw drillRefused(refusal);
      }
      const primary = statuses.find((s) => s.role === 'primary')!;
      const unknown = Object.keys(watchPorts).filter(
        (vm) => !primary.vms.some((v) => v.name === vm && v.protected),
      );
      if (unknown.length > 0) throw drillRefused(`the pair does not protect ${unknown.join(', ')} (--watch)`);
      log('info', `Drill ${kind} on ${members.map((m) => m.computerName).join(' and ')}.`);
      const key = pairKeyOf([members[0].computerName, members[1].computerName]);
      return jobs.start(
        'drill',
        async (ctx) => {
          const result = clustered
            ? await runClusterDrill(
                ctx,
                members,
                statuses,
                { kind, watchPorts },
                clusterTimings(deps.timings),
              )
            : await runDrill(ctx, members, statuses, { kind, watchPorts }, deps.timings);
          await evidence
            .recordDrill(key, result)
            .catch((err) => log('warn', `The drill could not be recorded: ${toErrorData(err).message}`));
          log(
            result.result === 'passed' ? 'info' : 'warn',
            `Drill ${kind} ${result.result}: ${result.measuredDowntimeMs} ms downtime measured${result.reason ? ` (${result.reason})` : ''}.`,
          );
          return result;
        },
        Object.fromEntries(members.map((m) => [m.sessionId, m.computerName])),
      );
    },

    async exportProtectionReport({
      sessions: ids,
      format,
      path,
    }: Parsed<'exportProtectionReport'>): Promise<ApiOutput<'exportProtectionReport'>> {
      sessions.pairOf(ids, 'The protection report');
      const members = await membersOf(ids);
      const statuses = await Promise.all(members.map((m) => readPairStatus(m.host, m.computerName)));
      const key = pairKeyOf([members[0].computerName, members[1].computerName]);
      const recorded = await evidence.latest(key);
      const madeAt = new Date().toISOString();
      const workstation = hostname();
      let verify: ProtectionReportInput['verify'] = recorded.verify;
      if (!verify) {
        // Nothing recorded (verified in another Twinlock, or never): verify now, at the pair's level.
        const level = statuses.find((s) => s.pair)?.pair?.level ?? 3;
        const order: [string, string] = statuses[1]!.role === 'primary' ? [ids[1], ids[0]] : [ids[0], ids[1]];
        const report = await deps.verify(order, level);
        verify = { at: madeAt, workstation, value: report, fresh: true };
      }
      const html = protectionReportHtml({
        madeAt,
        workstation,
        servers: members.map((m, i) => ({
          computerName: m.computerName,
          address: `${sessions.entry(m.sessionId).session.address}:${sessions.entry(m.sessionId).session.port}`,
          status: statuses[i]!,
        })),
        verify,
        plan: recorded.plan,
        links: recorded.links,
        drill: recorded.drill,
      });
      const stamp = madeAt.replace(/[:.]/g, '-');
      const target = path
        ? isAbsolute(path)
          ? path
          : resolve(path)
        : join(deps.dataDir, 'reports', `protection-${key}-${stamp}.${format}`);
      const data = format === 'html' ? Buffer.from(html, 'utf8') : await printHtmlToPdf(html);
      // A report holds no secret: readable like any document the admin saves.
      await writeFileAtomic(target, data, { mode: 0o644 });
      log('info', `Exported the protection report to ${target}.`);
      return {
        path: target,
        format,
        bytes: (await stat(target)).size,
        contentBase64: data.toString('base64'),
      };
    },
  };
}
