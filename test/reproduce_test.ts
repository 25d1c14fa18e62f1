/**
 * The end-to-end path a new user takes: pick a run from `runprov runs`, get its exact code
 * back with `restore`, run it again with `rerun`, see what changed with `diff`. There is no
 * network here, so instead of a public ML repository's history the test builds one that
 * looks like a small ML project: several commits and a version tag, a tokenizer submodule,
 * a binary checkpoint, configs, and a deterministic "training" script.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { type Sandbox, withSandbox } from "./helpers.ts";
import { assertUntouched, checkoutState, makeSubRepo } from "./snapshot_fixtures.ts";

/** Deterministic pseudo-random bytes (with NULs): a stand-in for model weights. */
function weights(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (x >> 16) & 0xff;
  }
  out[0] = 0;
  return out;
}

const TRAIN = `#!/bin/sh
# train.sh --config FILE: "trains" deterministically from the config, tokenizer and weights.
set -e
cfg=$2
mkdir -p out
{
  echo "config: $(cat "$cfg")"
  echo "tokenizer: $(cat third_party/tokenizer/sub.txt)"
  echo "model: $(cat model/gpt.py)"
  echo "weights: $(cksum < checkpoints/init.ckpt)"
} > out/metrics.txt
`;

async function commitAll(sb: Sandbox, message: string) {
  await sb.git("add", "-A", ".");
  await sb.git("commit", "-q", "-m", message);
}

/** The project's history: five commits, a tag, a submodule and a binary checkpoint. */
async function mlProject(sb: Sandbox): Promise<void> {
  await sb.write("README.md", "# tinygpt\n");
  await sb.write(".gitignore", "out/\n*.log\n");
  await sb.write("model/gpt.py", "class GPT:\n    n_layer = 4\n");
  await commitAll(sb, "model");
  await sb.write("train.sh", TRAIN);
  await sb.write("config/base.json", '{"lr": 0.001, "batch": 32}\n');
  await commitAll(sb, "training script and base config");
  const tok = await makeSubRepo(sb);
  await sb.git(
    "-c",
    "protocol.file.allow=always",
    "submodule",
    "add",
    "-q",
    tok.path,
    "third_party/tokenizer",
  );
  await commitAll(sb, "tokenizer submodule");
  await Deno.mkdir(join(sb.dir, "checkpoints"));
  await Deno.writeFile(join(sb.dir, "checkpoints/init.ckpt"), weights(1, 64 * 1024));
  await commitAll(sb, "initial checkpoint");
  await sb.git("tag", "-a", "v0.1", "-m", "v0.1");
  await sb.write("model/gpt.py", "class GPT:\n    n_layer = 6\n");
  await commitAll(sb, "deeper model");
}

Deno.test("reproduce: runs -> restore -> rerun -> diff on a small ML project's history", async () => {
  await withSandbox(async (sb) => {
    await mlProject(sb);
    // An experiment with uncommitted edits: a new config (staged), a retouched checkpoint,
    // the tokenizer at its older commit; training output is ignored.
    await sb.write("config/exp.json", '{"lr": 0.0003, "batch": 64}\n');
    await sb.git("add", "config/exp.json");
    await Deno.writeFile(join(sb.dir, "checkpoints/init.ckpt"), weights(2, 64 * 1024));
    await sb.gitIn(join(sb.dir, "third_party/tokenizer"), "checkout", "-q", "HEAD~1");
    const exp = await sb.runprov([
      "-q",
      "exec",
      "--name",
      "lr sweep",
      "--",
      "sh",
      "train.sh",
      "--config",
      "config/exp.json",
    ]);
    assertEquals(exp.code, 0, exp.stderr);
    const metrics = await Deno.readTextFile(join(sb.dir, "out/metrics.txt"));
    assertMatch(metrics, /^config: \{"lr": 0.0003/);

    // The user moves on: the experiment's edits are dropped, a baseline runs clean.
    await sb.git("reset", "-q", "--hard");
    await sb.git("submodule", "-q", "update");
    const base = await sb.runprov([
      "-q",
      "exec",
      "--",
      "sh",
      "train.sh",
      "--config",
      "config/base.json",
    ]);
    assertEquals(base.code, 0, base.stderr);
    await sb.write("model/gpt.py", "class GPT:\n    n_layer = 12  # work in progress\n");
    const before = await checkoutState(sb);

    // 1. A run id from `runprov runs`.
    const runs = JSON.parse((await sb.runprov(["runs", "--json"])).stdout);
    const sweep = runs.find((r: { name: string }) => r.name === "lr sweep");
    const baseline = runs.find((r: { name: string | null; id: string }) => r.id !== sweep.id);
    assertEquals([sweep.dirty, baseline.dirty], [true, false]);
    assert(sweep.snapshot === null, "no snapshot before one is needed");

    // 2. Its exact code, with one command.
    const restored = await sb.runprov(["restore", sweep.id]);
    assertEquals(restored.code, 0, restored.stderr);
    const dir = restored.stdout.trim();
    assertEquals(dir, join(sb.base, `repo-run-${sweep.id}`));
    assertEquals(
      await Deno.readFile(join(dir, "checkpoints/init.ckpt")),
      weights(2, 64 * 1024),
    );
    assertEquals(
      await Deno.readTextFile(join(dir, "config/exp.json")),
      '{"lr": 0.0003, "batch": 64}\n',
    );
    assertEquals(await Deno.readTextFile(join(dir, "third_party/tokenizer/sub.txt")), "one\n");
    assertEquals(
      await Deno.readTextFile(join(dir, "model/gpt.py")),
      "class GPT:\n    n_layer = 6\n",
    );
    const v = await sb.runprov(["-C", dir, "verify", sweep.id]);
    assertEquals(v.code, 0, v.stderr);

    // 3. Rerun it with another: the same code gives the same result.
    const again = await sb.runprov(["rerun", sweep.id, "--run-id", "sweep-again"]);
    assertEquals(again.code, 0, again.stderr);
    const rerunDir = join(sb.base, "repo-rerun-sweep-again");
    assertEquals(await Deno.readTextFile(join(rerunDir, "out/metrics.txt")), metrics);

    // 4. What changed between two runs, with a third.
    const d = await sb.runprov(["diff", "--name-only", baseline.id, sweep.id]);
    assertEquals(d.code, 1, d.stderr);
    assertEquals(d.stdout.split("\n").filter(Boolean).sort(), [
      "checkpoints/init.ckpt",
      "config/exp.json",
      "third_party/tokenizer",
    ]);
    const same = await sb.runprov(["diff", sweep.id, "sweep-again"]);
    assertEquals(same.code, 0, same.stdout);
    const wip = await sb.runprov(["diff", "--stat", baseline.id, "WORKTREE"]);
    assertEquals(wip.code, 1);
    assertMatch(wip.stdout, / model\/gpt.py \| 2 \+-/);

    await assertUntouched(sb, before, "the reproduce path");
    const listed = JSON.parse((await sb.runprov(["runs", "--json"])).stdout);
    const after = listed.find((r: { id: string }) => r.id === sweep.id);
    assertMatch(after.snapshot, /^[0-9a-f]{40}$/);
  });
});
