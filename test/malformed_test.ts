/**
 * Malformed input (issue 8): a truncated or binary `runprov.jsonc`, `--from` files that are
 * not runprov records, garbage RUNPROV_GIT_TIMEOUT, absurd values for the newer commands,
 * and the config's `git_timeout` bounding even the first git call. Every one is a clear
 * error with its documented exit code, no stack trace, nothing on stdout.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { jsonSyntaxProblem } from "../lib/run/record.ts";
import { parseCommandArgs } from "../lib/cli/args.ts";
import { RunprovError } from "../lib/errors.ts";
import { type RunResult, type Sandbox, withSandbox } from "./helpers.ts";
import { gitTimeoutMs } from "../lib/run/git_for.ts";
import { Rng } from "../testkit/rng.ts";
import { seedFromEnv } from "../testkit/knobs.ts";
import { runsDir, stackLines } from "../testkit/records.ts";
import { withFakeGit } from "../testkit/fake_git.ts";

/** Raw control characters (other than newline) and bidi overrides that reach a terminal. */
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * The longest stderr an error may print: a message quotes at most 80 characters of a value
 * (160 of a path), so even a 10,000-character argument gives a short error.
 */
const MAX_STDERR = 600;

async function assertClean(
  sb: Sandbox,
  args: string[],
  code: number,
  message: RegExp,
  env: Record<string, string> = {},
): Promise<RunResult> {
  const label = JSON.stringify(args).slice(0, 100);
  const r = await sb.runprov(args, { env });
  assertEquals(r.code, code, `${label}: ${r.stderr}`);
  assertMatch(r.stderr, /^runprov: /, label);
  assertMatch(r.stderr, message, label);
  assertEquals(stackLines(r.stderr), [], label);
  assert(
    r.stderr.length <= MAX_STDERR,
    `${label}: ${r.stderr.length} characters of stderr: ${r.stderr.slice(0, 300)}...`,
  );
  assert(
    !RAW_CONTROL.test(r.stderr),
    `${label}: raw control characters: ${JSON.stringify(r.stderr)}`,
  );
  assertEquals(r.stdout, "", `${label}: stdout`);
  return r;
}

const GOOD_CONFIG = `{
  // runprov settings
  "policy": "warn",
  "untracked": "normal",
  "ignore": ["data/**", "*.ckpt"],
  "git_timeout": 30
}
`;

Deno.test("malformed: a truncated, binary or NUL-holding runprov.jsonc is exit 2 with file:line:column", async () => {
  await withSandbox(async (sb) => {
    const rng = new Rng(seedFromEnv());
    const bodies: string[] = [];
    for (const cut of [1, 10, 25, 40, 60, GOOD_CONFIG.length - 3]) {
      bodies.push(GOOD_CONFIG.slice(0, cut));
    }
    for (let i = 0; i < 4; i++) {
      const bytes = new Uint8Array(rng.int(1, 400)).map(() => rng.int(0, 255));
      bytes[0] = rng.pick([0x00, 0x1b, 0xff, 0x7b]);
      bodies.push(String.fromCharCode(...bytes));
    }
    bodies.push('{"policy": "warn"\0}', '{"policy": "\u001b[31mred"}', "\0");
    for (const [i, body] of bodies.entries()) {
      const bytes = Uint8Array.from(body, (ch) => ch.charCodeAt(0) & 0xff);
      await Deno.writeFile(join(sb.dir, "runprov.jsonc"), bytes);
      const cmd =
        [["stamp", "--run-id", `cfg-${i}`], ["env", "--run-id", `cfg-${i}`], ["check"]][i % 3];
      await assertClean(sb, cmd, 2, /runprov\.jsonc:\d+:\d+: /);
    }
    const records = await Array.fromAsync(Deno.readDir(runsDir(sb))).catch(() => []);
    assertEquals(records.map((e) => e.name), [], "no record from a broken config");
  });
});

Deno.test("malformed: --from a file that is not a runprov record is exit 2 naming the file", async () => {
  await withSandbox(async (sb) => {
    const rng = new Rng(seedFromEnv() + 1);
    const files: [string, string | Uint8Array, RegExp][] = [
      ["notes.txt", "not json at all\n", /not a runprov record: not valid JSON at line 1/],
      ["package.json", '{"name":"x","version":"1.0.0","scripts":{"test":"jest"}}\n', /no "schema"/],
      [
        "config.yaml.json",
        '{"_wandb":{"value":{"cli_version":"0.16.0"}},"lr":{"desc":null,"value":0.001}}\n',
        /no "schema"/,
      ],
      ["empty.json", "", /the file is empty/],
      ["array.json", "[1, 2, 3]\n", /not a runprov record/],
      ["escape.json", '{"a": "\u001b]0;pwned\u0007"\u001b[2J', /not valid JSON at line 1/],
      ["random.bin", new Uint8Array(3000).map(() => rng.int(0, 255)), /not a runprov record/],
      ["null.json", "null\n", /not a runprov record/],
      ["other.json", '{"schema": "runprov.run/99", "run_id": "x"}\n', /runprov\.run\/99|schema/],
    ];
    for (const [name, body] of files) {
      const path = join(sb.base, name);
      if (typeof body === "string") await Deno.writeTextFile(path, body);
      else await Deno.writeFile(path, body);
    }
    for (const [name, , want] of files) {
      await assertClean(sb, ["env", "--from", join(sb.base, name)], 2, want);
    }
    await Deno.mkdir(join(sb.base, "adir"));
    await assertClean(sb, ["env", "--from", join(sb.base, "adir")], 2, /adir/);
    await assertClean(sb, ["env", "--from", join(sb.base, "missing.json")], 2, /missing\.json/);
  });
});

Deno.test("malformed: garbage RUNPROV_GIT_TIMEOUT is exit 2 for every capturing command", async () => {
  await withSandbox(async (sb) => {
    const values = [
      "abc",
      "-1",
      "1e999",
      "NaN",
      "Infinity",
      "10s",
      "0x10",
      "1 2",
      "９",
      "0b1",
      "1e3",
    ];
    for (const [i, v] of values.entries()) {
      const cmd = [["stamp"], ["env"], ["check"], ["exec", "--", "true"]][i % 4];
      await assertClean(sb, cmd, 2, /invalid RUNPROV_GIT_TIMEOUT/, { RUNPROV_GIT_TIMEOUT: v });
    }
  });
});

Deno.test("malformed: absurd values for runs, tag, show, verify and env have documented codes", async () => {
  await withSandbox(async (sb) => {
    const cases: [string[], RegExp][] = [
      [["runs", "--limit", "-1"], /--limit=VALUE/],
      [["runs", "--limit=-1"], /positive number/],
      [["runs", "--limit", "1e99"], /positive number/],
      [["runs", "--limit", "0"], /positive number/],
      [["runs", "--limit", "NaN"], /positive number/],
      [["runs", "--limit"], /needs a value/],
      [["runs", "extra"], /unexpected argument|runs/],
      [["tag", "--run", "../x"], /invalid run id/],
      [["tag", "--run", "a\nb"], /invalid run id/],
      [["tag", "--run", "x".repeat(10_000)], /invalid run id/],
      [["tag", "--run"], /needs a value/],
      [["tag"], /--run/],
      [["show", "../x"], /invalid run id/],
      [["show"], /exactly one run id/],
      [["show", "a", "b"], /exactly one run id/],
      [["verify", "missing.json"], /no run/],
      [["verify", join(sb.base, "nope", "x.json")], /no run|no such file/],
      [["verify"], /one run id or record file/],
      [["env", "--format", "nope"], /unknown format/],
      [["env", "--format", ""], /unknown format/],
      [["env", "--tracker", "nope"], /unknown tracker/],
      [["env", "--tracker", "wandb,nope"], /unknown tracker/],
    ];
    for (const [args, want] of cases) await assertClean(sb, args, 2, want);
  });
});

Deno.test("malformed: a 10,000-character value is clipped in every error that echoes it", async () => {
  await withSandbox(async (sb) => {
    const long = "x".repeat(10_000);
    // Terminal escapes and a bidi override, then length: escaped and clipped alike.
    const evil = "\u001b]0;pwned\u0007\u202e" + "y".repeat(10_000);
    const clip = /\.\.\. ?\(100\d\d characters\)/;
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [["tag", "--run", long], /invalid run id "x{80}"\.\.\. \(10000 characters\)/],
      [["show", long], /invalid run id "x{80}"\.\.\./],
      [["show", evil], /invalid run id "\\u001b\]0;pwned\\u0007\\u202ey+"\.\.\./],
      [["env", "--format", long], /unknown format "x{80}"\.\.\./],
      [["env", "--tracker", long], /unknown tracker "x{80}"\.\.\./],
      [["env", "--tracker", `wandb,${evil}`], /unknown tracker "\\u001b/],
      [["runs", "--limit", long], /positive number, not "x{80}"\.\.\./],
      [["env", "--policy", long], /invalid policy "x{80}"\.\.\./],
      [["stamp", "--strict", "--policy", long], /--strict conflicts with --policy "x{80}"/],
      [["stamp", "--run-id", evil], /invalid run id "\\u001b/],
      [["tag", "--run", "ok", "--commit", long], /--commit "x{80}"\.\.\..*no such commit/],
      [["tag", "--run", "ok", "--commit", evil], /--commit "\\u001b.*no such commit/],
      [["tag", "--run", "ok", "--from", long], /cannot read the run record/],
      [["tag", "--run", "ok", "--commit", "HEAD", "--push", long], /no remote of that name/],
      [["tag", "--run", "ok", "--commit", "HEAD", "--push", evil], /no remote of that name/],
      [["verify", long], /cannot read the run record/],
      [["env", "--from", long], /cannot read the run record/],
      [["env", "--from", evil], /cannot read the run record .*\\x1b\]0;pwned\\x07\\u202e/],
      [["stamp", "--out", join(sb.base, long, "r.json")], /cannot write the run record/],
      [["-C", long, "env"], /cannot use -C .*xxx\.\.\.\(\d+ characters\)\.\.\.xxx/],
      [["-C", evil, "env"], /cannot use -C .*\\x1b/],
      [["--config", long, "env"], /cannot read the configuration/],
      [[`--${long}`], /unknown option/],
      [["stamp", `--${long}`], /unknown option/],
      [[long], /unknown command/],
      [["env"], /invalid policy "x{80}"\.\.\./, { RUNPROV_POLICY: long }],
      [["env"], /invalid RUNPROV_GIT_TIMEOUT "x{80}"\.\.\./, { RUNPROV_GIT_TIMEOUT: long }],
      [["env"], /cannot read the configuration/, { RUNPROV_CONFIG: long }],
      [["env"], /cannot read the run record/, { RUNPROV_FROM: evil }],
    ];
    for (const [args, want, env] of cases) {
      const r = await assertClean(sb, args, 2, want, env);
      if (/[xy]{80}"?\.\.\./.test(r.stderr)) assertMatch(r.stderr, clip);
    }

    // A command that cannot start is named, clipped, as exec reports it (the shell's 127).
    await assertClean(
      sb,
      ["exec", "--", long],
      127,
      /command not found: x{80}\.\.\. \(10000 characters\)/,
    );

    // Values a configuration file or a record file brings are clipped the same way.
    const cfg = join(sb.base, "long.jsonc");
    for (
      const [body, want] of [
        [`{ "${long}": 1 }`, /unknown key "x{80}"\.\.\. \(10000 characters\)/],
        [`{ "policy": "${long}" }`, /"policy" is "x{80}"\.\.\..*expected one of/],
        [`{ "tag": { "prefix": "${long} " } }`, /"tag\.prefix" is "x{80}"\.\.\./],
        [`{ "ignore": ["[z-a]${long}"] }`, /not a valid glob/],
      ] as const
    ) {
      await Deno.writeTextFile(cfg, body);
      await assertClean(sb, ["--config", cfg, "check"], 2, want);
    }
    const stamped = await sb.runprov(["stamp", "--run-id", "ok", "--out", "-"]);
    const rec = JSON.parse(stamped.stdout);
    const bad = join(sb.base, "bad.json");
    await Deno.writeTextFile(bad, JSON.stringify({ ...rec, run_id: evil }));
    await assertClean(sb, ["tag", "--run", "ok", "--from", bad], 2, /is the record of run \\x1b/);
    await sb.write("README.md", "changed\n");
    await assertClean(
      sb,
      ["verify", bad],
      3,
      /not the code of run \\x1b\]0;pwned\\x07\\u202ey+\.\.\./,
    );
    await Deno.writeTextFile(bad, JSON.stringify({ ...rec, git: { ...rec.git, sha: long } }));
    await assertClean(sb, ["tag", "--run", "ok", "--from", bad], 2, /its git sha is "x{80}"\.\.\./);
    await Deno.writeTextFile(bad, JSON.stringify({ ...rec, schema: long }));
    await assertClean(sb, ["env", "--from", bad], 2, /unsupported schema "x{80}"\.\.\./);
  });
});

Deno.test("malformed: JSON nested 100,000 deep is exit 2 with line and column, never a crash", async () => {
  await withSandbox(async (sb) => {
    const open = "[".repeat(100_000);
    const closed = open + "]".repeat(100_000);
    const files: [string, string][] = [
      ["open.json", open],
      ["closed.json", closed],
      ["in-record.json", `{"schema": "runprov.run/1",\n  "x": ${closed}}`],
    ];
    for (const [name, body] of files) {
      await Deno.writeTextFile(join(sb.base, name), body);
      await assertClean(
        sb,
        ["env", "--from", join(sb.base, name)],
        2,
        /is not a runprov record: nested deeper than 100 levels at line \d+, column \d+/,
      );
    }
    // A record in the record directory: show names it; runs skips it with a note.
    await Deno.mkdir(runsDir(sb), { recursive: true });
    await Deno.writeTextFile(join(runsDir(sb), "deep.json"), open);
    await assertClean(sb, ["show", "deep"], 2, /deep\.json is not a runprov record: nested/);
    await assertClean(sb, ["verify", "deep"], 2, /deep\.json is not a runprov record: nested/);
    const runs = await sb.runprov(["runs"]);
    assertEquals(runs.code, 0, runs.stderr);
    assertMatch(runs.stderr, /skipped 1 file\(s\) that are not run records: deep\.json/);
    await Deno.remove(join(runsDir(sb), "deep.json"));
    // The configuration: refused before the JSONC parser recurses, with file:line:column.
    await Deno.writeTextFile(join(sb.dir, "runprov.jsonc"), `{\n  "ignore": ${open}`);
    for (const cmd of [["check"], ["stamp"], ["env"], ["verify", "x"], ["config"]]) {
      await assertClean(sb, cmd, 2, /runprov\.jsonc:2:112: nested deeper than 100 levels/);
    }
  });
});

Deno.test("malformed: an ignore glob that can never match ([z-a]) is exit 2 with file:line:column", async () => {
  await withSandbox(async (sb) => {
    await Deno.writeTextFile(
      join(sb.dir, "runprov.jsonc"),
      '{\n  "ignore": ["*.ckpt", "[z-a]"]\n}\n',
    );
    for (const cmd of [["check"], ["stamp"], ["env"], ["exec", "--", "true"], ["config"]]) {
      await assertClean(
        sb,
        cmd,
        2,
        /runprov\.jsonc:2:24: "ignore\[1\]" is "\[z-a\]", not a valid glob: its character class \[z-a\] has a range out of order/,
      );
    }
  });
});

Deno.test("malformed: git_timeout in runprov.jsonc bounds even the first git call of a hung git", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "git_timeout": 1 }\n');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-q", "-m", "config");
    await Deno.mkdir(join(sb.dir, "sub"));
    const strict = await withFakeGit(
      sb.base,
      { hangSeconds: 30 },
      (git) =>
        sb.runprov(["-C", "sub", "stamp", "--strict"], { env: { PATH: git.path(sb.env.PATH) } }),
    );
    assertEquals(strict.code, 4, strict.stderr);
    // The first call (rev-parse, before the top is known) is the one killed after 1 s.
    assertMatch(strict.stderr, /git rev-parse .* did not finish within 1 s and was killed/);
    assertEquals(stackLines(strict.stderr), []);
  });
});

Deno.test("malformed: with -C, the git_timeout read before git runs is the -C repository's", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "git_timeout": 1 }\n');
    await Deno.mkdir(join(sb.dir, "sub"));
    // Started outside any repository: only -C says where the configuration is.
    const r = await withFakeGit(
      sb.base,
      { hangSeconds: 30 },
      (git) =>
        sb.runprov(["-C", join(sb.dir, "sub"), "stamp", "--strict"], {
          cwd: sb.base,
          env: { PATH: git.path(sb.env.PATH) },
        }),
    );
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /git rev-parse .* did not finish within 1 s and was killed/);
  });
});

Deno.test("record: a broken record's message gives a position, never the file's bytes", () => {
  assertEquals(jsonSyntaxProblem('{"a":\n  x}'), "not valid JSON at line 2, column 3");
  assertEquals(jsonSyntaxProblem(" \n"), "the file is empty");
  assertEquals(jsonSyntaxProblem("\u001b[2J\u0007"), "not valid JSON at line 1, column 1");
  assertEquals(jsonSyntaxProblem('{"a": 1} // note'), "not valid JSON at line 1, column 10");
});

Deno.test("args: a value starting with '-' says to write --opt=VALUE", () => {
  try {
    parseCommandArgs("runs", ["--limit", "-1"], { limit: { type: "string" } });
    throw new Error("no error");
  } catch (err) {
    assert(err instanceof RunprovError, String(err));
    assertEquals(
      err.message,
      "runs: option --limit needs a value; for one starting with '-', write --limit=VALUE",
    );
  }
});

Deno.test("session: RUNPROV_GIT_TIMEOUT takes decimal seconds only", () => {
  assertEquals(gitTimeoutMs({ RUNPROV_GIT_TIMEOUT: "1.5" }), 1500);
  assertEquals(gitTimeoutMs({ RUNPROV_GIT_TIMEOUT: " 30 " }), 30_000);
  assertEquals(gitTimeoutMs({ RUNPROV_GIT_TIMEOUT: ".5" }), 500);
  assertEquals(gitTimeoutMs({}), 60_000);
  for (const v of ["0x10", "0b1", "1e3", "+5", "0", "-1"]) {
    let threw = false;
    try {
      gitTimeoutMs({ RUNPROV_GIT_TIMEOUT: v });
    } catch (err) {
      threw = err instanceof RunprovError;
    }
    assert(threw, `${v} accepted`);
  }
});
