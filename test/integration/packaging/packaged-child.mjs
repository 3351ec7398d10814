/**
 * Runs the installed app as Electron would start it (`Twinlock --lab`), from an app folder laid
 * out by scripts/lay-out-app.mjs, with `electron` replaced by the stub; then walks the wizard
 * through the window's IPC channel, as the page does: connect to both lab servers (accepting the
 * fingerprints shown), install the agent, propose the pair and pair the servers, wait for "protected". Prints
 * one JSON line and quits the app as Electron does.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const [main, stub] = process.argv.slice(2);
const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: ${JSON.stringify(pathToFileURL(stub).href)}, shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
process.argv = [process.argv[0], main, '--lab'];
await import(pathToFileURL(main).href);

/** Resolves once `ok()` holds, checking it now and at each of the stub's `event`s (no polling). */
const until = (ok, event) =>
  new Promise((resolve) => {
    const { events } = globalThis.__electronStub;
    const check = () => {
      if (!ok()) return;
      events.off(event, check);
      resolve();
    };
    events.on(event, check);
    check();
  });
await until(() => globalThis.__electronStub.windows.length > 0, 'window');
const s = globalThis.__electronStub;
const handler = s.handlers.get('twinlock:call');
const page = { senderFrame: { parent: null, url: 'app://twinlock/index.html' } };
const steps = [];
async function call(method, input) {
  const answer = await handler(page, method, input);
  steps.push({ method, ok: answer.ok, ...(answer.ok ? {} : { error: answer.error }) });
  return answer;
}
const must = async (method, input) => {
  const answer = await call(method, input);
  if (!answer.ok) throw new Error(`${method}: ${answer.error.code} ${answer.error.message}`);
  return answer.result;
};

const result = { steps, errors: s.errors };
try {
  const suggestions = await must('suggestions', {});
  const account = suggestions.labAccount;
  const sessions = [];
  for (const host of suggestions.hosts) {
    const request = {
      address: host.address,
      port: host.port,
      username: account.username,
      password: account.password,
    };
    const first = await call('connect', request);
    // As the wizard does: a host seen for the first time shows its fingerprint, the admin accepts it.
    const session = first.ok
      ? first.result
      : await must('connect', { ...request, acceptFingerprint: first.error.detail.fingerprint });
    sessions.push(session);
  }
  result.connected = sessions.map((x) => x.computerName);
  const ids = sessions.map((x) => x.sessionId);
  // As the wizard's Install screen does: the package's publisher is shown, the admin trusts it.
  const pkg = await must('agentPackage', {});
  await must('trustPublisher', { thumbprint: pkg.publisher.thumbprint });
  result.publisher = pkg.publisher.subject;
  const installed = await must('waitJob', { jobId: (await must('install', { sessions: ids })).jobId });
  result.install = {
    state: installed.state,
    error: installed.error,
    actions: installed.result?.map((r) => `${r.computerName} ${r.action} ${r.version}`),
  };
  const proposal = await must('proposePair', { primary: ids[0], secondary: ids[1] });
  const applied = await must('waitJob', { jobId: (await must('pair', proposal.config)).jobId });
  result.pair = { state: applied.state, error: applied.error, pair: applied.result?.state ?? null };
  result.status = [];
  for (const id of ids) {
    const status = await must('status', { sessionId: id });
    result.status.push({ role: status.role, pair: status.pair?.state ?? null });
  }
} catch (err) {
  result.failure = err instanceof Error ? err.message : String(err);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
s.app.emit('before-quit', { preventDefault: () => undefined });
await until(() => s.quitCalls > 0, 'quit');
process.exit(s.quitCalls > 0 ? 0 : 3);
