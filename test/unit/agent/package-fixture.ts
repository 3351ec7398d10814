/** A real agent package folder on disk (manifest + a small stand-in MSI). */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const THUMBPRINT = '3F2A9C1D5E7B8A604C1D2E3F4A5B6C7D8E9F0A1B';
export const SUBJECT = 'CN=Twinlock Software, O=Twinlock, C=US';
export const PRODUCT_CODE = '{6F1D2C3B-4A59-4E8F-9A0B-1C2D3E4F5A6B}';

/** Writes a package; returns its folder and the manifest written. */
export async function makePackage(version = '3.2.1', overrides: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'twinlock-pkg-'));
  const msi = randomBytes(4096);
  const file = `TwinlockAgent-${version}-x64.msi`;
  await writeFile(join(dir, file), msi);
  const manifest = {
    name: 'TwinlockAgent',
    version,
    file,
    size: msi.length,
    sha256: createHash('sha256').update(msi).digest('hex'),
    productCode: PRODUCT_CODE,
    upgradeCode: '{0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9}',
    signer: { subject: SUBJECT, thumbprint: THUMBPRINT },
    service: 'TwinlockAgent',
    ports: { sync: [7440, 7441], control: 7442 },
    minimumOs: { build: 17763 },
    installArgs: ['ALLUSERS=1'],
    ...overrides,
  };
  await writeFile(join(dir, 'agent-manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest, msi };
}
