/** Two connected servers (sA = HV-A, sB = HV-B) behind a fake client, for store tests. */
import type { ApiInput, MethodName } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useDiscoveryStore } from '../../../renderer/src/stores/discovery';
import { useHostsStore } from '../../../renderer/src/stores/hosts';
import { fakeClient } from './fake-client';
import type { FakeClient } from './fake-client';

type Handler = (input: never) => unknown;

function connect(input: ApiInput<'connect'>) {
  const first = input.address.endsWith('21');
  return {
    sessionId: first ? 'sA' : 'sB',
    address: input.address,
    port: 22,
    username: 'Administrator',
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    newlyPinned: false,
    computerName: first ? 'HV-A' : 'HV-B',
    osCaption: 'Windows Server 2022',
    isAdmin: true,
  };
}

/** A fake client answering `handlers`, with both servers picked and connected. */
export async function withTwoSessions(handlers: Partial<Record<MethodName, Handler>>): Promise<FakeClient> {
  const client = fakeClient({ connect: connect as Handler, ...handlers });
  setApiClient(client);
  const discovery = useDiscoveryStore();
  discovery.addHost('10.0.0.21');
  discovery.addHost('10.0.0.22');
  const hosts = useHostsStore();
  Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'secret' });
  await hosts.connectAll();
  return client;
}
