/** Tracker variables for a record (pure): names, order, and what unknown facts become. */
import { assertEquals, assertThrows } from "./assert.ts";
import {
  envVars,
  mlflowRunContext,
  parseTrackers,
  TRACKER_NAMES,
} from "../lib/exports/trackers.ts";
import type { RunRecord } from "../lib/run/record.ts";
import { RunprovError } from "../lib/errors.ts";

const SHA = "1d677bcfed910adffefee3702f31c1afa9ef173b";

function record(git: Partial<RunRecord["git"]>): RunRecord {
  return {
    run_id: "k3x9q0ab",
    git: {
      available: true,
      sha: SHA,
      sha_short: "1d677bc",
      describe: "v1.0-2-g1d677bc-dirty",
      branch: "main",
      remote_url: "https://example.com/o/p.git",
      dirty: true,
      ...git,
    },
  } as RunRecord;
}

Deno.test("trackers: fixed variables first, then each tracker's in the order given", () => {
  const vars = envVars(record({}), "/r/.runprov/runs/k3x9q0ab.json", ["clearml", "wandb"]);
  assertEquals(vars.slice(8), [
    ["CLEARML_VCS_COMMIT_ID", SHA],
    ["CLEARML_VCS_REPO_URL", "https://example.com/o/p.git"],
    ["CLEARML_VCS_BRANCH", "main"],
    ["WANDB_GIT_COMMIT", SHA],
    ["WANDB_GIT_REMOTE_URL", "https://example.com/o/p.git"],
  ]);
  assertEquals(vars[7], ["RUNPROV_FILE", "/r/.runprov/runs/k3x9q0ab.json"]);
});

Deno.test("trackers: MLflow's run context is JSON of git and runprov tags", () => {
  assertEquals(
    mlflowRunContext(record({})),
    `{"mlflow.source.git.commit":"${SHA}","mlflow.source.git.branch":"main",` +
      `"mlflow.source.git.repoURL":"https://example.com/o/p.git","runprov.run_id":"k3x9q0ab",` +
      `"runprov.dirty":"true","runprov.describe":"v1.0-2-g1d677bc-dirty"}`,
  );
});

Deno.test("trackers: MLflow also gets the python version and package digest of the environment", () => {
  const rec = record({});
  rec.environment = {
    python: { version: "3.11.7" },
    packages: { sha256: "ab".repeat(32) },
  } as RunRecord["environment"];
  const tags = JSON.parse(mlflowRunContext(rec));
  assertEquals(tags["runprov.python_version"], "3.11.7");
  assertEquals(tags["runprov.packages_sha256"], "ab".repeat(32));
  rec.environment = null;
  assertEquals(JSON.parse(mlflowRunContext(rec))["runprov.python_version"], undefined);
  // W&B and ClearML have no variable that reads either: their variables stay as they were.
  assertEquals(envVars(rec, null, ["wandb", "clearml"]).slice(8).map(([n]) => n), [
    "WANDB_GIT_COMMIT",
    "WANDB_GIT_REMOTE_URL",
    "CLEARML_VCS_COMMIT_ID",
    "CLEARML_VCS_REPO_URL",
    "CLEARML_VCS_BRANCH",
  ]);
});

Deno.test("trackers: unknown facts are empty, and MLflow leaves their tags out", () => {
  const rec = record({
    available: false,
    sha: "unknown",
    sha_short: "unknown",
    describe: null,
    branch: null,
    remote_url: null,
    dirty: false,
  });
  assertEquals(envVars(rec, null, ["wandb", "clearml"]).slice(8).map(([, v]) => v), [
    "",
    "",
    "",
    "",
    "",
  ]);
  assertEquals(JSON.parse(mlflowRunContext(rec)), {
    "runprov.run_id": "k3x9q0ab",
    "runprov.dirty": "false",
    "runprov.describe": "",
  });
});

Deno.test("trackers: --tracker takes repeats and commas, once each; unknown names are exit 2", () => {
  assertEquals(parseTrackers(["wandb,mlflow", "wandb", "clearml", "comet"]), [
    "wandb",
    "mlflow",
    "clearml",
    "comet",
  ]);
  assertThrows(
    () => parseTrackers(["neptune"]),
    (e: unknown) => e instanceof RunprovError && e.exitCode === 2,
  );
});

Deno.test("trackers: Comet gets the repository top and every RUNPROV_* value as an Other", () => {
  const file = "/r/.runprov/runs/k3x9q0ab.json";
  const rec = record({ root: "/r" });
  const vars = envVars(rec, file, ["comet"]);
  const comet = vars.slice(8);
  assertEquals(comet[0], ["COMET_GIT_DIRECTORY", "/r"]);
  assertEquals(
    comet.slice(1),
    vars.slice(0, 8).map(([n, v]) => [`COMET_LOG_OTHER_${n}`, v]),
  );
  assertEquals(comet.map(([n]) => n), [...TRACKER_NAMES.comet]);
});

Deno.test("trackers: Comet's directory is empty without a repository, or when told it is not here", () => {
  const noGit = record({
    available: false,
    root: null,
    sha: "unknown",
    sha_short: "unknown",
    describe: null,
    branch: null,
    remote_url: null,
    dirty: false,
  });
  const none = Object.fromEntries(envVars(noGit, null, ["comet"]));
  assertEquals(none.COMET_GIT_DIRECTORY, "");
  assertEquals(none.COMET_LOG_OTHER_RUNPROV_GIT_SHA, "unknown");
  assertEquals(none.COMET_LOG_OTHER_RUNPROV_FILE, "");
  const elsewhere = Object.fromEntries(envVars(record({ root: "/r" }), null, ["comet"], null));
  assertEquals(elsewhere.COMET_GIT_DIRECTORY, "");
  assertEquals(elsewhere.COMET_LOG_OTHER_RUNPROV_GIT_SHA, SHA);
});
