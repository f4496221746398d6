export { startLedger, type LedgerConfig } from './ledger.service';
