import { defineStateMachine } from '@strongbox/shared-domain';
import { WithdrawalStates, type WithdrawalState } from '@strongbox/ledger-data-access';

/**
 * The withdrawal lifecycle. The holds (amount + fee) are placed before `held`/`awaiting_approval`;
 * they are posted on `completed` and voided on `cancelled`, `rejected` and `failed`.
 *
 * ```
 * held ──(cooling window over: auto-approval job, or an admin)──▶ approved ──(chain broadcast)──▶ broadcast
 *  │ └──(user blacklisted meanwhile)──▶ awaiting_approval ──(admin)──▶ approved / rejected         │
 *  └──(user)──▶ cancelled ◀──(user)── awaiting_approval                                             │
 * approved ──(chain confirmed, its broadcast not seen yet)──▶ completed ◀──(chain confirmed)───────┤
 * approved ──(chain failed, e.g. could not be signed)──────▶ failed    ◀──(chain failed)──────────┘
 * ```
 *
 * - The user may cancel only while the withdrawal is `held` or `awaiting_approval`: once approved,
 *   the chain-watcher may be signing it.
 * - `approved → completed` exists because chain events may arrive out of order: a `confirmed` that
 *   overtakes its `broadcast` still completes the withdrawal, and the late `broadcast` changes nothing.
 * - A repeated `broadcast` with a higher `attempt` (a fee replacement) is not a transition: it only
 *   replaces the stored transaction hash.
 * - `completed` and `failed` are final: a second `confirmed`/`failed` changes nothing, and `failed`
 *   after `completed` (or the reverse) is refused as a defect of the sender (withdrawal.lifecycle.ts).
 */
export const withdrawalMachine = defineStateMachine<WithdrawalState>({
  name: 'withdrawal',
  initial: WithdrawalStates.held,
  transitions: {
    [WithdrawalStates.held]: [WithdrawalStates.approved, WithdrawalStates.cancelled, WithdrawalStates.awaitingApproval],
    [WithdrawalStates.awaitingApproval]: [WithdrawalStates.approved, WithdrawalStates.rejected, WithdrawalStates.cancelled],
    [WithdrawalStates.approved]: [WithdrawalStates.broadcast, WithdrawalStates.completed, WithdrawalStates.failed],
    [WithdrawalStates.broadcast]: [WithdrawalStates.completed, WithdrawalStates.failed],
    [WithdrawalStates.completed]: [],
    [WithdrawalStates.failed]: [],
    [WithdrawalStates.rejected]: [],
    [WithdrawalStates.cancelled]: [],
  },
});
