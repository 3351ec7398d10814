/**
 * The wizard's draft kept by the engine: saved and read back as it was, forgotten on request,
 * and never a secret (a draft carrying a password or key is refused, naming the field).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwinlockEngine, WizardDraft } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';

let dataDir: string;
let engine: TwinlockEngine;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-draft-'));
  engine = createEngine({ dataDir });
});

afterAll(async () => {
  await engine.close();
  await rm(dataDir, { recursive: true, force: true });
});

const draft: WizardDraft = {
  step: 'pair',
  servers: ['10.0.0.21:22', '10.0.0.22:22'],
  verifyLevel: 3,
  installJobId: 'job-1',
  pair: {
    name: 'SITE-B-PAIR',
    level: 3,
    links: [
      {
        localNic: 'SYNC1',
        remoteNic: 'SYNC1',
        localAddress: '10.10.1.999',
        remoteAddress: '',
        prefixLength: 30,
      },
    ],
    witnessMode: 'file-share',
    witnessAddresses: { host: '', 'file-share': '\\\\FILES\\twinlock', disk: '', cloud: '' },
    witnessPort: '',
    noWitnessAccepted: false,
    vms: ['SQL01'],
  },
  savedAt: '2026-12-02T15:00:00.000Z',
};

describe('the wizard draft', () => {
  it('is read back as it was saved (choices as typed, even not valid yet), and forgotten', async () => {
    expect(await engine.api.wizardDraft({})).toBeNull();
    await engine.api.saveWizardDraft({ draft });
    expect(await engine.api.wizardDraft({})).toEqual(draft);
    // Another engine on the same data folder (the app started again) reads it too.
    const again = createEngine({ dataDir });
    expect(await again.api.wizardDraft({})).toEqual(draft);
    await again.close();
    await engine.api.saveWizardDraft({ draft: null });
    expect(await engine.api.wizardDraft({})).toBeNull();
  });

  it('never holds a secret: a password or a key anywhere in it is refused, and nothing is written', async () => {
    await expect(
      engine.api.saveWizardDraft({ draft: { ...draft, password: 'secret' } as WizardDraft }),
    ).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(
      engine.api.saveWizardDraft({
        draft: { ...draft, pair: { ...draft.pair!, privateKey: 'KEY' } } as WizardDraft,
      }),
    ).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(readFile(join(dataDir, 'wizard-draft.json'), 'utf8')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
