import { randomBytes } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import { newId } from '@strongbox/shared-domain';
import { eventSubject, userLanguageChangedV1, userRegisteredV1, type LanguageCode } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { usersTable, type UserRow } from './gateway.schema';
import { hashNewRecoveryCode, newRecoveryCode } from './recovery.code';

export interface RegisterUserInput {
  readonly namespace: string;
  readonly telegramUserId: bigint;
  readonly chatId: bigint;
  readonly languageCode: LanguageCode;
  readonly referralCode: string | null;
}

/** On creation, the one-time recovery code to show the user now; it is stored only as a hash. */
export type RegisterUserResult =
  | { readonly created: true; readonly user: UserRow; readonly recoveryCode: string }
  | { readonly created: false; readonly user: UserRow };

/** A user's own referral code: 9 URL-safe characters (54 random bits), valid in a /start deep link. */
export function newReferralCode(): string {
  return randomBytes(7).toString('base64url').slice(0, 9);
}

/**
 * Registers a Telegram user once. In the caller's transaction: inserts the user (a unique index on
 * the Telegram id makes a concurrent or repeated /start a no-op) and, only when the row is new,
 * puts `bot.evt.user.registered.v1` into the outbox.
 */
export async function registerUser(tx: DbExecutor, input: RegisterUserInput): Promise<RegisterUserResult> {
  const now = new Date();
  // A code that names nobody (or a typo) registers the user without a referrer.
  const referrer =
    input.referralCode === null
      ? undefined
      : (await tx.select({ id: usersTable.id }).from(usersTable).where(eq(usersTable.ownReferralCode, input.referralCode)).limit(1))[0];
  const recoveryCode = newRecoveryCode();
  const inserted = await tx
    .insert(usersTable)
    .values({
      id: newId(),
      telegramUserId: input.telegramUserId,
      chatId: input.chatId,
      languageCode: input.languageCode,
      referralCode: input.referralCode,
      referrerUserId: referrer?.id ?? null,
      ownReferralCode: newReferralCode(),
      recoveryCodeHash: hashNewRecoveryCode(recoveryCode),
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: usersTable.telegramUserId })
    .returning();
  const created = inserted[0];
  if (created) {
    const event = userRegisteredV1.create({
      source: 'strongbox/bot-gateway',
      subject: created.id,
      time: now,
      data: {
        userId: created.id,
        telegramUserId: created.telegramUserId.toString(),
        chatId: created.chatId.toString(),
        languageCode: input.languageCode,
        referralCode: created.referralCode,
        referrerUserId: created.referrerUserId,
        registeredAt: now.toISOString(),
      },
    });
    await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
    return { created: true, user: created, recoveryCode };
  }
  const existing = await tx.select().from(usersTable).where(eq(usersTable.telegramUserId, input.telegramUserId)).limit(1);
  const user = existing[0];
  if (!user) throw new Error('user vanished between conflict and read');
  return { created: false, user };
}

export async function findUserByTelegramId(tx: DbExecutor, telegramUserId: bigint): Promise<UserRow | undefined> {
  const rows = await tx.select().from(usersTable).where(eq(usersTable.telegramUserId, telegramUserId)).limit(1);
  return rows[0];
}

export async function findUserById(tx: DbExecutor, userId: string): Promise<UserRow | undefined> {
  const rows = await tx.select().from(usersTable).where(eq(usersTable.id, userId)).limit(1);
  return rows[0];
}

/** The user a referral code belongs to, for showing who invited whom; undefined for an unknown code. */
export async function findUserByReferralCode(tx: DbExecutor, code: string): Promise<UserRow | undefined> {
  const rows = await tx.select().from(usersTable).where(eq(usersTable.ownReferralCode, code)).limit(1);
  return rows[0];
}

/** Sets the user's language; publishes `bot.evt.user.language-changed.v1` only when it changed. */
export async function changeLanguage(tx: DbExecutor, input: { namespace: string; userId: string; languageCode: LanguageCode }): Promise<boolean> {
  const now = new Date();
  const changed = await tx
    .update(usersTable)
    .set({ languageCode: input.languageCode, updatedAt: now })
    .where(and(eq(usersTable.id, input.userId), ne(usersTable.languageCode, input.languageCode)))
    .returning({ id: usersTable.id });
  if (changed.length === 0) return false;
  const event = userLanguageChangedV1.create({
    source: 'strongbox/bot-gateway',
    subject: input.userId,
    time: now,
    data: { userId: input.userId, languageCode: input.languageCode, changedAt: now.toISOString() },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
  return true;
}

/** Read model of the ledger's blacklist. */
export async function setBlacklisted(tx: DbExecutor, userId: string, blacklisted: boolean): Promise<void> {
  await tx.update(usersTable).set({ blacklisted, updatedAt: new Date() }).where(eq(usersTable.id, userId));
}

/** ISO 4217 codes the balance screen can show. */
export const FIAT_CURRENCIES = ['USD', 'EUR', 'RUB'] as const;
export type FiatCurrency = (typeof FIAT_CURRENCIES)[number];

export async function setFiatCurrency(tx: DbExecutor, userId: string, fiatCurrency: FiatCurrency): Promise<void> {
  await tx.update(usersTable).set({ fiatCurrency, updatedAt: new Date() }).where(eq(usersTable.id, userId));
}
