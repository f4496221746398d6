import { defineConfig } from 'vitest/config';

// One run over every project, so `npm test` (and CI) is a single process tree; `nx affected -t test`
// runs the same per-project configs one project at a time. CI asks for a JSON report as well, from
// which it prints a one-line summary.
const reportFile = process.env['STRONGBOX_TEST_REPORT'];

export default defineConfig({
  test: {
    projects: ['apps/*', 'libs/*/*', 'test/e2e', 'tools/lint', 'tools/docs', 'tools/db'],
    reporters: reportFile ? ['default', 'json'] : ['default'],
    ...(reportFile ? { outputFile: { json: reportFile } } : {}),
    maxWorkers: 2,
  },
});
