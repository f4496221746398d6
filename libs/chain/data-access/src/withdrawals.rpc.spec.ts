// Proves how the node's answers to a raw transaction are classified: the answers that mean "this
// transaction, or one of ours under its nonce, is already there" are success paths; anything else
// is not. Table-driven over the messages geth and anvil send, bare and as ethers wraps them.
import { makeError } from 'ethers';
import { describe, expect, it } from 'vitest';
import { BroadcastOutcomes, classifyBroadcastError } from './withdrawals.rpc';

function wrapped(message: string): Error {
  return makeError('could not coalesce error', 'UNKNOWN_ERROR', { info: { error: { code: -32000, message } } } as never);
}

describe('classifyBroadcastError', () => {
  it.each([
    ['already known', BroadcastOutcomes.alreadyKnown],
    ['transaction already imported', BroadcastOutcomes.alreadyKnown],
    ['known transaction: 0xabc', BroadcastOutcomes.alreadyKnown],
    ['nonce too low: next nonce 5, tx nonce 4', BroadcastOutcomes.nonceUsed],
    ['Nonce too low', BroadcastOutcomes.nonceUsed],
    ['replacement transaction underpriced', BroadcastOutcomes.replacedByPending],
    ['insufficient funds for gas * price + value', undefined],
    ['execution reverted', undefined],
    ['invalid sender', undefined],
  ] as const)('%s → %s', (message, expected) => {
    expect(classifyBroadcastError(wrapped(message))).toBe(expected);
    expect(classifyBroadcastError(new Error(message))).toBe(expected);
  });

  it('uses the codes ethers gives the known answers', () => {
    expect(classifyBroadcastError(makeError('nonce has already been used', 'NONCE_EXPIRED'))).toBe(BroadcastOutcomes.nonceUsed);
    expect(classifyBroadcastError(makeError('replacement fee too low', 'REPLACEMENT_UNDERPRICED'))).toBe(BroadcastOutcomes.replacedByPending);
    expect(classifyBroadcastError(makeError('insufficient funds', 'INSUFFICIENT_FUNDS'))).toBeUndefined();
  });
});
