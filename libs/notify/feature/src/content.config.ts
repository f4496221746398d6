import { z } from 'zod';
import { strictInteger } from '@strongbox/shared-config';
import { parseAssetDecimals } from './assets';

/** The notifier's settings for what it says and to whom (the delivery worker's own are separate). */
export const notifierContentEnv = z.object({
  NOTIFY_ASSET_DECIMALS: z
    .string()
    .default('USDT:6')
    .superRefine((value, context) => {
      try {
        parseAssetDecimals(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    })
    .describe('Decimals of every asset amounts are shown in, as CODE:DECIMALS, comma-separated; must match the chain-watcher token config.'),
  NOTIFY_OPS_CHAT_ID: z
    .string()
    .regex(/^-?[1-9][0-9]{0,15}$/, 'must be a Telegram chat id')
    .optional()
    .describe('Telegram chat that receives ops alerts; unset: alerts are only logged.'),
  NOTIFY_ALERT_DEDUPE_MS: strictInteger({ min: 1_000, max: 86_400_000 })
    .default(600_000)
    .describe('The same alert (by dedupe key) reaches the ops chat at most once per this window; repeats are counted.'),
  NOTIFY_ALERTS_PER_MINUTE_MAX: strictInteger({ min: 1, max: 1_000 })
    .default(20)
    .describe('Most ops alerts sent per minute; further ones are logged and counted, not sent.'),
  NOTIFY_NODE_STATUS_QUIET_MS: strictInteger({ min: 0, max: 604_800_000 })
    .default(3_600_000)
    .describe(
      "A user told that a chain's node went down is not told again for a new outage that starts within this long of the last one they were told of (0: every outage after the recovery is told).",
    ),
  NOTIFY_BROADCAST_CHUNK_SIZE: strictInteger({ min: 1, max: 1_000 })
    .default(500)
    .describe('Recipients a broadcast enqueues per transaction; the cursor moves after each chunk.'),
  NOTIFY_BROADCAST_CHUNK_PAUSE_MS: strictInteger({ min: 0, max: 60_000 })
    .default(0)
    .describe('Pause between two chunks of a broadcast (0: none); the queue orders broadcasts after every other message anyway.'),
});

export type NotifierContentConfig = z.output<typeof notifierContentEnv>;
