/**
 * The pure half of `deno task compile`: which targets to build, what each binary is called,
 * the build-info JSON stamped into it, where deno keeps and fetches the `denort` runtime,
 * and the SHA256SUMS text. scripts/compile.ts does the I/O; test/compile_test.ts tests these.
 */

/** Every target `deno task compile` builds by default, in build order. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

/**
 * Targets deno can build that runprov does not ship, and why: `exec` relies on POSIX
 * signals and process groups, and nothing of runprov is tested on Windows.
 */
export const NOT_SHIPPED: Readonly<Record<string, string>> = {
  "x86_64-pc-windows-msvc": "runprov is POSIX-only (exec's signals and process groups, " +
    "paths); it is not built for Windows (use WSL)",
};

/** A problem with the request or the environment, printed as one line without a stack. */
export class BuildError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
    this.name = "BuildError";
  }
}

/**
 * The file name of the binary for `target` inside dist/.
 *
 * @example
 * binaryName("aarch64-apple-darwin"); // "runprov-aarch64-apple-darwin"
 */
export function binaryName(target: string): string {
  return `runprov-${target}`;
}

/**
 * Decide which targets to build from the `--target` values, whether DENORT_BIN is set and
 * the host's target triple. Throws a {@link BuildError} (exit 2) for an unknown target, and
 * when DENORT_BIN is combined with a non-host target: a denort binary runs on one platform.
 */
export function planTargets(
  requested: readonly string[],
  denortBin: string | undefined,
  host: string,
): string[] {
  for (const t of requested) {
    if (Object.hasOwn(NOT_SHIPPED, t)) throw new BuildError(`${t}: ${NOT_SHIPPED[t]}`, 2);
    if (!(TARGETS as readonly string[]).includes(t)) {
      throw new BuildError(
        `unknown target '${t}'; valid targets: ${TARGETS.join(", ")}`,
        2,
      );
    }
  }
  const wanted = requested.length > 0 ? [...new Set(requested)] : [...TARGETS];
  if (!denortBin) return wanted;
  const foreign = requested.filter((t) => t !== host);
  if (foreign.length > 0) {
    throw new BuildError(
      `DENORT_BIN builds only the host target (${host}), not ${foreign.join(", ")}: ` +
        `a denort binary is the runtime of one platform; unset DENORT_BIN where ` +
        `dl.deno.land is reachable to build the others`,
      2,
    );
  }
  return [host];
}

/** Git facts about runprov's own checkout at build time (null commit: not a checkout). */
export interface SourceState {
  commit: string | null;
  dirty: boolean;
}

/**
 * The build-info JSON module stamped into a binary: the version from lib/build_info.json and
 * the first 12 hex digits of the commit, with `-dirty` when tracked files had changes.
 *
 * @example
 * buildInfoJson({ version: "0.1.0", commit: null }, { commit: "0123456789abcdef", dirty: true });
 * // '{"version":"0.1.0","commit":"0123456789ab-dirty"}\n'
 */
export function buildInfoJson(
  base: { version: string; commit: string | null },
  src: SourceState,
): string {
  const commit = src.commit ? src.commit.slice(0, 12) + (src.dirty ? "-dirty" : "") : null;
  return JSON.stringify({ ...base, commit }) + "\n";
}

/** The release path of a denort archive, as deno compile names it in its cache and URL. */
export function denortSuffix(denoVersion: string, target: string): string {
  return `release/v${denoVersion}/denort-${target}.zip`;
}

/** Where deno compile downloads the denort runtime for `target` from. */
export function denortUrl(denoVersion: string, target: string): string {
  return `https://dl.deno.land/${denortSuffix(denoVersion, target)}`;
}

/** Where deno compile caches the downloaded denort archive (under DENO_DIR's `dl/`). */
export function denortCachePath(denoDir: string, denoVersion: string, target: string): string {
  return `${denoDir.replace(/[\\/]+$/, "")}/dl/${denortSuffix(denoVersion, target)}`;
}

/**
 * SHA256SUMS text in sha256sum's format (`<hex>  <name>`, sorted by name), so
 * `sha256sum -c SHA256SUMS` in dist/ verifies every binary.
 */
export function sha256sums(entries: ReadonlyArray<{ name: string; sha256: string }>): string {
  return [...entries]
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    .map((e) => `${e.sha256}  ${e.name}\n`)
    .join("");
}

/** The message when denort can be neither downloaded nor found: names DENORT_BIN. */
export function denortMissingMessage(
  targets: readonly string[],
  why: string,
  denoVersion: string,
  host: string,
): string {
  return `cannot download the denort runtime for ${targets.join(", ")} from ` +
    `https://dl.deno.land (${why}); deno compile needs it.\n` +
    `Where dl.deno.land is unreachable, set DENORT_BIN=/path/to/denort (the denort of ` +
    `Deno ${denoVersion} for ${host}) to build the host target.`;
}
