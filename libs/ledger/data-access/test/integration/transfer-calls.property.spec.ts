// Property: several independent calls decided in one pass (planTransferCalls) end exactly as if
// each had run alone, one after the other. fast-check generates 40 passes of up to 30 calls; a call
// links one to three transfers between random user accounts and the deposits clearing account
// (which may go negative), and some calls are malformed (zero amount) or reuse a transfer id. A model
// applies the calls in order, each all or nothing, refusing one that would take a user account
// below zero; after each pass the outcomes (commit or the exact LedgerError code) and every account's
// totals equal the model's, and checkInvariants reports nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import {
  AccountKinds,
  checkInvariants,
  ensureSystemAccounts,
  getAccounts,
  LedgerErrorCodes,
  openUserAccounts,
  planTransferCalls,
  TransferCodes,
  type TransferCall,
  type TransferInput,
} from '../../src/index';
import { freshLedger, inTx, systemAccount, type LedgerTestContext } from '../support/ledger.harness';

const USERS = 4;
let context: LedgerTestContext;
let pass = 0;

beforeAll(async () => {
  context = await freshLedger({ poolSizeMax: 2 });
});

afterAll(async () => {
  await context.dispose();
});

/** A transfer of a generated call: indexes into the pass's accounts (USERS = the clearing account). */
interface Leg {
  readonly from: number;
  readonly to: number;
  readonly amount: number;
}
interface GeneratedCall {
  readonly legs: readonly Leg[];
  readonly malformed: boolean;
  readonly reuseEarlierId: boolean;
}

const legArbitrary = fc
  .record({ from: fc.integer({ min: 0, max: USERS }), to: fc.integer({ min: 0, max: USERS }), amount: fc.integer({ min: 1, max: 500 }) })
  .filter((leg) => leg.from !== leg.to);
const callArbitrary = fc.record({
  legs: fc.array(legArbitrary, { minLength: 1, maxLength: 3 }),
  malformed: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
  reuseEarlierId: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
});

describe('planTransferCalls', () => {
  it('ends every pass exactly as the calls run one by one would', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArbitrary, { minLength: 1, maxLength: 30 }), async (generated: GeneratedCall[]) => {
        pass += 1;
        const asset = `P${pass}`;
        await inTx(context, (tx) => ensureSystemAccounts(tx, [asset]));
        const clearing = await systemAccount(context, asset, AccountKinds.depositsClearing);
        const users: string[] = [];
        for (let index = 0; index < USERS; index += 1) {
          const accounts = await inTx(context, (tx) => openUserAccounts(tx, { namespace: context.namespace, userId: newId(), assets: [asset], causationId: newId() }));
          users.push((accounts.opened.find((account) => account.kind === AccountKinds.userAvailable) as { id: string }).id);
        }
        const accountIds = [...users, clearing];

        // The model: balances (credits − debits) per account, the calls applied in order.
        const balance = accountIds.map(() => 0n);
        const usedIds: string[] = [];
        const expected: string[] = [];
        const calls: TransferCall[] = generated.map((call) => {
          const transfers: TransferInput[] = call.legs.map((leg, index) => ({
            id: call.reuseEarlierId && index === 0 && usedIds.length > 0 ? (usedIds[0] as string) : newId(),
            debitAccountId: accountIds[leg.from] as string,
            creditAccountId: accountIds[leg.to] as string,
            amount: call.malformed ? 0n : BigInt(leg.amount),
            code: TransferCodes.internalTransfer,
          }));
          if (call.malformed) {
            expected.push(LedgerErrorCodes.invalidTransfer);
            return { transfers };
          }
          if (transfers.some((transfer) => usedIds.includes(transfer.id))) {
            expected.push(LedgerErrorCodes.transferExists);
            return { transfers };
          }
          // Linked transfers apply in order: each must leave every user account at zero or more.
          const next = [...balance];
          let refused = false;
          for (const leg of call.legs) {
            next[leg.from] = (next[leg.from] as bigint) - BigInt(leg.amount);
            next[leg.to] = (next[leg.to] as bigint) + BigInt(leg.amount);
            if (next.slice(0, USERS).some((value) => value < 0n)) refused = true;
          }
          if (refused) {
            expected.push(LedgerErrorCodes.insufficientFunds);
            return { transfers };
          }
          next.forEach((value, index) => (balance[index] = value));
          usedIds.push(...transfers.map((transfer) => transfer.id));
          expected.push('ok');
          return { transfers, causationId: `call-${pass}` };
        });

        const outcomes = await inTx(context, async (tx) => {
          const plan = await planTransferCalls(tx, { namespace: context.namespace, calls });
          await plan.write();
          return plan.outcomes;
        });
        expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.code))).toEqual(expected);
        const stored = await inTx(context, (tx) => getAccounts(tx, accountIds));
        for (const [index, id] of accountIds.entries()) {
          const account = stored.find((row) => row.id === id);
          expect(account && account.creditsPosted - account.debitsPosted, `account ${index}`).toBe(balance[index]);
        }
      }),
      { numRuns: 40 },
    );
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });
});
