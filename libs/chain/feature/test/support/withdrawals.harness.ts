import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Contract, Wallet, toBeHex } from 'ethers';
import postgres from 'postgres';
import { chainMigrationsFolder, chainSchema } from '@strongbox/chain-data-access';
import { deployTestToken, type DeployedTestToken } from '@strongbox/chain-testing';
import { pgSchemaName, withdrawalApprovedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { createDatabase, dropSchema, migrate, type Database } from '@strongbox/shared-db';
import { startAnvil, type AnvilNode } from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL } from '@strongbox/shared-testing';
import type { ApprovedEvent } from '../../src/index';

// ---------------------------------------------------------------------------------------------
// Shared plumbing of the withdrawal tests: a private anvil with the test ERC-20, funded hot
// wallets, a migrated chain-watcher schema per namespace, approval events, and reading back what
// the sender stored and enqueued.
// ---------------------------------------------------------------------------------------------

export const ASSET = 'TUSD';
const MIGRATION_LOCK_TIMEOUT_MS = 30_000;

export interface ChainFixture {
  readonly anvil: AnvilNode;
  readonly token: DeployedTestToken;
  /** A raw JSON-RPC call to anvil. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  setAutomine(on: boolean): Promise<void>;
  mine(blocks?: number): Promise<void>;
  /** A new random hot wallet with 10 ETH and `tokens` minor units of the test token. */
  fundedWallet(tokens: bigint): Promise<Wallet>;
  tokenBalance(address: string): Promise<bigint>;
  /** Mined transaction count of `address` (= next nonce on chain). */
  minedNonce(address: string): Promise<number>;
  /** Hashes of the pending transactions anvil holds from `address`. */
  pendingFrom(address: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts a private anvil (automine on, or one block per `blockTimeS`) and deploys the test token. */
export async function startChainFixture(options: { blockTimeS?: number } = {}): Promise<ChainFixture> {
  const anvil = await startAnvil({ port: await freePort(), ...(options.blockTimeS === undefined ? {} : { blockTimeS: options.blockTimeS }) });
  const token = await deployTestToken({ rpcUrl: anvil.url, symbol: ASSET });
  const rpc = <T>(method: string, params: unknown[] = []) => token.provider.send(method, params) as Promise<T>;
  const balanceOf = token.contract.getFunction('balanceOf');
  return {
    anvil,
    token,
    rpc,
    setAutomine: async (on) => void (await rpc('evm_setAutomine', [on])),
    mine: async (blocks = 1) => void (await rpc('anvil_mine', [toBeHex(blocks)])),
    async fundedWallet(tokens) {
      const wallet = new Wallet(`0x${randomBytes(32).toString('hex')}`);
      await rpc('anvil_setBalance', [wallet.address, toBeHex(10n ** 19n)]);
      if (tokens > 0n) await token.mint(wallet.address, tokens);
      return wallet;
    },
    tokenBalance: async (address) => (await balanceOf(address)) as bigint,
    minedNonce: (address) => token.provider.getTransactionCount(address, 'latest'),
    async pendingFrom(address) {
      const content = await rpc<{ pending: Record<string, Record<string, { hash: string }>> }>('txpool_content');
      const entry = Object.entries(content.pending).find(([from]) => from.toLowerCase() === address.toLowerCase());
      return entry ? Object.values(entry[1]).map((tx) => tx.hash.toLowerCase()) : [];
    },
    async stop() {
      token.close();
      await anvil.stop();
    },
  };
}

/** Pauses (or resumes) every transfer of the test token: a transfer then reverts. */
export async function setTransfersPaused(token: DeployedTestToken, paused: boolean): Promise<void> {
  const tx = (await (token.contract as Contract).getFunction('setTransfersPaused')(paused)) as { wait(): Promise<unknown> };
  await tx.wait();
}

export interface ChainSchemaFixture {
  readonly schema: string;
  readonly database: Database<typeof chainSchema>;
  /** postgres.js with `search_path` = the schema. */
  readonly sql: postgres.Sql;
  dispose(): Promise<void>;
}

/** Migrates chain-watcher's schema of `namespace` on the loopback PostgreSQL. */
export async function freshChainSchema(namespace: string): Promise<ChainSchemaFixture> {
  const schema = pgSchemaName(namespace, 'chain-watcher');
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: chainMigrationsFolder, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
  const database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: `${namespace}-withdrawals-test`, poolSizeMax: 6, connectTimeoutMs: 5_000, statementTimeoutMs: 15_000 },
    chainSchema,
  );
  const sql = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });
  return {
    schema,
    database,
    sql,
    async dispose() {
      await database.close(5_000);
      await sql.end({ timeout: 5 });
      await dropSchema(TEST_DATABASE_URL, schema);
    },
  };
}

/** A `withdrawal approved` event as the ledger would publish it. */
export function approvedEvent(input: { amount: bigint; toAddress?: string; asset?: string }): ApprovedEvent {
  const userId = newId();
  return withdrawalApprovedV1.create({
    source: 'strongbox/ledger',
    subject: userId,
    data: {
      withdrawalId: newId(),
      userId,
      asset: input.asset ?? ASSET,
      amount: input.amount.toString(),
      fee: '0',
      toAddress: input.toAddress ?? Wallet.createRandom().address,
      approvedBy: newId(),
      approvedAt: new Date().toISOString(),
    },
  });
}

/** One event the sender enqueued for a withdrawal, in outbox order. */
export interface EnqueuedEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** The withdrawal events enqueued for `withdrawalId`, in the order they were enqueued. */
export async function enqueuedEvents(sql: postgres.Sql, withdrawalId: string): Promise<EnqueuedEvent[]> {
  const rows = await sql<Array<{ event: { type: string; data: Record<string, unknown> } }>>`
    select event from outbox where event->>'subject' = ${withdrawalId} order by seq`;
  return rows.map((row) => ({ type: row.event.type, data: row.event.data }));
}

/** Short names of `enqueuedEvents`: `broadcast#1`, `confirmed`, `failed:reverted`. */
export function eventTrail(events: readonly EnqueuedEvent[]): string[] {
  return events.map((event) => {
    const name = event.type.split('.').at(-2) ?? event.type;
    if (name === 'broadcast') return `broadcast#${String(event.data['attempt'])}`;
    if (name === 'failed') return `failed:${String(event.data['reason'])}`;
    return name;
  });
}

/** Removes the namespace's streams and the streams behind its KV buckets. */
export async function deleteNamespaceStreams(namespace: string): Promise<void> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
