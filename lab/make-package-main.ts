/**
 * `npx tsx lab/make-package-main.ts [outDir] [version] [signerSubject]`: writes an agent package.
 * A file of its own, so that bundling the lab (into the desktop app) never runs it.
 */
import { makePackage } from './make-package';

const [outDir = 'resources/agent', version, signer] = process.argv.slice(2);
const { manifest, filePath } = makePackage({ outDir, version, ...(signer ? { signerSubject: signer } : {}) });
process.stdout.write(`${filePath}: ${manifest.size} bytes, sha256 ${manifest.sha256}\n`);
