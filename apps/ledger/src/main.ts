import { startLedger } from '@strongbox/ledger-feature';
import { runService } from '@strongbox/shared-runtime';
import { ledgerConfigSchema } from './config';

await runService({ service: 'ledger', configSchema: ledgerConfigSchema, secretKeys: ['DATABASE_URL'], start: startLedger }, process.env);
