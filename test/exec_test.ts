/** `runprov exec`: real child processes, signals, exit codes and the record's lifecycle. */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, runprovArgv, Sandbox, withSandbox } from "./helpers.ts";

async function onlyRecord(sb: Sandbox) {
  const dir = join(sb.dir, ".runprov/runs");
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assertEquals(names.length, 1, `one record expected, found ${names.join(", ")}`);
  return JSON.parse(await Deno.readTextFile(join(dir, names[0])));
}

async function waitFor(path: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`timed out waiting for ${path}`);
}

Deno.test("exec: arguments split at -- or at the first word that is not an option", async () => {
  await withSandbox(async (sb) => {
    // The child prints the arguments it got, one per line; the record keeps the same argv.
    const show = ["sh", "-c", 'printf "%s\\n" "$0" "$@"'];
    const cases: [string[], string[]][] = [
      [["--run-id", "s1", "--", ...show, "-u", "t.py"], [...show, "-u", "t.py"]],
      [["--run-id", "s2", ...show, "t.py", "--lr", "1"], [...show, "t.py", "--lr", "1"]],
      [["--run-id", "s3", "--", "--", "x"], ["--", "x"]],
    ];
    for (const [args, argv] of cases) {
      const r = await sb.runprov(["exec", ...args]);
      const id = args[1];
      const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, `.runprov/runs/${id}.json`)));
      assertEquals(rec.command.argv, argv, id);
      if (argv[0] === "sh") {
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, argv.slice(3).join("\n") + "\n", id);
      } else {
        assertEquals(r.code, 127, `${id}: a command named "--" is not found`);
      }
    }
  });
});

/** A CMD that prints each of its arguments on a line of its own, between brackets. */
const PRINT_ARGS = ["sh", "-c", `for a in "$@"; do printf '[%s]\\n' "$a"; done`, "sh"];

Deno.test("exec: every word of CMD reaches it byte for byte, with or without --", async () => {
  await withSandbox(async (sb) => {
    // Words runprov also knows (-q, --quiet, -C, --config, -h, --, --run-id) belong to CMD.
    const words = ["-q", "--quiet", "-C", "/", "--config", "x", "-h", "--", "--run-id", "x", "-V"];
    const expected = words.map((w) => `[${w}]\n`).join("");
    for (const sep of [[], ["--"]]) {
      const r = await sb.runprov([
        "exec",
        "--run-id",
        `w${sep.length}`,
        ...sep,
        ...PRINT_ARGS,
        ...words,
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, expected, `with ${sep.length ? "--" : "no --"}`);
      const rec = JSON.parse(
        await Deno.readTextFile(join(sb.dir, `.runprov/runs/w${sep.length}.json`)),
      );
      assertEquals(rec.command.argv, [...PRINT_ARGS, ...words]);
    }
    // `runprov exec python train.py -q`: the -q is the script's, and runprov stays verbose.
    const quiet = await sb.runprov(["exec", ...PRINT_ARGS, "train.py", "-q"], {
      env: { RUNPROV_POLICY: "warn" },
    });
    assertEquals(quiet.code, 0, quiet.stderr);
    assertEquals(quiet.stdout, "[train.py]\n[-q]\n");
  });
});

Deno.test("exec: a global option between exec and CMD is an error that says where it goes", async () => {
  await withSandbox(async (sb) => {
    for (const opt of ["-q", "--quiet"]) {
      const r = await sb.runprov(["exec", opt, "--", "touch", "started"]);
      assertEquals(r.code, 2);
      assertEquals(
        r.stderr,
        `runprov: exec: unknown option ${opt}\n` +
          `hint: ${opt} is a global option: it goes before the command, as in ` +
          `'runprov ${opt} exec ...'\n`,
      );
    }
    await Deno.stat(join(sb.dir, "started")).then(
      () => assert(false, "the command must not start"),
      () => {},
    );
    // Before the command, -q works for exec as for every command.
    await sb.write("README.md", "dirty\n");
    const loud = await sb.runprov(["exec", "--", "true"]);
    assertMatch(loud.stderr, /warning/);
    const quiet = await sb.runprov(["-q", "exec", "--", "true"]);
    assertEquals(quiet.code, 0);
    assertEquals(quiet.stderr, "");
  });
});

Deno.test("exec: a successful command is recorded running then succeeded, exit 0", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "ok1",
      "--name",
      "baseline",
      "--",
      "sh",
      "-c",
      'cat "$RUNPROV_FILE" > seen.json; echo out; echo err >&2',
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "out\n");
    assertEquals(r.stderr, "err\n");
    const during = JSON.parse(await Deno.readTextFile(join(sb.dir, "seen.json")));
    assertEquals(during.status, "running");
    assertEquals(during.command.ended_at, null);
    const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, ".runprov/runs/ok1.json")));
    assertEquals(rec.status, "succeeded");
    assertEquals(rec.name, "baseline");
    assertEquals(rec.command.argv, [
      "sh",
      "-c",
      'cat "$RUNPROV_FILE" > seen.json; echo out; echo err >&2',
    ]);
    assertEquals(rec.command.cwd, sb.dir);
    assertEquals(rec.command.exit_code, 0);
    assertEquals(rec.command.signal, null);
    assert(rec.command.duration_ms >= 0);
    assert(Date.parse(rec.command.ended_at) >= Date.parse(rec.command.started_at));
    assertEquals(rec.git.sha, (await sb.git("rev-parse", "HEAD")).trim());
  });
});

Deno.test("exec: the child's exit code is runprov's, and the record says failed", async () => {
  await withSandbox(async (sb) => {
    for (const code of [1, 42]) {
      const r = await sb.runprov([
        "exec",
        "--run-id",
        `c${code}`,
        "--",
        "sh",
        "-c",
        `exit ${code}`,
      ]);
      assertEquals(r.code, code);
      const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, `.runprov/runs/c${code}.json`)));
      assertEquals(rec.status, "failed");
      assertEquals(rec.command.exit_code, code);
    }
  });
});

Deno.test("exec: a child killed by a signal gives 128+N and the signal in the record", async () => {
  await withSandbox(async (sb) => {
    for (const [sig, n] of [["TERM", 15], ["KILL", 9]] as const) {
      const r = await sb.runprov([
        "exec",
        "--run-id",
        `k${n}`,
        "--",
        "sh",
        "-c",
        `kill -${sig} $$`,
      ]);
      assertEquals(r.code, 128 + n);
      const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, `.runprov/runs/k${n}.json`)));
      assertEquals(rec.status, "failed");
      assertEquals(rec.command.signal, `SIG${sig}`);
      assertEquals(rec.command.exit_code, null);
    }
  });
});

Deno.test("exec: SIGTERM and SIGUSR1 sent to runprov reach the child, which exits 0", async () => {
  await withSandbox(async (sb) => {
    for (const sig of ["SIGTERM", "SIGUSR1"] as const) {
      const name = sig.slice(3);
      const script = `trap 'echo ${name} > got-${name}; exit 0' ${name}; touch ready-${name}; ` +
        `while :; do sleep 0.05; done`;
      const child = sb.spawnRunprov(["exec", "--run-id", `sig-${name}`, "--", "sh", "-c", script]);
      await waitFor(join(sb.dir, `ready-${name}`));
      child.kill(sig);
      const out = await child.output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertEquals((await Deno.readTextFile(join(sb.dir, `got-${name}`))).trim(), name);
      const rec = JSON.parse(
        await Deno.readTextFile(join(sb.dir, `.runprov/runs/sig-${name}.json`)),
      );
      assertEquals(rec.status, "succeeded");
    }
  });
});

Deno.test("exec: a missing command is 127 and a non-executable one 126, recorded as failed", async () => {
  await withSandbox(async (sb) => {
    const nf = await sb.runprov(["exec", "--run-id", "nf", "--", "no-such-command-xyz"]);
    assertEquals(nf.code, 127);
    assertMatch(nf.stderr, /command not found: no-such-command-xyz/);
    const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, ".runprov/runs/nf.json")));
    assertEquals(rec.status, "failed");
    assertEquals(rec.command.exit_code, 127);
    assertMatch(rec.command.error, /not found/);
    await sb.write("notexec.sh", "echo hi\n");
    const ne = await sb.runprov(["exec", "--run-id", "ne", "--", "./notexec.sh"]);
    assertEquals(ne.code, 126);
    assertMatch(ne.stderr, /cannot execute \.\/notexec\.sh/);
  });
});

Deno.test("exec: the child reads runprov's stdin and may write a lot without deadlock", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["exec", "--", "sh", "-c", 'read line; echo "got:$line"'], {
      stdin: "hello\n",
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "got:hello\n");
    const big = await sb.runprov(["exec", "--", "sh", "-c", "head -c 8000000 /dev/zero"]);
    assertEquals(big.code, 0);
    assertEquals(big.stdoutBytes.length, 8_000_000);
  });
});

Deno.test("exec: strict refuses a dirty tree with exit 3 and never starts the command", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty\n");
    const r = await sb.runprov(["exec", "--strict", "--", "touch", "started"]);
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /dirty/);
    await Deno.stat(join(sb.dir, "started")).then(
      () => assert(false, "the command must not start"),
      () => {},
    );
  });
});

Deno.test("exec: without a command the usage error says to use --", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["exec", "--strict"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /no command given/);
    assertMatch(r.stderr, /'--'/);
  });
});

Deno.test("exec: the child sees exactly the record's RUNPROV_* exports", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "https://u:tok@example.com/o/r.git");
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "envcheck",
      "--",
      "sh",
      "-c",
      // RUNPROV_BIN is the test harness's own (inherited like any other variable).
      "env | grep '^RUNPROV_' | grep -v '^RUNPROV_BIN=' | sort",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const sha = (await sb.git("rev-parse", "HEAD")).trim();
    const short = (await sb.git("rev-parse", "--short", "HEAD")).trim();
    const file = join(await Deno.realPath(sb.dir), ".runprov/runs/envcheck.json");
    assertEquals(r.stdout.trim().split("\n"), [
      `RUNPROV_FILE=${file}`,
      `RUNPROV_GIT_BRANCH=main`,
      `RUNPROV_GIT_DESCRIBE=${short}`,
      `RUNPROV_GIT_DIRTY=false`,
      `RUNPROV_GIT_REMOTE_URL=https://example.com/o/r.git`,
      `RUNPROV_GIT_SHA=${sha}`,
      `RUNPROV_GIT_SHA_SHORT=${short}`,
      `RUNPROV_RUN_ID=envcheck`,
    ]);
    assert(!r.stdout.includes("tok"));
  });
});

Deno.test("exec: an exec inside a run reuses its id and leaves its record alone", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "outer",
      "--",
      "sh",
      "-c",
      `"$0" "$@" exec -- sh -c 'echo inner:$RUNPROV_RUN_ID'`,
      ...runprovArgv(),
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "inner:outer\n");
    assertMatch(r.stderr, /inside run outer/);
    const rec = await onlyRecord(sb);
    assertEquals(rec.run_id, "outer");
    assertEquals(rec.status, "succeeded");
  });
});

/** Read `stream` until a whole line has arrived; returns that line and releases the stream. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before a line: ${JSON.stringify(text)}`);
      text += new TextDecoder().decode(value);
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n"));
}

Deno.test("exec: SIGKILL of runprov leaves a valid record that still says running", async () => {
  await withSandbox(async (sb) => {
    // The child says it started (its pid on stdout) and then waits for as long as it takes.
    const child = sb.spawnRunprov([
      "exec",
      "--run-id",
      "killed",
      "--",
      "sh",
      "-c",
      'echo "$$"; exec sleep 600',
    ]);
    const orphan = Number(await firstLine(child.stdout));
    child.kill("SIGKILL");
    assertEquals((await child.status).signal, "SIGKILL");
    // Its child outlives it, holding the pipes: end it, then the streams close.
    Deno.kill(orphan, "SIGKILL");
    await child.stdout.cancel();
    await child.stderr.cancel();
    const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, ".runprov/runs/killed.json")));
    assertEquals(rec.status, "running");
    assertEquals(typeof rec.command.supervisor_pid, "number");
    const runs = await sb.json(["runs", "--json"]);
    const listed = runs.find((r: { id: string }) => r.id === "killed");
    assertEquals(listed.status, "lost", "runs tells a dead supervisor from a running one");
  });
});

Deno.test("exec: --tag tags the run's commit only when the command succeeds", async () => {
  await withSandbox(async (sb) => {
    const ok = await sb.runprov(["exec", "--run-id", "t1", "--tag", "--", "true"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stderr, /created tag run\/t1/);
    assertEquals(
      (await sb.git("rev-parse", "run/t1^{commit}")).trim(),
      (await sb.git("rev-parse", "HEAD")).trim(),
    );
    const bad = await sb.runprov(["exec", "--run-id", "t2", "--tag", "--", "sh", "-c", "exit 7"]);
    assertEquals(bad.code, 7);
    assertMatch(bad.stderr, /not tagging run t2/);
    assertEquals((await sb.git("tag", "-l", "run/t2")).trim(), "");
  });
});

Deno.test("exec: a failed push is reported but the child's exit code stands", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "t3",
      "--tag",
      "--push=nowhere",
      "--",
      "true",
    ]);
    assertEquals(r.code, 0);
    assertMatch(r.stderr, /nowhere/);
    const misuse = await sb.runprov(["exec", "--url", "https://x", "--", "true"]);
    assertEquals(misuse.code, 2);
    assertMatch(misuse.stderr, /--url and --sign go with --tag/);
  });
});

Deno.test("exec: the child's environment equals eval $(runprov env) of the same record", async () => {
  await withSandbox(async (sb) => {
    await sb.git("checkout", "-q", "-b", "feat/$(x)'q");
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "same",
      "--tracker",
      "wandb",
      "--tracker",
      "mlflow",
      "--",
      "sh",
      "-c",
      "env | grep -E '^(RUNPROV_|WANDB_|MLFLOW_)' | sort",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const path = join(sb.dir, ".runprov/runs/same.json");
    const viaEnv = await run("sh", [
      "-c",
      `eval "$("$@")"; env | grep -E '^(RUNPROV_|WANDB_|MLFLOW_)' | sort`,
      "sh",
      ...runprovArgv(),
      "env",
      "--from",
      path,
      "--tracker",
      "wandb",
      "--tracker",
      "mlflow",
    ], { cwd: sb.dir, env: sb.env });
    assertEquals(viaEnv.code, 0, viaEnv.stderr);
    assertEquals(r.stdout, viaEnv.stdout);
    assertMatch(r.stdout, /RUNPROV_GIT_BRANCH=feat\/\$\(x\)'q/);
    assertMatch(r.stdout, /MLFLOW_RUN_CONTEXT=/);
  });
});

Deno.test("exec: ranks calling runprov env inside the run get its exports, without git", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "ranked",
      "--",
      "sh",
      "-c",
      `for rank in 0 1 2; do "$0" "$@" env --format json > rank-$rank.json || exit 1; done`,
      ...runprovArgv(),
    ]);
    assertEquals(r.code, 0, r.stderr);
    for (const rank of [0, 1, 2]) {
      const vars = JSON.parse(await Deno.readTextFile(join(sb.dir, `rank-${rank}.json`)));
      assertEquals(vars.RUNPROV_RUN_ID, "ranked");
      assertEquals(vars.RUNPROV_FILE, join(sb.dir, ".runprov/runs/ranked.json"));
    }
    const rec = await onlyRecord(sb);
    assertEquals(rec.status, "succeeded");
  });
});

Deno.test("exec --from: a container without .git or git runs with the stored facts", async () => {
  await withSandbox(async (sb) => {
    const made = await sb.json(["stamp", "--run-id", "image"]);
    const image = join(sb.base, "image");
    await Deno.mkdir(image);
    const stored = join(image, "provenance.json");
    await Deno.copyFile(join(sb.dir, ".runprov/runs/image.json"), stored);
    const noGit = join(sb.base, "no-git-bin");
    await Deno.mkdir(noGit);
    await Deno.symlink("/bin/sh", join(noGit, "sh"));
    await Deno.symlink("/usr/bin/env", join(noGit, "env"));
    const r = await sb.runprov(
      ["exec", "--strict", "--run-id", "in-image", "--", "sh", "-c", 'echo "$RUNPROV_GIT_SHA"'],
      { cwd: image, env: { PATH: noGit, RUNPROV_FROM: stored } },
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), made.git.sha);
    const rec = JSON.parse(
      await Deno.readTextFile(join(image, ".runprov/runs/in-image.json")),
    );
    assertEquals(rec.status, "succeeded");
    assertEquals(rec.git.sha, made.git.sha);
    assertEquals(rec.from, { path: stored, run_id: "image", created_at: made.created_at });
    const explicit = await sb.runprov(
      ["exec", "--from", stored, "--out", "-", "--", "true"],
      { cwd: image, env: { PATH: noGit } },
    );
    assertEquals(explicit.code, 2, "exec needs a record of its own: --out - is refused");
  });
});
