/**
 * The shell matrix shared by the env shell tests and the quoting fuzz test: every format's
 * output evaluated by the real shells, the way users run it, in a directory
 * full of booby-trapped file names, with nullglob, failglob, extglob and a non-default IFS.
 * Each shell process evaluates all hostile values at once and dumps its environment with
 * `env -0`; every variable must come back byte for byte and no canary file may appear.
 * Shells that are missing fail the test when CI=true (.ci/run installs them) and are
 * skipped otherwise.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { renderExports } from "../lib/shell/index.ts";
import { run } from "./helpers.ts";

import { HOSTILE } from "./hostile.ts";

const enc = new TextEncoder();

/** The `V<i>` variables of an `env -0` dump, as raw bytes. */
export function parseDump(bytes: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0) continue;
    const entry = bytes.subarray(start, i);
    start = i + 1;
    const eq = entry.indexOf(0x3d);
    if (eq < 0) continue;
    const name = new TextDecoder().decode(entry.subarray(0, eq));
    if (/^V\d+$/.test(name)) out.set(name, entry.slice(eq + 1));
  }
  return out;
}

/** Variables of the corpus that `format` carries; the rest must be refused (exit 2). */
export function carried(
  format: string,
  corpus: readonly string[] = HOSTILE,
): { vars: [string, string][]; refused: string[] } {
  const vars: [string, string][] = [];
  const refused: string[] = [];
  corpus.forEach((v, i) => {
    try {
      renderExports(format, [[`V${i}`, v]]);
      vars.push([`V${i}`, v]);
    } catch {
      refused.push(v);
    }
  });
  return { vars, refused };
}

/**
 * A directory holding files named like every word of the output, of a naive
 * `export K='v';` rendering, and of classic traps, so any globbing would match something.
 */
export async function trapDir(base: string, outputs: string[]): Promise<string> {
  const dir = join(base, "trap");
  await Deno.mkdir(dir);
  const naive = HOSTILE.map((v, i) => `export V${i}='${v.replaceAll("'", "'\\''")}';`).join(" ");
  const names = new Set(["*", "?", "[", "x", "a", "-n", "V1=x;touch canary;", "export"]);
  for (const text of [...outputs, naive]) {
    for (const w of text.split(/[\s:]+/)) if (w && !w.includes("/")) names.add(w);
  }
  for (const name of names) {
    if (enc.encode(name).length > 200 || name === "." || name === "..") continue;
    await Deno.writeFile(join(dir, name), new Uint8Array()).catch(() => {});
  }
  return dir;
}

export interface Case {
  name: string;
  /** Locale for the shell (default C.UTF-8). */
  locale?: string;
  shell: string;
  format: string;
  argv: (script: string) => string[];
  script: (out: string, dump: string) => string;
}

const POSIX_ARGV = (script: string) => ["-c", script];
const posix = (prelude: string, quoted: boolean) => (out: string, dump: string) =>
  `${prelude}eval ${quoted ? `"$(cat '${out}')"` : `$(cat '${out}')`}; /usr/bin/env -0 > '${dump}'`;

export const CASES: Case[] = [];
for (
  const [shell, format] of [
    ["dash", "sh"],
    ["bash", "sh"],
    ["zsh", "sh"],
    ["busybox", "sh"],
    [
      "bash",
      "bash",
    ],
    ["zsh", "zsh"],
    ["busybox", "bash"],
  ]
) {
  const argv = shell === "busybox" ? (s: string) => ["sh", "-c", s] : POSIX_ARGV;
  const preludes: [string, string][] = [["", ""], ["IFS=: ", "IFS=:; "]];
  if (shell === "bash") {
    preludes.push(["nullglob", "shopt -s nullglob; "], ["failglob", "shopt -s failglob; "], [
      "extglob+nullglob",
      "shopt -s extglob nullglob; ",
    ]);
  }
  if (shell === "zsh") {
    preludes.push(["emulate sh", "emulate sh; "], [
      "emulate sh nullglob",
      "emulate sh; setopt nullglob; ",
    ], [
      "emulate sh IFS=:",
      "emulate sh; IFS=:; ",
    ]);
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
        script: posix(prelude, quoted),
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
    script: (out, dump) => `cat '${out}' | source; /usr/bin/env -0 > '${dump}'`,
  },
  {
    name: "fish: eval (runprov env --format fish)",
    shell: "fish",
    format: "fish",
    argv: (s) => ["--no-config", "-c", s],
    script: (out, dump) => `eval (cat '${out}'); /usr/bin/env -0 > '${dump}'`,
  },
  {
    name: 'tcsh: eval "`runprov env --format tcsh`"',
    shell: "tcsh",
    format: "tcsh",
    argv: (s) => ["-f", "-c", s],
    script: (out, dump) => `eval "\`cat '${out}'\`"; /usr/bin/env -0 > '${dump}'`,
  },
  {
    name: "tcsh: eval `runprov env --format tcsh` (unquoted)",
    shell: "tcsh",
    format: "tcsh",
    argv: (s) => ["-f", "-c", s],
    script: (out, dump) => `eval \`cat '${out}'\`; /usr/bin/env -0 > '${dump}'`,
  },
);

// Non-ASCII bytes must survive a byte-oriented locale too.
for (const c of CASES.filter((c) => ["fish", "tcsh", "dash"].includes(c.shell))) {
  if (c.name.includes("eval $(") || c.name.includes("| source") || c.name.includes('eval "`')) {
    CASES.push({ ...c, name: `${c.name} (LC_ALL=C)`, locale: "C" });
  }
}

/**
 * Evaluate `corpus` through case `c` in a booby-trapped directory and assert every value
 * comes back byte for byte and no canary file appears.
 */
export async function checkCase(c: Case, path: string, corpus: readonly string[]): Promise<void> {
  const { vars, refused } = carried(c.format, corpus);
  // Only tcsh may refuse, and only line breaks.
  assertEquals(refused, c.format === "tcsh" ? corpus.filter((v) => /[\r\n]/.test(v)) : []);
  const base = await Deno.makeTempDir({ prefix: "runprov-shells-" });
  try {
    const text = renderExports(c.format, vars);
    const out = join(base, "out.txt");
    const dump = join(base, "env.dump");
    await Deno.writeTextFile(out, text);
    const trap = await trapDir(base, [text]);
    const r = await run(path, c.argv(c.script(out, dump)), {
      cwd: trap,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: base,
        LC_ALL: c.locale ?? "C.UTF-8",
      },
    });
    assertEquals({ code: r.code, stderr: r.stderr }, { code: 0, stderr: "" });
    const got = parseDump(await Deno.readFile(dump));
    for (const [name, value] of vars) {
      const actual = got.get(name);
      assert(actual !== undefined, `${name} (${JSON.stringify(value)}) was not exported`);
      assertEquals(
        [...actual],
        [...enc.encode(value)],
        `${name}: ${JSON.stringify(value).slice(0, 80)} changed`,
      );
    }
    for (const dir of [base, trap]) {
      for (const f of ["canary", "pwned"]) {
        const there = await Deno.stat(join(dir, f)).then(() => true, () => false);
        assert(!there, `${c.name}: a value ran a command (${join(dir, f)} exists)`);
      }
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

/** Fail with how to install a missing shell (CI installs them all). */
export function missingShell(shell: string): never {
  throw new Error(
    `${shell} is not installed: install it (apt-get install -y ${shell}); .ci/run does`,
  );
}
