/** `runprov config`: the effective configuration and where each value came from. */
import { parseCommandArgs } from "../cli/args.ts";
import { configFor, gitFor, gitTimeoutMs, POLICY_OPTIONS, resolvePolicy } from "../run/session.ts";
import { GitError } from "../git/client.ts";
import type { Context } from "../io.ts";

export const CONFIG_HELP = `runprov config: show the effective configuration

Usage: runprov config [--policy strict|warn|off] [--strict] [--json]

Prints every setting with its value and where it came from: flag, env (RUNPROV_POLICY,
RUNPROV_GIT_TIMEOUT), the configuration file (--config FILE, RUNPROV_CONFIG, or
runprov.jsonc at the repository top), or the default.

Options:
  --policy MODE   show the policy as this flag would set it
  --strict        short for --policy strict
  --json          print {file, file_source, config, sources} as JSON
`;

const KEYS = [
  "policy",
  "untracked",
  "ignore",
  "dir",
  "git_timeout",
  "tag.prefix",
  "tag.remote",
  "tag.push",
  "tag.sign",
  "patch.capture",
  "patch.max_bytes",
  "environment.capture",
  "environment.python",
  "environment.packages",
  "environment.gpu",
  "environment.container",
  "environment.vars",
] as const;

/** Run `config`. */
export async function config(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("config", args, {
    policy: POLICY_OPTIONS.policy,
    strict: POLICY_OPTIONS.strict,
    json: { type: "boolean" },
  });
  if (values.help) {
    await ctx.io.stdout(CONFIG_HELP);
    return 0;
  }
  let root: string | null = null;
  try {
    root = (await gitFor(ctx).repoInfo()).root;
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
  }
  const loaded = await configFor(ctx, root);
  const effective = structuredClone(loaded.config);
  const sources: Record<string, string> = {};
  for (const k of KEYS) sources[k] = loaded.setKeys.has(k) ? "file" : "default";
  const policy = resolvePolicy(values, ctx.io.env, loaded);
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
    const [a, b] = k.split(".");
    const v = b === undefined
      ? (effective as unknown as Record<string, unknown>)[a]
      : (effective as unknown as Record<string, Record<string, unknown>>)[a][b];
    const src = sources[k] === "file" ? loaded.file! : sources[k];
    lines.push(`${k.padEnd(width)} = ${JSON.stringify(v)}  # ${src}`);
  }
  await ctx.io.stdout(lines.join("\n") + "\n");
  return 0;
}
