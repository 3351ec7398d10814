/**
 * Fleet files: the pairs one bundle is replayed on, as YAML or CSV. Everything wrong in a file is
 * reported at once (`invalid-input`, detail.issues), each problem naming the file, its line, the
 * field and the fix, so an admin corrects a 200-line file in one pass rather than one error a run.
 *
 * At Level 1 each pair makes its own failover cluster: `cluster_name` and `cluster_address` (YAML
 * keys, CSV columns), both or neither, never two pairs with the same name or address. Whether the
 * bundle wants them (required at Level 1, refused at Levels 2 and 3) is checked when the bundle
 * is known, before any pair starts ({@link checkFleetLevel}).
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode, YAMLMap } from 'yaml';
import { TwinlockError } from '../api/errors';
import type { Bundle, ClusterConfig, Fleet, FleetHost, FleetPair, LinkAddresses } from '../api/models';
import { CLUSTER_NAME, CLUSTER_NAME_MESSAGE, IpAddressSchema, VmNameSchema } from '../api/models';
import {
  FINGERPRINT,
  FINGERPRINT_MESSAGE,
  PORT_RANGE_MESSAGE,
  endpointId,
  hostNameProblem,
  pairNameProblem,
  parsePort,
} from '../api/rules';

/** One problem of a fleet file: where it is and what to do. */
export interface FleetIssue {
  /** 1-based line of the file, when known. */
  line?: number;
  /** The field at fault, e.g. `pairs[2].secondary`. */
  field: string;
  message: string;
}

export type FleetFormat = 'yaml' | 'csv';

/** What a fleet file is read from (the parsed `parseFleet` input). */
export type FleetInput =
  | { path: string }
  | { text: string; format: FleetFormat; name?: string | undefined; baseDir?: string | undefined };

const TOP_KEYS = ['bundle', 'user', 'pairs'] as const;
const PAIR_KEYS = [
  'name',
  'primary',
  'secondary',
  'fingerprints',
  'vms',
  'links',
  'cluster_name',
  'cluster_address',
] as const;
const FINGERPRINT_KEYS = ['primary', 'secondary'] as const;
const LINK_KEYS = ['local', 'remote', 'prefix'] as const;
const CSV_COLUMNS = [
  'name',
  'primary',
  'secondary',
  'vms',
  'links',
  'cluster_name',
  'cluster_address',
] as const;
/** Level 1: a pair's own failover cluster, by key (YAML) or column (CSV). */
const CLUSTER_KEYS = ['cluster_name', 'cluster_address'] as const;

/** A value read from the file, with the line it is on. */
interface Located<T = unknown> {
  value: T;
  line: number | undefined;
}

/** One pair as read, before it is checked: its fields by key. */
interface RawPair {
  line: number | undefined;
  /** How the pair is named in messages (`pairs[2]`, `row 4`). */
  where: string;
  name?: Located;
  primary?: Located;
  secondary?: Located;
  fingerprints?: { primary?: Located; secondary?: Located };
  /** Names as read (YAML list or CSV `;` list). */
  vms?: Located<Located[]>;
  links?: Located<Array<Located<{ local?: Located; remote?: Located; prefix?: Located }>>>;
  cluster_name?: Located;
  cluster_address?: Located;
}

/** Reads and checks a fleet file; `invalid-input` lists every problem. */
export async function readFleet(input: FleetInput): Promise<Fleet> {
  if ('path' in input) {
    const path = resolve(input.path);
    const format = formatOf(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new TwinlockError(
        {
          code: 'invalid-input',
          message: `The fleet file ${input.path} ${missing ? 'does not exist' : 'cannot be read'}.`,
          hint: missing
            ? 'Check the path; a fleet file is a .yaml, .yml or .csv file listing the pairs.'
            : 'Check that your account can read the file.',
          detail: { field: 'path' },
        },
        { cause: err },
      );
    }
    return parseFleetText(text, format, { name: path, baseDir: dirname(path) });
  }
  return parseFleetText(input.text, input.format, {
    name: input.name ?? `fleet.${input.format}`,
    baseDir: input.baseDir ?? process.cwd(),
  });
}

/** YAML by .yaml/.yml, CSV by .csv. */
function formatOf(path: string): FleetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.csv') return 'csv';
  throw new TwinlockError({
    code: 'invalid-input',
    message: `${basename(path)} is not a fleet file: Twinlock reads fleets from .yaml, .yml or .csv files.`,
    hint: 'Rename the file to end in .yaml (or .csv for a table) and run again.',
    detail: { field: 'path' },
  });
}

/** Checks a fleet file's text. `name` is how messages name it; a relative `bundle:` is resolved against `baseDir`. */
export function parseFleetText(
  text: string,
  format: FleetFormat,
  where: { name: string; baseDir: string },
): Fleet {
  const issues: FleetIssue[] = [];
  const read = format === 'yaml' ? readYaml(text, issues) : readCsvText(text, issues);
  const checked: Array<{ pair: FleetPair; where: string }> = [];
  for (const raw of read.pairs) {
    const pair = checkPair(raw, issues);
    if (pair) checked.push({ pair, where: raw.where });
  }
  const pairs = checked.map((c) => c.pair);
  if (read.pairs.length === 0 && !read.unread && !issues.some((i) => i.field === '(file)'))
    issues.push({
      field: 'pairs',
      line: read.pairsLine,
      message:
        format === 'yaml'
          ? 'The fleet file lists no pairs: add a `pairs:` list, each with name, primary and secondary.'
          : 'The fleet file lists no pairs: add a row per pair under the header name,primary,secondary,vms,links.',
    });
  checkAcrossPairs(checked, issues);

  let bundle: string | null = null;
  if (read.bundle) {
    const value = read.bundle.value;
    if (typeof value !== 'string' || value.trim() === '')
      issues.push({
        field: 'bundle',
        line: read.bundle.line,
        message: 'bundle: give the path of the bundle every pair replays, e.g. bundle: ./PAIR-01.twinlock.',
      });
    else bundle = isAbsolute(value) ? value : resolve(where.baseDir, value);
  }
  let user: string | undefined;
  if (read.user) {
    const value = read.user.value;
    if (typeof value !== 'string' || value.trim() === '' || value.trim() !== value)
      issues.push({
        field: 'user',
        line: read.user.line,
        message:
          'user: give the administrator account’s name (no spaces around it), e.g. user: Administrator.',
      });
    else user = value;
  }

  if (issues.length > 0) throw fleetError(where.name, issues);
  return { source: where.name, bundle, ...(user !== undefined ? { user } : {}), pairs };
}

/** The error of a refused fleet file: every problem, each with its place. */
export function fleetError(file: string, issues: FleetIssue[]): TwinlockError {
  const sorted = [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const lines = sorted.map((i) => `${place(file, i)}: ${i.message}`);
  return new TwinlockError({
    code: 'invalid-input',
    message:
      sorted.length === 1
        ? `The fleet file has a problem: ${lines[0]}`
        : `The fleet file has ${sorted.length} problems:\n${lines.map((l) => `  ${l}`).join('\n')}`,
    hint: `Correct ${sorted.length === 1 ? 'it' : 'each line named'} in ${basename(file)} and run again.`,
    detail: {
      field: sorted[0]?.field ?? 'fleet',
      issues: sorted.map((i) => ({
        field: i.field,
        message: `${place(file, i)}: ${i.message}`,
        ...(i.line !== undefined ? { line: i.line } : {}),
      })),
    },
  });
}

function place(file: string, issue: FleetIssue): string {
  return issue.line !== undefined ? `${basename(file)} line ${issue.line}` : basename(file);
}

// ---------------------------------------------------------------------------------------------
// YAML

interface ReadFile {
  bundle?: Located;
  user?: Located;
  pairs: RawPair[];
  pairsLine?: number | undefined;
  /** True when the pairs could not be read at all (a bad CSV header): "no pairs" would say nothing more. */
  unread?: boolean;
}

function readYaml(text: string, issues: FleetIssue[]): ReadFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : counter.linePos(offset).line;
  const lineOf = (node: unknown) => lineAt((node as YamlNode | null)?.range?.[0]);
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      issues.push({
        field: '(file)',
        line: lineAt(e.pos[0]),
        message: `this is not valid YAML (${e.code.toLowerCase().replace(/_/g, ' ')}): check the indentation and the quotes.`,
      });
    return { pairs: [] };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    issues.push({
      field: '(file)',
      line: 1,
      message:
        'The fleet file is empty: give bundle: and a pairs: list (see the README’s fleet file example).',
    });
    return { pairs: [] };
  }
  if (!isMap(root)) {
    issues.push({
      field: '(file)',
      line: lineOf(root),
      message: 'A fleet file is a map with bundle:, user: and pairs:, not a list or a single value.',
    });
    return { pairs: [] };
  }
  const top = entries(root, TOP_KEYS, '', issues, lineOf);
  const out: ReadFile = { pairs: [], pairsLine: top.pairs?.line };
  if (top.bundle) out.bundle = { value: scalarOf(top.bundle.node), line: top.bundle.line };
  if (top.user) out.user = { value: scalarOf(top.user.node), line: top.user.line };
  const pairsNode = top.pairs?.node;
  if (pairsNode === undefined) return out;
  if (!isSeq(pairsNode)) {
    issues.push({
      field: 'pairs',
      line: top.pairs?.line,
      message: 'pairs: is a list, one item per pair, each starting with “- name: …”.',
    });
    return out;
  }
  pairsNode.items.forEach((item, index) => {
    const where = `pairs[${index}]`;
    if (!isMap(item)) {
      issues.push({
        field: where,
        line: lineOf(item),
        message:
          'each pair is a map with name:, primary: and secondary: (and optionally vms:, links:, fingerprints:).',
      });
      return;
    }
    const keys = entries(item, PAIR_KEYS, `${where}.`, issues, lineOf);
    const raw: RawPair = { line: lineOf(item), where };
    for (const key of ['name', 'primary', 'secondary', ...CLUSTER_KEYS] as const) {
      const e = keys[key];
      if (e) raw[key] = { value: scalarOf(e.node), line: e.line };
    }
    if (keys.fingerprints) {
      const node = keys.fingerprints.node;
      if (!isMap(node))
        issues.push({
          field: `${where}.fingerprints`,
          line: keys.fingerprints.line,
          message: 'fingerprints: is a map, e.g. { primary: "SHA256:…", secondary: "SHA256:…" }.',
        });
      else {
        const fp = entries(node, FINGERPRINT_KEYS, `${where}.fingerprints.`, issues, lineOf);
        raw.fingerprints = {};
        for (const role of FINGERPRINT_KEYS) {
          const e = fp[role];
          if (e) raw.fingerprints[role] = { value: scalarOf(e.node), line: e.line };
        }
      }
    }
    if (keys.vms) {
      const node = keys.vms.node;
      if (!isSeq(node))
        issues.push({
          field: `${where}.vms`,
          line: keys.vms.line,
          message: 'vms: is a list of VM names, e.g. vms: [SQL01, WEB01].',
        });
      else
        raw.vms = {
          value: node.items.map((v) => ({ value: scalarOf(v), line: lineOf(v) ?? keys.vms!.line })),
          line: keys.vms.line,
        };
    }
    if (keys.links) {
      const node = keys.links.node;
      if (!isSeq(node))
        issues.push({
          field: `${where}.links`,
          line: keys.links.line,
          message: 'links: is a list, one { local: …, remote: …, prefix: … } per sync link.',
        });
      else {
        raw.links = { value: [], line: keys.links.line };
        node.items.forEach((link, li) => {
          const linkWhere = `${where}.links[${li}]`;
          if (!isMap(link)) {
            issues.push({
              field: linkWhere,
              line: lineOf(link),
              message: 'each link is { local: 172.30.0.1, remote: 172.30.0.2, prefix: 30 }.',
            });
            return;
          }
          const lk = entries(link, LINK_KEYS, `${linkWhere}.`, issues, lineOf);
          const value: { local?: Located; remote?: Located; prefix?: Located } = {};
          for (const k of LINK_KEYS) {
            const e = lk[k];
            if (e) value[k] = { value: scalarOf(e.node), line: e.line };
          }
          raw.links!.value.push({ value, line: lineOf(link) });
        });
      }
    }
    out.pairs.push(raw);
  });
  return out;
}

/** A map's entries by known key; an unknown key is a problem that suggests the nearest known one. */
function entries<K extends string>(
  map: YAMLMap,
  known: readonly K[],
  prefix: string,
  issues: FleetIssue[],
  lineOf: (node: unknown) => number | undefined,
): Partial<Record<K, { node: unknown; line: number | undefined }>> {
  const out: Partial<Record<K, { node: unknown; line: number | undefined }>> = {};
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const line = lineOf(pair.key) ?? lineOf(pair.value);
    if ((known as readonly string[]).includes(key)) out[key as K] = { node: pair.value, line };
    else issues.push({ field: `${prefix}${key}`, line, message: unknownKey(key, known) });
  }
  return out;
}

/** A scalar's value (strings, numbers, booleans); anything else as is, for the checks to refuse. */
function scalarOf(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  return node;
}

// ---------------------------------------------------------------------------------------------
// CSV

function readCsvText(text: string, issues: FleetIssue[]): ReadFile {
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parseCsv(text.replace(/^\uFEFF/, ''), {
      info: true,
      skip_empty_lines: true,
      comment: '#',
      trim: true,
      relax_column_count: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    const line = err instanceof CsvError ? (err as CsvError & { lines?: number }).lines : undefined;
    issues.push({
      field: '(file)',
      line,
      message:
        'this is not a valid CSV table (an unclosed quote or a stray character): check the quotes on this line.',
    });
    return { pairs: [] };
  }
  const header = rows[0];
  if (!header) {
    issues.push({
      field: '(file)',
      line: 1,
      message:
        'The fleet file is empty: start it with the header row name,primary,secondary,vms,links and add a row per pair.',
    });
    return { pairs: [] };
  }
  const columns = header.record.map((c) => c.toLowerCase());
  const headerLine = header.info.lines;
  columns.forEach((c) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(c))
      issues.push({
        field: c || '(empty column)',
        line: headerLine,
        message: unknownKey(c, CSV_COLUMNS, 'column'),
      });
  });
  for (const required of ['name', 'primary', 'secondary'] as const)
    if (!columns.includes(required))
      issues.push({
        field: required,
        line: headerLine,
        message: `the header has no “${required}” column: the header row is name,primary,secondary,vms,links.`,
      });
  if (issues.length > 0) return { pairs: [], pairsLine: headerLine, unread: true };

  const pairs: RawPair[] = [];
  for (const [index, row] of rows.slice(1).entries()) {
    const line = row.info.lines;
    const cell = (c: (typeof CSV_COLUMNS)[number]) => {
      const i = columns.indexOf(c);
      return i < 0 ? undefined : row.record[i];
    };
    if (row.record.length > columns.length)
      issues.push({
        field: `row ${index + 1}`,
        line,
        message: `this row has ${row.record.length} cells for ${columns.length} columns: a VM or link list is separated by “;”, not “,”.`,
      });
    const raw: RawPair = { line, where: `row ${index + 1}` };
    for (const key of ['name', 'primary', 'secondary', ...CLUSTER_KEYS] as const) {
      const v = cell(key);
      if (v !== undefined && v !== '') raw[key] = { value: v, line };
    }
    const vms = cell('vms');
    if (vms)
      raw.vms = {
        value: vms
          .split(';')
          .map((v) => v.trim())
          .filter((v) => v !== '')
          .map((v) => ({ value: v, line })),
        line,
      };
    const links = cell('links');
    if (links) {
      raw.links = { value: [], line };
      for (const token of links
        .split(';')
        .map((t) => t.trim())
        .filter((t) => t !== '')) {
        const m = /^([^/]+?)-([^/]+?)(?:\/(.+))?$/.exec(token);
        if (!m) {
          issues.push({
            field: 'links',
            line,
            message: `“${token}” is not a link: write LOCAL-REMOTE/PREFIX, e.g. 172.30.0.1-172.30.0.2/30, links separated by “;”.`,
          });
          continue;
        }
        raw.links.value.push({
          value: {
            local: { value: m[1], line },
            remote: { value: m[2], line },
            ...(m[3] !== undefined ? { prefix: { value: m[3], line } } : {}),
          },
          line,
        });
      }
    }
    pairs.push(raw);
  }
  return { pairs, pairsLine: headerLine };
}

// ---------------------------------------------------------------------------------------------
// Checks

function checkPair(raw: RawPair, issues: FleetIssue[]): FleetPair | null {
  const before = issues.length;
  const field = (f: string) => (raw.where.startsWith('row') ? f : `${raw.where}.${f}`);
  let name = '';
  if (!raw.name || raw.name.value === null || raw.name.value === '')
    issues.push({
      field: field('name'),
      line: raw.line,
      message: 'the pair has no name: add name: PAIR-01.',
    });
  else {
    name = String(raw.name.value);
    const problem = pairNameProblem(name);
    if (problem)
      issues.push({ field: field('name'), line: raw.name.line, message: `name “${name}”: ${problem}` });
  }
  const host = (role: 'primary' | 'secondary'): FleetHost | null => {
    const v = raw[role];
    if (!v || v.value === null || v.value === '') {
      issues.push({
        field: field(role),
        line: raw.line,
        message: `the pair has no ${role}: add ${role}: HOST or HOST:PORT (e.g. 10.0.1.21 or 10.0.1.21:2222).`,
      });
      return null;
    }
    const parsed = parseHost(String(v.value));
    if (typeof parsed === 'string') {
      issues.push({ field: field(role), line: v.line, message: `${role} “${String(v.value)}”: ${parsed}` });
      return null;
    }
    const fp = raw.fingerprints?.[role];
    if (fp && fp.value !== null) {
      const text = String(fp.value);
      if (!FINGERPRINT.test(text)) {
        issues.push({
          field: field(`fingerprints.${role}`),
          line: fp.line,
          message: `the ${role}’s fingerprint “${text}” is not one: ${FINGERPRINT_MESSAGE} (as Twinlock or ssh-keygen -lf prints it).`,
        });
        return null;
      }
      return { ...parsed, fingerprint: text };
    }
    return parsed;
  };
  const primary = host('primary');
  const secondary = host('secondary');
  let vms: string[] | undefined;
  if (raw.vms) {
    vms = [];
    for (const vm of raw.vms.value) {
      const text = vm.value === null ? '' : String(vm.value);
      const checked = VmNameSchema.safeParse(text);
      if (!checked.success)
        issues.push({
          field: field('vms'),
          line: vm.line,
          message: `VM “${text}”: ${checked.error.issues[0]?.message ?? 'is not a VM name'}`,
        });
      else if (vms.includes(text))
        issues.push({
          field: field('vms'),
          line: vm.line,
          message: `VM “${text}” is listed twice: list it once.`,
        });
      else vms.push(text);
    }
  }
  let linkAddresses: LinkAddresses[] | undefined;
  if (raw.links) {
    linkAddresses = [];
    raw.links.value.forEach((link, i) => {
      const f = field(`links[${i}]`);
      const address = (key: 'local' | 'remote'): string | null => {
        const v = link.value[key];
        if (!v || v.value === null || v.value === '') {
          issues.push({
            field: `${f}.${key}`,
            line: link.line,
            message: `link ${i + 1} has no ${key} address: give ${key}: 172.30.0.${key === 'local' ? 1 : 2}.`,
          });
          return null;
        }
        const text = String(v.value);
        const checked = IpAddressSchema.safeParse(text);
        if (!checked.success) {
          issues.push({
            field: `${f}.${key}`,
            line: v.line,
            message: `link ${i + 1}’s ${key} address “${text}”: ${checked.error.issues[0]?.message ?? 'is not an IP address'}`,
          });
          return null;
        }
        return text;
      };
      const local = address('local');
      const remote = address('remote');
      let prefixLength: number | undefined;
      const p = link.value.prefix;
      if (p && p.value !== null && p.value !== '') {
        const text = String(p.value);
        const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
        const max = local?.includes(':') ? 128 : 32;
        if (!(n >= 1 && n <= max)) {
          issues.push({
            field: `${f}.prefix`,
            line: p.line,
            message: `link ${i + 1}’s prefix “${text}” is not a prefix length: a whole number from 1 to ${max}, e.g. 30.`,
          });
        } else prefixLength = n;
      }
      if (local !== null && remote !== null) {
        if (local === remote)
          issues.push({
            field: f,
            line: link.line,
            message: `link ${i + 1} gives both servers the address ${local}: each end needs its own.`,
          });
        linkAddresses!.push({
          localAddress: local,
          remoteAddress: remote,
          ...(prefixLength !== undefined ? { prefixLength } : {}),
        });
      }
    });
    if (raw.links.value.length === 0) linkAddresses = undefined;
  }
  const cluster = checkCluster(raw, field, issues);
  if (issues.length > before || !primary || !secondary) return null;
  if (endpointId(primary) === endpointId(secondary)) {
    issues.push({
      field: field('secondary'),
      line: raw.secondary?.line,
      message: `the pair’s primary and secondary are the same server (${endpointId(primary)}): give two servers.`,
    });
    return null;
  }
  return {
    name,
    primary,
    secondary,
    ...(vms !== undefined ? { vms } : {}),
    ...(linkAddresses !== undefined ? { linkAddresses } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    ...(raw.line !== undefined ? { line: raw.line } : {}),
  };
}

/**
 * A pair's `cluster_name` and `cluster_address` (Level 1): both or neither, each as Windows takes
 * it. Whether the bundle's level wants them is checked once the bundle is known
 * ({@link checkFleetLevel}).
 */
function checkCluster(
  raw: RawPair,
  field: (f: string) => string,
  issues: FleetIssue[],
): ClusterConfig | undefined {
  const text = (v: Located | undefined) =>
    v === undefined || v.value === null || v.value === '' ? undefined : String(v.value);
  const name = text(raw.cluster_name);
  const address = text(raw.cluster_address);
  if (name === undefined && address === undefined) return undefined;
  let ok = true;
  if (name !== undefined && !CLUSTER_NAME.test(name)) {
    ok = false;
    issues.push({
      field: field('cluster_name'),
      line: raw.cluster_name?.line ?? raw.line,
      message: `cluster_name “${name}”: ${CLUSTER_NAME_MESSAGE}`,
    });
  }
  if (address !== undefined && isIP(address) !== 4) {
    ok = false;
    issues.push({
      field: field('cluster_address'),
      line: raw.cluster_address?.line ?? raw.line,
      message: `cluster_address “${address}” is not an IPv4 address: give the cluster’s own free static address on the business network, e.g. cluster_address: 10.0.0.51.`,
    });
  }
  for (const [key, value, example] of [
    ['cluster_name', name, 'PAIR02-CL'],
    ['cluster_address', address, '10.0.0.51'],
  ] as const) {
    if (value !== undefined) continue;
    ok = false;
    issues.push({
      field: field(key),
      line: raw.line,
      message: `the pair has a ${key === 'cluster_name' ? 'cluster_address' : 'cluster_name'} but no ${key}: a Level 1 pair’s cluster needs both; ${raw.where.startsWith('row') ? `fill its ${key} cell, e.g. ${example}` : `add ${key}: ${example}`}.`,
    });
  }
  return ok ? { name: name!, address: address! } : undefined;
}

/**
 * The fleet held to its bundle's level: at Level 1 every pair names its own cluster
 * (`cluster_name`, `cluster_address`), and none reuses the cluster of the pair the bundle was
 * exported from; at Levels 2 and 3 a cluster is refused (it means the wrong bundle, or a fleet file
 * meant for another). Throws the fleet file's `invalid-input` with every problem and its line.
 */
export function checkFleetLevel(
  fleet: Fleet,
  bundle: Pick<Bundle, 'pair' | 'hosts'>,
  fileName: string = fleet.source,
): void {
  const issues: FleetIssue[] = [];
  const level = bundle.pair.level;
  const own = bundle.pair.cluster;
  const csv = extname(fleet.source).toLowerCase() === '.csv';
  fleet.pairs.forEach((pair, index) => {
    const where = csv ? '' : `pairs[${index}].`;
    const line = pair.line;
    if (level !== 1) {
      if (pair.cluster !== undefined)
        issues.push({
          field: `${where}cluster_name`,
          ...(line !== undefined ? { line } : {}),
          message: `${pair.name} has cluster_name and cluster_address, but the bundle ${bundle.pair.name} is Level ${level}, which makes no failover cluster: remove them, or replay a Level 1 bundle.`,
        });
      return;
    }
    if (pair.cluster === undefined) {
      issues.push({
        field: `${where}cluster_name`,
        ...(line !== undefined ? { line } : {}),
        message: `${pair.name} has no cluster_name and cluster_address: the bundle ${bundle.pair.name} is Level 1, and each pair makes its own failover cluster; ${
          csv
            ? `add the columns cluster_name,cluster_address to the header and fill them for this row, e.g. ${clusterExample(index)} and`
            : `add cluster_name: ${clusterExample(index)} and cluster_address:`
        } a free static address on its business network, e.g. 10.0.0.${51 + index}.`,
      });
      return;
    }
    if (own === undefined) return;
    // The pair the bundle came from keeps its cluster; any other pair must have its own.
    const bundleServers = new Set(bundle.hosts.map((h) => endpointId(h)));
    const isBundlePair = [pair.primary, pair.secondary].every((h) => bundleServers.has(endpointId(h)));
    if (isBundlePair) return;
    const from = `${bundle.hosts[0].computerName} and ${bundle.hosts[1].computerName}`;
    if (pair.cluster.name.toLowerCase() === own.name.toLowerCase())
      issues.push({
        field: `${where}cluster_name`,
        ...(line !== undefined ? { line } : {}),
        message: `cluster_name ${pair.cluster.name} belongs to the first pair’s cluster (${from}, where the bundle ${bundle.pair.name} was exported): give ${pair.name} its own cluster name.`,
      });
    if (pair.cluster.address === own.address)
      issues.push({
        field: `${where}cluster_address`,
        ...(line !== undefined ? { line } : {}),
        message: `cluster_address ${pair.cluster.address} belongs to the first pair’s cluster (${from}, where the bundle ${bundle.pair.name} was exported): give ${pair.name} its own free address.`,
      });
  });
  if (issues.length > 0) throw fleetError(fileName, issues);
}

/** `PAIR01-CL`, `PAIR02-CL` … for the examples of a fix. */
function clusterExample(index: number): string {
  return `PAIR${String(index + 1).padStart(2, '0')}-CL`;
}

/** A `host[:port]` (IPv6 in brackets when it has a port), or why not. */
export function parseHost(text: string): { address: string; port: number } | string {
  let address = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    address = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const at = text.indexOf(':');
    address = text.slice(0, at);
    portText = text.slice(at + 1);
  }
  const problem = hostNameProblem(address);
  if (problem) return problem;
  if (portText === undefined) return { address, port: 22 };
  const port = parsePort(portText);
  if (port === null)
    return `the port “${portText}” is not one: ${PORT_RANGE_MESSAGE} Write HOST:PORT, e.g. 10.0.1.22:2222.`;
  return { address, port };
}

/** Names used twice, and servers in two pairs. */
function checkAcrossPairs(pairs: Array<{ pair: FleetPair; where: string }>, issues: FleetIssue[]): void {
  const names = new Map<string, FleetPair>();
  const servers = new Map<string, { pair: FleetPair; role: 'primary' | 'secondary' }>();
  const clusterNames = new Map<string, FleetPair>();
  const clusterAddresses = new Map<string, FleetPair>();
  for (const { pair, where } of pairs) {
    const field = (f: string) => (where.startsWith('row') ? f : `${where}.${f}`);
    const lower = pair.name.toLowerCase();
    const first = names.get(lower);
    if (first)
      issues.push({
        field: field('name'),
        line: pair.line,
        message: `the pair name “${pair.name}” is already used by the pair on line ${first.line ?? '?'}: give each pair its own name.`,
      });
    else names.set(lower, pair);
    for (const role of ['primary', 'secondary'] as const) {
      const id = endpointId(pair[role]);
      const other = servers.get(id);
      if (other)
        issues.push({
          field: field(role),
          line: pair.line,
          message: `the server ${id} is already the ${other.role} of ${other.pair.name} (line ${other.pair.line ?? '?'}): a server belongs to one pair.`,
        });
      else servers.set(id, { pair, role });
    }
    if (pair.cluster === undefined) continue;
    // Two clusters cannot share a computer object in the directory, nor an address on the network.
    const byName = clusterNames.get(pair.cluster.name.toLowerCase());
    if (byName)
      issues.push({
        field: field('cluster_name'),
        line: pair.line,
        message: `the cluster name ${pair.cluster.name} is already ${byName.name}’s (line ${byName.line ?? '?'}): each pair makes its own cluster, with its own name.`,
      });
    else clusterNames.set(pair.cluster.name.toLowerCase(), pair);
    const byAddress = clusterAddresses.get(pair.cluster.address);
    if (byAddress)
      issues.push({
        field: field('cluster_address'),
        line: pair.line,
        message: `the cluster address ${pair.cluster.address} is already ${byAddress.name}’s cluster’s (line ${byAddress.line ?? '?'}): each cluster needs its own free address.`,
      });
    else clusterAddresses.set(pair.cluster.address, pair);
  }
  // A cluster's address is not a server's: the cluster would answer where the server does.
  for (const { pair, where } of pairs) {
    if (pair.cluster === undefined) continue;
    const address = pair.cluster.address;
    const server = [...servers.values()].find((s) => s.pair[s.role].address === address);
    if (server)
      issues.push({
        field: where.startsWith('row') ? 'cluster_address' : `${where}.cluster_address`,
        line: pair.line,
        message: `the cluster address ${address} is the address of ${server.pair.name}’s ${server.role}: the cluster needs a free address of its own.`,
      });
  }
}

/** “unknown key “secundary”: did you mean secondary?” */
function unknownKey(key: string, known: readonly string[], what = 'key'): string {
  const near = known.map((k) => ({ k, d: distance(key.toLowerCase(), k) })).sort((a, b) => a.d - b.d)[0];
  const suggestion =
    near && near.d <= Math.max(2, Math.floor(near.k.length / 3))
      ? ` Did you mean ${near.k}?`
      : ` The ${what}s are ${known.join(', ')}.`;
  return `unknown ${what} “${key}”.${suggestion}`;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
