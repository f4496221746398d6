// Proves the event catalogue is consistent: every event type is unique and matches
// EVENT_TYPE_PATTERN, every event definition the lib exports is listed in allEvents, and each
// event round-trips (create → JSON → parse) with a realistic sample, while its schema refuses
// empty data and the shared field schemas refuse malformed values. An event added without a sample
// here fails the test, so none goes untested.
import { describe, expect, it } from 'vitest';
import { CLOUDEVENTS_SPEC_VERSION, EVENT_TYPE_PATTERN } from './envelope';
import { ContractErrorCodes } from './errors';
import * as catalogue from './index';
import {
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  depositAddressAssignedV1,
  depositConfirmedV1,
  depositDetectedV1,
  depositRevertedV1,
  rangeRescannedV1,
} from './chain.events';
import {
  withdrawalApprovedV1,
  withdrawalCancelledV1,
  withdrawalCompletedV1,
  withdrawalFailedV1,
  withdrawalRejectedV1,
  withdrawalRequestedV1,
} from './withdrawal.events';
import { planDepositAccruedV1, planDepositMaturedV1, planDepositOpenedV1 } from './plan.events';
import { accountOpenedV1, allEvents, assetCodeSchema, languageCodeSchema, messageDeliveredV1, nodeStatusChangedV1, telegramIdSchema, userRegisteredV1 } from './events';
import { balanceChangedV1, referralRewardPaidV1, transferPostedV1, userBlacklistChangedV1 } from './ledger.events';
import { Contexts } from './naming';
import { alertEvents } from './alert.events';
import { recoveryDecidedV1, recoveryRequestedV1, supportRequestStatusChangedV1, userLanguageChangedV1 } from './bot.events';
import { broadcastCompletedV1, broadcastProgressedV1 } from './notify.commands';

const userId = '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e';
const at = '2025-01-02T03:04:05.678Z';

/** A valid `data` for each event type, keyed by type. */
const samples: Record<string, { source: string; subject?: string; data: unknown }> = {
  ...Object.fromEntries(
    alertEvents.map((definition) => [
      definition.type,
      {
        source: `strongbox/${definition.context}`,
        subject: 'LEDGER_INVARIANT_VIOLATED',
        data: {
          service: 'ledger',
          code: 'LEDGER_INVARIANT_VIOLATED',
          severity: 'critical',
          dedupeKey: 'ledger:invariants',
          summary: 'ledger invariants violated: 1',
          details: { violations: '1' },
          raisedAt: at,
        },
      },
    ]),
  ),
  [userRegisteredV1.type]: {
    source: 'strongbox/bot-gateway',
    subject: userId,
    data: {
      userId,
      // Beyond 2^53: Telegram ids travel as strings so no digit is lost.
      telegramUserId: '9007199254740993',
      chatId: '-1001234567890',
      languageCode: 'ru',
      referralCode: 'r-7f3a9c',
      referrerUserId: '019a7c3e-5b1f-7d2a-8c3e-0000000000ee',
      registeredAt: at,
    },
  },
  [userLanguageChangedV1.type]: {
    source: 'strongbox/bot-gateway',
    subject: userId,
    data: { userId, languageCode: 'en', changedAt: at },
  },
  [supportRequestStatusChangedV1.type]: {
    source: 'strongbox/bot-gateway',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000301',
    data: {
      requestId: '019a7c3e-5b1f-7d2a-8c3e-000000000301',
      userId,
      category: 'withdrawal',
      from: 'new',
      to: 'in_progress',
      adminId: '019a7c3e-5b1f-7d2a-8c3e-0000000000ad',
      changedAt: at,
    },
  },
  [recoveryRequestedV1.type]: {
    source: 'strongbox/bot-gateway',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000302',
    data: { requestId: '019a7c3e-5b1f-7d2a-8c3e-000000000302', userId, newTelegramUserId: '777000111', newChatId: '777000111', requestedAt: at },
  },
  [recoveryDecidedV1.type]: {
    source: 'strongbox/bot-gateway',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000302',
    data: {
      requestId: '019a7c3e-5b1f-7d2a-8c3e-000000000302',
      userId,
      decision: 'approved',
      newTelegramUserId: '777000111',
      newChatId: '777000111',
      previousChatId: '42',
      adminId: '019a7c3e-5b1f-7d2a-8c3e-0000000000ad',
      reason: null,
      decidedAt: at,
    },
  },
  [accountOpenedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: { userId, accounts: [{ accountId: '019a7c3e-5b1f-7d2a-8c3e-000000000001', asset: 'USDT' }], openedAt: at },
  },
  [transferPostedV1.type]: {
    source: 'strongbox/ledger',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000010',
    data: {
      transferId: '019a7c3e-5b1f-7d2a-8c3e-000000000010',
      batchId: '019a7c3e-5b1f-7d2a-8c3e-000000000011',
      kind: 'pending',
      code: 'withdrawal',
      asset: 'USDT',
      amount: '25000000',
      debit: { accountId: '019a7c3e-5b1f-7d2a-8c3e-000000000001', kind: 'user_available', userId },
      credit: { accountId: '019a7c3e-5b1f-7d2a-8c3e-000000000002', kind: 'withdrawals_in_flight', userId: null },
      pendingId: null,
      timeoutAt: '2025-01-03T03:04:05.678Z',
      reference: '019a7c3e-5b1f-7d2a-8c3e-000000000012',
      metadata: {},
      postedAt: at,
    },
  },
  [balanceChangedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      accountId: '019a7c3e-5b1f-7d2a-8c3e-000000000001',
      userId,
      asset: 'USDT',
      kind: 'user_available',
      debitsPosted: '0',
      creditsPosted: '100000000',
      debitsPending: '25000000',
      creditsPending: '0',
      available: '75000000',
      transferIds: ['019a7c3e-5b1f-7d2a-8c3e-000000000010'],
      changedAt: at,
    },
  },
  [nodeStatusChangedV1.type]: {
    source: 'strongbox/chain-watcher',
    data: { chainId: 31337, status: 'down', headBlock: null, reason: 'connect ECONNREFUSED 127.0.0.1:8545', changedAt: '2025-01-02T05:04:05+02:00' },
  },
  [withdrawalRequestedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      asset: 'USDT',
      amount: '25000000',
      fee: '1000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      state: 'awaiting_approval',
      reviewReasons: ['new_destination_address'],
      requestedAt: at,
    },
  },
  [withdrawalCancelledV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      asset: 'USDT',
      amount: '25000000',
      fee: '1000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      cancelledAt: at,
    },
  },
  [planDepositOpenedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      depositId: '019a7c3e-5b1f-7d2a-8c3e-000000000020',
      userId,
      planCode: 'fixed-90',
      planVersion: 2,
      asset: 'USDT',
      principal: '1000000000',
      rateBps: 450,
      termDays: 90,
      transferId: '019a7c3e-5b1f-7d2a-8c3e-000000000021',
      openedAt: at,
      maturesAt: '2025-04-02T03:04:05.678Z',
    },
  },
  [planDepositAccruedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      depositId: '019a7c3e-5b1f-7d2a-8c3e-000000000020',
      userId,
      planCode: 'fixed-90',
      planVersion: 2,
      asset: 'USDT',
      day: '2025-01-02',
      amount: '123287',
      accruedTotal: '123287',
      transferId: '019a7c3e-5b1f-7d2a-8c3e-000000000022',
      accruedAt: '2025-01-03T00:05:00.000Z',
    },
  },
  [planDepositMaturedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      depositId: '019a7c3e-5b1f-7d2a-8c3e-000000000020',
      userId,
      planCode: 'fixed-90',
      planVersion: 2,
      asset: 'USDT',
      principal: '1000000000',
      accruedTotal: '11095890',
      transferId: '019a7c3e-5b1f-7d2a-8c3e-000000000023',
      maturedAt: '2025-04-02T03:05:00.000Z',
    },
  },
  [withdrawalApprovedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      asset: 'USDT',
      amount: '25000000',
      fee: '1000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      approvedBy: '019a7c3e-5b1f-7d2a-8c3e-0000000000ad',
      approvedAt: at,
    },
  },
  [withdrawalRejectedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      asset: 'USDT',
      amount: '25000000',
      fee: '1000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      rejectedBy: '019a7c3e-5b1f-7d2a-8c3e-0000000000ad',
      reason: 'destination on a sanctions list',
      rejectedAt: at,
    },
  },
  [depositConfirmedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: userId,
    data: {
      chainId: 31337,
      txHash: `0x${'ab'.repeat(32)}`,
      logIndex: 3,
      userId,
      asset: 'USDT',
      amount: '25000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      fromAddress: '0x00000000000000000000000000000000000000bB',
      blockNumber: 120,
      blockHash: `0x${'cd'.repeat(32)}`,
      confirmations: 12,
    },
  },
  [depositRevertedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: userId,
    data: { chainId: 31337, txHash: `0x${'ab'.repeat(32)}`, logIndex: 3, userId, asset: 'USDT', amount: '25000000', reason: 'block 120 replaced by a reorg of depth 14' },
  },
  [withdrawalCompletedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      asset: 'USDT',
      amount: '25000000',
      fee: '1000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      txHash: `0x${'cd'.repeat(32)}`,
      completedAt: at,
    },
  },
  [withdrawalFailedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      asset: 'USDT',
      amount: '25000000',
      fee: '1000000',
      toAddress: '0x00000000000000000000000000000000000000aA',
      txHash: null,
      reason: 'rejected',
      failedAt: at,
    },
  },
  [referralRewardPaidV1.type]: {
    source: 'strongbox/ledger',
    subject: '019a7c3e-5b1f-7d2a-8c3e-0000000000ee',
    data: {
      referrerUserId: '019a7c3e-5b1f-7d2a-8c3e-0000000000ee',
      referredUserId: userId,
      asset: 'USDT',
      amount: '5000000',
      transferId: '019a7c3e-5b1f-7d2a-8c3e-000000000020',
      paidAt: at,
    },
  },
  [userBlacklistChangedV1.type]: {
    source: 'strongbox/ledger',
    subject: userId,
    data: { userId, blacklisted: true, reason: 'chargeback reported', adminId: '019a7c3e-5b1f-7d2a-8c3e-0000000000ad', changedAt: at },
  },
  [depositAddressAssignedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: userId,
    data: { userId, chainId: 31337, address: '0x00000000000000000000000000000000000000aA', derivationIndex: 7, assignedAt: at },
  },
  [depositDetectedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: userId,
    data: {
      chainId: 31337,
      txHash: `0x${'ab'.repeat(32)}`,
      logIndex: 3,
      userId,
      asset: 'USDT',
      amount: '25000000',
      tokenContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      toAddress: '0x00000000000000000000000000000000000000aA',
      fromAddress: '0x00000000000000000000000000000000000000bB',
      blockNumber: 118,
      blockHash: `0x${'ef'.repeat(32)}`,
      requiredConfirmations: 12,
      belowDustMinimum: false,
      detectedAt: at,
    },
  },
  [rangeRescannedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: '31337',
    data: { chainId: 31337, fromBlock: 100, toBlock: 1_100, depositsFound: 4, reason: 'node-recovery', startedAt: at, finishedAt: at },
  },
  [chainWithdrawalBroadcastV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      chainId: 31337,
      txHash: `0x${'cd'.repeat(32)}`,
      nonce: 41,
      attempt: 2,
      fromAddress: '0x00000000000000000000000000000000000000cC',
      toAddress: '0x00000000000000000000000000000000000000aA',
      tokenContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      asset: 'USDT',
      amount: '25000000',
      broadcastAt: at,
    },
  },
  [chainWithdrawalConfirmedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      chainId: 31337,
      txHash: `0x${'cd'.repeat(32)}`,
      blockNumber: 130,
      blockHash: `0x${'ef'.repeat(32)}`,
      confirmations: 12,
      confirmedAt: at,
    },
  },
  [chainWithdrawalFailedV1.type]: {
    source: 'strongbox/chain-watcher',
    subject: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
    data: {
      withdrawalId: '019a7c3e-5b1f-7d2a-8c3e-000000000002',
      userId,
      chainId: 31337,
      txHash: `0x${'cd'.repeat(32)}`,
      reason: 'reverted',
      detail: 'execution reverted: ERC20: transfer amount exceeds balance',
      failedAt: at,
    },
  },
  [messageDeliveredV1.type]: {
    source: 'strongbox/notifier',
    subject: userId,
    data: { userId, chatId: '42', template: 'welcome', languageCode: 'en', telegramMessageId: 17, causationId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9f' },
  },
  [broadcastProgressedV1.type]: {
    source: 'strongbox/notifier',
    subject: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8da0',
    data: { broadcastId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8da0', adminId: userId, recipients: 5_000, enqueued: 500, progressedAt: at },
  },
  [broadcastCompletedV1.type]: {
    source: 'strongbox/notifier',
    subject: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8da0',
    data: { broadcastId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8da0', adminId: userId, enqueued: 5_002, delivered: 4_990, blocked: 10, failed: 1, unconfirmed: 1, completedAt: at },
  },
};

describe('the event catalogue', () => {
  it('has unique types and dataschemas, each matching the type pattern and its own parts', () => {
    const types = allEvents.map((event) => event.type);
    expect(new Set(types).size).toBe(types.length);
    expect(new Set(allEvents.map((event) => event.dataschema)).size).toBe(allEvents.length);
    for (const event of allEvents) {
      expect(event.type).toMatch(EVENT_TYPE_PATTERN);
      expect(event.type).toBe(`${event.context}.evt.${event.aggregate}.${event.name}.v${event.version}`);
      expect(Object.values(Contexts)).toContain(event.context);
      expect(event.description.trim().length).toBeGreaterThan(0);
    }
  });

  it('lists every event definition the lib exports', () => {
    const exported = Object.values(catalogue as Record<string, unknown>).filter(
      (value) => typeof value === 'object' && value !== null && 'type' in value && 'create' in value,
    );
    expect(exported.length).toBeGreaterThan(0);
    expect(new Set(allEvents)).toEqual(new Set(exported));
  });

  it('has a sample for every event here', () => {
    expect(Object.keys(samples).sort()).toEqual(allEvents.map((event) => event.type).sort());
  });
});

describe.each(allEvents.map((event) => [event.type, event] as const))('%s', (type, event) => {
  const sample = samples[type];

  it('round-trips: parse(JSON(create(sample))) equals what create returned', () => {
    expect(sample).toBeDefined();
    const created = event.create({ source: sample!.source, ...(sample!.subject === undefined ? {} : { subject: sample!.subject }), data: sample!.data });
    expect(created).toMatchObject({ specversion: CLOUDEVENTS_SPEC_VERSION, type, source: sample!.source, data: sample!.data });
    expect(event.parse(JSON.parse(JSON.stringify(created)))).toEqual(created);
  });

  it('refuses empty data', () => {
    expect(() => event.create({ source: 'strongbox/test', data: {} })).toThrow(expect.objectContaining({ code: ContractErrorCodes.invalidData }));
  });
});

describe('shared field schemas', () => {
  it.each(['1', '42', '-1001234567890', '9007199254740993', '12345678901234567890'])('telegramIdSchema accepts %s', (value) => {
    expect(telegramIdSchema.safeParse(value).success).toBe(true);
  });

  it.each(['', '0', '01', '+1', '1e3', '1.5', ' 1', '123456789012345678901', 42])('telegramIdSchema refuses %j', (value) => {
    expect(telegramIdSchema.safeParse(value).success).toBe(false);
  });

  it('languageCodeSchema accepts only the languages the product speaks', () => {
    expect(languageCodeSchema.options).toEqual(['en', 'ru']);
    expect(languageCodeSchema.safeParse('de').success).toBe(false);
    expect(languageCodeSchema.safeParse('EN').success).toBe(false);
  });

  it.each([
    ['USDT', true],
    ['USDC', true],
    ['X1', true],
    ['usdt', false],
    ['U', false],
    ['1USD', false],
    ['ABCDEFGHIJKLM', false],
    ['US DT', false],
  ])('assetCodeSchema: %s → %s', (value, valid) => {
    expect(assetCodeSchema.safeParse(value).success).toBe(valid);
  });
});
