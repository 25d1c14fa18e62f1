/**
 * The shell-quoting fuzz through the real CLI and real shells: seeded random values of valid
 * code points, printed by `runprov env --from … --format F` and evaluated by one case per
 * shell, each in its riskiest mode; every value must come back byte for byte.
 */
import { which } from "../processes.ts";
import { type Figures, timed } from "../figures.ts";
import { quotingCorpus } from "../generators.ts";
import { type Case, caseNamed, checkCase } from "../shells/matrix.ts";
import { ExportsCache } from "../shells/cli_exports.ts";

/** One shell matrix case per shell, each in its riskiest mode. */
export const QUOTING_SHELL_CASES: Case[] = [
  "dash --format sh: eval $(…)",
  'bash --format bash (failglob): eval "$(…)"',
  "zsh --format sh (emulate sh): eval $(…)",
  "busybox --format sh: eval $(…)",
  "fish: runprov env --format fish | source",
  'tcsh: eval "`runprov env --format tcsh`"',
].map(caseNamed);

/** QUOTING_SHELL_CASES with `values` random values each (printed once per format). */
export async function quotingShellScenario(values: number, seed: number): Promise<Figures> {
  const failures: string[] = [];
  const cache = new ExportsCache(quotingCorpus(values, seed));
  const tried: string[] = [];
  let cases = 0;
  try {
    const [, seconds] = await timed(async () => {
      for (const c of QUOTING_SHELL_CASES) {
        const path = which(c.shell);
        if (path === null) {
          failures.push(`${c.shell} is not installed`);
          continue;
        }
        cases += values;
        tried.push(c.name);
        try {
          await checkCase(c, path, await cache.get(c.format));
        } catch (err) {
          failures.push(`${c.name}: ${(err as Error).message}`);
        }
      }
    });
    return {
      scenario: "fuzz: shell quoting (CLI, real shells)",
      tried: `${values} random values of valid code points (seed ${seed}) printed by ` +
        `runprov env --from (as describe, branch, remote URL and record path) and evaluated ` +
        `in a booby-trapped directory, each shell once for all values: ${tried.join("; ")}`,
      cases,
      failures,
      seconds,
    };
  } finally {
    cache.cleanup();
  }
}
