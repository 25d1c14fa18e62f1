/**
 * `--tracker` through the real CLI: the variables each tracker gets in every `--format`,
 * evaluated by the real shell of that format (or parsed, for json, dotenv and gha), what
 * `--unset` removes, what `runprov exec` hands its command, and what `--tracker comet` does
 * when the run's repository is not on this machine.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { CI, run, Sandbox, withSandbox } from "./helpers.ts";
import { which } from "../testkit/processes.ts";

const RUNPROV = [
  "RUNPROV_RUN_ID",
  "RUNPROV_GIT_SHA",
  "RUNPROV_GIT_SHA_SHORT",
  "RUNPROV_GIT_DESCRIBE",
  "RUNPROV_GIT_BRANCH",
  "RUNPROV_GIT_DIRTY",
  "RUNPROV_GIT_REMOTE_URL",
  "RUNPROV_FILE",
];

/** Each tracker's variables, in the order runprov prints them. */
const TRACKER = {
  wandb: ["WANDB_GIT_COMMIT", "WANDB_GIT_REMOTE_URL"],
  mlflow: ["MLFLOW_RUN_CONTEXT"],
  clearml: ["CLEARML_VCS_COMMIT_ID", "CLEARML_VCS_REPO_URL", "CLEARML_VCS_BRANCH"],
  comet: ["COMET_GIT_DIRECTORY", ...RUNPROV.map((n) => `COMET_LOG_OTHER_${n}`)],
};
type Tracker = keyof typeof TRACKER;
const ALL_TRACKERS = Object.keys(TRACKER) as Tracker[];

interface Rec {
  run_id: string;
  environment?: {
    python?: { version?: string | null } | null;
    packages?: { sha256?: string | null } | null;
  } | null;
  git: {
    root: string;
    sha: string;
    sha_short: string;
    describe: string;
    branch: string;
    dirty: boolean;
    remote_url: string;
  };
}

/** What a record gives each variable (MLflow's JSON compared as an object). */
function expected(rec: Rec, file: string, trackers: Tracker[]): Record<string, unknown> {
  const g = rec.git;
  const base: Record<string, string> = {
    RUNPROV_RUN_ID: rec.run_id,
    RUNPROV_GIT_SHA: g.sha,
    RUNPROV_GIT_SHA_SHORT: g.sha_short,
    RUNPROV_GIT_DESCRIBE: g.describe,
    RUNPROV_GIT_BRANCH: g.branch,
    RUNPROV_GIT_DIRTY: String(g.dirty),
    RUNPROV_GIT_REMOTE_URL: g.remote_url,
    RUNPROV_FILE: file,
  };
  const vars: Record<string, unknown> = { ...base };
  for (const t of trackers) {
    if (t === "wandb") {
      Object.assign(vars, { WANDB_GIT_COMMIT: g.sha, WANDB_GIT_REMOTE_URL: g.remote_url });
    }
    if (t === "mlflow") {
      vars.MLFLOW_RUN_CONTEXT = {
        "mlflow.source.git.commit": g.sha,
        "mlflow.source.git.branch": g.branch,
        "mlflow.source.git.repoURL": g.remote_url,
        "runprov.run_id": rec.run_id,
        "runprov.dirty": String(g.dirty),
        "runprov.describe": g.describe,
        // From the record's environment, when it knows them (lib/environment).
        ...(rec.environment?.python?.version
          ? { "runprov.python_version": rec.environment.python.version }
          : {}),
        ...(rec.environment?.packages?.sha256
          ? { "runprov.packages_sha256": rec.environment.packages.sha256 }
          : {}),
      };
    }
    if (t === "clearml") {
      Object.assign(vars, {
        CLEARML_VCS_COMMIT_ID: g.sha,
        CLEARML_VCS_REPO_URL: g.remote_url,
        CLEARML_VCS_BRANCH: g.branch,
      });
    }
    if (t === "comet") {
      vars.COMET_GIT_DIRECTORY = g.root;
      for (const [n, v] of Object.entries(base)) vars[`COMET_LOG_OTHER_${n}`] = v;
    }
  }
  return vars;
}

/** The variables of interest in an environment, MLflow's JSON parsed. */
function pick(env: Record<string, string | null>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    if (!(n in env)) continue;
    out[n] = n === "MLFLOW_RUN_CONTEXT" && env[n] !== null ? JSON.parse(env[n]!) : env[n];
  }
  return out;
}

function names(trackers: Tracker[]): string[] {
  return [...RUNPROV, ...trackers.flatMap((t) => TRACKER[t])];
}

/** A repository with a remote and a branch, and one stored record of it. */
async function withRecord(fn: (sb: Sandbox, rec: Rec, file: string) => Promise<void>) {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "https://example.com/o/p.git");
    await sb.git("checkout", "-q", "-b", "feat/x");
    const rec = await sb.json(["stamp", "--run-id", "v1"]) as Rec;
    assertEquals(rec.git.root, await Deno.realPath(sb.dir));
    await fn(sb, rec, join(sb.dir, ".runprov", "runs", "v1.json"));
  });
}

// --- the shells, and the formats no shell reads ----------------------------------------------

interface ShellFormat {
  format: string;
  shell: string;
  argv: (script: string) => string[];
  /** The statement that loads the file `f`. */
  load: (f: string) => string;
}

const SHELLS: ShellFormat[] = [
  { format: "sh", shell: "dash", argv: (s) => ["-c", s], load: (f) => `eval $(cat '${f}')` },
  { format: "bash", shell: "bash", argv: (s) => ["-c", s], load: (f) => `eval "$(cat '${f}')"` },
  { format: "zsh", shell: "zsh", argv: (s) => ["-c", s], load: (f) => `eval "$(cat '${f}')"` },
  {
    format: "fish",
    shell: "fish",
    argv: (s) => ["--no-config", "-c", s],
    load: (f) => `cat '${f}' | source`,
  },
  {
    format: "tcsh",
    shell: "tcsh",
    argv: (s) => ["-f", "-c", s],
    load: (f) => `eval "\`cat '${f}'\`"`,
  },
];

/** Load each text in order in a real shell; the environment it ends with. */
async function evalAll(sh: ShellFormat, path: string, texts: string[]) {
  const base = await Deno.makeTempDir({ prefix: "runprov-trackers-" });
  try {
    const files = await Promise.all(texts.map(async (t, i) => {
      const f = join(base, `out${i}`);
      await Deno.writeTextFile(f, t);
      return f;
    }));
    const dump = join(base, "dump");
    const script = [...files.map(sh.load), `/usr/bin/env -0 > '${dump}'`].join("; ");
    const r = await run(path, sh.argv(script), {
      cwd: base,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: base, LANG: "C.UTF-8" },
    });
    assertEquals({ code: r.code, stderr: r.stderr }, { code: 0, stderr: "" }, sh.shell);
    return Object.fromEntries(parseAll(await Deno.readFile(dump)));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

/** `K=v` lines (values carry no quoting: dotenv refuses what would need it). */
function parseDotenv(text: string): Record<string, string> {
  return Object.fromEntries(
    text.trimEnd().split("\n").map((l) => {
      const eq = l.indexOf("=");
      return [l.slice(0, eq), l.slice(eq + 1)];
    }),
  );
}

/** `$GITHUB_ENV` heredocs: `K<<delimiter`, the value, the delimiter. */
function parseGha(text: string): Record<string, string> {
  const lines = text.split("\n");
  const env: Record<string, string> = {};
  for (let i = 0; i < lines.length - 1;) {
    const [name, delim] = lines[i].split("<<");
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]);
    env[name] = value.join("\n");
    i++;
  }
  return env;
}

async function env(sb: Sandbox, args: string[]): Promise<string> {
  const r = await sb.runprov(["env", ...args]);
  assertEquals({ code: r.code, stderr: r.stderr }, { code: 0, stderr: "" }, args.join(" "));
  return r.stdout;
}

const trackerArgs = (ts: Tracker[]) => ["--tracker", ts.join(",")];

const ALL = names(ALL_TRACKERS);

for (const sh of SHELLS) {
  const path = which(sh.shell);
  if (path === null && !CI) {
    console.log(`tracker_vars_test: skipped --format ${sh.format}: no ${sh.shell}`);
  }
  Deno.test({
    name: `tracker variables: --format ${sh.format} in ${sh.shell} sets every tracker's, ` +
      `--unset removes them${path === null && !CI ? ` (skipped: no ${sh.shell})` : ""}`,
    ignore: path === null && !CI,
    fn: async () => {
      if (path === null) {
        throw new Error(
          `${sh.shell} is not installed (CI must have it): apt-get install ${sh.shell}`,
        );
      }
      await withRecord(async (sb, rec, file) => {
        const set = await env(sb, [
          "--from",
          file,
          "--format",
          sh.format,
          ...trackerArgs(ALL_TRACKERS),
        ]);
        const unset = await env(sb, [
          "--unset",
          "--format",
          sh.format,
          ...trackerArgs(ALL_TRACKERS),
        ]);
        assertEquals(pick(await evalAll(sh, path, [set]), ALL), expected(rec, file, ALL_TRACKERS));
        assertEquals(pick(await evalAll(sh, path, [set, unset]), ALL), {});
      });
    },
  });
}

Deno.test("tracker variables: --unset of one tracker leaves the others' variables", async () => {
  await withRecord(async (sb, rec, file) => {
    const bash = SHELLS.find((s) => s.format === "bash")!;
    const set = await env(sb, ["--from", file, "--format", "bash", ...trackerArgs(ALL_TRACKERS)]);
    const unset = await env(sb, ["--unset", "--format", "bash", "--tracker", "comet"]);
    const after = await evalAll(bash, which("bash")!, [set, unset]);
    const rest = expected(rec, file, ["wandb", "mlflow", "clearml"]);
    for (const n of RUNPROV) delete rest[n];
    assertEquals(pick(after, ALL), rest);
  });
});

Deno.test("tracker variables: --format json gives each tracker exactly its own, --unset nulls them", async () => {
  await withRecord(async (sb, rec, file) => {
    for (const t of ALL_TRACKERS) {
      const vars = JSON.parse(await env(sb, ["--from", file, "--format", "json", "--tracker", t]));
      assertEquals(Object.keys(vars), names([t]), t);
      assertEquals(pick(vars, names([t])), expected(rec, file, [t]), t);
      const unset = JSON.parse(await env(sb, ["--unset", "--format", "json", "--tracker", t]));
      assertEquals(unset, Object.fromEntries(names([t]).map((n) => [n, null])), t);
    }
  });
});

Deno.test("tracker variables: --format dotenv and gha carry them; dotenv refuses MLflow's JSON", async () => {
  await withRecord(async (sb, rec, file) => {
    const some: Tracker[] = ["wandb", "clearml", "comet"];
    const dotenv = parseDotenv(
      await env(sb, ["--from", file, "--format", "dotenv", ...trackerArgs(some)]),
    );
    assertEquals(Object.keys(dotenv), names(some));
    assertEquals(pick(dotenv, names(some)), expected(rec, file, some));
    const refused = await sb.runprov([
      "env",
      "--from",
      file,
      "--format",
      "dotenv",
      "--tracker",
      "mlflow",
    ]);
    assertEquals([refused.code, refused.stdout], [2, ""]);
    assertMatch(refused.stderr, /MLFLOW_RUN_CONTEXT/);

    const gha = parseGha(
      await env(sb, ["--from", file, "--format", "gha", ...trackerArgs(ALL_TRACKERS)]),
    );
    assertEquals(Object.keys(gha), ALL);
    assertEquals(pick(gha, ALL), expected(rec, file, ALL_TRACKERS));
  });
});

Deno.test("tracker variables: --format pwsh assigns and removes every tracker's (text only, no PowerShell here)", async () => {
  await withRecord(async (sb, rec, file) => {
    const set = await env(sb, ["--from", file, "--format", "pwsh", ...trackerArgs(ALL_TRACKERS)]);
    const unset = await env(sb, ["--unset", "--format", "pwsh", ...trackerArgs(ALL_TRACKERS)]);
    for (const n of ALL) {
      assert(set.includes(`$env:${n}=`), n);
      assert(unset.includes(`Remove-Item -LiteralPath 'env:${n}'`), n);
    }
    assert(set.includes(`$env:COMET_GIT_DIRECTORY='${rec.git.root}';`));
  });
});

Deno.test("tracker variables: exec hands its command what env prints, from any directory", async () => {
  await withRecord(async (sb, _rec, _file) => {
    const r = await sb.runprov([
      "-C",
      sb.dir,
      "exec",
      "--run-id",
      "x1",
      ...trackerArgs(ALL_TRACKERS),
      "--",
      "/usr/bin/env",
      "-0",
    ], { cwd: sb.home });
    assertEquals({ code: r.code, stderr: r.stderr }, { code: 0, stderr: "" });
    const child: Record<string, string> = {};
    for (const [k, v] of parseAll(r.stdoutBytes)) child[k] = v;
    const file = join(sb.dir, ".runprov", "runs", "x1.json");
    const rec = JSON.parse(await Deno.readTextFile(file)) as Rec;
    assertEquals(pick(child, ALL), expected(rec, file, ALL_TRACKERS));
  });
});

Deno.test("tracker variables: --tracker comet when the run's repository is not here: empty directory, a note, the commit as Others", async () => {
  await withRecord(async (sb, rec, file) => {
    // The record as a container sees it: the recorded top is missing, or holds no .git.
    const plain = join(sb.base, "copied-sources");
    await Deno.mkdir(plain);
    for (const root of [join(sb.base, "gone"), plain]) {
      const moved = join(sb.base, "moved.json");
      await Deno.writeTextFile(moved, JSON.stringify({ ...rec, git: { ...rec.git, root } }));
      const r = await sb.runprov([
        "env",
        "--from",
        moved,
        "--format",
        "json",
        "--tracker",
        "comet",
      ]);
      assertEquals(r.code, 0, r.stderr);
      const vars = JSON.parse(r.stdout);
      assertEquals(vars.COMET_GIT_DIRECTORY, "");
      assertEquals(vars.COMET_LOG_OTHER_RUNPROV_GIT_SHA, rec.git.sha);
      assertEquals(vars.COMET_LOG_OTHER_RUNPROV_RUN_ID, "v1");
      const note = `runprov: note: --tracker comet: the run's repository "${root}" is not here, ` +
        "so COMET_GIT_DIRECTORY is empty";
      assert(r.stderr.startsWith(note), r.stderr);
      const quiet = await sb.runprov(["-q", "env", "--from", moved, "--tracker", "comet"]);
      assertEquals([quiet.code, quiet.stderr], [0, ""]);
      // Without --tracker comet there is nothing to say.
      const wandb = await sb.runprov(["env", "--from", moved, "--tracker", "wandb"]);
      assertEquals([wandb.code, wandb.stderr], [0, ""]);
    }
    // exec --from in such a place: the command gets the same, and the note is printed once.
    const moved = join(sb.base, "moved.json");
    const x = await sb.runprov([
      "exec",
      "--from",
      moved,
      "--tracker",
      "comet",
      "--",
      "/usr/bin/env",
      "-0",
    ]);
    assertEquals(x.code, 0, x.stderr);
    const child = Object.fromEntries(parseAll(x.stdoutBytes));
    assertEquals(child.COMET_GIT_DIRECTORY, "");
    assertEquals(child.COMET_LOG_OTHER_RUNPROV_GIT_SHA, rec.git.sha);
    assertEquals(x.stderr.match(/--tracker comet/g)?.length, 1, x.stderr);
    // The unchanged record, repository here: the directory is handed over, nothing is said.
    const here = await sb.runprov([
      "env",
      "--from",
      file,
      "--format",
      "json",
      "--tracker",
      "comet",
    ]);
    assertEquals([JSON.parse(here.stdout).COMET_GIT_DIRECTORY, here.stderr], [rec.git.root, ""]);
  });
});

Deno.test("tracker variables: --tracker comet outside a repository: empty directory, sha unknown, no note", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["env", "--no-record", "--format", "json", "--tracker", "comet"]);
    assertEquals(r.code, 0, r.stderr);
    const vars = JSON.parse(r.stdout);
    assertEquals(vars.COMET_GIT_DIRECTORY, "");
    assertEquals(vars.COMET_LOG_OTHER_RUNPROV_GIT_SHA, "unknown");
    assert(!r.stderr.includes("--tracker comet"), r.stderr);
  }, { git: false });
});

/** Every `K=v` of an `env -0` dump, as text. */
function parseAll(bytes: Uint8Array): [string, string][] {
  const dec = new TextDecoder();
  return dec.decode(bytes).split("\0").filter((e) => e.indexOf("=") > 0).map((e) => {
    const eq = e.indexOf("=");
    return [e.slice(0, eq), e.slice(eq + 1)];
  });
}
