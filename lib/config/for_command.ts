/**
 * The configuration one command sees: `--config`, then `RUNPROV_CONFIG`, then runprov.jsonc
 * at the repository top (lib/config/config.ts reads and validates it).
 */
import { loadConfig, type LoadedConfig } from "./config.ts";
import type { Context } from "../io.ts";

/** Load the configuration for a repository top (or none): `--config`, `RUNPROV_CONFIG`, top. */
export function configFor(ctx: Context, root: string | null): Promise<LoadedConfig> {
  return loadConfig({ flag: ctx.global.config, env: ctx.io.env, cwd: ctx.io.cwd, root });
}
