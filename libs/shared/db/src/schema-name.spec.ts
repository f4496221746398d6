// Proves only plain identifiers are accepted as schema names (they end up in SQL and channel names),
// with a table of accepted and rejected names.
import { describe, expect, it } from 'vitest';
import { DbErrorCodes } from './errors';
import { assertSchemaName, outboxChannel } from './schema-name';

describe('assertSchemaName', () => {
  it.each(['sb_ledger', 't_ab12_bot_gateway', '_private', 'a', 'x'.repeat(56)])('accepts %s', (name) => {
    expect(() => assertSchemaName(name)).not.toThrow();
  });

  it.each(['', 'Sb_ledger', 'sb-ledger', '1abc', 'sb.ledger', 'sb"; drop table x; --', 'pg_temp', 'x'.repeat(57), 'sb ledger'])(
    'rejects %j',
    (name) => {
      expect(() => assertSchemaName(name)).toThrow(expect.objectContaining({ code: DbErrorCodes.invalidSchemaName }));
    },
  );

  it('keeps the longest outbox channel within 63 bytes', () => {
    expect(outboxChannel('x'.repeat(56)).length).toBe(63);
  });
});
