/** An annual rate in basis points as people read it: 450 → `4.5`, 1200 → `12`, 5 → `0.05` (no float rounding). */
export function rateText(rateBps: number): string {
  if (!Number.isSafeInteger(rateBps) || rateBps < 0) throw new RangeError(`rateText: not a rate in basis points: ${rateBps}`);
  const whole = Math.floor(rateBps / 100);
  const fraction = String(rateBps % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}
