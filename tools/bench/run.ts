// `npm run bench -- <name> [options]`: runs one benchmark. Benchmarks are not tests: they assert
// nothing, take a minute or more, and report figures for a person (a table) and for tools (the
// JSON object on the last line of stdout). See README.md.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBotBenchArgs, runBotBench } from './bot.bench';
import { parseChainBenchArgs, runChainBench } from './chain.bench';
import { parseLedgerBenchArgs, runLedgerBench } from './ledger.bench';
import { parseNotifierBenchArgs, runNotifierBench } from './notifier.bench';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const benchmarks: Record<string, (argv: readonly string[]) => Promise<void>> = {
  ledger: (argv) => runLedgerBench(root, parseLedgerBenchArgs(argv)),
  chain: (argv) => runChainBench(root, parseChainBenchArgs(argv)),
  notifier: (argv) => runNotifierBench(root, parseNotifierBenchArgs(argv)),
  bot: (argv) => runBotBench(root, parseBotBenchArgs(argv)),
};

const [name, ...argv] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : benchmarks[name];
if (benchmark === undefined) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [options]   (see tools/bench/README.md)\n`);
  process.exit(2);
}
try {
  await benchmark(argv);
  process.exit(0);
} catch (error) {
  process.stderr.write(`bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
