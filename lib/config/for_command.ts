/**
 * The configuration one command sees: `--config`, then `RUNPROV_CONFIG`, then runprov.jsonc
 * at the repository top (lib/config/config.ts reads and validates it). Read once per command:
 * the read made before git runs (for `git_timeout`) is the one the command goes on with.
 */
import { loadConfig, type LoadedConfig } from "./config.ts";
import type { Context } from "../io.ts";

/** Each command's reads, by which file they name (a command has one Context). */
const reads = new WeakMap<Context, Map<string, Promise<LoadedConfig>>>();

/**
 * Load the configuration for a repository top (or none): `--config`, `RUNPROV_CONFIG`, top.
 * A second call for the same file in the same command gets the first read's result (or
 * error); treat the result as read-only.
 */
export function configFor(ctx: Context, root: string | null): Promise<LoadedConfig> {
  const flag = ctx.global.config;
  const env = ctx.io.env.RUNPROV_CONFIG;
  // Which file loadConfig reads: the root matters only when neither names one.
  const key = flag ? `flag\0${flag}` : env ? `env\0${env}` : `root\0${root ?? ""}`;
  let mine = reads.get(ctx);
  if (!mine) reads.set(ctx, mine = new Map());
  let read = mine.get(key);
  if (!read) {
    read = loadConfig({ flag, env: ctx.io.env, cwd: ctx.io.cwd, root });
    mine.set(key, read);
  }
  return read;
}
