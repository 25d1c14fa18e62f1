/**
 * `describe` that never names a run tag: the configured prefix and the default `run/` are
 * excluded up front (free), and a tag git still picks is checked for the `Runprov-Run:`
 * trailer every run tag carries, so run tags made under any earlier `tag.prefix` (or
 * another clone's) are left out as well. A release-style tag (`v1.2.0`, `2.0.1`) is taken
 * without that check: no run tag is named like one, and the check is a git process.
 */
import type { Git } from "../git/client.ts";
import { describedTag, parseDescribeLong } from "../git/parse.ts";
import { DEFAULT_TAG_SETTINGS, parseTrailers, runTagPattern } from "./names.ts";

/** At most this many describes per answer (each learns one more run-tag pattern). */
const MAX_ROUNDS = 6;

/**
 * A release-style tag name: optional `v`, then dotted numbers (`v1.2.0`, `2.0rc1`,
 * `v1.2.0-beta`). A run tag is `<prefix><id>` with a prefix such as `run/` or `exp-`, so
 * it never looks like this (a prefix of `v` alone would be needed).
 *
 * @example
 * isReleaseTag("v1.2.0"); // true
 * isReleaseTag("exp-4242.1"); // false
 */
export function isReleaseTag(name: string): boolean {
  return /^[vV]?\d+\.\d+/.test(name) && !name.includes("/");
}

/**
 * Describe `rev` as `git describe --always --tags` does, the run-tag prefix `prefix` and
 * `run/` excluded, and any other tag git picks excluded with its siblings (`<name before
 * the id>*`) when its message carries a `Runprov-Run:` trailer. Costs one `for-each-ref` of
 * that one tag when describe names a tag that is not release-style ({@link isReleaseTag}),
 * and another describe only when it was a run tag.
 * When a few rounds do not reach a tag outside the run tags, the answer is the hash alone.
 *
 * @example
 * await describeSkippingRunTags(git, "HEAD", "exp-"); // { describe: "v1.2.0-1-gabc1234", abbrev: "abc1234" }
 */
export async function describeSkippingRunTags(
  git: Git,
  rev: string,
  prefix: string,
): Promise<{ describe: string; abbrev: string }> {
  const exclude = [...new Set([`${prefix}*`, `${DEFAULT_TAG_SETTINGS.prefix}*`])];
  let abbrev = "";
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const out = await git.describeLong(rev, exclude);
    const parsed = parseDescribeLong(out);
    abbrev = parsed.abbrev;
    const tag = describedTag(out);
    if (tag === null || isReleaseTag(tag)) return parsed;
    const found = await git.tagInfo(tag);
    const runId = found ? parseTrailers(found.message).run : undefined;
    if (!runId) return parsed;
    const pattern = runTagPattern(tag, runId);
    if (exclude.includes(pattern)) return { describe: abbrev, abbrev };
    exclude.push(pattern);
  }
  return { describe: abbrev, abbrev };
}
