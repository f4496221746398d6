import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local stand-in for the exchange-rate API: answers what the test sets, counts requests.

export type FakeRatesAnswer = { readonly status: number; readonly body: string } | 'hang';

export interface FakeRatesServer {
  readonly url: string;
  /** The answer to every following request. */
  answer(next: FakeRatesAnswer): void;
  /** Answers `{ asOf, rates }` with status 200. */
  answerRates(asOf: Date, rates: Record<string, Record<string, string>>): void;
  requests(): number;
  close(): Promise<void>;
}

export async function startFakeRatesServer(): Promise<FakeRatesServer> {
  let current: FakeRatesAnswer = { status: 503, body: 'not ready' };
  let count = 0;
  const server: Server = createServer((request, response) => {
    count += 1;
    request.resume();
    const answer = current;
    if (answer === 'hang') return;
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/rates`,
    answer: (next) => {
      current = next;
    },
    answerRates: (asOf, rates) => {
      current = { status: 200, body: JSON.stringify({ asOf: asOf.toISOString(), rates }) };
    },
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
