/**
 * The shell matrix: real shells evaluating real `runprov env --format F` output the way users
 * run it (`eval $(…)`, `eval "$(…)"`, `| source`, backquotes), with nullglob, failglob,
 * extglob, `emulate sh` and a non-default IFS, in a directory full of booby-trapped file
 * names. One shell process evaluates every output of a corpus in turn and dumps its
 * environment with `env -0` after each; every carried variable must come back byte for byte
 * and no canary file may appear. GitHub Actions' `$GITHUB_ENV` is read as its runner reads it.
 */
import { join } from "node:path";
import { run } from "../sandbox.ts";
import type { CliExports } from "./cli_exports.ts";
import { parseGithubEnv } from "./github_env.ts";

const enc = new TextEncoder();

/** A way of evaluating one format's output in one shell. */
export interface Case {
  name: string;
  /** Locale for the shell (default C.UTF-8). */
  locale?: string;
  shell: string;
  format: string;
  argv: (script: string) => string[];
  /** The script evaluating `outs[i]` then dumping the environment to `dumps[i]`, for all i. */
  script: (outs: string[], dumps: string[]) => string;
}

/** Single-quote a temp path for the shells (temp paths hold no quote). */
const q = (p: string) => `'${p}'`;

/** One statement per output, joined: evaluate it, then dump the environment. */
const each = (step: (out: string, dump: string) => string) => (outs: string[], dumps: string[]) =>
  outs.map((o, i) => step(o, dumps[i])).join("; ");

const dumpTo = (d: string) => `/usr/bin/env -0 > ${q(d)}`;

export const CASES: Case[] = [];
for (
  const [shell, format] of [
    ["dash", "sh"],
    ["bash", "sh"],
    ["zsh", "sh"],
    ["busybox", "sh"],
    ["bash", "bash"],
    ["zsh", "zsh"],
    ["busybox", "bash"],
  ]
) {
  const argv = shell === "busybox" ? (s: string) => ["sh", "-c", s] : (s: string) => ["-c", s];
  const preludes: [string, string][] = [["", ""], ["IFS=: ", "IFS=:; "]];
  if (shell === "bash") {
    preludes.push(
      ["nullglob", "shopt -s nullglob; "],
      ["failglob", "shopt -s failglob; "],
      ["extglob+nullglob", "shopt -s extglob nullglob; "],
    );
  }
  if (shell === "zsh") {
    preludes.push(
      ["emulate sh", "emulate sh; "],
      ["emulate sh nullglob", "emulate sh; setopt nullglob; "],
      ["emulate sh IFS=:", "emulate sh; IFS=:; "],
    );
  }
  for (const [label, prelude] of preludes) {
    for (const quoted of [false, true]) {
      CASES.push({
        name: `${shell} --format ${format}${label ? ` (${label})` : ""}: eval ${
          quoted ? '"$(…)"' : "$(…)"
        }`,
        shell,
        format,
        argv,
        script: (outs, dumps) =>
          prelude +
          each((o, d) => `eval ${quoted ? `"$(cat ${q(o)})"` : `$(cat ${q(o)})`}; ${dumpTo(d)}`)(
            outs,
            dumps,
          ),
      });
    }
  }
}
CASES.push(
  {
    name: "fish: runprov env --format fish | source",
    shell: "fish",
    format: "fish",
    argv: (s) => ["--no-config", "-c", s],
    script: each((o, d) => `cat ${q(o)} | source; ${dumpTo(d)}`),
  },
  {
    name: "fish: eval (runprov env --format fish)",
    shell: "fish",
    format: "fish",
    argv: (s) => ["--no-config", "-c", s],
    script: each((o, d) => `eval (cat ${q(o)}); ${dumpTo(d)}`),
  },
  {
    name: 'tcsh: eval "`runprov env --format tcsh`"',
    shell: "tcsh",
    format: "tcsh",
    argv: (s) => ["-f", "-c", s],
    script: each((o, d) => `eval "\`cat ${q(o)}\`"; ${dumpTo(d)}`),
  },
  {
    name: "tcsh: eval `runprov env --format tcsh` (unquoted)",
    shell: "tcsh",
    format: "tcsh",
    argv: (s) => ["-f", "-c", s],
    script: each((o, d) => `eval \`cat ${q(o)}\`; ${dumpTo(d)}`),
  },
  {
    name: "pwsh: runprov env --format pwsh | Invoke-Expression",
    shell: "pwsh",
    format: "pwsh",
    argv: (s) => ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", s],
    // The dump runs in sh: pwsh's own redirection would re-encode env's bytes.
    script: each((o, d) =>
      `Get-Content -Raw -LiteralPath ${q(o)} | Invoke-Expression; & /bin/sh -c "${dumpTo(d)}"`
    ),
  },
);

// Non-ASCII bytes must survive a byte-oriented locale too.
for (const c of CASES.filter((c) => ["fish", "tcsh", "dash"].includes(c.shell))) {
  if (c.name.includes("eval $(") || c.name.includes("| source") || c.name.includes('eval "`')) {
    CASES.push({ ...c, name: `${c.name} (LC_ALL=C)`, locale: "C" });
  }
}

/** The case named `name` (throws when there is none). */
export function caseNamed(name: string): Case {
  const c = CASES.find((c) => c.name === name);
  if (!c) throw new Error(`no shell matrix case ${name}`);
  return c;
}

/** The variables of an `env -0` dump, as raw bytes. */
export function parseDump(bytes: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0) continue;
    const entry = bytes.subarray(start, i);
    start = i + 1;
    const eq = entry.indexOf(0x3d);
    if (eq < 0) continue;
    out.set(new TextDecoder().decode(entry.subarray(0, eq)), entry.slice(eq + 1));
  }
  return out;
}

/**
 * A directory holding files named like every word of the outputs, of a naive
 * `export K='v';` rendering of the values, and of classic traps, so any globbing would
 * match something.
 */
export async function trapDir(base: string, texts: string[], values: string[]): Promise<string> {
  const dir = join(base, "trap");
  await Deno.mkdir(dir);
  const naive = values.map((v, i) => `export V${i}='${v.replaceAll("'", "'\\''")}';`).join(" ");
  const names = new Set(["*", "?", "[", "x", "a", "-n", "V1=x;touch canary;", "export"]);
  for (const text of [...texts, naive]) {
    for (const w of text.split(/[\s:]+/)) if (w && !w.includes("/")) names.add(w);
  }
  for (const name of names) {
    if (enc.encode(name).length > 200 || name === "." || name === "..") continue;
    await Deno.writeFile(join(dir, name), new Uint8Array()).catch(() => {});
  }
  return dir;
}

/** Problems with runprov's side of `exports` (exit codes, refusals), as one error. */
function assertPrinted(exports: CliExports): void {
  if (exports.problems.length) {
    throw new Error(`runprov env --format ${exports.format}:\n${exports.problems.join("\n")}`);
  }
}

/** Canary files a value would create if the shell ran it. */
async function canaries(dirs: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    for (const f of ["canary", "pwned"]) {
      if (await Deno.stat(join(dir, f)).then(() => true, () => false)) found.push(join(dir, f));
    }
  }
  return found;
}

/** Compare what came back with what was carried; one line per difference. */
function differences(got: Map<string, Uint8Array>, vars: [string, string][]): string[] {
  const out: string[] = [];
  for (const [name, value] of vars) {
    const actual = got.get(name);
    const want = enc.encode(value);
    if (actual === undefined) {
      out.push(`${name} (${JSON.stringify(value).slice(0, 80)}) was not exported`);
    } else if (actual.length !== want.length || actual.some((b, i) => b !== want[i])) {
      out.push(
        `${name}: ${JSON.stringify(value).slice(0, 80)} came back as ${
          JSON.stringify(new TextDecoder().decode(actual)).slice(0, 80)
        }`,
      );
    }
  }
  return out;
}

/** The outputs of a corpus written to files, and the booby-trapped directory to run in. */
interface Stage {
  outs: string[];
  trap: string;
}

const stages = new WeakMap<CliExports, Promise<Stage>>();

/** Write `exports`' outputs and its trap directory once, for every case that evaluates them. */
function stage(exports: CliExports): Promise<Stage> {
  let p = stages.get(exports);
  if (!p) {
    p = (async () => {
      const base = await Deno.makeTempDir({ dir: exports.dir, prefix: "stage-" });
      const outs = exports.runs.map((_, i) => join(base, `out-${i}.txt`));
      for (const [i, r] of exports.runs.entries()) await Deno.writeTextFile(outs[i], r.text);
      const values = exports.runs.flatMap((r) => r.vars.map(([, v]) => v));
      const trap = await trapDir(base, exports.runs.map((r) => r.text), values);
      return { outs, trap };
    })();
    stages.set(exports, p);
  }
  return p;
}

/**
 * Evaluate every output of `exports` through case `c` (the shell at `path`) in one process,
 * in a booby-trapped directory; throws unless every carried value comes back byte for byte,
 * the shell says nothing, and no canary file appears.
 */
export async function checkCase(c: Case, path: string, exports: CliExports): Promise<void> {
  assertPrinted(exports);
  const { outs, trap } = await stage(exports);
  const home = await Deno.makeTempDir({ prefix: "runprov-shells-" });
  try {
    const dumps = exports.runs.map((_, i) => join(home, `env-${i}.dump`));
    const r = await run(path, c.argv(c.script(outs, dumps)), {
      cwd: trap,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        LC_ALL: c.locale ?? "C.UTF-8",
      },
    });
    const problems: string[] = [];
    if (r.code !== 0 || r.stderr !== "") {
      problems.push(`${c.shell} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    }
    for (const [i, run] of exports.runs.entries()) {
      const dump = await Deno.readFile(dumps[i]).catch(() => null);
      if (dump === null) {
        problems.push(`output ${i} was not evaluated (no dump)`);
        continue;
      }
      problems.push(...differences(parseDump(dump), run.vars));
    }
    for (const f of await canaries([home, trap])) {
      problems.push(`a value ran a command: ${f}`);
      await Deno.remove(f); // so the next case over the same directory starts clean
    }
    if (problems.length) {
      throw new Error(
        `${c.name}: ${problems.length} problems:\n${problems.slice(0, 20).join("\n")}`,
      );
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/**
 * Read every output of `exports` (format gha) as the Actions runner reads `$GITHUB_ENV`;
 * throws unless each sets only RUNPROV_* variables, the carried ones byte for byte.
 */
export function checkGithubEnv(exports: CliExports): void {
  assertPrinted(exports);
  const problems: string[] = [];
  for (const [i, r] of exports.runs.entries()) {
    let got: Map<string, string>;
    try {
      got = parseGithubEnv(r.text);
    } catch (err) {
      problems.push(`output ${i}: ${(err as Error).message}`);
      continue;
    }
    const foreign = [...got.keys()].filter((n) => !n.startsWith("RUNPROV_"));
    if (foreign.length) problems.push(`output ${i} also sets ${JSON.stringify(foreign)}`);
    const bytes = new Map([...got].map(([k, v]) => [k, enc.encode(v)]));
    problems.push(...differences(bytes, r.vars).map((d) => `output ${i}: ${d}`));
  }
  if (problems.length) throw new Error(`gha: ${problems.slice(0, 20).join("\n")}`);
}
