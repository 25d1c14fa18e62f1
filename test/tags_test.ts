/** Run tags and run history, the pure parts: ref rules, messages, push output, merging, verify. */
import { configWith } from "../testkit/config.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./assert.ts";
import { run } from "./helpers.ts";
import {
  checkTagRunId,
  DEFAULT_TAG_SETTINGS,
  parseTrailers,
  refNameProblem,
  resolveTagSettings,
  subjectFromTrailers,
  tagMessage,
  type TagSubject,
} from "../lib/tag/names.ts";
import { Git } from "../lib/git/client.ts";
import { parsePushPorcelain, parseTagRefs, tagExistsError } from "../lib/git/parse.ts";
import type { GitRunner } from "../lib/git/runner.ts";
import { type StoredRecord } from "../lib/run/store.ts";
import { mergeRuns, shownStatus } from "../lib/run/history.ts";
import { compareCode } from "../lib/run/verify.ts";
import { splitPush } from "../lib/cli/args.ts";
import type { RunRecord } from "../lib/run/record.ts";

// git's t/t1402-check-ref-format.sh vectors (plus git-facts.md section 6).
const VALID = [
  "foo./bar",
  "heads/foo@bar",
  "heads/fu\u00df",
  "refs/tags/run/-dash",
  "refs/tags/run/\u00fcmlaut",
  "refs/tags/run/exp.1_a-b",
  "heads/foo",
];
const INVALID = [
  "heads/foo/",
  "./foo",
  "foo/./bar",
  "refs/heads/foo.",
  "foo.lock/bar",
  "heads/v@{ation",
  "heads/foo\tbar",
  "heads/foo\x7f",
  "heads/foo?bar",
  "heads/foo\\bar",
  "refs///heads/foo",
  "refs/tags/run/2024-01-01T12:00:00Z",
  "refs/tags/run/my run",
  "refs/tags/run/x.lock",
  "refs/tags/run/a..b",
  "refs/tags/run/a~1",
  "refs/tags/run/a^",
  "refs/tags/run/a*",
  "refs/tags/run/[a",
  "@",
  "/heads/foo",
];

Deno.test("ref names: runprov's rules agree with git check-ref-format on t1402's vectors", async () => {
  for (const ref of [...VALID, ...INVALID]) {
    const git = await run("git", ["check-ref-format", ref]);
    const ours = refNameProblem(ref);
    assertEquals(ours === null, git.code === 0, `${JSON.stringify(ref)}: ours=${ours}`);
  }
  for (const ref of VALID) assertEquals(refNameProblem(ref), null, ref);
  for (const ref of INVALID) assert(refNameProblem(ref) !== null, ref);
});

Deno.test("tag run ids: run-id rules and git's ref rules both apply", () => {
  const s = DEFAULT_TAG_SETTINGS;
  for (const ok of ["exp-1", "k3x9q0ab", "A.b_c-9", "x".repeat(128)]) {
    assertEquals(checkTagRunId(ok, s), ok);
  }
  for (
    const bad of ["", "-dash", ".hidden", "a..b", "x.lock", "a.", "my run", "a:b", "a/b", "a@{1"]
  ) {
    assertThrows(() => checkTagRunId(bad, s), /invalid run id/, bad);
  }
});

Deno.test("tag settings: defaults, config overrides, and an invalid prefix is a usage error", () => {
  assertEquals(resolveTagSettings(), {
    prefix: "run/",
    remote: "origin",
    push: false,
    sign: false,
    refs: "tags",
    dir: ".runprov/runs",
  });
  assertEquals(DEFAULT_TAG_SETTINGS, resolveTagSettings());
  assertEquals(resolveTagSettings(configWith({ tag: { refs: "runprov" } })).refs, "runprov");
  const s = resolveTagSettings(
    configWith({ dir: "runs", tag: { prefix: "ml/", push: true, remote: "up" } }),
  );
  assertEquals([s.prefix, s.dir, s.push, s.remote, s.sign], [
    "ml/",
    "runs",
    true,
    "up",
    false,
  ]);
  assertThrows(
    () => resolveTagSettings(configWith({ tag: { prefix: "bad prefix/" } })),
    /tag.prefix/,
  );
});

const SUBJECT: TagSubject = {
  runId: "exp-1",
  sha: "1d677bcfed910adffefee3702f31c1afa9ef173b",
  name: "base\nline two",
  describe: "v1.0-2-g1d677bc-dirty",
  dirty: true,
  patchSha256: "ab".repeat(32),
  createdAt: "2026-01-01T00:00:00.000Z",
  recordSha256: "cd".repeat(32),
  source: "record",
};

Deno.test("tag message: title, URL, one-line trailers that parse back", () => {
  const msg = tagMessage(SUBJECT, {
    url: "https://wandb.ai/o/p/runs/exp-1",
    now: new Date("2026-02-02T00:00:00Z"),
  });
  const lines = msg.split("\n");
  assertEquals(lines[0], "runprov run base line two (exp-1)");
  assertEquals(lines[2], "https://wandb.ai/o/p/runs/exp-1");
  const t = parseTrailers(msg);
  assertEquals(t.run, "exp-1");
  assertEquals(t.name, "base line two");
  assertEquals(t.dirty, "true");
  assertEquals(t["patch-sha256"], "ab".repeat(32));
  assertEquals(t.created, "2026-02-02T00:00:00.000Z");
  assertEquals(t.describe, "v1.0-2-g1d677bc-dirty");
  const back = subjectFromTrailers(t, SUBJECT.sha)!;
  assertEquals([back.runId, back.dirty, back.patchSha256], ["exp-1", true, "ab".repeat(32)]);
  // A clean run has no patch trailer.
  const clean = parseTrailers(tagMessage({ ...SUBJECT, dirty: false }, { now: new Date() }));
  assertEquals([clean.dirty, clean["patch-sha256"]], ["false", undefined]);
});

Deno.test("push porcelain: new, up to date, rejected, hook-declined and fatal", () => {
  const ref = "refs/tags/run/x";
  const line = (flag: string, summary: string) =>
    `To /tmp/r.git\n${flag}\t${ref}:${ref}\t${summary}\nDone\n`;
  assertEquals(parsePushPorcelain(line("*", "[new tag]"), "", 0, ref).status, "new");
  assertEquals(parsePushPorcelain(line("=", "[up to date]"), "", 0, ref).status, "up-to-date");
  const rej = parsePushPorcelain(line("!", "[rejected] (already exists)"), "", 1, ref);
  assertEquals([rej.ok, rej.status, rej.reason], [false, "rejected", "already exists"]);
  const hook = parsePushPorcelain(
    line("!", "[remote rejected] (pre-receive hook declined)"),
    "",
    1,
    ref,
  );
  assertEquals([hook.status, hook.reason], ["remote-rejected", "pre-receive hook declined"]);
  const fatal = parsePushPorcelain(
    "",
    "fatal: 'x' does not appear to be a git repository\nfatal: Could not read",
    128,
    ref,
  );
  assertEquals([fatal.ok, fatal.reason], [
    false,
    "fatal: 'x' does not appear to be a git repository",
  ]);
});

Deno.test("tag listing: one for-each-ref call, parsed newest first as git sorts", async () => {
  const out = "refs/tags/run/b\0tag\0" + "1".repeat(40) + "\0" + "2".repeat(40) +
    "\0" + "2026-01-02T00:00:00+00:00\0runprov run b\n\nRunprov-Run: b\n\0\n" +
    "refs/tags/run/a\0commit\0" + "3".repeat(40) + "\0\0" + "2026-01-01T00:00:00+00:00\0msg\n\0\n";
  const calls: readonly string[][] = [];
  const runner: GitRunner = (args) => {
    (calls as string[][]).push([...args]);
    return Promise.resolve({ code: 0, stdout: new TextEncoder().encode(out), stderr: "" });
  };
  const tags = await new Git({ cwd: "/r", env: {}, runner }).listTags("refs/tags/run/");
  assertEquals(calls.length, 1);
  assertEquals(calls[0].slice(2, 4), ["for-each-ref", "--sort=-creatordate"]);
  assertEquals(tags.map((t) => [t.name, t.commit, t.message]), [
    ["run/b", "2".repeat(40), "runprov run b\n\nRunprov-Run: b\n"],
    ["run/a", "3".repeat(40), ""],
  ]);
  assertEquals(parseTagRefs(""), []);
});

Deno.test("--push takes an optional remote name; the next option is not one", () => {
  assertEquals(splitPush(["--run", "x", "--push"], "tag"), { rest: ["--run", "x"], push: true });
  assertEquals(splitPush(["--push", "--run", "x"], "tag"), { rest: ["--run", "x"], push: true });
  assertEquals(splitPush(["--push", "up", "--run", "x"], "tag"), {
    rest: ["--run", "x"],
    push: "up",
  });
  assertEquals(splitPush(["--push=up"], "tag"), { rest: [], push: "up" });
  assertEquals(splitPush(["--run", "x"], "tag").push, undefined);
});

function record(over: Partial<RunRecord> & { id: string; sha?: string }): RunRecord {
  return {
    schema: "runprov.run/1",
    run_id: over.id,
    name: over.name ?? null,
    created_at: over.created_at ?? "2026-01-01T00:00:00.000Z",
    status: over.status ?? "captured",
    git: {
      sha: over.sha ?? "a".repeat(40),
      sha_short: (over.sha ?? "a".repeat(40)).slice(0, 7),
      describe: "v1",
      dirty: false,
      available: true,
    } as RunRecord["git"],
    policy: { mode: "warn", verdict: "clean", reason: null },
    command: over.command ?? null,
    host: over.host ?? { hostname: "gpu1", user: "u", os: "linux", arch: "x86_64", scheduler: {} },
    tool: { name: "runprov", version: "0" },
  };
}

Deno.test("status: a running record whose supervisor is gone on this host is lost", () => {
  const cmd = {
    argv: ["python"],
    cwd: "/",
    started_at: "",
    ended_at: null,
    exit_code: null,
    signal: null,
    duration_ms: null,
    supervisor_pid: 4242,
  };
  const rec = record({ id: "r", status: "running", command: cmd });
  assertEquals(shownStatus(rec, { hostname: "gpu1", alive: () => false }), "lost");
  assertEquals(shownStatus(rec, { hostname: "gpu1", alive: () => true }), "running");
  assertEquals(shownStatus(rec, { hostname: "gpu1", alive: () => null }), "running?");
  assertEquals(shownStatus(rec, { hostname: "login", alive: () => false }), "running?");
  assertEquals(
    shownStatus(record({ id: "r", status: "failed" }), { hostname: "gpu1", alive: () => false }),
    "failed",
  );
});

Deno.test("runs: records and tags merge by id, newest first, tag-only runs read their trailers", () => {
  const here = { hostname: "gpu1", alive: () => true };
  const recs: StoredRecord[] = [
    {
      path: "/r/old.json",
      record: record({ id: "old", created_at: "2026-01-01T00:00:00.000Z" }),
      sha256: "",
    },
    {
      path: "/r/new.json",
      record: record({ id: "new", created_at: "2026-03-01T00:00:00.000Z" }),
      sha256: "",
    },
  ];
  const tags = [
    {
      ref: "refs/tags/run/new",
      name: "run/new",
      type: "tag",
      object: "t".repeat(40),
      commit: "b".repeat(40),
      date: "2026-03-02T00:00:00+00:00",
      message: "",
    },
    {
      ref: "refs/tags/run/tagonly",
      name: "run/tagonly",
      type: "tag",
      object: "t".repeat(40),
      commit: "c".repeat(40),
      date: "2026-02-01T00:00:00+01:00",
      message: "runprov run x\n\nRunprov-Run: tagonly\nRunprov-Name: nm\nRunprov-Dirty: true\n",
    },
    {
      ref: "refs/tags/run-other",
      name: "run-other",
      type: "commit",
      object: "d".repeat(40),
      commit: "d".repeat(40),
      date: "",
      message: "",
    },
  ];
  const entries = mergeRuns(recs, tags, "run/", here);
  assertEquals(entries.map((e) => [e.id, e.status, e.tag]), [
    ["new", "captured", "run/new"],
    ["tagonly", "tagged", "run/tagonly"],
    ["old", "captured", null],
  ]);
  assertEquals(entries[0].tag_mismatch, true);
  assertEquals([entries[1].name, entries[1].dirty, entries[1].date], [
    "nm",
    true,
    "2026-01-31T23:00:00.000Z",
  ]);
});

Deno.test("verify: same commit and clean, commit differs, extra, missing, patch and truncated", () => {
  const sha = "a".repeat(40);
  const clean = { runId: "r", sha, dirty: false, changed: [], patch: null };
  assertEquals(compareCode(clean, { sha, dirty: false, changed: [], patchSha256: null }).ok, true);
  const moved = compareCode(clean, {
    sha: "b".repeat(40),
    dirty: false,
    changed: [],
    patchSha256: null,
  });
  assertMatch(moved.differences[0], new RegExp(`${sha}.*${"b".repeat(40)}`));
  const extra = compareCode(clean, { sha, dirty: true, changed: ["x.py"], patchSha256: null });
  assertMatch(extra.differences.join("\n"), /extra changes[^]*x\.py/);
  const dirtyRun = {
    runId: "r",
    sha,
    dirty: true,
    changed: ["x.py"],
    patch: { sha256: "p".repeat(64), truncated: false },
  };
  assertMatch(
    compareCode(dirtyRun, { sha, dirty: false, changed: [], patchSha256: null }).differences[0],
    /missing changes[^]*x\.py/,
  );
  assertEquals(
    compareCode(dirtyRun, { sha, dirty: true, changed: ["x.py"], patchSha256: "p".repeat(64) }).ok,
    true,
  );
  const other = compareCode(dirtyRun, { sha, dirty: true, changed: ["y.py"], patchSha256: "q" });
  assertMatch(
    other.differences.join("\n"),
    /extra changes:\n {4}y\.py[^]*missing changes:\n {4}x\.py/,
  );
  const trunc = compareCode(
    { ...dirtyRun, patch: { sha256: "p".repeat(64), truncated: true } },
    { sha, dirty: true, changed: ["x.py"], patchSha256: null },
  );
  assertMatch(trunc.differences[0], /cannot prove equality.*truncated/);
});

Deno.test("create-only tag: 'already exists' and a held lock mean look again; a name clash fails", () => {
  assert(tagExistsError("fatal: tag 'run/x' already exists\n"));
  assert(tagExistsError("fatal: cannot lock ref 'refs/tags/run/x': reference already exists\n"));
  assert(tagExistsError(
    "fatal: cannot lock ref 'refs/tags/run/x': Unable to create '/r/.git/refs/tags/run/x.lock': " +
      "File exists.\n",
  ));
  assert(
    !tagExistsError(
      "fatal: cannot lock ref 'refs/tags/run/x': 'refs/tags/run' exists; cannot create 'refs/tags/run/x'\n",
    ),
  );
});
