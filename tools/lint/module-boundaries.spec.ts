// Proves that the lint step guards the architecture: with the project's own ESLint config, code
// that imports another service's lib, or an I/O library from a pure lib, is an error — and the same
// files without the forbidden import are clean. Runs ESLint's API over probe sources placed (in
// memory) at real paths inside the projects, so the Nx project graph and tags are the real ones.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
process.env['NX_DAEMON'] = 'false';

async function lint(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).filter((message) => message.ruleId === '@nx/enforce-module-boundaries').map((message) => message.message);
}

describe('module boundaries', () => {
  // The boundary rule reads Nx's cached project graph and silently skips itself without one (a
  // fresh clone has none), so compute it first, as `npm run lint` does.
  beforeAll(() => {
    execFileSync(process.execPath, [`${root}node_modules/nx/dist/bin/nx.js`, 'show', 'projects'], { cwd: root, stdio: 'ignore' });
  }, 60_000);

  it.each([
    ['a service lib importing another service lib', 'libs/notify/feature/src/probe.ts', `import { startLedger } from '@strongbox/ledger-feature';\nexport const probe = startLedger;\n`, /scope:notify/],
    ['an app importing another service lib', 'apps/ledger/src/probe.ts', `import { startNotifier } from '@strongbox/notify-feature';\nexport const probe = startNotifier;\n`, /scope:ledger/],
    ['a domain lib importing drizzle-orm', 'libs/shared/domain/src/probe.ts', `import { sql } from 'drizzle-orm';\nexport const probe = sql;\n`, /not allowed to import "drizzle-orm"/],
    ['a contracts lib importing nats', 'libs/shared/contracts/src/probe.ts', `import { connect } from '@nats-io/transport-node';\nexport const probe = connect;\n`, /not allowed to import "@nats-io\/transport-node"/],
    // A lib that does not itself import domain, so the refusal is the layer rule, not a cycle.
    ['a domain lib importing a lower-level util lib', 'libs/shared/domain/src/probe.ts', `import { withTimeout } from '@strongbox/shared-resilience';\nexport const probe = withTimeout;\n`, /type:domain/],
    ['a domain lib importing a data-access lib', 'libs/shared/domain/src/probe.ts', `import { migrate } from '@strongbox/shared-db';\nexport const probe = migrate;\n`, /type:domain|Circular dependency/],
  ])('refuses %s', async (_name, filePath, code, expected) => {
    const messages = await lint(filePath, code);
    expect(messages.join('\n')).toMatch(expected);
  });

  it('accepts a service lib importing shared libs and its own scope', async () => {
    const messages = await lint(
      'libs/notify/feature/src/probe.ts',
      `import { newId } from '@strongbox/shared-domain';\nimport { notifySchema } from '@strongbox/notify-data-access';\nexport const probe = [newId, notifySchema];\n`,
    );
    expect(messages).toEqual([]);
  });
});
