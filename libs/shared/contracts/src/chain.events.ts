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
