import { z } from 'zod';
import { defineEvent } from './define-event';

// ---------------------------------------------------------------------------------------------
// ledger: withdrawals. Each state change of a withdrawal is published through the ledger's outbox
// in the transaction that made it, so the chain-watcher (which broadcasts) and the notifier (which
// tells the user) see exactly the changes that happened. `subject` is the user id.
// ---------------------------------------------------------------------------------------------

const withdrawalFields = {
  withdrawalId: z.uuid(),
  userId: z.uuid(),
  asset: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/),
  /** Minor units, as a decimal string. */
  amount: z.string().regex(/^[1-9][0-9]{0,37}$/),
  /** Minor units, as a decimal string; posted to the fees account with the amount. */
  fee: z.string().regex(/^(0|[1-9][0-9]{0,37})$/),
  toAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
};

export const withdrawalRequestedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'withdrawal',
  name: 'requested',
  version: 1,
  description:
    'A user asked to withdraw and the ledger holds amount + fee. `state` is `held` (ready to broadcast) or ' +
    '`awaiting_approval` (fraud rules fired; `reviewReasons` names them and an admin decides).',
  schema: z.object({
    ...withdrawalFields,
    state: z.enum(['held', 'awaiting_approval']),
    reviewReasons: z.array(z.string().min(1).max(64)).max(16),
    requestedAt: z.iso.datetime({ offset: true }),
  }),
});

export const withdrawalCancelledV1 = defineEvent({
  context: 'ledger',
  aggregate: 'withdrawal',
  name: 'cancelled',
  version: 1,
  description: 'The user cancelled a withdrawal before it was broadcast; the hold on amount + fee is released.',
  schema: z.object({
    ...withdrawalFields,
    cancelledAt: z.iso.datetime({ offset: true }),
  }),
});

export const withdrawalApprovedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'withdrawal',
  name: 'approved',
  version: 1,
  description: 'An admin approved a withdrawal (or it needed no review and was approved); the chain-watcher broadcasts it.',
  schema: z.object({
    ...withdrawalFields,
    approvedBy: z.uuid(),
    approvedAt: z.iso.datetime({ offset: true }),
  }),
});

export const withdrawalRejectedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'withdrawal',
  name: 'rejected',
  version: 1,
  description: 'An admin rejected a withdrawal awaiting approval; the hold on amount + fee is released.',
  schema: z.object({
    ...withdrawalFields,
    rejectedBy: z.uuid(),
    reason: z.string().min(1).max(256),
    rejectedAt: z.iso.datetime({ offset: true }),
  }),
});

export const withdrawalCompletedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'withdrawal',
  name: 'completed',
  version: 1,
  description:
    'The chain confirmed the withdrawal transaction; the ledger posted the held amount (to withdrawals in flight) and ' +
    'fee (to fees). Final.',
  schema: z.object({
    ...withdrawalFields,
    txHash: z.string().regex(/^0x[0-9a-f]{64}$/),
    completedAt: z.iso.datetime({ offset: true }),
  }),
});

export const withdrawalFailedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'withdrawal',
  name: 'failed',
  version: 1,
  description:
    'The withdrawal failed on chain (reverted, dropped, or could not be sent); the ledger voided the holds, so the ' +
    'user has amount + fee back. Final.',
  schema: z.object({
    ...withdrawalFields,
    txHash: z.string().regex(/^0x[0-9a-f]{64}$/).nullable(),
    reason: z.enum(['reverted', 'dropped', 'rejected']),
    failedAt: z.iso.datetime({ offset: true }),
  }),
});
