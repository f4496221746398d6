import { z } from 'zod';
import { defineCommand, type CommandDefinition } from './define-command';

// ---------------------------------------------------------------------------------------------
// The chain-watcher's commands (request/reply on `<ns>.chain.cmd.<name>.v<N>`). The bot-gateway
// asks for a user's deposit address and lets a user claim a deposit by its transaction hash.
// ---------------------------------------------------------------------------------------------

/** Errors the chain-watcher answers with (besides the generic COMMAND_ERR_* ones). */
export const ChainCommandErrors = {
  /** The user has no deposit address yet (the ledger has not opened their accounts). */
  addressNotFound: 'CHAIN_ERR_ADDRESS_NOT_FOUND',
  /** The watcher's database is unreachable; retry later. */
  unavailable: 'CHAIN_ERR_UNAVAILABLE',
} as const;

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an EVM address');
const txHashSchema = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.string().regex(/^0x[0-9a-f]{64}$/, 'a 0x-prefixed transaction hash of 64 hex digits'));

export const getDepositAddressV1 = defineCommand({
  context: 'chain',
  name: 'get-deposit-address',
  version: 1,
  description: "The user's deposit address on the watched chain, for the bot to show.",
  idempotent: false,
  request: z.object({ userId: z.uuid() }),
  response: z.object({
    userId: z.uuid(),
    chainId: z.number().int().positive(),
    address: addressSchema,
    /** Confirmations after which a deposit to the address is credited (absent from older watchers). */
    requiredConfirmations: z.number().int().positive().optional(),
  }),
  errors: [ChainCommandErrors.addressNotFound, ChainCommandErrors.unavailable],
});

/** What the watcher knows of a claimed transaction. */
export const depositClaimStatusSchema = z.enum([
  /** Deposits of this transaction to the user's address are confirmed (and so credited by the ledger). */
  'confirmed',
  /** Seen in a block, waiting for confirmations. */
  'awaiting_confirmations',
  /** The node is down: the claim is stored and checked when it returns. */
  'pending_network_recovery',
  /** Not (yet) seen: the transaction is unknown, pending, or pays no address of this user. The claim is kept and re-checked. */
  'not_found',
  /** Only amounts below the dust minimum: recorded, not credited. */
  'below_dust_minimum',
]);

export const claimDepositV1 = defineCommand({
  context: 'chain',
  name: 'claim-deposit',
  version: 1,
  description:
    'A user says "I sent a deposit in this transaction". The watcher looks the transaction up at once when the node is ' +
    'up; while the node is down it stores the claim as PENDING_NETWORK_RECOVERY and checks it after recovery. A claim ' +
    'never credits anything by itself: only a confirmed scan of the chain does. Claiming the same hash again answers ' +
    'the current status.',
  idempotent: false,
  request: z.object({ userId: z.uuid(), txHash: txHashSchema }),
  response: z.object({
    userId: z.uuid(),
    txHash: z.string().regex(/^0x[0-9a-f]{64}$/),
    status: depositClaimStatusSchema,
    confirmations: z.number().int().nonnegative().nullable(),
    requiredConfirmations: z.number().int().positive(),
  }),
  errors: [ChainCommandErrors.unavailable],
});

/** Every chain-watcher command, for the docs generator. */
export const chainCommands: readonly CommandDefinition[] = [getDepositAddressV1, claimDepositV1];
