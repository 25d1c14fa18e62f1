/** `runprov doctor` and `runprov --version`: what a node operator sees before a run. */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { NOT_ROOT, ROOT, run, Sandbox, skipUnless, withSandbox } from "./helpers.ts";
import {
  doctorExitCode,
  type DoctorReport,
  pathCandidates,
  probeWritable,
  renderDoctor,
  shellWord,
} from "../lib/commands/doctor.ts";
import { versionText } from "../lib/cli/cli.ts";
import { VERSION } from "../lib/version.ts";

// --- pure parts ---------------------------------------------------------------------------

function report(over: Partial<DoctorReport> = {}): DoctorReport {
  const base: DoctorReport = {
    runprov: { version: "0.1.0", commit: "0123456789ab", compiled: true },
    git: { status: "ok", path: "/usr/bin/git", version: "2.39.5", problem: null },
    repository: {
      status: "ok",
      root: "/data/proj",
      head: "abc1234",
      reason_code: null,
      reason: null,
    },
    safe_directory: { status: "ok", detail: "not needed: the repository is yours", fix: null },
    config: { status: "info", file: null, source: null, problem: null },
    from: { status: "info", path: null, run_id: null, sha: null, problem: null },
    record_dir: {
      status: "ok",
      path: "/data/proj/.runprov/runs",
      writable: true,
      problem: null,
    },
    run_tags: {
      status: "ok",
      refs: "tags",
      in_refs_tags: 0,
      versioning: null,
      detail: "no run tags under refs/tags",
      fix: [],
    },
    scheduler: { status: "info", detected: [], ids: {} },
    git_timeout: { status: "info", seconds: 60, source: "default", problem: null },
    ok: true,
    exit_code: 0,
  };
  const r = { ...base, ...over };
  r.exit_code = doctorExitCode(r);
  r.ok = r.exit_code === 0;
  return r;
}

Deno.test("doctor: git is searched on PATH in order, with PATHEXT on Windows", () => {
  assertEquals(pathCandidates("git", "/usr/local/bin::/usr/bin", "linux"), [
    "/usr/local/bin/git",
    "/usr/bin/git",
  ]);
  assertEquals(pathCandidates("git", undefined, "linux"), []);
  assertEquals(pathCandidates("git", "C:\\Git\\cmd", "windows", ".EXE;.CMD").length, 2);
});

Deno.test("doctor: exit 4 when git is unusable, 2 when records cannot be written", () => {
  assertEquals(report().exit_code, 0);
  const notRepo = report({
    repository: {
      status: "warn",
      root: null,
      head: null,
      reason_code: "not-a-repository",
      reason: "not inside a git repository",
    },
  });
  assertEquals(notRepo.exit_code, 0, "outside a repository runprov still records (sha unknown)");
  const noWrite = report({
    record_dir: { status: "fail", path: "/x", writable: false, problem: "read-only" },
  });
  assertEquals(noWrite.exit_code, 2);
  const noGit = report({
    git: { status: "fail", path: null, version: null, problem: "git is not installed" },
    record_dir: { status: "fail", path: "/x", writable: false, problem: "read-only" },
  });
  assertEquals(noGit.exit_code, 4, "git unusable wins over the record directory");
});

Deno.test("doctor: the text names the exact safe.directory command, never '*'", () => {
  const text = renderDoctor(report({
    repository: {
      status: "fail",
      root: "/shared/team proj",
      head: null,
      reason_code: "dubious-ownership",
      reason: "git refuses this repository",
    },
    safe_directory: {
      status: "fail",
      detail: "git refuses /shared/team proj",
      fix: `git config --global --add safe.directory ${shellWord("/shared/team proj")}`,
    },
  }));
  assertMatch(text, /run: git config --global --add safe\.directory '\/shared\/team proj'\n/);
  assertMatch(text, /^FAIL {2}safe\.directory/m);
  assertMatch(text, /cannot work here \(exit 4\)/);
  assert(!text.includes("safe.directory *"));
});

Deno.test("doctor: the text shows the scheduler ids found", () => {
  const text = renderDoctor(report({
    scheduler: {
      status: "info",
      detected: ["slurm"],
      ids: { slurm: { job_id: "42", procid: "3" } },
    },
  }));
  assertMatch(text, /scheduler\s+slurm \(job_id=42, procid=3\)/);
  assertMatch(text, /runprov can work here\.\n$/);
});

Deno.test("doctor: shell words are quoted only when they need it", () => {
  assertEquals(shellWord("/srv/proj-1"), "/srv/proj-1");
  assertEquals(shellWord("/srv/it's here"), `'/srv/it'\\''s here'`);
});

Deno.test("doctor: the writability probe leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runprov-probe-" });
  try {
    const missing = join(dir, ".runprov", "runs");
    assertEquals(await probeWritable(missing), { writable: true, problem: null });
    assertEquals([...Deno.readDirSync(dir)], [], "nothing created");
    // .runprov as a regular file: records cannot go below it (holds for root too).
    await Deno.writeTextFile(join(dir, ".runprov"), "not a directory\n");
    const blocked = await probeWritable(missing);
    assertEquals(blocked.writable, false);
    assertMatch(blocked.problem!, /\.runprov exists and is not a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- the command on real repositories ------------------------------------------------------

async function doctorJson(sb: Sandbox, env: Record<string, string> = {}, cwd?: string) {
  const r = await sb.runprov(["doctor", "--json"], { env, cwd });
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport, stderr: r.stderr };
}

Deno.test("doctor: in a healthy repository every check passes and nothing is written", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["doctor"]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    const top = await Deno.realPath(sb.dir);
    assertMatch(r.stdout, /^ok\s+git\s+\/\S*git \(version \d+\.\d+/m);
    assertMatch(r.stdout, new RegExp(`^ok\\s+repository\\s+${top} \\(HEAD [0-9a-f]{7,}\\)`, "m"));
    assertMatch(r.stdout, /^ok\s+safe\.directory\s+not needed/m);
    assertMatch(
      r.stdout,
      new RegExp(`^ok\\s+record dir\\s+${top}/\\.runprov/runs is writable`, "m"),
    );
    assertMatch(r.stdout, /^info\s+git timeout\s+60 s \(default/m);
    assertMatch(r.stdout, /runprov can work here\.\n$/);
    const entries = [...Deno.readDirSync(sb.dir)].map((e) => e.name).sort();
    assertEquals(entries, [".git", "README.md"], "doctor creates no .runprov/");
    assertEquals((await sb.git("status", "--porcelain")).trim(), "");
  });
});

Deno.test("doctor --json: one object with the same facts", async () => {
  await withSandbox(async (sb) => {
    const { code, report } = await doctorJson(sb, {
      SLURM_JOB_ID: "77",
      SLURM_PROCID: "0",
      RUNPROV_GIT_TIMEOUT: "12.5",
    });
    assertEquals(code, 0);
    assertEquals(report.ok, true);
    assertEquals(report.exit_code, 0);
    assertEquals(report.runprov.version, VERSION);
    assertEquals(report.repository.root, await Deno.realPath(sb.dir));
    assertEquals(report.repository.head, (await sb.git("rev-parse", "--short", "HEAD")).trim());
    assertEquals(report.scheduler.detected, ["slurm"]);
    assertEquals(report.scheduler.ids.slurm, { job_id: "77", procid: "0" });
    assertEquals(report.git_timeout, {
      status: "info",
      seconds: 12.5,
      source: "RUNPROV_GIT_TIMEOUT",
      problem: null,
    });
  });
});

Deno.test("doctor: outside a repository it warns and still exits 0", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["doctor"]);
    assertEquals(r.code, 0, r.stdout);
    assertMatch(r.stdout, /^warn\s+repository\s+not inside a git repository/m);
    const { report } = await doctorJson(sb);
    assertEquals(report.repository.reason_code, "not-a-repository");
    assertEquals(report.record_dir.path, join(await Deno.realPath(sb.dir), ".runprov/runs"));
  }, { git: false });
});

Deno.test("doctor: without git on PATH it exits 4 saying so", async () => {
  await withSandbox(async (sb) => {
    const empty = join(sb.base, "empty-bin");
    await Deno.mkdir(empty);
    const r = await sb.runprov(["doctor"], { env: { PATH: empty } });
    assertEquals(r.code, 4, r.stdout + r.stderr);
    assertMatch(r.stdout, /^FAIL\s+git\s+git is not installed or not on PATH/m);
    assertMatch(r.stdout, /cannot work here \(exit 4\)/);
    const { report } = await doctorJson(sb, { PATH: empty });
    assertEquals(report.git.path, null);
    assertEquals(report.ok, false);
  });
});

Deno.test("doctor: a record directory below a regular file is exit 2", async () => {
  await withSandbox(async (sb) => {
    await Deno.writeTextFile(join(sb.dir, ".runprov"), "in the way\n");
    const r = await sb.runprov(["doctor"]);
    assertEquals(r.code, 2, r.stdout + r.stderr);
    assertMatch(r.stdout, /^FAIL\s+record dir\s+.*\.runprov exists and is not a directory/m);
  });
});

Deno.test("doctor: an invalid RUNPROV_GIT_TIMEOUT is exit 2", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["doctor"], { env: { RUNPROV_GIT_TIMEOUT: "soon" } });
    assertEquals(r.code, 2, r.stdout + r.stderr);
    assertMatch(r.stdout, /^FAIL\s+git timeout\s+invalid RUNPROV_GIT_TIMEOUT "soon"/m);
  });
});

Deno.test("doctor: -C points it at another directory; bad options are exit 2", async () => {
  await withSandbox(async (sb) => {
    const { code, report } = await doctorJson(sb, {}, sb.home);
    assertEquals(code, 0);
    assertEquals(report.repository.reason_code, "not-a-repository");
    const r = await sb.runprov(["-C", sb.dir, "doctor", "--json"], { cwd: sb.home });
    assertEquals(JSON.parse(r.stdout).repository.root, await Deno.realPath(sb.dir));
    const bad = await sb.runprov(["doctor", "--frobnicate"]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /doctor: unknown option --frobnicate/);
  });
});

Deno.test({
  ...skipUnless(
    NOT_ROOT,
    "doctor: a checkout owned by another user is exit 4 with the exact safe.directory fix",
  ),
  fn: async () => {
    await withSandbox(async (sb) => {
      const chown = await run("chown", ["-R", "4242:4242", sb.dir]);
      assertEquals(chown.code, 0, chown.stderr);
      const top = await Deno.realPath(sb.dir);
      const r = await sb.runprov(["doctor"]);
      assertEquals(r.code, 4, r.stdout + r.stderr);
      assertMatch(r.stdout, /^FAIL\s+safe\.directory\s+git refuses .*dubious ownership/m);
      const fix = `git config --global --add safe.directory ${top}`;
      assert(r.stdout.includes(`run: ${fix}\n`), r.stdout);
      assert(!/safe\.directory \*/.test(r.stdout));
      // Following the advice works: the same doctor is then content.
      await sb.gitIn(sb.home, "config", "--global", "--add", "safe.directory", top);
      const after = await doctorJson(sb);
      assertEquals(after.code, 0, JSON.stringify(after.report));
      assertEquals(after.report.safe_directory.status, "ok");
      assertMatch(after.report.safe_directory.detail, /owned by uid 4242/);
    });
  },
});

Deno.test("doctor: a configuration error is exit 2 with file:line:column, as for every command", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{\n  "policy": "strikt"\n}\n');
    const file = join(await Deno.realPath(sb.dir), "runprov.jsonc");
    const r = await sb.runprov(["doctor"]);
    assertEquals(r.code, 2, r.stdout + r.stderr);
    assert(
      r.stdout.includes(
        `FAIL  config          ${file}:2:13: "policy" is "strikt", expected one of`,
      ),
      r.stdout,
    );
    assertMatch(r.stdout, /cannot work here \(exit 2\)/);
    const check = await sb.runprov(["check"]);
    assertEquals(check.code, 2, "doctor agrees with the other commands");
    const { report } = await doctorJson(sb);
    assertEquals(report.config.status, "fail");
    assertMatch(report.config.problem!, /runprov\.jsonc:2:13: /);
    // A good file is named, and its record directory and time limit are the ones checked.
    await sb.write("runprov.jsonc", '{ "dir": "records", "git_timeout": 7 }');
    const ok = await doctorJson(sb);
    assertEquals(ok.code, 0, JSON.stringify(ok.report));
    assertEquals(ok.report.config.file, file);
    assertEquals(ok.report.record_dir.path, join(await Deno.realPath(sb.dir), "records"));
    assertEquals([ok.report.git_timeout.seconds, ok.report.git_timeout.source], [7, "config"]);
  });
});

Deno.test("doctor: with RUNPROV_FROM a missing git is information, not a failure", async () => {
  await withSandbox(async (sb) => {
    const record = join(sb.base, "provenance.json");
    const stamped = await sb.runprov(["stamp", "--run-id", "img", "--out", record]);
    assertEquals(stamped.code, 0, stamped.stderr);
    const empty = join(sb.base, "empty-bin");
    await Deno.mkdir(empty);
    const env = { PATH: empty, RUNPROV_FROM: record };
    const r = await sb.runprov(["doctor"], { env, cwd: sb.home });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(
      r.stdout,
      /^info\s+git\s+git is not installed or not on PATH; not needed: RUNPROV_FROM/m,
    );
    assertMatch(r.stdout, /^ok\s+RUNPROV_FROM\s+.*provenance\.json: run img, commit [0-9a-f]{12}/m);
    assertMatch(r.stdout, /runprov can work here\./);
    // What doctor promises holds: exec works there without git.
    const exec = await sb.runprov(["exec", "--", "/bin/sh", "-c", "exit 0"], { env, cwd: sb.home });
    assertEquals(exec.code, 0, exec.stderr);
    // An unreadable RUNPROV_FROM is exit 2 where git works, and git's absence is 4 again.
    const bad = { RUNPROV_FROM: join(sb.base, "missing.json") };
    const withGit = await sb.runprov(["doctor"], { env: bad });
    assertEquals(withGit.code, 2, withGit.stdout);
    assertMatch(
      withGit.stdout,
      /^FAIL\s+RUNPROV_FROM\s+cannot read the run record .*missing\.json/m,
    );
    const noGit = await sb.runprov(["doctor"], { env: { ...bad, PATH: empty } });
    assertEquals(noGit.code, 4, noGit.stdout);
  });
});

Deno.test({
  name: "doctor: the configuration of a repository git does not trust is not read",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await withSandbox(async (sb) => {
      await sb.write("runprov.jsonc", '{ "policy": "strikt" }');
      const chown = await run("chown", ["-R", "4242:4242", sb.dir]);
      assertEquals(chown.code, 0, chown.stderr);
      const { code, report } = await doctorJson(sb);
      assertEquals(code, 4, "dubious ownership");
      assertEquals(report.config.status, "info", "its (broken) file is never parsed");
      assertMatch(report.config.problem!, /not read: git does not trust the repository/);
    });
  },
});

// --- --version ------------------------------------------------------------------------------

Deno.test("--version: a stamped build commit wins over the source checkout's", async () => {
  const src = () => Promise.resolve("abc1234");
  assertEquals(
    await versionText({ sourceCommit: src }, "0123456789ab"),
    `runprov ${VERSION} (commit 0123456789ab)\n`,
  );
  assertEquals(
    await versionText({ sourceCommit: src }, null),
    `runprov ${VERSION} (commit abc1234)\n`,
  );
  assertEquals(await versionText({}, null), `runprov ${VERSION}\n`);
  const broken = () => Promise.reject(new Error("no git"));
  assertEquals(await versionText({ sourceCommit: broken }, null), `runprov ${VERSION}\n`);
});

Deno.test("--version: prints the version and the commit runprov was built or run from", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["--version"]);
    assertEquals(r.code, 0, r.stderr);
    if (Deno.env.get("RUNPROV_BIN")) {
      // A compiled binary carries the commit stamped by `deno task compile`.
      assertMatch(
        r.stdout,
        new RegExp(`^runprov ${VERSION} \\(commit [0-9a-f]{12}(-dirty)?\\)\\n$`),
      );
    } else {
      const head = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT });
      if (head.code !== 0) return; // not a git checkout: no commit to compare with
      assertEquals(r.stdout, `runprov ${VERSION} (commit ${head.stdout.trim()})\n`);
    }
  });
});
