/**
 * What runprov may read before git runs: whether a path belongs to the user (git's ownership
 * rule), and the configuration of the repository around the -C directory when it does, so
 * `git_timeout` bounds the very first git call of every command.
 */
import type { LoadedConfig } from "../config/config.ts";
import { configFor } from "../config/for_command.ts";
import { dirname, join, resolve } from "../util/paths.ts";
import type { Context } from "../io.ts";

/**
 * Whether `path` belongs to the user running runprov, by git's rule for dubious ownership:
 * the owner is the user, or, for root, the user named by `SUDO_UID`. True when it cannot
 * be told (no uid on this system): git then decides alone.
 */
export async function ownedByUser(path: string, env: Record<string, string>): Promise<boolean> {
  let me: number | null;
  try {
    me = Deno.uid();
  } catch {
    return true;
  }
  if (me === null) return true;
  const owner = await Deno.lstat(path).then((st) => st.uid, () => null);
  if (owner === null || owner === me) return true;
  return me === 0 && env.SUDO_UID !== undefined && env.SUDO_UID === String(owner);
}

/**
 * The configuration as it can be read before git runs, so `git_timeout` bounds the very first
 * git call: `--config`/`RUNPROV_CONFIG`, or `runprov.jsonc` in the nearest directory above
 * the `-C` directory that holds `.git` (where git itself looks, inherited GIT_DIR being
 * ignored), but only when that directory and its `.git` are owned by the user (git's own
 * ownership rule): a repository git may refuse never sets runprov's time limit. Null when
 * there is nothing to read or it cannot be read: the full read after `rev-parse` then
 * reports any error.
 */
export async function earlyConfig(
  ctx: Context,
): Promise<{ root: string | null; loaded: LoadedConfig } | null> {
  const env = ctx.io.env;
  let root: string | null = null;
  if (!ctx.global.config && !env.RUNPROV_CONFIG) {
    for (let dir = resolve(ctx.global.dir);; dir = dirname(dir)) {
      if (await Deno.lstat(join(dir, ".git")).then(() => true, () => false)) {
        root = await Deno.realPath(dir).catch(() => dir);
        break;
      }
      if (dirname(dir) === dir) return null;
    }
    if (!(await ownedByUser(root, env)) || !(await ownedByUser(join(root, ".git"), env))) {
      return null;
    }
  }
  try {
    return { root, loaded: await configFor(ctx, root) };
  } catch {
    return null;
  }
}
