/**
 * What `push` and `fetch` tell the user about each run: notes for stderr, the errors to
 * print, the exit code, and the `--json` form. Pure.
 */
import { Exit, type RunprovError } from "../errors.ts";
import type { RunOutcome } from "./share.ts";

/** Most per-run notes printed before a count stands for the rest. */
const MAX_NOTES = 20;

/** The lines, errors and exit code for a list of outcomes. */
export interface Report {
  notes: string[];
  errors: RunprovError[];
  code: number;
}

/**
 * Report outcomes of `verb` ("push" or "fetch") against `remote`: one note per run (the
 * first {@link MAX_NOTES}, then a count), every error, and exit 5 when any run hit a
 * conflict or the remote refused it, else 2 when any run was unknown, else 0.
 *
 * @example
 * report([{ id: "a", commit: "1f0e...", status: "pushed", notes: [], error: null }], "push", "origin").notes;
 * // ["pushed run a to origin (1f0e...)"]
 */
export function report(outcomes: readonly RunOutcome[], verb: "push" | "fetch", remote: string) {
  const notes: string[] = [];
  const errors: RunprovError[] = [];
  let shown = 0;
  let rest = 0;
  for (const o of outcomes) {
    const extra = o.notes;
    if (o.error) {
      errors.push(o.error);
      notes.push(...extra);
      continue;
    }
    const line = o.status === "up-to-date"
      ? verb === "push"
        ? `run ${o.id} is already on ${remote} (${o.commit!.slice(0, 12)})`
        : `run ${o.id} is already here (${o.commit!.slice(0, 12)})`
      : verb === "push"
      ? `pushed run ${o.id} to ${remote} (${o.commit!.slice(0, 12)})`
      : `fetched run ${o.id} from ${remote} (${o.commit!.slice(0, 12)})`;
    if (shown < MAX_NOTES) {
      notes.push(line, ...extra);
      shown++;
    } else {
      rest++;
      notes.push(...extra);
    }
  }
  if (rest > 0) notes.push(`... and ${rest} more run(s)`);
  const code = errors.some((e) => e.exitCode === Exit.tag)
    ? Exit.tag
    : errors.length > 0
    ? Math.max(...errors.map((e) => e.exitCode))
    : Exit.ok;
  return { notes, errors, code } satisfies Report;
}

/** The `--json` form: one object per run. */
export function outcomesJson(outcomes: readonly RunOutcome[]): string {
  return JSON.stringify(
    outcomes.map((o) => ({
      id: o.id,
      commit: o.commit,
      status: o.status,
      error: o.error ? o.error.message : null,
    })),
    null,
    2,
  ) + "\n";
}
