/** Processor rules: lockstep replays the same instruction stream on both CPUs, so they must match. */
import type { Rule } from './rule';
import { byLevel, finding, yesNo } from './rule';

/** Same CPU vendor (Intel vs AMD). */
export const cpuVendor: Rule = (a, b, level) => {
  const info = { ruleId: 'cpu.vendor', category: 'Processor', title: 'Processor vendor' };
  const same = a.processor.vendor === b.processor.vendor;
  return finding(
    info,
    same ? 'pass' : byLevel(level, { 1: 'warning', 2: 'blocker', 3: 'blocker' }),
    [a.processor.vendor, b.processor.vendor],
    same
      ? 'Both servers use the same processor vendor, so VMs can move between them.'
      : 'Intel and AMD processors have different instruction sets, so a VM cannot move or be mirrored between them.',
    'Use two servers with processors from the same vendor.',
  );
};

/** Same processor model (brand string). */
export const cpuModel: Rule = (a, b, level) => {
  const info = { ruleId: 'cpu.model', category: 'Processor', title: 'Processor model' };
  const same = a.processor.name.trim() === b.processor.name.trim();
  return finding(
    info,
    same ? 'pass' : byLevel(level, { 1: 'warning', 2: 'warning', 3: 'blocker' }),
    [a.processor.name, b.processor.name],
    same
      ? 'Both servers have the same processor model.'
      : 'Different processor models expose different features and speeds, which breaks lockstep and slows a failover.',
    'Fit both servers with the same processor model (same brand string in System Information).',
  );
};

/** Same family, model and stepping (the CPUID signature). */
export const cpuSignature: Rule = (a, b, level) => {
  const info = { ruleId: 'cpu.signature', category: 'Processor', title: 'Processor family, model and stepping' };
  const sig = (p: typeof a.processor) => `Family ${p.family}, model ${p.model}, stepping ${p.stepping}`;
  const same =
    a.processor.family === b.processor.family &&
    a.processor.model === b.processor.model &&
    a.processor.stepping === b.processor.stepping;
  return finding(
    info,
    same ? 'pass' : byLevel(level, { 1: 'pass', 2: 'warning', 3: 'blocker' }),
    [sig(a.processor), sig(b.processor)],
    same
      ? 'Both processors share the same family, model and stepping.'
      : level === 1
        ? 'The processors differ in stepping or model; failover clustering tolerates this, lockstep would not.'
        : 'Lockstep needs processors of the same family, model and stepping, because they must execute every instruction identically.',
    'Use processors from the same production batch (same stepping), or choose a lower protection level.',
  );
};

/** Same number of sockets, cores and threads. */
export const cpuCores: Rule = (a, b, level) => {
  const info = { ruleId: 'cpu.cores', category: 'Processor', title: 'Processor cores' };
  const shape = (p: typeof a.processor) => `${p.sockets} × ${p.cores / Math.max(p.sockets, 1)} cores, ${p.threads} threads`;
  const same =
    a.processor.sockets === b.processor.sockets &&
    a.processor.cores === b.processor.cores &&
    a.processor.threads === b.processor.threads;
  return finding(
    info,
    same ? 'pass' : byLevel(level, { 1: 'warning', 2: 'warning', 3: 'blocker' }),
    [shape(a.processor), shape(b.processor)],
    same
      ? 'Both servers have the same number of sockets, cores and threads.'
      : 'A protected VM must find the same processor layout on either server, or it runs slower (or not at all) after a failover.',
    'Match the processor count and enable or disable hyper-threading the same way in both servers’ firmware.',
  );
};

/** Hardware virtualization (VT-x / AMD-V) enabled in firmware on both. */
export const cpuVirtualization: Rule = (a, b) => {
  const info = { ruleId: 'cpu.virtualization', category: 'Processor', title: 'Virtualization in firmware' };
  const ok = a.processor.virtualizationEnabled && b.processor.virtualizationEnabled;
  return finding(
    info,
    ok ? 'pass' : 'blocker',
    [yesNo(a.processor.virtualizationEnabled), yesNo(b.processor.virtualizationEnabled)],
    ok
      ? 'Hardware virtualization is available on both servers.'
      : 'Hyper-V cannot run VMs unless Intel VT-x or AMD-V is enabled in the server’s firmware.',
    'Restart the server marked No, enter its BIOS/UEFI setup, enable Intel VT-x (Virtualization Technology) or AMD-V (SVM), save and restart.',
  );
};

/** Second Level Address Translation (EPT / RVI) on both. */
export const cpuSlat: Rule = (a, b) => {
  const info = { ruleId: 'cpu.slat', category: 'Processor', title: 'Second Level Address Translation (SLAT)' };
  const ok = a.processor.slat && b.processor.slat;
  return finding(
    info,
    ok ? 'pass' : 'blocker',
    [yesNo(a.processor.slat), yesNo(b.processor.slat)],
    ok
      ? 'Both processors support SLAT, which Hyper-V requires.'
      : 'Hyper-V on Windows Server 2016 and later requires a processor with SLAT (Intel EPT or AMD RVI).',
    'Enable EPT/RVI in the firmware if it is switched off; otherwise this server’s processor cannot host protected VMs.',
  );
};

/** Every processor rule, in report order. */
export const processorRules: Rule[] = [cpuVendor, cpuModel, cpuSignature, cpuCores, cpuVirtualization, cpuSlat];
