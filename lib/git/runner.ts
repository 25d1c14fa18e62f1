/**
 * The process seam: the only module that spawns git (`new Deno.Command("git")`, in
 * {@link denoGitRunner}). It owns the runner type tests replace, what a run gives back, the
 * classified {@link GitError}, and the hygiene of docs/architecture.md, "How runprov talks
 * to git": argv arrays only, `-c core.fsmonitor=false`, a scrubbed environment, `LC_ALL=C`,
 * no prompts, closed stdin and a time limit. The typed calls are in client.ts, the parsers
 * of git's output in parse.ts.
 */
import { clipped } from "../errors.ts";

/** What one git process gave back. */
export interface GitResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  /** The stdout sink asked to stop, and git was killed on purpose (see `onStdout`). */
  stopped?: boolean;
}

/** Receives git's stdout chunk by chunk; returning false stops reading and kills git. */
export type StdoutSink = (chunk: Uint8Array) => boolean | Promise<boolean>;

/** Spawns git. Replaceable in tests (to assert the exact argv) and in benchmarks. */
export type GitRunner = (
  args: readonly string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    /** Stream stdout here instead of collecting it (then `stdout` is empty). */
    onStdout?: StdoutSink;
    /** Bytes for git's stdin (else stdin is closed). */
    input?: Uint8Array;
  },
) => Promise<GitResult>;

/** Why git could not answer, as a stable code (also stored as `git.reason_code`). */
export type GitFailure =
  | "git-not-found"
  | "not-a-repository"
  | "not-a-work-tree"
  | "dubious-ownership"
  | "unborn-head"
  | "corrupt-head"
  | "timeout"
  | "bad-config"
  | "bad-index"
  | "git-failed";

/** A git process that failed: its argv, exit code, stderr and a classified reason. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number,
    readonly stderr: string,
    readonly failure: GitFailure,
    message?: string,
  ) {
    super(
      message ??
        `git ${clipped(args.join(" "), 200)} failed (exit ${code}): ${
          clipped(firstLine(stderr), 300)
        }`,
    );
    this.name = "GitError";
  }
}

/** The line of git's stderr that says what went wrong: the first `fatal:`/`error:` line. */
export function firstLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith("fatal:") || l.startsWith("error:")) ?? lines[0] ?? "";
}

/**
 * Variables git reads to find a repository (`git rev-parse --local-env-vars`, git 2.39).
 * Inherited from a parent git (a hook, an alias) they point runprov at the wrong repository.
 */
export const SCRUBBED_GIT_VARS = [
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_CONFIG",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_OBJECT_DIRECTORY",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_IMPLICIT_WORK_TREE",
  "GIT_GRAFT_FILE",
  "GIT_INDEX_FILE",
  "GIT_NO_REPLACE_OBJECTS",
  "GIT_REPLACE_REF_BASE",
  "GIT_PREFIX",
  "GIT_INTERNAL_SUPER_PREFIX",
  "GIT_SHALLOW_FILE",
  "GIT_COMMON_DIR",
] as const;

/**
 * The environment every git child gets: the parent's, minus repository-location variables
 * (and numbered `GIT_CONFIG_KEY_n`/`VALUE_n`), plus the fixed settings runprov relies on.
 */
export function gitEnv(parent: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  const drop = new Set<string>(SCRUBBED_GIT_VARS);
  for (const [k, v] of Object.entries(parent)) {
    if (drop.has(k) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k)) continue;
    env[k] = v;
  }
  env.GIT_OPTIONAL_LOCKS = "0";
  env.LC_ALL = "C";
  delete env.LANGUAGE;
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_ADVICE = "0";
  env.GIT_PAGER = "cat";
  env.GIT_NO_LAZY_FETCH = "1";
  return env;
}

/** Names of inherited location variables that runprov ignores (for one warning). */
export function inheritedGitVars(parent: Record<string, string>): string[] {
  return SCRUBBED_GIT_VARS.filter((k) => parent[k] !== undefined);
}

/** Options prepended to every git command line. */
export const GIT_GLOBAL_ARGS = ["-c", "core.fsmonitor=false"] as const;

const decoder = new TextDecoder();

/** The default runner: `Deno.Command`, stdin closed (or fed `input`), SIGKILL at the deadline. */
export const denoGitRunner: GitRunner = async (args, { cwd, env, timeoutMs, onStdout, input }) => {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("git", {
      args: [...args],
      cwd,
      env,
      clearEnv: true,
      stdin: input ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new GitError(
        args,
        127,
        "",
        "git-not-found",
        "git is not installed or not on PATH",
      );
    }
    if (err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.PermissionDenied) {
      throw new GitError(args, 126, String(err), "git-failed", `cannot run git in ${cwd}: ${err}`);
    }
    throw err;
  }
  // On the deadline: SIGKILL git and stop waiting, even if a grandchild (a hook, a
  // submodule's git) still holds the pipes open. AbortSignal.timeout, not setTimeout: in
  // Deno 2 the first setTimeout loads the Node timers (~10 ms of every run); the signal's
  // timer keeps the process alive only while the listener is attached.
  const signal = AbortSignal.timeout(timeoutMs);
  let onAbort: () => void = () => {};
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      reject(
        new GitError(
          args,
          137,
          "",
          "timeout",
          `git ${args.slice(GIT_GLOBAL_ARGS.length).join(" ")} did not finish within ${
            timeoutMs / 1000
          } s and was killed`,
        ),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // git reads its input while writing output: feed stdin concurrently, never before.
  const fed = input ? feedStdin(child, input) : Promise.resolve();
  fed.catch(() => {}); // a git that exits early closes the pipe; its exit code tells why
  try {
    if (onStdout) return await Promise.race([streamOutput(child, onStdout), deadline]);
    const out = await Promise.race([child.output(), deadline]);
    return { code: out.code, stdout: out.stdout, stderr: decoder.decode(out.stderr) };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
};

/** Write `input` to the child's stdin and close it. */
async function feedStdin(child: Deno.ChildProcess, input: Uint8Array): Promise<void> {
  const w = child.stdin.getWriter();
  try {
    await w.write(input);
    await w.close();
  } finally {
    w.releaseLock();
  }
}

/** Feed a child's stdout to `sink` chunk by chunk; stop and kill it when the sink says so. */
async function streamOutput(child: Deno.ChildProcess, sink: StdoutSink): Promise<GitResult> {
  const stderrP = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let stopped = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(await sink(value))) {
        stopped = true;
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  const status = await child.status;
  return { code: status.code, stdout: new Uint8Array(), stderr: await stderrP, stopped };
}

/** Turn git's (LC_ALL=C) stderr into a stable failure reason. */
export function classify(stderr: string): GitFailure {
  if (/detected dubious ownership/.test(stderr)) return "dubious-ownership";
  if (/not a git repository/.test(stderr)) return "not-a-repository";
  if (/must be run in a work tree/.test(stderr)) return "not-a-work-tree";
  if (
    /\bbad config (?:line \d+ in|variable '[^'\n]*' in)\b|\bbad (?:numeric |boolean )?config value\b/
      .test(stderr)
  ) {
    return "bad-config";
  }
  if (
    /index file (?:corrupt|smaller than expected|open failed)|unable to map index file|bad index version|bad signature 0x/
      .test(stderr)
  ) {
    return "bad-index";
  }
  if (/bad object HEAD|bad revision 'HEAD'|unknown revision or path.*HEAD/.test(stderr)) {
    return "corrupt-head";
  }
  return "git-failed";
}

/**
 * Config given to one git process through `GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n` (command-line
 * scope, like `-c`, but any subsection name is safe: `-c` splits at the first '=').
 */
export function configEnv(pairs: readonly [string, string][]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}
