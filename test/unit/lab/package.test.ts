import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makePackage, TWINLOCK_SIGNER_SUBJECT } from '../../../lab/make-package';
import { decodeHeader, readHeader, signatureStatus, thumbprintFor } from '../../../lab/package-format';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'twinlock-pkg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the bundled agent package', () => {
  const bytes = readFileSync(join(AGENT_DIR, manifest.file));

  it('matches its manifest (size and SHA-256)', () => {
    expect(bytes.length).toBe(manifest.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
  });

  it('follows the agent contract (docs/agent-contract.md)', () => {
    expect(manifest).toMatchObject({
      name: 'TwinlockAgent',
      version: '3.2.1',
      file: 'TwinlockAgent-3.2.1-x64.msi',
      signer: { subject: 'CN=Twinlock Software, O=Twinlock, C=US' },
      service: 'TwinlockAgent',
      ports: { sync: [7440, 7441], control: 7442 },
      minimumOs: { build: 17763 },
      installArgs: ['ALLUSERS=1'],
    });
    expect(manifest.productCode).toMatch(/^\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}$/);
    expect(manifest.upgradeCode).toMatch(/^\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}$/);
    expect(manifest.signer.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(manifest.size).toBeGreaterThan(2.5 * 1024 * 1024);
  });

  it('carries a header the lab reads, signed validly', () => {
    const header = readHeader(join(AGENT_DIR, manifest.file));
    expect(header).toMatchObject({
      version: '3.2.1',
      productCode: manifest.productCode,
      signer: manifest.signer,
    });
    expect(signatureStatus(bytes)).toBe('Valid');
  });

  it('is rebuilt byte for byte by make-package', () => {
    const { filePath, manifest: rebuilt } = makePackage({ outDir: join(tmp, 'same') });
    expect(rebuilt).toEqual(manifest);
    expect(readFileSync(filePath).equals(bytes)).toBe(true);
  });
});

describe('makePackage', () => {
  it('makes other versions with a new product code and the same upgrade code', () => {
    const { manifest: m } = makePackage({ outDir: join(tmp, 'v4'), version: '4.0.0', sizeBytes: 64 * 1024 });
    expect(m.version).toBe('4.0.0');
    expect(m.file).toBe('TwinlockAgent-4.0.0-x64.msi');
    expect(m.size).toBe(64 * 1024);
    expect(m.productCode).not.toBe(manifest.productCode);
    expect(m.upgradeCode).toBe(manifest.upgradeCode);
  });

  it('signs with another certificate, while the manifest may claim Twinlock', () => {
    const { filePath, manifest: m } = makePackage({
      outDir: join(tmp, 'evil'),
      signerSubject: 'CN=Someone Else',
      manifestSignerSubject: TWINLOCK_SIGNER_SUBJECT,
      sizeBytes: 32 * 1024,
    });
    expect(m.signer.thumbprint).toBe(manifest.signer.thumbprint);
    const header = decodeHeader(readFileSync(filePath))!.header;
    expect(header.signer).toEqual({
      subject: 'CN=Someone Else',
      thumbprint: thumbprintFor('CN=Someone Else'),
    });
  });

  it('reports NotSigned and HashMismatch', () => {
    const { filePath } = makePackage({
      outDir: join(tmp, 'unsigned'),
      signerSubject: null,
      sizeBytes: 16 * 1024,
    });
    expect(signatureStatus(readFileSync(filePath))).toBe('NotSigned');
    const { filePath: signed } = makePackage({ outDir: join(tmp, 'tampered'), sizeBytes: 16 * 1024 });
    const bytes = readFileSync(signed);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(signed, bytes);
    expect(signatureStatus(bytes)).toBe('HashMismatch');
    expect(signatureStatus(Buffer.from('MZ not a package'))).toBe('NotSigned');
  });
});
