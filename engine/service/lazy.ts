/**
 * Modules the engine loads on first use. Each loader keeps the promise of its first `import()`,
 * so that later calls cost nothing: under a module loader with hooks (tsx), every fresh
 * `import()` would otherwise make a round trip to the loader for a module already loaded.
 */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | null = null;
  return () => (loaded ??= load());
}

export const inventoryParser = lazy(() => import('../inventory/parse'));
export const remoteSession = lazy(() => import('../remote/session'));
export const verification = lazy(() => import('../verify/verifier'));
export const agentInstaller = lazy(() => import('../agent/install'));
export const packageSource = lazy(() => import('../agent/package-source'));
export const pairProposal = lazy(() => import('../pair/propose'));
export const pairTransaction = lazy(() => import('../pair/transaction'));
export const pairStatus = lazy(() => import('../pair/status'));
export const pairPreflight = lazy(() => import('../pair/preflight'));
export const pairUnpair = lazy(() => import('../pair/unpair'));
export const bundleCheck = lazy(() => import('../bundle/bundle'));
export const bundleExport = lazy(() => import('../bundle/export'));
export const bundleReader = lazy(() => import('../bundle/read-bundle'));
export const trustedKeyStore = lazy(() => import('../bundle/trusted-keys'));
