/**
 * "Why this must match", per rule: what the term means for someone who is not a cluster
 * specialist, and why two servers that run the same VMs side by side need it the same. Shown
 * behind each verification row (and in the report) when the admin opens it.
 */
export const RULE_EXPLANATIONS: Readonly<Record<string, string>> = {
  'agent.installed':
    'The Twinlock agent is the service that keeps the two servers in step. It is installed on the Install step; until then this only says whether it is there already.',
  'cpu.vendor':
    'Intel and AMD processors run the same programs but expose different virtualization features. A VM running on one cannot continue on the other without a restart.',
  'cpu.model':
    'At Levels 3 and 2 both servers run the same VM instruction by instruction. The processor model decides which instructions exist, so both must be the same model.',
  'cpu.signature':
    'Family, model and stepping are the processor’s exact revision (like a version number for the chip). Two revisions of one model can differ in small details that lockstep notices.',
  'cpu.microcode':
    'Microcode is the processor’s own firmware, updated by BIOS and Windows updates. Different microcode can change how some instructions behave, which breaks lockstep; update both servers to the same level.',
  'cpu.clock':
    'The processor speed. A slower secondary has to keep up with every instruction the primary runs; a large difference slows the protected VMs down.',
  'cpu.cores':
    'The number of processor cores. The secondary must be able to run every protected VM with the same number of virtual processors when it takes over.',
  'cpu.virtualization':
    'Hardware virtualization (Intel VT-x or AMD-V) lets Hyper-V run VMs. It is switched on in the server’s BIOS/UEFI setup; Windows shows it as off while Hyper-V is running, so Twinlock also checks whether a hypervisor is present.',
  'cpu.hypervisor':
    'Whether Windows is running under a hypervisor (Hyper-V). Twinlock protects Hyper-V VMs, so Hyper-V must be running on both servers.',
  'cpu.slat':
    'SLAT (Second Level Address Translation: Intel EPT, AMD RVI) is a processor feature Hyper-V needs to map VM memory efficiently. Every current server processor has it; an old one without it cannot run Hyper-V.',
  'memory.size':
    'Installed memory. When one server fails, the other must hold every protected VM’s memory on its own.',
  'memory.modules':
    'The memory modules (DIMMs) in each server. Different module layouts often mean different speeds or channels, which shows as uneven performance after a failover.',
  'memory.speed':
    'Memory speed in MT/s. At Level 3 the slower server sets the pace of both; matching speeds keep the protected VMs as fast as they are today.',
  'memory.vm-capacity':
    'Whether the memory left after Windows can hold every VM chosen for protection on one server alone — what has to happen when the other fails.',
  'firmware.system-model':
    'The server model (for example PowerEdge R760). Identical models behave identically in the details lockstep depends on: timers, interrupts and device layout.',
  'firmware.bios-version':
    'The BIOS/UEFI firmware version. Firmware sets processor features and microcode; two versions can present the processor differently to Hyper-V.',
  'os.edition':
    'The Windows Server edition (Standard, Datacenter). Failover and the number of VMs each server may run depend on the edition; both servers need the same rights.',
  'os.installation-type':
    'Server with Desktop Experience or Server Core. Both work, but a mix means different components and updates on each side.',
  'os.build':
    'The Windows version number (for example 20348 for Windows Server 2022). A VM moving between two Windows versions meets a different Hyper-V.',
  'os.ubr':
    'The Update Build Revision (UBR) is the last part of the Windows version, raised by every cumulative update (20348.2340 means build 20348, update 2340). Two servers on different updates run different Hyper-V code; install the same monthly update on both.',
  'os.hotfixes':
    'Updates (KB numbers) installed on one server and not the other. Each can change Hyper-V or drivers; install the missing ones so both run the same code.',
  'os.pending-reboot':
    'Windows is waiting for a restart to finish installing something. Twinlock may need to restart during the install, so a pending restart is best taken first.',
  'os.locale':
    'The system locale sets the code page, date and number formats programs see. A VM that moves to a server with another locale can read text and dates differently.',
  'os.power-plan':
    'The Windows power plan. Power saving lets processors slow down on their own, so one server can fall behind the other; High performance keeps both at full speed.',
  'network.business':
    'The adapter on your business network (the one with the default gateway): how users reach the VMs and how Twinlock reaches the servers.',
  'network.sync-nics':
    'Sync links are spare adapters cabled directly between the two servers. They carry every change from one server to the other, so they must not be shared with other traffic.',
  'network.link-speed':
    'The speed of the sync link adapters. At Levels 3 and 2 every memory and disk change crosses these links, so they need 10 Gbit/s or more on both ends.',
  'network.drivers':
    'The network adapter drivers. Different driver versions can handle traffic differently under load; keep the sync link adapters on the same driver.',
  'storage.disks':
    'The disks that hold the VMs. The secondary keeps a full copy of each protected VM, so it needs disks of similar size and speed.',
  'storage.capacity': 'Free space for the copies of the protected VMs on the other server.',
  'storage.system-free': 'Free space on the system drive (C:) for the agent, its logs and Windows updates.',
  'roles.hyperv':
    'Hyper-V is the Windows role that runs VMs. Twinlock protects Hyper-V VMs, so both servers need it installed.',
  'roles.clustering':
    'Failover Clustering is the Windows feature that restarts VMs on another server. Level 1 is built on it; at Levels 2 and 3 the agent keeps the VMs running instead, and a cluster on the same servers would fight it for them.',
  'roles.vm-names':
    'VMs are matched between the two servers by name. A VM of the same name already on the secondary would be overwritten, so names must not clash.',
  'time.skew':
    'The difference between the two servers’ clocks. Every mirrored operation carries a time stamp, and Windows logons between the servers (Kerberos) fail once the clocks are five minutes apart.',
  'time.zone':
    'The time zone. It does not affect protection, but two zones make the two servers’ logs hard to line up when something goes wrong.',
  'security.domain':
    'The Active Directory domain or workgroup. Both servers in the same domain share accounts and trust each other without extra set-up.',
  'security.firewall':
    'Windows Defender Firewall has three profiles (Domain, Private, Public), one per kind of network. It should be on for all three: the agent opens only its own ports.',
  'security.agent-ports':
    'The TCP ports the agent uses between the two servers (sync 7440–7441, control 7442). Something else listening there, or a rule blocking them, stops the pair from forming.',
  'cluster.feature':
    'Failover Clustering is the Windows Server feature Level 1 is built on: it watches both servers and restarts a failed server’s VMs on the other. It comes with Standard and Datacenter; Twinlock’s Install step turns it on.',
  'cluster.domain':
    'A failover cluster’s servers trust each other through Active Directory, so they must be members of the same domain. Two servers outside any domain can form a workgroup cluster instead, which needs the same local administrator account on both and a DNS suffix so the cluster’s name can be found.',
  'cluster.computer-object':
    'In a domain the cluster gets its own computer account in Active Directory, named like the cluster. Windows creates it with your account when the cluster is made, or uses one a domain administrator created in advance (prestaged, disabled). A name another computer already uses cannot be claimed.',
  'cluster.storage':
    'When a server fails, the other one restarts its VMs from the same files, so the VMs’ disks and configuration must be where both servers reach them: an SMB 3 file share, a Cluster Shared Volume, or shared disks (iSCSI, SAS, Fibre Channel) both servers see.',
  'cluster.address':
    'The cluster has its own static IPv4 address, which moves to whichever server runs the cluster. It must be free (nothing else answering on it) and in the business network’s subnet, where users and tools reach it.',
  'cluster.name':
    'The cluster’s name is a computer name on the network: up to 15 letters, digits or dashes, registered in DNS. Another computer or a stale record already holding it would make the cluster unreachable by name.',
  'cluster.logon':
    'Twinlock creates the cluster by running Windows’ New-Cluster on one server, which then signs in to the other server as you. A password logon lets Windows pass your identity on; a key-based SSH logon proves who you are to that one server only, so the second sign-in is refused.',
  'cluster.validation':
    'Test-Cluster is Windows’ own validation of a cluster before it is made: it checks inventory, network, storage, system configuration and Hyper-V on every server, test by test. Microsoft supports a cluster only when it passes; warnings point at weaknesses worth fixing.',
};

/** The explanation of a rule, or an empty string for a rule without one (a test keeps that from happening). */
export function explanationOf(ruleId: string): string {
  return RULE_EXPLANATIONS[ruleId] ?? '';
}
