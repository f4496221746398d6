// The notifier's journey with all five services as real processes (dist/apps), anvil with the test
// token and the Bot API emulator: a Russian-speaking user /starts the bot, deposits on the chain,
// and hears of it in Russian — the welcome once, "deposit seen" once, and exactly one "deposit
// confirmed", with the amount as a bold entity (no Markdown) — after every consumer involved has
// settled, so a late duplicate would have been seen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { getDepositAddressV1 } from '@strongbox/shared-contracts';
import { createCommandClient, type CommandClient } from '@strongbox/shared-messaging';
import { ANVIL_SECOND_PRIVATE_KEY } from '@strongbox/shared-stack';
import { TEST_NATS_URL, waitFor } from '@strongbox/shared-testing';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';
import { waitForNotifierSettled } from '../support/notifier-settled';

const CONFIRMATIONS = 3;
const USDT = 1_000_000n;
const WELCOME_RU = /^Добро пожаловать в Strongbox/;
const DETECTED_RU = /^Поступает пополнение на 12\.5 USDT/;
const CONFIRMED_RU = 'Пополнение на 12.5 USDT подтверждено и зачислено на баланс.';

let e2e: E2eStack;
let nc: NatsConnection;
let commands: CommandClient;

beforeAll(async () => {
  e2e = await startE2eStack({ extraEnv: { 'chain-watcher': { CHAIN_CONFIRMATIONS: String(CONFIRMATIONS) } } });
  nc = await connect({ servers: TEST_NATS_URL });
  commands = createCommandClient(nc, { namespace: e2e.namespace, timeoutMs: 10_000 });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await e2e?.teardown();
}, 60_000);

async function anvilRpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(e2e.anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

describe('deposit journey', () => {
  it('a Russian-speaking user is welcomed once and told of the confirmed deposit exactly once, in Russian', async () => {
    const user = { userId: 710_001, firstName: 'Ольга', languageCode: 'ru' };
    await e2e.emulator.sendMessage(user, '/start');
    await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && WELCOME_RU.test(m.text ?? ''), { timeoutMs: 30_000 });

    const [registered] = await e2e.rows<{ id: string }>('bot-gateway', 'select id from %schema%.users where telegram_user_id = $1', [user.userId]);
    const address = await waitFor(
      async () => (await commands.call(getDepositAddressV1, { userId: registered!.id })).address,
      { timeoutMs: 30_000, description: 'the deposit address' },
    );

    await e2e.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, address, 12n * USDT + USDT / 2n);
    await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && DETECTED_RU.test(m.text ?? ''), { timeoutMs: 30_000 });
    // The transfer's block is the first confirmation.
    await anvilRpc('anvil_mine', [`0x${(CONFIRMATIONS - 1).toString(16)}`]);
    const confirmed = await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && m.text === CONFIRMED_RU, { timeoutMs: 60_000 });
    expect(confirmed.parseMode).toBeUndefined();
    expect(confirmed.entities).toEqual([{ type: 'bold', offset: 14, length: 9 }]);

    // More blocks and everything settled: still one of each.
    await anvilRpc('anvil_mine', ['0x3']);
    await waitForNotifierSettled(e2e, await jetstreamManager(nc), 30_000);
    const texts = e2e.emulator.sentMessages(user.userId).map((message) => message.text ?? '');
    expect(texts.filter((text) => WELCOME_RU.test(text))).toHaveLength(1);
    expect(texts.filter((text) => DETECTED_RU.test(text))).toHaveLength(1);
    expect(texts.filter((text) => text === CONFIRMED_RU)).toHaveLength(1);
  });
});
