/**
 * What the tests share: the sandbox and CLI helpers (testkit/sandbox.ts, which the
 * reliability script uses too), and how a test that cannot run here says so: Deno's
 * `ignore`, with the reason in the test's name, so it shows in the run and is counted in
 * .ci/run's closing "N skipped".
 */
import { which } from "../testkit/processes.ts";

export * from "../testkit/sandbox.ts";

/** True on CI (.ci/run), where a missing shell is a failure rather than a skip. */
export const CI = Deno.env.get("CI") === "true";

/** Why tests that need root cannot run here, or null when they can. */
export const NOT_ROOT = Deno.uid() === 0 ? null : "needs root, to chown a checkout to another uid";

/**
 * A test that is ignored, its name saying why, when `reason` is not null.
 *
 * @example
 * Deno.test({ ...skipUnless(NOT_ROOT, "doctor: a foreign checkout is exit 4"), fn });
 */
export function skipUnless(
  reason: string | null,
  name: string,
): { name: string; ignore: boolean } {
  return reason === null
    ? { name, ignore: false }
    : { name: `${name} [skipped: ${reason}]`, ignore: true };
}

/** Tools .ci/run cannot install (not in Debian's archive): skipped even under CI=true. */
const NOT_IN_DEBIAN = new Set(["pwsh"]);

/**
 * A test needing the program `tool` (a shell), given its path. Where it is missing the test
 * is skipped saying so, except under CI=true, where it fails saying how to install it.
 */
export function withTool(
  tool: string,
  name: string,
  fn: (path: string) => Promise<void> | void,
): Deno.TestDefinition {
  const path = which(tool);
  if (path !== null) return { name, fn: () => fn(path) };
  if (!CI) return { ...skipUnless(`${tool} is not installed`, name), fn: () => {} };
  if (NOT_IN_DEBIAN.has(tool)) {
    return {
      ...skipUnless(`${tool} is not installed (not in Debian's archive)`, name),
      fn: () => {},
    };
  }
  return {
    name,
    fn: () => {
      throw new Error(
        `${tool} is not installed: install it (apt-get install -y ${tool}); .ci/run does`,
      );
    },
  };
}
