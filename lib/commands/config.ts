/**
 * `runprov config`: the effective configuration and where each value came from;
 * `runprov config init`: write a commented runprov.jsonc with every key at its default.
 */
import { parseCommandArgs } from "../cli/args.ts";
import { initialConfigText, schemaKeys } from "../config/init_text.ts";
import { CONFIG_FILE } from "../config/config.ts";
import { writeFileAtomic } from "../run/store.ts";
import { join } from "../util/paths.ts";
import { clipped, RunprovError, usageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { configFor } from "../config/for_command.ts";
import { gitFor, gitTimeoutMs } from "../run/git_for.ts";
import { untrustedConfig } from "../run/session.ts";
import { POLICY_OPTIONS, policyRequest, resolvePolicy } from "../run/run_options.ts";
import { dubiousPath } from "../run/failure_reason.ts";
import { GitError } from "../git/runner.ts";
import type { Context } from "../io.ts";

export const CONFIG_HELP = `runprov config: show the effective configuration

Usage: runprov config [--policy strict|warn|off] [--strict] [--json]
       runprov config init [--stdout] [--force]

Prints every setting with its value and where it came from: flag, env (RUNPROV_POLICY,
RUNPROV_GIT_TIMEOUT), the configuration file (--config FILE, RUNPROV_CONFIG, or
runprov.jsonc at the repository top), or the default.

Options:
  --policy MODE   show the policy as this flag would set it
  --strict        short for --policy strict
  --json          print {file, file_source, config, sources} as JSON

'config init' writes runprov.jsonc at the repository top (or the --config FILE path) with
every key at its default, each with a comment, and "$schema" pointing at this version's
published runprov.schema.json. It never replaces an existing file unless --force is given.
  --stdout        print the file instead of writing it
  --force         replace an existing file
`;

/** Where each version's schema is published (a release asset), for `$schema`. */
export function schemaUrl(version = VERSION): string {
  return `https://github.com/runprov/runprov/releases/download/v${version}/runprov.schema.json`;
}

const KEYS = schemaKeys();

/** Run `config`. */
export async function config(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("config", args, {
    policy: POLICY_OPTIONS.policy,
    strict: POLICY_OPTIONS.strict,
    json: { type: "boolean" },
    stdout: { type: "boolean" },
    force: { type: "boolean" },
  }, true);
  if (values.help) {
    await ctx.io.stdout(CONFIG_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    if (positionals[0] !== "init" || positionals.length > 1) {
      throw usageError(
        `config: unexpected argument '${clipped(positionals.join(" "))}'`,
        "'runprov config' shows the configuration; 'runprov config init' writes one",
      );
    }
    if (values.json || values.policy || values.strict) {
      throw usageError("config init: --json, --policy and --strict are for 'runprov config'");
    }
    return await init(ctx, values.stdout === true, values.force === true);
  }
  if (values.stdout || values.force) {
    throw usageError("config: --stdout and --force go with 'runprov config init'");
  }
  let root: string | null = null;
  let untrusted: string | null = null;
  try {
    root = (await (await gitFor(ctx)).repoInfo()).root;
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if (err.failure === "dubious-ownership") untrusted = dubiousPath(err.stderr) ?? ctx.global.dir;
  }
  const loaded = untrusted !== null
    ? await untrustedConfig(ctx, untrusted)
    : await configFor(ctx, root);
  const effective = structuredClone(loaded.config);
  const sources: Record<string, string> = {};
  for (const k of KEYS) sources[k] = loaded.setKeys.has(k) ? "file" : "default";
  const policy = resolvePolicy(policyRequest(values, ctx.io.env), loaded);
  effective.policy = policy.mode;
  sources.policy = policy.modeSource;
  if (ctx.io.env.RUNPROV_GIT_TIMEOUT) {
    effective.git_timeout = gitTimeoutMs(ctx.io.env) / 1000;
    sources.git_timeout = "env";
  }
  if (values.json) {
    await ctx.io.stdout(
      JSON.stringify(
        { file: loaded.file, file_source: loaded.fileSource, config: effective, sources },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  const where = loaded.file === null
    ? `# no configuration file${root ? ` (none at ${root}/runprov.jsonc)` : ""}`
    : `# configuration file: ${loaded.file} (${
      { flag: "--config", env: "RUNPROV_CONFIG", repo: "repository top" }[loaded.fileSource!]
    })`;
  const lines = [where];
  const width = Math.max(...KEYS.map((k) => k.length));
  for (const k of KEYS) {
    const v = k.split(".").reduce<unknown>(
      (o, part) => (o as Record<string, unknown> | undefined)?.[part],
      effective,
    );
    const src = sources[k] === "file" ? loaded.file! : sources[k];
    lines.push(`${k.padEnd(width)} = ${JSON.stringify(v)}  # ${src}`);
  }
  await ctx.io.stdout(lines.join("\n") + "\n");
  return 0;
}

/** `config init`: the commented defaults, printed or written without replacing a file. */
async function init(ctx: Context, toStdout: boolean, force: boolean): Promise<number> {
  const text = initialConfigText(schemaUrl());
  if (toStdout) {
    await ctx.io.stdout(text);
    return 0;
  }
  let target = ctx.global.config;
  if (!target) {
    try {
      target = join((await (await gitFor(ctx)).repoInfo()).root, CONFIG_FILE);
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      throw usageError(
        `config init: ${ctx.global.dir} is not in a git repository, where runprov.jsonc belongs`,
        "run it inside your project, or name the file with --config FILE, or use --stdout",
      );
    }
  }
  try {
    if (force) await writeFileAtomic(target, text);
    else await Deno.writeTextFile(target, text, { createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw usageError(
        `config init: ${target} already exists; it was left as it is`,
        "'runprov config' shows what it sets; add --force to replace it with the defaults",
      );
    }
    throw new RunprovError(
      `config init: cannot write ${target}: ${(err as Error).message}`,
      2,
      "check the directory's permissions",
    );
  }
  ctx.warn(`wrote ${target} (every key at its default); commit it with your code`);
  return 0;
}
