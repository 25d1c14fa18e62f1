/**
 * runprov's errors: {@link RunprovError} with its exit code ({@link Exit}) and hint, the
 * clipping of values echoed in messages (`shown`, `clipped`, `shownPath`), and the one
 * renderer main.ts turns any error into text and an exit code with.
 */
import { jsonPrintable, printable } from "./util/printable.ts";

/** Exit codes of the public contract (docs/commands.md, "Exit codes"). */
export const Exit = {
  ok: 0,
  internal: 1,
  usage: 2,
  policy: 3,
  git: 4,
  tag: 5,
  /** stdout's reader went away (`runprov runs | head -3`): quiet, as a SIGPIPE'd command. */
  brokenPipe: 141,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

/**
 * The one error type runprov raises on purpose: a message saying what failed and why,
 * an optional hint saying what to do, and the exit code the CLI ends with.
 *
 * @example
 * throw new RunprovError("run id 'a b' is invalid: spaces are not allowed", Exit.usage);
 */
export class RunprovError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "RunprovError";
  }
}

/**
 * How many characters of a value an error message shows (see
 * docs/reliability.md, "Malformed input").
 */
export const SHOWN_MAX = 80;

/** How many characters of a path an error message shows (its start and its end). */
export const SHOWN_PATH_MAX = 160;

/** The first `n` UTF-16 units of `s`, never ending inside a surrogate pair. */
function head(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/** The last `n` UTF-16 units of `s`, never starting inside a surrogate pair. */
function tail(s: string, n: number): string {
  const code = s.charCodeAt(s.length - n);
  return s.slice(code >= 0xdc00 && code <= 0xdfff ? s.length - n + 1 : s.length - n);
}

/**
 * A user-given value as an error message shows it: JSON-quoted (so newlines and quotes are
 * visible; bidi and other invisible characters escaped too), cut to `max` characters with
 * the full length named.
 *
 * @example
 * shown("a\nb"); // "\"a\\nb\""
 * shown("x".repeat(500)).length < 200; // true
 */
export function shown(value: string, max = SHOWN_MAX): string {
  if (value.length <= max) return jsonPrintable(JSON.stringify(value));
  return `${jsonPrintable(JSON.stringify(head(value, max)))}... (${value.length} characters)`;
}

/**
 * `value` unquoted, control characters escaped: unchanged when short, else its first `max`
 * characters and its length.
 */
export function clipped(value: string, max = SHOWN_MAX): string {
  return printable(
    value.length <= max ? value : `${head(value, max)}... (${value.length} characters)`,
  );
}

/**
 * A path as an error message shows it: control characters escaped and, when longer than
 * `max`, its start and its end (where the file name is) around the length.
 *
 * @example
 * shownPath("/a/" + "x".repeat(300) + "/run.json"); // "/a/xxx...(311 characters)...xx/run.json"
 */
export function shownPath(path: string, max = SHOWN_PATH_MAX): string {
  if (path.length <= max) return printable(path);
  const half = Math.floor(max / 2);
  return printable(`${head(path, half)}...(${path.length} characters)...${tail(path, half)}`);
}

/**
 * The reason of a failed file operation without the path Deno appends to it
 * (`Permission denied (os error 13): open '/x'` -> `Permission denied (os error 13)`): the
 * message names the path itself, once.
 */
export function osReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return clipped(message.replace(/: [a-z_]+ '.*'$/s, ""), 200);
}

/** A usage or configuration error (exit 2). */
export function usageError(message: string, hint?: string): RunprovError {
  return new RunprovError(message, Exit.usage, hint);
}

/**
 * Render any thrown value as the lines runprov prints on stderr, and the exit code.
 * Unexpected errors get exit 1 and, only with `debug`, their stack.
 */
export function renderError(err: unknown, debug = false): { text: string; code: number } {
  // Whatever a message quotes (git's words, file names), no control character reaches
  // the terminal raw.
  if (err instanceof RunprovError) {
    const lines = [`runprov: ${printable(err.message)}`];
    if (err.hint) lines.push(`hint: ${printable(err.hint)}`);
    if (debug && err.stack) lines.push(err.stack);
    return { text: lines.join("\n") + "\n", code: err.exitCode };
  }
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`runprov: internal error: ${clipped(message, 500)}`];
  if (debug && err instanceof Error && err.stack) lines.push(err.stack);
  else lines.push("hint: set RUNPROV_DEBUG=1 for a stack trace, and report it");
  return { text: lines.join("\n") + "\n", code: Exit.internal };
}
