/** The git seam: exact argv, the environment every git child gets, error classification. */
import { assert, assertEquals } from "./assert.ts";
import { Git } from "../lib/git/client.ts";
import {
  COMMIT_REF_FORMAT,
  parseCommitRefs,
  parseConfigZ,
  parseDescribeLong,
  parseLocation,
  parseTagRefs,
  TAG_FORMAT,
} from "../lib/git/parse.ts";
import { classify, gitEnv, GitError, type GitResult, type GitRunner } from "../lib/git/runner.ts";
import { captureGit } from "../lib/run/capture.ts";
import { withFakeGit } from "../testkit/fake_git.ts";

const enc = new TextEncoder();

/** A fake runner that answers by subcommand and records every call. */
function fake(answers: Record<string, Partial<GitResult> & { text?: string }>) {
  const calls: { args: readonly string[]; env: Record<string, string> }[] = [];
  const runner: GitRunner = (args, { env }) => {
    calls.push({ args, env });
    const sub = args[2];
    const a = answers[sub] ?? { code: 0, text: "" };
    return Promise.resolve({
      code: a.code ?? 0,
      stdout: a.stdout ?? enc.encode(a.text ?? ""),
      stderr: a.stderr ?? "",
    });
  };
  return { runner, calls };
}

const HEAD = "1d677bcfed910adffefee3702f31c1afa9ef173b";

Deno.test("git: a capture runs exactly rev-parse, config, describe and status", async () => {
  const { runner, calls } = fake({
    "rev-parse": { text: "/r\n/r/.git\n/r/.git\nfalse\nrun/a\nv1.0\n" },
    status: {
      text: `# branch.oid ${HEAD}\0# branch.head main\0# branch.upstream origin/main\0` +
        `# branch.ab +0 -0\0`,
    },
    describe: { text: "v1.0-0-g1d677bc\n" },
    config: {
      text: "remote.origin.url\nhttps://u:tok@h/x.git\0branch.main.remote\norigin\0",
    },
  });
  const git = new Git({ cwd: "/r", env: { PATH: "/bin" }, runner });
  const facts = await captureGit(git, { readTextFile: () => Promise.resolve(null) });
  // What matters of each call, not its exact spelling: which command, and the flags that make
  // its output machine-readable and keep repository config from running programs.
  assertEquals(calls.map((c) => c.args.find((a) => !a.startsWith("-") && !a.includes("="))), [
    "rev-parse",
    "config",
    "describe",
    "status",
  ]);
  for (const { args } of calls) {
    const i = args.indexOf("core.fsmonitor=false");
    assert(i > 0 && args[i - 1] === "-c", `${args.join(" ")}: fsmonitor off`);
  }
  const [revParse, config, describe, status] = calls.map((c) => c.args);
  assert(revParse.includes("--show-toplevel") && revParse.includes("--absolute-git-dir"));
  assert(config.includes("-z"), "config output NUL-separated");
  const keys = new RegExp(config.at(-1)!);
  for (
    const k of ["remote.origin.url", "remote.up.pushurl", "branch.main.merge", "filter.x.smudge"]
  ) {
    assert(keys.test(k), `config reads ${k}`);
  }
  for (const k of ["core.fsmonitor", "user.name", "remote.origin.fetch", "alias.st"]) {
    assert(!keys.test(k), `config does not read ${k}`);
  }
  assert(describe.includes("--tags") && describe.includes("--long"));
  assertEquals(describe[describe.indexOf("--exclude") + 1], "run/*", "run tags never describe");
  for (const flag of ["--porcelain=v2", "--branch", "-z", "--show-stash"]) {
    assert(status.includes(flag), `status ${flag}`);
  }
  assertEquals(facts.sha, HEAD);
  assertEquals(facts.sha_short, "1d677bc");
  assertEquals(facts.describe, "v1.0", "at a tag, describe is the tag alone");
  assertEquals(facts.remote_url, "https://h/x.git");
  assertEquals(facts.pushed, true, "read off the upstream, no extra git call");
});

Deno.test("git: with only run tags, describe is skipped for rev-parse --short", async () => {
  const { runner, calls } = fake({
    status: { text: `# branch.oid ${HEAD}\0# branch.head main\0` },
    config: { code: 1 },
  });
  const answers = (args: readonly string[]) =>
    args[3] === "--short" ? "1d677bc\n" : "/r\n/r/.git\n/r/.git\nfalse\nrun/a\n";
  const git = new Git({
    cwd: "/r",
    env: {},
    runner: (args, o) =>
      args[2] === "rev-parse"
        ? (calls.push({ args, env: o.env }),
          Promise.resolve({ code: 0, stdout: enc.encode(answers(args)), stderr: "" }))
        : runner(args, o),
  });
  const facts = await captureGit(git, { readTextFile: () => Promise.resolve(null) });
  assertEquals(calls.map((c) => c.args[2]), ["rev-parse", "config", "rev-parse", "status"]);
  assertEquals(facts.describe, "1d677bc");
  assertEquals(facts.sha_short, "1d677bc");
});

Deno.test("git: describe --long output is split into describe and abbreviation", () => {
  assertEquals(parseDescribeLong("v1.0-0-gabc1234"), { describe: "v1.0", abbrev: "abc1234" });
  assertEquals(parseDescribeLong("v1.0-3-gabc1234"), {
    describe: "v1.0-3-gabc1234",
    abbrev: "abc1234",
  });
  assertEquals(parseDescribeLong("my-2-gx-0-gabc1234"), {
    describe: "my-2-gx",
    abbrev: "abc1234",
  });
  assertEquals(parseDescribeLong("abc1234"), { describe: "abc1234", abbrev: "abc1234" });
});

Deno.test("git: every child gets no optional locks, C locale, no prompts, no GIT_DIR", () => {
  const env = gitEnv({
    PATH: "/bin",
    HOME: "/h",
    GIT_DIR: "/elsewhere/.git",
    GIT_WORK_TREE: "/elsewhere",
    GIT_INDEX_FILE: "/elsewhere/.git/index",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "core.fsmonitor",
    GIT_CONFIG_VALUE_0: "/bin/evil",
    LANGUAGE: "de",
    LC_ALL: "de_DE.UTF-8",
    GIT_SSH_COMMAND: "ssh -i key",
  });
  assertEquals(env, {
    PATH: "/bin",
    HOME: "/h",
    LC_ALL: "C",
    GIT_SSH_COMMAND: "ssh -i key",
    GIT_OPTIONAL_LOCKS: "0",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ADVICE: "0",
    GIT_PAGER: "cat",
    GIT_NO_LAZY_FETCH: "1",
  });
});

Deno.test("git: failures are classified from git's (LC_ALL=C) messages", () => {
  assertEquals(
    classify("fatal: detected dubious ownership in repository at '/x'\n"),
    "dubious-ownership",
  );
  assertEquals(
    classify("fatal: not a git repository (or any of the parent directories): .git\n"),
    "not-a-repository",
  );
  assertEquals(classify("fatal: this operation must be run in a work tree\n"), "not-a-work-tree");
  assertEquals(classify("fatal: bad object HEAD\n"), "corrupt-head");
  assertEquals(classify("fatal: something else\n"), "git-failed");
});

Deno.test("git: a failing call rejects with GitError carrying argv, code and stderr", async () => {
  const { runner } = fake({
    describe: { code: 128, stderr: "fatal: not a git repository (or any parent)\n" },
  });
  const git = new Git({ cwd: "/", env: {}, runner });
  try {
    await git.describeLong("HEAD", ["run/*"]);
    assert(false);
  } catch (e) {
    assert(e instanceof GitError);
    assertEquals(e.code, 128);
    assertEquals(e.failure, "not-a-repository");
    assertEquals(e.args.slice(2, 3), ["describe"]);
    assert(e.message.includes("fatal: not a git repository"));
  }
});

Deno.test("git: a git that hangs is killed at the deadline with a timeout failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withFakeGit(dir, { hangSeconds: 30 }, async (fake) => {
      const git = new Git({ cwd: dir, env: { PATH: fake.path(undefined) }, timeoutMs: 200 });
      const started = Date.now();
      try {
        await git.version();
        assert(false, "expected a timeout");
      } catch (e) {
        assert(e instanceof GitError);
        assertEquals(e.failure, "timeout");
        assert(Date.now() - started < 5000);
      }
      const calls = await fake.calls();
      assert(calls.length === 1 && calls[0].endsWith("--version"), calls.join("\n"));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("git: config -z parsing keeps remote names' case and the first url", () => {
  const cfg = parseConfigZ(
    "remote.Up.url\nssh://a\0remote.Up.url\nssh://b\0remote.o.pushurl\np\0branch.f/x.remote\nUp\0" +
      "branch.f/x.merge\nrefs/heads/x\0",
  );
  assertEquals(cfg.remotes.get("Up"), { url: "ssh://a" });
  assertEquals(cfg.remotes.get("o"), { pushurl: "p" });
  assertEquals(cfg.branches.get("f/x"), { remote: "Up", merge: "refs/heads/x" });
});

Deno.test("git: repository paths holding newlines are read one way only, or refused", () => {
  const res = (out: string): GitResult => ({ code: 0, stdout: enc.encode(out), stderr: "" });
  // The usual case, and git for Windows' drive paths, read line by line.
  assertEquals(
    parseLocation(res("/r\n/r/.git\n/r/.git\nfalse\nv1\n"), "/r/sub").where.root,
    "/r",
  );
  assertEquals(
    parseLocation(res("C:/r\nC:/r/.git\nC:/r/.git\ntrue\n"), null).where,
    {
      root: "C:/r",
      gitDir: "C:/r/.git",
      commonDir: "C:/r/.git",
      shallow: true,
      linkedWorktree: false,
    },
  );
  // `/x/a\nb`: the top is what the real directory is in, not `/x/a`.
  const nl = parseLocation(res("/x/a\nb\n/x/a\nb/.git\n/x/a\nb/.git\nfalse\nrun/t\n"), "/x/a\nb/s");
  assertEquals(nl.where.root, "/x/a\nb");
  assertEquals(nl.where.gitDir, "/x/a\nb/.git");
  assertEquals(nl.rest, ["run/t", ""]);
  // Lines that look right by shape alone (`/p`, `/q`, `/r`, `false`) but are one path.
  const sly = "/p\n/q\n/r\nfalse";
  const tricky = parseLocation(res(`${sly}\n${sly}/.git\n${sly}/.git\ntrue\n`), sly);
  assertEquals([tricky.where.root, tricky.where.shallow], [sly, true]);
  // A linked worktree whose common directory holds a newline.
  const wt = parseLocation(
    res("/w\n/m\nn/.git/worktrees/w\n/m\nn/.git\nfalse\n"),
    "/w",
  );
  assertEquals([wt.where.commonDir, wt.where.linkedWorktree], ["/m\nn/.git", true]);
  // No reading fits: refused, never guessed.
  for (const [out, real] of [["/x/a\nb\n/y\n/z\nfalse\n", "/elsewhere"], ["/a\nb\nc\nd\n", null]]) {
    try {
      parseLocation(res(out!), real);
      assert(false, `accepted ${JSON.stringify(out)}`);
    } catch (e) {
      assert(e instanceof GitError, String(e));
      assertEquals(e.failure, "git-failed");
    }
  }
});

/** `git <args>` in `dir` for setting up a test repository; throws on failure. */
async function gitIn(dir: string, ...args: string[]): Promise<void> {
  const env = {
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
  };
  const out = await new Deno.Command("git", { args, cwd: dir, env, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

Deno.test("git: a fresh client's first diff never runs the repository's filter program", async () => {
  const base = await Deno.makeTempDir({ prefix: "runprov-canary-" });
  try {
    const dir = `${base}/repo`;
    const canary = `${base}/canary`;
    await Deno.mkdir(dir);
    await gitIn(dir, "init", "-q", "-b", "main");
    await Deno.writeTextFile(`${dir}/a.txt`, "one\n");
    await gitIn(dir, "add", "a.txt");
    await gitIn(dir, "commit", "-q", "-m", "one");
    // Set after the commit: from now on, reading a.txt from the worktree runs the filter.
    await Deno.writeTextFile(`${dir}/.git/info/attributes`, "* filter=canary\n");
    await gitIn(dir, "config", "filter.canary.clean", `touch '${canary}'; cat`);
    await Deno.writeTextFile(`${dir}/a.txt`, "two\n");
    const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", GIT_CONFIG_GLOBAL: "/dev/null" };
    const chunks: string[] = [];
    await new Git({ cwd: dir, env }).diffPatch("HEAD", (c) => {
      chunks.push(new TextDecoder().decode(c));
      return true;
    });
    assert(chunks.join("").includes("+two"), chunks.join(""));
    const ran = await Deno.stat(canary).then(() => true, () => false);
    assertEquals(ran, false, "the repository's clean filter ran");
    // The same repository with a plain git runs the filter: the test can see it.
    await gitIn(dir, "diff-index", "-p", "HEAD", "--");
    assert(await Deno.stat(canary).then(() => true, () => false), "canary filter never ran");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("git: a client with another time limit shares the call log and asks config once", async () => {
  const seen: { sub: string; timeoutMs: number }[] = [];
  const runner: GitRunner = (args, { timeoutMs }) => {
    seen.push({ sub: args[2], timeoutMs });
    return Promise.resolve({
      code: args[2] === "config" ? 1 : 0,
      stdout: enc.encode(""),
      stderr: "",
    });
  };
  const git = new Git({ cwd: "/r", env: {}, runner, timeoutMs: 1000 });
  await git.status();
  const slower = git.withTimeout(5000);
  await slower.diffPatch("HEAD", () => true);
  assertEquals(seen, [
    { sub: "config", timeoutMs: 1000 },
    { sub: "status", timeoutMs: 1000 },
    { sub: "diff-index", timeoutMs: 5000 },
  ]);
  assertEquals(slower.calls, git.calls);
  assertEquals([git.timeoutMs, slower.timeoutMs], [1000, 5000]);
});

Deno.test("git: for-each-ref formats of commit refs and tags, and their records read back", () => {
  assertEquals(
    COMMIT_REF_FORMAT,
    "%(refname)%00%(objecttype)%00%(objectname)%00%(tree)%00%(parent)%00%(contents)%00",
  );
  assertEquals(
    TAG_FORMAT,
    "%(refname)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)%00%(contents)%00",
  );
  const commits = "refs/s/a\0commit\0c1\0t1\0p1 p2\0msg\nbody\n\0\n" +
    "refs/s/b\0tag\0o2\0\0\0x\0\n" + "refs/s/c\0commit\0c3\0t3\0\0\0\n";
  assertEquals(parseCommitRefs(commits), [
    { ref: "refs/s/a", commit: "c1", tree: "t1", parents: ["p1", "p2"], message: "msg\nbody\n" },
    { ref: "refs/s/c", commit: "c3", tree: "t3", parents: [], message: "" },
  ]);
  assertEquals(parseCommitRefs("refs/s/a\0commit\0c1\n"), []);
  const tags = "refs/runprov/tags/run/x\0tag\0o1\0c1\0" + "2026-01-01T00:00:00+00:00\0m\n\0\n" +
    "refs/tags/v1\0commit\0c2\0\0" + "2026-01-02T00:00:00+00:00\0subject\n\0\n";
  assertEquals(parseTagRefs(tags).map((t) => [t.name, t.type, t.commit, t.message]), [
    ["run/x", "tag", "c1", "m\n"],
    ["v1", "commit", "c2", ""],
  ]);
});
