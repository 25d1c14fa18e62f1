/**
 * Run a child process the way `runprov exec` promises: directly (no shell), with stdio
 * inherited, scheduler signals forwarded exactly once, and its outcome as exit code and
 * signal. The signal listeners come first ({@link SignalRelay}), the child after.
 */
import { GroupProbe, processGroupOf } from "./group_probe.ts";
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

/**
 * Signals that, arriving before the child exists, stop the run before it starts; numbered
 * as on Linux and macOS alike (for the 128+N exit code).
 */
export const STOP_SIGNALS: ReadonlyMap<Deno.Signal, number> = new Map([
  ["SIGHUP", 1],
  ["SIGINT", 2],
  ["SIGQUIT", 3],
  ["SIGTERM", 15],
]);

/** How a supervised child ended, or why it never started. */
export type ChildOutcome =
  | { started: true; code: number; signal: Deno.Signal | null }
  | { started: false; code: number; error: string; signal?: Deno.Signal };

/**
 * The signal listeners of one `runprov exec`, installed before anything else it does, so
 * no signal can kill runprov between writing the `running` record and waiting for the
 * child. Until a child is attached, a stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) is
 * remembered ({@link stoppedBy}) and SIGUSR1/SIGUSR2 are kept for the child. Once attached,
 * each signal reaches the child once: runprov passes it on unless it was sent to runprov's
 * whole process group and the child is in that group, so already has it (a terminal's
 * Ctrl-C, `kill -INT -PGID`, a scheduler signalling every process of a job); a
 * {@link GroupProbe} tells which. SIGQUIT is not probed: with stdin a terminal it is never
 * passed on (Ctrl-\ reached the child), otherwise always.
 */
export class SignalRelay {
  #child: Deno.ChildProcess | null = null;
  #stoppedBy: Deno.Signal | null = null;
  #kept: Deno.Signal[] = [];
  #listeners: [Deno.Signal, () => void][] = [];
  #probe: GroupProbe | null;
  #closed = false;

  constructor(private readonly opts: { terminal: boolean; env: Record<string, string> }) {
    for (const sig of FORWARDED_SIGNALS) {
      const listener = () => void this.#received(sig);
      Deno.addSignalListener(sig, listener);
      this.#listeners.push([sig, listener]);
    }
    this.#probe = GroupProbe.start(opts.env);
  }

  /** The first stop signal that arrived before a child was attached, if any. */
  get stoppedBy(): Deno.Signal | null {
    return this.#stoppedBy;
  }

  /** Pass signals to `child` from now on, first those kept for it. */
  attach(child: Deno.ChildProcess): void {
    this.#child = child;
    for (const sig of this.#kept.splice(0)) this.#send(child, sig);
  }

  /** Stop listening; signals from now on have their default effect on runprov. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [sig, listener] of this.#listeners) Deno.removeSignalListener(sig, listener);
    await this.#probe?.close();
  }

  async #received(sig: Deno.Signal): Promise<void> {
    // The child at the time the signal came: one started later cannot have it.
    const child = this.#child;
    if (child === null) {
      if (STOP_SIGNALS.has(sig)) this.#stoppedBy ??= sig;
      else this.#kept.push(sig);
      if (sig !== "SIGQUIT") await this.#probe?.reachedGroup(sig); // use the canary up
      return;
    }
    if (sig === "SIGQUIT") {
      if (!this.opts.terminal) this.#send(child, sig);
      return;
    }
    const reached = this.#probe
      ? await this.#probe.reachedGroup(sig)
      : this.opts.terminal && sig === "SIGINT"; // no canary: a terminal's Ctrl-C, as before
    if (reached && await inMyGroup(child.pid)) return;
    this.#send(child, sig);
  }

  #send(child: Deno.ChildProcess, sig: Deno.Signal): void {
    try {
      child.kill(sig);
    } catch { /* the child is already gone */ }
  }
}

/** Whether `pid` is in runprov's process group (true when /proc cannot tell). */
async function inMyGroup(pid: number): Promise<boolean> {
  const [mine, theirs] = await Promise.all([processGroupOf(Deno.pid), processGroupOf(pid)]);
  return mine === null || theirs === null || mine === theirs;
}

/**
 * Start `argv` and wait for it, passing signals through `relay` (whose listeners were in
 * place before this call). A stop signal that already arrived means the child never starts.
 */
export async function supervise(
  argv: readonly string[],
  opts: { env: Record<string, string>; cwd: string },
  relay: SignalRelay,
): Promise<ChildOutcome> {
  const stop = relay.stoppedBy;
  if (stop !== null) {
    return {
      started: false,
      code: 128 + STOP_SIGNALS.get(stop)!,
      signal: stop,
      error: `runprov got ${stop} before the command started; it never ran`,
    };
  }
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
  // Synchronously after spawn: a signal that came in meanwhile is handled after this.
  relay.attach(child);
  const status = await child.status;
  return { started: true, code: status.code, signal: status.signal };
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
