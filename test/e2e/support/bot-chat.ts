import type { BotApiEmulator, EmulatedUser, SentMessage } from '@strongbox/shared-testing';

// ---------------------------------------------------------------------------------------------
// A person chatting with the bot through the Bot API emulator: write, press a button by its label,
// and wait for the bot's next message in the chat that matches what the test expects.
// ---------------------------------------------------------------------------------------------

/** How long a step waits for the bot's answer. */
const ANSWER_TIMEOUT_MS = 30_000;

export interface BotChat {
  /** The highest message id the chat has seen from the bot so far (0 before any). */
  lastMessageId(chatId: number): number;
  /** Does something as the user and waits for the bot's next message in the chat matching `pattern`. */
  answerTo(user: EmulatedUser, act: () => Promise<unknown>, pattern: RegExp): Promise<SentMessage>;
  /** Writes `text` and waits for the answer matching `pattern`. */
  say(user: EmulatedUser, text: string, pattern: RegExp): Promise<SentMessage>;
  /** The callback data of the button whose label matches `label` on `message`; throws when there is none. */
  buttonData(message: SentMessage, label: RegExp): string;
  /** Presses the button whose label matches `label` on `message` and waits for the answer matching `pattern`. */
  press(user: EmulatedUser, message: SentMessage, label: RegExp, pattern: RegExp): Promise<SentMessage>;
}

export function botChat(emulator: BotApiEmulator): BotChat {
  const chat: BotChat = {
    lastMessageId(chatId) {
      return emulator.sentMessages(chatId).reduce((highest, message) => Math.max(highest, message.messageId), 0);
    },
    async answerTo(user, act, pattern) {
      const after = chat.lastMessageId(user.userId);
      await act();
      return emulator.waitForMessage((m) => m.chatId === user.userId && m.messageId > after && pattern.test(m.text ?? m.caption ?? ''), {
        timeoutMs: ANSWER_TIMEOUT_MS,
      });
    },
    say(user, text, pattern) {
      return chat.answerTo(user, () => emulator.sendMessage(user, text), pattern);
    },
    buttonData(message, label) {
      const rows = (message.replyMarkup as { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> } | undefined)?.inline_keyboard ?? [];
      const button = rows.flat().find((candidate) => label.test(candidate.text));
      if (!button?.callback_data) throw new Error(`no button ${label} on message ${message.messageId}: ${JSON.stringify(rows)}`);
      return button.callback_data;
    },
    press(user, message, label, pattern) {
      const data = chat.buttonData(message, label);
      return chat.answerTo(user, () => emulator.pressButton(user, message, data), pattern);
    },
  };
  return chat;
}
