/**
 * Sharing settings, the pure part: which remote `push`, `fetch`, `runs --remote` and `show`
 * use, and whether `exec` pushes its run. No git, no files.
 */
import { usageError } from "../errors.ts";
import { shown } from "../errors.ts";

/** The config file's keys these settings read (all optional). */
export interface ShareConfig {
  tag?: { remote?: string };
  share?: { remote?: string; push?: boolean };
}

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
 * shareRemote(undefined, { share: { remote: "runs" } }); // { remote: "runs", source: "share.remote" }
 */
export function shareRemote(flag: string | undefined, config: ShareConfig = {}): ShareRemote {
  if (flag !== undefined) return { remote: checkRemoteName(flag), source: "--remote" };
  if (config.share?.remote) {
    return { remote: config.share.remote, source: "share.remote" };
  }
  if (config.tag?.remote !== undefined && config.tag.remote !== "origin") {
    return { remote: config.tag.remote, source: "tag.remote" };
  }
  return { remote: "origin", source: "default" };
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
  return pushFlag !== undefined || config.share?.push === true;
}
