// Proves the private NATS and Redis servers: each starts on its own free loopback port (never the
// shared 4222/6379), answers its own client library, stops accepting connections after kill(),
// comes back on the same port after restart() — NATS with its JetStream data, Redis empty, as a
// Redis without persistence — and is gone after stop().
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startPrivateNats, startPrivateRedis, uniqueNamespace, type PrivateServer } from '../../src/index';
import { canConnect } from '../../src/private-server.process';

const started: PrivateServer[] = [];

afterEach(async () => {
  for (const server of started.splice(0)) await server.stop();
});

async function natsConnection(server: PrivateServer): Promise<NatsConnection> {
  return await connect({ servers: server.url, reconnect: false, timeout: 5_000 });
}

function redisClient(server: PrivateServer): Redis {
  // No retries and no offline queue: against a dead server a command fails at once.
  return new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
}

describe('startPrivateNats', () => {
  it('runs JetStream on a free port and keeps its streams across kill and restart', async () => {
    const nats = await startPrivateNats();
    started.push(nats);
    expect(nats.port).not.toBe(4222);
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);

    const stream = uniqueNamespace('s').toUpperCase();
    const first = await natsConnection(nats);
    const manager = await jetstreamManager(first);
    await manager.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await jetstream(first).publish(`${stream}.hello`, 'kept');
    await first.close();

    await nats.kill();
    expect(await canConnect(nats.port)).toBe(false);

    await nats.restart();
    const second = await natsConnection(nats);
    const info = await (await jetstreamManager(second)).streams.info(stream);
    expect(info.state.messages).toBe(1);
    await second.close();

    await nats.stop();
    expect(await canConnect(nats.port)).toBe(false);
    await expect(nats.restart()).rejects.toMatchObject({ code: 'TESTING_ERR_SERVER_STOP' });
  });
});

describe('startPrivateRedis', () => {
  it('answers on a free port, refuses commands while killed, and comes back empty after restart', async () => {
    const redis = await startPrivateRedis();
    started.push(redis);
    expect(redis.port).not.toBe(6379);

    const client = redisClient(redis);
    await client.connect();
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');

    await redis.kill();
    await expect(client.get('greeting')).rejects.toThrow();
    client.disconnect();

    await redis.restart();
    const again = redisClient(redis);
    await again.connect();
    expect(await again.get('greeting')).toBeNull();
    again.disconnect();

    await redis.stop();
    expect(await canConnect(redis.port)).toBe(false);
  });

  it('gives each server its own port, so parallel tests do not meet', async () => {
    const [one, two] = await Promise.all([startPrivateRedis(), startPrivateRedis()]);
    started.push(one!, two!);
    expect(one!.port).not.toBe(two!.port);
    const clientOne = redisClient(one!);
    const clientTwo = redisClient(two!);
    await Promise.all([clientOne.connect(), clientTwo.connect()]);
    await clientOne.set('owner', 'one');
    expect(await clientTwo.get('owner')).toBeNull();
    clientOne.disconnect();
    clientTwo.disconnect();
  });
});
