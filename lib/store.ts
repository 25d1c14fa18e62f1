/** Where records live and how they are written: atomically, never half a file. */
import { dirname, join } from "./paths.ts";

/** The record directory of a repository (or of the working directory without one). */
export function recordDir(base: string, dir = ".runprov/runs"): string {
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
  const dir = join(base, ".runprov");
  await Deno.mkdir(dir, { recursive: true });
  const ignore = join(dir, ".gitignore");
  try {
    await Deno.lstat(ignore);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    await writeFileAtomic(ignore, "*\n");
  }
}

/**
 * Write `text` to `path` atomically: a temp file in the same directory, fsync, rename.
 * Readers see the old file or the new one, never a mix; a crash leaves at worst a
 * `.<name>.tmp-*` file, which readers ignore.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  const tmp = join(dir, `.${base}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
