/**
 * `runprov env` as a user runs it: real repositories, real shells, `--from` without git,
 * `--no-record`, `--unset`, trackers, refusals, and hostile branch names, tags, remote URLs
 * and repository paths carried through git into `eval $(runprov env)`.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, Sandbox, withSandbox, withTool } from "./helpers.ts";
import { HOSTILE } from "../testkit/hostile.ts";
import { withFakeGit } from "../testkit/fake_git.ts";

const NAMES = [
  "RUNPROV_RUN_ID",
  "RUNPROV_GIT_SHA",
  "RUNPROV_GIT_SHA_SHORT",
  "RUNPROV_GIT_DESCRIBE",
  "RUNPROV_GIT_BRANCH",
  "RUNPROV_GIT_DIRTY",
  "RUNPROV_GIT_REMOTE_URL",
  "RUNPROV_FILE",
];

/** Evaluate `text` in a real shell and return the environment it exported. */
async function evalIn(
  shell: string[],
  script: (file: string) => string,
  text: string,
  cwd: string,
): Promise<Record<string, string>> {
  const tmp = await Deno.makeTempDir({ prefix: "runprov-eval-" });
  try {
    const out = join(tmp, "out");
    const dump = join(tmp, "dump");
    await Deno.writeTextFile(out, text);
    const r = await run(shell[0], [
      ...shell.slice(1),
      `${script(out)}; /usr/bin/env -0 > '${dump}'`,
    ], {
      cwd,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", LANG: "C.UTF-8", HOME: tmp },
    });
    assertEquals({ code: r.code, stderr: r.stderr }, { code: 0, stderr: "" }, `${shell[0]} failed`);
    const env: Record<string, string> = {};
    for (const entry of (await Deno.readTextFile(dump)).split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const dashUnquoted = (f: string) => `eval $(cat '${f}')`;
const bashQuotedFailglob = (f: string) => `shopt -s failglob; eval "$(cat '${f}')"`;

function pick(env: Record<string, string>, names = NAMES): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, env[n]]));
}

/** HEAD's commit and its abbreviation, from git itself (the oracle, not runprov's record). */
async function headOf(sb: Sandbox, dir = sb.dir): Promise<{ sha: string; short: string }> {
  const sha = (await sb.gitIn(dir, "rev-parse", "HEAD")).trim();
  const short = (await sb.gitIn(dir, "rev-parse", "--short", "HEAD")).trim();
  return { sha, short };
}

Deno.test(
  withTool(
    "dash",
    "env: eval $(runprov env) exports the run's facts and stores the record",
    async (dash) => {
      await withSandbox(async (sb) => {
        await sb.git("remote", "add", "origin", "https://user:tok@example.com/org/proj.git");
        await sb.git("tag", "v1.0");
        const r = await sb.runprov(["env", "--run-id", "exp-1"]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout.split("\n").length, 2, "one line");
        const file = join(await Deno.realPath(sb.dir), ".runprov", "runs", "exp-1.json");
        const env = await evalIn([dash, "-c"], dashUnquoted, r.stdout, sb.dir);
        const head = await headOf(sb);
        assertEquals(pick(env), {
          RUNPROV_RUN_ID: "exp-1",
          RUNPROV_GIT_SHA: head.sha,
          RUNPROV_GIT_SHA_SHORT: head.short,
          RUNPROV_GIT_DESCRIBE: "v1.0",
          RUNPROV_GIT_BRANCH: "main",
          RUNPROV_GIT_DIRTY: "false",
          RUNPROV_GIT_REMOTE_URL: "https://example.com/org/proj.git",
          RUNPROV_FILE: file,
        });
        const rec = JSON.parse(await Deno.readTextFile(file));
        assertEquals([rec.run_id, rec.git.sha], ["exp-1", head.sha], "the record is stored");
      });
    },
  ),
);

Deno.test("env --no-record: RUNPROV_FILE is empty and no record is written", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["env", "--no-record", "--format", "json"]);
    assertEquals(r.code, 0, r.stderr);
    const vars = JSON.parse(r.stdout);
    assertEquals(Object.keys(vars), NAMES);
    assertEquals(vars.RUNPROV_FILE, "");
    const runs = await Array.fromAsync(Deno.readDir(join(sb.dir, ".runprov", "runs"))).catch(
      () => [],
    );
    assertEquals(runs.length, 0);
  });
});

Deno.test("env --from FILE prints a stored record's exports without running git", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "git@example.com:org/proj.git");
    const rec = await sb.json(["stamp", "--run-id", "launch", "--out", "../rec.json"]);
    const head = await headOf(sb);
    await withFakeGit(sb.base, "refuse", async (git) => {
      const abs = join(await Deno.realPath(sb.base), "rec.json");
      // From a directory that is not a repository, with a relative path.
      const r = await sb.runprov(["env", "--from", "../rec.json", "--tracker", "wandb"], {
        cwd: sb.home,
        env: { PATH: git.path(sb.env.PATH) },
      });
      assertEquals(r.code, 0, r.stderr);
      const env = await evalIn(["bash", "-c"], bashQuotedFailglob, r.stdout, sb.home);
      assertEquals(pick(env), {
        RUNPROV_RUN_ID: "launch",
        RUNPROV_GIT_SHA: head.sha,
        RUNPROV_GIT_SHA_SHORT: head.short,
        RUNPROV_GIT_DESCRIBE: head.short,
        RUNPROV_GIT_BRANCH: "main",
        RUNPROV_GIT_DIRTY: "false",
        RUNPROV_GIT_REMOTE_URL: "git@example.com:org/proj.git",
        RUNPROV_FILE: join(sb.base, "rec.json"),
      }, "RUNPROV_FILE is absolute");
      assertEquals(await Deno.realPath(env.RUNPROV_FILE), abs);
      assertEquals(env.WANDB_GIT_COMMIT, rec.git.sha);
      assertEquals(env.WANDB_GIT_REMOTE_URL, "git@example.com:org/proj.git");
      // RUNPROV_FROM does the same.
      const r2 = await sb.runprov(["env", "--format", "json"], {
        cwd: sb.home,
        env: { PATH: git.path(sb.env.PATH), RUNPROV_FROM: join(sb.base, "rec.json") },
      });
      assertEquals(r2.code, 0, r2.stderr);
      assertEquals(JSON.parse(r2.stdout).RUNPROV_RUN_ID, "launch");
      assertEquals(await git.calls(), [], "git ran");
    });
  });
});

Deno.test("env --from: a missing or foreign file, or capture flags with it, are exit 2", async () => {
  await withSandbox(async (sb) => {
    await sb.write("notes.json", '{"hello": 1}\n');
    for (
      const [args, pattern] of [
        [["--from", "missing.json"], /cannot read the run record .*missing\.json: no such file/],
        [["--from", "notes.json"], /notes\.json is not a runprov record/],
        [["--from", "notes.json", "--run-id", "x"], /--run-id cannot be used with --from/],
        [["--unset", "--from", "notes.json"], /--unset takes no --from/],
      ] as const
    ) {
      const r = await sb.runprov(["env", ...args]);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertEquals(r.stdout, "");
      assertMatch(r.stderr, pattern);
    }
  });
});

Deno.test("env --unset removes every variable, including the trackers', without git", async () => {
  await withSandbox(async (sb) => {
    const r = await withFakeGit(sb.base, "refuse", async (git) => {
      const r = await sb.runprov(["env", "--unset", "--tracker", "mlflow"], {
        env: { PATH: git.path(sb.env.PATH) },
      });
      assertEquals(await git.calls(), [], "git ran");
      return r;
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      [...NAMES, "MLFLOW_RUN_CONTEXT"].map((n) => `unset ${n};`).join(" ") + "\n",
    );
    const set = await sb.runprov(["env", "--no-record", "--tracker", "mlflow"]);
    assertEquals(set.code, 0, set.stderr);
    const unsetFile = join(sb.base, "unset.sh");
    await Deno.writeTextFile(unsetFile, r.stdout);
    const env = await evalIn(
      ["bash", "-c"],
      (f) => `eval "$(cat '${f}')"; eval $(cat '${unsetFile}')`,
      set.stdout,
      sb.dir,
    );
    for (const n of [...NAMES, "MLFLOW_RUN_CONTEXT"]) assertEquals(env[n], undefined, n);
    for (const f of ["dotenv", "gha"]) {
      const u = await sb.runprov(["env", "--unset", "--format", f]);
      assertEquals(u.code, 2);
      assertEquals(u.stdout, "");
      assertMatch(u.stderr, new RegExp(`--unset is not available for --format ${f}`));
    }
  });
});

Deno.test("env --tracker: W&B, MLflow and ClearML variables carry the same facts", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "https://example.com/o/p.git");
    await sb.git("checkout", "-q", "-b", "feat/x");
    const r = await sb.runprov([
      "env",
      "--format",
      "json",
      "--run-id",
      "t1",
      "--tracker",
      "wandb",
      "--tracker",
      "mlflow,clearml",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    const sha = v.RUNPROV_GIT_SHA;
    assertEquals(Object.keys(v).slice(8), [
      "WANDB_GIT_COMMIT",
      "WANDB_GIT_REMOTE_URL",
      "MLFLOW_RUN_CONTEXT",
      "CLEARML_VCS_COMMIT_ID",
      "CLEARML_VCS_REPO_URL",
      "CLEARML_VCS_BRANCH",
    ]);
    assertEquals([v.WANDB_GIT_COMMIT, v.WANDB_GIT_REMOTE_URL], [
      sha,
      "https://example.com/o/p.git",
    ]);
    // The environment's python version and package digest, where the record has them.
    const { environment: e } = JSON.parse(await Deno.readTextFile(v.RUNPROV_FILE));
    assertEquals(JSON.parse(v.MLFLOW_RUN_CONTEXT), {
      "mlflow.source.git.commit": sha,
      "mlflow.source.git.branch": "feat/x",
      "mlflow.source.git.repoURL": "https://example.com/o/p.git",
      "runprov.run_id": "t1",
      "runprov.dirty": "false",
      "runprov.describe": v.RUNPROV_GIT_DESCRIBE,
      ...(e.python.version ? { "runprov.python_version": e.python.version } : {}),
      ...(e.packages.sha256 ? { "runprov.packages_sha256": e.packages.sha256 } : {}),
    });
    assertEquals(
      [v.CLEARML_VCS_COMMIT_ID, v.CLEARML_VCS_REPO_URL, v.CLEARML_VCS_BRANCH],
      [sha, "https://example.com/o/p.git", "feat/x"],
    );
    const bad = await sb.runprov(["env", "--tracker", "neptune"]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /unknown tracker "neptune"/);
  });
});

Deno.test("env: outside a repository the trackers get no commit, never 'unknown'", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov([
      "env",
      "--no-record",
      "--format",
      "json",
      "--tracker",
      "wandb,mlflow",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assertEquals([v.RUNPROV_GIT_SHA, v.WANDB_GIT_COMMIT], ["unknown", ""]);
    assertEquals(JSON.parse(v.MLFLOW_RUN_CONTEXT)["mlflow.source.git.commit"], undefined);
  }, { git: false });
});

Deno.test(
  withTool(
    "dash",
    "env: a value the format cannot carry is exit 2 naming it, with nothing printed or stored",
    async (dash) => {
      await withSandbox(async (sb) => {
        // Invalid UTF-8 in a branch name: refused by every format.
        const r0 = await run("sh", ["-c", `git checkout -q -b "$(printf 'bad\\377')"`], {
          cwd: sb.dir,
          env: sb.env,
        });
        assertEquals(r0.code, 0, r0.stderr);
        for (const f of ["sh", "json"]) {
          const r = await sb.runprov(["env", "--format", f]);
          assertEquals(r.code, 2, r.stderr);
          assertEquals(r.stdout, "");
          assertMatch(r.stderr, /cannot print RUNPROV_GIT_BRANCH .*not valid UTF-8/);
        }
        assertEquals(
          await Deno.stat(join(sb.dir, ".runprov", "runs")).then(
            async (s) =>
              s.isDirectory &&
              (await Array.fromAsync(Deno.readDir(join(sb.dir, ".runprov", "runs")))).length,
            () => 0,
          ),
          0,
          "no record written",
        );
        // A newline in the remote URL: sh carries it, tcsh and dotenv refuse.
        await sb.git("checkout", "-q", "main");
        await sb.git("config", "remote.origin.url", "https://example.com/a\nb.git");
        const sh = await sb.runprov(["env", "--no-record"]);
        assertEquals(sh.code, 0, sh.stderr);
        const env = await evalIn([dash, "-c"], dashUnquoted, sh.stdout, sb.dir);
        assertEquals(env.RUNPROV_GIT_REMOTE_URL, "https://example.com/a\nb.git");
        for (const f of ["tcsh", "dotenv"]) {
          const r = await sb.runprov(["env", "--no-record", "--format", f]);
          assertEquals(r.code, 2, r.stderr);
          assertEquals(r.stdout, "");
          assertMatch(r.stderr, new RegExp(`cannot print RUNPROV_GIT_REMOTE_URL as ${f}`));
        }
      });
    },
  ),
);

Deno.test("env: strict policy on a dirty tree is exit 3 with nothing on stdout", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "edited\n");
    const r = await sb.runprov(["env", "--strict"]);
    assertEquals(r.code, 3);
    assertEquals(r.stdout, "");
  });
});

/** Try a git command; false when git refuses the name. */
async function tryGit(sb: Sandbox, cwd: string, ...args: string[]): Promise<boolean> {
  return (await run("git", args, { cwd, env: sb.env })).code === 0;
}

interface Carried {
  branch: number;
  tag: number;
  url: number;
  dir: number;
}

/**
 * In one sandbox, for each value: make it the branch (update-ref + symbolic-ref, which
 * also take a leading '-'), the only tag, origin's URL and part of the repository's
 * directory name, then check `runprov env`'s output evaluated by dash and bash.
 */
async function carryThroughGit(
  dash: string,
  values: [number, string][],
  carried: Carried,
): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "https://example.com/x.git");
    const head = await headOf(sb);
    let dir = sb.dir;
    for (const [i, v] of values) {
      await sb.gitIn(dir, "symbolic-ref", "HEAD", "refs/heads/main");
      const branch =
        v !== "main" && (await tryGit(sb, dir, "update-ref", `refs/heads/${v}`, "HEAD")) &&
          (await tryGit(sb, dir, "symbolic-ref", "HEAD", `refs/heads/${v}`))
          ? v
          : "main";
      const tags = await sb.gitIn(dir, "for-each-ref", "--format=%(refname)", "refs/tags/");
      for (const t of tags.split("\n").filter(Boolean)) await sb.gitIn(dir, "update-ref", "-d", t);
      const tagged = await tryGit(sb, dir, "update-ref", `refs/tags/${v}`, "HEAD");
      await sb.gitIn(dir, "config", "remote.origin.url", v);
      const name = `d-${v}`;
      // Directory names: no '/', and no line breaks (git rev-parse prints paths one a line).
      if (!/[\/\n\r]/.test(v) && new TextEncoder().encode(name).length < 200) {
        const next = join(sb.base, name);
        await Deno.rename(dir, next);
        dir = next;
        carried.dir++;
      }
      const r = await sb.runprov(["env", "--run-id", `h${i}`], { cwd: dir });
      assertEquals(r.code, 0, `${JSON.stringify(v)}: ${r.stderr}`);
      const file = join(await Deno.realPath(dir), ".runprov", "runs", `h${i}.json`);
      const rec = JSON.parse(await Deno.readTextFile(file));
      // No value of the corpus looks like a URL with credentials: each is recorded as set.
      const want = {
        RUNPROV_RUN_ID: `h${i}`,
        RUNPROV_GIT_SHA: head.sha,
        RUNPROV_GIT_SHA_SHORT: head.short,
        RUNPROV_GIT_DESCRIBE: tagged ? v : head.short,
        RUNPROV_GIT_BRANCH: branch,
        RUNPROV_GIT_DIRTY: "false",
        RUNPROV_GIT_REMOTE_URL: v,
        RUNPROV_FILE: file,
      };
      assertEquals(
        [rec.git.branch, rec.git.describe, rec.git.remote_url],
        [branch, want.RUNPROV_GIT_DESCRIBE, v === "" ? null : v],
      );
      for (const shell of [dash, "bash"]) {
        const script = shell === dash ? dashUnquoted : bashQuotedFailglob;
        const env = await evalIn([shell, "-c"], script, r.stdout, dir);
        assertEquals(pick(env), want, `${shell}: ${JSON.stringify(v)}`);
      }
      carried.branch += branch === v ? 1 : 0;
      carried.tag += tagged ? 1 : 0;
      carried.url++;
      for (const f of ["canary", "pwned"]) {
        assert(!(await Deno.stat(join(dir, f)).then(() => true, () => false)), `${f} exists`);
      }
    }
  });
}

Deno.test(
  withTool(
    "dash",
    "env: hostile branch names, tags, remote URLs and repo paths survive eval $(runprov env)",
    async (dash) => {
      const carried: Carried = { branch: 0, tag: 0, url: 0, dir: 0 };
      const indexed = [...HOSTILE.entries()];
      // Three sandboxes side by side: every value still goes through every role.
      await Promise.all(
        [0, 1, 2].map((k) => carryThroughGit(dash, indexed.filter(([i]) => i % 3 === k), carried)),
      );
      // git accepts many of these as names; make sure the test exercised them.
      assertEquals(carried.url, HOSTILE.length);
      assert(
        carried.branch >= 30 && carried.tag >= 30 && carried.dir >= 40,
        JSON.stringify(carried),
      );
      if (Deno.env.get("RUNPROV_TEST_VERBOSE")) {
        console.log("carried through git:", carried);
      }
    },
  ),
);
