/** runprov's own version and build commit, stamped at build time into build_info.json. */
import info from "#build-info" with { type: "json" };

/** The version string of this runprov. */
export const VERSION: string = info.version;

/** The commit runprov was built from, when the build stamped one (compiled binaries). */
export const BUILD_COMMIT: string | null = info.commit;

/**
 * runprov's own commit: the one stamped at build time (compiled binaries), else the source
 * checkout's HEAD from `sourceCommit` (main.ts), else null.
 */
export async function ownCommit(
  sourceCommit?: () => Promise<string | null>,
  buildCommit: string | null = BUILD_COMMIT,
): Promise<string | null> {
  return buildCommit ?? (await sourceCommit?.().catch(() => null)) ?? null;
}
