/**
 * Delay before retry number `failures` (1 for the first retry): exponential from `delayMsInitial`,
 * capped at `delayMsMax`, with jitter over the upper half of the step, so relays that failed together
 * (a NATS outage) do not retry in lock-step and the delay never shrinks below half the step.
 */
export function retryDelayMs(failures: number, delayMsInitial: number, delayMsMax: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const stepMs = Math.min(delayMsMax, delayMsInitial * 2 ** exponent);
  return Math.round(stepMs / 2 + (random() * stepMs) / 2);
}
