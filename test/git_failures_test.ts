/**
 * A git that cannot read its configuration or the index is named for what it is, with
 * git's own first line (credentials removed), never as "HEAD does not point at a readable
 * commit".
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { Sandbox, withSandbox } from "./helpers.ts";
import { classify, GitError } from "../lib/git/runner.ts";
import { configProblem, failureReason, indexProblem } from "../lib/run/failure_reason.ts";

// --- git's words, classified -----------------------------------------------------------------

Deno.test("git failures: a broken config and an unreadable index have their own reasons", () => {
  assertEquals(classify("fatal: bad config line 6 in file .git/config\n"), "bad-config");
  assertEquals(
    classify("fatal: bad boolean config value 'maybe' for 'core.autocrlf'\n"),
    "bad-config",
  );
  assertEquals(
    classify(
      "error: Invalid untracked files mode 'bogus'\n" +
        "fatal: bad config variable 'status.showuntrackedfiles' in file '.git/config' at line 7\n",
    ),
    "bad-config",
  );
  assertEquals(
    classify("error: bad signature 0x58585858\nfatal: index file corrupt\n"),
    "bad-index",
  );
  assertEquals(classify("fatal: .git/index: index file smaller than expected\n"), "bad-index");
  assertEquals(classify("error: bad index version 9\nfatal: index file corrupt\n"), "bad-index");
  assertEquals(
    classify("fatal: .git/index: unable to map index file: No such device\n"),
    "bad-index",
  );
  assertEquals(classify("fatal: bad object HEAD\n"), "corrupt-head", "unchanged");
});

Deno.test("git failures: the sentences name the file, the line and git's own words", () => {
  assertEquals(
    configProblem("fatal: bad config line 6 in file .git/config\n"),
    "git cannot parse .git/config line 6: fatal: bad config line 6 in file .git/config",
  );
  assertEquals(
    configProblem(
      "error: Invalid untracked files mode 'bogus'\n" +
        "fatal: bad config variable 'status.showuntrackedfiles' in file '.git/config' at line 7\n",
    ),
    "git cannot parse .git/config line 7: error: Invalid untracked files mode 'bogus'",
  );
  assertEquals(
    configProblem("fatal: bad numeric config value 'x' for 'core.abbrev': invalid unit\n"),
    "git cannot use its configuration: fatal: bad numeric config value 'x' for 'core.abbrev': " +
      "invalid unit",
  );
  assertEquals(
    indexProblem("fatal: .git/index: index file smaller than expected\n"),
    "git cannot read the index (.git/index): fatal: .git/index: index file smaller than expected",
  );
  assertEquals(
    indexProblem("error: bad signature 0x58585858\nfatal: index file corrupt\n", "/r/.git"),
    "git cannot read the index (/r/.git/index): error: bad signature 0x58585858",
  );
  const long = `fatal: bad boolean config value '${"x".repeat(5000)}' for 'core.bare'\n`;
  const err = new GitError(["rev-parse"], 128, long, classify(long));
  assert(failureReason(err).length < 400, "git's line is clipped");
});

// --- on real repositories --------------------------------------------------------------------

/** Replace the index with bytes git cannot read. */
async function corruptIndex(sb: Sandbox): Promise<void> {
  await Deno.writeFile(join(sb.dir, ".git/index"), new TextEncoder().encode("X".repeat(200)));
}

Deno.test("a corrupted index is reported as such: a warning under warn, exit 4 under strict", async () => {
  await withSandbox(async (sb) => {
    await corruptIndex(sb);
    const r = await sb.runprov(["stamp", "--out", "-"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.reason_code, "bad-index");
    assertEquals(
      rec.git.reason,
      `git cannot read the index (${await Deno.realPath(sb.dir)}/.git/index): ` +
        "error: bad signature 0x58585858",
    );
    assert(!r.stderr.includes("HEAD does not point"), r.stderr);
    const strict = await sb.runprov(["check", "--strict"]);
    assertEquals(strict.code, 4, strict.stderr);
    assertMatch(strict.stderr, /cannot record the code of this run: git cannot read the index \(/);
    assertMatch(strict.stderr, /hint: rebuild the index from HEAD/);
  });
});

Deno.test("a truncated index names the file git names", async () => {
  await withSandbox(async (sb) => {
    await Deno.writeFile(join(sb.dir, ".git/index"), new TextEncoder().encode("DIRC"));
    const rec = JSON.parse((await sb.runprov(["-q", "stamp", "--out", "-"])).stdout);
    assertEquals(rec.git.reason_code, "bad-index");
    assertEquals(
      rec.git.reason,
      "git cannot read the index (.git/index): fatal: .git/index: index file smaller than expected",
    );
  });
});

Deno.test("a .git/config git cannot parse is named with its line, for capture, tag and doctor", async () => {
  await withSandbox(async (sb) => {
    const cfg = join(sb.dir, ".git/config");
    const lines = (await Deno.readTextFile(cfg)).trimEnd().split("\n").length;
    await Deno.writeTextFile(cfg, "[core\n", { append: true });
    const want = `git cannot parse .git/config line ${lines + 1}: ` +
      `fatal: bad config line ${lines + 1} in file .git/config`;
    const check = await sb.runprov(["check", "--strict"]);
    assertEquals(check.code, 4, check.stderr);
    assert(check.stderr.includes(want), check.stderr);
    assert(!check.stderr.includes("HEAD does not point"), check.stderr);
    const tag = await sb.runprov(["tag", "--run", "x", "--commit", "HEAD"]);
    assertEquals(tag.code, 4, tag.stderr);
    assert(tag.stderr.includes(want), tag.stderr);
    const doctor = await sb.runprov(["doctor"]);
    assertEquals(doctor.code, 4, doctor.stdout);
    assert(doctor.stdout.includes(want), doctor.stdout);
  });
});

Deno.test("a config value git status rejects is named with its file and line", async () => {
  await withSandbox(async (sb) => {
    await sb.git("config", "status.showUntrackedFiles", "bogus");
    const r = await sb.runprov(["-q", "stamp", "--out", "-"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.reason_code, "bad-config");
    assertMatch(
      rec.git.reason,
      /^git cannot parse \.git\/config line \d+: error: Invalid untracked files mode 'bogus'$/,
    );
  });
});

Deno.test("a bad config value is named with git's words, credentials removed", async () => {
  await withSandbox(async (sb) => {
    await sb.git("config", "core.abbrev", "https://bob:s3cretTOKEN@example.com/x");
    const r = await sb.runprov(["check", "--strict"]);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /git cannot use its configuration: fatal: bad numeric config value 'https:\/\/example\.com\/x' for 'core\.abbrev'/,
    );
    assert(!r.stderr.includes("s3cretTOKEN"), r.stderr);
  });
});
