/**
 * `deno task reliability`: run the reliability scenarios of issue 8 at full size and print
 * the figures as a Markdown table, also written to bench/reliability.md.
 *
 * Sizes (env): RELIABILITY_LOAD_RUNS (64), RELIABILITY_LOAD_COMMITS (200),
 * RELIABILITY_SHARED_WRITERS (64), RELIABILITY_KILLS (200), RELIABILITY_TAG_KILLS (200),
 * RELIABILITY_RUN_TAGS (10000), RELIABILITY_RUN_RECORDS (1000), RELIABILITY_FUZZ_CASES (20000),
 * RELIABILITY_SHELL_VALUES (2000 values per format, printed by runprov env and evaluated by
 * every shell), RELIABILITY_SEED (8). The fault-condition and hostile-input tests run as they
 * do in the suite (test/faults_test.ts, test/hostile_test.ts) and are counted by test. The
 * scenarios live in testkit/ and take their sizes as parameters.
 */
import { join } from "node:path";
import { parsePorcelainV2 } from "../lib/git/porcelain.ts";
import { redactText, redactUrl } from "../lib/git/redact_url.ts";
import { renderExports } from "../lib/shell/index.ts";
import { type Figures, figuresTable } from "../testkit/figures.ts";
import { knob, seedFromEnv } from "../testkit/knobs.ts";
import { ROOT } from "../testkit/sandbox.ts";
import { loadScenario, sharedIdScenario } from "../testkit/scenarios/load.ts";
import { killScenario, tagKillScenario } from "../testkit/scenarios/kill.ts";
import { runsScaleScenario } from "../testkit/scenarios/runs_scale.ts";
import { fuzzPorcelain, fuzzQuoting, fuzzRedaction } from "../testkit/scenarios/fuzz.ts";
import { quotingShellScenario } from "../testkit/scenarios/shell_fuzz.ts";
import { malformedScenario } from "../testkit/scenarios/malformed.ts";

const seed = seedFromEnv();
const fuzzCases = knob("RELIABILITY_FUZZ_CASES", 20_000);
const rows: Figures[] = [];

function report(f: Figures): void {
  rows.push(f);
  console.error(
    `${f.scenario}: ${f.cases} cases, ${f.failures.length} failures (${f.seconds.toFixed(1)} s)`,
  );
  for (const x of f.failures.slice(0, 10)) console.error(`  ${x.slice(0, 400)}`);
}

/** Run test files under `deno test` (the same tests as the suite) and count them. */
async function testFiles(
  scenario: string,
  tried: string,
  files: string[],
  filter: string,
): Promise<Figures> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--filter", filter, ...files],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const names = [...text.matchAll(/^(.+) \.\.\. (ok|FAILED|ignored)/gm)];
  const failures = names.filter((m) => m[2] !== "ok").map((m) => `${m[1]}: ${m[2]}`);
  if (out.code !== 0 && failures.length === 0) failures.push(`deno test exited ${out.code}`);
  return {
    scenario,
    tried,
    cases: names.length,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

report(
  await loadScenario(knob("RELIABILITY_LOAD_RUNS", 64), knob("RELIABILITY_LOAD_COMMITS", 200)),
);
report(await sharedIdScenario(knob("RELIABILITY_SHARED_WRITERS", 64)));
report(await killScenario(knob("RELIABILITY_KILLS", 200), seed));
report(await tagKillScenario(knob("RELIABILITY_TAG_KILLS", 200), seed));
report(
  await runsScaleScenario(
    knob("RELIABILITY_RUN_TAGS", 10_000),
    knob("RELIABILITY_RUN_RECORDS", 1000),
  ),
);
report(
  await testFiles(
    "write faults, hung git",
    "record dir read-only (ro tmpfs), disk full (16k tmpfs), --out a directory, record path a " +
      "directory, .runprov a file (stamp, exec, env): exit 2, other record byte-identical; git that " +
      "hangs (stamp, exec, env): killed after RUNPROV_GIT_TIMEOUT, exit 4 strict, sha unknown warn",
    ["test/faults_test.ts"],
    "/read-only|full disk|directory|being a file|hung git|stale temp file is removed/",
  ),
);
report(fuzzPorcelain(fuzzCases, seed, parsePorcelainV2));
report(fuzzRedaction(fuzzCases, seed + 1, redactUrl, redactText));
report(fuzzQuoting(fuzzCases, seed + 2, renderExports));
report(await quotingShellScenario(knob("RELIABILITY_SHELL_VALUES", 2000), seed + 3));
report(await malformedScenario());
report(
  await testFiles(
    "malformed config and input",
    "truncated, binary and NUL-holding runprov.jsonc; --from a non-JSON file, package.json, a " +
      "W&B config, an empty file, random bytes, terminal escapes, a directory; 11 garbage " +
      "RUNPROV_GIT_TIMEOUT values; absurd runs/tag/show/verify/env values; git_timeout from " +
      "runprov.jsonc bounding the first git call of a hung git",
    ["test/malformed_test.ts"],
    "/malformed/",
  ),
);
report(
  await testFiles(
    "hostile repositories",
    "7 credential placements (user:pass, token-only, x-access-token, oauth2, pushurl, insteadOf, " +
      "scp token) x stamp/show/runs/verify/env/check/exec/doctor, warn and strict, grepped in " +
      "stdout, stderr, .runprov; tag messages and tag --push output (pushed to a local bare " +
      "remote, refused by a dead one); " +
      "fsmonitor, hooks, sshCommand, filters, textconv: no program runs (stamp/exec/doctor/env/" +
      "check); 1 MB of refs; " +
      "paths with newlines, tabs, quotes round-trip",
    ["test/hostile_test.ts"],
    "/secret|name programs|huge --name|1 MB|round-trip|filter drivers/",
  ),
);

const total = rows.reduce((n, r) => n + r.failures.length, 0);
const cases = rows.reduce((n, r) => n + r.cases, 0);
const cpus = navigator.hardwareConcurrency;
const md = `# Reliability figures

Produced by \`deno task reliability\` (scripts/reliability.ts) on ${
  new Date().toISOString().slice(0, 10)
}: ${cpus} cores, ${Deno.build.os}/${Deno.build.arch}, deno ${Deno.version.deno}, seed ${seed}.

${figuresTable(rows)}
Total: ${cases} cases, **${total} failures**.
`;
await Deno.mkdir(join(ROOT, "bench"), { recursive: true });
await Deno.writeTextFile(join(ROOT, "bench", "reliability.md"), md);
// Keep the committed file as `deno fmt` wants it (the suite checks formatting).
await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "--quiet", "bench/reliability.md"],
  cwd: ROOT,
})
  .output();
console.log(md);
Deno.exit(total === 0 ? 0 : 1);
