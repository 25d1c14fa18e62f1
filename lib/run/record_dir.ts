/**
 * The record directory of a repository: where a new run's record goes (`dir`, by default
 * `.runprov/runs/`), created with the `.gitignore` that keeps records out of git, and never
 * through a symbolic link in a repository git does not trust.
 */
import { recordWriteError } from "./record.ts";
import { ensureIgnoresItself, ensureRunprovDir, recordDir, recordPath } from "./store.ts";
import { RUNPROV_DIR } from "./layout.ts";
import { usageError } from "../errors.ts";
import { dirname, isAbsolute, join, relative } from "../util/paths.ts";

/**
 * The default path of run `runId`'s record under the repository (or directory) `base`, the
 * record directory created (with `.runprov/.gitignore`, or its own `.gitignore` elsewhere
 * in the tree, so records never dirty it). `untrusted`: a repository git does not trust,
 * whose record directory must hold no symbolic link.
 */
export async function defaultRecordPath(
  base: string,
  configured: string,
  runId: string,
  untrusted = false,
): Promise<string> {
  const dir = recordDir(base, configured);
  if (untrusted) await refuseLinksInside(base, dir);
  try {
    const rel = relative(base, dir);
    if (rel === RUNPROV_DIR || rel.startsWith(`${RUNPROV_DIR}/`)) await ensureRunprovDir(base);
    await Deno.mkdir(dir, { recursive: true });
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && !rel.startsWith(RUNPROV_DIR)) {
      // A record directory elsewhere in the tree ignores itself, so records never dirty it.
      await ensureIgnoresItself(dir);
    }
  } catch (err) {
    throw recordWriteError(dir, err);
  }
  return recordPath(dir, runId);
}

/**
 * In a repository git does not trust, the record directory's parts inside it must be real
 * directories: a symbolic link there (`.runprov -> /elsewhere`) would let the repository's
 * owner choose where runprov writes. Throws a usage error naming the link.
 */
async function refuseLinksInside(base: string, dir: string): Promise<void> {
  const rel = relative(base, dir);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return;
  let at = base;
  for (const part of rel.split("/")) {
    at = join(at, part);
    const st = await Deno.lstat(at).catch(() => null);
    if (st === null) return;
    if (st.isSymlink) {
      throw usageError(
        `refusing to write the record through the symbolic link ${at}: git does not trust ` +
          "this repository (dubious ownership), so it may not choose where runprov writes",
        "write the record elsewhere with --out FILE, or trust the repository " +
          "(git config --global --add safe.directory PATH) if it is yours to trust",
      );
    }
  }
}

/** Create the directory an `--out FILE` goes into (`--out "$HOME/runs/$SLURM_JOB_ID.json"`). */
export async function ensureParent(path: string): Promise<void> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw recordWriteError(path, err);
  }
}
