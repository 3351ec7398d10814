/** An ApiClient that answers from handlers and lets a test push engine events. */
import type { ApiEvent, MethodName } from '../../../engine/api';
import type { ApiClient } from '../../../renderer/src/api/client';

type Handler = (input: never) => unknown;

export interface FakeClient extends ApiClient {
  calls: Array<{ method: MethodName; input: unknown }>;
  emit(event: ApiEvent): void;
  callsOf(method: MethodName): unknown[];
}

export function fakeClient(handlers: Partial<Record<MethodName, Handler>>): FakeClient {
  const listeners = new Set<(e: ApiEvent) => void>();
  const calls: Array<{ method: MethodName; input: unknown }> = [];
  return {
    calls,
    async call(method, input) {
      calls.push({ method, input });
      const handler = handlers[method];
      if (handler === undefined) {
        throw { code: 'not-found', message: `No handler for ${method} in this test.` };
      }
      return (await handler(input as never)) as never;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const l of [...listeners]) l(event);
    },
    callsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.input),
  };
}
