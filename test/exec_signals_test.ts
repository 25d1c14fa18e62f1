/**
 * `runprov exec` as a supervisor on a shared node: every signal reaches CMD exactly once
 * (sent to runprov alone, to its process group, or typed at a terminal), SIGUSR1 never
 * opens the runtime's inspector, and no signal can separate runprov from its child.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { run, runprovArgv, withSandbox } from "./helpers.ts";
import { SignalRelay, supervise } from "../lib/run/supervise.ts";
import { canaryState, processGroup } from "../lib/run/group_probe.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `fn` returns a value other than undefined (or fail after `ms`). */
async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function readOr(path: string, fallback = ""): Promise<string> {
  return await Deno.readTextFile(path).catch(() => fallback);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * The listening TCP sockets `pid` owns: its open socket inodes matched against the LISTEN
 * rows (state 0A) of /proc/PID/net/tcp and tcp6. Empty when the process is gone.
 */
async function listeningSockets(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  try {
    for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
      const link = await Deno.readLink(`/proc/${pid}/fd/${e.name}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(m[1]);
    }
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const text = await readOr(`/proc/${pid}/net/${table}`);
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === "0A" && inodes.has(f[9])) found.push(`${table} ${f[1]}`);
    }
  }
  return found;
}

/** Poll `pid`'s listening sockets for `ms`; every one seen is returned. */
async function socketsDuring(pid: number, ms: number): Promise<string[]> {
  const seen = new Set<string>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const s of await listeningSockets(pid)) seen.add(s);
    await sleep(20);
  }
  return [...seen];
}

/**
 * A CMD (sh) that appends the name of every forwarded signal it gets to `got`, writes its
 * pid to `child.pid`, touches `ready`, and exits 0 once `stop` exists.
 */
const COUNTING_CHILD = [
  "sh",
  "-c",
  'for s in INT TERM HUP QUIT USR1 USR2; do trap "echo $s >> got" $s; done; ' +
  "echo $$ > child.pid; touch ready; while [ ! -e stop ]; do sleep 0.05; done",
];

const hasProc = await exists("/proc/self/net/tcp");

/** The path of each tool, or "" when it is not installed. */
async function tools(...names: string[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const n of names) found[n] = (await run("sh", ["-c", `command -v ${n}`])).stdout.trim();
  return found;
}

const have: Record<string, string> = {
  ...(await tools("setsid", "strace", "script", "python3")),
  "/proc": hasProc ? "/proc" : "",
};

/** A test's name and `ignore`: ignored, saying what is missing, when one of `needs` is. */
function needing(needs: string[], name: string): { name: string; ignore: boolean } {
  const missing = needs.filter((n) => !have[n]);
  return {
    name: name + (missing.length ? ` (skipped: needs ${missing.join(", ")})` : ""),
    ignore: missing.length > 0,
  };
}

/**
 * COUNTING_CHILD in Python, whose handlers run as soon as a signal arrives: a second
 * delivery a few milliseconds after the first is counted, not merged into it (sh only
 * runs its traps once its `sleep` ends, by when two deliveries have become one).
 */
const PROMPT_COUNTING_CHILD = [
  "python3",
  "-c",
  `import os, signal, time
names = {signal.SIGINT: "INT", signal.SIGTERM: "TERM", signal.SIGHUP: "HUP",
         signal.SIGQUIT: "QUIT", signal.SIGUSR1: "USR1", signal.SIGUSR2: "USR2"}
def got(sig, frame):
    with open("got", "a") as f:
        f.write(names[sig] + "\\n")
for sig in names:
    signal.signal(sig, got)
with open("child.pid", "w") as f:
    f.write(str(os.getpid()))
open("ready", "w").close()
while not os.path.exists("stop"):
    time.sleep(0.05)
`,
];

Deno.test({
  ...needing(
    ["/proc"],
    "exec: SIGUSR1 reaches CMD once and runprov never listens on a socket (no inspector)",
  ),
  async fn() {
    await withSandbox(async (sb) => {
      const started = Date.now();
      const proc = sb.spawnRunprov(["exec", "--run-id", "usr1", "--", ...COUNTING_CHILD]);
      await waitUntil("the child", async () => await exists(join(sb.dir, "ready")) || undefined);
      // Deno installs its SIGUSR1 inspector 500 ms after start: be well past that.
      await sleep(Math.max(0, 1500 - (Date.now() - started)));
      const before = await listeningSockets(proc.pid);
      proc.kill("SIGUSR1");
      await waitUntil(
        "USR1 at the child",
        async () => (await readOr(join(sb.dir, "got"))) || undefined,
      );
      const after = await socketsDuring(proc.pid, 1500);
      await Deno.writeTextFile(join(sb.dir, "stop"), "");
      const out = await proc.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, stderr);
      assertEquals(await readOr(join(sb.dir, "got")), "USR1\n");
      assertEquals([...before, ...after], [], "runprov must not listen on any socket");
      assert(!/Debugger listening/.test(stderr), stderr);
    });
  },
});

Deno.test({
  ...needing(
    ["/proc"],
    "exec: each forwarded signal sent to runprov's pid reaches CMD exactly once",
  ),
  async fn() {
    await withSandbox(async (sb) => {
      const proc = sb.spawnRunprov(["exec", "--run-id", "each", "--", ...COUNTING_CHILD]);
      await waitUntil("the child", async () => await exists(join(sb.dir, "ready")) || undefined);
      await sleep(1000);
      const names = ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2"] as const;
      for (const [i, name] of names.entries()) {
        proc.kill(`SIG${name}`);
        await waitUntil(`${name} at the child`, async () => {
          const lines = (await readOr(join(sb.dir, "got"))).split("\n").filter(Boolean);
          return lines.length > i ? true : undefined;
        });
      }
      const sockets = await socketsDuring(proc.pid, 1200);
      await Deno.writeTextFile(join(sb.dir, "stop"), "");
      const out = await proc.output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertEquals(await readOr(join(sb.dir, "got")), names.map((n) => `${n}\n`).join(""));
      assertEquals(sockets, []);
    });
  },
});

Deno.test({
  ...needing(
    ["setsid", "strace", "python3", "/proc"],
    "exec: a signal sent to runprov's whole process group reaches CMD once, not twice",
  ),
  async fn() {
    await withSandbox(async (sb) => {
      // setsid: runprov leads a process group of its own (runprov, CMD, nothing else of ours);
      // strace records every kill() runprov makes (a merged second delivery is not visible
      // at the child, a kill() to it is).
      const trace = join(sb.base, "trace.txt");
      const proc = new Deno.Command(have.strace, {
        args: [
          ...["-f", "--seccomp-bpf", "-qq", "-e", "trace=kill", "-e", "signal=none"],
          ...["-o", trace, have.setsid, ...runprovArgv()],
          ...["exec", "--run-id", "grp", "--", ...PROMPT_COUNTING_CHILD],
        ],
        cwd: sb.dir,
        env: sb.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await waitUntil("the child", async () => await exists(join(sb.dir, "ready")) || undefined);
      await sleep(1000);
      const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, ".runprov/runs/grp.json")));
      const group = rec.command.supervisor_pid as number;
      const childPid = Number((await readOr(join(sb.dir, "child.pid"))).trim());
      // As a scheduler that signals every process of the job (or `kill -USR1 -PGID`).
      const names = ["USR1", "USR2", "HUP", "TERM"] as const;
      for (const name of names) {
        Deno.kill(-group, `SIG${name}`);
        await waitUntil(`${name} at the child`, async () => {
          const got = await readOr(join(sb.dir, "got"));
          return got.includes(name) ? true : undefined;
        });
        await sleep(500); // a second delivery, if any, would come now
      }
      await Deno.writeTextFile(join(sb.dir, "stop"), "");
      const out = await proc.output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertEquals(await readOr(join(sb.dir, "got")), names.map((n) => `${n}\n`).join(""));
      const kills = (await readOr(trace)).split("\n").filter((l) =>
        new RegExp(`kill\\(${childPid}, SIG(INT|TERM|HUP|QUIT|USR1|USR2)\\)`).test(l)
      );
      assertEquals(kills, [], "runprov passed on signals CMD already had");
    });
  },
});

/** Single-quote `s` for sh. */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

Deno.test({
  ...needing(
    ["script", "python3", "/proc"],
    "exec: with stdin a terminal, SIGINT reaches CMD once, from `kill PID` or from Ctrl-C",
  ),
  async fn() {
    await withSandbox(async (sb) => {
      // script(1) runs runprov as the leader of a new terminal's foreground process group.
      const argv = [...runprovArgv(), "exec", "--run-id", "tty", "--", ...PROMPT_COUNTING_CHILD];
      const term = new Deno.Command(have.script, {
        args: ["-qfec", `exec ${argv.map(q).join(" ")}`, "/dev/null"],
        cwd: sb.dir,
        env: sb.env,
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const keys = term.stdin.getWriter();
      try {
        await waitUntil("the child", async () => await exists(join(sb.dir, "ready")) || undefined);
        await sleep(1000);
        const childPid = Number((await readOr(join(sb.dir, "child.pid"))).trim());
        const stat = await readOr(`/proc/${childPid}/stat`);
        const runprovPid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        assert(runprovPid > 1, "runprov's pid");
        const count = async () => (await readOr(join(sb.dir, "got"))).split("\n").filter(Boolean);

        // SIGINT to runprov's pid alone: the terminal sent nothing, runprov passes it on.
        Deno.kill(runprovPid, "SIGINT");
        await waitUntil("the first SIGINT", async () => (await count()).length >= 1 || undefined);
        await sleep(700);
        assertEquals(await count(), ["INT"]);

        // Ctrl-C: the terminal signals the whole foreground group, runprov adds nothing.
        await keys.write(new TextEncoder().encode("\x03"));
        await waitUntil("Ctrl-C", async () => (await count()).length >= 2 || undefined);
        await sleep(700);
        assertEquals(await count(), ["INT", "INT"]);

        await Deno.writeTextFile(join(sb.dir, "stop"), "");
      } finally {
        await keys.close().catch(() => {});
      }
      const out = await term.output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stdout));
      const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, ".runprov/runs/tty.json")));
      assertEquals(rec.status, "succeeded");
    });
  },
});

/** Whether process `pid` exists (and is not a zombie). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readOr(`/proc/${pid}/stat`);
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

Deno.test({
  ...needing(
    ["strace", "/proc"],
    "exec: SIGTERM between the running record and the child's start orphans nothing",
  ),
  async fn() {
    await withSandbox(async (sb) => {
      // strace holds CMD's execve for 3 s: runprov has written `running` and is starting it.
      const child = join(sb.base, "child.sh");
      await Deno.writeTextFile(
        child,
        `#!/bin/sh\necho $$ > ${q(join(sb.dir, "child.pid"))}\nexec sleep 30\n`,
      );
      await Deno.chmod(child, 0o755);
      const proc = new Deno.Command(have.strace, {
        args: [
          "-f",
          "-qq",
          "-o",
          "/dev/null",
          "-P",
          child,
          "-e",
          "trace=execve",
          "-e",
          "inject=execve:delay_enter=3000000",
          ...runprovArgv(),
          "exec",
          "--run-id",
          "between",
          "--",
          child,
        ],
        cwd: sb.dir,
        env: sb.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const recordPath = join(sb.dir, ".runprov/runs/between.json");
      const running = await waitUntil("the running record", async () => {
        const text = await readOr(recordPath);
        return text ? JSON.parse(text) : undefined;
      });
      assertEquals(running.status, "running");
      const supervisor = running.command.supervisor_pid as number;
      Deno.kill(supervisor, "SIGTERM");
      await waitUntil("runprov to end", async () => (await alive(supervisor)) ? undefined : true);
      // Give the held execve time to finish: an orphaned child would now write its pid.
      await sleep(3500);
      const childPid = Number((await readOr(join(sb.dir, "child.pid"))).trim());
      const orphan = childPid > 0 && await alive(childPid);
      if (orphan) Deno.kill(childPid, "SIGKILL");
      const out = await proc.output();
      assert(!orphan, "the child outlived its supervisor");
      const rec = JSON.parse(await readOr(recordPath, "{}"));
      assertEquals(rec.status, "failed", new TextDecoder().decode(out.stderr));
      assertEquals(rec.command.signal, "SIGTERM");
      assertEquals(rec.command.exit_code, null);
    });
  },
});

Deno.test("exec: a stop signal before the child exists means it never starts", async () => {
  const relay = new SignalRelay({ terminal: false, env: Deno.env.toObject() });
  try {
    Deno.kill(Deno.pid, "SIGTERM");
    await waitUntil("the listener", () => Promise.resolve(relay.stoppedBy ?? undefined));
    const marker = await Deno.makeTempFile();
    await Deno.remove(marker);
    const outcome = await supervise(["touch", marker], { env: {}, cwd: "/" }, relay);
    assertEquals(outcome, {
      started: false,
      code: 143,
      signal: "SIGTERM",
      error: "runprov got SIGTERM before the command started; it never ran",
    });
    assertEquals(await exists(marker), false);
  } finally {
    await relay.close();
  }
});

Deno.test("exec: the canary's /proc status tells a signalled process from an idle one", () => {
  const status = (state: string, sigpnd: string, shdpnd: string) =>
    `Name:\tcat\nState:\t${state}\nSigPnd:\t${sigpnd}\nShdPnd:\t${shdpnd}\n`;
  const zero = "0000000000000000";
  assertEquals(canaryState(status("S (sleeping)", zero, zero), "SIGINT"), "idle");
  assertEquals(canaryState(status("S (sleeping)", zero, "0000000000000002"), "SIGINT"), "dying");
  assertEquals(canaryState(status("S (sleeping)", zero, "0000000000000200"), "SIGUSR1"), "dying");
  assertEquals(canaryState(status("S (sleeping)", zero, "0000000000000200"), "SIGINT"), "idle");
  // A fatal signal becomes SIGKILL for every thread; a zombie has died.
  assertEquals(canaryState(status("R (running)", "0000000000000100", zero), "SIGTERM"), "dying");
  assertEquals(canaryState(status("Z (zombie)", zero, zero), "SIGTERM"), "dying");
  assertEquals(canaryState(status("T (stopped)", zero, zero), "SIGTERM"), "idle");
  // Awake with nothing pending: the signal was taken off the queue (a tracer such as
  // `strace -f` holds it in a signal-delivery stop, or it is on its way out): not idle yet.
  assertEquals(canaryState(status("t (tracing stop)", zero, zero), "SIGUSR2"), "busy");
  assertEquals(canaryState(status("R (running)", zero, zero), "SIGUSR2"), "busy");
  assertEquals(canaryState(null, "SIGTERM"), "gone");
  assertEquals(canaryState("Name:\tcat\n", "SIGTERM"), "unknown");
  assertEquals(processGroup("42 (a) b) S 1 40 40 0"), 40);
  assertEquals(processGroup(null), null);
});
