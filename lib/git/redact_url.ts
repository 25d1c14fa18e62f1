/**
 * Remove credentials from a git remote URL: the userinfo of URL-style remotes
 * (`https://user:token@host/x` -> `https://host/x`) and any `?query` secrets.
 * scp-style remotes (`git@host:org/repo`) keep their user, which is not a secret.
 *
 * @example
 * redactUrl("https://x-access-token:ghp_abc@github.com/o/r.git"); // "https://github.com/o/r.git"
 */
export function redactUrl(url: string): string {
  // scheme://[userinfo@]host...  (userinfo may itself contain '@' in broken URLs: take the last)
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(url);
  if (m) {
    const [, scheme, authority, rest] = m;
    const at = authority.lastIndexOf("@");
    const host = at >= 0 ? authority.slice(at + 1) : authority;
    return scheme + host + stripQuery(rest);
  }
  // scp-like: [user@]host:path. A password cannot be spelled here, but a token can be
  // used as the user (`ghp_x@host:o/r`): keep only plain login names.
  const scp = /^([^@/:]+)@([^/:]+:.*)$/s.exec(url);
  if (scp) {
    const [, user, rest] = scp;
    return (/^[a-z_][a-z0-9_.-]{0,31}$/.test(user) && !looksLikeToken(user) ? `${user}@` : "") +
      rest;
  }
  return url;
}

function stripQuery(rest: string): string {
  const q = rest.search(/[?#]/);
  return q >= 0 ? rest.slice(0, q) : rest;
}

function looksLikeToken(user: string): boolean {
  return /^(gh[pousr]_|glpat-|github_pat_|x-access-token|oauth2|x-token-auth)/i.test(user) ||
    user.length > 24;
}

/**
 * Replace every occurrence of each secret in `text` with `***`. Used on git's stderr,
 * which can echo a remote URL with its credentials.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  // Any URL userinfo git itself printed, up to its last '@' (a password may hold one).
  out = out.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/\s]*@/g, "$1");
  // And its query string or fragment (`?token=...`), as redactUrl drops them.
  out = out.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#'"]*)[?#][^\s'"]*/g, "$1");
  // A token used as the user of an scp-style remote, as ssh prints it (`ghp_x@host: ...`).
  return out.replace(
    /(^|[\s'"(<])(?:(?:gh[pousr]_|glpat-|github_pat_|x-access-token|oauth2|x-token-auth)[^\s@]*|[A-Za-z0-9_.-]{25,})@/gi,
    "$1",
  );
}
