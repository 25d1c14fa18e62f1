#!/usr/bin/env -S deno run --allow-all
/**
 * runprov's entry point: the only file that reads Deno.args, writes stdout and exits.
 * The shebang's permission flags are exactly lib/permissions.json (a test checks it);
 * `deno task compile` gives the binary the same list.
 *
 * The CLI runs in a Worker; the process's main thread only starts it, blocks until it hands
 * back the exit code, and exits. Deno 2.9.2+ (`deno run`) starts an unauthenticated V8
 * inspector on 127.0.0.1:9229 when the process gets SIGUSR1: a task on the main thread's
 * event loop that installs itself 500 ms after start and acts only when that loop runs.
 * Here that loop never runs again once this module is evaluated, so a scheduler's SIGUSR1
 * reaches runprov's own listeners (`exec` forwards it to CMD) and never opens a socket.
 * docs/security.md, "The runtime's inspector (SIGUSR1)", has the measurements.
 */
import type { Io } from "./lib/io.ts";

/** Slots of the buffer the two threads share: the worker's state, then its exit code. */
const STATE = 0;
const CODE = 1;
/** Values of STATE: the worker has not run yet, is running the CLI, has an exit code. */
const WAITING = 0;
const RUNNING = 1;
const DONE = 2;
/** What the main thread sends the worker: the shared buffer and the command line. */
interface HostMessage {
  shared: Int32Array;
  args: string[];
}
/** A worker that has not started by then never will (its module failed to load). */
const START_LIMIT_MS = 60_000;

const encoder = new TextEncoder();

function stderrSync(text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  try {
    while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
  } catch {
    // stderr closed: nothing left to tell anyone.
  }
}

async function writeAll(stream: typeof Deno.stdout, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += await stream.write(bytes.subarray(off));
}

/** Build the real Io for this process. */
function processIo(): Io {
  return {
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: stderrSync,
    now: () => new Date(),
  };
}

/** runprov's own commit when running from a source checkout (not in a compiled binary). */
async function sourceCommit(): Promise<string | null> {
  // A compiled binary's modules live in a virtual file system: its commit is stamped instead.
  if (Deno.build.standalone) return null;
  const url = new URL(".", import.meta.url);
  if (url.protocol !== "file:") return null;
  const { Git } = await import("./lib/git/client.ts");
  const git = new Git({ cwd: decodeURIComponent(url.pathname), env: Deno.env.toObject() });
  const res = await git.run(["rev-parse", "--short", "-q", "--verify", "HEAD^{commit}"], {
    ok: [0, 1],
  });
  return res.code === 0 ? new TextDecoder().decode(res.stdout).trim() || null : null;
}

/** The main thread: start the worker, wait for its exit code without ever yielding, exit. */
function host(): never {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  // The arguments travel with the buffer: the worker never depends on its own Deno.args.
  const message: HostMessage = { shared, args: Deno.args };
  new Worker(import.meta.url, { type: "module" }).postMessage(message);
  const deadline = Date.now() + START_LIMIT_MS;
  while (Atomics.load(shared, STATE) === WAITING) {
    const left = deadline - Date.now();
    if (left <= 0) {
      stderrSync("runprov: internal error: the runtime did not start runprov's worker\n");
      Deno.exit(1);
    }
    Atomics.wait(shared, STATE, WAITING, left);
  }
  while (Atomics.load(shared, STATE) !== DONE) Atomics.wait(shared, STATE, RUNNING);
  Deno.exit(Atomics.load(shared, CODE));
}

/** The worker: run the CLI and hand its exit code to the main thread, whatever happens. */
function worker(): void {
  let shared: Int32Array | null = null;
  const finish = (code: number) => {
    if (!shared || Atomics.load(shared, STATE) === DONE) return;
    Atomics.store(shared, CODE, code);
    Atomics.store(shared, STATE, DONE);
    Atomics.notify(shared, STATE);
  };
  // An error nothing caught (in a signal listener, say) would end the worker silently and
  // leave the main thread waiting: report it and end the process instead.
  const fatal = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    stderrSync(`runprov: internal error: ${message}\n`);
    finish(1);
  };
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    fatal((e as ErrorEvent).error ?? (e as ErrorEvent).message);
  });
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    fatal(e.reason);
  });
  globalThis.addEventListener("message", async (e) => {
    const message = (e as MessageEvent).data as HostMessage;
    shared = message.shared;
    Atomics.store(shared, STATE, RUNNING);
    Atomics.notify(shared, STATE);
    let code = 1;
    try {
      const { runCli } = await import("./lib/cli/cli.ts");
      code = await runCli(message.args, processIo(), { sourceCommit });
    } catch (err) {
      fatal(err);
    } finally {
      finish(code);
    }
  }, { once: true });
}

if (import.meta.main) {
  if ("WorkerGlobalScope" in globalThis) worker();
  else host();
}
