/**
 * `deno task bench`: how fast runprov is against the seed's Python helper and the floor.
 *
 * Method: reproducible repositories are generated under bench/work/ (git fast-import,
 * fixed dates and contents; re-used when already there). For each repository every
 * command is run W times to warm caches, then R rounds, each round running every command
 * once in a rotated order (so drift hits all alike); we report medians and ratios from
 * that one run. Git processes are counted in a separate pass with a logging `git` wrapper
 * first on PATH (not used while timing).
 *
 * "environment" (in --only) measures the cost of the record's environment section side by
 * side: `env` with capture on and off (config `environment.capture`; both runs read a config
 * file, so both load the JSONC parser) in the small repository, the interpreter a venv of
 * 500 distributions (python3 -m venv, then generated dist-info directories), and
 * `python -m pip freeze` of the same venv for comparison.
 *
 * Snapshots (issue 13), on the large repository: building a run's snapshot, `restore` and
 * `diff`, each side by side with the git commands it is judged against, in one run; each
 * command's set-up (deleting the snapshot ref, removing the worktree) is done before it and
 * not timed.
 *
 * Sharing (issue 14), on a small clean repository with a local bare remote: `runprov push`
 * of one clean run beside `git push` of one lightweight ref (each round pushes a new run and a
 * new ref, so neither is a no-op), and `runs --remote` over 10,000 shared runs beside
 * `git ls-remote` of the same prefix, in one run.
 *
 * Usage: deno task bench [--rounds R]
 *                        [--only small,large,deep,tags,environment,snapshots,share]
 *                        [--snapshot-rounds R] [--share-rounds R] [--out FILE]
 *        RUNPROV_BIN=dist/runprov-... deno task bench   (time a compiled binary)
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import permissions from "../lib/permissions.json" with { type: "json" };
import { type RunCommitParts, runCommitsStream } from "../lib/share/run_commit.ts";
import { sha256Hex } from "../lib/util/sha256.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORK = join(ROOT, "bench", "work");
const GEN_VERSION = "1";
const dec = new TextDecoder();
const enc = new TextEncoder();

/** The seed's Patterns 1 and 2, exactly as written (minus the tracker calls). */
const SEED_PY = `import subprocess

def git_sha(short=False) -> str:
    """Return the current HEAD commit hash, or 'unknown' outside a repo."""
    fmt = ["--short"] if short else []
    try:
        return subprocess.check_output(
            ["git", "rev-parse", *fmt, "HEAD"], stderr=subprocess.DEVNULL,
        ).strip().decode()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"

def git_describe_dirty() -> str:
    """Return e.g. 'v1.0.2-3-gabc123' or 'abc123-dirty' if uncommitted edits exist."""
    return subprocess.check_output(
        ["git", "describe", "--always", "--dirty", "--tags"],
    ).strip().decode()

def ensure_clean_or_warn(strict=False):
    dirty = subprocess.check_output(["git", "status", "--porcelain"]).strip()
    if dirty:
        msg = f"Working tree has uncommitted changes:\\n{dirty.decode()}"
        if strict:
            raise RuntimeError(msg)
        import warnings; warnings.warn(msg)

config = {"git_sha": git_sha(), "git_sha_short": git_sha(short=True)}
ensure_clean_or_warn(strict=False)
config["git_describe"] = git_describe_dirty()
print(config)
`;

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@example.com",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@example.com",
  GIT_AUTHOR_DATE: "1700000000 +0000",
  GIT_COMMITTER_DATE: "1700000000 +0000",
};

async function sh(cmd: string, args: string[], cwd: string, input?: Uint8Array | string) {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    env: { ...Deno.env.toObject(), ...GIT_ENV },
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(typeof input === "string" ? enc.encode(input) : input);
    await w.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** A fast-import stream builder. */
class Stream {
  parts: string[] = [];
  mark = 0;
  blob(content: string): number {
    const m = ++this.mark;
    const bytes = enc.encode(content).length;
    this.parts.push(`blob\nmark :${m}\ndata ${bytes}\n${content}\n`);
    return m;
  }
  commit(
    ref: string,
    msg: string,
    files: [string, number][],
    parent: number | null,
    t: number,
  ): number {
    const m = ++this.mark;
    const lines = [
      `commit ${ref}`,
      `mark :${m}`,
      `author Bench <bench@example.com> ${t} +0000`,
      `committer Bench <bench@example.com> ${t} +0000`,
      `data ${enc.encode(msg).length}`,
      msg,
    ];
    if (parent !== null) lines.push(`from :${parent}`);
    for (const [path, blob] of files) lines.push(`M 100644 :${blob} ${path}`);
    this.parts.push(lines.join("\n") + "\n\n");
    return m;
  }
  tag(name: string, commit: number, msg: string, t: number) {
    this.parts.push(
      `tag ${name}\nfrom :${commit}\ntagger Bench <bench@example.com> ${t} +0000\n` +
        `data ${enc.encode(msg).length}\n${msg}\n`,
    );
  }
  text(): string {
    return this.parts.join("");
  }
}

interface Repo {
  name: string;
  dir: string;
  describe: string;
}

async function exists(p: string): Promise<boolean> {
  return await Deno.stat(p).then(() => true, () => false);
}

async function makeRepo(name: string, build: (s: Stream) => void, edit?: string): Promise<Repo> {
  const dir = join(WORK, name);
  const marker = join(dir, ".git", "runprov-bench-gen");
  if (await exists(marker) && (await Deno.readTextFile(marker)) === GEN_VERSION) {
    return { name, dir, describe: name };
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const t0 = performance.now();
  await sh("git", ["init", "-q", "-b", "main"], dir);
  const s = new Stream();
  build(s);
  await sh("git", ["fast-import", "--quiet"], dir, s.text());
  await sh("git", ["reset", "-q", "--hard", "main"], dir);
  if (edit) await Deno.writeTextFile(join(dir, edit), "edited by the benchmark\n");
  await Deno.writeTextFile(marker, GEN_VERSION);
  console.error(`bench: generated ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { name, dir, describe: name };
}

const REPOS: Record<string, () => Promise<Repo>> = {
  small: () =>
    makeRepo("small", (s) => {
      const files: [string, number][] = [];
      for (let i = 0; i < 50; i++) files.push([`src/d${i % 5}/f${i}.py`, s.blob(`x = ${i}\n`)]);
      s.commit("refs/heads/main", "small", files, null, 1700000000);
    }, "src/d0/f0.py"),
  large: () =>
    makeRepo("large", (s) => {
      const files: [string, number][] = [];
      for (let i = 0; i < 100_000; i++) {
        files.push([`d${String(i % 1000).padStart(3, "0")}/f${i}.txt`, s.blob(`file ${i}\n`)]);
      }
      s.commit("refs/heads/main", "large", files, null, 1700000000);
    }, "d000/f0.txt"),
  deep: () =>
    makeRepo("deep", (s) => {
      let parent: number | null = null;
      for (let i = 0; i < 50_000; i++) {
        const b = s.blob(`step ${i}\n`);
        parent = s.commit("refs/heads/main", `c${i}`, [["f.txt", b]], parent, 1700000000 + i);
      }
    }),
  tags: () =>
    makeRepo("tags", (s) => {
      const files: [string, number][] = [];
      for (let i = 0; i < 50; i++) files.push([`f${i}.py`, s.blob(`x = ${i}\n`)]);
      const c = s.commit("refs/heads/main", "tags", files, null, 1700000000);
      for (let i = 0; i < 10_000; i++) {
        const id = `r${String(i).padStart(5, "0")}`;
        s.tag(
          `run/${id}`,
          c,
          `Run ${id}\n\nRunprov-Run: ${id}\nRunprov-Dirty: false\n`,
          1700000000 + i,
        );
      }
    }),
};

/** A venv of `total` distributions: pip and setuptools, and generated dist-info directories. */
async function makeVenv(python: string, total: number): Promise<{ dir: string; site: string }> {
  const dir = join(WORK, `env${total}`);
  const marker = join(dir, "runprov-bench-gen");
  const siteOf = async () => {
    for await (const e of Deno.readDir(join(dir, "lib"))) {
      if (/^python3\.\d+$/.test(e.name)) return join(dir, "lib", e.name, "site-packages");
    }
    throw new Error(`no lib/python3.X in ${dir}`);
  };
  if (await exists(marker) && (await Deno.readTextFile(marker)) === GEN_VERSION) {
    return { dir, site: await siteOf() };
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const t0 = performance.now();
  await sh(python, ["-m", "venv", dir], ROOT);
  const site = await siteOf();
  let have = 0;
  for await (const e of Deno.readDir(site)) if (e.name.endsWith(".dist-info")) have++;
  for (let i = 0; have < total; i++, have++) {
    const name = `benchpkg_${String(i).padStart(3, "0")}`;
    const version = `1.${i}.0`;
    const info = join(site, `${name}-${version}.dist-info`);
    await Deno.mkdir(info);
    await Deno.writeTextFile(
      join(info, "METADATA"),
      `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
    );
    await Deno.writeTextFile(join(info, "INSTALLER"), "pip\n");
    await Deno.writeTextFile(join(info, "RECORD"), `${name}-${version}.dist-info/METADATA,,\n`);
  }
  await Deno.writeTextFile(marker, GEN_VERSION);
  console.error(`bench: generated ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, site };
}

/** `env` with and without environment capture, and pip freeze, on a 500-distribution venv. */
async function benchEnvironment(
  python: string,
  rp: string[],
  env: Record<string, string>,
  rounds: number,
  warmup: number,
): Promise<{ rows: string[]; verdicts: string[]; method: string }> {
  const repo = await REPOS.small();
  const venv = await makeVenv(python, 500);
  const on = join(WORK, "environment-on.jsonc");
  const off = join(WORK, "environment-off.jsonc");
  await Deno.writeTextFile(on, '{ "environment": { "capture": true } }\n');
  await Deno.writeTextFile(off, '{ "environment": { "capture": false } }\n');
  const venvEnv = { ...env, VIRTUAL_ENV: venv.dir, PATH: `${join(venv.dir, "bin")}:${env.PATH}` };
  // The capture must see all 500 (a check of the benchmark itself, not a timing).
  const rec = JSON.parse(
    await new Deno.Command(rp[0], {
      args: [...rp.slice(1), "--config", on, "stamp", "--out", "-"],
      cwd: repo.dir,
      env: venvEnv,
      clearEnv: true,
      stdout: "piped",
      stderr: "null",
    }).output().then((o) => dec.decode(o.stdout)),
  );
  const count = rec.environment?.packages?.count;
  if (count !== 500) throw new Error(`the benchmark venv shows ${count} distributions, not 500`);
  const cmds: Cmd[] = [
    { label: "env, environment on", argv: [...rp, "--config", on, "env"], kind: "runprov" },
    { label: "env, environment off", argv: [...rp, "--config", off, "env"], kind: "runprov" },
    {
      label: "env --no-record, environment on",
      argv: [...rp, "--config", on, "env", "--no-record"],
      kind: "runprov",
    },
    {
      label: "env --no-record, environment off",
      argv: [...rp, "--config", off, "env", "--no-record"],
      kind: "runprov",
    },
    {
      label: "python -m pip freeze",
      argv: [join(venv.dir, "bin", "python"), "-m", "pip", "freeze"],
      kind: "seed",
    },
    {
      label: "python -c pass",
      argv: [join(venv.dir, "bin", "python"), "-c", "pass"],
      kind: "seed",
    },
  ];
  const times = new Map<string, number[]>(cmds.map((c) => [c.label, []]));
  const cpu = new Map<string, number[]>(cmds.map((c) => [c.label, []]));
  for (let w = 0; w < warmup; w++) for (const c of cmds) await timeOnce(c.argv, repo.dir, venvEnv);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[(k + r) % cmds.length];
      times.get(c.label)!.push(await timeOnce(c.argv, repo.dir, venvEnv));
    }
  }
  // CPU time (user + sys of the command and its git processes, getrusage's microseconds) is
  // far less disturbed by other jobs than wall time: a second pass, rotated the same way.
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[(k + r) % cmds.length];
      if (c.label === "python -m pip freeze") continue;
      cpu.get(c.label)!.push(await cpuOnce(python, c.argv, repo.dir, venvEnv));
    }
  }
  const med = new Map([...times].map(([k, v]) => [k, median(v)]));
  const cpuMed = new Map([...cpu].map(([k, v]) => [k, v.length ? median(v) : NaN]));
  const rows = cmds.map((c) =>
    `| ${c.label} | ${med.get(c.label)!.toFixed(1)} | ${
      Number.isNaN(cpuMed.get(c.label)!) ? "" : cpuMed.get(c.label)!.toFixed(1)
    } |`
  );
  const verdicts: string[] = [];
  for (const variant of ["env", "env --no-record"]) {
    const a = med.get(`${variant}, environment on`)!;
    const b = med.get(`${variant}, environment off`)!;
    const ok = a <= 1.1 * b && a - b <= 5;
    // Each round runs both once: the median of the per-round differences is less noisy.
    const on = times.get(`${variant}, environment on`)!;
    const off = times.get(`${variant}, environment off`)!;
    const paired = median(on.map((t, i) => t - off[i]));
    verdicts.push(
      `- ${ok ? "met" : "NOT met"}: ${variant} with environment capture ${(a / b).toFixed(2)}x ` +
        `and ${(a - b).toFixed(1)} ms more than without (targets <= 1.1x, <= 5 ms); ` +
        `median of the per-round differences ${paired.toFixed(1)} ms`,
    );
  }
  for (const variant of ["env", "env --no-record"]) {
    const on = cpu.get(`${variant}, environment on`)!;
    const off = cpu.get(`${variant}, environment off`)!;
    const a = median(on);
    const b = median(off);
    verdicts.push(
      `- CPU time of ${variant}: ${(a / b).toFixed(2)}x and ${(a - b).toFixed(1)} ms more with ` +
        `environment capture (median of the per-round differences ` +
        `${median(on.map((t, i) => t - off[i])).toFixed(1)} ms)`,
    );
  }
  const pip = med.get("python -m pip freeze")!;
  const bare = med.get("python -c pass")!;
  verdicts.push(
    `- for comparison: \`python -m pip freeze\` of the same venv takes ${pip.toFixed(1)} ms ` +
      `(${(pip / med.get("env, environment on")!).toFixed(1)}x the whole \`env\` with capture); ` +
      `starting that python alone (\`python -c pass\`) takes ${bare.toFixed(1)} ms`,
  );

  const method = `Environment capture: the small repository, \`VIRTUAL_ENV\` and PATH pointing at a
venv of 500 distributions (\`${python} -m venv\`: pip and setuptools, plus 498 generated dist-info
directories with METADATA, INSTALLER and RECORD). "on"/"off" are \`--config\` files setting
\`environment.capture\` true/false, so both load the JSONC parser; the two runs of each pair differ
only in that setting. ${warmup} warm-up runs, ${rounds} rotated rounds (every command once per
round, in a rotated order), medians in ms; run under \`nice -n 10\` on the shared machine. "cpu
ms" is a second pass of as many rounds: user + system time of the command and the processes it
waited for (git), from getrusage(RUSAGE_CHILDREN) of a python wrapper (not counted).`;
  return { rows, verdicts, method };
}

/** CPU time (user + sys, ms) of one run of `argv` and its children, via a python wrapper. */
async function cpuOnce(
  python: string,
  argv: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<number> {
  const wrapper = "import resource, subprocess, sys\n" +
    "subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,\n" +
    "               stderr=subprocess.DEVNULL, check=True)\n" +
    "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n" +
    "print((r.ru_utime + r.ru_stime) * 1000)";
  const out = await new Deno.Command(python, {
    args: ["-c", wrapper, ...argv],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${argv.join(" ")} failed: ${dec.decode(out.stderr)}`);
  return Number(dec.decode(out.stdout).trim());
}

interface Cmd {
  label: string;
  argv: string[];
  /** Baseline kinds: "seed", "status", "deno" are used for ratios. */
  kind: "runprov" | "seed" | "status" | "deno";
}

function runprovArgv(): string[] {
  const bin = Deno.env.get("RUNPROV_BIN");
  return bin ? [bin] : [Deno.execPath(), "run", "--quiet", ...permissions, join(ROOT, "main.ts")];
}

async function timeOnce(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  okCodes: readonly number[] = [0],
) {
  const t0 = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!okCodes.includes(out.code)) {
    throw new Error(`${argv.join(" ")} failed in ${cwd}: ${dec.decode(out.stderr).slice(0, 400)}`);
  }
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function gitCalls(argv: string[], cwd: string, env: Record<string, string>) {
  const bin = join(WORK, "count-bin");
  await Deno.mkdir(bin, { recursive: true });
  const realGit = (await sh("sh", ["-c", "command -v git"], cwd)).trim();
  const wrapper = join(bin, "git");
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> "$RUNPROV_BENCH_GITLOG"\nexec ${realGit} "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  const log = join(WORK, "gitcalls.log");
  await Deno.writeTextFile(log, "");
  await timeOnce(argv, cwd, { ...env, PATH: `${bin}:${env.PATH}`, RUNPROV_BENCH_GITLOG: log });
  const lines = (await Deno.readTextFile(log)).split("\n").filter(Boolean);
  // A working-tree scan: a git command that stats every tracked file (and, for status,
  // walks the untracked ones). A diff limited by pathspecs to the paths status reported
  // reads the index but stats only those paths: not a scan.
  const scans = lines.filter((l) => {
    const w = ` ${l} `;
    if (/ (status|diff-files) /.test(w) || / describe .*--dirty/.test(w)) return true;
    if (/ update-index .*--refresh/.test(w) || / ls-files .*(-o|--others)/.test(w)) return true;
    if (/ (diff|diff-index) /.test(w)) return !/ --cached /.test(w) && !/ -- :\(/.test(w);
    return false;
  }).length;
  return { processes: lines.length, scans, lines };
}

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ") || "unknown";
}

/** The issue's targets for one repository, met or not, with the numbers. */
function judge(
  repo: string,
  med: Map<string, number>,
  n: Map<string, { processes: number; scans: number }>,
  seed: number,
  floor: number,
  denoLine: number,
): string[] {
  const out: string[] = [];
  const line = (ok: boolean, text: string) => out.push(`- ${ok ? "met" : "NOT met"}: ${text}`);
  const env = med.get("runprov env")!;
  const noRec = med.get("runprov env --no-record")!;
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  if (repo === "large") {
    line(env <= 0.6 * seed, `${repo}: env ${x(env, seed)} the seed helper (target <= 0.6x)`);
    line(env <= 1.2 * floor, `${repo}: env ${x(env, floor)} status + deno (target <= 1.2x)`);
  }
  if (repo === "small") {
    line(env <= seed, `${repo}: env ${x(env, seed)} the seed helper (target <= 1.0x)`);
    line(env <= 2 * floor, `${repo}: env ${x(env, floor)} status + deno (target <= 2.0x)`);
    line(
      noRec <= seed,
      `${repo}: env --no-record ${x(noRec, seed)} the seed helper (for comparison)`,
    );
  }
  const from = med.get("runprov env --from")!;
  line(from <= 1.2 * denoLine, `${repo}: env --from ${x(from, denoLine)} deno printing one line`);
  for (const label of ["runprov env", "runprov env --no-record", "runprov stamp"]) {
    const g = n.get(label)!;
    line(
      g.processes <= 4 && g.scans === 1,
      `${repo}: ${label}: ${g.processes} git processes, ${g.scans} tree scan(s) (target <= 4, 1)`,
    );
  }
  const runs = n.get("runprov runs");
  if (runs) {
    line(
      runs.processes <= 2,
      `${repo}: runs: ${runs.processes} git processes (locate + one for-each-ref)`,
    );
  }
  return out;
}

/** One timed command of the snapshot section, with its untimed set-up. */
interface SnapCmd {
  label: string;
  argv: string[];
  before?: () => Promise<void>;
  okCodes?: number[];
}

/**
 * Issue 13's targets on the large repository (100,000 files): two runs on one commit (one
 * edited file each); each runprov command beside the git baseline it is judged against.
 */
async function snapshotBench(
  rp: string[],
  denoOne: string[],
  env: Record<string, string>,
  rounds: number,
): Promise<{ rows: string[]; verdicts: string[] }> {
  const repo = await REPOS.large();
  const dir = repo.dir;
  const git = (...args: string[]) => sh("git", args, dir);
  const stamp = (id: string) =>
    sh(rp[0], [...rp.slice(1), "stamp", "-q", "--run-id", id], dir, undefined);
  // Run A: the generated edit (d000/f0.txt). Run B: that one and another file, same commit.
  // Records and snapshot refs of an earlier bench run are replaced.
  for (const id of ["snap-a", "snap-b"]) {
    await git("update-ref", "-d", `refs/runprov/snapshots/${id}`).catch(() => {});
    for (const ext of ["json", "patch"]) {
      await Deno.remove(join(dir, ".runprov", "runs", `${id}.${ext}`)).catch(() => {});
    }
  }
  await stamp("snap-a");
  const second = join(dir, "d001", "f1.txt");
  const original = await Deno.readTextFile(second);
  await Deno.writeTextFile(second, "edited for run B\n");
  await stamp("snap-b");
  await Deno.writeTextFile(second, original);
  const rpEnv = { ...env };
  const snapA = (await sh(rp[0], [...rp.slice(1), "restore", "--print", "snap-a"], dir)).trim();
  const snapB = (await sh(rp[0], [...rp.slice(1), "restore", "--print", "snap-b"], dir)).trim();
  const index = join(WORK, "snap-bench-index");
  const target = join(WORK, "snap-bench-worktree");
  const dropRef = () => git("update-ref", "-d", "refs/runprov/snapshots/snap-a").then(() => {});
  const dropIndex = () => Deno.remove(index).catch(() => {});
  const dropWorktree = async () => {
    await git("worktree", "remove", "--force", "--force", target).catch(() => {});
    await Deno.remove(target, { recursive: true }).catch(() => {});
    await git("worktree", "prune");
  };
  await dropWorktree(); // left by an interrupted run
  const cmds: SnapCmd[] = [
    {
      label: "build: runprov restore --print (snapshot ref deleted first)",
      argv: [...rp, "restore", "--print", "snap-a"],
      before: dropRef,
    },
    {
      label: "build baseline: read-tree HEAD + write-tree (temporary index)",
      argv: [
        "sh",
        "-c",
        `GIT_INDEX_FILE='${index}' git read-tree HEAD && GIT_INDEX_FILE='${index}' git write-tree`,
      ],
      before: dropIndex,
    },
    {
      label: "restore: runprov restore ID DIR (snapshot ref deleted first)",
      argv: [...rp, "restore", "snap-a", target],
      before: async () => {
        await dropWorktree();
        await dropRef();
      },
    },
    {
      label: "restore baseline: git worktree add --detach DIR SNAPSHOT",
      argv: ["git", "worktree", "add", "-q", "--detach", target, snapA],
      before: dropWorktree,
    },
    {
      label: "diff: runprov diff A B (two runs, one commit)",
      argv: [...rp, "diff", "snap-a", "snap-b"],
      okCodes: [1],
    },
    {
      label: "diff baseline: git diff SNAPSHOT_A SNAPSHOT_B",
      argv: ["git", "diff", snapA, snapB],
    },
    { label: "deno: print one line", argv: denoOne },
  ];
  const times = new Map<string, number[]>(cmds.map((c) => [c.label, []]));
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[(k + Math.max(r, 0)) % cmds.length];
      await c.before?.();
      const ms = await timeOnce(c.argv, dir, rpEnv, c.okCodes ?? [0]);
      if (r >= 0) times.get(c.label)!.push(ms); // round -1 warms the caches
    }
  }
  await dropWorktree();
  // Every build of snap-a made the same commit (deterministic): the last one is checked.
  const again = (await git("rev-parse", "refs/runprov/snapshots/snap-a")).trim();
  const med = new Map([...times].map(([k, v]) => [k, median(v)]));
  const m = (prefix: string) => med.get(cmds.find((c) => c.label.startsWith(prefix))!.label)!;
  const deno = m("deno:");
  const rows = cmds.map((c) => `| ${c.label} | ${med.get(c.label)!.toFixed(1)} |`);
  const verdicts: string[] = [];
  const judgeOne = (what: string, ours: number, base: number, target: number) => {
    const ratio = ours / base;
    verdicts.push(
      `- ${ratio <= target ? "met" : "NOT met"}: ${what} ${ratio.toFixed(2)}x its git baseline ` +
        `(target <= ${target}x; ${(ours / (base + deno)).toFixed(2)}x the baseline plus ` +
        `deno printing one line)`,
    );
  };
  judgeOne("snapshot build (restore --print)", m("build:"), m("build baseline"), 1.5);
  judgeOne("restore", m("restore:"), m("restore baseline"), 1.3);
  judgeOne("diff of two runs on one commit", m("diff:"), m("diff baseline"), 1.2);
  verdicts.push(
    `- ${again === snapA ? "met" : "NOT met"}: the ${
      2 * (rounds + 1)
    } rebuilds of snap-a's snapshot ` +
      `gave ${again === snapA ? "the same commit" : `another commit (${again})`} (${snapA})`,
  );
  return { rows, verdicts };
}

/**
 * Issue 14's targets: on a small clean repository (50 files) with a bare remote on this disk,
 * `runprov push` of one clean run beside `git push` of one lightweight ref, and `runs
 * --remote` over 10,000 shared runs beside `git ls-remote` of the same prefix.
 */
async function shareBench(
  rp: string[],
  denoOne: string[],
  env: Record<string, string>,
  rounds: number,
): Promise<{ rows: string[]; verdicts: string[]; calls: string[] }> {
  const base = join(WORK, "share");
  await Deno.remove(base, { recursive: true }).catch(() => {});
  await Deno.mkdir(base, { recursive: true });
  const dir = join(base, "repo");
  const remote = join(base, "remote.git");
  const listRemote = join(base, "list.git");
  const git = (...args: string[]) => sh("git", args, dir);
  await sh("git", ["init", "-q", "-b", "main", dir], base);
  for (let i = 0; i < 50; i++) await Deno.writeTextFile(join(dir, `f${i}.txt`), `file ${i}\n`);
  await git("add", "-A");
  await git("commit", "-qm", "bench");
  await sh("git", ["init", "-q", "--bare", "-b", "main", remote], base);
  await sh("git", ["init", "-q", "--bare", "-b", "main", listRemote], base);
  await git("remote", "add", "origin", remote);
  await git("remote", "add", "list", listRemote);
  await git("push", "-q", "origin", "main");
  await git("push", "-q", "list", "main");
  // One clean run per push (and one for counting git processes): copies of one record.
  const template = JSON.parse(
    await sh(rp[0], [...rp.slice(1), "stamp", "-q", "--run-id", "template"], dir),
  );
  const records = join(dir, ".runprov", "runs");
  const ids = Array.from({ length: rounds + 2 }, (_, i) => `push-${i}`);
  for (const id of ids) {
    const rec = JSON.stringify({ ...template, run_id: id }, null, 2) + "\n";
    await Deno.writeTextFile(join(records, `${id}.json`), rec);
  }
  // 10,000 shared runs on the listing remote, written as runprov push writes them.
  const parts: RunCommitParts[] = Array.from({ length: 10_000 }, (_, i) => {
    const id = `run-${String(i).padStart(5, "0")}`;
    const record = enc.encode(JSON.stringify({ ...template, run_id: id }, null, 2) + "\n");
    return {
      id,
      record,
      recordSha256: sha256Hex(record),
      patch: null,
      patchSha256: null,
      snapshot: template.git.sha,
      recordedCommit: template.git.sha,
      createdAt: template.created_at,
    };
  });
  // Through a file: fast-import answers while it reads, so piping both ways could block.
  const stream = join(base, "runs.stream");
  await Deno.writeFile(stream, runCommitsStream(parts, "refs/runprov/tmp/bench"));
  const made = (await sh("sh", ["-c", `git fast-import --quiet --done < '${stream}'`], listRemote))
    .trim().split("\n");
  const refs = parts.map((p, i) => `create refs/runprov/runs/${p.id} ${made[i]}\n`).join("");
  await sh("git", ["update-ref", "--stdin"], listRemote, refs);
  await sh("git", ["pack-refs", "--all"], listRemote);

  let pushed = 0;
  let refNo = 0;
  const cmds: SnapCmd[] = [
    {
      label: "push: runprov push ID (one new clean run)",
      argv: [],
      before: () => {
        cmds[0].argv = [...rp, "push", "-q", ids[pushed++]];
        return Promise.resolve();
      },
    },
    {
      label: "push baseline: git push origin HEAD:refs/bench/N (one new lightweight ref)",
      argv: [],
      before: () => {
        cmds[1].argv = ["git", "push", "-q", "origin", `HEAD:refs/bench/${refNo++}`];
        return Promise.resolve();
      },
    },
    {
      label: "list: runprov runs --remote list (10,000 runs)",
      argv: [...rp, "runs", "--remote", "list"],
    },
    {
      label: "list baseline: git ls-remote list 'refs/runprov/runs/*'",
      argv: ["git", "ls-remote", "list", "refs/runprov/runs/*"],
    },
    { label: "deno: print one line", argv: denoOne },
  ];
  const times = new Map<string, number[]>(cmds.map((c) => [c.label, []]));
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[(k + Math.max(r, 0)) % cmds.length];
      await c.before?.();
      const ms = await timeOnce(c.argv, dir, env);
      if (r >= 0) times.get(c.label)!.push(ms); // round -1 warms the caches
    }
  }
  const listed = (await sh("git", ["for-each-ref", "refs/runprov/runs/"], remote)).trim();
  if (listed.split("\n").length !== pushed) {
    throw new Error(
      `share bench: ${pushed} runs pushed, the remote has ${listed.split("\n").length}`,
    );
  }
  const calls: string[] = [];
  for (
    const [label, argv] of [
      ["runprov push ID (one new clean run)", [...rp, "push", "-q", ids[pushed]]],
      ["runprov runs --remote list", [...rp, "runs", "--remote", "list"]],
    ] as [string, string[]][]
  ) {
    const g = await gitCalls(argv, dir, env);
    calls.push(`| ${label} | ${g.processes} | ${g.lines.map((l) => l.split(" ")[2]).join(", ")} |`);
  }
  const med = new Map([...times].map(([k, v]) => [k, median(v)]));
  const m = (prefix: string) => med.get(cmds.find((c) => c.label.startsWith(prefix))!.label)!;
  const deno = m("deno:");
  const rows = cmds.map((c) => `| ${c.label} | ${med.get(c.label)!.toFixed(1)} |`);
  const verdicts: string[] = [];
  const judgeOne = (what: string, ours: number, baseline: number, target: number) => {
    const ratio = ours / baseline;
    verdicts.push(
      `- ${ratio <= target ? "met" : "NOT met"}: ${what} ${ratio.toFixed(2)}x its git baseline ` +
        `(target <= ${target}x; ${(ours / (baseline + deno)).toFixed(2)}x the baseline plus ` +
        `deno printing one line)`,
    );
  };
  judgeOne("push of one clean run", m("push:"), m("push baseline"), 1.3);
  judgeOne("runs --remote over 10,000 runs", m("list:"), m("list baseline"), 1.5);
  return { rows, verdicts, calls };
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "15" },
      warmup: { type: "string", default: "3" },
      only: { type: "string" },
      out: { type: "string", default: join(ROOT, "bench", "results.md") },
      "snapshot-rounds": { type: "string", default: "5" },
      "share-rounds": { type: "string", default: "15" },
    },
  });
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  const only = values.only
    ? values.only.split(",")
    : [...Object.keys(REPOS), "environment", "snapshots", "share"];
  await Deno.mkdir(WORK, { recursive: true });
  const python = (await exists("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  const seedPy = join(WORK, "seed_helper.py");
  await Deno.writeTextFile(seedPy, SEED_PY);
  const onePy = join(WORK, "one_line.ts");
  await Deno.writeTextFile(onePy, 'console.log("x");\n');
  const rp = runprovArgv();
  // The floor's deno runs with runprov's own permission flags (same start-up checks).
  const denoOne = [Deno.execPath(), "run", "--quiet", ...permissions, onePy];
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
    LANG: "C.UTF-8",
    RUNPROV_POLICY: "off",
    DENO_NO_UPDATE_CHECK: "1",
  };
  if (!env.DENO_DIR) delete env.DENO_DIR;

  const loadBefore = await loadAverage();
  const rows: string[] = [];
  const verdicts: string[] = [];
  const counts: string[] = [];
  let environment: Awaited<ReturnType<typeof benchEnvironment>> | null = null;
  let snapshots: { rows: string[]; verdicts: string[] } | null = null;
  let share: { rows: string[]; verdicts: string[]; calls: string[] } | null = null;
  for (const name of only) {
    if (name === "environment") {
      environment = await benchEnvironment(python, rp, env, rounds, warmup);
      console.error("bench: measured environment");
      continue;
    }
    if (name === "share") {
      share = await shareBench(rp, denoOne, env, Number(values["share-rounds"]));
      console.error("bench: measured share");
      continue;
    }
    if (name === "snapshots") {
      snapshots = await snapshotBench(rp, denoOne, env, Number(values["snapshot-rounds"]));
      console.error("bench: measured snapshots");
      continue;
    }
    const repo = await REPOS[name]();
    const fromFile = join(WORK, `${name}-record.json`);
    await Deno.writeTextFile(
      fromFile,
      await sh(rp[0], [...rp.slice(1), "stamp", "--out", "-", "--run-id", "bench"], repo.dir),
    );
    const cmds: Cmd[] = [
      { label: "runprov env", argv: [...rp, "env"], kind: "runprov" },
      { label: "runprov env --no-record", argv: [...rp, "env", "--no-record"], kind: "runprov" },
      { label: "runprov stamp", argv: [...rp, "stamp", "--out", "-"], kind: "runprov" },
      { label: "runprov env --from", argv: [...rp, "env", "--from", fromFile], kind: "runprov" },
      { label: "seed helper (python3)", argv: [python, seedPy], kind: "seed" },
      {
        label: "git status --porcelain=v2 -z",
        argv: ["git", "status", "--porcelain=v2", "-z"],
        kind: "status",
      },
      { label: "deno: print one line", argv: denoOne, kind: "deno" },
    ];
    if (name === "tags") {
      cmds.splice(3, 0, { label: "runprov runs", argv: [...rp, "runs"], kind: "runprov" });
    }
    const times = new Map<string, number[]>(cmds.map((c) => [c.label, []]));
    for (let w = 0; w < warmup; w++) for (const c of cmds) await timeOnce(c.argv, repo.dir, env);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[(k + r) % cmds.length];
        times.get(c.label)!.push(await timeOnce(c.argv, repo.dir, env));
      }
    }
    const med = new Map([...times].map(([k, v]) => [k, median(v)]));
    const seed = med.get("seed helper (python3)")!;
    const floor = med.get("git status --porcelain=v2 -z")! + med.get("deno: print one line")!;
    const denoLine = med.get("deno: print one line")!;
    for (const c of cmds) {
      const m = med.get(c.label)!;
      const vsFloor = c.label === "runprov env --from" ? m / denoLine : m / floor;
      rows.push(
        `| ${name} | ${c.label} | ${m.toFixed(1)} | ${
          c.kind === "runprov" ? (m / seed).toFixed(2) + "x" : ""
        } | ${c.kind === "runprov" ? vsFloor.toFixed(2) + "x" : ""} |`,
      );
    }
    const n = new Map<string, { processes: number; scans: number }>();
    for (const c of cmds.filter((c) => c.kind !== "deno")) {
      const g = await gitCalls(c.argv, repo.dir, env);
      n.set(c.label, g);
      counts.push(`| ${name} | ${c.label} | ${g.processes} | ${g.scans} |`);
    }
    verdicts.push(...judge(name, med, n, seed, floor, denoLine));
    console.error(`bench: measured ${name}`);
  }
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  const gitVersion = (await sh("git", ["--version"], ROOT)).trim();
  const pyVersion = (await sh(python, ["--version"], ROOT)).trim();
  const loadAfter = await loadAverage();
  const repoSection =
    `Method: ${warmup} warm-up runs of every command, then ${rounds} rounds in which every
command runs once, in a rotated order; medians in ms. "vs seed" divides by the seed's
Python helper (Patterns 1 and 2 as written: \`rev-parse HEAD\`, \`rev-parse --short HEAD\`,
\`status --porcelain\`, \`describe --always --dirty --tags\`). "vs floor" divides by
\`git status --porcelain=v2 -z\` + deno printing one line (for \`env --from\`: by deno
printing one line alone); the deno one-liner runs with runprov's permission flags.
runprov runs with RUNPROV_POLICY=off; \`env\` writes its record (and the patch of the
dirty tree), \`env --no-record\` and \`stamp --out -\` write nothing.
A "tree scan" is a git command that stats every tracked file (status, describe --dirty,
an unrestricted diff/diff-index/diff-files); a diff limited to the paths status reported is not.
Repositories (bench/work/, generated with git fast-import): small = 50 files, one edited;
large = 100,000 files in 1,000 directories, one edited; deep = 50,000 commits, no tags;
tags = 50 files and 10,000 annotated \`run/*\` tags (loose refs).

| repo | command | median ms | vs seed | vs floor |
| --- | --- | ---: | ---: | ---: |
${rows.join("\n")}

Git processes and working-tree scans per command (counted with a logging \`git\` wrapper):

| repo | command | git processes | tree scans |
| --- | --- | ---: | ---: |
${counts.join("\n")}

Targets (issue 9), judged on the medians above:

${verdicts.join("\n")}
`;
  const md = `# runprov benchmark

Machine: ${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, ${cpu}.
Versions: Deno ${Deno.version.deno}, ${gitVersion}, ${pyVersion}; runprov run as
\`${Deno.env.get("RUNPROV_BIN") ? "compiled binary" : "deno run <permissions> main.ts"}\`.
Date: ${new Date().toISOString().slice(0, 10)}. Load average (1/5/15 min) before: ${loadBefore};
after: ${loadAfter} (the machine was shared: medians of rotated rounds, not minima).

${rows.length > 0 ? repoSection : ""}${
    environment
      ? `
${environment.method}

| command | median ms | cpu ms |
| --- | ---: | ---: |
${environment.rows.join("\n")}

Targets (issue 15):

${environment.verdicts.join("\n")}
`
      : ""
  }${snapshots ? snapshotSection(snapshots, Number(values["snapshot-rounds"])) : ""}${
    share ? shareSection(share, Number(values["share-rounds"])) : ""
  }`;
  console.log(md);
  await Deno.mkdir(join(ROOT, "bench"), { recursive: true });
  await Deno.writeTextFile(values.out!, md);
  console.error(`bench: wrote ${values.out}`);
}

/** The snapshot section of the results file. */
function snapshotSection(s: { rows: string[]; verdicts: string[] }, rounds: number): string {
  return `
## Snapshots (issue 13)

On the large repository (100,000 files): run A edited one file, run B one more, both on the
same commit. One warm-up round, then ${rounds} rotated rounds; medians in ms. Each command's
set-up (deleting refs/runprov/snapshots/snap-a, \`git worktree remove\` of the restored
directory, removing the temporary index) runs before it, untimed. runprov's
times include starting the Deno runtime, which the git baselines do not pay: the second
ratio adds deno printing one line to the baseline.

| command | median ms |
| --- | ---: |
${s.rows.join("\n")}

${s.verdicts.join("\n")}
`;
}

/** The sharing section of the results file. */
function shareSection(
  s: { rows: string[]; verdicts: string[]; calls: string[] },
  rounds: number,
): string {
  return `
## Sharing runs (issue 14)

A clean repository of 50 files with two bare remotes on this disk (file transport): origin,
which receives the pushes, and list, which holds 10,000 shared runs (run commits written
with git fast-import exactly as runprov push writes them, refs packed). Each round pushes a
new clean run (runprov push; a no-op push of a run already there would be cheaper) and a
new lightweight ref pointing at HEAD (git push); the run's push also builds its run commit
and sends its three new objects. One warm-up round, then ${rounds} rotated rounds; medians
in ms. runprov's times include starting the Deno runtime, which git does not pay: the second
ratio adds deno printing one line to the baseline.

| command | median ms |
| --- | ---: |
${s.rows.join("\n")}

Git processes (counted with a logging \`git\` wrapper):

| command | git processes | which |
| --- | ---: | --- |
${s.calls.join("\n")}

${s.verdicts.join("\n")}
`;
}

await main();
