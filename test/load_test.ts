/**
 * Load (issue 8): many ranks capturing in one shared checkout while commits land, and many
 * ranks writing the same run id. Sizes: RELIABILITY_LOAD_RUNS, RELIABILITY_LOAD_COMMITS,
 * RELIABILITY_SHARED_WRITERS (the suite runs 32 x 100 and 32; scripts/reliability.ts 64 x 200 and 64).
 */
import { assertEquals } from "./assert.ts";
import { knob } from "../testkit/knobs.ts";
import { loadScenario, sharedIdScenario } from "../testkit/scenarios/load.ts";

Deno.test("load: concurrent captures never break a user's git commit, and every record is whole", async () => {
  const fig = await loadScenario(
    knob("RELIABILITY_LOAD_RUNS", 32),
    knob("RELIABILITY_LOAD_COMMITS", 100),
  );
  assertEquals(fig.failures, []);
});

Deno.test("load: of concurrent writers of one new run id exactly one wins; one complete record, no temp files", async () => {
  const fig = await sharedIdScenario(knob("RELIABILITY_SHARED_WRITERS", 32));
  assertEquals(fig.failures, []);
});
