import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { BotCommandErrors, changeSupportStatusV1, decideRecoveryV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { CommandError, connectNats, createCommandClient, type CommandClient, type CommandServer } from '@strongbox/shared-messaging';
import { TEST_NATS_URL } from '@strongbox/shared-testing';
import { openSupportRequest, registerUser, requestRecovery, findUserByTelegramId } from '@strongbox/gateway-data-access';
import { serveGatewayAdminCommands } from '../../src/admin.commands';
import { freshGatewayDatabase, type GatewayTestDatabase } from '../support/gateway.harness';

// The admin commands over real NATS request/reply against a migrated gateway schema: what an admin
// (through admin-audit) may do to support and recovery requests, and what is refused.

let gateway: GatewayTestDatabase;
let nc: NatsConnection;
let server: CommandServer;
let client: CommandClient;
const adminId = newId();

beforeAll(async () => {
  gateway = await freshGatewayDatabase('gwc');
  nc = await connectNats({ servers: TEST_NATS_URL, name: 'gateway-admin-commands-test', connectTimeoutMs: 5_000 });
  server = await serveGatewayAdminCommands({ nc, namespace: gateway.namespace, database: gateway.database, logger: pino({ level: 'silent' }) });
  client = createCommandClient(nc, { namespace: gateway.namespace, timeoutMs: 5_000 });
});

afterAll(async () => {
  await server?.stop(5_000);
  await nc?.close();
  await gateway?.dispose();
});

let telegramId = 810_000_000n;
async function newUser() {
  telegramId += 1n;
  const id = telegramId;
  return gateway.database.db.transaction((tx) => registerUser(tx, { namespace: gateway.namespace, telegramUserId: id, chatId: id, languageCode: 'en', referralCode: null }));
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CommandError);
  return (error as CommandError).code;
}

describe('change-support-status', () => {
  it('moves a request along and answers a repeat with changed: false', async () => {
    const { user } = await newUser();
    const request = await gateway.database.db.transaction((tx) =>
      openSupportRequest(tx, { namespace: gateway.namespace, userId: user.id, category: 'deposit', description: 'my deposit is missing', contact: null }),
    );
    const first = await client.call(changeSupportStatusV1, { adminId, requestId: request.id, to: 'in_progress' });
    expect(first).toMatchObject({ requestId: request.id, userId: user.id, status: 'in_progress', changed: true });
    const again = await client.call(changeSupportStatusV1, { adminId, requestId: request.id, to: 'in_progress' });
    expect(again.changed).toBe(false);
  });

  it('refuses an undeclared transition and an unknown request', async () => {
    const { user } = await newUser();
    const request = await gateway.database.db.transaction((tx) =>
      openSupportRequest(tx, { namespace: gateway.namespace, userId: user.id, category: 'other', description: 'question about plans', contact: null }),
    );
    expect(await codeOf(client.call(changeSupportStatusV1, { adminId, requestId: request.id, to: 'closed' }))).toBe(BotCommandErrors.transitionRefused);
    expect(await codeOf(client.call(changeSupportStatusV1, { adminId, requestId: newId(), to: 'closed' }))).toBe(BotCommandErrors.notFound);
  });
});

describe('decide-recovery', () => {
  it('approves a pending request once and refuses the opposite decision afterwards', async () => {
    const registered = await newUser();
    if (!registered.created) throw new Error('expected a new user');
    const newTelegramUserId = 820_000_000n + telegramId;
    const { request } = await gateway.database.db.transaction((tx) =>
      requestRecovery(tx, { namespace: gateway.namespace, code: registered.recoveryCode, newTelegramUserId, newChatId: newTelegramUserId }),
    );
    const approved = await client.call(decideRecoveryV1, { adminId, requestId: request.id, decision: 'approved', reason: null });
    expect(approved).toMatchObject({ requestId: request.id, userId: registered.user.id, decision: 'approved', changed: true });
    expect((await findUserByTelegramId(gateway.database.db, newTelegramUserId))?.id).toBe(registered.user.id);
    expect((await client.call(decideRecoveryV1, { adminId, requestId: request.id, decision: 'approved', reason: null })).changed).toBe(false);
    expect(await codeOf(client.call(decideRecoveryV1, { adminId, requestId: request.id, decision: 'rejected', reason: 'no' }))).toBe(BotCommandErrors.alreadyDecided);
  });

  it('refuses a malformed request before it reaches the gateway', async () => {
    expect(await codeOf(client.call(decideRecoveryV1, { adminId: 'not-a-uuid', requestId: newId(), decision: 'approved', reason: null }))).toBe('COMMAND_ERR_INVALID_REQUEST');
  });
});
