// Proves that each of the five built services runs the inbox housekeeping: with the pause between
// passes set to 1 s (INBOX_PURGE_INTERVAL_MS) and the retention left at its 2-day default, an inbox
// row processed just over 2 days ago disappears from every service's schema, a row just under 2 days
// old stays, and each service's /metrics counts the purged row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES, type ServiceName } from '@strongbox/shared-stack';
import { waitFor } from '@strongbox/shared-testing';
import { startE2eStack, type E2eStack } from './support/e2e-stack';

const HOUR_MS = 60 * 60 * 1_000;
/** The default INBOX_RETENTION_MS the services run with in this test. */
const RETENTION_MS = 48 * HOUR_MS;
const PROBE_CONSUMER = 'e2e-inbox-housekeeping-probe';

let e2e: E2eStack;

beforeAll(async () => {
  const extraEnv: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const service of SERVICE_NAMES) extraEnv[service] = { INBOX_PURGE_INTERVAL_MS: '1000' };
  e2e = await startE2eStack({ extraEnv });
}, 180_000);

afterAll(async () => {
  await e2e?.teardown();
}, 60_000);

async function probeRows(service: ServiceName): Promise<string[]> {
  const rows = await e2e.rows<{ event_id: string }>(service, 'select event_id from %schema%.inbox where consumer = $1 order by event_id', [PROBE_CONSUMER]);
  return rows.map((row) => row.event_id);
}

/** The value of `strongbox_housekeeping_rows_purged_total{table="inbox"}` on a service's /metrics. */
async function purgedCounted(service: ServiceName): Promise<number> {
  const text = await (await fetch(`${e2e.stack.services[service].opsUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith('strongbox_housekeeping_rows_purged_total{') && candidate.includes('table="inbox"'));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('inbox housekeeping in every service', () => {
  it('purges the inbox rows older than the retention and keeps the younger ones, in all five services', async () => {
    for (const service of SERVICE_NAMES) {
      await e2e.rows(
        service,
        `insert into %schema%.inbox (consumer, event_id, processed_at) values
           ($1, 'old', now() - interval '1 millisecond' * $2::double precision),
           ($1, 'young', now() - interval '1 millisecond' * $3::double precision)`,
        [PROBE_CONSUMER, RETENTION_MS + HOUR_MS, RETENTION_MS - HOUR_MS],
      );
    }

    for (const service of SERVICE_NAMES) {
      await waitFor(async () => !(await probeRows(service)).includes('old'), { timeoutMs: 20_000, description: `${service} purged its old inbox row` });
      expect(await probeRows(service), service).toEqual(['young']);
      expect(await purgedCounted(service), service).toBeGreaterThanOrEqual(1);
    }
  });
});
