import type { Context } from '@strongbox/shared-contracts';
import type { Breaker } from '@strongbox/shared-resilience';
import { raiseAlert, type AlertTarget } from './raise-alert';

/** How long a breaker may stay away from `closed` before it is an ops alert, unless told otherwise. */
export const BREAKER_OPEN_ALERT_AFTER_MS_DEFAULT = 60_000;

/**
 * Raises `BREAKER_OPEN` (critical) when `breaker` has not been closed for `afterMs`, and again
 * every `afterMs` while it stays so (the notifier counts those as repeats). An open breaker turns
 * half-open for a trial call and back, so any state but `closed` keeps the clock running. An
 * isolated breaker (held open on purpose) is not an alert. Returns the unsubscribe function.
 *
 * @example
 * alertWhenBreakerStaysOpen(breaker, context, { context: 'chain', service: 'chain-watcher' });
 */
export function alertWhenBreakerStaysOpen(
  breaker: Breaker,
  target: AlertTarget,
  source: { context: Context; service: string; afterMs?: number },
): () => void {
  const afterMs = source.afterMs ?? BREAKER_OPEN_ALERT_AFTER_MS_DEFAULT;
  let timer: NodeJS.Timeout | undefined;
  let since = 0;
  const disarm = () => {
    clearInterval(timer);
    timer = undefined;
  };
  const unsubscribe = breaker.onStateChange((state) => {
    if (state === 'closed' || state === 'isolated') {
      disarm();
      return;
    }
    if (timer !== undefined) return;
    since = Date.now();
    timer = setInterval(() => {
      const openForMs = Date.now() - since;
      void raiseAlert(target, {
        context: source.context,
        service: source.service,
        code: 'BREAKER_OPEN',
        severity: 'critical',
        dedupeKey: `breaker:${source.service}:${breaker.name}`,
        summary: `circuit breaker ${breaker.name} has been open for ${Math.round(openForMs / 1_000)} s: calls to it are refused`,
        details: { breaker: breaker.name, state: breaker.state(), openForMs: String(openForMs) },
      });
    }, afterMs);
    timer.unref();
  });
  return () => {
    disarm();
    unsubscribe();
  };
}
