/**
 * Hostile values for `runprov env`: everything a branch, tag, remote URL or path can hold
 * that a shell, a tracker or a terminal might act on. Each must come back byte for byte,
 * or be refused.
 */
export const HOSTILE: readonly string[] = [
  "",
  "plain",
  "$(touch canary)",
  "`touch canary`",
  "a`id`b",
  "a;touch canary",
  "a&&touch canary||x",
  "a|touch canary",
  "a>canary",
  "<canary",
  "x'y",
  "'",
  '"',
  "a\"b'c",
  "'\\''",
  "back\\slash",
  "\\",
  "trailing\\",
  "!!",
  "!$ !# !-1",
  "^a^b",
  "{}",
  "a{b,c}d",
  "{a",
  "}",
  "*",
  "?",
  "[",
  "[a-z]*",
  "x*?[y]",
  "@(x)",
  "!(x)",
  "+(x)",
  "  leading and trailing  ",
  "runs   of    spaces",
  "\ttab\there\t",
  "line\nbreak",
  "trailing newlines\n\n",
  "\r\n",
  "cr\ronly",
  "-n",
  "-e -E",
  "--",
  "~",
  "~root/x",
  "a=b",
  "a:b:c",
  "a,b",
  "#comment",
  "a #b",
  "%F{red}%n%f",
  "${IFS}",
  "$HOME",
  "${HOME:-x}",
  "$((1+1))",
  "\u2018curly\u2019 \u201Cdouble\u201D \u201A\u201B",
  "\u202Eevil",
  "U+2028:\u2028:U+2029:\u2029",
  "nel\u0085x",
  "fu\u00DF\u00E4\u00F6",
  "\u{1F600}",
  "\x1b[31mred\x1b[0m",
  "\x01\x7f",
  "x".repeat(5000),
  "ab ".repeat(700),
  "--format=json",
  "ghadelimiter_",
  "A<<EOF",
];

/** True on CI, where a missing shell is a failure rather than a skip. */
export const CI = Deno.env.get("CI") === "true";

/** The path of `cmd` on PATH, or null. */
export function which(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const p = `${dir}/${cmd}`;
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The shell `name` for a test, or an error saying how to install it. Outside CI a caller
 * may fall back to another shell instead.
 */
export function requireShell(name: string): string {
  const p = which(name);
  if (p === null) {
    throw new Error(`${name} is not installed: apt-get install -y ${name} (.ci/run does this)`);
  }
  return p;
}
