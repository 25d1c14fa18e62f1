/**
 * Seeded random inputs that break naive code: path segments and values full of quotes,
 * spaces, newlines and unicode, remote URLs with credentials in them, and values of
 * arbitrary valid code points for the shell-quoting fuzz.
 */
import { Rng } from "./rng.ts";

/** Characters that break naive parsers: space, tab, newline, quotes, `$`, unicode. */
export const NASTY_CHARS = " \t\n'\"\\$`!*?[]{}();&|<>#~=%,:@é日本語🚀\u00a0\u200b\r";
export const PLAIN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-.";

/** A random path segment: never empty, `.` or `..`, never containing `/` or NUL. */
export function randomSegment(rng: Rng, maxLen = 12): string {
  for (;;) {
    const n = rng.int(1, maxLen);
    let s = "";
    for (let i = 0; i < n; i++) {
      s += rng.chance(0.3) ? rng.pick([...NASTY_CHARS]) : rng.pick([...PLAIN_CHARS]);
    }
    if (s !== "." && s !== "..") return s;
  }
}

/** A random relative path of 1–3 segments (spaces, newlines, quotes, unicode included). */
export function randomPath(rng: Rng): string {
  const n = rng.int(1, 3);
  return Array.from({ length: n }, () => randomSegment(rng)).join("/");
}

/** A random arbitrary string without NUL (for values a format must carry exactly). */
export function randomValue(rng: Rng, maxLen = 40): string {
  const n = rng.int(0, maxLen);
  let s = "";
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.5) ? rng.pick([...NASTY_CHARS]) : rng.pick([...PLAIN_CHARS]);
  }
  return s;
}

/** A remote URL carrying a secret in its userinfo, and the secret(s) that must not survive. */
export interface SecretUrl {
  url: string;
  secrets: string[];
}

const SECRET_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const USERINFO_EXTRA = "!$&'()*+,;=%-._~:@";

/**
 * A secret-looking token: a fixed marker plus 16 random characters (never in a host name).
 * Always mixing upper case, lower case and digits, as real tokens do: an ssh URL keeps a
 * user that looks like a login name (`git`, an all-caps key id), so only such a mix (or a
 * token prefix) tells a token in the user's place apart.
 */
export function randomSecret(rng: Rng, prefix = ""): string {
  return `${prefix}S3CRt${rng.str(SECRET_CHARS, 15)}`;
}

/** A random remote URL whose userinfo holds secrets (URL style or scp style). */
export function randomSecretUrl(rng: Rng): SecretUrl {
  const host = rng.pick(["github.com", "gitlab.example.org", "10.0.0.7", "[::1]", "h"]) +
    (rng.chance(0.3) ? `:${rng.int(1, 65535)}` : "");
  const path = rng.chance(0.9) ? `/${rng.str(PLAIN_CHARS, rng.int(1, 10))}/r.git` : "";
  const query = rng.chance(0.2) ? `?token=${randomSecret(rng)}` : "";
  const shape = rng.int(0, 5);
  const secret = randomSecret(rng, rng.pick(["", "ghp_", "glpat-", "github_pat_"]));
  // Userinfo may contain reserved characters (and even a stray '@') in broken configs.
  const mess = rng.chance(0.4) ? rng.str(USERINFO_EXTRA, rng.int(1, 4)) : "";
  let userinfo: string;
  switch (shape) {
    case 0:
      userinfo = `${rng.str(PLAIN_CHARS, 5)}:${secret}${mess}`;
      break;
    case 1:
      userinfo = `${secret}${mess}`;
      break;
    case 2:
      userinfo = `x-access-token:${secret}`;
      break;
    case 3:
      userinfo = `oauth2:${secret}${mess}`;
      break;
    case 4:
      userinfo = `${mess}${secret}:${mess}`;
      break;
    default: {
      // scp style: the token as the user name.
      const s = randomSecret(rng, "ghp_");
      return { url: `${s}@${host.replace(/:\d+$/, "")}:o/r.git`, secrets: [s] };
    }
  }
  const scheme = rng.pick(["https://", "http://", "ssh://", "git+ssh://", "ftp://"]);
  const secrets = [secret];
  if (query) secrets.push(query.slice("?token=".length));
  return { url: `${scheme}${userinfo}@${host}${path}${query}`, secrets };
}

/**
 * A random value of valid code points for the quoting fuzz: nasty ASCII, controls, C1,
 * BMP and astral characters (never NUL, U+FFFD or a surrogate, which every format refuses).
 */
export function randomCodePointValue(rng: Rng, maxLen = 24): string {
  const n = rng.int(0, maxLen);
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = rng.int(0, 9);
    let cp: number;
    if (k < 3) cp = rng.pick([...NASTY_CHARS]).codePointAt(0)!;
    else if (k < 5) cp = rng.pick([...PLAIN_CHARS]).codePointAt(0)!;
    else if (k === 5) cp = rng.int(1, 0x1f);
    else if (k === 6) cp = rng.pick([0x7f, rng.int(0x80, 0x9f), 0xa0, 0xad, 0xfeff, 0xfffe]);
    else if (k === 7) cp = rng.int(0xa0, 0xffff);
    else if (k === 8) cp = rng.int(0x10000, 0x10ffff);
    else cp = rng.pick([0xf600, 0xf6ff, 0xf700, rng.int(0xe000, 0xf8ff)]);
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffd) cp = 0x78;
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** `count` distinct seeded random values of {@link randomCodePointValue}. */
export function quotingCorpus(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  while (seen.size < count) seen.add(randomCodePointValue(rng));
  return [...seen];
}
