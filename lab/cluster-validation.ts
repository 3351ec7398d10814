/**
 * Windows' cluster validation (Test-Cluster) as the lab runs it on a set of its servers: the
 * categories and tests Windows runs, named as Windows names them, each passed, warned, failed or
 * not run with Windows' own kind of text, decided from the servers' profiles. Test-Cluster writes
 * its report as `<ReportName>.htm` and the results beside it as `<ReportName>.xml`; test-cluster.ps1
 * reads the XML, whose shape {@link validationXml} gives.
 */
import { shareAt, shareRoot, vmFiles } from './cluster-prereqs';
import type { LabHost } from './host';
import type { LabWorld } from './world';

export type ValidationResult = 'passed' | 'warning' | 'failed' | 'not-run';

export interface ValidationTest {
  name: string;
  result: ValidationResult;
  /** Windows' text for a warning or a failure; '' otherwise. */
  message: string;
}

export interface ValidationCategory {
  name: string;
  tests: ValidationTest[];
}

const pass = (name: string): ValidationTest => ({ name, result: 'passed', message: '' });
const warn = (name: string, message: string): ValidationTest => ({ name, result: 'warning', message });
const fail = (name: string, message: string): ValidationTest => ({ name, result: 'failed', message });
const skip = (name: string): ValidationTest => ({ name, result: 'not-run', message: '' });

const INVENTORY = [
  'List BIOS Information',
  'List Fibre Channel Host Bus Adapters',
  'List iSCSI Host Bus Adapters',
  'List Memory Information',
  'List Operating System Information',
  'List Plug and Play Devices',
  'List Running Processes',
  'List SAS Host Bus Adapters',
  'List Services Information',
  'List Software Updates',
  'List System Drivers',
  'List System Information',
  'List Unsigned Drivers',
];

/** The storage tests that need a disk every node sees (run only when there is one). */
const DISK_TESTS = [
  'Validate Disk Access Latency',
  'Validate Disk Arbitration',
  'Validate Disk Failover',
  'Validate File System',
  'Validate Microsoft MPIO-based disks',
  'Validate Multiple Arbitration',
  'Validate SCSI device Vital Product Data (VPD)',
  'Validate SCSI-3 Persistent Reservation',
  'Validate Simultaneous Failover',
  'Validate Storage Spaces Persistent Reservation',
];

const NO_DISKS =
  'No disks were found on which to perform cluster validation tests. To correct this, review the following possible causes: ' +
  '* The disks are already clustered and currently Online in the cluster. ' +
  '* The disks are unsuitable for clustering. Boot volumes, system volumes, disks used for paging or dump files, etc., are examples of disks unsuitable for clustering. ' +
  '* Review the "List Disks" test. Ensure that the disks you want to validate are unmasked, that is, your masking or zoning does not prevent access to the disks. ' +
  '* The cluster does not use shared storage. A cluster must use a hardware solution based either on shared storage or on replication between nodes.';

/** The subnets (network/prefix) of a server's adapters that are up and addressed. */
function subnets(host: LabHost): string[] {
  const out: string[] = [];
  for (const nic of host.profile.nics) {
    if (nic.status !== 'Up') continue;
    for (const ip of nic.ipv4) {
      const n = ip.address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
      const size = 2 ** (32 - ip.prefixLength);
      out.push(`${Math.floor(n / size) * size}/${ip.prefixLength}`);
    }
  }
  return [...new Set(out)];
}

function network(nodes: LabHost[]): ValidationCategory {
  const tests: ValidationTest[] = [
    pass('List Network Binding Order'),
    pass('Validate Cluster Network Configuration'),
  ];
  const unaddressed = nodes.filter((n) => subnets(n).length === 0);
  tests.push(
    unaddressed.length > 0
      ? fail(
          'Validate IP Configuration',
          `Node ${unaddressed[0]!.name} has no network adapter that is connected and has an IPv4 address.`,
        )
      : pass('Validate IP Configuration'),
  );
  let communication = pass('Validate Network Communication');
  for (let i = 0; i < nodes.length && communication.result !== 'failed'; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const [a, b] = [nodes[i]!, nodes[j]!];
      const common = subnets(a).filter((s) => subnets(b).includes(s)).length;
      if (common === 0) {
        communication = fail(
          'Validate Network Communication',
          `Node ${a.name} is not reachable from node ${b.name}: no network interfaces of the two nodes are on the same network.`,
        );
        break;
      }
      if (common === 1 && communication.result === 'passed') {
        communication = warn(
          'Validate Network Communication',
          `Node ${a.name} is reachable from Node ${b.name} by only one pair of network interfaces. It is possible that this network path is a single point of failure for communication within the cluster. Please verify that this single path is highly available, or consider adding additional networks to the cluster.`,
        );
      }
    }
  }
  tests.push(communication, pass('Validate Windows Firewall Configuration'));
  return { name: 'Network', tests };
}

/** Every node reaches (and may write) the SMB share each VM's files are on. */
function vmFilesShared(nodes: LabHost[]): boolean {
  const files = nodes.flatMap((n) =>
    n.vms.flatMap((vm) => {
      const f = vmFiles(n, vm.name);
      return [f.path, ...f.hardDisks];
    }),
  );
  return files.every((path) => {
    const root = shareRoot(path);
    return root !== null && nodes.every((n) => shareAt(n, root)?.writable === true);
  });
}

function storage(nodes: LabHost[]): ValidationCategory {
  const ids = nodes.map((n) => new Set(n.profile.storage.sharedDisks.map((d) => d.uniqueId)));
  const common = [...(ids[0] ?? new Set<string>())].filter((id) => ids.every((s) => s.has(id)));
  if (common.length > 0) {
    return {
      name: 'Storage',
      tests: [pass('List Disks'), pass('List Disks To Be Validated'), ...DISK_TESTS.map(pass)],
    };
  }
  // VMs on an SMB 3 share every node writes need no cluster disk: Windows only warns that it found none.
  const toBeValidated = vmFilesShared(nodes)
    ? warn('List Disks To Be Validated', NO_DISKS)
    : fail('List Disks To Be Validated', NO_DISKS);
  return { name: 'Storage', tests: [pass('List Disks'), toBeValidated, ...DISK_TESTS.map(skip)] };
}

function differing<T>(nodes: LabHost[], value: (n: LabHost) => T): boolean {
  return nodes.some((n) => value(n) !== value(nodes[0]!));
}

function systemConfiguration(nodes: LabHost[]): ValidationCategory {
  const domainOf = (n: LabHost): string => (n.profile.partOfDomain ? n.profile.domain.toLowerCase() : '');
  const ad = differing(nodes, domainOf)
    ? fail(
        'Validate Active Directory Configuration',
        `The nodes are not all members of the same domain. ${nodes
          .map(
            (n) =>
              `Node ${n.name} is ${n.profile.partOfDomain ? `a member of domain ${n.profile.domain}` : `in workgroup ${n.profile.domain}`}.`,
          )
          .join(' ')}`,
      )
    : pass('Validate Active Directory Configuration');
  const option = differing(nodes, (n) => n.profile.os.installationType)
    ? warn(
        'Validate Operating System Installation Option',
        `The nodes do not all have the same installation option of the operating system: ${nodes
          .map((n) => `${n.name} has ${n.profile.os.installationType}`)
          .join(', ')}. Microsoft recommends that all nodes of a cluster have the same installation option.`,
      )
    : pass('Validate Operating System Installation Option');
  const version = differing(nodes, (n) => n.profile.os.version)
    ? fail(
        'Validate Operating System Version',
        `The nodes do not all run the same version of the operating system: ${nodes
          .map((n) => `${n.name} runs ${n.profile.os.version}`)
          .join(', ')}.`,
      )
    : pass('Validate Operating System Version');
  const architecture = differing(nodes, (n) => n.profile.os.architecture)
    ? fail(
        'Validate Same Processor Architecture',
        'The nodes do not all have the same processor architecture.',
      )
    : pass('Validate Same Processor Architecture');
  const levels: string[] = [];
  if (differing(nodes, (n) => `${n.profile.os.build}.${n.profile.os.ubr}`)) {
    levels.push(
      `The nodes are not at the same software update level: ${nodes
        .map(
          (n) =>
            `${n.name} runs ${n.profile.os.version.split('.').slice(0, 2).join('.')}.${n.profile.os.build}.${n.profile.os.ubr}`,
        )
        .join(', ')}.`,
    );
  }
  const all = new Set(nodes.flatMap((n) => n.profile.hotfixes.map((h) => h.id)));
  for (const n of nodes) {
    const missing = [...all].filter((id) => !n.profile.hotfixes.some((h) => h.id === id)).sort();
    if (missing.length > 0)
      levels.push(
        `Node ${n.name} is missing updates that are installed on other nodes: ${missing.join(', ')}.`,
      );
  }
  const updates =
    levels.length > 0
      ? warn('Validate Software Update Levels', levels.join(' '))
      : pass('Validate Software Update Levels');
  return {
    name: 'System Configuration',
    tests: [
      ad,
      pass('Validate All Drivers Signed'),
      pass('Validate Memory Dump Settings'),
      option,
      version,
      pass('Validate Required Services'),
      architecture,
      pass('Validate Service Pack Levels'),
      updates,
      pass('Validate System Drive Variable'),
    ],
  };
}

function hyperV(nodes: LabHost[]): ValidationCategory | null {
  if (!nodes.some((n) => n.profile.roles.hyperV)) return null;
  const without = nodes.filter((n) => !n.profile.roles.hyperV);
  const names = [
    'List Hyper-V Virtual Machine Information',
    'List Information About Servers Running Hyper-V',
    'Validate Compatibility of Virtual Fibre Channel SANs for Hyper-V',
    'Validate Compatibility of Virtual Switches',
    'Validate Hyper-V Integration Services Version',
    'Validate Hyper-V Memory Resource Pool Compatibility',
    'Validate Hyper-V Network Resource Pool And Virtual Switch Compatibility',
    'Validate Hyper-V Processor Compatibility',
    'Validate Hyper-V Role Installed',
    'Validate Hyper-V Settings Compatibility',
    'Validate Hyper-V Storage Resource Pool Compatibility',
    'Validate Matching Processor Manufacturers',
  ];
  const manufacturers = differing(nodes, (n) => n.profile.processor.manufacturer);
  const tests = names.map((name): ValidationTest => {
    if (name === 'Validate Hyper-V Role Installed') {
      return without.length > 0
        ? fail(name, `The Hyper-V role is not installed on node ${without.map((n) => n.name).join(', ')}.`)
        : pass(name);
    }
    if (name === 'Validate Matching Processor Manufacturers' && manufacturers) {
      return fail(
        name,
        `The processors of the nodes are not all from the same manufacturer: ${nodes
          .map((n) => `${n.name} has ${n.profile.processor.manufacturer}`)
          .join(', ')}.`,
      );
    }
    // Without the role on every node, the tests comparing Hyper-V's settings cannot run.
    return without.length > 0 && !name.startsWith('List ') ? skip(name) : pass(name);
  });
  return { name: 'Hyper-V Configuration', tests };
}

/** Every category Test-Cluster runs on these nodes, with each test's result. */
export function validateCluster(nodes: LabHost[]): ValidationCategory[] {
  const out: ValidationCategory[] = [
    { name: 'Inventory', tests: INVENTORY.map(pass) },
    network(nodes),
    storage(nodes),
    systemConfiguration(nodes),
  ];
  const h = hyperV(nodes);
  if (h) out.push(h);
  return out;
}

/** Test-Cluster -Include: the categories named, and the tests named (of the other categories). */
export function includeOnly(categories: ValidationCategory[], include: string[]): ValidationCategory[] {
  if (include.length === 0) return categories;
  const wanted = new Set(include.map((i) => i.toLowerCase()));
  return categories
    .map((c) =>
      wanted.has(c.name.toLowerCase())
        ? c
        : { ...c, tests: c.tests.filter((t) => wanted.has(t.name.toLowerCase())) },
    )
    .filter((c) => c.tests.length > 0);
}

/** The worst result of a list (not-run only when nothing ran). */
export function worst(results: ValidationResult[]): ValidationResult {
  if (results.includes('failed')) return 'failed';
  if (results.includes('warning')) return 'warning';
  if (results.includes('passed')) return 'passed';
  return 'not-run';
}

/** Windows' word for a result in the validation XML. */
export const XML_RESULT: Record<ValidationResult, string> = {
  passed: 'Success',
  warning: 'Warning',
  failed: 'Failed',
  'not-run': 'NotRun',
};

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The validation results as Test-Cluster writes them beside its report:
 * `<Report><Channel Type="Category" Name="…"><Channel Type="Test" Name="…"><Result>Success</Result><Message>…</Message></Channel>…`.
 */
export function validationXml(categories: ValidationCategory[], nodes: string[], startTime: string): string {
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Report StartTime="${xmlEscape(startTime)}">`,
    '  <Nodes>',
  ];
  for (const n of nodes) lines.push(`    <Node Name="${xmlEscape(n)}" />`);
  lines.push('  </Nodes>');
  for (const c of categories) {
    lines.push(`  <Channel Type="Category" Name="${xmlEscape(c.name)}">`);
    for (const t of c.tests) {
      lines.push(
        `    <Channel Type="Test" Name="${xmlEscape(t.name)}">`,
        `      <Result>${XML_RESULT[t.result]}</Result>`,
        `      <Message>${xmlEscape(t.message)}</Message>`,
        '    </Channel>',
      );
    }
    lines.push('  </Channel>');
  }
  lines.push('</Report>');
  return `${lines.join('\r\n')}\r\n`;
}

/** The report Windows writes for people: a page listing each category and test with its result. */
export function validationHtml(categories: ValidationCategory[], nodes: string[], startTime: string): string {
  const rows = categories
    .flatMap((c) =>
      c.tests.map(
        (t) =>
          `<tr><td>${xmlEscape(c.name)}</td><td>${xmlEscape(t.name)}</td><td>${XML_RESULT[t.result]}</td><td>${xmlEscape(t.message)}</td></tr>`,
      ),
    )
    .join('\r\n');
  return `<html><head><title>Failover Cluster Validation Report</title></head><body><h1>Failover Cluster Validation Report</h1><p>Nodes: ${nodes.map(xmlEscape).join(', ')}</p><p>Started ${xmlEscape(startTime)}</p><table>\r\n${rows}\r\n</table></body></html>\r\n`;
}

/**
 * What the PowerShell tier's shim needs to answer Test-Cluster as the lab does: the nodes it can
 * name, and the results for each list of nodes a test may give from `host` (itself alone, with
 * each other server in either order, and every server of the world).
 */
export function validationDocument(host: LabHost, world: LabWorld): Record<string, unknown> {
  const lists: LabHost[][] = [[host]];
  for (const other of world.hosts) {
    if (other === host) continue;
    lists.push([host, other], [other, host]);
  }
  if (world.hosts.length > 2) lists.push([...world.hosts]);
  return {
    self: host.name,
    // A node that is down or refuses connections cannot be reached (nodeNamed/answers in lab/handlers/test-cluster.ts).
    nodes: world.hosts.map((h) => ({
      name: h.name,
      fqdn: `${h.name}.${h.profile.domain}`,
      reachable: !h.isDown() && !h.faults.refuseConnections,
    })),
    sets: lists.map((nodes) => ({
      key: nodes.map((n) => n.name.toLowerCase()).join(','),
      categories: validateCluster(nodes),
    })),
  };
}
