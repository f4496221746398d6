// Proves the command server and the typed client against the real NATS server, each test on its own
// namespace with its own connections and test-local commands: a round trip returns the response in
// its output form with the caller's headers delivered; invalid requests are refused by the client
// without sending and by the server without running the handler; a handler's CommandError and the
// coded errors of other libs (DbError) keep their code and retryability, while an unknown error is
// masked as COMMAND_ERR_INTERNAL with the full error only in the log; two servers in one queue group
// share the load and a stopped server still answers its in-flight request; no server means a fast
// retryable unavailable; the client's and the server's time limits; overload refused at once; the
// caller's trace continues in the handler; a response breaking its schema is a server defect and a
// malformed reply is COMMAND_ERR_INVALID_REPLY; requests without a reply subject are dropped; stop()
// times out on a stuck handler. Outcomes are read from replies, handler calls, logs and metrics.
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { CommandErrorCodes, defineCommand, idempotencyKeySchema } from '@strongbox/shared-contracts';
import { DbError, DbErrorCodes } from '@strongbox/shared-db';
import { TEST_NATS_URL, uniqueNamespace, waitFor } from '@strongbox/shared-testing';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandError,
  CommandOutcomes,
  MessagingErrorCodes,
  commandRoute,
  connectNats,
  createCommandClient,
  serveCommands,
  type AnyCommandRoute,
  type CommandHandlerContext,
  type CommandServer,
} from '../../src/index';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const WAIT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Test-local commands
// ---------------------------------------------------------------------------------------------

const echoV1 = defineCommand({
  context: 'ledger',
  name: 'test-echo',
  version: 1,
  description: 'Echoes the text; the amount comes back as a bigint on the client.',
  idempotent: false,
  request: z.object({ text: z.string().min(1).max(64), amountMinor: z.string().regex(/^[0-9]{1,20}$/) }),
  response: z.object({
    text: z.string(),
    amountMinor: z
      .string()
      .regex(/^[0-9]{1,20}$/)
      .transform((value) => BigInt(value)),
    servedBy: z.string(),
  }),
});

const transferV1 = defineCommand({
  context: 'ledger',
  name: 'test-transfer',
  version: 1,
  description: 'A stand-in for a money command: idempotent, answers with whatever the test handler decides.',
  idempotent: true,
  request: z.object({ idempotencyKey: idempotencyKeySchema, amountMinor: z.string().regex(/^[1-9][0-9]{0,19}$/) }),
  response: z.object({ transferId: z.string() }),
});

const looseV1 = defineCommand({
  context: 'ledger',
  name: 'test-loose',
  version: 1,
  description: 'A response schema that accepts anything, to reach what only JSON encoding can refuse.',
  idempotent: false,
  request: z.object({}),
  response: z.object({ value: z.unknown() }),
});

const TEXT = { text: 'hello', amountMinor: '1500000' } as const;

// ---------------------------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------------------------

const connections: NatsConnection[] = [];
const servers: CommandServer[] = [];
const openGates: Array<() => void> = [];

afterEach(async () => {
  // Lets stuck handlers finish, so stopping the servers does not wait for them.
  for (const open of openGates.splice(0)) open();
  for (const server of servers.splice(0)) await server.stop(5_000).catch(() => undefined);
  for (const nc of connections.splice(0)) await nc.close();
  exporter.reset();
});

async function connection(name: string): Promise<NatsConnection> {
  const nc = await connectNats({ servers: TEST_NATS_URL, name, connectTimeoutMs: 5_000 });
  connections.push(nc);
  return nc;
}

/** A promise and the function that resolves it, so a test decides when a handler may finish. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  openGates.push(open);
  return { opened, open };
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

interface TestServer {
  readonly server: CommandServer;
  readonly registry: Registry;
  readonly lines: LogLine[];
}

async function serve(
  nc: NatsConnection,
  namespace: string,
  routes: AnyCommandRoute[],
  extra: { concurrencyMax?: number; handleTimeoutMs?: number; queue?: string } = {},
): Promise<TestServer> {
  const registry = new Registry();
  const { logger, lines } = capturingLogger();
  const server = await serveCommands({ nc, namespace, queue: extra.queue ?? 'ledger', routes, logger, registry, ...extra });
  servers.push(server);
  return { server, registry, lines };
}

async function handledCount(registry: Registry, command: string, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('strongbox_messaging_commands_handled_total')?.get();
  return metric?.values.find((value) => value.labels['command'] === command && value.labels['outcome'] === outcome)?.value ?? 0;
}

async function failure(promise: Promise<unknown>): Promise<CommandError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function echoRoute(servedBy: string, seen: Array<{ text: string; headers: Readonly<Record<string, string>> }> = []): AnyCommandRoute {
  return commandRoute(echoV1, async (request, ctx) => {
    seen.push({ text: request.text, headers: ctx.headers });
    return { text: request.text, amountMinor: request.amountMinor, servedBy };
  });
}

/** A raw request past the typed client, to see what the server answers to anything at all. */
async function rawRequest(nc: NatsConnection, subject: string, body: string | Uint8Array): Promise<unknown> {
  const reply = await nc.request(subject, body, { timeout: 5_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as unknown;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('commands: round trip and validation', () => {
  it('answers a request with the response in its output form and hands the caller headers to the handler', async () => {
    const namespace = uniqueNamespace('cmd');
    const seen: Array<{ text: string; headers: Readonly<Record<string, string>> }> = [];
    const { registry } = await serve(await connection('server'), namespace, [echoRoute('a', seen)]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const response = await client.call(echoV1, TEXT, { headers: { 'x-request-id': 'req-1' } });

    expect(response).toEqual({ text: 'hello', amountMinor: 1_500_000n, servedBy: 'a' });
    expect(seen).toEqual([{ text: 'hello', headers: expect.objectContaining({ 'x-request-id': 'req-1', 'Content-Type': 'application/json; charset=utf-8' }) }]);
    expect(await handledCount(registry, echoV1.type, CommandOutcomes.ok)).toBe(1);
  });

  it('refuses an invalid request in the client, without sending it', async () => {
    const namespace = uniqueNamespace('cmd');
    const seen: Array<{ text: string; headers: Readonly<Record<string, string>> }> = [];
    const { registry } = await serve(await connection('server'), namespace, [echoRoute('a', seen)]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const error = await failure(client.call(echoV1, { text: '', amountMinor: '-5' }));

    expect(error).toMatchObject({ code: CommandErrorCodes.invalidRequest, retryable: false });
    expect(error.details).toEqual({
      issues: [expect.objectContaining({ path: ['text'] }), expect.objectContaining({ path: ['amountMinor'] })],
    });
    expect(error.message).toMatch(/^invalid ledger\.cmd\.test-echo\.v1 request: text: .*; amountMinor: /);
    // A bigint cannot travel as JSON: refused locally as well.
    const unencodable = await failure(client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '1', extra: 1n } as never));
    expect(unencodable).toMatchObject({ code: CommandErrorCodes.invalidRequest, retryable: false });
    expect(seen).toEqual([]);
    expect(await handledCount(registry, echoV1.type, CommandOutcomes.invalidRequest)).toBe(0);
  });

  it('answers COMMAND_ERR_INVALID_REQUEST to a body that is not JSON or breaks the schema, without running the handler', async () => {
    const namespace = uniqueNamespace('cmd');
    const seen: Array<{ text: string; headers: Readonly<Record<string, string>> }> = [];
    const serverNc = await connection('server');
    const { registry } = await serve(serverNc, namespace, [echoRoute('a', seen)]);
    const clientNc = await connection('client');
    const subject = `${namespace}.${echoV1.type}`;

    expect(await rawRequest(clientNc, subject, '{"text": ')).toEqual({
      ok: false,
      error: { code: CommandErrorCodes.invalidRequest, message: 'the ledger.cmd.test-echo.v1 request is not UTF-8 JSON', retryable: false, details: expect.any(Object) },
    });
    expect(await rawRequest(clientNc, subject, new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false, error: { code: CommandErrorCodes.invalidRequest } });
    const schemaBroken = (await rawRequest(clientNc, subject, JSON.stringify({ text: 'x', amountMinor: 12 }))) as { ok: false; error: { details: unknown } };
    expect(schemaBroken).toMatchObject({ ok: false, error: { code: CommandErrorCodes.invalidRequest, retryable: false } });
    expect(schemaBroken.error.details).toEqual({ issues: [{ path: ['amountMinor'], code: 'invalid_type', message: expect.any(String) }] });

    expect(seen).toEqual([]);
    expect(await handledCount(registry, echoV1.type, CommandOutcomes.invalidRequest)).toBe(3);
  });
});

describe('commands: errors', () => {
  it("answers with a handler's CommandError: code, message, retryable and details as thrown", async () => {
    const namespace = uniqueNamespace('cmd');
    const { registry } = await serve(await connection('server'), namespace, [
      commandRoute(transferV1, async (request) => {
        throw new CommandError('LEDGER_ERR_INSUFFICIENT_FUNDS', `cannot move ${request.amountMinor}`, { details: { available: '10' } });
      }),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const error = await failure(client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' }));

    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: 'LEDGER_ERR_INSUFFICIENT_FUNDS', message: 'cannot move 500', retryable: false, details: { available: '10' } });
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.rejected)).toBe(1);
  });

  it('maps the coded errors of other libs by their code and transient flag (DbError), and a coded error without one as a decision', async () => {
    const namespace = uniqueNamespace('cmd');
    const thrown: unknown[] = [
      new DbError(DbErrorCodes.idempotencyInProgress, 'a request with idempotency key test/key-00000001 is still running'),
      new DbError(DbErrorCodes.idempotencyConflict, 'idempotency key test/key-00000001 was used before with a different request'),
      Object.assign(new Error('limit reached for 0x52908400098527886E0F7030069857D2E4169EE7'), {
        code: 'LEDGER_ERR_WITHDRAWAL_LIMIT',
        details: { limit: 'daily', remainingMinor: '0' },
      }),
      Object.assign(new Error('try later'), { code: 'RESILIENCE_ERR_BREAKER_OPEN', retryable: true }),
    ];
    let call = 0;
    const { registry } = await serve(await connection('server'), namespace, [
      commandRoute(transferV1, async () => {
        throw thrown[call++];
      }),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });
    const request = { idempotencyKey: 'key-00000001', amountMinor: '500' };

    const errors = [];
    for (let index = 0; index < thrown.length; index += 1) errors.push(await failure(client.call(transferV1, request)));

    expect(errors[0]).toMatchObject({ code: 'DB_ERR_IDEMPOTENCY_IN_PROGRESS', retryable: true });
    expect(errors[1]).toMatchObject({ code: 'DB_ERR_IDEMPOTENCY_CONFLICT', retryable: false });
    // Personal data in a coded error's message is masked before it leaves the process.
    expect(errors[2]).toMatchObject({ code: 'LEDGER_ERR_WITHDRAWAL_LIMIT', retryable: false, details: { limit: 'daily', remainingMinor: '0' } });
    expect(errors[2]!.message).toBe('limit reached for 0x5290…9EE7');
    expect(errors[3]).toMatchObject({ code: 'RESILIENCE_ERR_BREAKER_OPEN', retryable: true });
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.retryableError)).toBe(2);
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.rejected)).toBe(2);
  });

  it('masks an unknown error as a retryable COMMAND_ERR_INTERNAL and logs the full error only on the server', async () => {
    const namespace = uniqueNamespace('cmd');
    const { registry, lines } = await serve(await connection('server'), namespace, [
      commandRoute(transferV1, async () => {
        throw new Error('could not connect to postgres://ledger:s3cret@db.internal:5432/ledger');
      }),
      commandRoute(echoV1, async () => {
        // A code that is not a stable Strongbox code (a driver's) is not passed on either.
        throw Object.assign(new Error('duplicate key value violates unique constraint "accounts_pk"'), { code: '23505' });
      }),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const error = await failure(client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' }));
    const driverError = await failure(client.call(echoV1, TEXT));

    for (const masked of [error, driverError]) {
      expect(masked).toMatchObject({ code: CommandErrorCodes.internal, retryable: true, details: undefined });
      expect(masked.message).toBe('the command failed unexpectedly on the server; it may be retried');
    }
    const logged = lines.filter((line) => line.msg === 'command handler failed unexpectedly');
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ level: 50, command: transferV1.type, err: { message: expect.stringContaining('could not connect to postgres://') } });
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.internal)).toBe(1);
  });

  it('treats a response that breaks the command schema as a server defect: COMMAND_ERR_INTERNAL, not retryable, logged at error', async () => {
    const namespace = uniqueNamespace('cmd');
    const { registry, lines } = await serve(await connection('server'), namespace, [
      commandRoute(transferV1, async () => ({ transferId: 42 }) as unknown as { transferId: string }),
      commandRoute(looseV1, async () => ({ value: 5n })),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const error = await failure(client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' }));
    // A bigint passes a loose schema but cannot travel as JSON.
    const bigintError = await failure(client.call(looseV1, {}));

    expect(error).toMatchObject({ code: CommandErrorCodes.internal, retryable: false, message: 'the server produced an invalid ledger.cmd.test-transfer.v1 response' });
    expect(bigintError).toMatchObject({ code: CommandErrorCodes.internal, retryable: false });
    const logged = lines.find((line) => line.msg.startsWith('command handler returned a response that breaks'));
    expect(logged).toMatchObject({ level: 50, command: transferV1.type, issues: [expect.objectContaining({ path: ['transferId'] })] });
    const unsendable = lines.find((line) => line.msg.includes('response that cannot be sent'));
    expect(unsendable).toMatchObject({ level: 50, command: looseV1.type, problem: expect.stringContaining('decimal strings') });
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.internal)).toBe(1);
    expect(await handledCount(registry, looseV1.type, CommandOutcomes.internal)).toBe(1);
  });

  it('throws COMMAND_ERR_INVALID_REPLY for a reply that is not JSON, not a reply envelope, or breaks the response schema', async () => {
    const namespace = uniqueNamespace('cmd');
    const responderNc = await connection('rogue');
    const replies = ['not json', JSON.stringify({ ok: 'yes' }), JSON.stringify({ ok: true, result: { transferId: 7 } })];
    let index = 0;
    // A rogue responder, not serveCommands: the client must not trust what it gets back.
    responderNc.subscribe(`${namespace}.${transferV1.type}`, {
      callback: (_error, message) => {
        message.respond(replies[index++]);
      },
    });
    await responderNc.flush();
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });
    const request = { idempotencyKey: 'key-00000001', amountMinor: '500' };

    const errors = [];
    for (let attempt = 0; attempt < replies.length; attempt += 1) errors.push(await failure(client.call(transferV1, request)));

    expect(errors.map((error) => [error.code, error.retryable])).toEqual([
      [CommandErrorCodes.invalidReply, false],
      [CommandErrorCodes.invalidReply, false],
      [CommandErrorCodes.invalidReply, false],
    ]);
    expect(errors[0]!.message).toBe('the ledger.cmd.test-transfer.v1 reply is not UTF-8 JSON');
    expect(errors[2]!.details).toEqual({ issues: [expect.objectContaining({ path: ['transferId'] })] });
  });
});

describe('commands: availability', () => {
  it('fails fast with a retryable COMMAND_ERR_UNAVAILABLE when no server serves the command', async () => {
    const client = createCommandClient(await connection('client'), { namespace: uniqueNamespace('cmd'), timeoutMs: 5_000 });

    const startedAt = performance.now();
    const error = await failure(client.call(echoV1, TEXT));
    const elapsedMs = performance.now() - startedAt;

    expect(error).toMatchObject({ code: CommandErrorCodes.unavailable, retryable: true, details: { reason: 'no_responders' } });
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it("gives up after the call's timeoutMs with a retryable COMMAND_ERR_UNAVAILABLE while the handler still runs", async () => {
    const namespace = uniqueNamespace('cmd');
    const release = gate();
    const started = gate();
    await serve(await connection('server'), namespace, [
      commandRoute(transferV1, async () => {
        started.open();
        await release.opened;
        return { transferId: 't-1' };
      }),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const startedAt = performance.now();
    const error = await failure(client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' }, { timeoutMs: 200 }));
    const elapsedMs = performance.now() - startedAt;

    expect(error).toMatchObject({ code: CommandErrorCodes.unavailable, retryable: true, details: { reason: 'timeout' } });
    expect(error.message).toContain('may still have been executed');
    expect(elapsedMs).toBeGreaterThanOrEqual(190);
    expect(elapsedMs).toBeLessThan(4_000);
    await started.opened;
  });

  it('answers a retryable COMMAND_ERR_UNAVAILABLE when the handler overruns handleTimeoutMs, and aborts its signal', async () => {
    const namespace = uniqueNamespace('cmd');
    const signals: AbortSignal[] = [];
    const { registry, lines } = await serve(
      await connection('server'),
      namespace,
      [
        commandRoute(transferV1, async (_request, ctx: CommandHandlerContext) => {
          signals.push(ctx.signal);
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          return { transferId: 'late' };
        }),
      ],
      { handleTimeoutMs: 150 },
    );
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const error = await failure(client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' }));

    expect(error).toMatchObject({ code: CommandErrorCodes.unavailable, retryable: true });
    expect(error.message).toContain('did not finish within 150 ms');
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.timeout)).toBe(1);
    await waitFor(() => lines.some((line) => line.msg === 'command handler finished after its request was answered as timed out'), {
      timeoutMs: WAIT_MS,
      description: 'the late handler to be logged',
    });
  });

  it('refuses a request beyond concurrencyMax at once with a retryable COMMAND_ERR_UNAVAILABLE; the others complete', async () => {
    const namespace = uniqueNamespace('cmd');
    const release = gate();
    let running = 0;
    const { registry } = await serve(
      await connection('server'),
      namespace,
      [
        commandRoute(transferV1, async (request) => {
          running += 1;
          await release.opened;
          return { transferId: `t-${request.amountMinor}` };
        }),
      ],
      { concurrencyMax: 2 },
    );
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });
    const call = (amountMinor: string): Promise<{ transferId: string }> => client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor });

    const first = call('1');
    const second = call('2');
    await waitFor(() => running === 2, { timeoutMs: WAIT_MS, description: 'two handlers to be running' });
    const startedAt = performance.now();
    const refused = await failure(call('3'));
    const refusedAfterMs = performance.now() - startedAt;
    release.open();

    expect(refused).toMatchObject({ code: CommandErrorCodes.unavailable, retryable: true });
    expect(refused.message).toContain('busy');
    expect(refusedAfterMs).toBeLessThan(1_000);
    expect(await Promise.all([first, second])).toEqual([{ transferId: 't-1' }, { transferId: 't-2' }]);
    expect(running).toBe(2);
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.overloaded)).toBe(1);
    expect(await handledCount(registry, transferV1.type, CommandOutcomes.ok)).toBe(2);
  });

  it('drops a request without a reply subject, without running the handler', async () => {
    const namespace = uniqueNamespace('cmd');
    const seen: Array<{ text: string; headers: Readonly<Record<string, string>> }> = [];
    const { registry } = await serve(await connection('server'), namespace, [echoRoute('a', seen)]);
    const publisherNc = await connection('publisher');

    publisherNc.publish(`${namespace}.${echoV1.type}`, JSON.stringify(TEXT));
    await waitFor(async () => (await handledCount(registry, echoV1.type, CommandOutcomes.noReply)) === 1, {
      timeoutMs: WAIT_MS,
      description: 'the request without a reply subject to be counted',
    });
    expect(seen).toEqual([]);
  });
});

describe('commands: queue group and stop', () => {
  it('shares requests between two servers in one queue group; a stopped server answers its in-flight request', async () => {
    const namespace = uniqueNamespace('cmd');
    const slowStarted: string[] = [];
    const release = gate();
    const routes = (name: string): AnyCommandRoute[] => [
      echoRoute(name),
      commandRoute(transferV1, async () => {
        slowStarted.push(name);
        await release.opened;
        return { transferId: `slow-on-${name}` };
      }),
    ];
    const serverA = await serve(await connection('server-a'), namespace, routes('a'));
    const serverB = await serve(await connection('server-b'), namespace, routes('b'));
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const calls = 40;
    const servedBy = await Promise.all(Array.from({ length: calls }, async () => (await client.call(echoV1, TEXT)).servedBy));
    // Random distribution: all 40 on one server would happen about once in 5·10^11 runs.
    expect(servedBy.filter((name) => name === 'a').length).toBeGreaterThan(0);
    expect(servedBy.filter((name) => name === 'b').length).toBeGreaterThan(0);
    // Each request was handled by exactly one of them.
    expect((await handledCount(serverA.registry, echoV1.type, CommandOutcomes.ok)) + (await handledCount(serverB.registry, echoV1.type, CommandOutcomes.ok))).toBe(calls);

    const slow = client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' });
    await waitFor(() => slowStarted.length === 1, { timeoutMs: WAIT_MS, description: 'the slow request to reach a server' });
    const [busyName] = slowStarted;
    const [busy, idle] = busyName === 'a' ? [serverA, serverB] : [serverB, serverA];
    const idleName = busyName === 'a' ? 'b' : 'a';

    let stopped = false;
    const stopping = busy.server.stop(10_000).then(() => {
      stopped = true;
    });
    // Requests sent while the busy server is stopping are still answered (by either, until its
    // unsubscribe has reached the NATS server; by the idle one afterwards).
    expect(await client.call(echoV1, TEXT)).toMatchObject({ text: 'hello' });
    expect(stopped).toBe(false);

    release.open();
    expect(await slow).toEqual({ transferId: `slow-on-${busyName}` });
    await stopping;
    expect(await handledCount(busy.registry, transferV1.type, CommandOutcomes.ok)).toBe(1);

    const afterStop = await Promise.all(Array.from({ length: 10 }, async () => (await client.call(echoV1, TEXT)).servedBy));
    expect(afterStop).toEqual(Array.from({ length: 10 }, () => idleName));
    expect(await handledCount(idle.registry, transferV1.type, CommandOutcomes.ok)).toBe(0);
  });

  it('rejects stop() with MESSAGING_ERR_STOP_TIMEOUT when a handler does not finish in time, and aborts its signal', async () => {
    const namespace = uniqueNamespace('cmd');
    const signals: AbortSignal[] = [];
    const release = gate();
    const { server } = await serve(await connection('server'), namespace, [
      commandRoute(transferV1, async (_request, ctx) => {
        signals.push(ctx.signal);
        await release.opened;
        return { transferId: 't-1' };
      }),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const pending = client.call(transferV1, { idempotencyKey: 'key-00000001', amountMinor: '500' });
    await waitFor(() => signals.length === 1, { timeoutMs: WAIT_MS, description: 'the handler to start' });
    await expect(server.stop(100)).rejects.toMatchObject({ code: MessagingErrorCodes.stopTimeout });
    expect(signals[0]!.aborted).toBe(true);

    // The handler still finishes, and its reply still reaches the caller.
    release.open();
    expect(await pending).toEqual({ transferId: 't-1' });
  });
});

describe('commands: tracing', () => {
  it("runs the handler in the caller's trace: caller span → client span → server span", async () => {
    const namespace = uniqueNamespace('cmd');
    const seenInHandler: Array<{ traceId: string; spanId: string }> = [];
    await serve(await connection('server'), namespace, [
      commandRoute(echoV1, async (request) => {
        const active = trace.getActiveSpan()?.spanContext();
        if (active) seenInHandler.push({ traceId: active.traceId, spanId: active.spanId });
        return { text: request.text, amountMinor: request.amountMinor, servedBy: 'a' };
      }),
    ]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });

    const caller = trace.getTracer('test').startSpan('caller');
    await context.with(trace.setSpan(context.active(), caller), () => client.call(echoV1, TEXT));
    caller.end();

    const { traceId, spanId: callerSpanId } = caller.spanContext();
    expect(seenInHandler).toHaveLength(1);
    expect(seenInHandler[0]!.traceId).toBe(traceId);
    const spans = exporter.getFinishedSpans();
    const clientSpan = spans.find((span) => span.name === `${echoV1.type} send`);
    const serverSpan = spans.find((span) => span.spanContext().spanId === seenInHandler[0]!.spanId);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(serverSpan?.name).toBe(`${echoV1.type} process`);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(serverSpan?.attributes['messaging.strongbox.outcome']).toBe('ok');
  });

  it("keeps a traceparent the caller gives in its headers", async () => {
    const namespace = uniqueNamespace('cmd');
    const seen: Array<{ text: string; headers: Readonly<Record<string, string>> }> = [];
    await serve(await connection('server'), namespace, [echoRoute('a', seen)]);
    const client = createCommandClient(await connection('client'), { namespace, timeoutMs: 5_000 });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    await client.call(echoV1, TEXT, { headers: { traceparent } });

    expect(seen[0]!.headers['traceparent']).toBe(traceparent);
    const serverSpan = exporter.getFinishedSpans().find((span) => span.name === `${echoV1.type} process`);
    expect(serverSpan?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(serverSpan?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });
});

describe('commands: options', () => {
  it.each([
    { what: 'an invalid namespace', options: { namespace: 'Not-A-Namespace' } },
    { what: 'an invalid queue', options: { queue: 'ledger workers' } },
    { what: 'no routes', options: { routes: [] } },
    { what: 'a command routed twice', options: { routes: [echoRoute('a'), echoRoute('b')] } },
    { what: 'concurrencyMax 0', options: { concurrencyMax: 0 } },
    { what: 'handleTimeoutMs 0', options: { handleTimeoutMs: 0 } },
  ])('serveCommands refuses $what with MESSAGING_ERR_INVALID_OPTION', async ({ options }) => {
    const nc = await connection('server');
    const { logger } = capturingLogger();
    await expect(
      serveCommands({ nc, namespace: uniqueNamespace('cmd'), queue: 'ledger', routes: [echoRoute('a')], logger, ...options }),
    ).rejects.toMatchObject({ code: MessagingErrorCodes.invalidOption });
  });

  it('createCommandClient and call refuse bad options and reserved headers with MESSAGING_ERR_INVALID_OPTION', async () => {
    const nc = await connection('client');
    expect(() => createCommandClient(nc, { namespace: 'Bad', timeoutMs: 1_000 })).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
    expect(() => createCommandClient(nc, { namespace: 'ok', timeoutMs: 0 })).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
    const client = createCommandClient(nc, { namespace: uniqueNamespace('cmd'), timeoutMs: 1_000 });
    await expect(client.call(echoV1, TEXT, { headers: { 'Nats-Msg-Id': 'x' } })).rejects.toMatchObject({ code: MessagingErrorCodes.invalidOption });
    await expect(client.call(echoV1, TEXT, { headers: { 'bad:name': 'x' } })).rejects.toMatchObject({ code: MessagingErrorCodes.invalidOption });
  });
});
