import { defineStateMachine } from '@strongbox/shared-domain';
import type { SupportRequestStatus } from '@strongbox/shared-contracts';

/**
 * The support request lifecycle:
 *
 * ```
 * new ──▶ in_progress ──▶ resolved ──▶ closed
 *  └──────────┴──▶ cancelled
 * ```
 *
 * The user may cancel while the request is `new` or `in_progress`; an admin moves it along. Once
 * resolved it can only be closed: a problem that comes back is a new request.
 */
export const supportRequestMachine = defineStateMachine<SupportRequestStatus>({
  name: 'support request',
  initial: 'new',
  transitions: {
    new: ['in_progress', 'cancelled'],
    in_progress: ['resolved', 'cancelled'],
    resolved: ['closed'],
    closed: [],
    cancelled: [],
  },
});
