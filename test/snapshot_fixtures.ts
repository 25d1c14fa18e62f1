/**
 * Fixtures for the snapshot tests (restore, rerun, diff, tag): a repository whose working
 * tree has every kind of change the issue lists, what git itself says the run's tree was,
 * and a fingerprint of the user's checkout (to prove runprov left it alone).
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { run, type Sandbox } from "./helpers.ts";

/** Files of the base commit (path -> bytes). */
export const BASE_FILES: Record<string, string | Uint8Array> = {
  "mod.txt": "alpha\n",
  "staged.txt": "staged\n",
  "del.txt": "to delete\n",
  "old name.txt": "renamed content\n",
  "run.sh": "#!/bin/sh\necho run\n",
  "bin.dat": new Uint8Array([0, 1, 2, 0, 255, 0]),
  "dir with space/naïve é.txt": "unicode path\n",
  ".gitignore": "*.log\n",
};

async function writeBytes(sb: Sandbox, path: string, data: string | Uint8Array) {
  const full = join(sb.dir, path);
  await Deno.mkdir(join(full, ".."), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(full, data);
  else await Deno.writeFile(full, data);
}

/** A second repository `sub` (two commits) under the sandbox, for submodules. */
export async function makeSubRepo(sb: Sandbox): Promise<{ path: string; commits: string[] }> {
  const path = join(sb.base, "sub");
  await Deno.mkdir(path, { recursive: true });
  await sb.gitIn(path, "init", "-q", "-b", "main");
  const commits: string[] = [];
  for (const v of ["one", "two"]) {
    await Deno.writeTextFile(join(path, "sub.txt"), `${v}\n`);
    await sb.gitIn(path, "add", "sub.txt");
    await sb.gitIn(path, "commit", "-q", "-m", v);
    commits.push((await sb.gitIn(path, "rev-parse", "HEAD")).trim());
  }
  return { path, commits };
}

/**
 * Commit {@link BASE_FILES} and a submodule `lib` (at `sub`'s second commit), then make
 * every change of the issue's matrix: modified, staged, deleted, renamed, mode-changed,
 * binary with NUL bytes, a new file in the index, a path with spaces and non-ASCII, the
 * submodule at another commit, an ignored file, an untracked file. Returns the base commit.
 */
export async function makeDirtyMatrix(
  sb: Sandbox,
  opts: { untracked?: "report" | "dirty"; submodule?: boolean } = {},
): Promise<string> {
  for (const [p, d] of Object.entries(BASE_FILES)) await writeBytes(sb, p, d);
  if (opts.untracked) {
    await writeBytes(sb, "runprov.jsonc", `{ "untracked": "${opts.untracked}" }\n`);
  }
  await sb.git("add", ".");
  if (opts.submodule ?? true) {
    const sub = await makeSubRepo(sb);
    await sb.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path, "lib");
  }
  await sb.git("commit", "-q", "-m", "base");
  const base = (await sb.git("rev-parse", "HEAD")).trim();

  await writeBytes(sb, "mod.txt", "alpha\nbeta\n");
  await writeBytes(sb, "staged.txt", "staged\nand staged more\n");
  await sb.git("add", "staged.txt");
  await sb.git("rm", "-q", "del.txt");
  await sb.git("mv", "old name.txt", "new name.txt");
  await Deno.chmod(join(sb.dir, "run.sh"), 0o755);
  await writeBytes(sb, "bin.dat", new Uint8Array([0, 9, 0, 0, 254, 0, 7]));
  await writeBytes(sb, "added.txt", "new in the index\n");
  await sb.git("add", "added.txt");
  await writeBytes(sb, "dir with space/naïve é.txt", "unicode path\nedited\n");
  if (opts.submodule ?? true) await sb.gitIn(join(sb.dir, "lib"), "checkout", "-q", "HEAD~1");
  await writeBytes(sb, "debug.log", "ignored by .gitignore\n");
  await writeBytes(sb, "notes.txt", "untracked notes\n");
  return base;
}

/**
 * The tree git itself makes of the working tree as it is now, in a scratch index: tracked
 * changes (staged and unstaged, submodule commits), plus untracked files when
 * `withUntracked` (never ignored ones).
 */
export async function worktreeTree(sb: Sandbox, withUntracked: boolean): Promise<string> {
  const index = join(sb.base, `expect-index-${crypto.randomUUID()}`);
  await Deno.copyFile(join(sb.dir, ".git", "index"), index);
  const env = { ...sb.env, GIT_INDEX_FILE: index };
  const git = async (...args: string[]) => {
    const r = await run("git", args, { cwd: sb.dir, env });
    if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git("add", withUntracked ? "-A" : "-u");
  const tree = await git("write-tree");
  await Deno.remove(index);
  return tree;
}

/** What a user would notice of their checkout: status, index bytes, HEAD, refs (not runprov's). */
export interface CheckoutState {
  status: string;
  index: string;
  head: string;
  refs: string;
}

/** Fingerprint the user's checkout (runprov's own refs left out). */
export async function checkoutState(sb: Sandbox, dir = sb.dir): Promise<CheckoutState> {
  const index = await Deno.readFile(join(dir, ".git", "index"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", index));
  const refs = (await sb.gitIn(dir, "for-each-ref", "--format=%(refname) %(objectname)"))
    .split("\n").filter((l) => l && !l.startsWith("refs/runprov/")).join("\n");
  return {
    status: await sb.gitIn(
      dir,
      "--no-optional-locks",
      "status",
      "--porcelain=v2",
      "--branch",
      "-uall",
    ),
    index: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
    head: (await sb.gitIn(dir, "rev-parse", "HEAD")).trim() + " " +
      (await sb.gitIn(dir, "symbolic-ref", "-q", "HEAD").catch(() => "detached")).trim(),
    refs,
  };
}

/**
 * Assert the checkout is as `before` said (runprov touched nothing a user would see), apart
 * from the refs in `made` (`runprov tag` makes its run tag).
 */
export async function assertUntouched(
  sb: Sandbox,
  before: CheckoutState,
  what: string,
  made: string[] = [],
) {
  const now = await checkoutState(sb);
  now.refs = now.refs.split("\n").filter((l) => !made.includes(l.split(" ")[0])).join("\n");
  assertEquals(now, before, `${what} changed the user's checkout`);
}

/** Every file under `dir` (not `.git`) with its bytes and executable bit, by relative path. */
export async function filesOf(dir: string, skip: (rel: string) => boolean = () => false) {
  const out = new Map<string, string>();
  async function walk(rel: string) {
    for await (const e of Deno.readDir(join(dir, rel))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === ".git" || skip(p)) continue;
      if (e.isDirectory) await walk(p);
      else if (e.isSymlink) out.set(p, `link:${await Deno.readLink(join(dir, p))}`);
      else {
        const info = await Deno.stat(join(dir, p));
        const bytes = await Deno.readFile(join(dir, p));
        out.set(p, `${(info.mode ?? 0) & 0o111 ? "x" : "-"}:${Array.from(bytes).join(",")}`);
      }
    }
  }
  await walk("");
  return out;
}

/**
 * Arm the repository so that any program it names records itself in `canary`: hooks that
 * fire on index writes, ref updates and checkouts, a clean/smudge filter on every file,
 * textconv and an external diff. Call after the last commit of the setup.
 */
export async function armRepository(sb: Sandbox, canary: string): Promise<void> {
  const script = join(sb.base, "evil.sh");
  await Deno.writeTextFile(script, `#!/bin/sh\necho "$0 $*" >> '${canary}'\ncat\n`);
  await Deno.chmod(script, 0o755);
  const hooks = join(sb.base, "hooks");
  await Deno.mkdir(hooks);
  for (const h of ["post-index-change", "reference-transaction", "post-checkout"]) {
    await Deno.writeTextFile(join(hooks, h), `#!/bin/sh\necho ${h} >> '${canary}'\n`);
    await Deno.chmod(join(hooks, h), 0o755);
  }
  await Deno.writeTextFile(join(sb.dir, ".git", "info", "attributes"), "* filter=evil diff=evil\n");
  for (
    const [k, v] of [
      ["core.hooksPath", hooks],
      ["filter.evil.clean", script],
      ["filter.evil.smudge", script],
      ["filter.evil.process", script],
      ["diff.evil.textconv", script],
      ["diff.external", script],
    ]
  ) await sb.git("config", k, v);
}
