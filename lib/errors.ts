/** Exit codes of the public contract (DESIGN.md, "Exit codes"). */
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
 * A user-given value as an error message shows it: JSON-quoted (so newlines and quotes are
 * visible), cut to `max` characters with the full length named.
 *
 * @example
 * shown("a\nb"); // "\"a\\nb\""
 * shown("x".repeat(500)).length < 200; // true
 */
export function shown(value: string, max = 80): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}... (${value.length} characters)`;
}

/** `value` unchanged when short, else its first `max` characters and its length. */
export function clipped(value: string, max = 80): string {
  return value.length <= max ? value : `${value.slice(0, max)}... (${value.length} characters)`;
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
  if (err instanceof RunprovError) {
    const lines = [`runprov: ${err.message}`];
    if (err.hint) lines.push(`hint: ${err.hint}`);
    if (debug && err.stack) lines.push(err.stack);
    return { text: lines.join("\n") + "\n", code: err.exitCode };
  }
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`runprov: internal error: ${message}`];
  if (debug && err instanceof Error && err.stack) lines.push(err.stack);
  else lines.push("hint: set RUNPROV_DEBUG=1 for a stack trace, and report it");
  return { text: lines.join("\n") + "\n", code: Exit.internal };
}
