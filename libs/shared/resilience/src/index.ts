export {
  ResilienceErrorCodes,
  BreakerOpenError,
  TimeoutError,
  OperationAbortedError,
  TransientError,
  PermanentError,
  LoopStopTimeoutError,
  type ResilienceErrorCode,
  type BreakerState,
} from './errors';
export { isTransient, TRANSIENT_ERROR_CODES } from './error.classification';
export { backoffDelayMs, sleep, TIMER_DELAY_MS_MAX } from './backoff';
export { retryWithBackoff, RETRY_ATTEMPTS_MAX, RETRY_AFTER_MS_MAX, type RetryOptions } from './retry';
export { withTimeout } from './timeout';
export { createCircuitBreaker, BREAKER_STATE_VALUES, type Breaker, type CircuitBreakerOptions } from './circuit.breaker';
export { superviseLoop, LOOP_STOP_TIMEOUT_MS_DEFAULT, type SuperviseLoopOptions, type SupervisedLoop } from './loop.supervisor';
