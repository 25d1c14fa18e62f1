/**
 * Run a child process the way `runprov exec` promises: directly (no shell), with stdio
 * inherited, scheduler signals forwarded, and its outcome as exit code and signal.
 */
import { clipped } from "../errors.ts";

/** Signals forwarded to the child (schedulers send TERM or USR1 before the kill). */
export const FORWARDED_SIGNALS: readonly Deno.Signal[] = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
];

/** How a supervised child ended. */
export type ChildOutcome =
  | { started: true; code: number; signal: Deno.Signal | null }
  | { started: false; code: 126 | 127; error: string };

/**
 * Start `argv` and wait for it. `onStart` runs once the child exists (to record it).
 * Signals in {@link FORWARDED_SIGNALS} are passed on; SIGINT and SIGQUIT are not when
 * stdin is a terminal, because the terminal already sent them to the child's process
 * group (forwarding would deliver Ctrl-C twice).
 */
export async function supervise(
  argv: readonly string[],
  opts: { env: Record<string, string>; cwd: string; terminal: boolean },
): Promise<ChildOutcome> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      env: opts.env,
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (err) {
    return spawnFailure(argv[0], err);
  }
  const handlers: [Deno.Signal, () => void][] = [];
  for (const sig of FORWARDED_SIGNALS) {
    if (opts.terminal && (sig === "SIGINT" || sig === "SIGQUIT")) {
      // Still listen, so runprov itself does not die before the child.
      const h = () => {};
      Deno.addSignalListener(sig, h);
      handlers.push([sig, h]);
      continue;
    }
    const h = () => {
      try {
        child.kill(sig);
      } catch { /* the child is already gone */ }
    };
    Deno.addSignalListener(sig, h);
    handlers.push([sig, h]);
  }
  try {
    const status = await child.status;
    return { started: true, code: status.code, signal: status.signal };
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  }
}

/** Turn a spawn error into the shell's codes: 127 not found, 126 cannot execute. */
export function spawnFailure(cmd: string, err: unknown): ChildOutcome {
  if (err instanceof Deno.errors.NotFound) {
    return { started: false, code: 127, error: `command not found: ${clipped(cmd)}` };
  }
  const why = err instanceof Error ? err.message.replace(/^Failed to spawn '[^']*': /, "") : "";
  return {
    started: false,
    code: 126,
    error: `cannot execute ${clipped(cmd)}: ${clipped(why || String(err), 200)}`,
  };
}
