/** `runprov completions SHELL`: print a completion script for bash, zsh or fish. */
import { parseCommandArgs } from "../cli/args.ts";
import { commandHelp, COMMANDS, mainHelp } from "../cli/cli.ts";
import { optionsInHelp } from "../cli/help_options.ts";
import {
  COMPLETION_SHELLS,
  type CompletionCommand,
  type CompletionModel,
  completionScript,
  type CompletionShell,
} from "../cli/completions.ts";
import { clipped, usageError } from "../errors.ts";
import { FORMAT_NAMES } from "../shell/index.ts";
import { TRACKERS } from "../exports/trackers.ts";
import { POLICY_MODES } from "../run/policy.ts";
import type { Context } from "../io.ts";

export const COMPLETIONS_HELP = `runprov completions: print a shell completion script

Usage: runprov completions bash|zsh|fish

Completes commands, every option each command's --help lists, and option values with a
fixed set (formats, policies, trackers) or a file or directory.

  bash   source <(runprov completions bash)
         or save as ~/.local/share/bash-completion/completions/runprov
  zsh    source <(runprov completions zsh)          (after compinit)
         or save as _runprov in a directory on $fpath
  fish   runprov completions fish | source
         or save as ~/.config/fish/completions/runprov.fish
`;

/** Which commands take which positional words. */
const POSITIONALS: Record<string, CompletionCommand["positionals"]> = {
  help: "commands",
  completions: "shells",
  exec: "programs",
};

/** The completion model of this runprov: every command's own --help, read back. */
export async function completionModel(ctx: Context): Promise<CompletionModel> {
  const commands: CompletionCommand[] = [{
    name: "help",
    summary: "show help for runprov or one command",
    options: [],
    positionals: "commands",
  }];
  for (const [name, entry] of Object.entries(COMMANDS)) {
    commands.push({
      name,
      summary: entry.summary,
      options: optionsInHelp(await commandHelp(ctx, name)),
      ...(POSITIONALS[name] ? { positionals: POSITIONALS[name] } : {}),
    });
  }
  return {
    global: optionsInHelp(mainHelp()),
    commands,
    choices: {
      FORMAT: FORMAT_NAMES,
      MODE: POLICY_MODES,
      T: TRACKERS,
      SHELL: COMPLETION_SHELLS,
    },
  };
}

/** Run `completions`. */
export async function completions(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("completions", args, {}, true);
  if (values.help) {
    await ctx.io.stdout(COMPLETIONS_HELP);
    return 0;
  }
  const shell = positionals[0];
  if (positionals.length !== 1 || !(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
    throw usageError(
      shell === undefined
        ? "completions: name the shell"
        : `completions: no completion for ${JSON.stringify(clipped(positionals.join(" ")))}`,
      `use one of: ${COMPLETION_SHELLS.join(", ")}`,
    );
  }
  await ctx.io.stdout(completionScript(shell as CompletionShell, await completionModel(ctx)));
  return 0;
}
