/**
 * The capture flow shared by `stamp`, `env`, `check` and `exec`: resolve the run options,
 * ask git once, apply the policy, build the record and store it (lib/run/persist.ts).
 */
import { defaultRecordPath, ensureParent } from "./record_dir.ts";
import { type PolicyRequest, policyRequest, resolvePolicy } from "./run_options.ts";
import type { Git } from "../git/client.ts";
import { plainGit } from "./git_for.ts";
import { earlyConfig } from "./early_config.ts";
import { captureGit, type GitFacts } from "./capture.ts";
import { decide, type Decision } from "./policy.ts";
import { buildRecord, type CommandFacts, type RunRecord, type RunStatus } from "./record.ts";
import { hostFacts } from "./host.ts";
import { checkRunId, newRunId } from "./run_id.ts";
import { readRecordOrFail, recordDir } from "./store.ts";
import {
  type Captured,
  discardRun,
  ensurePatchVacant,
  ensureVacant,
  storeNewRun,
} from "./persist.ts";
import { RunprovError } from "../errors.ts";
import { VERSION } from "../version.ts";
import type { Context } from "../io.ts";
import type { ParsedArgs } from "../cli/args.ts";
import { str } from "../cli/args.ts";
import { isAbsolute, join, relative, resolve } from "../util/paths.ts";
import { type Config, CONFIG_FILE, defaultConfig, type LoadedConfig } from "../config/config.ts";
import { configFor } from "../config/for_command.ts";
import { globMatcher } from "../config/glob.ts";
import { type PatchFact, patchPathFor, stagePatch, type UntrackedFiles } from "./patch.ts";
import type { RepoInfo } from "../git/parse.ts";
import type { EnvironmentFacts, EnvironmentSettings } from "../environment/facts.ts";

/** Capture git facts for the context's directory (with its configuration applied). */
export async function captureFacts(ctx: Context): Promise<GitFacts> {
  return (await captureConfigured(ctx)).facts;
}

/** A capture together with the configuration it used and the git client that made it. */
export interface ConfiguredCapture {
  facts: GitFacts;
  config: LoadedConfig;
  git: Git;
  /** The run's environment, when the capture was asked for it (null: switched off). */
  environment?: EnvironmentFacts | null;
}

/** What to capture of the run's environment: `exec` resolves python from its command. */
export interface EnvironmentRequest {
  command?: readonly string[];
}

/**
 * Capture the environment (files and variables only, no process) under `settings`; the
 * module loads on demand so commands that never record a run do not pay for it.
 */
async function environmentOf(
  ctx: Context,
  request: EnvironmentRequest,
  settings: EnvironmentSettings,
): Promise<EnvironmentFacts | null> {
  if (!settings.capture) return null;
  const { captureEnvironment } = await import("../environment/capture.ts");
  return await captureEnvironment({
    settings,
    env: ctx.io.env,
    cwd: ctx.global.dir,
    command: request.command,
  });
}

/**
 * Finish an environment capture started under the settings known before git ran (the early
 * config, else the defaults) for the settings of the configuration finally read: switched-off
 * parts are dropped, variables re-selected, and only a part newly switched on is read again.
 */
async function settleEnvironment(
  ctx: Context,
  request: EnvironmentRequest,
  started: { settings: EnvironmentSettings; facts: Promise<EnvironmentFacts | null> },
  wanted: EnvironmentSettings,
): Promise<EnvironmentFacts | null> {
  const facts = await started.facts;
  if (JSON.stringify(started.settings) === JSON.stringify(wanted)) return facts;
  const { reconcileEnvironment } = await import("../environment/capture.ts");
  const settled = reconcileEnvironment(facts, started.settings, wanted, ctx.io.env);
  return settled !== undefined ? settled : await environmentOf(ctx, request, wanted);
}

/**
 * Capture with the configuration applied. The config file is read once, right after
 * `git rev-parse` located the repository top and before the status scan (its `untracked`,
 * `ignore`, `tag.prefix`, `dir` and `git_timeout` shape the capture); outside a repository
 * only `--config`/`RUNPROV_CONFIG` are read.
 */
export async function captureConfigured(
  ctx: Context,
  environment?: EnvironmentRequest,
): Promise<ConfiguredCapture> {
  const early = await earlyConfig(ctx);
  const timeoutOf = (loaded: LoadedConfig | undefined, git: Git): number =>
    !ctx.io.env.RUNPROV_GIT_TIMEOUT && loaded?.setKeys.has("git_timeout")
      ? Math.round(loaded.config.git_timeout * 1000)
      : git.timeoutMs;
  const first = plainGit(ctx);
  const git = first.withTimeout(timeoutOf(early?.loaded, first));
  // The environment is read from files while git runs; the final config settles it below.
  let envStarted:
    | { settings: EnvironmentSettings; facts: Promise<EnvironmentFacts | null> }
    | null = null;
  if (environment) {
    const settings = (early?.loaded.config ?? defaultConfig()).environment;
    envStarted = { settings, facts: environmentOf(ctx, environment, settings) };
    envStarted.facts.catch(() => {}); // awaited below; never left unhandled if git fails first
  }
  let config: LoadedConfig | undefined;
  const facts = await captureGit(git, {
    prepare: async (info: RepoInfo) => {
      // The same file as the early read, unless git found another top (then read that one).
      config = await configFor(ctx, info.root);
      return {
        timeoutMs: timeoutOf(config, git),
        untracked: config.config.untracked,
        tagPrefix: config.config.tag.prefix,
        ignore: ignorePredicate(config.config, info.root),
        ignoreInsideDirs: config.config.ignore.length > 0,
      };
    },
  });
  if (config === undefined) {
    config = facts.reason_code === "dubious-ownership"
      ? await untrustedConfig(ctx, facts.root)
      : await configFor(ctx, facts.root);
  }
  // Later calls (the patch) keep the limit the capture settled on.
  const settledGit = git.withTimeout(timeoutOf(config, git));
  if (!envStarted) return { facts, config, git: settledGit };
  const settled = await settleEnvironment(ctx, environment!, envStarted, config.config.environment);
  return { facts, config, git: settledGit, environment: settled };
}

/**
 * The configuration for a repository git refuses (dubious ownership): never its own
 * `runprov.jsonc` (another user's file must not choose where runprov writes, what it runs
 * or how long it waits), only `--config`/`RUNPROV_CONFIG`, else the defaults; a warning says
 * so when the repository has a configuration file.
 */
export async function untrustedConfig(ctx: Context, root: string | null): Promise<LoadedConfig> {
  const loaded = await configFor(ctx, null);
  if (root !== null && loaded.fileSource === null) {
    const file = join(root, CONFIG_FILE);
    if (await Deno.lstat(file).then(() => true, () => false)) {
      ctx.warn(
        `warning: not reading ${file}: git does not trust this repository (dubious ownership), ` +
          "so its configuration is ignored and runprov uses its defaults",
      );
    }
  }
  return loaded;
}

/**
 * Paths that never count: config `ignore` globs, and the record directory when it lies
 * inside the repository (runprov's own files never dirty the tree).
 */
export function ignorePredicate(config: Config, root: string): (path: string) => boolean {
  const globs = [...config.ignore];
  const rel = relative(root, recordDir(root, config.dir));
  if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) {
    globs.push(`/${rel.replace(/[\\*?[]/g, "\\$&")}/`);
  }
  return globMatcher(globs);
}

/**
 * The untracked files a patch holds for a tree whose untracked files count (`untracked:
 * "dirty"`), relative to `top`: those `git status` listed, except that a directory it shows
 * collapsed (`dir/`) is expanded to its untracked files that `ignore` does not match, when
 * `ignore` has globs. So an ignored checkpoint next to a counted file never enters a run's
 * patch, its snapshot, or the hash `verify` compares.
 */
export async function untrackedForPatch(
  git: Git,
  top: string,
  untracked: readonly string[],
  config: Config,
): Promise<string[]> {
  const dirs = untracked.filter((p) => p.endsWith("/"));
  if (config.ignore.length === 0 || dirs.length === 0) return [...untracked];
  const ignore = ignorePredicate(config, top);
  const paths = untracked.filter((p) => !p.endsWith("/"));
  await git.untrackedBelow(dirs, (p) => {
    if (!ignore(p)) paths.push(p);
    return true;
  }, top);
  return paths;
}

/**
 * Apply a decision: print its warning (unless quiet), or throw the refusal with its
 * exit code.
 */
export function enforce(ctx: Context, decision: Decision): void {
  if (decision.exitCode !== 0) {
    throw new RunprovError(
      decision.message ?? "refused by policy",
      decision.exitCode as 3 | 4,
      decision.hint ?? undefined,
    );
  }
  if (decision.message) ctx.warn(decision.message);
}

export type { Captured };

/** What a new run starts with besides the capture. */
export interface RunInit {
  status?: RunStatus;
  command?: CommandFacts;
  /** Take the git facts from this record file instead of asking git (`--from`). */
  from?: string;
  /** The id of the live run this one was started inside (a child run), or null. */
  parent?: string | null;
}

/**
 * The whole capture of `stamp` and `env`: options, git, policy, record. `out` is where to
 * store the record: undefined for the default path, `-` (or null) for nowhere.
 */
export async function captureRun(
  ctx: Context,
  values: ParsedArgs["values"],
  out?: string | null,
  init: RunInit = {},
): Promise<Captured> {
  const planned = await planRun(ctx, values, out, init);
  try {
    await storeNewRun(planned, out);
  } finally {
    await discardRun(planned);
  }
  return planned;
}

/**
 * {@link captureRun} without the final write: the record and the path it will be stored
 * at (directories created, checked to be free), so a caller can render its output before
 * storing anything. A dirty run's patch waits in a temp file: store the run with
 * {@link storeNewRun}, or give up with {@link discardRun}.
 */
export async function planRun(
  ctx: Context,
  values: ParsedArgs["values"],
  out?: string | null,
  init: RunInit = {},
): Promise<Captured> {
  const givenId = str(values["run-id"]);
  const runId = givenId !== undefined ? checkRunId(givenId) : newRunId();
  const request = policyRequest(values, ctx.io.env); // bad flags fail before git runs
  if (init.from !== undefined) return await planFromRecord(ctx, values, request, out, runId, init);
  const { facts, config, git, environment } = await captureConfigured(ctx, {
    command: init.command?.argv,
  });
  const policy = resolvePolicy(request, config);
  const decision = decide(policy.mode, facts, policy.allowDirty);
  enforce(ctx, decision);
  const untrusted = facts.reason_code === "dubious-ownership";
  const path = await recordTarget(ctx, out, facts.root ?? ctx.global.dir, config, runId, untrusted);
  if (path !== null && out !== undefined) await ensureParent(path);
  if (path !== null) await ensureVacant(path, runId, out);
  let patchTemp: string | null = null;
  // Untracked files that count go into the patch too: a snapshot rebuilds them from it.
  const untrackedPaths = facts.untracked_counts && facts.untracked.length > 0 && facts.root &&
      path !== null && config.config.patch.capture
    ? await untrackedForPatch(git, facts.root, facts.untracked, config.config)
    : [];
  const untracked = untrackedPaths.length > 0 ? { top: facts.root!, paths: untrackedPaths } : null;
  if (
    path !== null && facts.available && (facts.changed.length > 0 || untracked) &&
    config.config.patch.capture
  ) {
    const patchPath = patchPathFor(path);
    await ensurePatchVacant(patchPath, path, runId);
    const staged = await patchOrWarn(ctx, git, facts.sha, patchPath, config, untracked);
    facts.patch = staged?.patch ?? null;
    patchTemp = staged?.temp ?? null;
  }
  const record = assemble(ctx, runId, str(values.name) ?? null, facts, decision, init);
  record.environment = environment ?? null;
  return { record, path, config, patchTemp };
}

/** Where a record goes: `--out FILE`, nowhere (`-`, null), or the record directory. */
function recordTarget(
  ctx: Context,
  out: string | null | undefined,
  base: string,
  config: LoadedConfig,
  runId: string,
  untrusted = false,
): Promise<string | null> | string | null {
  if (out === "-" || out === null) return null;
  if (out !== undefined) return isAbsolute(out) ? out : resolve(ctx.io.cwd, out);
  return defaultRecordPath(base, config.config.dir, runId, untrusted);
}

/** The record of a run from its parts and this host. */
function assemble(
  ctx: Context,
  runId: string,
  name: string | null,
  facts: GitFacts,
  decision: Decision,
  init: RunInit,
): RunRecord {
  return buildRecord({
    runId,
    name,
    createdAt: ctx.io.now(),
    git: facts,
    policy: decision.record,
    host: hostFacts(ctx.io.env),
    version: VERSION,
    status: init.status,
    command: init.command,
    parent: init.parent ?? null,
    environment: null,
  });
}

/**
 * A new run whose git facts come from a record made earlier (`--from FILE`, say at image
 * build or on the login node): no git at all. The policy judges the stored facts; the record
 * names its source in `from`, and goes to `--out` or `<-C dir>/.runprov/runs/`.
 */
async function planFromRecord(
  ctx: Context,
  values: ParsedArgs["values"],
  request: PolicyRequest,
  out: string | null | undefined,
  runId: string,
  init: RunInit,
): Promise<Captured> {
  const from = isAbsolute(init.from!) ? init.from! : resolve(ctx.io.cwd, init.from!);
  const source = await readRecordOrFail(from);
  const config = await configFor(ctx, null);
  const policy = resolvePolicy(request, config);
  const facts: GitFacts = structuredClone(source.git);
  const decision = decide(policy.mode, facts, policy.allowDirty);
  enforce(ctx, decision);
  const path = await recordTarget(ctx, out, ctx.global.dir, config, runId);
  if (path !== null && out !== undefined) await ensureParent(path);
  if (path !== null) await ensureVacant(path, runId, out);
  const record = assemble(ctx, runId, str(values.name) ?? source.name, facts, decision, init);
  // The git facts are the earlier record's; the environment is this run's own.
  record.environment = await environmentOf(
    ctx,
    { command: init.command?.argv },
    config.config.environment,
  );
  record.from = { path: from, run_id: source.run_id, created_at: source.created_at };
  return { record, path, config };
}

/**
 * Write the run's patch to a temp file next to `path`; a failure is a warning (the run goes
 * on, `git.patch` stays null).
 */
async function patchOrWarn(
  ctx: Context,
  git: Git,
  sha: string,
  path: string,
  config: LoadedConfig,
  untracked: UntrackedFiles | null,
): Promise<{ patch: PatchFact; temp: string } | null> {
  try {
    const staged = await stagePatch(git, sha, path, config.config.patch.max_bytes, untracked);
    const patch = staged.patch;
    if (patch.truncated) {
      ctx.warn(
        `warning: the patch of this dirty run was cut at ${patch.bytes} bytes ` +
          `(patch.max_bytes); ${path} will not apply`,
      );
    }
    return staged;
  } catch (err) {
    ctx.warn(`warning: could not store the patch of this dirty run: ${(err as Error).message}`);
    return null;
  }
}
