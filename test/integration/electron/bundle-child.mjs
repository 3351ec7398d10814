/**
 * Loads the desktop bundle as Electron would (`electron dist-electron/main.js --lab`), with the
 * `electron` module replaced by electron-stub.mjs; then asks the app what a renderer would, prints
 * one JSON line and quits the app the way Electron does.
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
const win = s.windows[0];
const call = s.handlers.get('twinlock:call');
const page = { senderFrame: { parent: null, url: 'app://twinlock/index.html' } };
const suggestions = call ? await call(page, 'suggestions', {}) : null;
const foreign = call
  ? await call({ senderFrame: { parent: null, url: 'https://example.com/' } }, 'sessions', {})
  : null;
// File › Export bundle… only asks the page (which holds the configuration): no dialog in the shell.
// The click sends the command at once (electron/ipc.ts menu()), so it is recorded when click returns.
const exportItem = s.menu
  ?.find((m) => m.label === 'File')
  ?.submenu?.find((i) => i.label === 'Export bundle…');
exportItem?.click?.();
const serve = s.protocolHandlers.get('app');
const index = serve ? await serve({ url: 'app://twinlock/index.html' }) : null;
const html = index ? await index.text() : '';
const result = {
  windows: s.windows.length,
  loaded: win?.loaded ?? null,
  preload: win?.options?.webPreferences?.preload ?? null,
  sandbox: win?.options?.webPreferences?.sandbox ?? null,
  labHosts: suggestions?.ok ? suggestions.result.hosts.map((h) => h.name) : suggestions,
  foreign: foreign?.ok === false ? foreign.error.message : foreign,
  foreignCode: foreign?.ok === false ? foreign.error.code : null,
  menu: s.sent.filter(([channel]) => channel === 'twinlock:menu'),
  dialogs: s.dialogs,
  page: index
    ? {
        status: index.status,
        csp: index.headers.get('content-security-policy'),
        hasApp: html.includes('<div id="app"'),
      }
    : null,
  errors: s.errors,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
// Electron quits by emitting before-quit; the app closes the engine and the lab, then calls quit.
s.app.emit('before-quit', { preventDefault: () => undefined });
await until(() => s.quitCalls > 0, 'quit');
process.exit(s.quitCalls > 0 ? 0 : 3);
