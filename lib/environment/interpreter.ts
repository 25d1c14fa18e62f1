/**
 * Which python a run uses, found without starting any program: from `exec`'s command
 * (a python itself, a script whose `#!` names one, such as the `torchrun`, `accelerate` or
 * `deepspeed` entry points, or a later python word as in `srun python train.py`), else from
 * `VIRTUAL_ENV`, `CONDA_PREFIX`, then `python3`/`python` on PATH. pyenv shims are followed
 * the way pyenv itself picks a version (PYENV_VERSION, `.python-version`, its `version` file).
 */
import type { PythonFoundBy } from "./facts.ts";
import { type Reader, why } from "./reader.ts";
import { dirname, isAbsolute, join, resolve } from "../util/paths.ts";

/** The interpreter a run will use, and how it was found. */
export interface ResolvedInterpreter {
  executable: string | null;
  found_by: PythonFoundBy | null;
  via: string[];
  reason: string | null;
}

/** What the resolution looks at. */
export interface ResolveInput {
  /** `exec`'s command (argv); absent for `env` and `stamp`. */
  command?: readonly string[];
  env: Record<string, string>;
  /** The directory the command runs in (relative paths and `.python-version` start here). */
  cwd: string;
}

const PYTHON_NAME = /^python(\d+(\.\d+)?)?[dmt]?(\.exe)?$/;
const HEAD_BYTES = 1024;
const MAX_HOPS = 4;

/**
 * Is this file name a python interpreter's?
 *
 * @example
 * isPythonName("python3.11"); // true
 * isPythonName("pythonista"); // false
 */
export function isPythonName(name: string): boolean {
  return PYTHON_NAME.test(name);
}

/** The last path segment. */
export function basename(path: string): string {
  const sep = Deno.build.os === "windows" ? /[\\/]+$/ : /\/+$/;
  const trimmed = path.replace(sep, "");
  const cut = Deno.build.os === "windows"
    ? Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"))
    : trimmed.lastIndexOf("/");
  return trimmed.slice(cut + 1);
}

/** What a `#!` line asks for: an interpreter path, or a program that `env` looks up. */
export interface Shebang {
  /** The interpreter as written (`/usr/bin/python3`), or null when `env` looks one up. */
  path: string | null;
  /** For `#!/usr/bin/env [-S] NAME ...`: NAME. */
  lookup: string | null;
}

/**
 * Parse the first line of a script.
 *
 * @example
 * parseShebang("#!/usr/bin/env -S python3 -u\n"); // { path: null, lookup: "python3" }
 * parseShebang("#!/opt/venv/bin/python\n");      // { path: "/opt/venv/bin/python", lookup: null }
 */
export function parseShebang(text: string): Shebang | null {
  if (!text.startsWith("#!")) return null;
  const line = text.slice(2).split("\n", 1)[0].replace(/\r$/, "");
  const words = line.trim().split(/[ \t]+/).filter(Boolean);
  if (words.length === 0) return null;
  if (basename(words[0]) !== "env") return { path: words[0], lookup: null };
  // env [-S] [-i] [-u NAME] [NAME=VALUE]... PROGRAM: -S splits the rest into words.
  const rest = words.slice(1).flatMap((w) => w.split(/[ \t]+/));
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === "-u" || w === "--unset" || w === "-C" || w === "--chdir") {
      i++;
      continue;
    }
    if (w.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue;
    return { path: null, lookup: w };
  }
  return null;
}

/**
 * The interpreter of distlib's `/bin/sh` launcher, which pip writes instead of a `#!` line
 * when the interpreter's path is too long or holds spaces:
 * `'''exec' "/long path/bin/python" "$0" "$@"`.
 */
export function shLauncherTarget(text: string): string | null {
  const m = /^'''exec' "([^"\n]+)" "\$0" "\$@"/m.exec(text);
  return m ? m[1] : null;
}

/** A pyenv shim: the script pyenv puts first on PATH for every program it manages. */
export function pyenvShimRoot(text: string): string | null {
  if (!text.startsWith("#!")) return null;
  if (!/exec "[^"\n]*\/libexec\/pyenv" exec "\$program"/.test(text)) return null;
  const m = /^export PYENV_ROOT="([^"\n]*)"/m.exec(text);
  return m ? m[1] : "";
}

/** Resolve `name` the way a shell's PATH lookup does (an executable regular file). */
export async function which(
  name: string,
  env: Record<string, string>,
  cwd: string,
  reader: Reader,
  skipDir?: string,
): Promise<string | null> {
  if (name.includes("/")) {
    const p = isAbsolute(name) ? name : resolve(cwd, name);
    return await reader.exists(p) ? p : null;
  }
  // An unset PATH searches nothing; an empty entry of a set one is the current directory.
  const dirs = env.PATH === undefined
    ? []
    : env.PATH.split(Deno.build.os === "windows" ? ";" : ":");
  for (const dir of dirs) {
    const d = resolve(cwd, dir === "" ? "." : dir);
    if (skipDir !== undefined && d === skipDir) continue;
    const p = join(d, name);
    try {
      const s = await reader.stat(p);
      if (s?.isFile && (s.mode === null || (s.mode & 0o111) !== 0)) return p;
    } catch {
      // an unreadable PATH directory is skipped, as the shell skips it
    }
  }
  return null;
}

async function head(path: string, reader: Reader): Promise<string> {
  return new TextDecoder().decode(await reader.readHead(path, HEAD_BYTES));
}

/**
 * Find the interpreter a run uses. Never throws: a failure is a `reason`.
 *
 * @example
 * await resolveInterpreter({ command: ["torchrun", "train.py"], env, cwd }, denoReader);
 * // { executable: "/proj/.venv/bin/python", found_by: "shebang", via: ["/proj/.venv/bin/torchrun"], ... }
 */
export async function resolveInterpreter(
  input: ResolveInput,
  reader: Reader,
): Promise<ResolvedInterpreter> {
  const notes: string[] = [];
  let found: ResolvedInterpreter | null = null;
  if (input.command && input.command.length > 0) {
    found = await fromCommand(input, reader, notes);
  }
  found ??= await fromEnvironment(input, reader, notes);
  if (found.executable === null) return found;
  return await followShims(found, input, reader);
}

async function fromCommand(
  input: ResolveInput,
  reader: Reader,
  notes: string[],
): Promise<ResolvedInterpreter | null> {
  const argv = input.command!;
  const word = argv[0];
  const path = await which(word, input.env, input.cwd, reader).catch(() => null);
  if (path !== null && (isPythonName(basename(word)) || isPythonName(basename(path)))) {
    return { executable: path, found_by: "command", via: [], reason: null };
  }
  if (path !== null) {
    try {
      const text = await head(path, reader);
      const bang = parseShebang(text);
      let target: string | null = null;
      if (bang?.path && isPythonName(basename(bang.path))) target = bang.path;
      else if (bang?.lookup && isPythonName(basename(bang.lookup))) {
        target = await which(bang.lookup, input.env, input.cwd, reader);
        if (target === null) notes.push(`${path} asks for ${bang.lookup}, which is not on PATH`);
      } else if (bang?.path && basename(bang.path) === "sh") {
        const launched = shLauncherTarget(text);
        if (launched && isPythonName(basename(launched))) target = launched;
      }
      if (target !== null) {
        return { executable: target, found_by: "shebang", via: [path], reason: null };
      }
    } catch (err) {
      notes.push(`cannot read ${path}: ${why(err)}`);
    }
  } else {
    notes.push(`the command ${JSON.stringify(word)} was not found`);
  }
  // A launcher in front of python: srun python ..., mpirun -n 4 python ..., nice python ...
  for (let i = 1; i < argv.length; i++) {
    if (!isPythonName(basename(argv[i]))) continue;
    const p = await which(argv[i], input.env, input.cwd, reader).catch(() => null);
    if (p !== null) return { executable: p, found_by: "argv", via: [], reason: null };
  }
  return null;
}

async function fromEnvironment(
  input: ResolveInput,
  reader: Reader,
  notes: string[],
): Promise<ResolvedInterpreter> {
  const env = input.env;
  const inPrefix = async (
    prefix: string,
    names: string[],
    by: PythonFoundBy,
  ): Promise<ResolvedInterpreter | null> => {
    for (const n of names) {
      const p = join(resolve(input.cwd, prefix), n);
      if (await reader.exists(p).catch(() => false)) {
        return { executable: p, found_by: by, via: [], reason: null };
      }
    }
    notes.push(`${by}=${prefix} holds no ${names[0]}`);
    return null;
  };
  if (env.VIRTUAL_ENV) {
    const r = await inPrefix(env.VIRTUAL_ENV, [
      "bin/python",
      "bin/python3",
      "Scripts/python.exe",
    ], "VIRTUAL_ENV");
    if (r) return r;
  }
  if (env.CONDA_PREFIX) {
    const r = await inPrefix(env.CONDA_PREFIX, ["bin/python", "python.exe"], "CONDA_PREFIX");
    if (r) return r;
  }
  for (const name of ["python3", "python"]) {
    const p = await which(name, env, input.cwd, reader).catch(() => null);
    if (p !== null) return { executable: p, found_by: "PATH", via: [], reason: null };
  }
  notes.push("there is no python3 or python on PATH");
  return {
    executable: null,
    found_by: null,
    via: [],
    reason: `no python interpreter found: ${notes.join("; ")}`,
  };
}

/** Follow pyenv shims (and nothing else) from the found path to the real interpreter. */
async function followShims(
  found: ResolvedInterpreter,
  input: ResolveInput,
  reader: Reader,
): Promise<ResolvedInterpreter> {
  let current = found;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    let text: string;
    try {
      text = await head(current.executable!, reader);
    } catch {
      return current; // a binary we cannot read, or a dangling link: described later
    }
    const root = pyenvShimRoot(text);
    if (root === null) return current;
    const shim = current.executable!;
    const next = await pyenvTarget(shim, root || dirname(dirname(shim)), input, reader);
    if (next.path === null) {
      return { ...current, via: [...current.via, shim], executable: null, reason: next.reason };
    }
    current = { ...current, executable: next.path, via: [...current.via, shim] };
  }
  return current;
}

/** The version pyenv selects: PYENV_VERSION, `.python-version` upward from cwd, `version`. */
async function pyenvVersion(
  root: string,
  input: ResolveInput,
  reader: Reader,
): Promise<{ version: string; from: string }> {
  const fromEnv = input.env.PYENV_VERSION?.split(":")[0].trim();
  if (fromEnv) return { version: fromEnv, from: "PYENV_VERSION" };
  const firstWord = (text: string) =>
    text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"))
      ?.split(/\s+/)[0] ?? null;
  for (let dir = resolve(input.env.PYENV_DIR || input.cwd);; dir = dirname(dir)) {
    const file = join(dir, ".python-version");
    try {
      const v = firstWord(await reader.readText(file, 4096));
      if (v) return { version: v, from: file };
    } catch {
      // not here: look further up
    }
    if (dirname(dir) === dir) break;
  }
  try {
    const v = firstWord(await reader.readText(join(root, "version"), 4096));
    if (v) return { version: v, from: join(root, "version") };
  } catch {
    // no global version file: pyenv uses the system python
  }
  return { version: "system", from: "default" };
}

async function pyenvTarget(
  shim: string,
  root: string,
  input: ResolveInput,
  reader: Reader,
): Promise<{ path: string | null; reason: string | null }> {
  const program = basename(shim);
  const { version, from } = await pyenvVersion(root, input, reader);
  if (version === "system") {
    const p = await which(program, input.env, input.cwd, reader, dirname(shim)).catch(() => null);
    return p
      ? { path: p, reason: null }
      : { path: null, reason: `pyenv selects the system python, but no ${program} is on PATH` };
  }
  if (version.includes("/") || version === "." || version === "..") {
    return {
      path: null,
      reason: `pyenv version ${JSON.stringify(version)} (${from}) is not a name`,
    };
  }
  const versions = join(root, "versions");
  let dir = join(versions, version);
  if (!(await reader.exists(dir).catch(() => false))) {
    // pyenv takes a prefix such as "3.11" to mean the newest installed 3.11.x
    const names = await reader.readDir(versions).then((es) => es.map((e) => e.name), () => []);
    const best = names.filter((n) => n.startsWith(`${version}.`) && /^[\d.]+$/.test(n))
      .sort(compareNumeric).at(-1);
    if (!best) {
      return {
        path: null,
        reason: `pyenv version ${
          JSON.stringify(version)
        } (${from}) is not installed in ${versions}`,
      };
    }
    dir = join(versions, best);
  }
  const p = join(dir, "bin", program);
  try {
    if (await reader.exists(p)) return { path: p, reason: null };
  } catch (err) {
    return { path: null, reason: `cannot read ${p}: ${why(err)}` };
  }
  return { path: null, reason: `pyenv version ${version} has no ${program}` };
}

function compareNumeric(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
