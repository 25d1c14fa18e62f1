/**
 * Throw-away git repositories and the CLI as a user runs it, for the tests and the
 * reliability script. The CLI runs the compiled binary named by RUNPROV_BIN, or main.ts under
 * exactly the permission flags the binary is compiled with (lib/permissions.json): one
 * helper, so the two cannot drift.
 */
import permissions from "../lib/permissions.json" with { type: "json" };
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const MAIN = join(ROOT, "main.ts");
export const PERMISSIONS: readonly string[] = permissions;

/** The deno binary running the tests (also used to run main.ts). */
export const DENO = Deno.execPath();

/** Environment for git and runprov in tests: a private HOME and a fixed identity. */
export function baseEnv(home: string): Record<string, string> {
  const keep = ["PATH", "DENO_DIR", "TMPDIR", "RUNPROV_BIN", "DENO_NO_UPDATE_CHECK"];
  const env: Record<string, string> = {};
  for (const k of keep) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  // The child's HOME is private, so point it at the parent's Deno cache: main.ts imports npm
  // packages (jsonc-parser) that must come from the cache, not the network.
  env.DENO_DIR ??= join(
    Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? "/root", ".cache"),
    "deno",
  );
  return {
    ...env,
    HOME: home,
    USER: "tester",
    LANG: "C.UTF-8",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
}

/** Result of a process run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

const dec = new TextDecoder();

/** Run a program; never throws for a non-zero exit. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.env !== undefined,
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    stdoutBytes: out.stdout,
  };
}

/** The argv that starts runprov: the binary, or deno with the shipped permissions. */
export function runprovArgv(): string[] {
  const bin = Deno.env.get("RUNPROV_BIN");
  // Absolute, so `RUNPROV_BIN=dist/runprov-…` works from tests that run in temp directories.
  if (bin) return [resolve(bin)];
  return [DENO, "run", "--quiet", ...PERMISSIONS, MAIN];
}

/** A throw-away repository (or plain directory) with its own HOME. */
export class Sandbox {
  readonly home: string;
  readonly dir: string;
  env: Record<string, string>;

  private constructor(readonly base: string) {
    this.home = join(base, "home");
    this.dir = join(base, "repo");
    this.env = baseEnv(this.home);
  }

  /** Make a sandbox; with `git: true` (default) `repo/` is a repository on branch main. */
  static async create(opts: { git?: boolean; commit?: boolean } = {}): Promise<Sandbox> {
    const base = await Deno.makeTempDir({ prefix: "runprov-test-" });
    const sb = new Sandbox(base);
    await Deno.mkdir(sb.home, { recursive: true });
    await Deno.mkdir(sb.dir, { recursive: true });
    if (opts.git ?? true) {
      await sb.git("init", "-q", "-b", "main");
      if (opts.commit ?? true) {
        await sb.write("README.md", "hello\n");
        await sb.git("add", "README.md");
        await sb.git("commit", "-q", "-m", "initial");
      }
    }
    return sb;
  }

  /** Run git in the repository (or `cwd`); throws with stderr on failure. */
  async git(...args: string[]): Promise<string> {
    return await this.gitIn(this.dir, ...args);
  }

  async gitIn(cwd: string, ...args: string[]): Promise<string> {
    const r = await run("git", args, { cwd, env: this.env });
    if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Write a file (creating directories) relative to the repository. */
  async write(path: string, text: string): Promise<void> {
    const full = join(this.dir, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, text);
  }

  /** Run runprov with `args` in the repository (or `cwd`). */
  runprov(
    args: string[],
    opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
  ): Promise<RunResult> {
    const [cmd, ...pre] = runprovArgv();
    return run(cmd, [...pre, ...args], {
      cwd: opts.cwd ?? this.dir,
      env: { ...this.env, ...opts.env },
      stdin: opts.stdin,
    });
  }

  /**
   * Start runprov without waiting (for signal tests); stdio piped, stdin closed. With
   * `group: true` it leads a process group of its own (through setsid), so its children can be
   * killed or waited for as one: the group's id is the child's pid.
   */
  spawnRunprov(
    args: string[],
    opts: { cwd?: string; env?: Record<string, string>; group?: boolean } = {},
  ): Deno.ChildProcess {
    let [cmd, ...pre] = runprovArgv();
    if (opts.group) {
      // setsid(1) execs in place when its caller is no group leader (a spawned child is not).
      pre = [cmd, ...pre];
      cmd = "setsid";
    }
    return new Deno.Command(cmd, {
      args: [...pre, ...args],
      cwd: opts.cwd ?? this.dir,
      env: { ...this.env, ...opts.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  /** Run runprov and parse its stdout as JSON, failing with stderr if it did not exit 0. */
  async json(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
    const r = await this.runprov(args, opts);
    if (r.code !== 0) throw new Error(`runprov ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  async cleanup(): Promise<void> {
    await Deno.remove(this.base, { recursive: true }).catch(() => {});
  }
}

/** Make a sandbox, run `fn`, always clean up. */
export async function withSandbox(
  fn: (sb: Sandbox) => Promise<void>,
  opts?: { git?: boolean; commit?: boolean },
): Promise<void> {
  const sb = await Sandbox.create(opts);
  try {
    await fn(sb);
  } finally {
    await sb.cleanup();
  }
}
