/**
 * The cluster guide, run: every code block of docs/clusters.md that follows a
 * `<!-- test: NAME -->` marker is read from the file and run here with fake `sbatch`,
 * `srun`, `torchrun`, `scontrol`, `apptainer` and `python` on PATH, so the guide and its
 * tests cannot drift. `/shared/proj` in a block stands for the test's repository.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import {
  NOT_ROOT,
  ROOT,
  run,
  runprovArgv,
  type RunResult,
  Sandbox,
  skipUnless,
} from "./helpers.ts";
import { type FakeGit, fakeGit } from "../testkit/fake_git.ts";

const GUIDE = join(ROOT, "docs", "clusters.md");

/** Every tested block of the guide, by marker name. */
const NAMES = [
  "node-doctor",
  "slurm-batch",
  "slurm-exec",
  "slurm-array",
  "torchrun",
  "slurm-from",
  "rank-from",
  "container-host",
  "container-dockerfile",
  "container-run",
  "container-dotenv",
  "apptainer",
  "safe-directory-doctor",
  "safe-directory-fix",
];

/** The guide's `<!-- test: NAME -->` blocks: name -> code. */
function guideBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const re = /<!-- test: ([a-z0-9-]+) -->\s*\n(`{3,})[a-z]*\n([\s\S]*?)\n\2\n/g;
  for (const m of text.matchAll(re)) {
    if (blocks.has(m[1])) throw new Error(`docs/clusters.md: two blocks named ${m[1]}`);
    blocks.set(m[1], m[3] + "\n");
  }
  return blocks;
}

const BLOCKS = guideBlocks(await Deno.readTextFile(GUIDE));

function block(name: string, repo: string): string {
  const code = BLOCKS.get(name);
  if (code === undefined) throw new Error(`docs/clusters.md has no block '${name}'`);
  return code.replaceAll("/shared/proj", repo);
}

function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

// --- the fake cluster ------------------------------------------------------------------------

/** A bash script written with `@{` for `${` (so the TypeScript template stays literal). */
function bash(strings: TemplateStringsArray): string {
  return strings.raw.join("").replaceAll("@{", "${");
}

/** `sbatch [--array=A-B] SCRIPT`: runs the job at once, with SLURM's variables for it. */
const SBATCH = bash`#!/bin/bash
script=$1
nodes=1; per_node=; ntasks=; array=; name=job
while IFS= read -r line; do
  case $line in "#SBATCH "*) ;; *) continue;; esac
  for opt in @{line#"#SBATCH "}; do
    case $opt in
      --nodes=*) nodes=@{opt#*=};;
      --ntasks-per-node=*) per_node=@{opt#*=};;
      --ntasks=*) ntasks=@{opt#*=};;
      --array=*) array=@{opt#*=};;
      --job-name=*) name=@{opt#*=};;
    esac
  done
done < "$script"
per_node=@{FAKE_TASKS_PER_NODE:-$per_node}
if [ -z "$ntasks" ]; then ntasks=$((nodes * @{per_node:-1})); fi
if [ -z "$per_node" ]; then per_node=$(( (ntasks + nodes - 1) / nodes )); fi
base=@{FAKE_JOB_ID:-4242}
echo "Submitted batch job $base"
runjob() { # job_id [array_task]
  (
    export SLURM_JOB_ID=$1 SLURM_JOB_NAME=$name SLURM_NNODES=$nodes SLURM_NTASKS=$ntasks
    export SLURM_NTASKS_PER_NODE=$per_node SLURM_JOB_NODELIST="node[1-$nodes]"
    export SLURM_SUBMIT_DIR=$PWD SLURM_CLUSTER_NAME=fake
    if [ -n "$2" ]; then export SLURM_ARRAY_JOB_ID=$base SLURM_ARRAY_TASK_ID=$2; fi
    bash "$script" > "$FAKE_OUT/job-$1.out" 2> "$FAKE_OUT/job-$1.err"
    echo $? > "$FAKE_OUT/job-$1.rc"
  )
}
if [ -n "$array" ]; then
  for ((t = @{array%-*}; t <= @{array#*-}; t++)); do runjob $((base + 1 + t)) "$t"; done
else
  runjob "$base"
fi
`;

/** `srun [opts] CMD...`: runs CMD once per task, in parallel, with the task's ids. */
const SRUN = bash`#!/bin/bash
nodes=@{SLURM_NNODES:-1}; ntasks=; per_node=@{SLURM_NTASKS_PER_NODE:-}
while [ $# -gt 0 ]; do
  case $1 in
    --nodes=*) nodes=@{1#*=};; -N) shift; nodes=$1;;
    --ntasks=*) ntasks=@{1#*=}; per_node=;; -n) shift; ntasks=$1; per_node=;;
    --ntasks-per-node=*) per_node=@{1#*=};;
    -*) ;;
    *) break;;
  esac
  shift
done
if [ -z "$ntasks" ]; then ntasks=@{SLURM_NTASKS:-1}; fi
if [ -z "$per_node" ]; then per_node=$(( (ntasks + nodes - 1) / nodes )); fi
export SLURM_STEP_ID=@{FAKE_STEP_ID:-0} SLURM_NTASKS=$ntasks SLURM_JOB_ID=@{SLURM_JOB_ID:?not in a job}
pids=()
for ((i = 0; i < ntasks; i++)); do
  SLURM_PROCID=$i SLURM_LOCALID=$((i % per_node)) SLURM_NODEID=$((i / per_node)) \
    SLURMD_NODENAME=node$((i / per_node + 1)) "$@" &
  pids+=($!)
done
rc=0
for p in "@{pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
`;

/** `torchrun --nnodes=N --nproc-per-node=M [--opt=v]... SCRIPT ARGS...`: M local ranks. */
const TORCHRUN = bash`#!/bin/bash
nproc=1; nnodes=1; rid=none; node_rank=@{SLURM_NODEID:-0}
while [ $# -gt 0 ]; do
  case $1 in
    --nproc-per-node=*|--nproc_per_node=*) nproc=@{1#*=};;
    --nnodes=*) nnodes=@{1#*=};;
    --rdzv-id=*|--rdzv_id=*) rid=@{1#*=};;
    --node-rank=*|--node_rank=*) node_rank=@{1#*=};;
    --*=*) ;;
    *) break;;
  esac
  shift
done
script=$1; shift
pids=()
for ((i = 0; i < nproc; i++)); do
  RANK=$((node_rank * nproc + i)) LOCAL_RANK=$i GROUP_RANK=$node_rank LOCAL_WORLD_SIZE=$nproc \
    WORLD_SIZE=$((nnodes * nproc)) TORCHELASTIC_RUN_ID=$rid TORCHELASTIC_RESTART_COUNT=0 \
    python "$script" "$@" &
  pids+=($!)
done
rc=0
for p in "@{pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
`;

/** `scontrol show hostnames LIST`: node1..nodeN of the fake job. */
const SCONTROL = bash`#!/bin/bash
[ "$1 $2" = "show hostnames" ] || { echo "fake scontrol: only 'show hostnames'" >&2; exit 2; }
for ((i = 1; i <= @{SLURM_NNODES:-1}; i++)); do echo "node$i"; done
`;

/**
 * `apptainer exec [--cleanenv] [--env K=V]... IMAGE CMD...`: CMD "in the image", whose PATH
 * has no git. With --cleanenv only SLURM's, the test's and Deno's variables pass, as real
 * Apptainer passes only its own.
 */
const APPTAINER = bash`#!/bin/bash
[ "$1" = exec ] || { echo "fake apptainer: only exec" >&2; exit 2; }
shift
clean=0; envs=()
while [ $# -gt 0 ]; do
  case $1 in
    --cleanenv|-e|--containall|-C) clean=1;;
    --env=*) envs+=("@{1#*=}");; --env) shift; envs+=("$1");;
    -*) ;;
    *) break;;
  esac
  shift
done
shift # the image
if [ $clean = 1 ]; then
  keep=()
  while IFS= read -r -d '' kv; do
    case $kv in SLURM_*|FAKE_*|DENO_*|RUNPROV_BIN=*) keep+=("$kv");; esac
  done < <(env -0)
  exec env -i HOME="$HOME" PATH="$FAKE_IMAGE_PATH" "@{keep[@]}" "@{envs[@]}" "$@"
fi
exec env PATH="$FAKE_IMAGE_PATH" "@{envs[@]}" "$@"
`;

/**
 * `python SCRIPT ARGS...`: a training process that writes down what it was given: its
 * environment in `$FAKE_OUT/py-<job>-<rank>.env`, its arguments in `.args`, and with
 * FAKE_PY_RUNPROV=1 what `runprov env` prints in this rank (`.runprov`).
 */
const PYTHON = bash`#!/bin/sh
f="$FAKE_OUT/py-@{SLURM_JOB_ID:-nojob}-@{RANK:-@{SLURM_PROCID:-0}}"
env > "$f.env"
printf '%s\n' "$@" > "$f.args"
if [ -n "$FAKE_PY_RUNPROV" ]; then runprov env > "$f.runprov" 2> "$f.runprov-err"; fi
exit @{FAKE_PY_EXIT:-0}
`;

/** A repository with a committed train.py and rank.sh, and a directory of fakes on PATH. */
class Cluster {
  readonly bin: string;
  readonly imageBin: string;
  readonly out: string;
  readonly jobs: string;
  /** The git on the cluster's PATH, logging each call. */
  git!: FakeGit;

  private constructor(readonly sb: Sandbox) {
    this.bin = join(sb.base, "bin");
    this.imageBin = join(sb.base, "imagebin");
    this.out = join(sb.base, "out");
    this.jobs = join(sb.base, "jobs");
  }

  static async create(): Promise<Cluster> {
    const sb = await Sandbox.create();
    const c = new Cluster(sb);
    for (const d of [c.bin, c.imageBin, c.out, c.jobs]) await Deno.mkdir(d);
    const argv = runprovArgv();
    const fakes: Record<string, string> = {
      runprov: `#!/bin/sh\nexec ${argv.map(shq).join(" ")} "$@"\n`,
      sbatch: SBATCH,
      srun: SRUN,
      torchrun: TORCHRUN,
      scontrol: SCONTROL,
      apptainer: APPTAINER,
      python: PYTHON,
    };
    for (const [name, text] of Object.entries(fakes)) {
      await Deno.writeTextFile(join(c.bin, name), text, { mode: 0o755 });
    }
    c.git = await fakeGit(sb.base);
    // What an image without git has: the shell tools the scripts use, and no git.
    for (const tool of ["sh", "bash", "env", "cat", "head", "printf"]) {
      const path = (await run("sh", ["-c", `command -v ${tool}`])).stdout.trim();
      if (path.startsWith("/")) await Deno.symlink(path, join(c.imageBin, tool));
    }
    sb.env.PATH = `${c.bin}:${c.git.path(sb.env.PATH)}`;
    sb.env.FAKE_OUT = c.out;
    sb.env.FAKE_IMAGE_PATH = `${c.bin}:${c.imageBin}`;
    await sb.write("train.py", "print('training')\n");
    await sb.write("rank.sh", block("rank-from", sb.dir));
    await Deno.chmod(join(sb.dir, "rank.sh"), 0o755);
    await sb.git("add", "train.py", "rank.sh");
    await sb.git("commit", "-q", "-m", "training code");
    await c.gitCalls(); // count only what runprov runs from here on
    return c;
  }

  get repo(): string {
    return this.sb.dir;
  }

  async head(): Promise<string> {
    return (await this.sb.git("rev-parse", "HEAD")).trim();
  }

  /** Write the guide's block `name` as a job script and submit it with the fake sbatch. */
  async submit(name: string, env: Record<string, string> = {}): Promise<RunResult> {
    const script = join(this.jobs, `${name}.sbatch`);
    await Deno.writeTextFile(script, block(name, this.repo));
    return await run("sbatch", [script], { cwd: this.repo, env: { ...this.sb.env, ...env } });
  }

  /** Run the guide's block `name` with bash in `cwd` (default: the repository). */
  async sh(
    name: string,
    opts: { cwd?: string; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    const script = join(this.jobs, `${name}.sh`);
    await Deno.writeTextFile(script, block(name, this.repo));
    return await run("bash", [script], {
      cwd: opts.cwd ?? this.repo,
      env: { ...this.sb.env, ...opts.env },
    });
  }

  /** The exit code the fake sbatch recorded for a job, with its stderr for messages. */
  async job(id: number | string): Promise<{ rc: number; stderr: string; stdout: string }> {
    const rc = Number((await Deno.readTextFile(join(this.out, `job-${id}.rc`))).trim());
    const stderr = await Deno.readTextFile(join(this.out, `job-${id}.err`));
    const stdout = await Deno.readTextFile(join(this.out, `job-${id}.out`));
    return { rc, stderr, stdout };
  }

  /** The environments the fake python saw, one per rank, keyed by rank. */
  async ranks(job: number | string): Promise<Map<number, Record<string, string>>> {
    const found = new Map<number, Record<string, string>>();
    for await (const e of Deno.readDir(this.out)) {
      const m = e.name.match(/^py-(.+)-(\d+)\.env$/);
      if (!m || m[1] !== String(job)) continue;
      const env: Record<string, string> = {};
      for (const line of (await Deno.readTextFile(join(this.out, e.name))).split("\n")) {
        const i = line.indexOf("=");
        if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
      }
      found.set(Number(m[2]), env);
    }
    return found;
  }

  /** git processes started so far (argv lines), then forget them. */
  async gitCalls(): Promise<string[]> {
    const calls = await this.git.calls();
    await this.git.reset();
    return calls;
  }

  cleanup(): Promise<void> {
    return this.sb.cleanup();
  }
}

async function withCluster(fn: (c: Cluster) => Promise<void>): Promise<void> {
  const c = await Cluster.create();
  try {
    await fn(c);
  } finally {
    await c.cleanup();
  }
}

function statusCalls(calls: string[]): number {
  return calls.filter((c) => /(^| )status( |$)/.test(c)).length;
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

// --- the guide itself ------------------------------------------------------------------------

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-");
}

function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^```/.test(line)) fenced = !fenced;
    const m = !fenced && line.match(/^#+ (.*)$/);
    if (m) found.add(slug(m[1]));
  }
  return found;
}

Deno.test("clusters guide: every tested block is there once, and README links the guide", async () => {
  assertEquals([...BLOCKS.keys()].sort(), [...NAMES].sort());
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert(readme.includes("](docs/clusters.md)"), "README links docs/clusters.md");
  // The README's short version is the guide's batch script, line for line.
  const section = readme.slice(readme.indexOf("## On clusters"));
  const short = section.match(/```sh\n([\s\S]*?)\n```/)![1];
  const batch = BLOCKS.get("slurm-batch")!.split("\n");
  for (const line of short.split("\n")) {
    assert(batch.includes(line.replace(/ +#.*$/, "")), `not in the guide: ${line}`);
  }
});

Deno.test("clusters guide: links between README and the guide point at existing headings", async () => {
  const guide = await Deno.readTextFile(GUIDE);
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const targets = { guide: anchors(guide), readme: anchors(readme) };
  const links = [
    ...[...guide.matchAll(/\]\(#([^)]+)\)/g)].map((m) => ["guide", m[1]]),
    ...[...guide.matchAll(/\]\(\.\.\/README\.md#([^)]+)\)/g)].map((m) => ["readme", m[1]]),
    ...[...readme.matchAll(/\]\(docs\/clusters\.md#([^)]+)\)/g)].map((m) => ["guide", m[1]]),
    ...[...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => ["readme", m[1]]),
  ] as ["guide" | "readme", string][];
  assert(links.length > 10);
  for (const [doc, anchor] of links) {
    assert(
      targets[doc].has(anchor),
      `${doc === "guide" ? "docs/clusters.md" : "README.md"}#${anchor}`,
    );
  }
});

// --- SLURM --------------------------------------------------------------------------------

Deno.test("clusters: the batch script captures once and every srun rank inherits the run", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    const r = await c.submit("slurm-batch");
    assertEquals(r.code, 0, r.stderr);
    const job = await c.job(4242);
    assertEquals(job.rc, 0, job.stderr);
    const ranks = await c.ranks(4242);
    assertEquals(ranks.size, 8, "2 nodes x 4 tasks");
    for (const [rank, env] of ranks) {
      assertEquals(env.SLURM_PROCID, String(rank));
      assertEquals(env.RUNPROV_RUN_ID, "4242");
      assertEquals(env.RUNPROV_GIT_SHA, sha);
      assertEquals(env.RUNPROV_GIT_DIRTY, "false");
      assertEquals(env.WANDB_GIT_COMMIT, sha);
      assertEquals(env.RUNPROV_FILE, join(c.repo, ".runprov/runs/4242.json"));
    }
    assertEquals(ranks.get(7)!.SLURM_NODEID, "1");
    const record = await readJson(join(c.repo, ".runprov/runs/4242.json"));
    assertEquals(record.policy.mode, "strict");
    assertEquals(record.host.scheduler.slurm.job_id, "4242");
    assertEquals(statusCalls(await c.gitCalls()), 1, "one git status for the whole job");
  });
});

Deno.test("clusters: a dirty tree ends the strict batch job with exit 3 before srun starts", async () => {
  await withCluster(async (c) => {
    await c.sb.write("train.py", "print('edited while the job was queued')\n");
    await c.submit("slurm-batch");
    const job = await c.job(4242);
    assertEquals(job.rc, 3);
    assertMatch(job.stderr, /strict policy: refusing a dirty working tree/);
    assertMatch(job.stderr, /modified\s+train\.py/);
    assertEquals((await c.ranks(4242)).size, 0, "no rank started");
  });
});

Deno.test("clusters: eval $(runprov env --strict) hides the refusal and the job trains anyway", async () => {
  await withCluster(async (c) => {
    await c.sb.write("train.py", "print('edited')\n");
    // The form the guide warns against, for contrast with the test above.
    await Deno.writeTextFile(
      join(c.jobs, "bad.sbatch"),
      '#!/bin/bash\neval $(runprov env --strict --run-id "$SLURM_JOB_ID")\nsrun python train.py\n',
    );
    await run("sbatch", [join(c.jobs, "bad.sbatch")], { cwd: c.repo, env: c.sb.env });
    assertEquals((await c.job(4242)).rc, 0);
    const ranks = await c.ranks(4242);
    assertEquals(ranks.size, 1);
    assertEquals(ranks.get(0)!.RUNPROV_RUN_ID, undefined, "trained with no provenance");
  });
});

Deno.test("clusters: runprov exec -- srun records the outcome, tags the commit, ranks reuse the run", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    await c.submit("slurm-exec", { FAKE_PY_RUNPROV: "1" });
    const job = await c.job(4242);
    assertEquals(job.rc, 0, job.stderr);
    const ranks = await c.ranks(4242);
    assertEquals(ranks.size, 8);
    for (const [rank, env] of ranks) {
      assertEquals(env.RUNPROV_RUN_ID, "4242");
      assertEquals(env.WANDB_GIT_COMMIT, sha);
      // The rank's own `runprov env` gives this run back.
      const own = await Deno.readTextFile(join(c.out, `py-4242-${rank}.runprov`));
      assertMatch(own, /RUNPROV_RUN_ID=4242;/);
      assertMatch(own, new RegExp(`RUNPROV_GIT_SHA=${sha};`));
    }
    const record = await readJson(join(c.repo, ".runprov/runs/4242.json"));
    assertEquals(record.status, "succeeded");
    assertEquals(record.command.argv, ["srun", "python", "train.py"]);
    assertEquals(record.command.exit_code, 0);
    assertEquals(record.policy.mode, "strict");
    const tagged = (await c.sb.git("rev-parse", "run/4242^{commit}")).trim();
    assertEquals(tagged, sha);
    const calls = await c.gitCalls();
    assertEquals(statusCalls(calls), 1, "8 ranks calling runprov env ran no git status");
  });
});

Deno.test("clusters: a failing srun step fails the job with its code and the record says failed", async () => {
  await withCluster(async (c) => {
    await c.submit("slurm-exec", { FAKE_PY_EXIT: "7" });
    assertEquals((await c.job(4242)).rc, 7);
    const record = await readJson(join(c.repo, ".runprov/runs/4242.json"));
    assertEquals(record.status, "failed");
    assertEquals(record.command.exit_code, 7);
    assertEquals((await c.sb.git("tag", "-l", "run/*")).trim(), "", "no tag for a failed run");
  });
});

Deno.test("clusters: each array task is its own run named ARRAYJOB_TASK", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    await c.submit("slurm-array");
    for (let t = 0; t < 4; t++) {
      const id = 4243 + t;
      const job = await c.job(id);
      assertEquals(job.rc, 0, job.stderr);
      const ranks = await c.ranks(id);
      assertEquals(ranks.size, 1);
      assertEquals(ranks.get(0)!.RUNPROV_RUN_ID, `4242_${t}`);
      assertEquals(ranks.get(0)!.RUNPROV_GIT_SHA, sha);
      const args = await Deno.readTextFile(join(c.out, `py-${id}-0.args`));
      assertEquals(args, `train.py\n--lr\n${["1e-4", "3e-4", "1e-3", "3e-3"][t]}\n`);
      const record = await readJson(join(c.repo, `.runprov/runs/4242_${t}.json`));
      assertEquals(record.name, `lr=${["1e-4", "3e-4", "1e-3", "3e-3"][t]}`);
      assertEquals(record.host.scheduler.slurm.array_task_id, String(t));
    }
    const runs = await c.sb.json(["runs", "--json"]);
    assertEquals(runs.map((r: { id: string }) => r.id).sort(), [
      "4242_0",
      "4242_1",
      "4242_2",
      "4242_3",
    ]);
  });
});

// --- torchrun and the thundering herd -------------------------------------------------------

Deno.test("clusters: srun + torchrun on 2 nodes gives 8 ranks one run with torchrun's ids", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    await c.submit("torchrun");
    const job = await c.job(4242);
    assertEquals(job.rc, 0, job.stderr);
    const ranks = await c.ranks(4242);
    assertEquals([...ranks.keys()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
    for (const [rank, env] of ranks) {
      assertEquals(env.RANK, String(rank));
      assertEquals(env.WORLD_SIZE, "8");
      assertEquals(env.LOCAL_RANK, String(rank % 4));
      assertEquals(env.TORCHELASTIC_RUN_ID, "4242");
      assertEquals(env.RUNPROV_RUN_ID, "4242");
      assertEquals(env.RUNPROV_GIT_SHA, sha);
      assertEquals(env.WANDB_GIT_COMMIT, sha);
    }
    const args = await Deno.readTextFile(join(c.out, "py-4242-0.args"));
    assertEquals(args, "train.py\n");
    assertEquals(statusCalls(await c.gitCalls()), 1);
  });
});

Deno.test("clusters: one capture's worth of git per job, for 2 ranks as for 8", async () => {
  await withCluster(async (c) => {
    await c.sb.runprov(["stamp", "--out", "-"]);
    const one = await c.gitCalls();
    assertEquals(statusCalls(one), 1);
    for (const name of ["slurm-batch", "slurm-exec", "slurm-from", "torchrun"]) {
      const counts: number[] = [];
      for (const perNode of ["1", "4"]) {
        // Under exec, ranks also call `runprov env` themselves: that reuses the run.
        const py: Record<string, string> = name === "slurm-exec" ? { FAKE_PY_RUNPROV: "1" } : {};
        await c.submit(name, { FAKE_TASKS_PER_NODE: perNode, ...py });
        assertEquals((await c.job(4242)).rc, 0, `${name}: ${(await c.job(4242)).stderr}`);
        const calls = await c.gitCalls();
        assertEquals(statusCalls(calls), 1, `${name} with ${perNode} task(s) per node`);
        counts.push(calls.length);
        // The next submission reuses job id 4242, whose record would refuse a second run.
        await Deno.remove(join(c.repo, ".runprov"), { recursive: true });
      }
      assertEquals(counts[0], counts[1], `${name}: git calls do not grow with the ranks`);
      // exec --tag adds the tagging (a fixed handful of calls, also not per rank).
      if (name !== "slurm-exec") assertEquals(counts[0], one.length, `${name}: one capture`);
    }
    // The herd the guide warns about: after the batch script's eval, each of 8 ranks calling
    // plain `runprov env` captures again.
    await c.submit("slurm-batch", { FAKE_PY_RUNPROV: "1" });
    assertEquals(statusCalls(await c.gitCalls()), 1 + 8);
  });
});

Deno.test("clusters: ranks with a clean environment load the launcher's record with --from", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    await c.submit("slurm-from");
    const job = await c.job(4242);
    assertEquals(job.rc, 0, job.stderr);
    const ranks = await c.ranks(4242);
    assertEquals(ranks.size, 8);
    for (const env of ranks.values()) {
      assertEquals(env.RUNPROV_RUN_ID, "4242");
      assertEquals(env.RUNPROV_GIT_SHA, sha);
      assertEquals(env.WANDB_GIT_COMMIT, sha);
      assertEquals(env.RUNPROV_FILE, join(c.repo, ".runprov/runs/4242.json"));
    }
    assertEquals(statusCalls(await c.gitCalls()), 1);
  });
});

// --- containers -------------------------------------------------------------------------------

/** Build the guide's Dockerfile into `root`: its COPY of the record and its ENV lines. */
async function buildImage(c: Cluster, root: string): Promise<Record<string, string>> {
  const dockerfile = block("container-dockerfile", c.repo);
  const env: Record<string, string> = {};
  let workdir = "/";
  for (const line of dockerfile.split("\n")) {
    const [op, ...args] = line.split(/\s+/);
    if (op === "ENV") {
      const [k, v] = args[0].split("=");
      env[k] = v.startsWith("/") ? root + v : v;
    } else if (op === "WORKDIR") {
      workdir = args[0];
      await Deno.mkdir(root + workdir, { recursive: true });
    } else if (op === "COPY" && !args[0].startsWith("dist/")) {
      const dest = args[1].endsWith("/") ? args[1] + args[0] : args[1];
      await Deno.mkdir(join(root + dest, ".."), { recursive: true });
      await Deno.copyFile(join(c.repo, args[0]), root + dest);
    }
  }
  env.PWD_IN_IMAGE = root + workdir;
  return env;
}

Deno.test("clusters: a container without .git or git reports the host's capture via RUNPROV_FROM", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    const host = await c.sh("container-host");
    assertEquals(host.code, 0, host.stderr);
    const root = join(c.sb.base, "image");
    const { PWD_IN_IMAGE: app, ...imageEnv } = await buildImage(c, root);
    assertEquals(imageEnv.RUNPROV_FROM, join(root, "provenance.json"));
    await c.gitCalls();
    const inImage = { ...imageEnv, PATH: c.sb.env.FAKE_IMAGE_PATH, SLURM_JOB_ID: "777" };
    const noGit = await run("sh", ["-c", "command -v git"], { env: inImage });
    assertEquals(noGit.code, 127, "the image has no git");
    const r = await c.sh("container-run", { cwd: app, env: inImage });
    assertEquals(r.code, 0, r.stderr);
    const env = (await c.ranks(777)).get(0)!;
    assertEquals(env.RUNPROV_GIT_SHA, sha);
    assertEquals(env.WANDB_GIT_COMMIT, sha);
    assertEquals(env.RUNPROV_FILE, join(root, "provenance.json"));
    assertEquals(await c.gitCalls(), [], "no git ran inside");
    // Without the record, the same image knows nothing, and strict refuses it (no git: 4).
    const bare = await run(join(c.bin, "runprov"), ["env", "--strict"], {
      cwd: app,
      env: { ...c.sb.env, PATH: c.sb.env.FAKE_IMAGE_PATH },
    });
    assertEquals(bare.code, 4, bare.stderr);
    // exec reads RUNPROV_FROM too: a new run with the image's git facts, still no git.
    const exec = await run(
      join(c.bin, "runprov"),
      ["exec", "--strict", "--", "sh", "-c", 'test "$RUNPROV_GIT_SHA" = "$0"', sha],
      { cwd: app, env: { ...c.sb.env, ...imageEnv, PATH: c.sb.env.FAKE_IMAGE_PATH } },
    );
    assertEquals(exec.code, 0, exec.stderr);
    assertEquals(await c.gitCalls(), [], "no git ran inside");
    assertMatch(bare.stderr, /git is not installed[\s\S]*--from FILE/);
  });
});

Deno.test("clusters: the dotenv file for docker run --env-file carries the commit", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    const r = await c.sh("container-dotenv");
    assertEquals(r.code, 0, r.stderr);
    const lines = (await Deno.readTextFile(join(c.repo, "run.env"))).split("\n");
    assert(lines.includes(`RUNPROV_GIT_SHA=${sha}`), lines.join("\n"));
    assert(lines.includes(`WANDB_GIT_COMMIT=${sha}`));
  });
});

Deno.test("clusters: apptainer --cleanenv ranks get the run through --env RUNPROV_FROM", async () => {
  await withCluster(async (c) => {
    const sha = await c.head();
    await c.submit("apptainer");
    const job = await c.job(4242);
    assertEquals(job.rc, 0, job.stderr);
    const ranks = await c.ranks(4242);
    assertEquals(ranks.size, 4);
    for (const env of ranks.values()) {
      assertEquals(env.RUNPROV_RUN_ID, "4242");
      assertEquals(env.WANDB_GIT_COMMIT, sha);
      assertEquals(env.GIT_AUTHOR_NAME, undefined, "the host environment did not pass");
    }
    assertEquals(statusCalls(await c.gitCalls()), 1);
  });
});

// --- nodes and shared checkouts ---------------------------------------------------------------

Deno.test("clusters: runprov doctor on a node sees the repository and the SLURM job", async () => {
  await withCluster(async (c) => {
    const r = await c.sh("node-doctor", { env: { SLURM_JOB_ID: "4242" } });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, new RegExp(`ok +repository +${c.repo} `));
    assertMatch(r.stdout, /info +scheduler +slurm \(job_id=4242.*procid=0/);
  });
});

Deno.test({
  ...skipUnless(
    NOT_ROOT,
    "clusters: a checkout owned by another user works after doctor's safe.directory command",
  ),
  fn: async () => {
    await withCluster(async (c) => {
      await run("chown", ["-R", "4242:4242", c.repo]);
      const refused = await c.sb.runprov(["stamp", "--strict"]);
      assertEquals(refused.code, 4, refused.stderr);
      const doctor = await c.sh("safe-directory-doctor");
      assertEquals(doctor.code, 4, doctor.stderr);
      const fix = `git config --global --add safe.directory ${c.repo}`;
      assert(doctor.stdout.includes(`run: ${fix}\n`), doctor.stdout);
      assert(!doctor.stdout.includes("safe.directory *"));
      // The guide's fix is that exact command.
      assert(block("safe-directory-fix", c.repo).startsWith(fix + "\n"));
      const fixed = await c.sh("safe-directory-fix");
      assertEquals(fixed.code, 0, fixed.stderr);
      const config = await Deno.readTextFile(join(c.sb.home, ".gitconfig"));
      assertMatch(config, new RegExp(`directory = ${c.repo}\\n`));
      assertEquals((await c.sb.runprov(["doctor"])).code, 0);
    });
  },
});
