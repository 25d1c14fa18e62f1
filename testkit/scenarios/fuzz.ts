/**
 * Pure fuzzers (no processes): porcelain v2 parsing against an independent renderer, URL
 * redaction against secrets planted in random URLs, and syntactic properties of every shell
 * format's rendering of random values. The code under test is passed in, so the same
 * fuzzers run small in the suite and large in scripts/reliability.ts.
 */
import type { StatusReport } from "../../lib/git/porcelain.ts";
import { Rng } from "../rng.ts";
import { randomCodePointValue, randomSecretUrl } from "../generators.ts";
import { canonical, plainReport, randomStatusReport, renderPorcelainV2 } from "../porcelain_v2.ts";
import type { Failures, Figures } from "../figures.ts";

/** Render-parse round trips of `cases` random porcelain v2 reports; failures are diffs. */
export function fuzzPorcelain(
  cases: number,
  seed: number,
  parse: (text: string) => StatusReport,
): Figures {
  const rng = new Rng(seed);
  const failures: Failures = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const report = randomStatusReport(rng);
    const text = renderPorcelainV2(report);
    const want = canonical(plainReport(report));
    let got: string;
    try {
      got = canonical(parse(text));
    } catch (err) {
      got = `threw ${(err as Error).message}`;
    }
    if (got !== want) {
      failures.push(`case ${i}: ${JSON.stringify(text)}\n got ${got}\nwant ${want}`);
    }
  }
  return {
    scenario: "fuzz: porcelain v2",
    tried: `${cases} random status reports (seed ${seed}) rendered -z and parsed back`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** `cases` random credential URLs through both redactors; failures name what leaked. */
export function fuzzRedaction(
  cases: number,
  seed: number,
  redactUrl: (url: string) => string,
  redactText: (text: string, secrets: readonly string[]) => string,
): Figures {
  const rng = new Rng(seed);
  const failures: Failures = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const { url, secrets } = randomSecretUrl(rng);
    const red = redactUrl(url);
    const inText = redactText(
      `fatal: unable to access '${url}': The requested URL returned 403`,
      [],
    );
    for (const s of secrets) {
      if (red.includes(s)) failures.push(`case ${i}: redactUrl(${JSON.stringify(url)}) = ${red}`);
      if (inText.includes(s)) failures.push(`case ${i}: redactText kept ${s}: ${inText}`);
    }
  }
  return {
    scenario: "fuzz: URL redaction",
    tried: `${cases} random remote URLs with credentials (seed ${seed}), URL and free text`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Shell formats whose output is one line of `;`-terminated statements. */
export const SHELL_FORMATS = ["sh", "bash", "zsh", "fish", "tcsh", "pwsh"] as const;

/** What a render must not contain outside quoting, per format (glob and expansion chars). */
function unquotedRest(format: string, text: string): string {
  switch (format) {
    case "sh": // octal printf arguments; `${K%x}` is the only brace use
      return text.replace(/\$\{V\d+%x\}/g, "").replace(/\$\(printf '[^']*'\)/g, "");
    case "bash":
    case "zsh":
      return text.replace(/\$'[^']*'/g, "");
    case "fish":
      return text.replace(/'(?:[^'\\]|\\.)*'/g, "");
    case "tcsh":
      // Single quotes may hold printable ASCII except ' ! { } * ? [ \ (tcsh expands those).
      return text.replace(/"`printf '[^']*'`"/g, "").replace(/'[^'!{}*?[\\\s]*'/g, "");
    default: // pwsh assigns without globbing; its `[char]` casts are code
      return text.replace(/'(?:[^']|'')*'|"(?:[^"`]|`.)*"/g, "").replace(
        /\[char\]0x[0-9A-F]+/g,
        "",
      );
  }
}

/**
 * Pure properties of `cases` random values through every shell format: the render is one
 * line, each variable one `;`-terminated statement, no raw control character, and no glob
 * or expansion character outside the format's quoting. Values a format refuses must be
 * exactly those it documents (tcsh: CR/LF).
 */
export function fuzzQuoting(
  cases: number,
  seed: number,
  render: (format: string, vars: [string, string][]) => string,
): Figures {
  const rng = new Rng(seed);
  const failures: Failures = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const vars: [string, string][] = Array.from(
      { length: rng.int(1, 3) },
      (_, k) => [`V${k}`, randomCodePointValue(rng)],
    );
    for (const format of SHELL_FORMATS) {
      const label = `case ${i} ${format} ${JSON.stringify(vars)}`;
      let text: string;
      try {
        text = render(format, vars);
      } catch (err) {
        const allowed = format === "tcsh" && vars.some(([, v]) => /[\r\n]/.test(v));
        if (!allowed) failures.push(`${label}: refused: ${(err as Error).message}`);
        continue;
      }
      if (!text.endsWith(";\n") || text.indexOf("\n") !== text.length - 1) {
        failures.push(`${label}: not one ;-terminated line: ${JSON.stringify(text)}`);
      }
      // C0 never appears raw; fish and pwsh keep C1 characters raw inside quotes.
      const line = text.slice(0, -1);
      // deno-lint-ignore no-control-regex
      const c0 = /[\u0000-\u001f\u007f]/.test(line);
      const c1 = /[\u0080-\u009f]/.test(line);
      if (c0 || c1 && format !== "fish" && format !== "pwsh") {
        failures.push(`${label}: raw control character: ${JSON.stringify(text)}`);
      }
      const starts: Record<string, (n: string) => string> = {
        sh: (n) => `export ${n};`,
        bash: (n) => `export ${n}=`,
        zsh: (n) => `export ${n}=`,
        fish: (n) => `set -gx ${n} `,
        tcsh: (n) => `setenv ${n} `,
        pwsh: (n) => `$env:${n}=`,
      };
      for (const [n] of vars) {
        if (text.split(starts[format](n)).length !== 2) {
          failures.push(`${label}: not exactly one statement for ${n}: ${text}`);
        }
      }
      const rest = unquotedRest(format, text).replaceAll("=''", "=");
      const bad = format === "pwsh" ? /[`$](?!env:V\d+=)/ : /[*?[\]{}~$`"'|&<>()#]/;
      const restNoNames = format === "pwsh" ? rest.replace(/\$env:V\d+=/g, "") : rest;
      if (bad.test(restNoNames) || /[^\x20-\x7e\n]/.test(rest)) {
        failures.push(`${label}: unquoted special character in ${JSON.stringify(rest)}`);
      }
    }
  }
  return {
    scenario: "fuzz: shell quoting (pure)",
    tried: `${cases} random sets of valid code points (seed ${seed}) rendered in ` +
      `${SHELL_FORMATS.join("/")}: one ;-terminated line, nothing special unquoted`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}
