import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgSchemaName, type SupportRequestStatus } from '@strongbox/shared-contracts';
import { createDatabase, dropSchema, migrate, outboxTable, type Database, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { TEST_DATABASE_URL, uniqueNamespace } from '@strongbox/shared-testing';
import {
  changeLanguage,
  changeSupportStatus,
  decideRecovery,
  findUserById,
  findUserByTelegramId,
  gatewayMigrationsFolder,
  gatewaySchema,
  GatewayError,
  GatewayErrorCodes,
  issueRecoveryCode,
  listSupportRequests,
  normalizeRecoveryCode,
  openSupportRequest,
  registerUser,
  requestRecovery,
  supportRequestMachine,
  type GatewayErrorCode,
} from '../../src/index';

// The gateway's own records against a migrated schema on the loopback PostgreSQL: registration with
// referral and recovery codes, language changes, the support request lifecycle and account recovery,
// each with the events it puts into the outbox.

const namespace = uniqueNamespace('gw');
const schema = pgSchemaName(namespace, 'bot-gateway');
let database: Database<typeof gatewaySchema>;
let nextTelegramId = 700_000_000n;

beforeAll(async () => {
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: gatewayMigrationsFolder, lockTimeoutMs: 10_000 });
  database = createDatabase({ url: TEST_DATABASE_URL, schema, applicationName: `${schema}-test`, poolSizeMax: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 }, gatewaySchema);
});

afterAll(async () => {
  await database?.close(5_000);
  await dropSchema(TEST_DATABASE_URL, schema);
});

function inTx<T>(work: (tx: DbExecutor) => Promise<T>): Promise<T> {
  return database.db.transaction(work, { isolationLevel: 'read committed' });
}

async function register(referralCode: string | null = null) {
  nextTelegramId += 1n;
  const telegramUserId = nextTelegramId;
  return inTx((tx) => registerUser(tx, { namespace, telegramUserId, chatId: telegramUserId, languageCode: 'en', referralCode }));
}

async function eventsOfType(type: string): Promise<Array<Record<string, unknown>>> {
  const rows = await database.db.select().from(outboxTable);
  return rows
    .map((row) => row.event as unknown as { type: string; data: Record<string, unknown> })
    .filter((event) => event.type === type)
    .map((event) => event.data);
}

async function refusal(work: () => Promise<unknown>): Promise<GatewayErrorCode> {
  const error = await work().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return (error as GatewayError).code;
}

describe('registration', () => {
  it('gives every user an own referral code and a recovery code shown once, stored only as a hash', async () => {
    const result = await register();
    expect(result.created).toBe(true);
    if (!result.created) return;
    expect(result.user.ownReferralCode).toMatch(/^[A-Za-z0-9_-]{9}$/);
    expect(result.recoveryCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(result.user.recoveryCodeHash).toMatch(/^[0-9a-f]{64}$/);
    const stored = await database.db.execute<Record<string, unknown>>(sql`select * from users where id = ${result.user.id}`);
    expect(JSON.stringify(stored, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))).not.toContain(result.recoveryCode.replace(/-/g, ''));
  });

  it("resolves a referral code to its owner and publishes the referrer; an unknown code registers without one", async () => {
    const referrer = await register();
    const referred = await register(referrer.user.ownReferralCode);
    const stranger = await register('nobody-has-this');
    expect(referred.user.referrerUserId).toBe(referrer.user.id);
    expect(stranger.user.referrerUserId).toBeNull();
    const registered = await eventsOfType('bot.evt.user.registered.v1');
    expect(registered.find((data) => data['userId'] === referred.user.id)?.['referrerUserId']).toBe(referrer.user.id);
    expect(registered.find((data) => data['userId'] === stranger.user.id)?.['referrerUserId']).toBeNull();
  });

  it('registers a repeated /start once and shows no new recovery code', async () => {
    const first = await register();
    const again = await inTx((tx) =>
      registerUser(tx, { namespace, telegramUserId: first.user.telegramUserId, chatId: first.user.chatId, languageCode: 'ru', referralCode: null }),
    );
    expect(again.created).toBe(false);
    expect('recoveryCode' in again).toBe(false);
    expect(again.user.recoveryCodeHash).toBe(first.user.recoveryCodeHash);
  });
});

describe('language', () => {
  it('publishes a change once, and nothing when the language is the same', async () => {
    const { user } = await register();
    expect(await inTx((tx) => changeLanguage(tx, { namespace, userId: user.id, languageCode: 'ru' }))).toBe(true);
    expect(await inTx((tx) => changeLanguage(tx, { namespace, userId: user.id, languageCode: 'ru' }))).toBe(false);
    const changes = (await eventsOfType('bot.evt.user.language-changed.v1')).filter((data) => data['userId'] === user.id);
    expect(changes).toEqual([expect.objectContaining({ languageCode: 'ru' })]);
    expect((await findUserById(database.db, user.id))?.languageCode).toBe('ru');
  });
});

describe('support requests', () => {
  it('walks new → in_progress → resolved → closed, publishing each change', async () => {
    const { user } = await register();
    const opened = await inTx((tx) => openSupportRequest(tx, { namespace, userId: user.id, category: 'withdrawal', description: '  my withdrawal is late  ', contact: null }));
    expect(opened.status).toBe('new');
    expect(opened.description).toBe('my withdrawal is late');
    const adminId = newId();
    for (const to of ['in_progress', 'resolved', 'closed'] as const) {
      const { changed } = await inTx((tx) => changeSupportStatus(tx, { namespace, requestId: opened.id, to, adminId }));
      expect(changed).toBe(true);
    }
    const changes = (await eventsOfType('bot.evt.support-request.status-changed.v1')).filter((data) => data['requestId'] === opened.id);
    expect(changes.map((data) => [data['from'], data['to']])).toEqual([
      [null, 'new'],
      ['new', 'in_progress'],
      ['in_progress', 'resolved'],
      ['resolved', 'closed'],
    ]);
  });

  it('refuses every transition the machine does not declare, and changes nothing', async () => {
    const { user } = await register();
    const statuses = supportRequestMachine.states;
    for (const from of statuses) {
      for (const to of statuses) {
        if (from === to || supportRequestMachine.canTransition(from, to)) continue;
        const request = await inTx((tx) => openSupportRequest(tx, { namespace, userId: user.id, category: 'other', description: 'a question about fees', contact: 'mail@example.com' }));
        // Drive the request to `from` along the declared path, then try the undeclared step.
        const path: Record<SupportRequestStatus, SupportRequestStatus[]> = {
          new: [],
          in_progress: ['in_progress'],
          resolved: ['in_progress', 'resolved'],
          closed: ['in_progress', 'resolved', 'closed'],
          cancelled: ['cancelled'],
        };
        for (const step of path[from]) await inTx((tx) => changeSupportStatus(tx, { namespace, requestId: request.id, to: step, adminId: null }));
        expect(await refusal(() => inTx((tx) => changeSupportStatus(tx, { namespace, requestId: request.id, to, adminId: null }))), `${from} → ${to}`).toBe(
          GatewayErrorCodes.transitionRefused,
        );
        const [stored] = (await listSupportRequests(database.db, user.id)).filter((row) => row.id === request.id);
        expect(stored?.status).toBe(from);
      }
    }
  });

  it("answers a repeated status with changed: false, and keeps users out of others' requests", async () => {
    const { user } = await register();
    const other = await register();
    const request = await inTx((tx) => openSupportRequest(tx, { namespace, userId: user.id, category: 'deposit', description: 'deposit not credited yet', contact: null }));
    expect((await inTx((tx) => changeSupportStatus(tx, { namespace, requestId: request.id, to: 'new', adminId: null }))).changed).toBe(false);
    expect(await refusal(() => inTx((tx) => changeSupportStatus(tx, { namespace, requestId: request.id, to: 'cancelled', adminId: null, userId: other.user.id })))).toBe(
      GatewayErrorCodes.notFound,
    );
  });

  it.each([
    ['empty', ''],
    ['too short', 'help'],
    ['4,000 characters', 'x'.repeat(4_000)],
    ['a control character', 'please help\u0007 me now'],
  ])('refuses a description that is %s and stores nothing', async (_label, description) => {
    const { user } = await register();
    expect(await refusal(() => inTx((tx) => openSupportRequest(tx, { namespace, userId: user.id, category: 'other', description, contact: null })))).toBe(
      GatewayErrorCodes.invalidText,
    );
    expect(await listSupportRequests(database.db, user.id)).toEqual([]);
  });
});

describe('account recovery', () => {
  it('moves the user to the new Telegram account only after an admin approves, and spends the code', async () => {
    const registered = await register();
    if (!registered.created) throw new Error('expected a new user');
    const newTelegramUserId = 990_000_000_001n + nextTelegramId;
    const { request, created } = await inTx((tx) =>
      requestRecovery(tx, { namespace, code: registered.recoveryCode.toLowerCase().replace(/-/g, ' '), newTelegramUserId, newChatId: newTelegramUserId }),
    );
    expect(created).toBe(true);
    // Nothing moved yet.
    expect((await findUserById(database.db, registered.user.id))?.telegramUserId).toBe(registered.user.telegramUserId);
    // Asking again answers the same request.
    const again = await inTx((tx) => requestRecovery(tx, { namespace, code: registered.recoveryCode, newTelegramUserId, newChatId: newTelegramUserId }));
    expect(again).toEqual({ request, created: false });

    const adminId = newId();
    const decided = await inTx((tx) => decideRecovery(tx, { namespace, requestId: request.id, decision: 'approved', adminId, reason: null }));
    expect(decided.changed).toBe(true);
    const moved = await findUserByTelegramId(database.db, newTelegramUserId);
    expect(moved?.id).toBe(registered.user.id);
    expect(moved?.chatId).toBe(newTelegramUserId);
    expect(moved?.recoveryCodeHash).toBeNull();
    expect(await findUserByTelegramId(database.db, registered.user.telegramUserId)).toBeUndefined();

    const decidedEvents = (await eventsOfType('bot.evt.recovery.decided.v1')).filter((data) => data['requestId'] === request.id);
    expect(decidedEvents).toEqual([expect.objectContaining({ decision: 'approved', previousChatId: registered.user.chatId.toString(), newChatId: newTelegramUserId.toString() })]);
    // The same decision again changes nothing; the other one is refused; the spent code is refused.
    expect((await inTx((tx) => decideRecovery(tx, { namespace, requestId: request.id, decision: 'approved', adminId, reason: null }))).changed).toBe(false);
    expect(await refusal(() => inTx((tx) => decideRecovery(tx, { namespace, requestId: request.id, decision: 'rejected', adminId, reason: 'late' })))).toBe(
      GatewayErrorCodes.alreadyDecided,
    );
    expect(await refusal(() => inTx((tx) => requestRecovery(tx, { namespace, code: registered.recoveryCode, newTelegramUserId: newTelegramUserId + 1n, newChatId: newTelegramUserId + 1n })))).toBe(
      GatewayErrorCodes.recoveryCodeInvalid,
    );
  });

  it('leaves the user where they are on rejection; a new code replaces the old one', async () => {
    const registered = await register();
    if (!registered.created) throw new Error('expected a new user');
    const newTelegramUserId = 991_000_000_001n + nextTelegramId;
    const { request } = await inTx((tx) => requestRecovery(tx, { namespace, code: registered.recoveryCode, newTelegramUserId, newChatId: newTelegramUserId }));
    await inTx((tx) => decideRecovery(tx, { namespace, requestId: request.id, decision: 'rejected', adminId: newId(), reason: 'could not verify' }));
    expect((await findUserById(database.db, registered.user.id))?.telegramUserId).toBe(registered.user.telegramUserId);

    const fresh = await inTx((tx) => issueRecoveryCode(tx, registered.user.id));
    expect(normalizeRecoveryCode(fresh)).not.toBe(normalizeRecoveryCode(registered.recoveryCode));
    expect(await refusal(() => inTx((tx) => requestRecovery(tx, { namespace, code: registered.recoveryCode, newTelegramUserId, newChatId: newTelegramUserId })))).toBe(
      GatewayErrorCodes.recoveryCodeInvalid,
    );
    const { created } = await inTx((tx) => requestRecovery(tx, { namespace, code: fresh, newTelegramUserId, newChatId: newTelegramUserId }));
    expect(created).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['too short', 'ABCD-EFGH'],
    ['a letter outside the alphabet', 'ABCD-EFGH-JKMN-PQRU'],
    ['4,000 characters', 'A'.repeat(4_000)],
  ])('refuses a code that is %s', async (_label, code) => {
    expect(await refusal(() => inTx((tx) => requestRecovery(tx, { namespace, code, newTelegramUserId: 5n, newChatId: 5n })))).toBe(GatewayErrorCodes.recoveryCodeInvalid);
  });

  it('refuses recovery into a Telegram account that already has a wallet', async () => {
    const owner = await register();
    const other = await register();
    if (!owner.created) throw new Error('expected a new user');
    expect(
      await refusal(() => inTx((tx) => requestRecovery(tx, { namespace, code: owner.recoveryCode, newTelegramUserId: other.user.telegramUserId, newChatId: other.user.chatId }))),
    ).toBe(GatewayErrorCodes.recoveryAccountRegistered);
  });
});
