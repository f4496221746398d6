import { createServiceProcess, SERVICE_NAMES, waitUntilReady, type ServiceName, type ServiceProcess } from './service-process';

export interface StackOptions {
  readonly namespace: string;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly redisUrl?: string;
  readonly botToken: string;
  readonly telegramApiRoot: string;
  readonly chainRpcUrl: string;
  readonly chainId: number;
  readonly opsPorts: Readonly<Record<ServiceName, number>>;
  /** Folder holding `<service>/main.js` bundles (`dist/apps`). */
  readonly distDir: string;
  readonly logLevel?: string;
  readonly onLine?: (service: ServiceName, line: string) => void;
  /** Extra variables per service, e.g. shorter poll intervals in tests. */
  readonly extraEnv?: Partial<Record<ServiceName, Record<string, string>>>;
}

export interface Stack {
  readonly services: Readonly<Record<ServiceName, ServiceProcess>>;
  /** Waits until every service answers /readyz 200; returns how long each took. */
  waitReady(timeoutMs: number): Promise<Record<ServiceName, number>>;
  /** Stops every service gracefully (SIGTERM), in reverse start order. */
  stop(graceMs: number): Promise<void>;
}

/** The environment each service gets; what is not given here takes the service's default. */
export function serviceEnvironment(options: StackOptions, name: ServiceName): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    NODE_ENV: 'development',
    STRONGBOX_NAMESPACE: options.namespace,
    LOG_LEVEL: options.logLevel ?? 'info',
    NATS_URL: options.natsUrl,
    DATABASE_URL: options.databaseUrl,
  };
  if (name === 'bot-gateway' || name === 'notifier') {
    env['BOT_TOKEN'] = options.botToken;
    env['TELEGRAM_API_ROOT'] = options.telegramApiRoot;
  }
  // The notifier shares its global Telegram rate through Redis (ADR 10); both run without it too.
  if ((name === 'bot-gateway' || name === 'notifier') && options.redisUrl) env['REDIS_URL'] = options.redisUrl;
  // Each of the gateway's 16 update partitions holds a connection for its update (ADR 11); opened lazily.
  if (name === 'bot-gateway') env['DATABASE_POOL_SIZE_MAX'] = '20';
  if (name === 'chain-watcher') {
    env['CHAIN_RPC_URL'] = options.chainRpcUrl;
    env['CHAIN_ID'] = String(options.chainId);
  }
  return { ...env, ...(options.extraEnv?.[name] ?? {}) };
}

/** Starts the five services as child processes (they wait for their own dependencies). */
export function startStack(options: StackOptions): Stack {
  const services = Object.fromEntries(
    SERVICE_NAMES.map((name) => [
      name,
      createServiceProcess({
        name,
        distDir: options.distDir,
        env: serviceEnvironment(options, name),
        opsPort: options.opsPorts[name],
        ...(options.onLine ? { onLine: options.onLine } : {}),
      }),
    ]),
  ) as Record<ServiceName, ServiceProcess>;
  for (const name of SERVICE_NAMES) services[name].start();
  return {
    services,
    async waitReady(timeoutMs) {
      const entries = await Promise.all(SERVICE_NAMES.map(async (name) => [name, await waitUntilReady(services[name], timeoutMs)] as const));
      return Object.fromEntries(entries) as Record<ServiceName, number>;
    },
    async stop(graceMs) {
      for (const name of [...SERVICE_NAMES].reverse()) await services[name].stop(graceMs);
    },
  };
}
