/** What an admin does before the first install: look at the package's publisher, compare, trust it. */
import type { TwinlockApi } from '../../../engine/api';

/** Trusts the publisher of the package (the bundled one by default); returns its thumbprint. */
export async function trustPackagePublisher(
  api: TwinlockApi,
  ref: { packageDir?: string } = {},
): Promise<string> {
  const info = await api.agentPackage(ref);
  await api.trustPublisher({ thumbprint: info.publisher.thumbprint, ...ref });
  return info.publisher.thumbprint;
}
