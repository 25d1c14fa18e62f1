/**
 * Looking at what runprov left on disk, without runprov's own code: the record directory,
 * records that are not complete documents, atomic-write temp files, ref locks, and stack
 * traces in stderr.
 */
import { join } from "node:path";
import type { Sandbox } from "./sandbox.ts";
import type { Failures } from "./figures.ts";

/** The record directory of a sandbox's repository. */
export function runsDir(sb: Sandbox): string {
  return join(sb.dir, ".runprov", "runs");
}

/** Lines of a stack trace in stderr (`    at f (file:...)`). */
export function stackLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^\s+at /.test(l));
}

/** Files named `.<id>.json.tmp-*` (atomic-write temps) in a directory. */
export async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (/\.tmp-/.test(e.name)) out.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/**
 * What is wrong with a record file's text as DESIGN.md describes a complete record: one JSON
 * object ending in "}\n", schema runprov.run/1, the run id of its file name, a git sha of 40
 * hex digits. Null when nothing is.
 */
export function recordProblem(name: string, text: string): string | null {
  let rec: { schema?: unknown; run_id?: unknown; git?: { sha?: unknown } };
  try {
    rec = JSON.parse(text);
  } catch (err) {
    return `${name}: not JSON: ${(err as Error).message}`;
  }
  if (!text.endsWith("}\n")) return `${name}: does not end with }\\n`;
  if (rec === null || typeof rec !== "object") return `${name}: not an object`;
  if (rec.schema !== "runprov.run/1") return `${name}: schema ${JSON.stringify(rec.schema)}`;
  if (`${rec.run_id}.json` !== name) return `${name}: run_id ${JSON.stringify(rec.run_id)}`;
  const sha = rec.git?.sha;
  if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) {
    return `${name}: git.sha ${JSON.stringify(sha)}`;
  }
  return null;
}

/** Every `*.json` record in `dir` that is not a complete record (see {@link recordProblem}). */
export async function badRecords(dir: string): Promise<Failures> {
  const bad: Failures = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".json") || e.name.startsWith(".")) continue;
      const problem = recordProblem(e.name, await Deno.readTextFile(join(dir, e.name)));
      if (problem) bad.push(problem);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return bad;
}

/** Files named `*.lock` under `dir` (recursively), relative to it. */
export async function lockFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const rel = prefix + e.name;
      if (e.isDirectory) out.push(...await lockFiles(join(dir, e.name), rel + "/"));
      else if (e.name.endsWith(".lock")) out.push(rel);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}
