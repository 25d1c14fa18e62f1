/** The variables `runprov env` exports and `runprov exec` hands its child. Pure. */
import type { RunRecord } from "../run/record.ts";

/** One exported variable: a fixed name and its exact value. */
export type EnvVar = readonly [name: string, value: string];

/** The fixed export names, in the order they are printed. */
export const EXPORT_NAMES = [
  "RUNPROV_RUN_ID",
  "RUNPROV_GIT_SHA",
  "RUNPROV_GIT_SHA_SHORT",
  "RUNPROV_GIT_DESCRIBE",
  "RUNPROV_GIT_BRANCH",
  "RUNPROV_GIT_DIRTY",
  "RUNPROV_GIT_REMOTE_URL",
  "RUNPROV_FILE",
] as const;

/**
 * The exports of a record. `file` is the record's absolute path, or null when it was not
 * stored (`--no-record`): then `RUNPROV_FILE` is empty.
 *
 * @example
 * exportVars(record, "/repo/.runprov/runs/k3x9q0ab.json")[1]; // ["RUNPROV_GIT_SHA", "990ca24c..."]
 */
export function exportVars(record: RunRecord, file: string | null): EnvVar[] {
  const g = record.git;
  return [
    ["RUNPROV_RUN_ID", record.run_id],
    ["RUNPROV_GIT_SHA", g.available ? g.sha : "unknown"],
    ["RUNPROV_GIT_SHA_SHORT", g.available ? g.sha_short : "unknown"],
    ["RUNPROV_GIT_DESCRIBE", g.describe ?? ""],
    ["RUNPROV_GIT_BRANCH", g.branch ?? ""],
    ["RUNPROV_GIT_DIRTY", g.dirty ? "true" : "false"],
    ["RUNPROV_GIT_REMOTE_URL", g.remote_url ?? ""],
    ["RUNPROV_FILE", file ?? ""],
  ];
}
