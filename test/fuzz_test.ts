/**
 * Property-based fuzz tests (issue 8), seeded (RELIABILITY_SEED) so a failure reproduces:
 * the porcelain-v2 parser gives back exactly the report that was rendered, URL redaction
 * never lets userinfo through, every shell format renders random values as one line with
 * nothing special unquoted (pure, on the library), and random values printed by the real
 * CLI (`runprov env --from … --format F`) come back byte for byte from real shells. Sizes:
 * RELIABILITY_FUZZ_CASES (default 3000), RELIABILITY_SHELL_VALUES (default 120 values per
 * format; each costs a share of a runprov process, scripts/reliability.ts runs 2000).
 */
import { assertEquals } from "./assert.ts";
import { withTool } from "./helpers.ts";
import { parsePorcelainV2 } from "../lib/git/porcelain.ts";
import { redactText, redactUrl } from "../lib/git/redact_url.ts";
import { renderExports } from "../lib/shell/index.ts";
import { knob, seedFromEnv } from "../testkit/knobs.ts";
import { fuzzPorcelain, fuzzQuoting, fuzzRedaction } from "../testkit/scenarios/fuzz.ts";
import { QUOTING_SHELL_CASES } from "../testkit/scenarios/shell_fuzz.ts";
import { quotingCorpus } from "../testkit/generators.ts";
import { ExportsCache } from "../testkit/shells/cli_exports.ts";
import { checkCase } from "../testkit/shells/matrix.ts";

const CASES = knob("RELIABILITY_FUZZ_CASES", 3000);
const SHELL_VALUES = knob("RELIABILITY_SHELL_VALUES", 120);
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
const printed = new ExportsCache(quotingCorpus(SHELL_VALUES, SEED_SHELLS));
globalThis.addEventListener("unload", () => printed.cleanup());

for (const c of QUOTING_SHELL_CASES) {
  Deno.test(withTool(
    c.shell,
    `fuzz: ${c.name} gives ${SHELL_VALUES} random values printed by runprov env back exactly (seed ${SEED_SHELLS})`,
    async (path) => await checkCase(c, path, await printed.get(c.format)),
  ));
}
