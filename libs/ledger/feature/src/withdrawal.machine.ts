import { defineStateMachine } from '@strongbox/shared-domain';
import { WithdrawalStates, type WithdrawalState } from '@strongbox/ledger-data-access';

/**
 * The withdrawal lifecycle. The hold is placed before `held`/`awaiting_approval`; it is posted on
 * `completed` and voided on `cancelled`, `rejected` and `failed`. A user may cancel only before the
 * withdrawal is broadcast.
 */
export const withdrawalMachine = defineStateMachine<WithdrawalState>({
  name: 'withdrawal',
  initial: WithdrawalStates.held,
  transitions: {
    [WithdrawalStates.held]: [WithdrawalStates.approved, WithdrawalStates.cancelled, WithdrawalStates.awaitingApproval],
    [WithdrawalStates.awaitingApproval]: [WithdrawalStates.approved, WithdrawalStates.rejected, WithdrawalStates.cancelled],
    [WithdrawalStates.approved]: [WithdrawalStates.broadcast, WithdrawalStates.failed],
    [WithdrawalStates.broadcast]: [WithdrawalStates.completed, WithdrawalStates.failed],
    [WithdrawalStates.completed]: [],
    [WithdrawalStates.failed]: [],
    [WithdrawalStates.rejected]: [],
    [WithdrawalStates.cancelled]: [],
  },
});
