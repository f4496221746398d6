// Proves that no secret or personal datum survives into a log line while ordinary fields do: a real
// pino logger from createLogger writes to an in-memory stream, and each table row logs one value
// (in an object, nested, in a child binding, in an error, in the message) and checks the parsed
// JSON line for what must be gone and what must stay.
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { createLogger } from './logger';
import { LOG_ARRAY_ITEMS_MAX, LOG_DEPTH_MAX, REDACTED, maskSensitiveText } from './log.redaction';

function capture(level = 'trace'): { logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const logger = createLogger({ service: 'ledger', namespace: 't_log', level, destination: { write: (chunk: string) => void chunks.push(chunk) } });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const BOT_TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ';
const EVM_ADDRESS = '0x52908400098527886E0F7030069857D2E4169EE7';
const TX_HASH = '0x88df016429689c079f3b2f6ad39fa052532c56795b733da78a91ebe6a713944b';

type Row = [name: string, log: (logger: Logger) => void, gone: string[], kept: string[]];

const rows: Row[] = [
  ['password at the top level', (l) => l.info({ password: 'hunter2-secret', userId: 'u-1' }, 'login'), ['hunter2-secret'], ['u-1', REDACTED]],
  ['token, botToken and BOT_TOKEN', (l) => l.info({ token: 'tok-AAA', botToken: 'tok-BBB', BOT_TOKEN: 'tok-CCC' }), ['tok-AAA', 'tok-BBB', 'tok-CCC'], []],
  ['secret, apiKey, privateKey, mnemonic, seed, xprv', (l) => l.info({ secret: 's-1', apiKey: 's-2', api_key: 's-3', privateKey: 's-4', mnemonic: 's-5 s-5', seed: 's-6', xprv: 's-7' }), ['s-1', 's-2', 's-3', 's-4', 's-5', 's-6', 's-7'], []],
  ['hot-wallet and encryption keys, but not idempotency or Redis keys', (l) => l.info({ hotWalletKey: 'k-1', encryption_key: 'k-2', HMAC_KEY: 'k-3', idempotencyKey: 'idem-7', redisKey: 'sb:bot-gateway:x' }), ['k-1', 'k-2', 'k-3'], ['idem-7', 'sb:bot-gateway:x']],
  ['authorization and cookie headers, deep', (l) => l.info({ request: { headers: { authorization: 'Bearer abc.def', cookie: 'sid=xyz', 'set-cookie': ['sid=qqq'], accept: 'application/json' } } }), ['abc.def', 'sid=xyz', 'sid=qqq'], ['application/json']],
  ['Telegram webhook secret header', (l) => l.info({ headers: { 'x-telegram-bot-api-secret-token': 'whsec-123' } }), ['whsec-123'], []],
  ['secrets five levels down', (l) => l.info({ a: { b: { c: { d: { password: 'deep-pw' } } } } }), ['deep-pw'], []],
  ['secrets inside arrays', (l) => l.info({ admins: [{ login: 'ops', password: 'arr-pw' }] }), ['arr-pw'], ['ops']],
  ['databaseUrl credentials', (l) => l.info({ databaseUrl: 'postgres://strongbox:db-pw-123@10.0.0.5:5432/strongbox' }), ['db-pw-123', 'strongbox:'], ['10.0.0.5:5432/strongbox']],
  ['redisUrl credentials', (l) => l.info({ redisUrl: 'redis://:redis-pw@127.0.0.1:6379/0' }), ['redis-pw'], ['127.0.0.1:6379']],
  ['credentials in a URL inside a message', (l) => l.warn('cannot reach nats://user:nats-pw@nats:4222'), ['nats-pw'], ['nats:4222']],
  ['secret query parameters', (l) => l.info({ url: 'https://rpc.example/v3?apikey=q-key-1&chain=1' }), ['q-key-1'], ['chain=1']],
  ['a bot token in a value', (l) => l.info({ note: `token is ${BOT_TOKEN}` }), ['AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ'], ['7012345678:***']],
  ['a bot token inside a Bot API URL', (l) => l.error(`POST https://api.telegram.org/bot${BOT_TOKEN}/sendMessage failed`), ['AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ'], ['/sendMessage']],
  ['an EVM address keeps first 6 and last 4', (l) => l.info({ to: EVM_ADDRESS }), [EVM_ADDRESS], ['0x5290…9EE7']],
  ['a transaction hash is not an address', (l) => l.info({ txHash: TX_HASH }), [], [TX_HASH]],
  ['an e-mail address in a value', (l) => l.info({ contact: 'alice.smith@example.com' }), ['alice.smith', 'example.com'], ['a***@***.com']],
  ['an e-mail address in the message', (l) => l.info('mail from bob@corp.example.org bounced'), ['bob@corp'], ['b***@***.org']],
  ['an international phone number in text', (l) => l.info({ note: 'call +7 (916) 123-45-67 today' }), ['916', '123-45'], ['+***67', 'today']],
  ['a phone number under a phone key', (l) => l.info({ phone_number: '79161234567', phone: 79161234568 }), ['79161234567', '79161234568'], ['***67', '***68']],
  ['names in name fields', (l) => l.info({ user: { first_name: 'Alice', lastName: 'Smith', username: 'alice_s', name: 'Alice Smith' } }), ['Alice', 'Smith', 'alice_s'], ['A***', 'S***', 'a***']],
  ['a PEM private key', (l) => l.info({ blob: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----' }), ['MHcCAQEEIBkg'], [REDACTED]],
  ['an extended private key in text', (l) => l.info({ note: 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi' }), ['9s21ZrQH143K'], []],
  ['ordinary fields', (l) => l.info({ userId: '0193f0c0-0000-7000-8000-000000000001', amountMinor: 1500000n, asset: 'USDT', blockNumber: 19_000_000, ok: true }, 'transfer posted'), [], ['0193f0c0-0000-7000-8000-000000000001', '"1500000"', 'USDT', '19000000', 'transfer posted']],
];

describe('createLogger redaction and masking', () => {
  it.each(rows)('%s', (_name, log, gone, kept) => {
    const { logger, text } = capture();
    log(logger);
    const output = text();
    expect(output.length).toBeGreaterThan(0);
    for (const value of gone) expect(output).not.toContain(value);
    for (const value of kept) expect(output).toContain(value);
  });

  it('masks child bindings, also of grandchildren and after setBindings', () => {
    const { logger, text } = capture();
    const child = logger.child({ password: 'child-pw', chatId: '42' });
    const grandchild = child.child({ user: { firstName: 'Grace' }, dsn: 'postgres://a:grand-pw@h/db' });
    grandchild.info('hello');
    grandchild.setBindings({ token: 'later-token' });
    grandchild.info('again');
    const output = text();
    for (const value of ['child-pw', 'Grace', 'grand-pw', 'later-token']) expect(output).not.toContain(value);
    expect(output).toContain('"chatId":"42"');
  });

  it('serialises errors with their type, code and cause, masked', () => {
    class PaymentError extends Error {
      override readonly name = 'PaymentError';
      readonly code = 'LEDGER_ERR_X';
      readonly email = 'payer@example.com';
    }
    const { logger, lines } = capture();
    const error = new PaymentError('failed for carol@example.com', { cause: new Error('connect postgres://u:cause-pw@db/x') });
    logger.error({ err: error }, 'payment failed');
    logger.error(new Error(`token ${BOT_TOKEN} refused`));
    const [first, second] = lines();
    const err = first!['err'] as Record<string, unknown>;
    expect(err['type']).toBe('PaymentError');
    expect(err['name']).toBe('PaymentError');
    expect(err['code']).toBe('LEDGER_ERR_X');
    expect(err['message']).toContain('c***@***.com');
    expect(err['message']).toContain('postgres://***@db/x');
    expect(JSON.stringify(first)).not.toMatch(/carol@|cause-pw|payer@/);
    expect(String(second!['msg'])).not.toContain('AAHdqTcv');
    expect(JSON.stringify(second)).not.toContain('AAHdqTcv');
  });

  it('writes base fields, a string level and an ISO time', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.info({ n: 1 }, 'shown');
    const all = lines();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ level: 'info', service: 'ledger', namespace: 't_log', n: 1, msg: 'shown' });
    expect(String(all[0]!['time'])).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(all[0]!['trace_id']).toBeUndefined();
  });

  it('bounds depth and array length, and survives cycles', () => {
    const { logger, lines } = capture();
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let level = 0; level < LOG_DEPTH_MAX + 4; level += 1) {
      const next: Record<string, unknown> = { password: `pw-${level}` };
      cursor['next'] = next;
      cursor = next;
    }
    const cyclic: Record<string, unknown> = { id: 'c' };
    cyclic['self'] = cyclic;
    logger.info({ deep, cyclic, items: Array.from({ length: LOG_ARRAY_ITEMS_MAX + 5 }, (_, index) => index) });
    const [line] = lines();
    const output = JSON.stringify(line);
    expect(output).not.toMatch(/pw-\d/);
    expect(output).toContain('[depth limit]');
    expect(output).toContain('[Circular]');
    expect((line!['items'] as unknown[]).at(-1)).toBe('[5 more items]');
  });
});

describe('maskSensitiveText', () => {
  it.each([
    ['plain text', 'block 19000000 confirmed', 'block 19000000 confirmed'],
    ['an ISO time with offset', '2025-01-01T10:00:00+03:00', '2025-01-01T10:00:00+03:00'],
    ['a UUID', '0193f0c0-0000-7000-8000-000000000001', '0193f0c0-0000-7000-8000-000000000001'],
    ['a short +number that is not a phone', 'delta +12 units', 'delta +12 units'],
    ['a lower-case address', '0xab5801a7d398351b8be11c439e05c5b3259aec9b', '0xab58…ec9b'],
    ['a bearer token', 'Authorization: Bearer eyJhbGciOi.x.y', 'Authorization: Bearer ***'],
  ])('handles %s', (_name, input, expected) => {
    expect(maskSensitiveText(input)).toBe(expected);
  });
});
