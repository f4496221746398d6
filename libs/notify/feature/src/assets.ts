import { defineAsset, Money, type Asset } from '@strongbox/shared-domain';

/**
 * The decimals of each asset the notifier formats. Events carry amounts in minor units and an
 * asset code only; the decimals live in the chain-watcher's token config, which the notifier does
 * not read, so they are configured here too (`NOTIFY_ASSET_DECIMALS=USDT:6`).
 */
export type AssetBook = ReadonlyMap<string, Asset>;

export class UnknownAssetError extends Error {
  readonly code = 'NOTIFY_ERR_UNKNOWN_ASSET';
}

/** Parses `USDT:6,DAI:18`; throws naming the bad entry. */
export function parseAssetDecimals(text: string): AssetBook {
  const book = new Map<string, Asset>();
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part.length > 0)) {
    const match = /^([A-Z][A-Z0-9]{1,11}):([0-9]{1,2})$/.exec(entry);
    if (!match?.[1] || !match[2]) throw new Error(`"${entry}" is not CODE:DECIMALS (e.g. USDT:6)`);
    if (book.has(match[1])) throw new Error(`asset ${match[1]} is listed twice`);
    book.set(match[1], defineAsset(match[1], Number(match[2])));
  }
  if (book.size === 0) throw new Error('no asset listed');
  return book;
}

/**
 * `1.5 USDT` for `"1500000"` of USDT at 6 decimals. Throws UnknownAssetError for an asset without
 * configured decimals: a guessed scale would show the user a wrong amount.
 */
export function formatMoney(book: AssetBook, asset: string, amountMinor: string): string {
  const known = book.get(asset);
  if (!known) throw new UnknownAssetError(`no decimals configured for asset ${asset} (NOTIFY_ASSET_DECIMALS)`);
  return `${Money.of(BigInt(amountMinor), known).format({ trimZeros: true })} ${asset}`;
}
