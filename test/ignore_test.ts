/**
 * Config `ignore` as a user sees it: globs reach files inside untracked directories that git
 * shows collapsed (`ckpts/`), and `verify` judges a checkout by the same rules as the capture
 * that recorded the run.
 */
import { assertEquals, assertMatch, assertNotMatch } from "./assert.ts";
import { join } from "node:path";
import { type Sandbox, withSandbox } from "./helpers.ts";

async function stampRecord(sb: Sandbox, id: string, ...extra: string[]) {
  const r = await sb.runprov(["stamp", "--run-id", id, ...extra]);
  return { r, rec: r.code === 0 ? JSON.parse(r.stdout) : null };
}

async function configure(sb: Sandbox, config: unknown): Promise<void> {
  await sb.write("runprov.jsonc", JSON.stringify(config) + "\n");
  await sb.git("add", "runprov.jsonc");
  await sb.git("commit", "-q", "-m", "config");
}

Deno.test("ignore: an untracked directory holding only ignored files is neither listed nor counted", async () => {
  await withSandbox(async (sb) => {
    await configure(sb, { ignore: ["*.ckpt"], untracked: "dirty" });
    // git shows each of these wholly untracked directories as one collapsed "dir/" entry.
    await sb.write("ckpts/epoch1.ckpt", "w\n");
    await sb.write("ckpts/epoch2.ckpt", "w\n");
    await sb.write("ckpts/deep/er/epoch3.ckpt", "w\n");
    const only = await stampRecord(sb, "only-ckpts", "--strict");
    assertEquals(only.r.code, 0, `untracked: dirty must not count ckpts/: ${only.r.stderr}`);
    assertEquals(only.rec.git.untracked, []);
    assertEquals(only.rec.git.dirty, false);

    // A collapsed directory with one file that counts is listed, as git shows it.
    await sb.write("mixed/epoch.ckpt", "w\n");
    await sb.write("mixed/notes.txt", "n\n");
    const mixed = await stampRecord(sb, "mixed");
    assertEquals(mixed.r.code, 0, mixed.r.stderr);
    assertEquals(mixed.rec.git.untracked, ["mixed/"]);
    assertEquals(mixed.rec.git.dirty, true, "untracked: dirty counts mixed/");
    const strict = await sb.runprov(["check", "--strict"]);
    assertEquals(strict.code, 3, strict.stderr);
    assertMatch(strict.stderr, /untracked\s+mixed\//);
    assertNotMatch(strict.stderr, /ckpts/);
  });
});

Deno.test("ignore: .gitignore inside a collapsed directory and nested repositories keep their meaning", async () => {
  await withSandbox(async (sb) => {
    await configure(sb, { ignore: ["*.ckpt"] });
    // Only a gitignored log beside the checkpoints: the directory holds nothing that counts.
    await sb.write("out/.gitignore", "*.log\n.gitignore\n");
    await sb.write("out/run.log", "l\n");
    await sb.write("out/w.ckpt", "w\n");
    // An untracked nested repository is one entry, whatever it holds.
    await sb.write("vendor/lib/a.ckpt", "w\n");
    await sb.gitIn(join(sb.dir, "vendor", "lib"), "init", "-q");
    const { r, rec } = await stampRecord(sb, "nested");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(rec.git.untracked, ["vendor/"]);
  });
});

Deno.test("verify: ignore globs decide what counts, as they did when the run was captured", async () => {
  await withSandbox(async (sb) => {
    await configure(sb, { ignore: ["notebooks/**", "*.ckpt"] });
    await sb.write("notebooks/explore.ipynb", "v1\n");
    await sb.git("add", "notebooks/explore.ipynb");
    await sb.git("commit", "-q", "-m", "notebook");
    // Edited (tracked but ignored) and checkpoints written (untracked, ignored).
    await sb.write("notebooks/explore.ipynb", "v2\n");
    await sb.write("ckpts/a.ckpt", "w\n");
    const { r, rec } = await stampRecord(sb, "nb");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(rec.git.dirty, false, "the capture does not count the ignored edit");

    const v = await sb.runprov(["verify", "nb"]);
    assertEquals(v.code, 0, `verify must not count what the capture ignored: ${v.stderr}`);
    assertMatch(v.stdout, /^ok: this checkout is the code of run nb/);
    assertNotMatch(v.stderr, /untracked file/, "ckpts/ holds only ignored files");

    // A change that counts still makes the checkout differ.
    await sb.write("README.md", "changed\n");
    const differs = await sb.runprov(["verify", "nb"]);
    assertEquals(differs.code, 3, differs.stderr);
    assertMatch(differs.stderr, /extra changes[^\n]*\n\s+README\.md/);
    assertNotMatch(differs.stderr, /explore\.ipynb/);
  });
});

Deno.test("verify: a run dirty only by untracked files (untracked: dirty) had a clean tracked tree", async () => {
  await withSandbox(async (sb) => {
    // Without a patch holding them (patch.capture off, or a record from before runprov
    // stored untracked files in the patch), they are not compared.
    await configure(sb, { untracked: "dirty", patch: { capture: false } });
    await sb.write("scratch.txt", "s\n");
    const { r, rec } = await stampRecord(sb, "ut");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(rec.git.dirty, true);
    const v = await sb.runprov(["verify", "ut"]);
    assertEquals(v.code, 0, v.stderr);
    assertMatch(v.stderr, /1 untracked file\(s\) are not compared/);
  });
});

Deno.test("verify: a run's counted untracked files are compared when its patch holds them", async () => {
  await withSandbox(async (sb) => {
    await configure(sb, { untracked: "dirty" });
    await sb.write("scratch.txt", "s\n");
    const { r, rec } = await stampRecord(sb, "utp");
    assertEquals(r.code, 0, r.stderr);
    assertEquals([rec.git.dirty, rec.git.patch?.untracked], [true, true]);
    const v = await sb.runprov(["verify", "utp"]);
    assertEquals(v.code, 0, v.stderr);
    assertNotMatch(v.stderr, /not compared/);
    await sb.write("scratch.txt", "changed\n");
    const differs = await sb.runprov(["verify", "utp"]);
    assertEquals(differs.code, 3, differs.stderr);
  });
});

Deno.test("ignore: from a subdirectory (-C), a collapsed directory holding a counted file is listed", async () => {
  await withSandbox(async (sb) => {
    await configure(sb, { ignore: ["*.ckpt"], untracked: "dirty" });
    await sb.write("src/train.py", "print(1)\n");
    await sb.git("add", "src/train.py");
    await sb.git("commit", "-q", "-m", "src");
    await sb.write("mixed/epoch.ckpt", "w\n");
    await sb.write("mixed/notes.txt", "n\n");
    const r = await sb.runprov(["-C", "src", "stamp", "--run-id", "sub", "--out", "-"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals([rec.git.untracked, rec.git.dirty], [["mixed/"], true]);
  });
});

Deno.test("ignore: an ignored file inside a collapsed directory stays out of the run's patch and verify", async () => {
  await withSandbox(async (sb) => {
    await configure(sb, { ignore: ["*.ckpt"], untracked: "dirty" });
    await sb.write("mixed/epoch.ckpt", "weights 1\n");
    await sb.write("mixed/notes.txt", "n\n");
    const { r, rec } = await stampRecord(sb, "mx");
    assertEquals(r.code, 0, r.stderr);
    assertEquals([rec.git.untracked, rec.git.patch?.untracked], [["mixed/"], true]);
    const patch = await Deno.readTextFile(rec.git.patch.path);
    assertMatch(patch, /mixed\/notes\.txt/);
    assertNotMatch(patch, /epoch\.ckpt/, "an ignored checkpoint is never in the patch");
    // Training goes on writing the checkpoint: the code is still the run's.
    await sb.write("mixed/epoch.ckpt", "weights 2\n");
    const v = await sb.runprov(["verify", "mx"]);
    assertEquals(v.code, 0, v.stderr);
    // The snapshot holds the counted file and not the checkpoint.
    const snap = (await sb.runprov(["restore", "--print", "mx"])).stdout.trim();
    const files = await sb.git("ls-tree", "-r", "--name-only", snap, "--", "mixed");
    assertEquals(files.trim(), "mixed/notes.txt");
  });
});
