export { createUserFloodLimit, FloodDecisions, SLOW_DOWN_TEXT_KEY, type FloodDecision, type UserFloodLimit, type UserFloodLimitOptions } from './user-flood.limiter';
