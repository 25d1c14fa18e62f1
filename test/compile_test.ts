/**
 * `deno task compile`: the pure build plan (targets, names, stamped build info, checksums) and
 * the script's failures as a user meets them. No test compiles a binary: that needs a real
 * denort, which this suite cannot assume (see docs/install.md, "Building the binary").
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { DENO, ROOT, run } from "./helpers.ts";
import {
  binaryName,
  BuildError,
  buildInfoJson,
  denortCachePath,
  denortMissingMessage,
  denortUrl,
  planTargets,
  sha256sums,
  TARGETS,
} from "../scripts/build_plan.ts";

const HOST = "x86_64-unknown-linux-gnu";

/** The BuildError `fn` throws (fails the test when it throws nothing else). */
function buildError(fn: () => unknown): BuildError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BuildError) return err;
    throw err;
  }
  throw new Error("expected a BuildError");
}

Deno.test("compile plan: builds the four POSIX release targets by default", () => {
  assertEquals(planTargets([], undefined, HOST), [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
  ]);
  assertEquals(planTargets(["aarch64-apple-darwin"], undefined, HOST), ["aarch64-apple-darwin"]);
});

Deno.test("compile plan: an unknown target is a usage error listing the valid ones", () => {
  const err = buildError(() => planTargets(["x86_64-linux"], undefined, HOST));
  assertEquals(err.exitCode, 2);
  for (const t of TARGETS) assert(err.message.includes(t), t);
});

Deno.test("compile plan: DENORT_BIN builds the host target only", () => {
  assertEquals(planTargets([], "/opt/denort", HOST), [HOST]);
  assertEquals(planTargets([HOST], "/opt/denort", HOST), [HOST]);
  const err = buildError(() => planTargets(["aarch64-apple-darwin"], "/opt/denort", HOST));
  assertEquals(err.exitCode, 2);
  assertMatch(err.message, /DENORT_BIN builds only the host target/);
});

Deno.test("compile plan: binaries are named by target", () => {
  assertEquals(binaryName("aarch64-unknown-linux-gnu"), "runprov-aarch64-unknown-linux-gnu");
  assertEquals(binaryName("aarch64-apple-darwin"), "runprov-aarch64-apple-darwin");
});

Deno.test("compile plan: the Windows target is not shipped, and asking for it says why", () => {
  assert(!(TARGETS as readonly string[]).includes("x86_64-pc-windows-msvc"));
  const err = buildError(() => planTargets(["x86_64-pc-windows-msvc"], undefined, HOST));
  assertEquals(err.exitCode, 2);
  assertMatch(
    err.message,
    /^x86_64-pc-windows-msvc: runprov is POSIX-only .*not built for Windows/,
  );
});

Deno.test("compile plan: the stamped build info carries the version and a 12-digit commit", () => {
  const base = { version: "0.1.0", commit: null };
  const sha = "0123456789abcdef0123456789abcdef01234567";
  assertEquals(
    JSON.parse(buildInfoJson(base, { commit: sha, dirty: false })),
    { version: "0.1.0", commit: "0123456789ab" },
  );
  assertEquals(
    JSON.parse(buildInfoJson(base, { commit: sha, dirty: true })).commit,
    "0123456789ab-dirty",
  );
  assertEquals(
    JSON.parse(buildInfoJson(base, { commit: null, dirty: false })),
    { version: "0.1.0", commit: null },
  );
});

Deno.test("compile plan: denort is looked for where deno compile caches and fetches it", () => {
  assertEquals(
    denortUrl("2.9.6", HOST),
    "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
  );
  assertEquals(
    denortCachePath("/root/.cache/deno/", "2.9.6", HOST),
    "/root/.cache/deno/dl/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
  );
  assertMatch(denortMissingMessage([HOST], "dns error", "2.9.6", HOST), /DENORT_BIN=/);
});

Deno.test("compile plan: SHA256SUMS is in sha256sum's format, sorted by name", async () => {
  const text = sha256sums([
    { name: "runprov-x86_64-pc-windows-msvc.exe", sha256: "b".repeat(64) },
    { name: "runprov-aarch64-apple-darwin", sha256: "a".repeat(64) },
  ]);
  assertEquals(
    text,
    `${"a".repeat(64)}  runprov-aarch64-apple-darwin\n` +
      `${"b".repeat(64)}  runprov-x86_64-pc-windows-msvc.exe\n`,
  );
  // sha256sum itself accepts it.
  const dir = await Deno.makeTempDir({ prefix: "runprov-sums-" });
  try {
    const data = new TextEncoder().encode("binary\n");
    await Deno.writeFile(join(dir, "runprov-x"), data);
    const hex = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    await Deno.writeTextFile(
      join(dir, "SHA256SUMS"),
      sha256sums([{ name: "runprov-x", sha256: hex }]),
    );
    const r = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(r.stdout, /runprov-x: OK/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Run `deno task compile ARGS` from the project root with `env` added to a minimal one. */
async function compileTask(args: string[], env: Record<string, string> = {}) {
  const base: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  for (const k of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) base[k] = v;
  }
  return await run(DENO, ["task", "--quiet", "compile", ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
  });
}

function assertNoStack(stderr: string) {
  assert(!/^\s+at /m.test(stderr), `stack trace in:\n${stderr}`);
  assert(!/error: Uncaught/.test(stderr), stderr);
}

Deno.test("compile: --target with an unknown target exits 2 listing the valid targets", async () => {
  const r = await compileTask(["--target", "linux"]);
  assertEquals(r.code, 2, r.stderr);
  assertMatch(r.stderr, /unknown target 'linux'/);
  for (const t of TARGETS) assert(r.stderr.includes(t), t);
  assertNoStack(r.stderr);
});

Deno.test("compile: --help lists the targets and DENORT_BIN", async () => {
  const r = await compileTask(["--help"]);
  assertEquals(r.code, 0, r.stderr);
  for (const t of TARGETS) assert(r.stdout.includes(t), t);
  assertMatch(r.stdout, /DENORT_BIN/);
  const bad = await compileTask(["--frobnicate"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /--help/);
  assertNoStack(bad.stderr);
});

Deno.test("compile: DENORT_BIN naming a missing file is one clear error", async () => {
  const r = await compileTask([], { DENORT_BIN: "/nonexistent/denort" });
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /DENORT_BIN=\/nonexistent\/denort: no such file/);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assertNoStack(r.stderr);
});

Deno.test("compile: DENORT_BIN with another platform's target is refused", async () => {
  const other = TARGETS.find((t) => t !== Deno.build.target)!;
  const r = await compileTask(["--target", other], { DENORT_BIN: DENO });
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /DENORT_BIN builds only the host target/);
  assertNoStack(r.stderr);
});

Deno.test("compile: an unreachable dl.deno.land fails fast naming DENORT_BIN", async () => {
  // A DENO_DIR without cached denort archives (sharing only the npm cache, so deno task
  // needs no download) and a proxy that refuses connections make the denort download fail
  // on any machine, without waiting for a network timeout.
  const denoDir = await Deno.makeTempDir({ prefix: "runprov-denodir-" });
  try {
    const info = await run(DENO, ["info", "--json"]);
    await Deno.symlink(join(JSON.parse(info.stdout).denoDir, "npm"), join(denoDir, "npm"));
    const r = await compileTask(["--target", "aarch64-apple-darwin"], {
      DENO_DIR: denoDir,
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
    });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, /cannot download the denort runtime for aarch64-apple-darwin/);
    assertMatch(r.stderr, /set DENORT_BIN=\/path\/to\/denort/);
    assertNoStack(r.stderr);
    // Nothing was compiled.
    assertEquals(r.stderr.includes("deno compile --config"), false);
  } finally {
    await Deno.remove(denoDir, { recursive: true }).catch(() => {});
  }
});
