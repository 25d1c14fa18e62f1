/**
 * Runs inside runs: a process started by `runprov exec` inherits `RUNPROV_RUN_ID` and
 * `RUNPROV_FILE`, and that record says `status: "running"`. Such a process (a torchrun
 * rank calling `runprov env`, an inner `runprov exec`) reuses the run instead of
 * inventing a new one, and never rewrites its record.
 */
import { parseRecord, type RunRecord } from "./record.ts";

/** The run a process was started in, or null when it was not started by `runprov exec`. */
export async function inheritedRun(
  env: Record<string, string>,
): Promise<{ record: RunRecord; path: string } | null> {
  const id = env.RUNPROV_RUN_ID;
  const path = env.RUNPROV_FILE;
  if (!id || !path) return null;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  let record: RunRecord;
  try {
    record = parseRecord(text, path);
  } catch {
    return null;
  }
  if (record.run_id !== id || record.status !== "running") return null;
  return { record, path };
}
