/**
 * Shared runs' ref names, the pure part: `refs/runprov/runs/<id>`, the refspecs `push` and
 * `fetch` give git, and `git ls-remote` output read back into run ids. No git, no files.
 */

/** Where shared runs live, here and on the remote (never fetched by a plain clone). */
export const RUNS_PREFIX = "refs/runprov/runs/";

/** The ls-remote pattern that lists every shared run. */
export const RUNS_PATTERN = `${RUNS_PREFIX}*`;

/**
 * The ref of run `id`'s run commit.
 *
 * @example
 * runRef("k3x9q0ab"); // "refs/runprov/runs/k3x9q0ab"
 */
export function runRef(id: string): string {
  return `${RUNS_PREFIX}${id}`;
}

/**
 * The run id a ref names, or null when the ref is not a shared run's (another namespace, a
 * nested name, or a name that is not a valid run id and so could never be a file name).
 *
 * @example
 * runIdOfRef("refs/runprov/runs/exp-1"); // "exp-1"
 * runIdOfRef("refs/runprov/runs/a/b"); // null
 */
export function runIdOfRef(ref: string): string | null {
  if (!ref.startsWith(RUNS_PREFIX)) return null;
  const id = ref.slice(RUNS_PREFIX.length);
  return isRunId(id) ? id : null;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Whether `id` is a valid run id: exactly `runIdProblem(id) === null` (lib/run/run_id.ts), in one regular
 * expression and two checks (a remote may list 10,000 of them).
 *
 * @example
 * isRunId("exp-1"); // true
 * isRunId("a..b"); // false
 */
export function isRunId(id: string): boolean {
  return RUN_ID_RE.test(id) && !id.includes("..") && !id.endsWith(".") && !/\.lock$/i.test(id);
}

/**
 * The refspec that pushes run commit `commit` to run `id`'s ref on the remote. No `+`:
 * git refuses to replace a run commit with another (different content is a conflict).
 *
 * @example
 * pushRefspec("k3x9q0ab", "1f0e..."); // "1f0e...:refs/runprov/runs/k3x9q0ab"
 */
export function pushRefspec(id: string, commit: string): string {
  return `${commit}:${runRef(id)}`;
}

/**
 * The refspecs that fetch runs into the local namespace under the same names: every run
 * (one glob) when `ids` is empty, else one per id. No `+`: a local run ref holding another
 * commit is never replaced.
 *
 * @example
 * fetchRefspecs([]); // ["refs/runprov/runs/*:refs/runprov/runs/*"]
 * fetchRefspecs(["a"]); // ["refs/runprov/runs/a:refs/runprov/runs/a"]
 */
export function fetchRefspecs(ids: readonly string[]): string[] {
  if (ids.length === 0) return [`${RUNS_PATTERN}:${RUNS_PATTERN}`];
  return ids.map((id) => `${runRef(id)}:${runRef(id)}`);
}

/** One shared run as the remote's refs show it: its id and its run commit. */
export interface RemoteRun {
  id: string;
  commit: string;
}

/**
 * Parse `git ls-remote <remote> 'refs/runprov/runs/*'` output (`<oid>\t<ref>` lines) into
 * runs sorted by id. Lines for other refs, peeled `^{}` entries and names that are not
 * valid run ids are left out; `ignored` counts the last kind (refs runprov did not write).
 *
 * @example
 * parseLsRemote("1f0e...\trefs/runprov/runs/a\n").runs; // [{ id: "a", commit: "1f0e..." }]
 */
export function parseLsRemote(out: string): { runs: RemoteRun[]; ignored: number } {
  const runs: RemoteRun[] = [];
  let ignored = 0;
  let sorted = true;
  for (let start = 0; start < out.length;) {
    let end = out.indexOf("\n", start);
    if (end < 0) end = out.length;
    const tab = out.indexOf("\t", start);
    const line = start;
    start = end + 1;
    if (tab < 0 || tab > end || (tab - line !== 40 && tab - line !== 64)) continue;
    const commit = out.slice(line, tab);
    const ref = out.slice(tab + 1, end);
    if (!OID_RE.test(commit) || !ref.startsWith(RUNS_PREFIX) || ref.endsWith("^{}")) continue;
    const id = runIdOfRef(ref);
    if (id === null) {
      ignored++;
      continue;
    }
    if (sorted && runs.length > 0 && runs[runs.length - 1].id > id) sorted = false;
    runs.push({ id, commit });
  }
  // git lists refs sorted by name already; sort only when it did not.
  if (!sorted) runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { runs, ignored };
}

const OID_RE = /^[0-9a-f]+$/;

/**
 * The run refs among `refs` (full ref name -> object id, as {@link Git.refsUnder} gives
 * them) as a map from run id to run commit (refs that are not valid run ids are left out).
 */
export function parseLocalRuns(refs: ReadonlyMap<string, string>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [ref, oid] of refs) {
    const id = runIdOfRef(ref);
    if (id !== null) map.set(id, oid);
  }
  return map;
}
