/**
 * docs/record.md against real records: the CLI records runs the way users do (a dirty
 * repository with a submodule, a remote and an upstream, under SLURM, torchrun and
 * Kubernetes variables; `stamp`, `exec`, an `exec` whose command cannot start, `exec --from`,
 * and `stamp` outside a repository), and every key in those records must be documented.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { ROOT, Sandbox, withSandbox } from "./helpers.ts";
import { codeSpans, tableRows } from "./markdown.ts";

const DOC = await Deno.readTextFile(join(ROOT, "docs", "record.md"));

/** Every key path of a JSON value: `git.sha`, `git.changed[].kind`, `host.scheduler.slurm`. */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keyPaths(v, `${prefix}[]`));
  if (typeof value !== "object" || value === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path, ...keyPaths(v, path));
  }
  return out;
}

/** What the page documents: field names in the first column of its tables, and headings'. */
function documentedFields(doc: string): Set<string> {
  const out = new Set<string>();
  for (const row of tableRows(doc)) for (const s of codeSpans(row[0])) out.add(s);
  for (const m of doc.matchAll(/^#{2,4} (.*)$/gm)) for (const s of codeSpans(m[1])) out.add(s);
  return out;
}

const SCHEDULER_ENV = {
  SLURM_JOB_ID: "4242",
  SLURM_JOB_NAME: "train",
  SLURM_STEP_ID: "0",
  SLURM_ARRAY_JOB_ID: "4240",
  SLURM_ARRAY_TASK_ID: "2",
  SLURM_PROCID: "0",
  SLURM_LOCALID: "0",
  SLURM_NODEID: "0",
  SLURM_NTASKS: "8",
  SLURM_CLUSTER_NAME: "c1",
  TORCHELASTIC_RUN_ID: "r1",
  RANK: "0",
  LOCAL_RANK: "0",
  WORLD_SIZE: "8",
  GROUP_RANK: "0",
  TORCHELASTIC_RESTART_COUNT: "0",
  KUBERNETES_SERVICE_HOST: "10.0.0.1",
  POD_NAME: "train-0",
  POD_NAMESPACE: "ml",
};

/** A repository as users have them: a submodule, a pushed upstream one commit behind, edits. */
async function realisticRepo(sb: Sandbox): Promise<void> {
  const sub = join(sb.base, "sub");
  await Deno.mkdir(sub);
  await sb.gitIn(sub, "init", "-q", "-b", "main");
  await sb.gitIn(sub, "commit", "-q", "--allow-empty", "-m", "lib");
  await sb.git(
    "-c",
    "protocol.file.allow=always",
    "submodule",
    "add",
    "-q",
    sub,
    "third_party/lib",
  );
  await sb.write("train.py", "print('train')\n");
  await sb.git("add", "-A");
  await sb.git("commit", "-q", "-m", "train");
  const bare = join(sb.base, "origin.git");
  await sb.gitIn(sb.base, "init", "-q", "--bare", bare);
  await sb.git("remote", "add", "origin", bare);
  await sb.git("push", "-q", "-u", "origin", "main");
  await sb.write("model.py", "layers = 2\n");
  await sb.git("add", "model.py");
  await sb.git("commit", "-q", "-m", "model");
  await sb.git("stash", "-q", "--include-untracked", "--message", "later").catch(() => "");
  await sb.write("train.py", "print('train, edited')\n");
  await sb.git("mv", "model.py", "net.py");
  await sb.write("notes.txt", "untracked\n");
}

Deno.test("docs/record.md documents every key of real records (stamp, exec, exec --from, no repo)", async () => {
  await withSandbox(async (sb) => {
    await realisticRepo(sb);
    const records: Record<string, unknown>[] = [];
    records.push(
      await sb.json(["stamp", "--run-id", "s1", "--name", "baseline"], {
        env: SCHEDULER_ENV,
      }),
    );
    const exec = await sb.runprov(["exec", "--run-id", "e1", "--", "true"]);
    assertEquals(exec.code, 0, exec.stderr);
    const missing = await sb.runprov(["exec", "--run-id", "e2", "--", "no-such-program-xyz"]);
    assertEquals(missing.code, 127, missing.stderr);
    const runs = join(sb.dir, ".runprov", "runs");
    const from = await sb.runprov([
      "exec",
      "--run-id",
      "e3",
      "--from",
      join(runs, "s1.json"),
      "--",
      "true",
    ]);
    assertEquals(from.code, 0, from.stderr);
    for (const id of ["e1", "e2", "e3"]) {
      records.push(JSON.parse(await Deno.readTextFile(join(runs, `${id}.json`))));
    }
    const outside = join(sb.base, "plain");
    await Deno.mkdir(outside);
    records.push(await sb.json(["stamp", "--out", "-"], { cwd: outside }));

    const keys = new Set(records.flatMap((r) => keyPaths(r)));
    // The records really hold what the page must cover.
    for (
      const k of [
        "git.submodules[].recorded_sha",
        "git.changed[].orig_path",
        "git.patch.sha256",
        "host.scheduler.slurm.array_task_id",
        "host.scheduler.torchelastic.restart_count",
        "host.scheduler.kubernetes.namespace",
        "command.supervisor_start",
        "command.error",
        "from.run_id",
      ]
    ) assert(keys.has(k), `no ${k} in the records made: the scenario is broken`);
    assertEquals(records[0].git && (records[0].git as { ahead: number }).ahead, 1);

    const documented = documentedFields(DOC);
    const undocumented = [...keys].filter((k) => !documented.has(k)).sort();
    assertEquals(undocumented, [], "record keys docs/record.md does not document");
  });
});

Deno.test("docs/record.md: every field it documents has a type and a meaning", () => {
  const problems: string[] = [];
  for (const row of tableRows(DOC)) {
    if (row[0] === "field") continue;
    if (row.length !== 3 || row[1] === "" || row[2] === "") problems.push(row.join(" | "));
  }
  assertEquals(problems, []);
});
