// Table-driven: every kind of update lands in its chat's partition (so a chat's updates stay in
// order), the message id names bot and update, and a stored body without a valid update_id is
// refused by the decoder (dead-lettered at once by the consumer runner).
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { decodeStoredUpdate } from './update.decode';
import { chatIdOfUpdate, partitionOfUpdate, updateMessageId } from './update.store';

const chat = { id: -1001234567, type: 'supergroup', title: 'g' };
const from = { id: 77, is_bot: false, first_name: 'A' };

describe('partitions', () => {
  it.each([
    ['message', { update_id: 1, message: { message_id: 1, date: 0, chat, from } }, chat.id],
    ['edited message', { update_id: 1, edited_message: { message_id: 1, date: 0, chat, from, edit_date: 0 } }, chat.id],
    ['button press under a message', { update_id: 1, callback_query: { id: 'q', from, chat_instance: 'c', message: { message_id: 1, date: 0, chat } } }, chat.id],
    ['button press without message', { update_id: 1, callback_query: { id: 'q', from, chat_instance: 'c' } }, 77],
    ['inline query', { update_id: 1, inline_query: { id: 'i', from, query: '', offset: '' } }, 77],
    ['message without chat (malformed)', { update_id: 1, message: { message_id: 1, date: 0, from } }, 77],
    ['nothing to go by', { update_id: 1, poll: { id: 'p' } }, undefined],
  ])('%s → chat %s', (_name, update, chatId) => {
    expect(chatIdOfUpdate(update as unknown as Update)).toBe(chatId);
  });

  it('one chat, one partition; negative ids included; chat-less updates in 0', () => {
    const update = (id: number) => ({ update_id: 1, message: { message_id: 1, date: 0, chat: { id, type: 'private' } } }) as unknown as Update;
    expect(partitionOfUpdate(update(35), 16)).toBe(3);
    expect(partitionOfUpdate(update(-35), 16)).toBe(3);
    expect(partitionOfUpdate({ update_id: 1 } as Update, 16)).toBe(0);
  });

  it('message id: bot and update', () => {
    expect(updateMessageId(123, { update_id: 456 })).toBe('tg:123:456');
  });
});

describe('decodeStoredUpdate', () => {
  it.each([[null], [[]], ['x'], [{}], [{ update_id: '1' }], [{ update_id: -1 }], [{ update_id: 1.5 }], [{ update_id: 2 ** 60 }]])('refuses %j', (raw) => {
    expect(() => decodeStoredUpdate(raw)).toThrow(/not a Telegram update/);
  });

  it('accepts an update', () => {
    expect(decodeStoredUpdate({ update_id: 0, message: {} })).toEqual({ update_id: 0, message: {} });
  });
});
