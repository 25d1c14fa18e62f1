/**
 * Credentials in URLs, the one place that knows them: what a remote URL or a `--url` keeps
 * when it is recorded or printed, which of its parts are secrets to scrub from git's
 * messages, and scrubbing free text. Pure.
 *
 * The rules (docs/security.md, "Credentials in URLs"): http(s), ftp and every other URL
 * scheme lose their whole userinfo (`https://user:token@host` -> `https://host`) and their
 * query string and fragment. ssh URLs (`ssh://`, `git+ssh://`, `ssh+git://`) and scp-like
 * remotes (`git@host:org/r`) keep a user that is a login name, which ssh needs to clone and
 * which authenticates nothing; a password (`ssh://u:pw@h`) and a token used as the user
 * are removed.
 */

/** `scheme://authority rest`: the userinfo, if any, is the authority up to its last '@'. */
const URL_RE = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s;

/** URL schemes whose user is a login name for ssh, not a credential. */
const SSH_SCHEME = /^(ssh|git\+ssh|ssh\+git):\/\/$/i;

/** scp-like `[user@]host:path` (no scheme; the host has no '/'). */
const SCP_RE = /^([^@/:]+)@([^/:]+:.*)$/s;

/**
 * Whether `user` looks like a token rather than a login name: a known token prefix, longer
 * than 24 characters, or 16 or more mixing lower case, upper case and digits.
 */
function looksLikeToken(user: string): boolean {
  return /^(gh[pousr]_|glpat-|github_pat_|x-access-token|oauth2|x-token-auth)/i.test(user) ||
    user.length > 24 ||
    (user.length >= 16 && /[a-z]/.test(user) && /[A-Z]/.test(user) && /[0-9]/.test(user));
}

/** A user an ssh or scp-like URL keeps: a plain login name (`git`, `alice`, `APKA...`). */
function isLoginName(user: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/.test(user) && !looksLikeToken(user);
}

/** What of `userinfo` a URL with `scheme` keeps: `user@` for an ssh login name, else nothing. */
function keptUserinfo(scheme: string, userinfo: string): string {
  if (!SSH_SCHEME.test(scheme)) return "";
  const colon = userinfo.indexOf(":");
  const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  return isLoginName(user) ? `${user}@` : "";
}

/**
 * Remove credentials from a git remote URL: the userinfo of URL-style remotes (except the
 * login name of an ssh URL) and any `?query` or `#fragment`. scp-style remotes keep a user
 * that is a login name.
 *
 * @example
 * redactUrl("https://x-access-token:ghp_abc@github.com/o/r.git"); // "https://github.com/o/r.git"
 * redactUrl("ssh://git:pw@host/o/r.git"); // "ssh://git@host/o/r.git"
 */
export function redactUrl(url: string): string {
  const m = URL_RE.exec(url);
  if (m) {
    const [, scheme, authority, rest] = m;
    const at = authority.lastIndexOf("@");
    if (at < 0) return scheme + authority + stripQuery(rest);
    return scheme + keptUserinfo(scheme, authority.slice(0, at)) + authority.slice(at + 1) +
      stripQuery(rest);
  }
  const scp = SCP_RE.exec(url);
  if (scp) {
    const [, user, rest] = scp;
    return (isLoginName(user) ? `${user}@` : "") + rest;
  }
  return url;
}

/**
 * A run's page (`--url`, a tracker URL) as runprov records it: credentials removed as for a
 * remote URL, except that a fragment without `=` stays, because it is where some trackers
 * keep the page's path (MLflow: `http://host:5000/#/experiments/1/runs/<id>`). Text that is
 * not a URL loses the credentials of any URL inside it.
 *
 * @example
 * redactPageUrl("https://u:tok@mlflow/?o=1#/experiments/1/runs/ab"); // "https://mlflow/#/experiments/1/runs/ab"
 */
export function redactPageUrl(url: string): string {
  const m = URL_RE.exec(url);
  if (!m) return redactText(redactUrl(url), []);
  const hash = m[3].indexOf("#");
  const fragment = hash >= 0 ? m[3].slice(hash) : "";
  // A fragment's own `?` is part of the fragment, and goes with it when it holds `=`.
  const kept = fragment !== "" && !fragment.includes("=") ? fragment : "";
  return redactUrl(url) + kept;
}

function stripQuery(rest: string): string {
  const q = rest.search(/[?#]/);
  return q >= 0 ? rest.slice(0, q) : rest;
}

/**
 * The secrets of a remote URL that git may echo in its messages (for {@link redactText}):
 * the userinfo (but not an ssh login name), its password, a token used as the user, and the
 * query or fragment.
 *
 * @example
 * urlSecrets("https://ci:hunter22@h/x?t=1"); // ["ci:hunter22", "hunter22", "t=1"]
 * urlSecrets("ssh://git@h/x"); // []
 */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  const m = URL_RE.exec(url);
  if (m) {
    const [, scheme, authority, rest] = m;
    const at = authority.lastIndexOf("@");
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(":");
      const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
      if (keptUserinfo(scheme, userinfo) === "") {
        out.push(userinfo);
        if (colon >= 0 && user.length >= 6) out.push(user);
      }
      if (colon >= 0 && colon + 1 < userinfo.length) out.push(userinfo.slice(colon + 1));
    }
    const q = /[?#](.+)$/s.exec(rest);
    if (q) out.push(q[1]);
    return out;
  }
  const scp = SCP_RE.exec(url);
  if (scp && !isLoginName(scp[1])) out.push(scp[1]);
  return out;
}

/**
 * Replace every occurrence of each secret in `text` with `***`, and remove the credentials
 * of any URL in it by the rules of {@link redactUrl}. Used on git's stderr, which can echo a
 * remote URL with its credentials, and on values users give (`--push` remote names).
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  // Any URL userinfo git itself printed, up to its last '@' (a password may hold one).
  out = out.replace(
    /([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/\s]*)@/g,
    (_, scheme: string, userinfo: string) => scheme + keptUserinfo(scheme, userinfo),
  );
  // And its query string or fragment (`?token=...`), as redactUrl drops them.
  out = out.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#'"]*)[?#][^\s'"]*/g, "$1");
  // A token used as the user of an scp-style remote, as ssh prints it (`ghp_x@host: ...`).
  return out.replace(
    /(^|[\s'"(<])(?:(?:gh[pousr]_|glpat-|github_pat_|x-access-token|oauth2|x-token-auth)[^\s@]*|[A-Za-z0-9_.-]{25,})@/gi,
    "$1",
  );
}
