/** The quoting of every `runprov env` format, on literal values (pure; no shells). */
import { assert, assertEquals, assertMatch, assertThrows } from "./assert.ts";
import { FORMAT_NAMES, renderExports } from "../lib/shell/index.ts";
import { renderGha } from "../lib/shell/gha.ts";
import { RunprovError } from "../lib/errors.ts";
import { HOSTILE } from "../testkit/hostile.ts";

type V = [string, string];

function refused(format: string, vars: V[], pattern: RegExp) {
  assertThrows(
    () => renderExports(format, vars),
    (e: unknown) => e instanceof RunprovError && e.exitCode === 2 && pattern.test(e.message),
  );
}

Deno.test("sh: bare values stay bare, others are octal printf with a sentinel", () => {
  assertEquals(
    renderExports("sh", [["A", "v1.2-3-gabc"], ["B", ""], ["C", "a b'c"], ["D", "-n\n"]]),
    "A=v1.2-3-gabc;export A; B='';export B; " +
      "C=$(printf 'a\\040b\\047cx');C=${C%x};export C; " +
      "D=$(printf '\\055n\\012x');D=${D%x};export D;\n",
  );
  assertEquals(renderExports("sh", [["A", "1"], ["B", "2"]], true), "unset A; unset B;\n");
});

Deno.test("bash and zsh: $'…' with 3-digit octal for every non-bare byte", () => {
  const out = "export A=main; export B=''; export C=$'\\044\\050id\\051\\303\\244';\n";
  const vars: V[] = [["A", "main"], ["B", ""], ["C", "$(id)\u00e4"]];
  assertEquals(renderExports("bash", vars), out);
  assertEquals(renderExports("zsh", vars), out);
  assertEquals(renderExports("zsh", vars, true), "unset A; unset B; unset C;\n");
});

Deno.test("fish: single quotes escape \\ and ', line breaks and non-ASCII go outside", () => {
  assertEquals(
    renderExports("fish", [["A", "it's a\\b"], ["B", ""], ["C", "x\ny\t\u00e4"]]),
    "set -gx A 'it\\'s a\\\\b'; set -gx B ''; set -gx C 'x'\\n'y'\\t\\XC3\\XA4;\n",
  );
  assertEquals(renderExports("fish", [["A", ""]], true), "set -e A;\n");
});

Deno.test("tcsh: bare or single-quoted when safe, otherwise one printf of octal bytes", () => {
  assertEquals(
    renderExports("tcsh", [["A", "a b!"], ["B", ""], ["C", "$x;`id`"], ["D", "-{*?[}'\\"]]),
    "setenv A \"`printf 'a\\040b\\041'`\"; setenv B ''; setenv C '$x;`id`'; " +
      "setenv D \"`printf '\\055\\173\\052\\077\\133\\175\\047\\134'`\";\n",
  );
  assertEquals(renderExports("tcsh", [["A", ""]], true), "unsetenv A;\n");
  refused("tcsh", [["RUNPROV_GIT_BRANCH", "a\nb"]], /RUNPROV_GIT_BRANCH as tcsh.*newline/);
  refused("tcsh", [["RUNPROV_FILE", "a\rb"]], /RUNPROV_FILE as tcsh/);
});

Deno.test('pwsh: doubles \' and U+2018–U+201B, joins line breaks as "`n"', () => {
  assertEquals(
    renderExports("pwsh", [["A", "it's"], ["B", "\u2018a\u2019\u201a\u201b"], ["C", "a\nb\r"]]),
    "$env:A='it''s'; $env:B='\u2018\u2018a\u2019\u2019\u201a\u201a\u201b\u201b'; " +
      "$env:C='a'+\"`n\"+'b'+\"`r\";\n",
  );
  assertEquals(
    renderExports("pwsh", [["A", ""], ["B", "\u2028x"]]),
    "$env:A=''; $env:B=''+[char]0x2028+'x';\n",
  );
  assertEquals(
    renderExports("pwsh", [["A", ""]], true),
    "Remove-Item -LiteralPath 'env:A' -ErrorAction SilentlyContinue;\n",
  );
});

Deno.test("json: an object with ASCII-only escapes; --unset gives nulls", () => {
  assertEquals(
    renderExports("json", [["A", '\u00e4\u2028"\n'], ["B", ""]]),
    '{\n  "A": "\\u00e4\\u2028\\"\\n",\n  "B": ""\n}\n',
  );
  assertEquals(renderExports("json", [["A", "x"]], true), '{\n  "A": null\n}\n');
});

Deno.test("dotenv: only values every reader takes literally; no --unset", () => {
  assertEquals(
    renderExports("dotenv", [["A", "https://h/x.git"], ["B", ""], ["C", "a=b,c:d"]]),
    "A=https://h/x.git\nB=\nC=a=b,c:d\n",
  );
  refused(
    "dotenv",
    [["RUNPROV_GIT_BRANCH", "${AWS_SECRET_ACCESS_KEY}"]],
    /RUNPROV_GIT_BRANCH.*'\$'/,
  );
  refused("dotenv", [["RUNPROV_FILE", "/a b"]], /RUNPROV_FILE.*a space/);
  assertThrows(
    () => renderExports("dotenv", [["A", ""]], true),
    (e: unknown) => e instanceof RunprovError && e.exitCode === 2 && /--unset/.test(e.message),
  );
});

Deno.test("gha: heredoc per variable with a fresh 128-bit delimiter", () => {
  assertEquals(
    renderGha([["A", "x\ny"], ["B", ""]], "ghadelimiter_0f"),
    "A<<ghadelimiter_0f\nx\ny\nghadelimiter_0f\nB<<ghadelimiter_0f\n\nghadelimiter_0f\n",
  );
  const a = renderExports("gha", [["A", "x"]]);
  const b = renderExports("gha", [["A", "x"]]);
  assertMatch(a, /^A<<(ghadelimiter_[0-9a-f]{32})\nx\n\1\n$/);
  assert(a !== b, "each run draws a new delimiter");
  assertThrows(
    () =>
      renderGha([["RUNPROV_GIT_BRANCH", "a\nghadelimiter_0f\nLD_PRELOAD=x"]], "ghadelimiter_0f"),
    (e: unknown) => e instanceof RunprovError && /RUNPROV_GIT_BRANCH.*delimiter/.test(e.message),
  );
  refused("gha", [["RUNPROV_FILE", "a\rb"]], /RUNPROV_FILE as gha.*carriage return/);
  assertThrows(() => renderExports("gha", [["A", ""]], true), /--unset is not available/);
});

Deno.test("every format refuses NUL, U+FFFD (invalid UTF-8 from git) and lone surrogates", () => {
  for (const f of FORMAT_NAMES) {
    refused(f, [["OK", "x"], ["RUNPROV_GIT_BRANCH", "a\0b"]], /RUNPROV_GIT_BRANCH.*NUL/);
    refused(f, [["RUNPROV_GIT_DESCRIBE", "v1-\uFFFD"]], /RUNPROV_GIT_DESCRIBE.*not valid UTF-8/);
    refused(f, [["RUNPROV_FILE", "/a/\uD800"]], /RUNPROV_FILE.*surrogate/);
  }
});

Deno.test("an unknown format is a usage error listing the valid ones", () => {
  assertThrows(
    () => renderExports("cmd", []),
    (e: unknown) =>
      e instanceof RunprovError && e.exitCode === 2 && /unknown format "cmd"/.test(e.message) &&
      /sh, bash, zsh, fish, tcsh, pwsh, json, dotenv, gha/.test(e.hint ?? ""),
  );
});

Deno.test("shell outputs are one line of words without glob, quote-less IFS or comment hazards", () => {
  const vars: V[] = HOSTILE.filter((v) => !/[\r\n]/.test(v)).map((v, i) => [`V${i}`, v]);
  for (const f of ["sh", "bash", "tcsh"]) {
    const out = renderExports(f, vars);
    assert(out.endsWith(";\n") && out.indexOf("\n") === out.length - 1, `${f}: one line`);
    assert(!/[*?[\t\r]/.test(out), `${f}: no glob characters, tabs or CRs`);
    assert(!out.includes("  "), `${f}: no runs of spaces`);
    if (f === "tcsh") assert(!/[!{}]/.test(out), "tcsh: no history or brace characters");
    else assert(!/[#:,]/.test(out), `${f}: no comment, ':' or ','`);
  }
  for (const f of ["fish", "pwsh"]) {
    const out = renderExports(f, HOSTILE.map((v, i) => [`V${i}`, v]));
    assert(out.indexOf("\n") === out.length - 1 && !out.includes("\r"), `${f}: one line`);
  }
});
