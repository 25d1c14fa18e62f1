/**
 * Whether a signal runprov received was sent to its whole process group (a terminal's
 * Ctrl-C, `kill -TERM -PGID`, a scheduler signalling every process of a job) and so has
 * already reached the supervised command, or to runprov's pid alone. Told by a canary: an
 * idle `cat` in runprov's process group that dies of any such signal. The kernel marks every
 * member of a signalled group before kill() returns, so when runprov's listener runs, the
 * canary is dying or dead, or was not signalled. The canary reads a pipe only runprov
 * holds: it ends by itself when runprov ends, even by SIGKILL.
 */

/** Without /proc (macOS): how long a signalled canary may take to die. */
const NO_PROC_WAIT_MS = 250;
/** How long a canary may stay busy (see {@link CanaryState}) before it counts as idle. */
const BUSY_WAIT_MS = 2000;
/** How often a busy canary's state is read again. */
const BUSY_POLL_MS = 5;
/** Linux signal numbers of the signals probed (bits of /proc/PID/status's masks). */
const LINUX_SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
  SIGUSR1: 10,
  SIGUSR2: 12,
};
const SIGKILL_NUMBER = 9;

/**
 * What /proc/PID/status says about a process: gone, dying of `sig`, idle (asleep in its
 * read, nothing pending), busy (awake with nothing pending: a signal already taken off its
 * queue, as when a tracer such as `strace -f` holds it in a signal-delivery stop, or on its
 * way out), or unknown.
 */
export type CanaryState = "gone" | "dying" | "idle" | "busy" | "unknown";

/**
 * Read a process's state from the text of its /proc/PID/status (null: no such file): dying
 * when it is a zombie or has `sig` or SIGKILL pending (a fatal signal turns into SIGKILL);
 * idle only when it sleeps (or is stopped) with neither pending.
 *
 * @example
 * canaryState("State:\tS (sleeping)\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000002\n", "SIGINT");
 * // "dying"
 */
export function canaryState(status: string | null, sig: Deno.Signal): CanaryState {
  if (status === null) return "gone";
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(\\S+)`, "m"))?.[1];
  const state = field("State");
  const pending = [field("SigPnd"), field("ShdPnd")];
  const n = LINUX_SIGNAL_NUMBERS[sig];
  if (
    state === undefined || n === undefined ||
    pending.some((p) => p === undefined || !/^[0-9a-f]{1,16}$/i.test(p))
  ) {
    return "unknown";
  }
  if (state === "Z" || state === "X") return "dying";
  const mask = pending.reduce((acc, p) => acc | BigInt(`0x${p}`), 0n);
  const bits = (1n << BigInt(n - 1)) | (1n << BigInt(SIGKILL_NUMBER - 1));
  if ((mask & bits) !== 0n) return "dying";
  // An idle canary sleeps in read(2) or is stopped by job control; awake means it took a
  // signal off its queue and has not finished with it yet (`t` is a tracer's stop).
  return state === "S" || state === "T" || state === "I" ? "idle" : "busy";
}

/**
 * The process group of a process from the text of its /proc/PID/stat (null when unreadable).
 *
 * @example
 * processGroup("42 (a) b) S 1 40 40 0"); // 40
 */
export function processGroup(stat: string | null): number | null {
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) && pgrp > 0 ? pgrp : null;
}

/** A canary process and the way it ended, once it has. */
interface Canary {
  proc: Deno.ChildProcess;
  ended: Deno.CommandStatus | null;
  done: Promise<Deno.CommandStatus>;
}

/**
 * The canary of one `runprov exec`. {@link reachedGroup} answers for one signal (and stands
 * a new canary up when the old one died of it); {@link close} ends the canary.
 */
export class GroupProbe {
  #canary: Canary | null = null;
  #closed = false;

  private constructor(private readonly env: Record<string, string>) {}

  /** Start a probe; null when no canary can be started (no `cat` on PATH). */
  static start(env: Record<string, string>): GroupProbe | null {
    const probe = new GroupProbe(env);
    probe.#spawn();
    return probe.#canary ? probe : null;
  }

  #spawn(): void {
    this.#canary = null;
    if (this.#closed) return;
    try {
      const proc = new Deno.Command("cat", {
        env: this.env,
        clearEnv: true,
        cwd: "/",
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
      proc.unref();
      const canary: Canary = { proc, ended: null, done: proc.status };
      canary.done.then((status) => canary.ended = status, () => {});
      this.#canary = canary;
    } catch {
      // No canary: reachedGroup() answers from the fallback rule.
    }
  }

  /** Whether a live canary stands (false: no `cat` could be started). */
  get active(): boolean {
    return this.#canary !== null;
  }

  /**
   * True when `sig`, which runprov just received, also reached its process group; false
   * when it was sent to runprov alone (or the canary had died of something else before).
   */
  async reachedGroup(sig: Deno.Signal): Promise<boolean> {
    const canary = this.#canary;
    if (!canary) return false;
    let reached: boolean;
    if (canary.ended) {
      reached = canary.ended.signal === sig;
    } else {
      const state = await settledState(canary, sig);
      if (state === "idle") {
        return false;
      } else if (state === "unknown") {
        // AbortSignal's timer, not setTimeout (whose first use loads Node's timers).
        const timer = new Promise<null>((r) =>
          AbortSignal.timeout(NO_PROC_WAIT_MS).addEventListener("abort", () => r(null))
        );
        const ended = await Promise.race([canary.done, timer]);
        if (ended === null) return false;
        reached = ended.signal === sig;
      } else {
        canary.proc.ref(); // dying: keep the event loop alive until it is reaped
        reached = (await canary.done).signal === sig;
      }
    }
    // This canary has told what it knows: the next signal needs a fresh one.
    if (this.#canary === canary) this.#spawn();
    return reached;
  }

  /** End the canary and wait for it. */
  async close(): Promise<void> {
    this.#closed = true;
    const canary = this.#canary;
    this.#canary = null;
    if (!canary) return;
    if (!canary.ended) {
      canary.proc.ref();
      try {
        canary.proc.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await canary.done.catch(() => {});
    await canary.proc.stdin.close().catch(() => {});
  }
}

/**
 * The canary's state once it is not busy: read again every few milliseconds while it is,
 * until it sleeps, dies or has been busy for {@link BUSY_WAIT_MS} (then it counts as idle).
 */
async function settledState(canary: Canary, sig: Deno.Signal): Promise<CanaryState> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (;;) {
    const state = canary.ended ? "gone" : await readState(canary.proc.pid, sig);
    if (state !== "busy") return state;
    if (Date.now() >= deadline) return "idle";
    await new Promise<void>((r) =>
      AbortSignal.timeout(BUSY_POLL_MS).addEventListener("abort", () => r())
    );
  }
}

async function readState(pid: number, sig: Deno.Signal): Promise<CanaryState> {
  try {
    return canaryState(await Deno.readTextFile(`/proc/${pid}/status`), sig);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) return "unknown";
    // No such file: the canary is gone, or this system has no /proc (macOS).
    try {
      await Deno.stat("/proc/self/status");
      return "gone";
    } catch {
      return "unknown";
    }
  }
}

/** The process group of `pid` on a system with /proc, else null. */
export async function processGroupOf(pid: number): Promise<number | null> {
  try {
    return processGroup(await Deno.readTextFile(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}
