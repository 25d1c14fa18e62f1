/** The boundary between runprov's logic and the process: everything impure goes through here. */

/** What a command may touch of the outside world. `main.ts` makes the real one. */
export interface Io {
  /** The process environment (a copy; commands never mutate the real one). */
  env: Record<string, string>;
  /**
   * The directory relative paths resolve against: where runprov was started, and inside a
   * command the `-C` directory ("as if started in DIR").
   */
  cwd: string;
  /** Write data to stdout. */
  stdout(text: string): Promise<void>;
  /** Write a diagnostic line (or lines) to stderr. */
  stderr(text: string): void;
  /** The current time (injectable for tests). */
  now(): Date;
}

/** Options every command accepts. */
export interface GlobalOptions {
  /** Directory to run in, like git's `-C` (already resolved to an absolute path). */
  dir: string;
  /** `--config FILE`. */
  config?: string;
  /** `-q`: no warnings or notes on stderr (errors still print). */
  quiet: boolean;
}

/** What a command function gets. */
export interface Context {
  io: Io;
  global: GlobalOptions;
  /** Print a warning or note on stderr unless `-q`. */
  warn(text: string): void;
  /** runprov's own commit when run from a source checkout (main.ts provides it). */
  sourceCommit?: () => Promise<string | null>;
}
