/**
 * Runs inside runs: a process started by `runprov exec` inherits `RUNPROV_RUN_ID` and
 * `RUNPROV_FILE`, and that record says `status: "running"`. When its supervisor is really
 * alive (lib/run/liveness.ts), an `env` or `exec` without options of its own reuses that run
 * (a torchrun rank, a nested exec) and never rewrites its record; with options of its own
 * (`--run-id`, `--strict`, ...) it records a child run whose `parent` names it. A record left
 * `running` by a killed supervisor is never reused: the variables were inherited by a later
 * job (SLURM's `--export=ALL`), which records its own run.
 */
import type { RunRecord } from "./record.ts";
import { readRecordFile } from "./store.ts";
import { currentVantage, supervisorLiveness, type Vantage } from "./liveness.ts";

/** What the inherited RUNPROV_RUN_ID / RUNPROV_FILE say about the enclosing run. */
export type Inherited =
  /** No variables, or they name no readable `running` record of that id. */
  | { state: "none" }
  /** A run whose supervisor is alive (or, on another host, trusted): the enclosing run. */
  | { state: "live"; record: RunRecord; path: string }
  /** A `running` record whose supervisor is gone: not a run to join. */
  | { state: "stale"; record: RunRecord; path: string; why: string };

/** The run a process was started in, judged from `vantage` (this process by default). */
export async function inheritedRun(
  env: Record<string, string>,
  vantage: Vantage = currentVantage(env),
): Promise<Inherited> {
  const id = env.RUNPROV_RUN_ID;
  const path = env.RUNPROV_FILE;
  if (!id || !path) return { state: "none" };
  let record: RunRecord;
  try {
    // Only a regular file: reading a FIFO planted at RUNPROV_FILE would block.
    if (!(await Deno.stat(path)).isFile) return { state: "none" };
    const stored = await readRecordFile(path);
    if (stored === null) return { state: "none" };
    record = stored.record;
  } catch {
    return { state: "none" };
  }
  if (record.run_id !== id || record.status !== "running") return { state: "none" };
  const live = await supervisorLiveness(record, vantage);
  return live.alive
    ? { state: "live", record, path }
    : { state: "stale", record, path, why: live.why };
}

/**
 * The options (as `--name`) that make a command inside a live run a child run of its own;
 * none means it reuses the run. `--run-id` naming the enclosing run itself does not count.
 *
 * @example
 * childRunOptions({ strict: true }, ["run-id", "strict"], "sweep"); // ["--strict"]
 * childRunOptions({ "run-id": "sweep" }, ["run-id", "strict"], "sweep"); // []
 */
export function childRunOptions(
  values: Record<string, unknown>,
  names: readonly string[],
  parentId: string,
): string[] {
  return names
    .filter((k) => values[k] !== undefined && values[k] !== false)
    .filter((k) => !(k === "run-id" && values[k] === parentId))
    .map((k) => `--${k}`);
}

/** The note printed when inherited variables name a run that is not running any more. */
export function staleNote(inherited: { record: RunRecord; why: string }): string {
  return `note: not joining run ${inherited.record.run_id} named by RUNPROV_RUN_ID: ` +
    `${inherited.why}; recording a new run`;
}
