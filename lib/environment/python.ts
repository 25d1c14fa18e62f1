/**
 * What an interpreter is, read from files next to it, never by running it: venv/uv/conda/
 * pyenv/system kind and prefix (pyvenv.cfg, conda-meta/), the version (pyvenv.cfg,
 * conda-meta's python record, patchlevel.h, the pyenv version directory, the binary's or the
 * stdlib directory's name) and the site-packages directories it imports from, in order.
 */
import type { PythonFacts, PythonKind, VersionSource } from "./facts.ts";
import { isMissing, type Reader, why } from "./reader.ts";
import { basename } from "./interpreter.ts";
import { dirname, join } from "../util/paths.ts";

/** The description of one interpreter (`environment.python` without how it was found). */
export type PythonLayout = Omit<PythonFacts, "executable" | "found_by" | "via">;

/** The settings of a `pyvenv.cfg`, keys lowercased (as Python's `site` reads them). */
export function parsePyvenvCfg(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    out.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return out;
}

const VERSION = /^\d+\.\d+(\.\d+)?((a|b|rc)\d+)?\+?$/;

/**
 * A python version as runprov records it, or null when `text` is not one. Accepts
 * `sys.version_info` spelled out (virtualenv's `version_info = 3.11.7.final.0`).
 *
 * @example
 * pythonVersion("3.11.7.final.0"); // "3.11.7"
 * pythonVersion("3.13.0.candidate.1"); // "3.13.0rc1"
 * pythonVersion("3.11\n$(reboot)"); // null
 */
export function pythonVersion(text: string): string | null {
  const t = text.trim();
  const info = /^(\d+\.\d+\.\d+)\.(alpha|beta|candidate|final)\.(\d+)$/.exec(t);
  if (info) {
    const level = { alpha: "a", beta: "b", candidate: "rc", final: "" }[info[2]]!;
    return level === "" ? info[1] : `${info[1]}${level}${info[3]}`;
  }
  return VERSION.test(t) ? t : null;
}

/** `3.11` (and a free-threading `t`) from a binary or directory name such as `python3.11t`. */
function minorOf(name: string): { minor: string; abi: string } | null {
  const m = /^python(\d+\.\d+)(t?)(?:\.exe)?$/.exec(name);
  return m ? { minor: m[1], abi: `python${m[1]}${m[2]}` } : null;
}

/**
 * Describe the interpreter at `executable` (as found, symlinks unresolved). Never throws.
 * `env` supplies HOME, PYTHONUSERBASE and PYTHONNOUSERSITE for the user site directory.
 */
export async function describePython(
  executable: string,
  env: Record<string, string>,
  reader: Reader,
): Promise<PythonLayout> {
  const reasons: string[] = [];
  let real: string | null = null;
  try {
    real = await reader.realPath(executable);
  } catch (err) {
    const target = await reader.readLink(executable).catch(() => null);
    reasons.push(
      target !== null && isMissing(err)
        ? `the interpreter ${executable} is a dangling symlink (to ${target})`
        : `cannot resolve the interpreter ${executable}: ${why(err)}`,
    );
  }
  const venv = await findVenv(executable, reader, reasons);
  if (venv) return await describeVenv(real, venv, env, reader, reasons);
  if (real === null) return emptyLayout(reasons);
  const binDir = dirname(real);
  const prefix = basename(binDir).toLowerCase() === "bin" || basename(binDir) === "Scripts"
    ? dirname(binDir)
    : binDir;
  const base = await describeBase(prefix, basename(real), reader, reasons);
  const sites = await existingDirs(
    [
      ...userSite(base.abi, env),
      ...baseSites(prefix, base.abi),
    ],
    reader,
    reasons,
  );
  if (base.abi === null) reasons.push(`cannot tell the python version of ${real}`);
  return {
    real_path: real,
    version: base.version,
    version_from: base.version_from,
    kind: base.kind,
    prefix,
    base_prefix: null,
    site_packages: sites,
    reason: reasons.length > 0 ? reasons.join("; ") : null,
  };
}

/** A layout with nothing known, for `reasons` (joined with "; "). */
export function emptyLayout(reasons: readonly string[]): PythonLayout {
  return {
    real_path: null,
    version: null,
    version_from: null,
    kind: null,
    prefix: null,
    base_prefix: null,
    site_packages: [],
    reason: reasons.join("; ") || null,
  };
}

interface Venv {
  prefix: string;
  cfg: Map<string, string>;
}

/** pyvenv.cfg next to the executable or one level up (where Python looks, in that order). */
async function findVenv(exe: string, reader: Reader, reasons: string[]): Promise<Venv | null> {
  for (const dir of [dirname(exe), dirname(dirname(exe))]) {
    const file = join(dir, "pyvenv.cfg");
    try {
      return { prefix: dir, cfg: parsePyvenvCfg(await reader.readText(file, 64 * 1024)) };
    } catch (err) {
      if (!isMissing(err)) reasons.push(`cannot read ${file}: ${why(err)}`);
    }
  }
  return null;
}

async function describeVenv(
  real: string | null,
  venv: Venv,
  env: Record<string, string>,
  reader: Reader,
  reasons: string[],
): Promise<PythonLayout> {
  const cfg = venv.cfg;
  const kind: PythonKind = cfg.has("uv") ? "uv" : "venv";
  const home = cfg.get("home") ?? null;
  const basePrefix = home ? (basename(home).toLowerCase() === "bin" ? dirname(home) : home) : null;
  let version: string | null = null;
  let versionFrom: VersionSource | null = null;
  for (const key of ["version", "version_info"]) {
    const raw = cfg.get(key);
    if (raw === undefined) continue;
    version = pythonVersion(raw);
    if (version !== null) {
      versionFrom = "pyvenv.cfg";
      break;
    }
    reasons.push(
      `pyvenv.cfg's ${key} is not a python version: ${JSON.stringify(raw.slice(0, 80))}`,
    );
  }
  // The lib/pythonX.Y directory of the venv itself tells the minor version (and `t`).
  const lib = await pythonDirs(join(venv.prefix, "lib"), reader);
  const want = version?.split(".").slice(0, 2).join(".");
  const abi = lib.find((d) => minorOf(d)?.minor === want) ?? (lib.length === 1 ? lib[0] : null);
  if (version === null && real !== null) {
    const base = await describeBase(
      dirname(dirname(real)),
      basename(real),
      reader,
      reasons,
    );
    version = base.version;
    versionFrom = base.version_from;
  }
  if (version === null && abi !== null) {
    version = minorOf(abi)!.minor;
    versionFrom = "stdlib directory";
  }
  const candidates = abi ? [join(venv.prefix, "lib", abi, "site-packages")] : [];
  candidates.push(join(venv.prefix, "Lib", "site-packages"));
  if (cfg.get("include-system-site-packages")?.toLowerCase() === "true" && basePrefix) {
    candidates.push(...userSite(abi, env), ...baseSites(basePrefix, abi));
  }
  const sites = await existingDirs(candidates, reader, reasons);
  if (sites.length === 0) reasons.push(`no site-packages directory found in ${venv.prefix}`);
  return {
    real_path: real,
    version,
    version_from: versionFrom,
    kind,
    prefix: venv.prefix,
    base_prefix: basePrefix,
    site_packages: sites,
    reason: reasons.length > 0 ? reasons.join("; ") : null,
  };
}

/** `python3.11`-like directory names under `dir` (none when it cannot be listed). */
async function pythonDirs(dir: string, reader: Reader): Promise<string[]> {
  try {
    return (await reader.readDir(dir)).filter((e) => minorOf(e.name) !== null).map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

interface Base {
  version: string | null;
  version_from: VersionSource | null;
  kind: PythonKind;
  /** `python3.11` (the lib/ and include/ directory name), null when unknown. */
  abi: string | null;
}

/** Kind and version of a non-venv installation at `prefix`, whose binary is `binary`. */
async function describeBase(
  prefix: string,
  binary: string,
  reader: Reader,
  reasons: string[],
): Promise<Base> {
  let abi = minorOf(binary)?.abi ?? null;
  let fromStdlib = false;
  if (abi === null) {
    const dirs = await pythonDirs(join(prefix, "lib"), reader);
    if (dirs.length === 1) {
      abi = dirs[0];
      fromStdlib = true;
    }
  }
  const minor = abi ? minorOf(abi)!.minor : null;
  const matches = (v: string | null) => v !== null && (minor === null || v.startsWith(`${minor}.`));

  const conda = await condaPython(prefix, reader, reasons);
  if (conda.isConda) {
    if (conda.version !== null && matches(conda.version)) {
      return {
        version: conda.version,
        version_from: "conda-meta",
        kind: "conda",
        abi: abi ?? conda.abi,
      };
    }
  }
  const kind: PythonKind = conda.isConda
    ? "conda"
    : /\/\.pyenv\/versions\/[^/]+$/.test(prefix)
    ? "pyenv"
    : "system";
  if (abi !== null) {
    const header = join(prefix, "include", abi, "patchlevel.h");
    try {
      const m = /#define\s+PY_VERSION\s+"([^"\n]+)"/.exec(await reader.readText(header, 16 * 1024));
      const v = m ? pythonVersion(m[1]) : null;
      if (matches(v)) return { version: v, version_from: "patchlevel.h", kind, abi };
    } catch (err) {
      if (!isMissing(err)) reasons.push(`cannot read ${header}: ${why(err)}`);
    }
  }
  if (kind === "pyenv") {
    const v = pythonVersion(basename(prefix));
    if (matches(v)) return { version: v, version_from: "pyenv version directory", kind, abi };
  }
  if (minor !== null) {
    return {
      version: minor,
      version_from: fromStdlib ? "stdlib directory" : "binary name",
      kind,
      abi,
    };
  }
  return { version: null, version_from: null, kind, abi };
}

/** Is `prefix` a conda environment, and which python does its conda-meta record? */
async function condaPython(
  prefix: string,
  reader: Reader,
  reasons: string[],
): Promise<{ isConda: boolean; version: string | null; abi: string | null }> {
  const meta = join(prefix, "conda-meta");
  let names: string[];
  try {
    names = (await reader.readDir(meta)).map((e) => e.name);
  } catch (err) {
    if (!isMissing(err)) reasons.push(`cannot list ${meta}: ${why(err)}`);
    return { isConda: !isMissing(err), version: null, abi: null };
  }
  for (const n of names) {
    // python-3.11.5-h955ad1f_0.json (not python-dateutil-..., python_abi-...)
    const m = /^python-(\d+\.\d+\.\d+[a-z0-9]*)-[^-]+\.json$/.exec(n);
    const v = m ? pythonVersion(m[1]) : null;
    if (v) return { isConda: true, version: v, abi: `python${v.split(".").slice(0, 2).join(".")}` };
  }
  return { isConda: true, version: null, abi: null };
}

/** The user site directory (`~/.local/lib/python3.11/site-packages`), unless switched off. */
function userSite(abi: string | null, env: Record<string, string>): string[] {
  if (abi === null || env.PYTHONNOUSERSITE) return [];
  const base = env.PYTHONUSERBASE || (env.HOME ? join(env.HOME, ".local") : null);
  return base ? [join(base, "lib", abi, "site-packages")] : [];
}

/** Site directories of an installation, in the order its `site` module adds them. */
function baseSites(prefix: string, abi: string | null): string[] {
  const out: string[] = [];
  if (abi !== null && prefix === "/usr") out.push(join("/usr/local/lib", abi, "dist-packages"));
  out.push(join(prefix, "lib", "python3", "dist-packages"));
  if (abi !== null) {
    out.push(
      join(prefix, "lib", abi, "dist-packages"),
      join(prefix, "lib", abi, "site-packages"),
      join(prefix, "lib64", abi, "site-packages"),
    );
  }
  out.push(join(prefix, "Lib", "site-packages"));
  return out;
}

/** The directories of `paths` that exist, in order, without duplicates. */
async function existingDirs(paths: string[], reader: Reader, reasons: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  const stats = await Promise.all(paths.map(async (p) => {
    try {
      return { p, dir: (await reader.stat(p))?.isDirectory === true, err: null };
    } catch (err) {
      return { p, dir: false, err };
    }
  }));
  for (const { p, dir, err } of stats) {
    if (err) reasons.push(`cannot read ${p}: ${why(err)}`);
    if (!dir || seen.has(p)) continue;
    seen.add(p);
    out.push(p);
  }
  return out;
}
