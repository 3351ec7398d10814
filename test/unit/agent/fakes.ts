/** In-memory stand-ins for a server and a job, with scripted answers and a record of every call. */
import type { HostProgress, JobKind, JobSnapshotOf } from '../../../engine/api/jobs';
import type { JobContext } from '../../../engine/jobs/types';
import type { ScriptName, ScriptParams } from '../../../engine/remote/scripts';
import type { RemoteHost, RunOptions, UploadOptions } from '../../../engine/remote/types';

/** One recorded call on a fake host. */
export type FakeCall =
  | { kind: 'script'; name: ScriptName; params: unknown }
  | { kind: 'upload'; localPath: string; remotePath: string }
  | { kind: 'mkdirp'; remotePath: string };

/** Answers a script call; throw to simulate a failure. */
export type ScriptHandler = (params: never, options?: RunOptions) => unknown;

export interface FakeHost extends RemoteHost {
  calls: FakeCall[];
  scripts(name: ScriptName): unknown[];
  handlers: Partial<Record<ScriptName, ScriptHandler>>;
}

/** A RemoteHost whose scripts answer through `handlers`. */
export function fakeHost(label: string, handlers: Partial<Record<ScriptName, ScriptHandler>> = {}): FakeHost {
  const calls: FakeCall[] = [];
  let connected = true;
  return {
    label,
    address: label,
    port: 22,
    username: 'Administrator',
    fingerprint: 'SHA256:' + 'A'.repeat(43),
    calls,
    handlers,
    scripts: (name) =>
      calls
        .filter((c) => c.kind === 'script' && c.name === name)
        .map((c) => (c as { params: unknown }).params),
    async runScript<N extends ScriptName>(name: N, params: ScriptParams[N], options?: RunOptions) {
      calls.push({ kind: 'script', name, params: structuredClone(params) });
      const handler = handlers[name];
      if (!handler) throw new Error(`fake host ${label}: no answer scripted for ${name}`);
      await Promise.resolve();
      return handler(params as never, options);
    },
    async upload(localPath: string, remotePath: string, options?: UploadOptions) {
      calls.push({ kind: 'upload', localPath, remotePath });
      options?.onProgress?.({ bytesDone: 12_300_000, bytesTotal: 30_100_000, rateBps: 45_000_000 });
      options?.onProgress?.({ bytesDone: 30_100_000, bytesTotal: 30_100_000, rateBps: 45_000_000 });
    },
    async mkdirp(remotePath: string) {
      calls.push({ kind: 'mkdirp', remotePath });
    },
    isConnected: () => connected,
    async close() {
      connected = false;
    },
  };
}

export interface FakeContext<K extends JobKind> extends JobContext<K> {
  hosts: Record<string, Partial<HostProgress> & { label?: string }>;
  /** Every host patch in order. */
  hostPatches: Array<{ sessionId: string; patch: Partial<HostProgress> }>;
  progressLog: Array<{ percent: number; message: string }>;
  partials: unknown[];
  controller: AbortController;
}

/** A JobContext that records what the work reports. */
export function fakeContext<K extends JobKind>(): FakeContext<K> {
  const controller = new AbortController();
  const ctx: FakeContext<K> = {
    jobId: 'job-1',
    signal: controller.signal,
    controller,
    hosts: {},
    hostPatches: [],
    progressLog: [],
    partials: [],
    progress(percent, message) {
      ctx.progressLog.push({ percent, message });
    },
    host(sessionId, patch) {
      ctx.hostPatches.push({ sessionId, patch });
      ctx.hosts[sessionId] = { ...ctx.hosts[sessionId], ...patch };
    },
    partial(result: JobSnapshotOf<K>['result']) {
      ctx.partials.push(result);
    },
  };
  return ctx;
}
