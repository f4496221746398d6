import { z } from 'zod';
import { HDNodeVoidWallet, HDNodeWallet } from 'ethers';
import { commonEnv, databaseEnv, inboxEnv, natsEnv, secret, strictInteger, urlList, urlWithProtocol } from '@strongbox/shared-config';
import { chainWithdrawalEnv, watchedTokensEnv } from '@strongbox/chain-feature';

/** An extended PUBLIC key: the watcher derives deposit addresses and must never hold their private keys. */
const extendedPublicKey = z.string().superRefine((value, context) => {
  try {
    if (!(HDNodeWallet.fromExtendedKey(value.trim()) instanceof HDNodeVoidWallet)) {
      context.addIssue({ code: 'custom', message: 'is an extended PRIVATE key; give the extended public key (xpub) only' });
    }
  } catch {
    context.addIssue({ code: 'custom', message: 'must be an extended public key (xpub…)' });
  }
});

/** Everything chain-watcher reads from its environment; see `.env.example`. */
export const chainWatcherConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...inboxEnv.shape,
  ...natsEnv.shape,
  CHAIN_RPC_URL: urlList(['http', 'https']).describe(
    'JSON-RPC URL of the EVM node; several, comma-separated, are tried in order (failover).',
  ),
  CHAIN_WS_URL: urlWithProtocol(['ws', 'wss'])
    .optional()
    .describe(
      "WebSocket URL of the node for `newHeads` notifications; when set, the scanner reads a new block at once instead of at its next poll (nothing from the socket is trusted; polling goes on).",
    ),
  CHAIN_ID: strictInteger({ min: 1, max: 2 ** 31 - 1 }).default(31337).describe('EVM chain id the node must serve.'),
  CHAIN_POLL_INTERVAL_MS: strictInteger({ min: 100, max: 60_000 }).default(2_000).describe('How often the deposit scanner looks for new blocks.'),
  CHAIN_RPC_TIMEOUT_MS: strictInteger({ min: 100, max: 60_000 }).default(5_000).describe('Time limit of one JSON-RPC call.'),
  CHAIN_DEPOSIT_XPUB: secret(extendedPublicKey).describe(
    "Extended public key of the deposit addresses' external chain (m/44'/60'/0'/0); user n gets child n.",
  ),
  CHAIN_DEPOSIT_TOKENS: watchedTokensEnv().describe(
    'JSON list of deposit assets: asset code (as the ledger spells it), decimals, dustMinimumMinor and contracts with their block ranges.',
  ),
  CHAIN_CONFIRMATIONS: strictInteger({ min: 1, max: 1_000 }).default(12).describe('Confirmations after which a deposit is confirmed (head - block + 1).'),
  CHAIN_SCAN_BLOCKS_MAX: strictInteger({ min: 1, max: 10_000 }).default(1_000).describe('Most blocks one log query of the scanner covers.'),
  CHAIN_REORG_DEPTH_MAX: strictInteger({ min: 2, max: 10_000 }).default(64).describe(
    'Recent block hashes kept to find a fork point; the deepest reorg handled. Must exceed CHAIN_CONFIRMATIONS.',
  ),
  CHAIN_HEALTH_INTERVAL_MS: strictInteger({ min: 100, max: 60_000 }).default(2_000).describe('How often the node health monitor reads the head.'),
  CHAIN_STALL_TIMEOUT_MS: strictInteger({ min: 1_000, max: 86_400_000 }).default(180_000).describe(
    'A node without a new block for this long counts as failed (stalled).',
  ),
  ...chainWithdrawalEnv.shape,
});
