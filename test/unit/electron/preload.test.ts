import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./fake-electron')).electron);

const { electron } = await import('./fake-electron');
await import('../../../electron/preload');

interface Bridge {
  call(method: string, input: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
  onMenu(listener: (command: unknown) => void): () => void;
}

describe('preload', () => {
  const [[key, bridge]] = electron.contextBridge.exposeInMainWorld.mock.calls as unknown as [
    [string, Bridge],
  ];

  it('exposes exactly window.twinlock = { call, onEvent, onMenu }', () => {
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect(key).toBe('twinlock');
    expect(Object.keys(bridge).sort()).toEqual(['call', 'onEvent', 'onMenu']);
    expect(Object.values(bridge).every((v) => typeof v === 'function')).toBe(true);
  });

  it('sends calls on twinlock:call', async () => {
    await bridge.call('sessions', {});
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('twinlock:call', 'sessions', {});
  });

  it('passes events on without the IPC event (no way back to ipcRenderer)', () => {
    const listener = vi.fn();
    const stop = bridge.onEvent(listener);
    const [channel, forward] = electron.ipcRenderer.on.mock.calls[0] as unknown as [
      string,
      (...a: unknown[]) => void,
    ];
    expect(channel).toBe('twinlock:event');
    forward({ sender: 'ipcRenderer' }, { type: 'log' });
    expect(listener).toHaveBeenCalledWith({ type: 'log' });
    expect(listener.mock.calls[0]).toHaveLength(1);
    stop();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith('twinlock:event', forward);
  });

  it('passes menu commands on from twinlock:menu, without the IPC event', () => {
    electron.ipcRenderer.on.mockClear();
    const listener = vi.fn();
    const stop = bridge.onMenu(listener);
    const [channel, forward] = electron.ipcRenderer.on.mock.calls[0] as unknown as [
      string,
      (...a: unknown[]) => void,
    ];
    expect(channel).toBe('twinlock:menu');
    forward({ sender: 'ipcRenderer' }, 'export-bundle');
    expect(listener).toHaveBeenCalledWith('export-bundle');
    expect(listener.mock.calls[0]).toHaveLength(1);
    stop();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith('twinlock:menu', forward);
  });
});
