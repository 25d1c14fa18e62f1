/**
 * Property-based fuzz tests (issue 8), seeded (RELIABILITY_SEED) so a failure reproduces:
 * the porcelain-v2 parser gives back exactly the report that was rendered, and URL
 * redaction never lets userinfo through. Case counts: RELIABILITY_FUZZ_CASES (default 3000).
 */
import { assertEquals } from "./assert.ts";
import { parsePorcelainV2 } from "../lib/porcelain.ts";
import { redactText, redactUrl } from "../lib/redact.ts";
import { fuzzPorcelain, fuzzRedaction, knob, seedFromEnv } from "./reliability_helpers.ts";

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
