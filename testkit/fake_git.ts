/**
 * The one stand-in for `git` that tests put first on PATH: it logs each call's arguments (one
 * line per process, to count what runprov spawns), then runs the real git, hangs, or refuses.
 * A hanging git `exec`s its sleep, so the process runprov kills at its deadline is the sleep
 * itself and nothing is left behind; `cleanup()` kills any that a test abandoned.
 */
import { join } from "node:path";
import { alive } from "./processes.ts";
import { run } from "./sandbox.ts";

/** What the fake does after logging: run the real git, hang for `seconds`, or fail (97). */
export type FakeGitMode = "pass" | { hangSeconds: number } | "refuse";

/** A fake git installed in a directory of its own. */
export interface FakeGit {
  /** The directory holding `git`. */
  bin: string;
  /** The file the calls are logged to. */
  log: string;
  /** `bin` first, then `rest` (a PATH value). */
  path(rest: string | undefined): string;
  /** The logged calls, one argv (joined by spaces) per git process. */
  calls(): Promise<string[]>;
  /** Forget the calls logged so far. */
  reset(): Promise<void>;
  /** Kill any hanging fake still alive. */
  cleanup(): Promise<void>;
}

const found = new Map<string, string>();

/** The absolute path of `cmd` on this process's PATH (so the fake works under any PATH). */
async function absolute(cmd: string): Promise<string> {
  let path = found.get(cmd);
  if (path === undefined) {
    const r = await run("sh", ["-c", `command -v ${cmd}`]);
    path = r.stdout.trim();
    if (r.code !== 0 || !path.startsWith("/")) throw new Error(`${cmd} is not on PATH`);
    found.set(cmd, path);
  }
  return path;
}

/** Single-quote `s` for sh. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Install a fake `git` in `<base>/<name>/` (default `fakegit`) logging to `<base>/<name>.log`.
 *
 * @example
 * const git = await fakeGit(sb.base);
 * await sb.runprov(["runs"], { env: { PATH: git.path(sb.env.PATH) } });
 * (await git.calls()).filter((c) => c.startsWith("for-each-ref")).length; // 1
 */
export async function fakeGit(
  base: string,
  mode: FakeGitMode = "pass",
  name = "fakegit",
): Promise<FakeGit> {
  const bin = join(base, name);
  const log = join(base, `${name}.log`);
  const pids = join(base, `${name}.pids`);
  // Marks a hanging fake's environment, so cleanup never kills a process that reused its pid.
  const token = `runprov-fake-git-${crypto.randomUUID()}`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(log, "");
  let tail: string;
  if (mode === "pass") tail = `exec ${shq(await absolute("git"))} "$@"`;
  else if (mode === "refuse") tail = `echo "git must not run: $*" >&2\nexit 97`;
  else {
    const sleep = shq(await absolute("sleep"));
    tail = `echo $$ >> ${shq(pids)}\nRUNPROV_FAKE_GIT=${token} exec ${sleep} ${mode.hangSeconds}`;
  }
  await Deno.writeTextFile(
    join(bin, "git"),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${shq(log)}\n${tail}\n`,
    { mode: 0o755 },
  );
  await Deno.chmod(join(bin, "git"), 0o755);
  return {
    bin,
    log,
    path: (rest) => (rest ? `${bin}:${rest}` : bin),
    calls: async () => (await Deno.readTextFile(log)).split("\n").filter(Boolean),
    reset: () => Deno.writeTextFile(log, ""),
    cleanup: async () => {
      const text = await Deno.readTextFile(pids).catch(() => "");
      for (const pid of text.split("\n").filter(Boolean).map(Number)) {
        if (!alive(pid)) continue;
        const environ = await Deno.readTextFile(`/proc/${pid}/environ`).catch(() => "");
        if (!environ.includes(token)) continue;
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone in between
        }
      }
    },
  };
}

/** Install a fake git (see {@link fakeGit}), run `fn` with it, then always clean up. */
export async function withFakeGit<T>(
  base: string,
  mode: FakeGitMode,
  fn: (git: FakeGit) => Promise<T>,
): Promise<T> {
  const git = await fakeGit(base, mode);
  try {
    return await fn(git);
  } finally {
    await git.cleanup();
  }
}
