/**
 * The command line: global options, dispatch to one module per command, and the single
 * place where errors become exit codes and messages.
 */
import { isAbsolute, resolve } from "../util/paths.ts";
import { clipped, Exit, renderError, shownPath, usageError } from "../errors.ts";
import { printable } from "../util/printable.ts";
import type { Context, GlobalOptions, Io } from "../io.ts";
import { BUILD_COMMIT, ownCommit, VERSION } from "../version.ts";

type Command = (ctx: Context, args: string[]) => Promise<number>;

/**
 * Every command, loaded on first use: each `load` is a dynamic `import()` of a literal
 * specifier (so `deno compile` still bundles it), and a run only pays for the modules of
 * the command it runs (start-up is most of a small repository's `runprov env`).
 */
export const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  env: {
    load: async () => (await import("../commands/env.ts")).env,
    summary: "capture, write the run record, print shell exports",
  },
  stamp: {
    load: async () => (await import("../commands/stamp.ts")).stamp,
    summary: "capture, write the run record, print it as JSON",
  },
  check: {
    load: async () => (await import("../commands/check.ts")).check,
    summary: "apply the clean-tree policy only; exit 0 or 3",
  },
  exec: {
    load: async () => (await import("../commands/exec.ts")).exec,
    summary: "check, record, run CMD with the exports, record the outcome",
  },
  tag: {
    load: async () => (await import("../commands/tag.ts")).tag,
    summary: "annotated tag run/ID on run ID's commit (a dirty run: its snapshot)",
  },
  runs: {
    // runs --remote loads only its own small module; other runs go on to runs.ts.
    load: async () => (await import("../commands/runs_remote.ts")).runsOrRemote,
    summary: "list runs (records and run tags), newest first",
  },
  show: {
    load: async () => (await import("../commands/runs.ts")).show,
    summary: "show one run: its record, else what its tag carries",
  },
  push: {
    load: async () => (await import("../commands/push.ts")).push,
    summary: "share runs through the git remote (refs/runprov/runs/<id>)",
  },
  fetch: {
    load: async () => (await import("../commands/fetch.ts")).fetch,
    summary: "get shared runs from the git remote (record, patch, code)",
  },
  verify: {
    load: async () => (await import("../commands/verify.ts")).verify,
    summary: "exit 0 if this checkout is exactly a run's code, else 3",
  },
  restore: {
    load: async () => (await import("../commands/restore.ts")).restore,
    summary: "get back a run's exact code: a new worktree at its snapshot",
  },
  rerun: {
    load: async () => (await import("../commands/rerun.ts")).rerun,
    summary: "run a run's recorded command again on its exact code (new run)",
  },
  diff: {
    load: async () => (await import("../commands/diff.ts")).diff,
    summary: "the code difference between two runs (or HEAD, WORKTREE)",
  },
  config: {
    load: async () => (await import("../commands/config.ts")).config,
    summary: "show the effective configuration and where it came from",
  },
  doctor: {
    load: async () => (await import("../commands/doctor.ts")).doctor,
    summary: "check that runprov can work here (git, repository, records)",
  },
  prune: {
    load: async () => (await import("../commands/prune.ts")).prune,
    summary: "remove unwanted run records (a dry run unless --yes)",
  },
  completions: {
    load: async () => (await import("../commands/completions.ts")).completions,
    summary: "print a completion script for bash, zsh or fish",
  },
};

/**
 * A command's own `--help` text, as `runprov COMMAND --help` prints it (each command
 * module owns its help; this runs it with `--help` and keeps what it prints).
 */
export async function commandHelp(ctx: Context, name: string): Promise<string> {
  const entry = COMMANDS[name];
  if (!entry) throw unknownCommand(name);
  let text = "";
  const io: Io = {
    ...ctx.io,
    stdout: (t) => {
      text += t;
      return Promise.resolve();
    },
  };
  await (await entry.load())({ ...ctx, io }, ["--help"]);
  return text;
}

function unknownCommand(name: string): Error {
  return usageError(
    `unknown command '${clipped(name)}'`,
    `commands: ${Object.keys(COMMANDS).join(", ")}`,
  );
}

/** The top-level help text. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `runprov ${VERSION}: record what code produced each training run

Usage: runprov [-C DIR] [--config FILE] [-q] COMMAND [OPTIONS]
       runprov help [COMMAND]

Commands:
${list}

Global options (before COMMAND; after it, every word is the command's):
  -C DIR          run as if started in DIR (like git -C); relative paths given to
                  runprov resolve against DIR
  --config FILE   use this runprov.jsonc instead of the repository's
  -q, --quiet     no warnings or notes on stderr (errors still print)
  -h, --help      this help; 'runprov COMMAND --help' for a command's
  -V, --version   print the version

Data goes to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 internal error,
2 usage or configuration error, 3 refused by policy, 4 git unusable, 5 tag or push
conflict, or a remote that cannot be reached or refuses, 141 stdout closed by its reader
(as for a command killed by SIGPIPE; nothing printed).
`;
}

/** Extra facts main.ts can provide that the library cannot find on its own. */
export interface Runtime {
  /** runprov's own commit when run from a source checkout (null otherwise). */
  sourceCommit?: () => Promise<string | null>;
}

/**
 * `runprov --version` text: version, and the commit it was built or run from.
 *
 * @example
 * await versionText({}, "0123456789ab"); // "runprov 0.1.0 (commit 0123456789ab)\n"
 */
export async function versionText(
  rt: Runtime,
  buildCommit: string | null = BUILD_COMMIT,
): Promise<string> {
  const commit = await ownCommit(rt.sourceCommit, buildCommit);
  return `runprov ${VERSION}${commit ? ` (commit ${commit})` : ""}\n`;
}

/**
 * Run runprov with `args`; resolve with the exit code. Never throws: every error is
 * rendered on stderr here.
 */
export async function runCli(args: string[], io: Io, rt: Runtime = {}): Promise<number> {
  try {
    return await dispatch(args, io, rt);
  } catch (err) {
    // The reader of stdout stopped reading (`runprov runs | head -3`, `runprov env | true`):
    // end quietly with the status a shell reports for a command killed by SIGPIPE (128+13).
    if (err instanceof Deno.errors.BrokenPipe) return Exit.brokenPipe;
    const { text, code } = renderError(err, io.env.RUNPROV_DEBUG === "1");
    io.stderr(text);
    return code;
  }
}

async function dispatch(args: string[], io: Io, rt: Runtime): Promise<number> {
  const global: GlobalOptions = { dir: io.cwd, quiet: false };
  // Global options come before the command, and only there: from the command on, every
  // word is the command's (for exec: CMD's own `-q` stays CMD's).
  let config: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "-C" || a === "--config") {
      const v = args[++i];
      if (v === undefined) throw usageError(`option ${a} needs a value`, "see 'runprov --help'");
      if (a === "-C") global.dir = resolve(global.dir, v);
      else config = v;
    } else if (a.startsWith("-C") && a.length > 2) {
      global.dir = resolve(global.dir, a.slice(2));
    } else if (a.startsWith("--config=")) {
      config = a.slice("--config=".length);
    } else if (a === "-q" || a === "--quiet") {
      global.quiet = true;
    } else if (a === "-h" || a === "--help") {
      await io.stdout(mainHelp());
      return 0;
    } else if (a === "-V" || a === "--version") {
      await io.stdout(await versionText(rt));
      return 0;
    } else if (a.startsWith("-")) {
      throw usageError(`unknown option ${clipped(a)}`, "see 'runprov --help'");
    } else {
      break;
    }
  }
  // "As if started in DIR": every relative path (--config, --out, --from, RUNPROV_CONFIG,
  // RUNPROV_FROM, verify's FILE) resolves against the -C directory.
  if (config !== undefined) {
    global.config = isAbsolute(config) ? config : resolve(global.dir, config);
  }
  const name = args[i];
  if (name === undefined) {
    io.stderr(mainHelp());
    return 2;
  }
  if (name === "help") {
    const topic = args.slice(i + 1);
    if (topic.length === 0 || topic[0] === "-h" || topic[0] === "--help") {
      await io.stdout(mainHelp());
      return 0;
    }
    if (topic.length > 1) {
      throw usageError("help takes one command name", "e.g. 'runprov help exec'");
    }
    await io.stdout(await commandHelp(commandContext(io, global, rt), topic[0]));
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw unknownCommand(name);
  const [run] = await Promise.all([cmd.load(), checkDir(global.dir)]);
  return await run(commandContext(io, global, rt), args.slice(i + 1));
}

/** The context a command runs in: paths resolve against -C DIR, as if started there. */
function commandContext(io: Io, global: GlobalOptions, rt: Runtime): Context {
  return {
    io: { ...io, cwd: global.dir },
    global,
    sourceCommit: rt.sourceCommit,
    warn: (text) => {
      if (!global.quiet) io.stderr(`runprov: ${printable(text)}\n`);
    },
  };
}

async function checkDir(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw usageError(`cannot use -C ${shownPath(dir)}: no such directory`);
  }
  if (!info.isDirectory) throw usageError(`cannot use -C ${shownPath(dir)}: not a directory`);
}
