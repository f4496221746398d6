import { Composer, type Context } from 'grammy';
import type { LanguageCode } from '@strongbox/shared-contracts';
import type { Database } from '@strongbox/shared-db';
import { registerUser, type gatewaySchema } from '@strongbox/gateway-data-access';

/** Longest referral code accepted from a /start deep link (Telegram allows 64 characters). */
const REFERRAL_CODE_LENGTH_MAX = 64;
const REFERRAL_CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The product's language for a Telegram language code: Russian for `ru*`, English otherwise. */
export function languageFromTelegram(code: string | undefined): LanguageCode {
  return code?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

/** The referral code in `/start <code>`, when it is well-formed; anything else is ignored. */
export function referralCodeFromPayload(payload: string): string | null {
  const code = payload.trim();
  if (code.length === 0 || code.length > REFERRAL_CODE_LENGTH_MAX) return null;
  return REFERRAL_CODE_PATTERN.test(code) ? code : null;
}

/**
 * `/start`: registers the user (once) and leaves the welcome to the notifier, which sends it when
 * the ledger has opened the user's accounts — so the welcome means the wallet is really ready.
 */
export function createStartComposer(deps: {
  database: Database<typeof gatewaySchema>;
  namespace: string;
}): Composer<Context> {
  const composer = new Composer<Context>();
  composer.chatType('private').command('start', async (ctx) => {
    const from = ctx.from;
    await deps.database.db.transaction(
      async (tx) => {
        await registerUser(tx, {
          namespace: deps.namespace,
          telegramUserId: BigInt(from.id),
          chatId: BigInt(ctx.chat.id),
          languageCode: languageFromTelegram(from.language_code),
          referralCode: referralCodeFromPayload(ctx.match),
        });
      },
      { isolationLevel: 'read committed' },
    );
  });
  return composer;
}
