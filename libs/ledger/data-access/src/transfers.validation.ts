import {
  LINKED_TRANSFERS_MAX,
  TRANSFER_METADATA_ENTRIES_MAX,
  TRANSFER_METADATA_KEY_LENGTH_MAX,
  TRANSFER_METADATA_VALUE_LENGTH_MAX,
  TRANSFER_REFERENCE_LENGTH_MAX,
} from '@strongbox/shared-contracts';
import { AMOUNT_MINOR_MAX, isUuidV7 } from '@strongbox/shared-domain';
import { LedgerError, LedgerErrorCodes } from './errors';
import { TransferCodes, TransferKinds, type TransferCode } from './ledger.schema';

// ---------------------------------------------------------------------------------------------
// Shape checks of transfer requests, before any query: each refusal names the transfer (by its
// index and id) and what is wrong, and nothing has touched the database yet.
// ---------------------------------------------------------------------------------------------

/** Most transfers one `createTransfers` call may link together (they commit or fail as one). */
export const TRANSFERS_PER_CALL_MAX = LINKED_TRANSFERS_MAX;

/**
 * One transfer to create. Exactly one of four shapes:
 * - a plain transfer: `debitAccountId`, `creditAccountId`, `amount` > 0;
 * - a hold: the same plus `pending` (optionally with `timeoutAt`, after which it voids itself);
 * - a post of a hold: `postPendingId`, `amount` at most the held amount (0n or omitted posts all of it);
 * - a void of a hold: `voidPendingId` (`amount` omitted, 0n, or exactly the held amount).
 * A post or a void takes its accounts and asset from the hold; accounts given anyway must match it.
 *
 * @example
 * const hold = { id: newId(), debitAccountId: userAvailable, creditAccountId: inFlight, amount: 25_000_000n,
 *   code: TransferCodes.withdrawal, pending: {}, reference: withdrawalId };
 * const post = { id: newId(), postPendingId: hold.id, code: TransferCodes.withdrawal };
 */
export interface TransferInput {
  /** UUIDv7 chosen by the caller; a retry reuses it, and a used id is refused (LEDGER_ERR_TRANSFER_EXISTS). */
  readonly id: string;
  readonly debitAccountId?: string;
  readonly creditAccountId?: string;
  /** Minor units. > 0 for a plain transfer or a hold; for a post at most the held amount (0n/omitted = all). */
  readonly amount?: bigint;
  readonly code: TransferCode;
  /** Makes the transfer a hold: the amount moves into the pending totals until it is posted or voided. */
  readonly pending?: { readonly timeoutAt?: Date };
  /** Posts this pending transfer. */
  readonly postPendingId?: string;
  /** Voids this pending transfer. */
  readonly voidPendingId?: string;
  /** The business object behind the transfer (a withdrawal id, a deposit key). */
  readonly reference?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A plain transfer or a hold, checked. */
export interface ValidatedMovement {
  readonly kind: typeof TransferKinds.single | typeof TransferKinds.pending;
  readonly index: number;
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly code: TransferCode;
  readonly timeoutAt: Date | null;
  readonly reference: string | null;
  readonly metadata: Record<string, string>;
}

/** A post or a void of a hold, checked; accounts and the amount's upper bound come from the hold. */
export interface ValidatedResolution {
  readonly kind: typeof TransferKinds.postPending | typeof TransferKinds.voidPending;
  readonly index: number;
  readonly id: string;
  readonly pendingId: string;
  readonly debitAccountId: string | null;
  readonly creditAccountId: string | null;
  /** 0n: the whole held amount. */
  readonly amount: bigint;
  readonly code: TransferCode;
  readonly reference: string | null;
  readonly metadata: Record<string, string>;
}

export type ValidatedTransfer = ValidatedMovement | ValidatedResolution;

/** A UUID in canonical lower-case form (any version: account ids are compared as text). */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a canonical lower-case UUID. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

const TRANSFER_CODE_VALUES: ReadonlySet<string> = new Set(Object.values(TransferCodes));

function describeTransfer(index: number, id: unknown): string {
  return `transfer #${index}${typeof id === 'string' ? ` (${id.slice(0, 64)})` : ''}`;
}

function invalid(index: number, id: unknown, problem: string, details: Record<string, string> = {}): LedgerError {
  return new LedgerError(LedgerErrorCodes.invalidTransfer, `${describeTransfer(index, id)}: ${problem}`, {
    index: String(index),
    ...(typeof id === 'string' ? { transferId: id.slice(0, 64) } : {}),
    ...details,
  });
}

function checkAccountId(index: number, id: unknown, field: string, value: unknown): void {
  if (!isUuid(value)) throw invalid(index, id, `${field} must be a lower-case UUID, got ${JSON.stringify(String(value)).slice(0, 80)}`);
}

function checkAmount(index: number, id: unknown, amount: unknown, allowZero: boolean): bigint {
  if (typeof amount !== 'bigint') throw invalid(index, id, `amount must be a bigint count of minor units, got ${typeof amount}`);
  if (amount < 0n || (amount === 0n && !allowZero)) throw invalid(index, id, `amount must be greater than zero, got ${amount}`, { amount: amount.toString() });
  if (amount > AMOUNT_MINOR_MAX) throw invalid(index, id, `amount exceeds the largest amount ${AMOUNT_MINOR_MAX}`, { amount: amount.toString() });
  return amount;
}

function checkReference(index: number, id: unknown, reference: unknown): string | null {
  if (reference === undefined || reference === null) return null;
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > TRANSFER_REFERENCE_LENGTH_MAX) {
    throw invalid(index, id, `reference must be 1 to ${TRANSFER_REFERENCE_LENGTH_MAX} characters`);
  }
  return reference;
}

function checkMetadata(index: number, id: unknown, metadata: unknown): Record<string, string> {
  if (metadata === undefined || metadata === null) return {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid(index, id, 'metadata must be an object of strings');
  const entries = Object.entries(metadata);
  if (entries.length > TRANSFER_METADATA_ENTRIES_MAX) throw invalid(index, id, `metadata has ${entries.length} entries; at most ${TRANSFER_METADATA_ENTRIES_MAX}`);
  const copy: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > TRANSFER_METADATA_KEY_LENGTH_MAX) {
      throw invalid(index, id, `metadata keys must be 1 to ${TRANSFER_METADATA_KEY_LENGTH_MAX} characters`);
    }
    if (typeof value !== 'string' || value.length > TRANSFER_METADATA_VALUE_LENGTH_MAX) {
      throw invalid(index, id, `metadata value of "${key.slice(0, 64)}" must be a string of at most ${TRANSFER_METADATA_VALUE_LENGTH_MAX} characters`);
    }
    copy[key] = value;
  }
  return copy;
}

function validateOne(transfer: TransferInput, index: number, now: Date): ValidatedTransfer {
  const id: unknown = transfer.id;
  if (!isUuidV7(id)) throw invalid(index, id, 'id must be a UUIDv7 in canonical lower-case form');
  if (!TRANSFER_CODE_VALUES.has(transfer.code)) {
    throw invalid(index, id, `code ${JSON.stringify(String(transfer.code)).slice(0, 80)} is not one of ${[...TRANSFER_CODE_VALUES].join(', ')}`);
  }
  const reference = checkReference(index, id, transfer.reference);
  const metadata = checkMetadata(index, id, transfer.metadata);
  const posts = transfer.postPendingId !== undefined;
  const voids = transfer.voidPendingId !== undefined;
  const holds = transfer.pending !== undefined;
  if ([posts, voids, holds].filter(Boolean).length > 1) {
    throw invalid(index, id, 'a transfer is at most one of: a hold (pending), a post (postPendingId), a void (voidPendingId)');
  }

  if (posts || voids) {
    const pendingId = posts ? transfer.postPendingId : transfer.voidPendingId;
    if (!isUuid(pendingId)) throw invalid(index, id, `${posts ? 'postPendingId' : 'voidPendingId'} must be a lower-case UUID`);
    if (pendingId === id) throw invalid(index, id, 'a transfer cannot resolve itself');
    if (transfer.debitAccountId !== undefined) checkAccountId(index, id, 'debitAccountId', transfer.debitAccountId);
    if (transfer.creditAccountId !== undefined) checkAccountId(index, id, 'creditAccountId', transfer.creditAccountId);
    // Zero means "the whole held amount"; a void never takes a part of it (checked against the hold later).
    const amount = transfer.amount === undefined ? 0n : checkAmount(index, id, transfer.amount, true);
    return {
      kind: posts ? TransferKinds.postPending : TransferKinds.voidPending,
      index,
      id,
      pendingId,
      debitAccountId: transfer.debitAccountId ?? null,
      creditAccountId: transfer.creditAccountId ?? null,
      amount,
      code: transfer.code,
      reference,
      metadata,
    };
  }

  checkAccountId(index, id, 'debitAccountId', transfer.debitAccountId);
  checkAccountId(index, id, 'creditAccountId', transfer.creditAccountId);
  if (transfer.debitAccountId === transfer.creditAccountId) {
    throw invalid(index, id, 'debit and credit account are the same account', { accountId: String(transfer.debitAccountId) });
  }
  const amount = checkAmount(index, id, transfer.amount, false);
  let timeoutAt: Date | null = null;
  if (holds) {
    const requested = transfer.pending?.timeoutAt;
    if (requested !== undefined) {
      if (!(requested instanceof Date) || Number.isNaN(requested.getTime())) throw invalid(index, id, 'pending.timeoutAt must be a valid Date');
      if (requested.getTime() <= now.getTime()) {
        throw invalid(index, id, `pending.timeoutAt ${requested.toISOString()} is not after now (${now.toISOString()})`);
      }
      timeoutAt = requested;
    }
  }
  return {
    kind: holds ? TransferKinds.pending : TransferKinds.single,
    index,
    id,
    debitAccountId: transfer.debitAccountId as string,
    creditAccountId: transfer.creditAccountId as string,
    amount,
    code: transfer.code,
    timeoutAt,
    reference,
    metadata,
  };
}

/**
 * Checks the shape of every transfer of one call, in order, and throws the first problem as a
 * LedgerError: LEDGER_ERR_LIMIT for more than TRANSFERS_PER_CALL_MAX transfers,
 * LEDGER_ERR_INVALID_TRANSFER for everything else (no transfers, a malformed id, amount or code,
 * one account on both sides, a bad combination of fields, an id or a hold used twice in the call,
 * a hold resolved in the call that creates it). Pure: no database access.
 */
export function validateTransferInputs(transfers: readonly TransferInput[], now: Date): ValidatedTransfer[] {
  if (!Array.isArray(transfers) || transfers.length === 0) {
    throw new LedgerError(LedgerErrorCodes.invalidTransfer, 'a call creates at least one transfer');
  }
  if (transfers.length > TRANSFERS_PER_CALL_MAX) {
    throw new LedgerError(LedgerErrorCodes.limit, `${transfers.length} transfers in one call; at most ${TRANSFERS_PER_CALL_MAX}`, {
      count: String(transfers.length),
      max: String(TRANSFERS_PER_CALL_MAX),
    });
  }
  const validated = transfers.map((transfer, index) => validateOne(transfer, index, now));
  const ids = new Set<string>();
  const resolved = new Set<string>();
  for (const transfer of validated) {
    if (ids.has(transfer.id)) throw invalid(transfer.index, transfer.id, 'the id is used twice in one call');
    ids.add(transfer.id);
  }
  for (const transfer of validated) {
    if (transfer.kind !== TransferKinds.postPending && transfer.kind !== TransferKinds.voidPending) continue;
    if (ids.has(transfer.pendingId)) {
      throw invalid(transfer.index, transfer.id, 'a hold cannot be posted or voided in the call that creates it', { pendingId: transfer.pendingId });
    }
    if (resolved.has(transfer.pendingId)) {
      throw new LedgerError(
        LedgerErrorCodes.pendingAlreadyResolved,
        `${describeTransfer(transfer.index, transfer.id)}: pending transfer ${transfer.pendingId} is resolved twice in one call`,
        { transferId: transfer.id, pendingId: transfer.pendingId },
      );
    }
    resolved.add(transfer.pendingId);
  }
  return validated;
}
