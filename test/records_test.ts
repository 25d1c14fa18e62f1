/**
 * Run records are never silently replaced or hijacked (issue 12, point 3): reused ids,
 * concurrent writers of one id, stale `running` records inherited through RUNPROV_RUN_ID /
 * RUNPROV_FILE, runs inside runs (`parent`), refusals that write nothing, and `--out` onto
 * something that is not a new file.
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "./assert.ts";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { run, runprovArgv, type Sandbox, withSandbox } from "./helpers.ts";
import { createFromTemp, occupant, PathTaken, writeTemp } from "../lib/run/store.ts";
import {
  parseProbe,
  probeProcess,
  sameProcess,
  startFromStat,
  supervisorLiveness,
  type Vantage,
} from "../lib/run/liveness.ts";
import { childRunOptions } from "../lib/run/nested.ts";
import type { RunRecord } from "../lib/run/record.ts";

const RUNS = ".runprov/runs";

function runsDir(sb: Sandbox): string {
  return join(sb.dir, RUNS);
}

/** Names in the record directory (none when it does not exist). */
async function entries(sb: Sandbox): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(runsDir(sb)))).map((e) => e.name).sort();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

async function waitFor(path: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await exists(path)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${path}`);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The three capturing commands with a given id (exec's command leaves a CANARY if it runs). */
function writers(id: string): [string, string[]][] {
  return [
    ["stamp", ["stamp", "--run-id", id]],
    ["env", ["env", "--run-id", id]],
    ["exec", ["exec", "--run-id", id, "--", "sh", "-c", "touch CANARY; false"]],
  ];
}

// --- reused ids ---------------------------------------------------------------------------

Deno.test("records: reusing the id of a finished, tagged run is exit 2 and the run stays intact", async () => {
  await withSandbox(async (sb) => {
    const first = await sb.runprov(["exec", "--run-id", "m1", "--", "true"]);
    assertEquals(first.code, 0, first.stderr);
    const tagged = await sb.runprov(["tag", "--run", "m1"]);
    assertEquals(tagged.code, 0, tagged.stderr);
    const path = join(runsDir(sb), "m1.json");
    const before = await Deno.readFile(path);
    for (const [name, argv] of writers("m1")) {
      const r = await sb.runprov(argv);
      assertEquals(r.code, 2, `${name}: ${r.stderr}`);
      assertEquals(r.stdout, "", name);
      assertMatch(r.stderr, /m1/, name);
      assertMatch(r.stderr, /already has a record/, name);
      assertMatch(r.stderr, /^hint: .*another --run-id/m, name);
      assertEquals(await exists(join(sb.dir, "CANARY")), false, `${name}: the command never ran`);
    }
    assertEquals(await Deno.readFile(path), before, "the record is byte-identical");
    const message = await sb.git("for-each-ref", "--format=%(contents)", "refs/tags/run/m1");
    const trailer = message.match(/^Runprov-Record-Sha256: ([0-9a-f]{64})$/m);
    assert(trailer, message);
    assertEquals(trailer[1], sha256(await Deno.readFile(path)), "the tag still matches its record");
    assertEquals(await entries(sb), ["m1.json"]);
  });
});

Deno.test("records: a captured record (stamp, env) is never replaced by a later capture or exec", async () => {
  await withSandbox(async (sb) => {
    for (const maker of ["stamp", "env"]) {
      const id = `cap-${maker}`;
      const made = await sb.runprov([maker, "--run-id", id]);
      assertEquals(made.code, 0, made.stderr);
      const path = join(runsDir(sb), `${id}.json`);
      const before = await Deno.readFile(path);
      assertEquals((await readJson(path)).status, "captured");
      for (const [name, argv] of writers(id)) {
        const r = await sb.runprov(argv);
        assertEquals(r.code, 2, `${maker} then ${name}: ${r.stderr}`);
        assertMatch(r.stderr, new RegExp(`run ${id} already has a record .*captured`), name);
      }
      assertEquals(await Deno.readFile(path), before, maker);
    }
    assertEquals(await exists(join(sb.dir, "CANARY")), false);
  });
});

Deno.test("records: reusing a dirty run's id keeps its patch; nothing new is left behind", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "first edit\n");
    const made = await sb.runprov(["stamp", "--run-id", "d1"]);
    assertEquals(made.code, 0, made.stderr);
    const rec = await readJson(join(runsDir(sb), "d1.json"));
    const patch = await Deno.readFile(join(runsDir(sb), "d1.patch"));
    assertEquals(rec.git.patch.sha256, sha256(patch));
    await sb.write("README.md", "second, different edit\n");
    for (const [name, argv] of writers("d1")) {
      const r = await sb.runprov(argv);
      assertEquals(r.code, 2, `${name}: ${r.stderr}`);
      assertEquals(await Deno.readFile(join(runsDir(sb), "d1.patch")), patch, name);
    }
    assertEquals(await entries(sb), ["d1.json", "d1.patch"], "no temp file, no other file");
  });
});

Deno.test("records: concurrent writers of one new id: exactly one wins, one whole record and patch", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty, so every writer also stores a patch\n");
    const cmds = [
      ["stamp", "--run-id", "race"],
      ["env", "--run-id", "race"],
      ["exec", "--run-id", "race", "--", "true"],
    ];
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => sb.runprov(cmds[i % cmds.length])),
    );
    const won = results.filter((r) => r.code === 0);
    const lost = results.filter((r) => r.code !== 0);
    assertEquals(won.length, 1, results.map((r) => `${r.code}: ${r.stderr}`).join("\n"));
    for (const r of lost) {
      assertEquals(r.code, 2, r.stderr);
      assertMatch(r.stderr, /run race already has a record|a patch of run race is already there/);
    }
    assertEquals(await entries(sb), ["race.json", "race.patch"]);
    const rec = await readJson(join(runsDir(sb), "race.json"));
    assertEquals(rec.run_id, "race");
    assertEquals(
      rec.git.patch.sha256,
      sha256(await Deno.readFile(join(runsDir(sb), "race.patch"))),
    );
  });
});

// --- stale running records inherited through the environment -------------------------------

Deno.test("records: a later job that inherited a SIGKILLed run's variables records its own run", async () => {
  await withSandbox(async (sb) => {
    const child = sb.spawnRunprov([
      "exec",
      "--run-id",
      "job1",
      "--",
      "sh",
      "-c",
      "echo $$ > child.pid; touch ready; exec sleep 60 > /dev/null 2>&1",
    ]);
    await waitFor(join(sb.dir, "ready"));
    child.kill("SIGKILL"); // the scheduler's time limit: the supervisor dies, the record stays
    await child.output();
    const orphan = Number((await Deno.readTextFile(join(sb.dir, "child.pid"))).trim());
    try {
      const path = join(runsDir(sb), "job1.json");
      const stale = await Deno.readFile(path);
      assertEquals((await readJson(path)).status, "running");
      const untouched = async (what: string) =>
        assertEquals(await Deno.readFile(path), stale, `${what}: the stale record is left alone`);
      // SLURM's --export=ALL carries these into the next job of the chain.
      const inherited = { RUNPROV_RUN_ID: "job1", RUNPROV_FILE: path };

      const env = await sb.runprov(["env", "--format", "json"], { env: inherited });
      assertEquals(env.code, 0, env.stderr);
      const vars = JSON.parse(env.stdout);
      assertNotEquals(vars.RUNPROV_RUN_ID, "job1");
      assertMatch(env.stderr, /job1/);
      const own = await readJson(vars.RUNPROV_FILE);
      assertEquals(own.status, "captured");
      assertEquals(own.parent, null);

      const exec = await sb.runprov(
        ["exec", "--", "sh", "-c", 'echo "$RUNPROV_RUN_ID"'],
        { env: inherited },
      );
      assertEquals(exec.code, 0, exec.stderr);
      const id = exec.stdout.trim();
      assertNotEquals(id, "job1");
      const ran = await readJson(join(runsDir(sb), `${id}.json`));
      assertEquals(ran.status, "succeeded");
      assertEquals(ran.parent, null);
      await untouched("env, exec");

      // A live process that now holds the dead supervisor's pid (pid reuse) is not it either:
      // the record carries the supervisor's start identity.
      const rec = await readJson(path);
      rec.command.supervisor_pid = orphan;
      await Deno.writeTextFile(path, JSON.stringify(rec, null, 2) + "\n");
      const reused = await sb.runprov(["env", "--format", "json"], { env: inherited });
      assertEquals(reused.code, 0, reused.stderr);
      assertNotEquals(JSON.parse(reused.stdout).RUNPROV_RUN_ID, "job1");
      await Deno.writeFile(path, stale);
    } finally {
      try {
        Deno.kill(orphan, "SIGKILL");
      } catch { /* already gone */ }
    }
  });
});

Deno.test("records: a running record from another host is trusted only within its SLURM job", async () => {
  await withSandbox(async (sb) => {
    // A record as a supervisor on another node writes it (shared file system).
    const made = await sb.runprov(["stamp", "--run-id", "remote", "--out", "-"]);
    assertEquals(made.code, 0, made.stderr);
    const rec = JSON.parse(made.stdout);
    rec.status = "running";
    rec.host.hostname = "gpu-elsewhere-017";
    rec.host.scheduler = { slurm: { job_id: "100" } };
    rec.command = {
      argv: ["srun", "python", "train.py"],
      cwd: sb.dir,
      started_at: rec.created_at,
      ended_at: null,
      exit_code: null,
      signal: null,
      duration_ms: null,
      supervisor_pid: 2 ** 22 + 11,
    };
    await Deno.mkdir(runsDir(sb), { recursive: true });
    const path = join(runsDir(sb), "remote.json");
    await Deno.writeTextFile(path, JSON.stringify(rec, null, 2) + "\n");
    const inherited = { RUNPROV_RUN_ID: "remote", RUNPROV_FILE: path };

    const rank = await sb.runprov(["env", "--format", "json"], {
      env: { ...inherited, SLURM_JOB_ID: "100" },
    });
    assertEquals(rank.code, 0, rank.stderr);
    assertEquals(JSON.parse(rank.stdout).RUNPROV_RUN_ID, "remote", "a rank of job 100 reuses it");

    for (const other of [{ SLURM_JOB_ID: "101" }, {}] as Record<string, string>[]) {
      const later = await sb.runprov(["env", "--format", "json"], {
        env: { ...inherited, ...other },
      });
      assertEquals(later.code, 0, later.stderr);
      assertNotEquals(JSON.parse(later.stdout).RUNPROV_RUN_ID, "remote", JSON.stringify(other));
      assertMatch(later.stderr, /SLURM job 100/);
    }
  });
});

// --- runs inside runs ---------------------------------------------------------------------

Deno.test("records: a sweep under exec records child runs that name their parent", async () => {
  await withSandbox(async (sb) => {
    const script = [
      `"$0" "$@" exec --run-id lr-1e-4 -- sh -c 'echo child:$RUNPROV_RUN_ID'`,
      `"$0" "$@" env --run-id lr-3e-4 --format json > lr-3e-4.env`,
      `"$0" "$@" exec -- sh -c 'echo reuse:$RUNPROV_RUN_ID'`,
      `"$0" "$@" exec --run-id sweep -- sh -c 'echo same:$RUNPROV_RUN_ID'`,
      `"$0" "$@" env --format json > plain.env`,
    ].join(" && ");
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "sweep",
      "--",
      "sh",
      "-c",
      script,
      ...runprovArgv(),
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "child:lr-1e-4\nreuse:sweep\nsame:sweep\n");
    const parent = await readJson(join(runsDir(sb), "sweep.json"));
    assertEquals(parent.parent, null);
    assertEquals(parent.status, "succeeded");
    const child = await readJson(join(runsDir(sb), "lr-1e-4.json"));
    assertEquals(child.parent, "sweep");
    assertEquals(child.status, "succeeded");
    assertEquals(child.command.argv, ["sh", "-c", "echo child:$RUNPROV_RUN_ID"]);
    const captured = await readJson(join(runsDir(sb), "lr-3e-4.json"));
    assertEquals(captured.parent, "sweep");
    assertEquals(captured.status, "captured");
    assertEquals(
      JSON.parse(await Deno.readTextFile(join(sb.dir, "lr-3e-4.env"))).RUNPROV_RUN_ID,
      "lr-3e-4",
    );
    assertEquals(
      JSON.parse(await Deno.readTextFile(join(sb.dir, "plain.env"))).RUNPROV_RUN_ID,
      "sweep",
    );
    assertEquals(await entries(sb), ["lr-1e-4.json", "lr-3e-4.json", "sweep.json"]);
    const shown = await sb.runprov(["show", "lr-1e-4"]);
    assertMatch(shown.stdout, /^parent +sweep$/m);
  });
});

Deno.test("records: --strict inside a run is applied to a fresh capture, by exec and env alike", async () => {
  await withSandbox(async (sb) => {
    // Clean: the strict child is a run of its own, with a new id and the parent named.
    const clean = await sb.runprov([
      "exec",
      "--run-id",
      "outer",
      "--",
      "sh",
      "-c",
      `"$0" "$@" exec --strict -- sh -c 'echo $RUNPROV_RUN_ID'`,
      ...runprovArgv(),
    ]);
    assertEquals(clean.code, 0, clean.stderr);
    const id = clean.stdout.trim();
    assertNotEquals(id, "outer");
    const child = await readJson(join(runsDir(sb), `${id}.json`));
    assertEquals(child.parent, "outer");
    assertEquals(child.policy.mode, "strict");

    // Dirty by the time the child starts: both refuse with exit 3, the command never runs.
    const dirty = await sb.runprov([
      "exec",
      "--run-id",
      "outer2",
      "--",
      "sh",
      "-c",
      `echo edit >> README.md; "$0" "$@" exec --strict -- touch CANARY; echo exec=$?; ` +
      `"$0" "$@" env --strict > env.out; echo env=$?`,
      ...runprovArgv(),
    ]);
    assertEquals(dirty.code, 0, dirty.stderr);
    assertEquals(dirty.stdout, "exec=3\nenv=3\n");
    assertMatch(dirty.stderr, /strict policy: refusing a dirty working tree/);
    assertEquals(await exists(join(sb.dir, "CANARY")), false, "the strict command never ran");
    assertEquals(await Deno.readTextFile(join(sb.dir, "env.out")), "");
    assertEquals(await entries(sb), [`${id}.json`, "outer.json", "outer2.json"].sort());
  });
});

// --- refusals write nothing ------------------------------------------------------------------

Deno.test("records: a refused env or exec on a dirty tree leaves no record, patch or temp file", async () => {
  await withSandbox(async (sb) => {
    // Invalid UTF-8 in the branch name: no format can carry RUNPROV_GIT_BRANCH.
    const r0 = await run("sh", ["-c", `git checkout -q -b "$(printf 'bad\\377')"`], {
      cwd: sb.dir,
      env: sb.env,
    });
    assertEquals(r0.code, 0, r0.stderr);
    await sb.write("README.md", "dirty\n");
    const env = await sb.runprov(["env", "--run-id", "u1"]);
    assertEquals(env.code, 2, env.stderr);
    assertMatch(env.stderr, /cannot print RUNPROV_GIT_BRANCH/);
    assertEquals(await entries(sb), [], "env");
    const exec = await sb.runprov(["exec", "--run-id", "u2", "--", "touch", "CANARY"]);
    assertEquals(exec.code, 2, exec.stderr);
    assertEquals(await entries(sb), [], "exec");
    assertEquals(await exists(join(sb.dir, "CANARY")), false);
    for (const cmd of ["env", "stamp", "exec"]) {
      const argv = [cmd, "--strict", "--run-id", "u3", ...(cmd === "exec" ? ["--", "true"] : [])];
      const strict = await sb.runprov(argv);
      assertEquals(strict.code, 3, `${cmd}: ${strict.stderr}`);
      assertEquals(await entries(sb), [], cmd);
    }
  });
});

// --- --out onto something that is not a new file ---------------------------------------------

async function mknodDevice(path: string): Promise<string | null> {
  const r = await run("mknod", [path, "c", "1", "3"]);
  return r.code === 0 ? null : `mknod needs privileges here: ${r.stderr.trim()}`;
}

const DEVICE_PROBLEM = await (async () => {
  const dir = await Deno.makeTempDir();
  try {
    return await mknodDevice(join(dir, "dev"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
})();
if (DEVICE_PROBLEM) {
  console.error(`records: testing a directory, FIFO and symlink only: ${DEVICE_PROBLEM}`);
}

Deno.test("records: --out onto a FIFO, device, directory, symlink or existing file is exit 2, untouched", async () => {
  await withSandbox(async (sb) => {
    const targets: [string, RegExp][] = [];
    const fifo = join(sb.base, "fifo");
    assertEquals((await run("mkfifo", [fifo])).code, 0);
    targets.push([fifo, /FIFO/]);
    if (!DEVICE_PROBLEM) {
      await mknodDevice(join(sb.base, "device"));
      targets.push([join(sb.base, "device"), /device/]);
    }
    await Deno.mkdir(join(sb.base, "dir"));
    targets.push([join(sb.base, "dir"), /directory/]);
    await Deno.writeTextFile(join(sb.base, "target.json"), "keep me\n");
    await Deno.symlink(join(sb.base, "target.json"), join(sb.base, "link.json"));
    targets.push([join(sb.base, "link.json"), /symbolic link/]);
    await Deno.symlink(join(sb.base, "nowhere.json"), join(sb.base, "dangling.json"));
    targets.push([join(sb.base, "dangling.json"), /symbolic link/]);
    targets.push([join(sb.base, "target.json"), /not a run record/]);
    const describe = async (p: string) => {
      const s = await Deno.lstat(p);
      return JSON.stringify({
        file: s.isFile,
        dir: s.isDirectory,
        link: s.isSymlink,
        fifo: s.isFifo,
        char: s.isCharDevice,
        ino: s.ino,
        size: s.size,
        to: s.isSymlink ? await Deno.readLink(p) : null,
      });
    };
    for (const [target, why] of targets) {
      const before = await describe(target);
      for (const cmd of ["stamp", "env", "exec"]) {
        const argv = [cmd, "--out", target];
        if (cmd === "exec") argv.push("--", "touch", "CANARY");
        const r = await sb.runprov(argv);
        assertEquals(r.code, 2, `${cmd} --out ${target}: ${r.stderr}`);
        assertMatch(r.stderr, why, `${cmd} --out ${target}`);
        assertMatch(r.stderr, /^hint: /m);
        assertEquals(r.stdout, "");
        assertEquals(await describe(target), before, `${cmd} --out ${target}`);
      }
    }
    assertEquals(await Deno.readTextFile(join(sb.base, "target.json")), "keep me\n");
    assertEquals(await exists(join(sb.base, "nowhere.json")), false);
    assertEquals(await exists(join(sb.dir, "CANARY")), false);
    const temps = (await Array.fromAsync(Deno.readDir(sb.base))).filter((e) =>
      e.name.includes(".tmp-")
    );
    assertEquals(temps, []);
  });
});

// --- the pieces, unit by unit ------------------------------------------------------------------

Deno.test("records: creating from a temp file is exclusive, also where there are no hard links", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const noLinks = () => Promise.reject(new Deno.errors.NotSupported("no hard links here"));
    for (const link of [Deno.link, noLinks]) {
      const path = join(dir, `r-${link === Deno.link ? "link" : "claim"}.json`);
      const temps = await Promise.all(
        Array.from(
          { length: 8 },
          (_, i) => writeTemp(path, (w) => w(new TextEncoder().encode(`writer ${i}\n`))),
        ),
      );
      const results = await Promise.allSettled(temps.map((t) => createFromTemp(t, path, link)));
      const won = results.filter((r) => r.status === "fulfilled");
      assertEquals(won.length, 1);
      for (const r of results) {
        if (r.status === "rejected") assert(r.reason instanceof PathTaken, String(r.reason));
      }
      assertMatch(await Deno.readTextFile(path), /^writer \d\n$/);
    }
    const left = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assertEquals(left, ["r-claim.json", "r-link.json"], "no temp file is left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("records: what is in the way is told without opening a FIFO or following a link", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await occupant(join(dir, "none")), null);
    assertEquals((await run("mkfifo", [join(dir, "fifo")])).code, 0);
    assertEquals(await occupant(join(dir, "fifo")), { kind: "fifo" }); // would block if opened
    await Deno.symlink("elsewhere.json", join(dir, "link"));
    assertEquals(await occupant(join(dir, "link")), { kind: "symlink", target: "elsewhere.json" });
    await Deno.writeTextFile(join(dir, "notes.json"), "{}");
    assertEquals(await occupant(join(dir, "notes.json")), { kind: "file" });
    assertEquals(await occupant(dir), { kind: "directory" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("records: a process's start identity comes from /proc and tells a reused pid", async () => {
  const stat = "42 (a b) c) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 9876 0 0";
  assertEquals(startFromStat("boot-1\n", stat), "linux:boot-1:9876");
  assertEquals(startFromStat("b", "garbage"), null);
  assertEquals(parseProbe("gone\n"), { alive: false, start: null });
  assertEquals(parseProbe("unknown\n"), { alive: null, start: null });
  assertEquals(parseProbe(`alive\nlinux\nb\n${stat}\n`), { alive: true, start: "linux:b:9876" });
  assertEquals(parseProbe("alive\nps\nMon Dec  1 05:57:47 2026\n"), {
    alive: true,
    start: "ps:Mon Dec 1 05:57:47 2026",
  });
  assertEquals(sameProcess("linux:b:1", { alive: true, start: "linux:b:1" }), true);
  assertEquals(sameProcess("linux:b:1", { alive: true, start: "linux:b:2" }), false);
  assertEquals(sameProcess("linux:a:1", { alive: true, start: "linux:b:1" }), false, "rebooted");
  assertEquals(sameProcess(null, { alive: true, start: "linux:b:2" }), true);
  assertEquals(sameProcess("linux:b:1", { alive: false, start: null }), false);
  assertEquals(sameProcess("linux:b:1", { alive: null, start: null }), null);

  const self = await probeProcess(Deno.pid);
  assertEquals(self.alive, true);
  if (Deno.build.os === "linux") assertMatch(self.start ?? "", /^linux:[0-9a-f-]*:\d+$/);
  assertEquals(await probeProcess(Deno.pid), self, "the same process, the same identity");
  const done = new Deno.Command("true").spawn();
  const gone = done.pid;
  await done.status;
  assertEquals((await probeProcess(gone)).alive, false);
});

Deno.test("records: the supervisor rule: own host by process, other hosts by SLURM job", async () => {
  const rec = (host: string, job?: string) =>
    ({
      run_id: "r",
      status: "running",
      host: { hostname: host, scheduler: job ? { slurm: { job_id: job } } : {} },
      command: { supervisor_pid: 77, supervisor_start: "linux:b:100" },
    }) as unknown as RunRecord;
  const here = (start: string | null, alive: boolean | null, job: string | null): Vantage => ({
    hostname: "gpu1",
    slurmJobId: job,
    probe: () => Promise.resolve({ alive, start }),
  });
  const alive = async (r: RunRecord, v: Vantage) => (await supervisorLiveness(r, v)).alive;
  assertEquals(await alive(rec("gpu1"), here("linux:b:100", true, null)), true);
  assertEquals(await alive(rec("gpu1"), here(null, false, null)), false, "gone");
  assertEquals(await alive(rec("gpu1"), here("linux:b:555", true, null)), false, "pid reused");
  assertEquals(await alive(rec("gpu1", "9"), here("linux:b:100", true, "10")), true, "seen alive");
  assertEquals(await alive(rec("gpu2", "9"), here(null, null, "9")), true, "same job");
  assertEquals(await alive(rec("gpu2", "9"), here(null, null, "10")), false, "another job");
  assertEquals(await alive(rec("gpu2", "9"), here(null, null, null)), false, "not in a job");
  assertEquals(await alive(rec("gpu2"), here(null, null, null)), true, "cannot tell: trusted");
  assertEquals(await alive(rec("gpu1", "9"), here(null, null, "9")), true, "unprobeable");
});

Deno.test("records: options that make a child run; --run-id of the enclosing run is not one", () => {
  const names = ["run-id", "name", "strict", "out"];
  assertEquals(childRunOptions({}, names, "p"), []);
  assertEquals(childRunOptions({ "run-id": "p" }, names, "p"), []);
  assertEquals(childRunOptions({ "run-id": "c" }, names, "p"), ["--run-id"]);
  assertEquals(childRunOptions({ strict: true, format: "json" }, names, "p"), ["--strict"]);
  assertEquals(childRunOptions({ strict: false }, names, "p"), []);
});
