/**
 * Storing runs without ever replacing one: a new run's patch and record are created only
 * where nothing exists yet (atomically, so of two writers of one id exactly one wins),
 * `exec` updates only the record it created, and whatever is in the way (another run's
 * record, a directory, a FIFO, a device, a symlink) is named in an exit-2 error.
 */
import { dirname, join } from "../util/paths.ts";
import { Exit, RunprovError } from "../errors.ts";
import type { LoadedConfig } from "../config/config.ts";
import { recordWriteError, type RunRecord, serializeRecord } from "./record.ts";
import {
  createFromTemp,
  type Occupant,
  occupant,
  PathTaken,
  removeStaleTemps,
  writeFileAtomic,
  writeTemp,
} from "./store.ts";

/**
 * A planned run: its record, where it will be stored (null: nowhere) and, for a dirty run,
 * its patch waiting in a temp file. Nothing is in place until {@link storeNewRun}; a caller
 * that gives up calls {@link discardRun}.
 */
export interface Captured {
  record: RunRecord;
  path: string | null;
  /** The configuration the capture used. */
  config?: LoadedConfig;
  /** The temp file holding the patch until it is stored next to the record. */
  patchTemp?: string | null;
}

/**
 * Store a planned run where nothing exists yet: its patch (if any), then its record, each
 * created atomically and only if its name is free, so of two writers of one id exactly one
 * wins and the other leaves nothing behind. A taken name is exit 2 naming the run id.
 */
export async function storeNewRun(planned: Captured, out?: string | null): Promise<void> {
  const { path, record } = planned;
  if (path === null) return await discardRun(planned);
  let recordTemp: string;
  try {
    recordTemp = await writeTemp(
      path,
      (write) => write(new TextEncoder().encode(serializeRecord(record))),
    );
  } catch (err) {
    await discardRun(planned);
    throw recordWriteError(path, err);
  }
  const patch = record.git.patch;
  let placedPatch: string | null = null;
  try {
    if (patch && planned.patchTemp) {
      const temp = planned.patchTemp;
      planned.patchTemp = null;
      await createFromTemp(temp, patch.path);
      placedPatch = patch.path;
    }
    await createFromTemp(recordTemp, path);
  } catch (err) {
    await Deno.remove(recordTemp).catch(() => {});
    // Only a patch this call created is removed: another writer's is not ours.
    if (placedPatch !== null) await Deno.remove(placedPatch).catch(() => {});
    await discardRun(planned);
    if (err instanceof PathTaken && err.path === path) {
      throw occupiedError(path, await occupant(path).catch(() => null), record.run_id, out);
    }
    if (err instanceof PathTaken) throw patchTakenError(err.path, path, record.run_id);
    throw recordWriteError(path, err);
  }
  await removeStaleTemps(dirname(path));
}

/** Remove what a planned run wrote but did not store (its patch's temp file). Idempotent. */
export async function discardRun(planned: Captured): Promise<void> {
  const temp = planned.patchTemp;
  planned.patchTemp = null;
  if (temp) await Deno.remove(temp).catch(() => {});
}

/** Refuse (exit 2) when anything is at `path` already: a record is never replaced. */
export async function ensureVacant(path: string, runId: string, out: string | null | undefined) {
  let found: Occupant | null;
  try {
    found = await occupant(path);
  } catch (err) {
    throw recordWriteError(path, err);
  }
  if (found !== null) throw occupiedError(path, found, runId, out);
}

/** Refuse (exit 2) when a dirty run's patch file exists already (its record was removed). */
export async function ensurePatchVacant(patchPath: string, path: string, runId: string) {
  const found = await occupant(patchPath).catch(() => null);
  if (found !== null) throw patchTakenError(patchPath, path, runId);
}

/**
 * The exit-2 error for a record path that is taken: what is there, and what to do. `out`
 * tells whether the user named the path (`--out`) or it came from the run id.
 */
export function occupiedError(
  path: string,
  found: Occupant | null,
  runId: string,
  out: string | null | undefined,
): RunprovError {
  const named = out !== undefined && out !== null;
  const free = named
    ? "give --out a path where nothing exists yet"
    : `give this run another --run-id`;
  const what = (): [string, string] => {
    switch (found?.kind) {
      case "record":
        return [
          `run ${found.runId} already has a record there (status ${found.status}, created ` +
          `${found.createdAt}); runprov never replaces a record`,
          `${free}, or remove ${path} (and its .patch, if any) if run ${found.runId} is to be recorded again`,
        ];
      case "file":
        return [
          "a file that is not a run record is there; runprov never replaces a file",
          `${free}, or remove that file first`,
        ];
      case "directory":
        return [
          "it is a directory",
          named
            ? `--out names the record file itself, e.g. --out ${join(path, `${runId}.json`)}`
            : `${free}, or remove that directory`,
        ];
      case "symlink":
        return [
          `it is a symbolic link${found.target ? ` (to ${found.target})` : ""}; ` +
          "runprov does not write records through links",
          `${free} (not a link), or remove the link`,
        ];
      case "fifo":
      case "device":
      case "socket":
      case "other": {
        const kind = found.kind === "fifo"
          ? "a FIFO (named pipe)"
          : found.kind === "device"
          ? "a device"
          : found.kind === "socket"
          ? "a socket"
          : "not a regular file";
        return [
          `it is ${kind}, not a file; records are written as new regular files only`,
          `${free}; to write no record file: 'stamp --out -' or 'env --no-record'`,
        ];
      }
      default:
        return ["something appeared there while this run was being stored", free];
    }
  };
  const [why, hint] = what();
  return new RunprovError(`cannot write the run record ${path}: ${why}`, Exit.usage, hint);
}

function patchTakenError(patchPath: string, path: string, runId: string): RunprovError {
  return new RunprovError(
    `cannot write the run record ${path}: a patch of run ${runId} is already there ` +
      `(${patchPath}), without its record: left by a killed run, or stored just now by ` +
      "another runprov with the same id",
    Exit.usage,
    `give this run another --run-id, or remove ${patchPath} if it is not needed`,
  );
}

/**
 * Replace a run's own record with its new state (`exec` when CMD ends), atomically. Only
 * the file this run created is replaced: if what is at `path` now is another run's record
 * or not a record, nothing is written and an error says so; a removed record is created
 * again.
 */
export async function updateOwnRecord(
  path: string,
  before: RunRecord,
  after: RunRecord,
): Promise<void> {
  let found: Occupant | null;
  try {
    found = await occupant(path);
  } catch (err) {
    throw recordWriteError(path, err);
  }
  if (found === null) {
    try {
      const temp = await writeTemp(
        path,
        (w) => w(new TextEncoder().encode(serializeRecord(after))),
      );
      await createFromTemp(temp, path);
      return;
    } catch (err) {
      if (!(err instanceof PathTaken)) throw recordWriteError(path, err);
      found = await occupant(path).catch(() => null);
    }
  }
  if (
    found?.kind !== "record" || found.runId !== before.run_id ||
    found.createdAt !== before.created_at
  ) {
    throw new RunprovError(
      `not updating the run record ${path}: it no longer holds run ${before.run_id} as this ` +
        "runprov wrote it (replaced while the command ran); left as it is",
      Exit.usage,
      `run ${before.run_id} ended with status ${after.status}`,
    );
  }
  try {
    await writeFileAtomic(path, serializeRecord(after));
  } catch (err) {
    throw recordWriteError(path, err);
  }
}
