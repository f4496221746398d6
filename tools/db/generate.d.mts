import type { SpawnSyncReturns } from 'node:child_process';

/** Types of generate.mjs, for the TypeScript tests that reuse its helpers. */
export declare const workspaceRoot: string;
export declare const DRIZZLE_CONFIG_FILE: string;
export declare const DRIZZLE_KIT_TIMEOUT_MS: number;
export interface DrizzleProject {
  /** Path from the workspace root: `libs/ledger/data-access`. */
  readonly name: string;
  readonly dir: string;
  readonly config: string;
}
export declare function findDrizzleProjects(root?: string): DrizzleProject[];
export declare function drizzleKitBin(root?: string): string;
export declare function runDrizzleKit(
  cwd: string,
  args: readonly string[],
  options?: { root?: string; stdio?: 'inherit' | 'pipe'; timeoutMs?: number },
): SpawnSyncReturns<string>;
/** Why a drizzle-kit run failed (also when it exited 0 with an error on stderr), or null. */
export declare function drizzleKitFailure(result: SpawnSyncReturns<string>): string | null;
export declare function generateAll(extraArgs: readonly string[], root?: string): string[];
