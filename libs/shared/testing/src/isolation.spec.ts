// Proves the isolation helpers: namespaces have the contracts' shape and do not repeat, freePort
// hands out a port that can be bound, and waitFor returns the first truthy value or fails with a
// message that names what was awaited and what was last seen.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NAMESPACE_PATTERN } from '@strongbox/shared-contracts';
import { TestingError, TestingErrorCodes } from './errors';
import { NAMESPACE_PREFIX_LENGTH_MAX, freePort, uniqueNamespace, waitFor } from './isolation';

describe('uniqueNamespace', () => {
  it('gives `<prefix>_<6 random>` matching the contracts pattern', () => {
    expect(uniqueNamespace()).toMatch(/^t_[a-z0-9]{6}$/);
    const namespace = uniqueNamespace('outbox');
    expect(namespace).toMatch(/^outbox_[a-z0-9]{6}$/);
    expect(NAMESPACE_PATTERN.test(namespace)).toBe(true);
    expect(NAMESPACE_PATTERN.test(uniqueNamespace('a'.repeat(NAMESPACE_PREFIX_LENGTH_MAX)))).toBe(true);
  });

  it('does not repeat over many calls', () => {
    const namespaces = new Set(Array.from({ length: 2_000 }, () => uniqueNamespace()));
    expect(namespaces.size).toBe(2_000);
  });

  it.each([
    ['too long', 'a'.repeat(NAMESPACE_PREFIX_LENGTH_MAX + 1)],
    ['upper case', 'Outbox'],
    ['starting with a digit', '1abc'],
    ['with a dash', 'my-test'],
    ['empty', ''],
  ])('refuses a prefix that is %s', (_case, prefix) => {
    expect(() => uniqueNamespace(prefix)).toThrow(expect.objectContaining({ code: TestingErrorCodes.invalidOption }));
  });
});

describe('freePort', () => {
  it('returns a loopback port that can be bound right away', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('waitFor', () => {
  it('returns the first truthy value of the probe', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls += 1;
        return calls >= 3 ? { calls } : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 5, description: 'the third call' },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it('fails after the timeout naming the description and the last value seen', async () => {
    const startedAt = Date.now();
    const error = await waitFor(() => false, { timeoutMs: 150, intervalMs: 20, description: 'the impossible' }).catch((caught: unknown) => caught);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ code: TestingErrorCodes.timeout });
    expect((error as Error).message).toMatch(/^timed out after 150 ms \([0-9]+ attempts\) waiting for the impossible; last saw value false$/);
  });

  it('counts a throwing probe as "not yet" and keeps its last error as the cause', async () => {
    const failure = new Error('relation does not exist');
    const error = await waitFor(
      () => {
        throw failure;
      },
      { timeoutMs: 100, intervalMs: 20, description: 'the table' },
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('last saw error Error: relation does not exist');
    expect((error as Error).cause).toBe(failure);
  });

  it('bounds a probe that never settles by the remaining time', async () => {
    const error = await waitFor(() => new Promise<never>(() => undefined), { timeoutMs: 100, description: 'a hung probe' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: TestingErrorCodes.timeout });
    expect((error as Error).message).toContain('did not settle');
  });

  it('refuses a timeout that is not positive', async () => {
    await expect(waitFor(() => true, { timeoutMs: 0, description: 'nothing' })).rejects.toMatchObject({ code: TestingErrorCodes.invalidOption });
  });
});
