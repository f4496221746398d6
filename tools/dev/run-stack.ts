// The `npm start` launcher (started by tools/dev/start.mjs under Node >= 22): checks PostgreSQL,
// NATS and Redis, builds the services, starts anvil and the Bot API emulator when no chain node or
// bot token is configured (with a web chat page, to use the bot from a browser), runs the five
// services with readable prefixed logs, prints where each listens, and stops everything cleanly on
// Ctrl-C.
//
// Options: --demo sends /start from a test user once the stack is ready and prints the welcome.
import { createServer } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { connect } from '@nats-io/transport-node';
import { Wallet } from 'ethers';
import { deployTestToken, startAnvil, startStack, SERVICE_NAMES, testChainWatcherEnv, type AnvilNode, type ServiceName } from '@strongbox/shared-stack';
import { startBotApiEmulator, startWebChat, type BotApiEmulator, type WebChat } from '@strongbox/shared-testing';
import { buildServices } from '../build/build';

const env = process.env;
const namespace = env['STRONGBOX_NAMESPACE'] ?? 'sb';
const databaseUrl = env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const redisUrl = env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const opsPortBase = Number(env['OPS_PORT_BASE'] ?? 9101);
const demo = process.argv.includes('--demo');
const colors = process.stdout.isTTY ? ['36', '32', '35', '33', '34'] : [];
const CHECK_TIMEOUT_MS = 3_000;

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

/** Credentials in a URL are never printed. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function checkDependencies(): Promise<{ redis: boolean }> {
  const sql = postgres(databaseUrl, { max: 1, connect_timeout: CHECK_TIMEOUT_MS / 1_000, onnotice: () => undefined });
  try {
    await sql`select 1`;
  } catch (error) {
    fail(
      `PostgreSQL is not reachable at ${redact(databaseUrl)} (${(error as Error).message}).\n` +
        `  Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n` +
        `  or: docker compose up -d postgres   — or set DATABASE_URL.`,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
  try {
    const nc = await connect({ servers: natsUrl, timeout: CHECK_TIMEOUT_MS, reconnect: false });
    const jetStreamEnabled = await nc
      .request('$JS.API.INFO', undefined, { timeout: CHECK_TIMEOUT_MS })
      .then((reply) => !(reply.json() as { error?: unknown }).error)
      .catch(() => false);
    await nc.close();
    if (!jetStreamEnabled) fail(`NATS at ${natsUrl} runs without JetStream: start nats-server with -js.`);
  } catch (error) {
    fail(
      `NATS is not reachable at ${natsUrl} (${(error as Error).message}).\n` +
        `  Start it: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server\n` +
        `  or: docker compose up -d nats   — or set NATS_URL.`,
    );
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: CHECK_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return { redis: true };
  } catch {
    console.warn(`! Redis is not reachable at ${redact(redisUrl)}: services run in their degraded mode without it.`);
    return { redis: false };
  } finally {
    redis.disconnect();
  }
}

/** Prints a pino JSON line as `[service] LEVEL message key=value`. */
function printLine(service: ServiceName, line: string): void {
  const color = colors[SERVICE_NAMES.indexOf(service) % Math.max(colors.length, 1)];
  const prefix = color ? `\x1b[${color}m[${service}]\x1b[0m` : `[${service}]`;
  try {
    const { level, time, msg, service: _service, namespace: _namespace, pid: _pid, hostname: _hostname, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const levelName = ({ 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' } as Record<number, string>)[Number(level)] ?? String(level);
    const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
    const extra = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    console.log(`${clock} ${prefix} ${levelName.padEnd(5)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}`);
  } catch {
    if (line.trim()) console.log(`${prefix} ${line}`);
  }
}

/** A small HTTP door into the emulator so a person can chat with the bot from a shell. */
function startChatConsole(emulator: BotApiEmulator, port: number) {
  const readBody = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => resolve(body));
    });
  const server = createHttpServer(async (request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    try {
      if (request.method === 'POST' && url.pathname === '/send') {
        const body = JSON.parse(await readBody(request)) as { userId?: number; text?: string; languageCode?: string };
        if (typeof body.userId !== 'number' || typeof body.text !== 'string') throw new Error('body must be {"userId": number, "text": string}');
        const update = await emulator.sendMessage({ userId: body.userId, firstName: 'Dev', languageCode: body.languageCode ?? 'en' }, body.text);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(update));
      } else if (request.method === 'GET' && url.pathname === '/messages') {
        const chatId = url.searchParams.get('chatId');
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(emulator.sentMessages(chatId ? Number(chatId) : undefined), null, 2));
      } else {
        response.writeHead(404).end('POST /send {"userId":1,"text":"/start"} | GET /messages?chatId=1\n');
      }
    } catch (error) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  });
  server.listen(port, '127.0.0.1');
  return server;
}

const startedAt = Date.now();
const { redis } = await checkDependencies();
await buildServices();

/** anvil's third default account: funded with 10,000 ETH on every fresh anvil. Never a real key. */
const ANVIL_HOT_WALLET_PRIVATE_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
/** Test USDT the dev hot wallet starts with: 1,000,000.000000. */
const DEV_HOT_WALLET_TOKENS_MINOR = 1_000_000_000_000n;

let anvil: AnvilNode | undefined;
let chainRpcUrl = env['CHAIN_RPC_URL'];
const chainId = Number(env['CHAIN_ID'] ?? 31337);
if (!chainRpcUrl) {
  const port = (await portIsFree(8545)) ? 8545 : 0;
  if (port === 0) fail('port 8545 is taken and CHAIN_RPC_URL is not set: set CHAIN_RPC_URL to your node, or free the port.');
  anvil = await startAnvil({ port, chainId, blockTimeS: 2 });
  chainRpcUrl = anvil.url;
}
// With its own anvil, the dev stack deploys the test token and watches it as USDT with deposit
// addresses from the anvil test mnemonic; with a node of your own, set CHAIN_DEPOSIT_* yourself.
let chainWatcherEnv: Record<string, string> = Object.fromEntries(
  ['CHAIN_DEPOSIT_XPUB', 'CHAIN_DEPOSIT_TOKENS', 'CHAIN_CONFIRMATIONS'].flatMap((key) => (env[key] ? [[key, env[key]]] : [])),
);
if (anvil) {
  const token = await deployTestToken({ rpcUrl: anvil.url, symbol: 'USDT' });
  // anvil's public test account #2 signs withdrawals; it gets test USDT to pay them out with.
  const hotWallet = new Wallet(ANVIL_HOT_WALLET_PRIVATE_KEY);
  await token.mint(hotWallet.address, DEV_HOT_WALLET_TOKENS_MINOR);
  chainWatcherEnv = {
    ...testChainWatcherEnv({ tokenAddress: token.address }),
    CHAIN_HOT_WALLET_PRIVATE_KEY: ANVIL_HOT_WALLET_PRIVATE_KEY,
    // anvil also speaks WebSocket on its port: the scanner wakes on each new block.
    CHAIN_WS_URL: anvil.url.replace(/^http/, 'ws'),
    ...chainWatcherEnv,
  };
  token.close();
  console.log(`  withdrawal hot wallet ${hotWallet.address} (anvil test account #2)`);
  console.log(`  test token USDT ${token.address} on the dev anvil`);
}

let emulator: BotApiEmulator | undefined;
let chatConsole: ReturnType<typeof startChatConsole> | undefined;
let webChat: WebChat | undefined;
let botToken = env['BOT_TOKEN'];
let telegramApiRoot = env['TELEGRAM_API_ROOT'] ?? 'https://api.telegram.org';
if (!botToken) {
  emulator = await startBotApiEmulator({ port: (await portIsFree(8081)) ? 8081 : 0, floodLimits: false });
  botToken = emulator.token;
  telegramApiRoot = emulator.apiRoot;
  chatConsole = startChatConsole(emulator, (await portIsFree(8090)) ? 8090 : 0);
  webChat = await startWebChat({ emulator, port: (await portIsFree(8088)) ? 8088 : 0 });
}

const opsPorts = Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, opsPortBase + index])) as Record<ServiceName, number>;
const stack = startStack({
  namespace,
  databaseUrl,
  natsUrl,
  ...(redis ? { redisUrl } : {}),
  botToken,
  telegramApiRoot,
  chainRpcUrl,
  chainId,
  opsPorts,
  distDir: new URL('../../dist/apps', import.meta.url).pathname,
  logLevel: env['LOG_LEVEL'] ?? 'info',
  onLine: printLine,
  extraEnv: { 'chain-watcher': chainWatcherEnv },
});

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping…');
    await stack.stop(15_000);
    await anvil?.stop();
    chatConsole?.close();
    await webChat?.close();
    await emulator?.close();
    console.log('stopped.');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// If the process that started this one goes away without a signal (killed hard), stop too, so that
// no service or chain node is left running behind it.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stopAll(0);
}, 500).unref();

try {
  const readyMs = await stack.waitReady(90_000);
  const address = (server: typeof chatConsole) => {
    const info = server?.address();
    return info && typeof info === 'object' ? info.port : undefined;
  };
  console.log(`\nStrongbox is up in ${((Date.now() - startedAt) / 1_000).toFixed(1)} s (namespace "${namespace}")`);
  for (const name of SERVICE_NAMES) {
    console.log(`  ${name.padEnd(14)} ${stack.services[name].opsUrl}  (/healthz /readyz /metrics)  ready after ${readyMs[name]} ms`);
  }
  console.log(`  chain node     ${chainRpcUrl}${anvil ? '  (anvil)' : ''}`);
  if (emulator) {
    console.log(`  Telegram       ${emulator.apiRoot}  (Bot API emulator)`);
    if (webChat) console.log(`  web chat       ${webChat.url}  — open it in a browser to use the bot as any user`);
    console.log(`  chat console   http://127.0.0.1:${address(chatConsole)}  — curl -XPOST localhost:${address(chatConsole)}/send -d '{"userId":1,"text":"/start"}'`);
  }
  console.log('Ctrl-C stops everything.\n');
  if (demo && emulator) {
    await emulator.sendMessage({ userId: 1, firstName: 'Demo', languageCode: 'en' }, '/start');
    const welcome = await emulator.waitForMessage((message) => message.chatId === 1, { timeoutMs: 30_000 });
    console.log(`\ndemo: the bot answered /start with: ${welcome.text}\n`);
  }
} catch (error) {
  console.error((error as Error).message);
  await stopAll(1);
}
