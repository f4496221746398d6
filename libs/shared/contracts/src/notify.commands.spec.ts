import { describe, expect, it } from 'vitest';
import { allCommands } from './ledger.commands';
import { BROADCAST_TEXT_LENGTH_MAX, broadcastV1 } from './notify.commands';

const request = { idempotencyKey: 'broadcast-0001', adminId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e', texts: { en: 'Maintenance at 02:00 UTC.', ru: 'Техработы в 02:00 UTC.' } };

describe('notify.cmd.broadcast.v1', () => {
  it('is in the command catalogue, idempotent, on the notify context', () => {
    expect(allCommands).toContain(broadcastV1);
    expect(broadcastV1.type).toBe('notify.cmd.broadcast.v1');
    expect(broadcastV1.idempotent).toBe(true);
  });

  it('takes a text per language of 1..4096 characters, markup characters included', () => {
    expect(broadcastV1.request.safeParse(request).success).toBe(true);
    expect(broadcastV1.request.safeParse({ ...request, texts: { en: '*_<b>', ru: 'x'.repeat(BROADCAST_TEXT_LENGTH_MAX) } }).success).toBe(true);
  });

  it.each([
    ['a missing language', { texts: { en: 'Hello' } }],
    ['an empty text', { texts: { en: '', ru: 'Привет' } }],
    ['a whitespace-only text', { texts: { en: ' \n ', ru: 'Привет' } }],
    ['a text over 4096 characters', { texts: { en: 'x'.repeat(BROADCAST_TEXT_LENGTH_MAX + 1), ru: 'Привет' } }],
    ['a bad admin id', { adminId: 'admin' }],
    ['a short idempotency key', { idempotencyKey: 'k1' }],
  ])('refuses %s', (_name, change) => {
    expect(broadcastV1.request.safeParse({ ...request, ...change }).success).toBe(false);
  });
});
