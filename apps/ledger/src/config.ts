import { z } from 'zod';
import { commonEnv, databaseEnv, inboxEnv, minorUnits, natsEnv, strictInteger } from '@strongbox/shared-config';

/** Everything the ledger reads from its environment; see `.env.example`. */
export const ledgerConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...inboxEnv.shape,
  ...natsEnv.shape,
  LEDGER_ASSETS: z
    .string()
    .default('USDT')
    .describe('Comma-separated asset codes every user gets an account in, e.g. `USDT`.')
    .transform((value) => value.split(',').map((asset) => asset.trim()))
    .pipe(z.array(z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT')).min(1).max(32)),
  LEDGER_WITHDRAWAL_MIN_MINOR: minorUnits().default(1_000_000n).describe('Smallest withdrawal, in minor units of the asset.'),
  LEDGER_WITHDRAWAL_MAX_MINOR: minorUnits().default(10_000_000_000n).describe('Largest single withdrawal, in minor units.'),
  LEDGER_WITHDRAWAL_DAILY_MAX_MINOR: minorUnits()
    .default(20_000_000_000n)
    .describe('Most one user may withdraw in any rolling 24 h, in minor units.'),
  LEDGER_WITHDRAWAL_FEE_MINOR: minorUnits().default(1_000_000n).describe('Fee per withdrawal, in minor units, posted to the fees account.'),
  LEDGER_FRAUD_VELOCITY_PER_HOUR: strictInteger({ min: 1, max: 1_000 })
    .default(5)
    .describe('Withdrawals per user and hour from which a new one waits for an admin.'),
  LEDGER_FRAUD_DEPOSIT_COOLING_MS: strictInteger({ min: 0, max: 7 * 24 * 3_600_000 })
    .default(3_600_000)
    .describe('A withdrawal this soon after a credited deposit waits for an admin.'),
  LEDGER_WITHDRAWAL_COOLING_MS: strictInteger({ min: 0, max: 24 * 3_600_000 })
    .default(60_000)
    .describe(
      'How long a withdrawal that needs no review stays `held` (the user may still cancel it) before the ledger approves it by itself.',
    ),
  LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: strictInteger({ min: 100, max: 600_000 })
    .default(5_000)
    .describe('How often the auto-approval job looks for held withdrawals whose cooling window is over.'),
  LEDGER_REFERRAL_REWARD_ASSET: z
    .string()
    .regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT')
    .default('USDT')
    .describe("Asset of the referral reward; must be one of LEDGER_ASSETS."),
  LEDGER_REFERRAL_REWARD_MINOR: minorUnits()
    .default(0n)
    .describe("Reward paid once to a referrer after the referred user's first credited deposit, in minor units; 0 pays none."),
  LEDGER_RECONCILE_INTERVAL_MS: strictInteger({ min: 1_000, max: 24 * 3_600_000 })
    .default(60_000)
    .describe('How often the reconciliation job checks the ledger invariants.'),
  LEDGER_PLAN_ACCRUAL_INTERVAL_MS: strictInteger({ min: 1_000, max: 24 * 3_600_000 })
    .default(600_000)
    .describe(
      'How often the plan accrual job credits the interest of UTC days that are over and matures deposits whose term ended; ' +
        'a day is paid at most this long after midnight UTC.',
    ),
}).superRefine((config, context) => {
  // The reward is paid into the referrer's account of that asset: the ledger must serve it.
  if (config.LEDGER_REFERRAL_REWARD_MINOR > 0n && !config.LEDGER_ASSETS.includes(config.LEDGER_REFERRAL_REWARD_ASSET)) {
    context.addIssue({
      code: 'custom',
      path: ['LEDGER_REFERRAL_REWARD_ASSET'],
      message: `must be one of LEDGER_ASSETS (${config.LEDGER_ASSETS.join(', ')}) while LEDGER_REFERRAL_REWARD_MINOR is above 0`,
    });
  }
});
