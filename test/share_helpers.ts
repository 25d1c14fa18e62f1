/**
 * Real remotes for the sharing tests: bare repositories over the file transport, and
 * `git daemon` on 127.0.0.1 (a real network transport) started and stopped by the test.
 * Also: the full state of a repository (to prove a failure changed nothing) and every
 * object of a repository as bytes (to scan what was pushed for credentials).
 */
import { join } from "node:path";
import { run, type Sandbox } from "./helpers.ts";

/** A bare repository at `<sandbox>/<name>.git`, added to the sandbox repo as remote `name`. */
export async function bareRemote(sb: Sandbox, name = "origin"): Promise<string> {
  const path = join(sb.base, `${name}.git`);
  await sb.gitIn(sb.base, "init", "-q", "--bare", "-b", "main", path);
  await sb.git("remote", "add", name, path);
  return path;
}

/** A free TCP port on 127.0.0.1: bind port 0, read it, let it go. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running `git daemon` serving the bare repositories under `base`. */
export interface Daemon {
  /** `git://127.0.0.1:<port>/` */
  url: string;
  stop(): Promise<void>;
}

/**
 * Start `git daemon` on 127.0.0.1 with a free port, serving every bare repository under
 * `base`; with `push` (default) it accepts pushes (`--enable=receive-pack`), without it the
 * remote is read-only. Resolves once the port accepts connections. Always `stop()` it.
 */
export async function startDaemon(
  sb: Sandbox,
  base: string,
  opts: { push?: boolean } = {},
): Promise<Daemon> {
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const args = [
      "daemon",
      "--reuseaddr",
      "--listen=127.0.0.1",
      `--port=${port}`,
      `--base-path=${base}`,
      "--export-all",
      "--informative-errors",
      ...(opts.push ?? true ? ["--enable=receive-pack"] : []),
      base,
    ];
    const child = new Deno.Command("git", {
      args,
      env: sb.env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const stop = async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone already */ }
      await child.status;
      await stderr;
    };
    for (let i = 0; i < 100; i++) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        return { url: `git://127.0.0.1:${port}/`, stop };
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await stop();
    if (attempt >= 3) throw new Error(`git daemon did not start: ${await stderr}`);
  }
}

/** Clone `url` into `<sandbox>/<dir>` through the transport (a teammate's checkout: no `.runprov/`). */
export async function cloneOf(sb: Sandbox, url: string, dir: string): Promise<string> {
  const path = join(sb.base, dir);
  await sb.gitIn(sb.base, "clone", "-q", "--no-local", url, path);
  return path;
}

/** sha256 (hex) of a file's bytes. */
export async function fileSha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every ref of a repository with its value (`git for-each-ref`), one per line. */
export async function refsOf(sb: Sandbox, dir: string, prefix = ""): Promise<string> {
  const args = ["for-each-ref", "--format=%(objectname) %(refname)"];
  return await sb.gitIn(dir, ...(prefix ? [...args, prefix] : args));
}

/**
 * What a user of a checkout could notice changed: every ref outside the snapshot cache,
 * HEAD, the index file's bytes, `git status`, and the record directory's files and bytes.
 */
export async function checkoutState(sb: Sandbox, dir = sb.dir): Promise<string> {
  const refs = (await refsOf(sb, dir)).split("\n")
    .filter((l) => !l.includes(" refs/runprov/snapshots/")).join("\n");
  const head = await sb.gitIn(dir, "rev-parse", "HEAD");
  const status = await sb.gitIn(dir, "status", "--porcelain=v2", "--branch", "-z");
  const gitDir = (await sb.gitIn(dir, "rev-parse", "--absolute-git-dir")).trim();
  const index = await fileSha256(join(gitDir, "index")).catch(() => "no index");
  const records: string[] = [];
  try {
    for await (const e of Deno.readDir(join(dir, ".runprov", "runs"))) {
      records.push(`${e.name} ${await fileSha256(join(dir, ".runprov", "runs", e.name))}`);
    }
  } catch { /* no record directory */ }
  return [refs, head, status, index, records.sort().join("\n")].join("\n--\n");
}

/** Every object in a repository, as its raw bytes, in one `git cat-file --batch-all-objects`. */
export async function allObjects(sb: Sandbox, dir: string): Promise<Uint8Array> {
  const r = await run("git", [
    "cat-file",
    "--batch-all-objects",
    "--batch",
    "--unordered",
  ], { cwd: dir, env: sb.env });
  if (r.code !== 0) throw new Error(`cat-file failed: ${r.stderr}`);
  return r.stdoutBytes;
}

/** Count objects in a repository (loose and packed). */
export async function objectCount(sb: Sandbox, dir: string): Promise<number> {
  const out = await sb.gitIn(dir, "count-objects", "-v");
  const n = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, "m").exec(out)?.[1] ?? 0);
  return n("count") + n("in-pack");
}
