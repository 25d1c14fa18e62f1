/**
 * Property-based fuzz tests (issue 8), seeded (RELIABILITY_SEED) so a failure reproduces:
 * the porcelain-v2 parser gives back exactly the report that was rendered, and URL
 * redaction never lets userinfo through, every shell format renders random values as one
 * line with nothing special unquoted, and real shells give those values back byte for
 * byte. Case counts: RELIABILITY_FUZZ_CASES (default 3000), RELIABILITY_SHELL_VALUES
 * (default 2000 values per shell, 200 where each value costs a fork; all values in one
 * shell process).
 */
import { assertEquals } from "./assert.ts";
import { parsePorcelainV2 } from "../lib/git/porcelain.ts";
import { redactText, redactUrl } from "../lib/git/redact_url.ts";
import { renderExports } from "../lib/shell/index.ts";
import {
  fuzzPorcelain,
  fuzzQuoting,
  fuzzRedaction,
  knob,
  QUOTING_SHELL_CASES,
  quotingCorpus,
  seedFromEnv,
  shellValues,
} from "./reliability_helpers.ts";
import { checkCase, missingShell } from "./shell_matrix.ts";
import { CI, which } from "./hostile.ts";

const CASES = knob("RELIABILITY_FUZZ_CASES", 3000);
const SEED = seedFromEnv();

Deno.test(`fuzz: porcelain v2 -z round-trips ${CASES} random status reports (seed ${SEED})`, () => {
  assertEquals(fuzzPorcelain(CASES, SEED, parsePorcelainV2).failures, []);
});

Deno.test(`fuzz: redaction removes the userinfo of ${CASES} random remote URLs (seed ${SEED})`, () => {
  assertEquals(fuzzRedaction(CASES, SEED + 1, redactUrl, redactText).failures, []);
});

Deno.test("redact: free text loses a password holding '@', a token user and a ?token= query", () => {
  // Cases the fuzz test found (each leaked before the fix).
  assertEquals(
    redactText("fatal: unable to access 'https://u:p@ss@h/x/': 403", []),
    "fatal: unable to access 'https://h/x/': 403",
  );
  assertEquals(
    redactText("ghp_S3CRHOUMmzoDIYMZ8E0i@github.com: Permission denied (publickey).", []),
    "github.com: Permission denied (publickey).",
  );
  assertEquals(
    redactText("fatal: unable to access 'https://h/o/r.git?token=S3CR': 403", []),
    "fatal: unable to access 'https://h/o/r.git': 403",
  );
});

Deno.test(`fuzz: shell formats render ${CASES} random value sets as one quoted line (seed ${SEED})`, () => {
  assertEquals(fuzzQuoting(CASES, SEED + 2, renderExports).failures, []);
});

const SEED_SHELLS = SEED + 3;
for (const c of QUOTING_SHELL_CASES) {
  const path = which(c.shell);
  const n = shellValues(c);
  Deno.test({
    name: `fuzz: ${c.name} gives ${n} random values back exactly (seed ${SEED_SHELLS})`,
    ignore: path === null && !CI,
    fn: () =>
      path === null ? missingShell(c.shell) : checkCase(c, path, quotingCorpus(n, SEED_SHELLS)),
  });
}
