/** Where records live, how they are written (atomically, never half a file) and read back. */
import { lstatOrNull } from "../util/lstat.ts";
import { sha256Hex } from "../util/sha256.ts";
import { DEFAULT_RECORD_DIR, RECORD_FILE_HINT, RUNPROV_DIR } from "./layout.ts";
import { dirname, join } from "../util/paths.ts";
import { parseRecord, type RunRecord } from "./record.ts";
import { osReason, shownPath, usageError } from "../errors.ts";

/** The record directory of a repository (or of the working directory without one). */
export function recordDir(base: string, dir = DEFAULT_RECORD_DIR): string {
  return dir.startsWith("/") ? dir : join(base, dir);
}

/** The path of one run's record. */
export function recordPath(dir: string, runId: string): string {
  return join(dir, `${runId}.json`);
}

/**
 * Create `.runprov/` with a `.gitignore` of `*` (so runprov's files never dirty the tree),
 * unless it is there already.
 */
export async function ensureRunprovDir(base: string): Promise<void> {
  const dir = join(base, RUNPROV_DIR);
  await Deno.mkdir(dir, { recursive: true });
  await ensureIgnoresItself(dir);
}

/** Give an existing directory a `.gitignore` of `*` (so git never sees it), unless it has one. */
export async function ensureIgnoresItself(dir: string): Promise<void> {
  const ignore = join(dir, ".gitignore");
  try {
    await Deno.lstat(ignore);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    await writeFileAtomic(ignore, "*\n");
  }
}

/** A temp file of {@link writeFileAtomic}: `.<name>.tmp-<pid>-<8 hex>`. */
export const TEMP_FILE_RE = /^\..+\.tmp-\d+-[0-9a-f]{8}$/;

/**
 * Temp files older than this are left by killed runs (a live write holds its temp for
 * milliseconds) and are removed by the next write into the same directory.
 */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * Remove temp files of {@link writeFileAtomic} in `dir` whose mtime is older than
 * `maxAgeMs` (left by a killed or crashed run). Best effort: never throws; returns how many
 * it removed.
 */
export async function removeStaleTemps(
  dir: string,
  maxAgeMs = STALE_TEMP_MS,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !TEMP_FILE_RE.test(e.name)) continue;
      const path = join(dir, e.name);
      try {
        const info = await Deno.lstat(path);
        if (info.mtime && now - info.mtime.getTime() > maxAgeMs) {
          await Deno.remove(path);
          removed++;
        }
      } catch { /* gone already, or not ours to remove */ }
    }
  } catch { /* unreadable directory: the write itself succeeded, nothing to report */ }
  return removed;
}

/**
 * Write a temp file next to `path` (same directory, so it can be renamed or linked into
 * place): `fill` writes its bytes, which are then fsynced. Resolves with the temp file's
 * path; on failure the temp file is removed and the error rethrown.
 */
export async function writeTemp(
  path: string,
  fill: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<string> {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  const tmp = join(dir, `.${base}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  try {
    await fill(async (bytes) => {
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
    });
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  return tmp;
}

/**
 * Write `path` atomically: `fill` writes a temp file in the same directory, which is then
 * fsynced and renamed over `path`. Readers see the old file or the new one, never a mix; a
 * crash leaves at worst a `.<name>.tmp-*` file, which readers ignore and which the next
 * successful write into the directory removes once it is older than {@link STALE_TEMP_MS}.
 * This replaces whatever is at `path`: new records go through {@link createFromTemp}.
 */
export async function writeAtomic(
  path: string,
  fill: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const tmp = await writeTemp(path, fill);
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  await removeStaleTemps(dirname(path));
}

/** Something is already at a path that runprov only ever creates, never replaces. */
export class PathTaken extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists`);
    this.name = "PathTaken";
  }
}

/**
 * Move a complete temp file (from {@link writeTemp}) to `path` only if nothing is there:
 * `link(2)` creates the name atomically or fails, so of two writers of one path exactly one
 * wins, and readers see no file or the whole one. Where the file system has no hard links,
 * an empty file is created exclusively (`O_EXCL`) as the claim and the temp renamed over
 * it. The temp file is gone afterwards either way; throws {@link PathTaken} when `path`
 * exists (a file, directory, symlink, FIFO...), which is then left untouched.
 */
export async function createFromTemp(
  tmp: string,
  path: string,
  link: (from: string, to: string) => Promise<void> = Deno.link,
): Promise<void> {
  try {
    try {
      await link(tmp, path);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) throw new PathTaken(path);
      if (
        !(err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotSupported)
      ) {
        throw err;
      }
      // No hard links here (FAT, some FUSE and object-store mounts): claim, then rename.
      await claimEmpty(path);
      try {
        await Deno.rename(tmp, path);
      } catch (err) {
        await Deno.remove(path).catch(() => {}); // our own empty claim
        throw err;
      }
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

async function claimEmpty(path: string): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw new PathTaken(path);
    throw err;
  }
  file.close();
}

/**
 * Create `path` with `text` only if nothing is there yet, atomically (see
 * {@link createFromTemp}); throws {@link PathTaken} otherwise.
 */
export async function createFileAtomic(path: string, text: string): Promise<void> {
  const tmp = await writeTemp(path, (write) => write(new TextEncoder().encode(text)));
  await createFromTemp(tmp, path);
  await removeStaleTemps(dirname(path));
}

/** Write `text` to `path` atomically (see {@link writeAtomic}). */
export function writeFileAtomic(path: string, text: string): Promise<void> {
  return writeAtomic(path, (write) => write(new TextEncoder().encode(text)));
}

/** What is already at a path where a new record (or patch) was to be created. */
export type Occupant =
  | { kind: "record"; runId: string; status: string; createdAt: string }
  | { kind: "file" | "directory" | "fifo" | "device" | "socket" | "other" }
  | { kind: "symlink"; target: string | null };

/**
 * What is at `path`, without following a symlink or opening anything but a regular file
 * (a FIFO would block the reader); null when nothing is there.
 */
export async function occupant(path: string): Promise<Occupant | null> {
  const info = await lstatOrNull(path);
  if (info === null) return null;
  if (info.isSymlink) {
    return { kind: "symlink", target: await Deno.readLink(path).catch(() => null) };
  }
  if (info.isDirectory) return { kind: "directory" };
  if (info.isFifo) return { kind: "fifo" };
  if (info.isCharDevice || info.isBlockDevice) return { kind: "device" };
  if (info.isSocket) return { kind: "socket" };
  if (!info.isFile) return { kind: "other" };
  try {
    const r = parseRecord(await Deno.readTextFile(path), path);
    return { kind: "record", runId: r.run_id, status: String(r.status), createdAt: r.created_at };
  } catch {
    return { kind: "file" };
  }
}

/** A record read from the record directory. */
export interface StoredRecord {
  path: string;
  record: RunRecord;
  /** sha256 of the file's bytes. */
  sha256: string;
}

/**
 * Read one record file; null when it does not exist. A file that exists but is not a
 * record, or cannot be read (a directory, no permission, a name too long), is a usage error
 * naming it.
 */
export async function readRecordFile(path: string): Promise<StoredRecord | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw usageError(
      `cannot read the run record ${shownPath(path)}: ${osReason(err)}`,
      RECORD_FILE_HINT,
    );
  }
  const record = parseRecord(new TextDecoder().decode(bytes), path);
  return { path, record, sha256: sha256Hex(bytes) };
}

/**
 * Read the record a user named (`--from FILE`): a missing or unreadable file, or one that
 * is not a runprov record, is a usage error (exit 2) saying so.
 */
export async function readRecordOrFail(path: string): Promise<RunRecord> {
  const stored = await readRecordFile(path);
  if (stored === null) {
    throw usageError(
      `cannot read the run record ${shownPath(path)}: no such file`,
      RECORD_FILE_HINT,
    );
  }
  return stored.record;
}
