import type { Update } from 'grammy/types';

// ---------------------------------------------------------------------------------------------
// Updates as Telegram sends them, built by the tests that POST them to the webhook themselves
// (the emulator would deliver each once; these tests need to repeat, forge and break them).
// ---------------------------------------------------------------------------------------------

export interface FixtureUser {
  readonly userId: number;
  readonly firstName?: string;
  readonly languageCode?: string;
}

/** A private-chat text message update; a leading `/word` gets its bot_command entity, as Telegram does. */
export function messageUpdate(updateId: number, user: FixtureUser, text: string, messageId = updateId): Update {
  const command = /^\/[a-z0-9_]+/i.exec(text);
  const from = {
    id: user.userId,
    is_bot: false,
    first_name: user.firstName ?? 'Test',
    ...(user.languageCode === undefined ? {} : { language_code: user.languageCode }),
  };
  return {
    update_id: updateId,
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: user.userId, type: 'private', first_name: from.first_name },
      from,
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  } as Update;
}
