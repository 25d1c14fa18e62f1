/**
 * Sharing settings, the pure part: which remote `push`, `fetch`, `runs --remote` and `show`
 * use, and whether `exec` pushes its run. No git, no files.
 */
import { shown, usageError } from "../errors.ts";
import { type Config, defaultConfig } from "../config/config.ts";

/** The configuration keys these settings read: `tag.remote`, `share.remote`, `share.push`. */
export type ShareConfig = Pick<Config, "tag" | "share">;

/** The resolved remote and where it came from (for messages). */
export interface ShareRemote {
  remote: string;
  source: "--remote" | "share.remote" | "tag.remote" | "default";
}

/**
 * The remote runs are shared through: `--remote R`, else config `share.remote` (when not
 * empty), else the tag remote (config `tag.remote`), else `origin`.
 *
 * @example
 * shareRemote(undefined, loaded.config); // { remote: "runs", source: "share.remote" } with share.remote "runs"
 */
export function shareRemote(
  flag: string | undefined,
  config: ShareConfig = defaultConfig(),
): ShareRemote {
  if (flag !== undefined) return { remote: checkRemoteName(flag), source: "--remote" };
  if (config.share.remote) {
    return { remote: config.share.remote, source: "share.remote" };
  }
  const fallback = defaultConfig().tag.remote;
  if (config.tag.remote !== fallback) return { remote: config.tag.remote, source: "tag.remote" };
  return { remote: fallback, source: "default" };
}

/**
 * A remote given on the command line must be a name, not a URL: runprov lets git resolve
 * names from the repository's config, so a token in a URL never lands on a command line
 * (where `ps` shows it) or in a message.
 *
 * @example
 * checkRemoteName("https://u:tok@host/r.git"); // throws a usage error
 */
export function checkRemoteName(name: string): string {
  const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(name) || /^[^/]*@[^/]*:/.test(name) ||
    /^[^/:]+:/.test(name);
  if (name === "" || name.startsWith("-") || url) {
    throw usageError(
      `--remote ${shown(name.replace(/\/\/[^/@]*@/, "//"))} is not a remote name`,
      "give a configured remote's name (git remote -v lists them; git remote add NAME URL " +
        "adds one): runprov never puts a URL on a command line",
    );
  }
  return name;
}

/** Whether `exec` pushes its run when it ends: `--push`, else config `share.push`. */
export function execPushesRun(pushFlag: string | true | undefined, config: ShareConfig): boolean {
  return pushFlag !== undefined || config.share.push;
}
