// Proves the operational flags: a value set by one connection is seen by a watcher on another within
// moments, a watcher started later loads the current value before it resolves, a malformed value
// never switches anything, and unknown flags are refused.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { kvBucketName } from '@strongbox/shared-contracts';
import { waitFor } from '@strongbox/shared-testing';
import { Flags, MessagingErrorCodes, setFlag, watchFlags, type Flag, type FlagWatcher } from '../../src/index';
import { openTestBus, quietLogger, type TestBus } from '../support/harness';

let bus: TestBus;
const watchers: FlagWatcher[] = [];

beforeEach(async () => {
  bus = await openTestBus({ prefix: 'flags' });
});

afterEach(async () => {
  for (const watcher of watchers.splice(0)) await watcher.stop();
  await new Kvm(bus.nc).open(kvBucketName(bus.namespace, 'flags')).then((kv) => kv.destroy()).catch(() => false);
  await bus.dispose();
});

async function watch(): Promise<FlagWatcher> {
  const watcher = await watchFlags({ nc: bus.nc, namespace: bus.namespace, logger: quietLogger() });
  watchers.push(watcher);
  return watcher;
}

describe('flags', () => {
  it('are off until set, and a change reaches a running watcher', async () => {
    const watcher = await watch();
    expect(watcher.isOn(Flags.emergencyStop)).toBe(false);
    expect(watcher.isOn(Flags.maintenance)).toBe(false);

    await setFlag(bus.nc, bus.namespace, Flags.emergencyStop, { on: true, reason: 'key rotation', setBy: 'admin-1' });
    await waitFor(() => watcher.isOn(Flags.emergencyStop), { timeoutMs: 5_000, intervalMs: 20, description: 'emergency stop seen on' });
    expect(watcher.get(Flags.emergencyStop)).toMatchObject({ on: true, reason: 'key rotation', setBy: 'admin-1' });
    expect(watcher.isOn(Flags.maintenance)).toBe(false);

    await setFlag(bus.nc, bus.namespace, Flags.emergencyStop, { on: false, reason: 'done', setBy: 'admin-2' });
    await waitFor(() => !watcher.isOn(Flags.emergencyStop), { timeoutMs: 5_000, intervalMs: 20, description: 'emergency stop seen off' });
  });

  it('loads the current values before a late watcher resolves', async () => {
    await setFlag(bus.nc, bus.namespace, Flags.maintenance, { on: true, reason: 'node down', setBy: 'chain-watcher' });
    const watcher = await watch();
    expect(watcher.isOn(Flags.maintenance)).toBe(true);
  });

  it('keeps the last good value when a malformed one is written', async () => {
    await setFlag(bus.nc, bus.namespace, Flags.emergencyStop, { on: true, reason: 'incident', setBy: 'admin-1' });
    const watcher = await watch();
    const kv = await new Kvm(bus.nc).open(kvBucketName(bus.namespace, 'flags'));
    await kv.put(Flags.emergencyStop, 'not json');
    await kv.put(Flags.maintenance, JSON.stringify({ on: true, reason: 'marker', setBy: 'test' }));
    // The later, valid write arriving proves the malformed one before it was processed (and ignored).
    await waitFor(() => watcher.isOn(Flags.maintenance), { timeoutMs: 5_000, intervalMs: 20, description: 'marker flag seen' });
    expect(watcher.isOn(Flags.emergencyStop)).toBe(true);
  });

  it('refuses a flag it does not know', async () => {
    await expect(setFlag(bus.nc, bus.namespace, 'self-destruct' as Flag, { on: true, reason: '', setBy: 'x' })).rejects.toMatchObject({
      code: MessagingErrorCodes.invalidOption,
    });
  });
});
