/**
 * The git client a command gets: rooted at -C DIR, with the time limit of
 * `RUNPROV_GIT_TIMEOUT`, else the config's `git_timeout`, warning once about inherited
 * GIT_* variables it ignores.
 */
import { DEFAULT_GIT_TIMEOUT_MS, Git } from "../git/client.ts";
import { inheritedGitVars } from "../git/runner.ts";
import { shown, usageError } from "../errors.ts";
import { earlyConfig } from "./early_config.ts";
import type { Context } from "../io.ts";

/** Git time limit from `RUNPROV_GIT_TIMEOUT` (seconds, may be fractional); default 60 s. */
export function gitTimeoutMs(env: Record<string, string>): number {
  const raw = env.RUNPROV_GIT_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_GIT_TIMEOUT_MS;
  // Decimal seconds only: Number() would also take "0x10", "0b1" and "1e3".
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) {
    throw usageError(
      `invalid RUNPROV_GIT_TIMEOUT ${shown(raw)}`,
      "give seconds between 0 and 86400, e.g. RUNPROV_GIT_TIMEOUT=30",
    );
  }
  return Math.round(n * 1000);
}

/**
 * A git client for the context's directory, its time limit from `RUNPROV_GIT_TIMEOUT` or
 * else the config's `git_timeout` (as read before git runs, see {@link earlyConfig}).
 */
export async function gitFor(ctx: Context): Promise<Git> {
  const git = plainGit(ctx);
  if (ctx.io.env.RUNPROV_GIT_TIMEOUT) return git;
  const early = await earlyConfig(ctx);
  return early?.loaded.setKeys.has("git_timeout")
    ? git.withTimeout(Math.round(early.loaded.config.git_timeout * 1000))
    : git;
}

/** A client with the environment's time limit only, warning once about ignored GIT_* variables. */
export function plainGit(ctx: Context): Git {
  const inherited = inheritedGitVars(ctx.io.env);
  if (inherited.length > 0) {
    ctx.warn(
      `warning: ignoring inherited ${inherited.join(", ")}: runprov records the repository ` +
        `at ${ctx.global.dir}, not the one these variables point at`,
    );
  }
  return new Git({ cwd: ctx.global.dir, env: ctx.io.env, timeoutMs: gitTimeoutMs(ctx.io.env) });
}
