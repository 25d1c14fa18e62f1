/**
 * Faults (issue 8): SIGKILL at random moments, a record directory that cannot be written
 * (read-only, full, a directory where the file goes, `.runprov` a file), and a git that
 * hangs. Mount-based cases need root and a working `mount -t tmpfs`; elsewhere they are
 * skipped with the reason in their names.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, type Sandbox, skipUnless, withSandbox } from "./helpers.ts";
import { removeStaleTemps } from "../lib/run/store.ts";
import { knob, seedFromEnv } from "../testkit/knobs.ts";
import { killScenario, tagKillScenario } from "../testkit/scenarios/kill.ts";
import { runsDir, stackLines, tempFiles } from "../testkit/records.ts";
import { GIT_HANG_COMMANDS, WRITE_FAULT_COMMANDS } from "../testkit/commands.ts";
import { withFakeGit } from "../testkit/fake_git.ts";

/** Why mounts cannot be used here (not root, mount refused), or null when they can. */
async function mountUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return "needs root, to mount a tmpfs";
  const dir = await Deno.makeTempDir({ prefix: "runprov-mnt-probe-" });
  try {
    const r = await run("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir]);
    if (r.code !== 0) return `mount -t tmpfs failed: ${r.stderr.trim()}`;
    await run("umount", [dir]);
    return null;
  } catch (err) {
    return `mount is not available: ${(err as Error).message}`;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

/** Mount a tmpfs at `dir` with `options` (e.g. `size=16k`); returns its unmount. */
async function mountTmpfs(dir: string, options: string): Promise<() => Promise<void>> {
  await Deno.mkdir(dir, { recursive: true });
  const r = await run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  if (r.code !== 0) throw new Error(`mount tmpfs at ${dir}: ${r.stderr}`);
  return async () => {
    await run("umount", ["-l", dir]);
  };
}

/** A record file's bytes, to prove it stayed identical. */
function bytesOf(path: string): Promise<Uint8Array> {
  return Deno.readFile(path);
}

const MOUNT_PROBLEM = await mountUnavailable();

Deno.test("faults: SIGKILLs landing mid-run leave only complete records and no stale temps", async () => {
  const fig = await killScenario(knob("RELIABILITY_KILLS", 40), seedFromEnv());
  if (Deno.env.get("RUNPROV_TEST_VERBOSE")) console.log(fig.tried);
  assertEquals(fig.failures, []);
});

Deno.test("faults: SIGKILLs of tag landing mid-run (alone or with its git) leave no half-made tag; a rerun succeeds", async () => {
  const fig = await tagKillScenario(knob("RELIABILITY_TAG_KILLS", 30), seedFromEnv());
  if (Deno.env.get("RUNPROV_TEST_VERBOSE")) console.log(fig.tried);
  assertEquals(fig.failures, []);
});

Deno.test("faults: a ref lock left by a killed git makes tag exit 5 saying how to remove it", async () => {
  await withSandbox(async (sb) => {
    assertEquals((await sb.runprov(["stamp", "--run-id", "locked"])).code, 0);
    const lock = join(sb.dir, ".git", "refs", "tags", "run", "locked.lock");
    await Deno.mkdir(join(lock, ".."), { recursive: true });
    await Deno.writeTextFile(lock, "");
    const r = await sb.runprov(["tag", "--run", "locked"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /its ref is locked \(refs\/tags\/run\/locked\.lock exists/);
    assertMatch(
      r.stderr,
      /^hint: .*rm "\$\(git rev-parse --git-path refs\/tags\/run\/locked\.lock\)"/m,
    );
    assertEquals(stackLines(r.stderr), []);
    await Deno.remove(lock);
    assertEquals((await sb.runprov(["tag", "--run", "locked"])).code, 0);
  });
});

Deno.test("faults: a stale temp file is removed by the next write, a fresh one is kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stale = join(dir, ".a.json.tmp-123-0badf00d");
    const fresh = join(dir, ".b.json.tmp-456-deadbeef");
    const other = join(dir, ".notes.tmp-keep");
    for (const p of [stale, fresh, other]) await Deno.writeTextFile(p, "{");
    const old = new Date(Date.now() - 3600_000);
    await Deno.utime(stale, old, old);
    await Deno.utime(other, old, old);
    assertEquals(await removeStaleTemps(dir), 1);
    assertEquals(await tempFiles(dir), [".b.json.tmp-456-deadbeef", ".notes.tmp-keep"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A record of another run, to prove a failed write damages nothing. */
async function otherRecord(sb: Sandbox): Promise<{ path: string; bytes: Uint8Array }> {
  const r = await sb.runprov(["stamp", "--run-id", "other"]);
  assertEquals(r.code, 0, r.stderr);
  const path = join(runsDir(sb), "other.json");
  return { path, bytes: await bytesOf(path) };
}

/** Each WRITE_FAULT_COMMANDS entry fails with exit 2 and a clear message; nothing else moves. */
async function assertWriteFails(
  sb: Sandbox,
  want: RegExp,
  keep: { path: string; bytes: Uint8Array }[],
) {
  for (const c of WRITE_FAULT_COMMANDS) {
    const r = await sb.runprov(c.argv("victim"));
    assertEquals(r.code, 2, `${c.name}: ${r.stderr}`);
    assertMatch(r.stderr, /^runprov: cannot write the run record /m, c.name);
    assertMatch(r.stderr, want, c.name);
    assertMatch(r.stderr, /^hint: /m, c.name);
    assertEquals(stackLines(r.stderr), [], c.name);
    assertEquals(r.stdout, "", `${c.name}: no data on stdout`);
    const canary = await Deno.lstat(join(sb.dir, "CANARY")).then(() => true, () => false);
    assertEquals(canary, false, `${c.name}: the command must not start without its record`);
    for (const k of keep) assertEquals(await bytesOf(k.path), k.bytes, `${c.name}: ${k.path}`);
  }
}

Deno.test({
  ...skipUnless(
    MOUNT_PROBLEM,
    "faults: a read-only record directory is exit 2 with a clear error, records intact",
  ),
  fn: async () => {
    await withSandbox(async (sb) => {
      await Deno.mkdir(runsDir(sb), { recursive: true });
      const umount = await mountTmpfs(runsDir(sb), "size=1m");
      try {
        const other = await otherRecord(sb);
        const r = await run("mount", ["-o", "remount,ro", runsDir(sb)]);
        assertEquals(r.code, 0, r.stderr);
        await assertWriteFails(sb, /read-only file system/i, [other]);
        assertEquals(await tempFiles(runsDir(sb)), []);
      } finally {
        await umount();
      }
    });
  },
});

Deno.test({
  ...skipUnless(
    MOUNT_PROBLEM,
    "faults: a full disk is exit 2, no temp file left, the other record byte-identical",
  ),
  fn: async () => {
    await withSandbox(async (sb) => {
      await Deno.mkdir(runsDir(sb), { recursive: true });
      const umount = await mountTmpfs(runsDir(sb), "size=16k");
      try {
        const other = await otherRecord(sb);
        // Fill the file system to the last byte.
        const filler = await Deno.open(join(runsDir(sb), "filler"), { write: true, create: true });
        try {
          const chunk = new Uint8Array(1024);
          for (;;) await filler.write(chunk);
        } catch (err) {
          assert(/no space/i.test(String(err)), String(err));
        } finally {
          filler.close();
        }
        await assertWriteFails(sb, /no space left on device/i, [other]);
        assertEquals(await tempFiles(runsDir(sb)), []);
      } finally {
        await umount();
      }
    });
  },
});

Deno.test("faults: --out naming a directory is exit 2, the directory untouched", async () => {
  await withSandbox(async (sb) => {
    await Deno.mkdir(join(sb.dir, "outdir"));
    const other = await otherRecord(sb);
    for (const c of WRITE_FAULT_COMMANDS) {
      const argv = c.argv("victim");
      const at = argv.indexOf("--run-id");
      argv.splice(at, 0, "--out", "outdir");
      const r = await sb.runprov(argv);
      assertEquals(r.code, 2, `${c.name}: ${r.stderr}`);
      assertMatch(r.stderr, /^runprov: cannot write the run record .*outdir/m);
      assertEquals(stackLines(r.stderr), []);
      assertEquals([...Deno.readDirSync(join(sb.dir, "outdir"))], []);
    }
    assertEquals(await bytesOf(other.path), other.bytes);
  });
});

Deno.test("faults: a directory where the record file goes is exit 2, nothing else damaged", async () => {
  await withSandbox(async (sb) => {
    const other = await otherRecord(sb);
    await Deno.mkdir(join(runsDir(sb), "victim.json", "inside"), { recursive: true });
    await assertWriteFails(sb, /victim\.json/, [other]);
    assertEquals([...Deno.readDirSync(join(runsDir(sb), "victim.json"))].length, 1);
    assertEquals(await tempFiles(runsDir(sb)), []);
  });
});

Deno.test("faults: .runprov being a file is exit 2, the file byte-identical", async () => {
  await withSandbox(async (sb) => {
    await Deno.writeTextFile(join(sb.dir, ".runprov"), "not a directory\n");
    const keep = { path: join(sb.dir, ".runprov"), bytes: await bytesOf(join(sb.dir, ".runprov")) };
    await assertWriteFails(sb, /\.runprov/, [keep]);
  });
});

for (const c of GIT_HANG_COMMANDS) {
  Deno.test(`faults: ${c.name} gives up on a hung git after RUNPROV_GIT_TIMEOUT (4 strict, unknown under warn)`, async () => {
    await withSandbox(async (sb) => {
      await withFakeGit(
        sb.base,
        { hangSeconds: 30 },
        (git) => hungGit(sb, c, { PATH: git.path(sb.env.PATH), RUNPROV_GIT_TIMEOUT: "1" }),
      );
    });
  });
}

/** `c` under strict (exit 4) and under warn (sha unknown) with a git that never answers. */
async function hungGit(
  sb: Sandbox,
  c: (typeof GIT_HANG_COMMANDS)[number],
  env: Record<string, string>,
): Promise<void> {
  const strict = await sb.runprov([
    ...c.argv("hung-strict").slice(0, 1),
    "--strict",
    ...c.argv("hung-strict").slice(1),
  ], { env });
  assertEquals(strict.code, 4, strict.stderr);
  assertMatch(strict.stderr, /did not finish within 1 s and was killed/);
  assertMatch(strict.stderr, /RUNPROV_GIT_TIMEOUT/);
  assertEquals(stackLines(strict.stderr), []);

  const warn = await sb.runprov(c.argv("hung-warn"), { env });
  assertEquals(warn.code, 0, warn.stderr);
  assertMatch(warn.stderr, /did not finish within 1 s/);
  const rec = JSON.parse(await Deno.readTextFile(join(runsDir(sb), "hung-warn.json")));
  assertEquals(rec.git.sha, "unknown");
  assertEquals(rec.git.reason_code, "timeout");
  assertMatch(rec.git.reason, /did not finish within 1 s and was killed/);
  assertEquals(rec.policy.verdict, "unavailable");
}

Deno.test("faults: the config's git_timeout bounds the git of every command, not only a capture", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "git_timeout": 1 }\n');
    await withFakeGit(sb.base, { hangSeconds: 30 }, async (git) => {
      const env = { PATH: git.path(sb.env.PATH) };
      for (const argv of [["runs"], ["tag", "--run", "nope"]]) {
        const res = await sb.runprov(argv, { env });
        assertEquals(res.code, 4, `${argv.join(" ")}: ${res.stderr}`);
        assertMatch(res.stderr, /did not finish within 1 s and was killed/);
      }
    });
  });
});
