import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Which tokens count as deposits. An asset (its code must match the ledger's, e.g. USDT) has its
// decimals, a dust minimum and one or more contracts, each watched in its own block range: when a
// token migrates to a new contract, the old one is watched up to its last block and the new one
// from its first, so no deposit is lost in the switch.
// ---------------------------------------------------------------------------------------------

/** Most assets and contracts per asset one watcher is configured with. */
export const WATCHED_ASSETS_MAX = 16;
export const CONTRACTS_PER_ASSET_MAX = 8;

const blockNumber = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const watchedContractSchema = z
  .object({
    address: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
      .transform((value) => value.toLowerCase()),
    /** First block in which Transfer logs of this contract count. */
    fromBlock: blockNumber,
    /** Last such block (inclusive); null while the contract is current. */
    toBlock: blockNumber.nullable().default(null),
  })
  .strict()
  .refine((contract) => contract.toBlock === null || contract.toBlock >= contract.fromBlock, 'toBlock must not be below fromBlock');

const watchedAssetSchema = z
  .object({
    asset: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'must be an asset code such as USDT, as the ledger spells it'),
    decimals: z.number().int().min(0).max(36),
    /** Amounts below this (minor units, decimal digits) are recorded but never confirmed nor credited. */
    dustMinimumMinor: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,37})$/, 'must be minor units in decimal digits')
      .transform((value) => BigInt(value)),
    contracts: z.array(watchedContractSchema).min(1).max(CONTRACTS_PER_ASSET_MAX),
  })
  .strict();

/** The parsed list: assets with lower-case contract addresses and bigint dust minimums. */
export const watchedTokensSchema = z
  .array(watchedAssetSchema)
  .min(1)
  .max(WATCHED_ASSETS_MAX)
  .superRefine((assets, context) => {
    const seen = new Set<string>();
    for (const asset of assets) {
      if (seen.has(asset.asset)) context.addIssue({ code: 'custom', message: `asset ${asset.asset} is listed twice` });
      seen.add(asset.asset);
    }
    const contracts = new Set<string>();
    for (const contract of assets.flatMap((asset) => asset.contracts)) {
      if (contracts.has(contract.address)) context.addIssue({ code: 'custom', message: `contract ${contract.address} is listed twice` });
      contracts.add(contract.address);
    }
  });

export type WatchedTokens = z.output<typeof watchedTokensSchema>;
export type WatchedAsset = WatchedTokens[number];

/**
 * The environment variable's form: a JSON list of assets, parsed strictly.
 *
 * @example
 * CHAIN_DEPOSIT_TOKENS='[{"asset":"USDT","decimals":6,"dustMinimumMinor":"1000000",
 *   "contracts":[{"address":"0xdAC17F958D2ee523a2206206994597C13D831ec7","fromBlock":4634748,"toBlock":null}]}]'
 */
export function watchedTokensEnv() {
  return z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON list of assets' });
        return z.NEVER;
      }
    })
    .pipe(watchedTokensSchema);
}

/** The first block any watched contract counts from: where a fresh cursor starts. */
export function firstWatchedBlock(tokens: WatchedTokens): number {
  return Math.min(...tokens.flatMap((asset) => asset.contracts.map((contract) => contract.fromBlock)));
}
