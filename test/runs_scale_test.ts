/**
 * `runprov runs` at scale (issue 8), the one test of many run tags: thousands of run tags and
 * local records are listed once each, newest first, merged, with one `git for-each-ref` for
 * all the tags and no other git process than finding the repository. Sizes:
 * RELIABILITY_RUN_TAGS (suite 2000; scripts/reliability.ts 10000), RELIABILITY_RUN_RECORDS
 * (suite 300; script 1000).
 */
import { assertEquals } from "./assert.ts";
import { knob } from "../testkit/knobs.ts";
import { runsScaleScenario } from "../testkit/scenarios/runs_scale.ts";

Deno.test("runs: thousands of tags and records list correctly from one for-each-ref", async () => {
  const fig = await runsScaleScenario(
    knob("RELIABILITY_RUN_TAGS", 2000),
    knob("RELIABILITY_RUN_RECORDS", 300),
  );
  assertEquals(fig.failures, []);
});
