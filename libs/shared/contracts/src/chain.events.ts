import { z } from 'zod';
import { defineEvent } from './define-event';

// ---------------------------------------------------------------------------------------------
// chain-watcher: deposits. A deposit is identified by where it happened on chain — (chain id,
// transaction hash, log index) — never by the event id, so a re-published or re-detected deposit
// is still the same deposit.
// ---------------------------------------------------------------------------------------------

const txHashSchema = z.string().regex(/^0x[0-9a-f]{64}$/, 'a lower-case 0x-prefixed transaction hash');
const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an EVM address');
const positiveMinorUnits = z.string().regex(/^[1-9][0-9]{0,37}$/, 'a positive amount in minor units, as a decimal string');

const depositIdentity = {
  chainId: z.number().int().positive(),
  txHash: txHashSchema,
  logIndex: z.number().int().nonnegative(),
};

export const depositConfirmedV1 = defineEvent({
  context: 'chain',
  aggregate: 'deposit',
  name: 'confirmed',
  version: 1,
  description:
    "A token transfer to a user's deposit address reached the required confirmations. The ledger credits it once per " +
    '(chainId, txHash, logIndex), however often the event arrives. `subject` is the user id.',
  schema: z.object({
    ...depositIdentity,
    userId: z.uuid(),
    asset: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/),
    amount: positiveMinorUnits,
    toAddress: addressSchema,
    fromAddress: addressSchema,
    blockNumber: z.number().int().nonnegative(),
    blockHash: txHashSchema,
    confirmations: z.number().int().positive(),
  }),
});

export const depositRevertedV1 = defineEvent({
  context: 'chain',
  aggregate: 'deposit',
  name: 'reverted',
  version: 1,
  description:
    'A deposit reported as confirmed is no longer on the canonical chain (a reorg deeper than the confirmation depth). ' +
    'The ledger posts a compensating transfer and raises an alert. `subject` is the user id.',
  schema: z.object({
    ...depositIdentity,
    userId: z.uuid(),
    asset: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/),
    amount: positiveMinorUnits,
    reason: z.string().min(1).max(512),
  }),
});

export const depositAddressAssignedV1 = defineEvent({
  context: 'chain',
  aggregate: 'deposit-address',
  name: 'assigned',
  version: 1,
  description:
    "The chain-watcher derived the user's deposit address from the configured extended public key (index " +
    '`derivationIndex` on the external chain) when the ledger opened the user\'s accounts. One address per user and ' +
    'chain, never reused; the watcher holds no private key for it. `subject` is the user id.',
  schema: z.object({
    userId: z.uuid(),
    chainId: z.number().int().positive(),
    address: addressSchema,
    derivationIndex: z.number().int().nonnegative().max(2 ** 31 - 1),
    assignedAt: z.iso.datetime({ offset: true }),
  }),
});

export const depositDetectedV1 = defineEvent({
  context: 'chain',
  aggregate: 'deposit',
  name: 'detected',
  version: 1,
  description:
    'A token transfer to a deposit address was seen in a block for the first time; it is not credited yet. ' +
    '`belowDustMinimum: true` marks an amount under the configured dust minimum: recorded, never confirmed nor ' +
    'credited. A reorg may remove a detected deposit, in which case no `confirmed` event follows. `subject` is the user id.',
  schema: z.object({
    ...depositIdentity,
    userId: z.uuid(),
    asset: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/),
    amount: positiveMinorUnits,
    tokenContract: addressSchema,
    toAddress: addressSchema,
    fromAddress: addressSchema,
    blockNumber: z.number().int().nonnegative(),
    blockHash: txHashSchema,
    requiredConfirmations: z.number().int().positive(),
    belowDustMinimum: z.boolean(),
    detectedAt: z.iso.datetime({ offset: true }),
  }),
});

export const rangeRescannedV1 = defineEvent({
  context: 'chain',
  aggregate: 'range',
  name: 'rescanned',
  version: 1,
  description:
    'The watcher scanned a block range again: after the node came back (`node-recovery`), after a reorg walked back ' +
    'to the fork point (`reorg`), or on an operator request (`manual`). `depositsFound` counts the deposits to our ' +
    'addresses seen in the range, including ones already known. `subject` is the chain id.',
  schema: z.object({
    chainId: z.number().int().positive(),
    fromBlock: z.number().int().nonnegative(),
    toBlock: z.number().int().nonnegative(),
    depositsFound: z.number().int().nonnegative(),
    reason: z.enum(['node-recovery', 'reorg', 'manual']),
    startedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }),
  }),
});

// ---------------------------------------------------------------------------------------------
// chain-watcher: withdrawals. The watcher signs and broadcasts what the ledger approved; for one
// withdrawal it publishes `broadcast` (again for each fee replacement, with a higher `attempt`),
// then exactly one of `confirmed` or `failed` — never both. `subject` is the withdrawal id.
// ---------------------------------------------------------------------------------------------

const withdrawalIdentity = {
  withdrawalId: z.uuid(),
  userId: z.uuid(),
  chainId: z.number().int().positive(),
};

export const chainWithdrawalBroadcastV1 = defineEvent({
  context: 'chain',
  aggregate: 'withdrawal',
  name: 'broadcast',
  version: 1,
  description:
    'The watcher sent the signed token transfer to the node. The signed transaction and its nonce were stored before ' +
    'sending, so a restart sends the same transaction again and never a second one. A stuck transaction is replaced ' +
    'under the same nonce with a higher fee: a new `broadcast` with `attempt` + 1 and the new `txHash`. After the ' +
    'first `broadcast` the ledger no longer lets the user cancel.',
  schema: z.object({
    ...withdrawalIdentity,
    txHash: txHashSchema,
    nonce: z.number().int().nonnegative(),
    attempt: z.number().int().positive(),
    fromAddress: addressSchema,
    toAddress: addressSchema,
    tokenContract: addressSchema,
    asset: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/),
    amount: positiveMinorUnits,
    broadcastAt: z.iso.datetime({ offset: true }),
  }),
});

export const chainWithdrawalConfirmedV1 = defineEvent({
  context: 'chain',
  aggregate: 'withdrawal',
  name: 'confirmed',
  version: 1,
  description:
    'The withdrawal transaction succeeded and has the required confirmations. The ledger posts the held amount + fee ' +
    'and completes the withdrawal.',
  schema: z.object({
    ...withdrawalIdentity,
    txHash: txHashSchema,
    blockNumber: z.number().int().nonnegative(),
    blockHash: txHashSchema,
    confirmations: z.number().int().positive(),
    confirmedAt: z.iso.datetime({ offset: true }),
  }),
});

export const chainWithdrawalFailedV1 = defineEvent({
  context: 'chain',
  aggregate: 'withdrawal',
  name: 'failed',
  version: 1,
  description:
    'The withdrawal will not happen on chain: its transaction reverted (`reverted`), was dropped and its nonce used ' +
    'by no transaction of ours (`dropped`), or could not be built or signed (`rejected`, e.g. the hot wallet lacks ' +
    'funds). The ledger voids the hold and the user gets amount + fee back. `txHash` is null when nothing was sent.',
  schema: z.object({
    ...withdrawalIdentity,
    txHash: txHashSchema.nullable(),
    reason: z.enum(['reverted', 'dropped', 'rejected']),
    detail: z.string().min(1).max(512),
    failedAt: z.iso.datetime({ offset: true }),
  }),
});
