import {
  accountOpenedV1,
  depositConfirmedV1,
  depositDetectedV1,
  nodeStatusChangedV1,
  recoveryDecidedV1,
  transferPostedV1,
  userLanguageChangedV1,
  userRegisteredV1,
  withdrawalApprovedV1,
  withdrawalCompletedV1,
  withdrawalRequestedV1,
  type CloudEvent,
} from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';

// Sample events as the other services publish them, with only what a test varies as arguments.

const source = 'strongbox/test';
const now = () => new Date().toISOString();
const address = '0x1111111111111111111111111111111111111111';
const hash = (seed: string) => `0x${Buffer.from(seed.padEnd(32, '.')).toString('hex').slice(0, 64)}`;

let telegramIds = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
export function nextChatId(): string {
  telegramIds += 1;
  return String(telegramIds);
}

export function registered(userId: string, chatId: string, languageCode: 'en' | 'ru'): CloudEvent<unknown> {
  return userRegisteredV1.create({
    source,
    subject: userId,
    data: { userId, telegramUserId: chatId, chatId, languageCode, referralCode: null, registeredAt: now() },
  });
}

export function accountOpened(userId: string): CloudEvent<unknown> {
  return accountOpenedV1.create({ source, subject: userId, data: { userId, accounts: [{ accountId: newId(), asset: 'USDT' }], openedAt: now() } });
}

export function languageChanged(userId: string, languageCode: 'en' | 'ru'): CloudEvent<unknown> {
  return userLanguageChangedV1.create({ source, subject: userId, data: { userId, languageCode, changedAt: now() } });
}

export interface DepositKey {
  readonly chainId: number;
  readonly txHash: string;
  readonly logIndex: number;
}

export function depositKey(seed: string): DepositKey {
  return { chainId: 31337, txHash: hash(seed), logIndex: 0 };
}

export function depositDetected(userId: string, key: DepositKey, amount: string, options: { id?: string; belowDustMinimum?: boolean } = {}): CloudEvent<unknown> {
  return depositDetectedV1.create({
    source,
    subject: userId,
    ...(options.id ? { id: options.id } : {}),
    data: {
      ...key,
      userId,
      asset: 'USDT',
      amount,
      tokenContract: address,
      toAddress: address,
      fromAddress: address,
      blockNumber: 10,
      blockHash: hash('block'),
      requiredConfirmations: 12,
      belowDustMinimum: options.belowDustMinimum ?? false,
      detectedAt: now(),
    },
  });
}

export function depositConfirmed(userId: string, key: DepositKey, amount: string, id?: string): CloudEvent<unknown> {
  return depositConfirmedV1.create({
    source,
    subject: userId,
    ...(id ? { id } : {}),
    data: { ...key, userId, asset: 'USDT', amount, toAddress: address, fromAddress: address, blockNumber: 10, blockHash: hash('block'), confirmations: 12 },
  });
}

export function nodeStatus(status: 'up' | 'down', changedAt = now()): CloudEvent<unknown> {
  return nodeStatusChangedV1.create({ source, subject: '31337', data: { chainId: 31337, status, headBlock: null, reason: null, changedAt } });
}

const withdrawalFields = (userId: string, withdrawalId: string) => ({ withdrawalId, userId, asset: 'USDT', amount: '25000000', fee: '1000000', toAddress: address });

export function withdrawalRequested(userId: string, withdrawalId: string, state: 'held' | 'awaiting_approval'): CloudEvent<unknown> {
  return withdrawalRequestedV1.create({
    source,
    subject: userId,
    data: { ...withdrawalFields(userId, withdrawalId), state, reviewReasons: state === 'held' ? [] : ['large_amount'], requestedAt: now() },
  });
}

export function withdrawalApproved(userId: string, withdrawalId: string): CloudEvent<unknown> {
  return withdrawalApprovedV1.create({ source, subject: userId, data: { ...withdrawalFields(userId, withdrawalId), approvedBy: newId(), approvedAt: now() } });
}

export function withdrawalCompleted(userId: string, withdrawalId: string): CloudEvent<unknown> {
  return withdrawalCompletedV1.create({
    source,
    subject: userId,
    data: { ...withdrawalFields(userId, withdrawalId), txHash: hash(withdrawalId), completedAt: now() },
  });
}

export function internalTransfer(fromUserId: string, toUserId: string, amount: string): CloudEvent<unknown> {
  const transferId = newId();
  return transferPostedV1.create({
    source,
    subject: transferId,
    data: {
      transferId,
      batchId: newId(),
      kind: 'single',
      code: 'internal_transfer',
      asset: 'USDT',
      amount,
      debit: { accountId: newId(), kind: 'user_available', userId: fromUserId },
      credit: { accountId: newId(), kind: 'user_available', userId: toUserId },
      pendingId: null,
      timeoutAt: null,
      reference: null,
      metadata: {},
      postedAt: now(),
    },
  });
}

export function recoveryDecided(userId: string, decision: 'approved' | 'rejected', chats: { newChatId: string; previousChatId: string }, reason: string | null = null): CloudEvent<unknown> {
  return recoveryDecidedV1.create({
    source,
    subject: userId,
    data: {
      requestId: newId(),
      userId,
      decision,
      newTelegramUserId: chats.newChatId,
      newChatId: chats.newChatId,
      previousChatId: chats.previousChatId,
      adminId: newId(),
      reason,
      decidedAt: now(),
    },
  });
}
