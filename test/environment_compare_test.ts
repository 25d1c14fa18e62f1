/** `environmentDiff` and its text: what changed between two runs' environments (pure). */
import { assert, assertEquals } from "./assert.ts";
import { environmentDiff, renderEnvironmentDiff } from "../lib/environment/compare.ts";
import { envFacts } from "./environment_fixtures.ts";

Deno.test("environment: the diff of two environments names packages, python, driver and variables", () => {
  const a = envFacts();
  assertEquals(environmentDiff(a, structuredClone(a)).same, true);
  assertEquals(renderEnvironmentDiff(environmentDiff(a, a)), []);
  const b = envFacts();
  b.python!.version = "3.12.1";
  b.packages!.sha256 = "b".repeat(64);
  b.packages!.list = [
    { name: "numpy", version: "2.0.0" },
    { name: "torch", version: "2.1.0+cu118" },
    { name: "einops", version: "0.8.0" },
  ];
  b.gpu!.driver = "550.54.14";
  b.gpu!.cuda_visible_devices = "2";
  b.vars = { values: { CUDA_VISIBLE_DEVICES: "2", NCCL_DEBUG: "WARN" }, withheld: [] };
  const d = environmentDiff(a, b);
  assertEquals(d.same, false);
  assertEquals(d.packages.added, [{ name: "einops", from: null, to: "0.8.0" }]);
  assertEquals(d.packages.removed, [{ name: "mylib", from: "0.1 (editable)", to: null }]);
  assertEquals(d.packages.changed, [{ name: "numpy", from: "1.26.4", to: "2.0.0" }]);
  assertEquals(renderEnvironmentDiff(d, "k3x9q0ab", "m2p7r1zz"), [
    "python: 3.11.7 -> 3.12.1",
    "packages: 1 added, 1 removed, 1 changed",
    "  + einops 0.8.0",
    "  - mylib 0.1 (editable)",
    "  ~ numpy 1.26.4 -> 2.0.0",
    "gpu driver: 535.104.05 -> 550.54.14",
    "CUDA_VISIBLE_DEVICES: 0,1 -> 2",
    "variable NCCL_DEBUG: (unset) -> WARN",
    "variable OMP_NUM_THREADS: 8 -> (unset)",
  ]);
  // A VCS package at another commit differs even with the same version.
  const c = envFacts();
  c.packages!.list[0] = {
    name: "numpy",
    version: "1.26.4",
    vcs: "git",
    commit: "0123456789abcdef",
  };
  assertEquals(environmentDiff(a, c).packages.changed, [
    { name: "numpy", from: "1.26.4", to: "1.26.4 (git 0123456789ab)" },
  ]);
  // Records without an environment, or with hostile content, are compared without failing.
  assertEquals(renderEnvironmentDiff(environmentDiff(undefined, a), "old", "new"), [
    "environment: not recorded for old",
  ]);
  const hostile = envFacts();
  hostile.packages!.list = [{ name: "x\x1b[2J", version: "1\n2" }];
  const lines = renderEnvironmentDiff(environmentDiff(a, hostile));
  // deno-lint-ignore no-control-regex
  assert(lines.every((l) => !/[\x00-\x1f]/.test(l)), lines.join("|"));
  assertEquals(environmentDiff({ packages: "nonsense", gpu: 3 }, a).same, false);
  assertEquals(environmentDiff({ packages: "nonsense", gpu: 3 }, { python: [] }).same, true);
});
