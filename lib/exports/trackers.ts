/**
 * `--tracker wandb|mlflow|clearml|comet`: the extra variables each tracker reads on its
 * own, so it shows the run's commit even where it cannot see `.git` (containers, copied
 * sources). Where each name is read is cited in docs/trackers.md. Pure.
 */
import type { RunRecord } from "../run/record.ts";
import { type EnvVar, EXPORT_NAMES, exportVars } from "./variables.ts";
import { shown, usageError } from "../errors.ts";

/** The trackers `--tracker` accepts. */
export const TRACKERS = ["wandb", "mlflow", "clearml", "comet"] as const;
export type Tracker = (typeof TRACKERS)[number];

/** Comet logs every `COMET_LOG_OTHER_<NAME>` variable as the Other `<name>` (lower case). */
const COMET_OTHER = "COMET_LOG_OTHER_";

/** Every variable name a tracker may set (for `--unset`), in print order. */
export const TRACKER_NAMES: Readonly<Record<Tracker, readonly string[]>> = {
  wandb: ["WANDB_GIT_COMMIT", "WANDB_GIT_REMOTE_URL"],
  mlflow: ["MLFLOW_RUN_CONTEXT"],
  clearml: ["CLEARML_VCS_COMMIT_ID", "CLEARML_VCS_REPO_URL", "CLEARML_VCS_BRANCH"],
  comet: ["COMET_GIT_DIRECTORY", ...EXPORT_NAMES.map((n) => COMET_OTHER + n)],
};

/** Check `--tracker` values: known names, each once, in the order given. */
export function parseTrackers(values: readonly string[]): Tracker[] {
  const out: Tracker[] = [];
  for (const v of values) {
    for (const t of v.split(",")) {
      if (!(TRACKERS as readonly string[]).includes(t)) {
        throw usageError(
          `unknown tracker ${shown(t)}`,
          `use one of: ${TRACKERS.join(", ")}`,
        );
      }
      if (!out.includes(t as Tracker)) out.push(t as Tracker);
    }
  }
  return out;
}

/** The commit, or "" when git was not available (a tracker must never record "unknown"). */
function knownSha(record: RunRecord): string {
  return record.git.available ? record.git.sha : "";
}

/**
 * MLflow's `MLFLOW_RUN_CONTEXT`: a JSON object of run tags. Git tags are left out when
 * unknown, because these tags override what MLflow's own git detection found; the python
 * version and the package digest only when the record's environment has them.
 */
export function mlflowRunContext(record: RunRecord): string {
  const g = record.git;
  const tags: Record<string, string> = {};
  if (knownSha(record)) tags["mlflow.source.git.commit"] = g.sha;
  if (g.branch) tags["mlflow.source.git.branch"] = g.branch;
  if (g.remote_url) tags["mlflow.source.git.repoURL"] = g.remote_url;
  tags["runprov.run_id"] = record.run_id;
  tags["runprov.dirty"] = g.dirty ? "true" : "false";
  tags["runprov.describe"] = g.describe ?? "";
  // A record read with --from may be foreign: only strings become tags.
  const version: unknown = record.environment?.python?.version;
  const digest: unknown = record.environment?.packages?.sha256;
  if (typeof version === "string" && version) tags["runprov.python_version"] = version;
  if (typeof digest === "string" && digest) tags["runprov.packages_sha256"] = digest;
  return JSON.stringify(tags);
}

/**
 * The run's repository top as the record says, when git was available: where Comet should
 * look for it. The commands check that it is a repository on this machine (see
 * lib/exports/repo_here.ts) before handing it over.
 */
export function recordedRepoTop(record: RunRecord): string | null {
  return record.git.available ? record.git.root : null;
}

/**
 * The variables of one tracker for a record; unknown values are empty. `file` is the
 * record's path (as for the `RUNPROV_*` variables) and `repoTop` the repository Comet is
 * pointed at, or null to leave `COMET_GIT_DIRECTORY` empty (Comet then searches from its
 * working directory).
 */
export function trackerVars(
  record: RunRecord,
  tracker: Tracker,
  file: string | null = null,
  repoTop: string | null = recordedRepoTop(record),
): EnvVar[] {
  const g = record.git;
  switch (tracker) {
    case "wandb":
      return [
        ["WANDB_GIT_COMMIT", knownSha(record)],
        ["WANDB_GIT_REMOTE_URL", g.remote_url ?? ""],
      ];
    case "mlflow":
      return [["MLFLOW_RUN_CONTEXT", mlflowRunContext(record)]];
    case "clearml":
      return [
        ["CLEARML_VCS_COMMIT_ID", knownSha(record)],
        ["CLEARML_VCS_REPO_URL", g.remote_url ?? ""],
        ["CLEARML_VCS_BRANCH", g.branch ?? ""],
      ];
    case "comet":
      return [
        ["COMET_GIT_DIRECTORY", repoTop ?? ""],
        ...exportVars(record, file).map(([n, v]): EnvVar => [COMET_OTHER + n, v]),
      ];
  }
}

/**
 * Everything `runprov env` (and `runprov exec`) hands over for a record: the fixed
 * `RUNPROV_*` variables, then each tracker's, in order. `file` is the record's absolute
 * path, or null when it was not stored; `repoTop` as for {@link trackerVars}.
 *
 * @example
 * envVars(record, "/repo/.runprov/runs/k3x9q0ab.json", ["wandb"]).map(([n]) => n).at(-1);
 * // "WANDB_GIT_REMOTE_URL"
 */
export function envVars(
  record: RunRecord,
  file: string | null,
  trackers: readonly Tracker[] = [],
  repoTop: string | null = recordedRepoTop(record),
): EnvVar[] {
  return [
    ...exportVars(record, file),
    ...trackers.flatMap((t) => trackerVars(record, t, file, repoTop)),
  ];
}
