/**
 * Run tags and a team's version numbers: config `tag.refs: "runprov"` keeps milestone tags
 * out of refs/tags (so `git describe`, setuptools-scm and friends keep naming releases),
 * every tag command works with both settings, doctor names the problem and its fix, and
 * runprov's own describe skips run tags made under any earlier prefix.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";
import type { DoctorReport } from "../lib/commands/doctor.ts";
import { DEFAULT_TAG_SETTINGS, runTagPattern, shownTag, tagRef } from "../lib/tag/names.ts";
import { describeVersioning, runTagAdvice } from "../lib/tag/versioning.ts";
import { describeSkippingRunTags, isReleaseTag } from "../lib/tag/describe.ts";
import { Git } from "../lib/git/client.ts";
import type { GitRunner } from "../lib/git/runner.ts";

// --- pure parts ------------------------------------------------------------------------------

Deno.test("tag refs: names under each namespace, and how they are shown", () => {
  assertEquals(tagRef(DEFAULT_TAG_SETTINGS, "m1"), "refs/tags/run/m1");
  assertEquals(
    tagRef({ ...DEFAULT_TAG_SETTINGS, refs: "runprov" }, "m1"),
    "refs/runprov/tags/run/m1",
  );
  assertEquals(shownTag("refs/tags/run/m1"), "run/m1");
  assertEquals(shownTag("refs/runprov/tags/run/m1"), "refs/runprov/tags/run/m1");
  assertEquals(runTagPattern("run/m1", "m1"), "run/*");
  assertEquals(runTagPattern("exp-m1", "m1"), "exp-*");
  assertEquals(runTagPattern("weird", "m1"), "weird", "a name without its id: only itself");
});

Deno.test("versioning: setuptools-scm, hatch-vcs, versioneer and dunamai are recognised", () => {
  const v = (files: Record<string, string>) => describeVersioning(files)?.tool ?? null;
  assertEquals(
    v({ "pyproject.toml": "[project]\nname = 'x'\n\n[tool.setuptools_scm]\n" }),
    "setuptools-scm",
  );
  assertEquals(
    v({ "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n' }),
    "setuptools-scm",
  );
  assertEquals(
    v({ "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n' }),
    "hatch-vcs",
  );
  assertEquals(v({ "pyproject.toml": '[tool.hatch.version]\nsource = "vcs"\n' }), "hatch-vcs");
  assertEquals(v({ "pyproject.toml": "[tool.versioneer]\nVCS = 'git'\n" }), "versioneer");
  assertEquals(
    v({ "pyproject.toml": "[tool.poetry-dynamic-versioning]\nenable = true\n" }),
    "dunamai",
  );
  assertEquals(v({ "setup.cfg": "[versioneer]\nVCS = git\n" }), "versioneer");
  assertEquals(
    v({ "setup.cfg": "[options]\nsetup_requires = setuptools_scm\n" }),
    "setuptools-scm",
  );
  assertEquals(v({ "setup.py": "setup(name='x', use_scm_version=True)\n" }), "setuptools-scm");
  assertEquals(v({ "pyproject.toml": "[project]\nversion = '1.0'\n" }), null);
  assertEquals(v({ "pyproject.toml": '[tool.hatch.version]\npath = "v.py"\n' }), null);
  assertEquals(describeVersioning({ "pyproject.toml": "\n\n[tool.setuptools_scm]\nx=1\n" }), {
    tool: "setuptools-scm",
    file: "pyproject.toml",
    evidence: "[tool.setuptools_scm]",
  });
});

Deno.test("doctor advice: warn only with describe-based versioning; the fix names tag.refs", () => {
  const v = describeVersioning({ "pyproject.toml": "[tool.setuptools_scm]\n" });
  const warn = runTagAdvice({ refs: "tags", count: 2, versioning: v, remote: "origin" });
  assertEquals(warn.status, "warn");
  assertMatch(
    warn.detail,
    /^2 run tags are under refs\/tags, and pyproject\.toml takes the version/,
  );
  assertMatch(warn.fix[0].step, /"tag": \{ "refs": "runprov" \}/);
  assertMatch(warn.fix[1].run!, /git update-ref "refs\/runprov\/tags\/\$\{ref#refs\/tags\/\}"/);
  assertMatch(
    warn.fix[2].run!,
    /^git push origin 'refs\/runprov\/tags\/\*:refs\/runprov\/tags\/\*'/,
  );
  const already = runTagAdvice({ refs: "runprov", count: 1, versioning: v, remote: "up" });
  assertEquals(already.status, "warn", "old run tags still in refs/tags");
  assertEquals(already.fix.length, 2, "no config step when tag.refs is runprov already");
  assertEquals(
    runTagAdvice({ refs: "tags", count: 3, versioning: null, remote: "o" }).status,
    "info",
  );
  assertEquals(runTagAdvice({ refs: "tags", count: 0, versioning: v, remote: "o" }).status, "ok");
});

Deno.test("describe: a run tag of another prefix is excluded with its siblings; releases cost nothing", async () => {
  const calls: string[][] = [];
  const tagRecord = (ref: string, msg: string) =>
    `${ref}\0tag\0${"1".repeat(40)}\0${"2".repeat(40)}\0` + `2026-01-01T00:00:00+00:00\0${msg}\0\n`;
  const runner: GitRunner = (args) => {
    calls.push([...args]);
    const sub = args[2];
    let out = "";
    if (sub === "describe") {
      out = args.includes("old-*")
        ? args.includes("nightly*") ? "v1.0-3-gabc1234" : "nightly-1-gabc1234"
        : "old-c1-2-gabc1234";
    } else if (sub === "for-each-ref") {
      const ref = args[args.length - 1];
      out = ref === "refs/tags/old-c1"
        ? tagRecord(ref, "runprov run c1\n\nRunprov-Run: c1\n")
        : tagRecord(ref, "nightly\n");
    }
    return Promise.resolve({ code: 0, stdout: new TextEncoder().encode(out + "\n"), stderr: "" });
  };
  const git = new Git({ cwd: "/r", env: {}, runner });
  const d = await describeSkippingRunTags(git, "HEAD", "exp-");
  assertEquals(d, { describe: "nightly-1-gabc1234", abbrev: "abc1234" }, "nightly has no trailer");
  const describes = calls.filter((c) => c[2] === "describe").map((c) =>
    c.filter((_, i) => c[i - 1] === "--exclude")
  );
  assertEquals(describes, [["exp-*", "run/*"], ["exp-*", "run/*", "old-*"]]);
  assertEquals(calls.filter((c) => c[2] === "for-each-ref").map((c) => c[c.length - 1]), [
    "refs/tags/old-c1",
    "refs/tags/nightly",
  ]);
  assert(isReleaseTag("v1.2.0") && isReleaseTag("2.0.1") && isReleaseTag("V3.1-rc1"));
  assert(!isReleaseTag("exp-4242.1") && !isReleaseTag("run/1.2") && !isReleaseTag("nightly"));
});

// --- real repositories -----------------------------------------------------------------------

/** A python3 that has the real setuptools-scm (Debian: python3-setuptools-scm), or null. */
async function findSetuptoolsScm(): Promise<string | null> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      const r = await run(py, ["-c", "import setuptools_scm"]);
      if (r.code === 0) return py;
    } catch { /* not installed */ }
  }
  return null;
}
const PYTHON = await findSetuptoolsScm();
const NO_SCM = "setuptools-scm not found (apt-get install python3-setuptools-scm)";
if (PYTHON === null) console.log(`tag_refs_test: skipping the setuptools-scm tests: ${NO_SCM}`);

const PYPROJECT = `[build-system]
requires = ["setuptools>=45", "setuptools_scm"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
dynamic = ["version"]

[tool.setuptools_scm]
`;

/** A released project: pyproject.toml with setuptools-scm, tag v1.2.0, optional config. */
async function releasedProject(sb: Sandbox, config?: unknown): Promise<void> {
  await sb.write("pyproject.toml", PYPROJECT);
  if (config !== undefined) await sb.write("runprov.jsonc", JSON.stringify(config));
  await sb.git("add", "-A");
  await sb.git("commit", "-q", "-m", "project");
  await sb.git("tag", "-a", "v1.2.0", "-m", "release 1.2.0");
}

/** One more commit after the run. */
async function moreWork(sb: Sandbox): Promise<void> {
  await sb.write("more.txt", "after the run\n");
  await sb.git("add", "more.txt");
  await sb.git("commit", "-q", "-m", "more work");
}

async function scmVersion(sb: Sandbox): Promise<{ code: number; version: string }> {
  const r = await run(PYTHON!, ["-m", "setuptools_scm"], { cwd: sb.dir, env: sb.env });
  return { code: r.code, version: r.stdout.trim() };
}

const refExists = async (sb: Sandbox, ref: string) =>
  (await run("git", ["rev-parse", "-q", "--verify", ref], { cwd: sb.dir, env: sb.env })).code === 0;

Deno.test({
  name: 'tag.refs "runprov": setuptools-scm and git describe still name the release',
  ignore: PYTHON === null,
  fn: async () => {
    await withSandbox(async (sb) => {
      await releasedProject(sb, { tag: { refs: "runprov" } });
      const r = await sb.runprov(["exec", "--run-id", "m1", "--tag", "--", "true"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /created tag refs\/runprov\/tags\/run\/m1 on [0-9a-f]{12}/);
      await moreWork(sb);
      assert(await refExists(sb, "refs/runprov/tags/run/m1"));
      assert(!(await refExists(sb, "refs/tags/run/m1")), "nothing under refs/tags");
      const scm = await scmVersion(sb);
      assertEquals(scm.code, 0);
      assertMatch(scm.version, /^1\.2\.\d+/, "setuptools-scm versions from v1.2.0");
      assertMatch(await sb.git("describe", "--tags"), /^v1\.2\.0-1-g[0-9a-f]+\n$/);
      assertMatch(await sb.git("describe"), /^v1\.2\.0-1-g[0-9a-f]+\n$/);
    });
  },
});

Deno.test({
  name: "default tag.refs: doctor names the version problem and its fix, and the fix works",
  ignore: PYTHON === null,
  fn: async () => {
    await withSandbox(async (sb) => {
      await releasedProject(sb);
      const r = await sb.runprov(["exec", "--run-id", "m1", "--tag", "--", "true"]);
      assertEquals(r.code, 0, r.stderr);
      await moreWork(sb);
      // The problem of issue 12: the run tag becomes the version base.
      assertMatch(await sb.git("describe", "--tags"), /^run\/m1-1-g/);
      assert(!/^1\.2\./.test((await scmVersion(sb)).version), "setuptools-scm is misled");

      const text = await sb.runprov(["doctor"]);
      assertEquals(text.code, 0, "a warning, not a failure");
      assertMatch(
        text.stdout,
        /^warn\s+run tags\s+1 run tag is under refs\/tags, and pyproject\.toml takes the version from git describe \(setuptools-scm: \[tool\.setuptools_scm\]\)/m,
      );
      assertMatch(text.stdout, /fix 1\. .*in runprov\.jsonc set "tag": \{ "refs": "runprov" \}/);
      const report = JSON.parse((await sb.runprov(["doctor", "--json"])).stdout) as DoctorReport;
      assertEquals(report.run_tags.in_refs_tags, 1);
      assertEquals(report.run_tags.versioning?.tool, "setuptools-scm");

      // Doing exactly what doctor says fixes the version, and runprov still knows the run.
      await sb.write("runprov.jsonc", '{ "tag": { "refs": "runprov" } }');
      const move = await run("sh", ["-c", report.run_tags.fix[1].run!], {
        cwd: sb.dir,
        env: sb.env,
      });
      assertEquals(move.code, 0, move.stderr);
      assert(await refExists(sb, "refs/runprov/tags/run/m1"));
      assert(!(await refExists(sb, "refs/tags/run/m1")));
      assertMatch((await scmVersion(sb)).version, /^1\.2\.\d+/);
      assertMatch(await sb.git("describe", "--tags"), /^v1\.2\.0-1-g/);
      const after = JSON.parse((await sb.runprov(["doctor", "--json"])).stdout) as DoctorReport;
      assertEquals([after.run_tags.status, after.run_tags.in_refs_tags], ["ok", 0]);
      await Deno.remove(join(sb.dir, ".runprov/runs/m1.json"));
      const show = await sb.runprov(["show", "m1"]);
      assertEquals(show.code, 0, show.stderr);
      assertMatch(show.stdout, /^tag\s+refs\/runprov\/tags\/run\/m1\n/);
    });
  },
});

Deno.test('tag.refs "runprov": tag, runs, show, verify and tag --push work under refs/runprov/tags', async () => {
  await withSandbox(async (sb) => {
    const remote = join(sb.base, "remote.git");
    await sb.gitIn(sb.base, "init", "-q", "--bare", remote);
    await sb.git("remote", "add", "origin", remote);
    await sb.write("runprov.jsonc", '{ "tag": { "refs": "runprov" } }');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-q", "-m", "config");
    await sb.git("tag", "-a", "v1.2.0", "-m", "release");
    await sb.git("push", "-q", "origin", "main", "v1.2.0");
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    assertEquals((await sb.runprov(["-q", "stamp", "--run-id", "m1"])).code, 0);

    const tagged = await sb.runprov(["tag", "--run", "m1", "--push"]);
    assertEquals(tagged.code, 0, tagged.stderr);
    assertEquals(tagged.stdout, "refs/runprov/tags/run/m1\n");
    assertMatch(tagged.stderr, /pushed refs\/runprov\/tags\/run\/m1 to origin/);
    const onRemote = await sb.gitIn(
      sb.base,
      "--git-dir",
      remote,
      "for-each-ref",
      "--format=%(refname)",
    );
    assertEquals(onRemote.trim().split("\n").sort(), [
      "refs/heads/main",
      "refs/runprov/tags/run/m1",
      "refs/tags/v1.2.0",
    ]);
    // A plain clone never fetches it; its describe names the release.
    const clone = join(sb.base, "clone");
    await sb.gitIn(sb.base, "clone", "-q", "-b", "main", remote, clone);
    assertEquals(
      (await sb.gitIn(clone, "for-each-ref", "--format=%(refname)", "refs/tags/", "refs/runprov/"))
        .trim(),
      "refs/tags/v1.2.0",
    );
    assertEquals((await sb.gitIn(clone, "describe", "--tags")).trim(), "v1.2.0");

    // Idempotent; a conflict names how to delete this kind of ref.
    const again = await sb.runprov(["tag", "--run", "m1"]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stderr, /tag refs\/runprov\/tags\/run\/m1 is already on/);
    await sb.write("x.txt", "x\n");
    await sb.git("add", "x.txt");
    await sb.git("commit", "-q", "-m", "x");
    const other = await sb.runprov(["tag", "--run", "m2", "--commit", "HEAD~1"]);
    assertEquals(other.code, 0, other.stderr);
    const clash = await sb.runprov(["tag", "--run", "m2", "--commit", "HEAD"]);
    assertEquals(clash.code, 5, clash.stderr);
    assertMatch(clash.stderr, /git update-ref -d refs\/runprov\/tags\/run\/m2/);

    const runs = JSON.parse((await sb.runprov(["runs", "--json"])).stdout) as {
      id: string;
      tag: string | null;
      status: string;
    }[];
    assertEquals(runs.map((e) => [e.id, e.tag]).sort(), [
      ["m1", "refs/runprov/tags/run/m1"],
      ["m2", "refs/runprov/tags/run/m2"],
    ]);
    await Deno.remove(join(sb.dir, ".runprov/runs/m1.json"));
    const show = await sb.runprov(["show", "m1", "--json"]);
    assertEquals(show.code, 0, show.stderr);
    assertEquals(JSON.parse(show.stdout).commit, head);
    await sb.git("checkout", "-q", head);
    const verify = await sb.runprov(["verify", "m1"]);
    assertEquals(verify.code, 0, verify.stderr);
  });
});

Deno.test('tag.refs "runprov": a signed run tag is refused before anything runs', async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "tag": { "refs": "runprov" } }');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-q", "-m", "config");
    const tag = await sb.runprov(["tag", "--run", "s1", "--commit", "HEAD", "--sign"]);
    assertEquals(tag.code, 2, tag.stderr);
    assertMatch(tag.stderr, /cannot sign run tags kept under refs\/runprov\/tags/);
    const marker = join(sb.base, "ran");
    const exec = await sb.runprov(["exec", "--tag", "--sign", "--", "touch", marker]);
    assertEquals(exec.code, 2, exec.stderr);
    assert(!(await Deno.lstat(marker).then(() => true, () => false)), "the command never ran");
    assertEquals((await sb.git("for-each-ref", "refs/tags/", "refs/runprov/")).trim(), "");
  });
});

Deno.test("runprov's describe skips run tags made under an earlier tag.prefix", async () => {
  await withSandbox(async (sb) => {
    await sb.git("tag", "-a", "v1.2.0", "-m", "release");
    await sb.write("a.txt", "a\n");
    await sb.git("add", "a.txt");
    await sb.git("commit", "-q", "-m", "a");
    const base = (await sb.git("describe", "--tags")).trim();
    assertMatch(base, /^v1\.2\.0-1-g/);
    // Run tags under the default prefix, then under a custom one, both on HEAD.
    assertEquals((await sb.runprov(["tag", "--run", "d1", "--commit", "HEAD"])).code, 0);
    await sb.write("runprov.jsonc", '{ "tag": { "prefix": "old-" } }');
    assertEquals((await sb.runprov(["tag", "--run", "c1", "--commit", "HEAD"])).code, 0);
    await sb.write("runprov.jsonc", '{ "tag": { "prefix": "exp-" } }');
    await sb.write(".git/info/exclude", "runprov.jsonc\n");
    const rec = JSON.parse((await sb.runprov(["stamp", "--out", "-"])).stdout);
    assertEquals(rec.git.describe, base, "neither run/d1 nor old-c1");
    // The describe written into a new tag's message skips them too.
    assertEquals((await sb.runprov(["tag", "--run", "n1", "--commit", "HEAD"])).code, 0);
    const show = JSON.parse((await sb.runprov(["show", "n1", "--json"])).stdout);
    assertEquals(show.trailers.describe, base);
    // A tag without the Runprov-Run trailer is a base, however it is named.
    await sb.git("tag", "-a", "nightly-7", "-m", "nightly build");
    const rec2 = JSON.parse((await sb.runprov(["stamp", "--out", "-"])).stdout);
    assertEquals(rec2.git.describe, "nightly-7");
  });
});
