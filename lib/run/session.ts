/**
 * The capture flow shared by `stamp`, `env`, `check` and `exec`: resolve the run options,
 * ask git once, apply the policy, build the record and store it (lib/run/persist.ts).
 */
import { DEFAULT_GIT_TIMEOUT_MS, Git, inheritedGitVars } from "../git/client.ts";
import { captureGit, type GitFacts } from "./capture.ts";
import { decide, type Decision, POLICY_MODES, type PolicyMode } from "./policy.ts";
import {
  buildRecord,
  type CommandFacts,
  recordWriteError,
  type RunRecord,
  type RunStatus,
} from "./record.ts";
import { hostFacts } from "./host.ts";
import { checkRunId, newRunId } from "./run_id.ts";
import {
  ensureRunprovDir,
  readRecordOrFail,
  recordDir,
  recordPath,
  writeFileAtomic,
} from "./store.ts";
import {
  type Captured,
  discardRun,
  ensurePatchVacant,
  ensureVacant,
  storeNewRun,
} from "./persist.ts";
import { RunprovError, shown, usageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import type { Context } from "../io.ts";
import type { OptionSpec, ParsedArgs } from "../cli/args.ts";
import { str } from "../cli/args.ts";
import { dirname, isAbsolute, join, relative, resolve } from "../util/paths.ts";
import {
  type Config,
  CONFIG_FILE,
  defaultConfig,
  loadConfig,
  type LoadedConfig,
} from "../config/config.ts";
import { globMatcher } from "../config/glob.ts";
import { type PatchFact, patchPathFor, stagePatch, type UntrackedFiles } from "./patch.ts";
import type { RepoInfo } from "../git/client.ts";
import type { EnvironmentFacts, EnvironmentSettings } from "../environment/facts.ts";

/** Options of every capturing command (`stamp`, `env`, `exec`). */
export const RUN_OPTIONS: OptionSpec = {
  "run-id": { type: "string" },
  name: { type: "string" },
  policy: { type: "string" },
  strict: { type: "boolean" },
  "allow-dirty": { type: "string" },
};

/** Options of the policy only (`check`). */
export const POLICY_OPTIONS: OptionSpec = {
  policy: { type: "string" },
  strict: { type: "boolean" },
  "allow-dirty": { type: "string" },
};

/** The resolved policy settings and where each came from. */
export interface PolicySettings {
  mode: PolicyMode;
  modeSource: "flag" | "env" | "file" | "default";
  allowDirty?: string;
}

/**
 * Policy mode: `--policy`/`--strict`, then `RUNPROV_POLICY`, then config `policy` (when
 * `config` is given), then `warn`.
 */
export function resolvePolicy(
  values: ParsedArgs["values"],
  env: Record<string, string>,
  config?: LoadedConfig,
): PolicySettings {
  const flag = str(values.policy);
  if (values.strict && flag !== undefined && flag !== "strict") {
    throw usageError(`--strict conflicts with --policy ${shown(flag)}`, "give one of them");
  }
  let mode: PolicyMode = "warn";
  let modeSource: PolicySettings["modeSource"] = "default";
  if (values.strict) {
    mode = "strict";
    modeSource = "flag";
  } else if (flag !== undefined) {
    mode = checkMode(flag, "--policy");
    modeSource = "flag";
  } else if (env.RUNPROV_POLICY) {
    mode = checkMode(env.RUNPROV_POLICY, "RUNPROV_POLICY");
    modeSource = "env";
  } else if (config?.setKeys.has("policy")) {
    mode = config.config.policy;
    modeSource = "file";
  }
  let allowDirty = str(values["allow-dirty"]);
  if (allowDirty !== undefined && allowDirty.trim() === "") {
    throw usageError(
      "--allow-dirty needs a reason",
      "say why this dirty run is acceptable, e.g. --allow-dirty 'debugging a NaN'",
    );
  }
  if (allowDirty === undefined && env.RUNPROV_ALLOW_DIRTY?.trim()) {
    allowDirty = env.RUNPROV_ALLOW_DIRTY;
  }
  return { mode, modeSource, allowDirty };
}

function checkMode(value: string, source: string): PolicyMode {
  if ((POLICY_MODES as readonly string[]).includes(value)) return value as PolicyMode;
  throw usageError(
    `invalid policy ${shown(value)} (${source})`,
    `use one of: ${POLICY_MODES.join(", ")}`,
  );
}

/** Git time limit from `RUNPROV_GIT_TIMEOUT` (seconds, may be fractional); default 60 s. */
export function gitTimeoutMs(env: Record<string, string>): number {
  const raw = env.RUNPROV_GIT_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_GIT_TIMEOUT_MS;
  // Decimal seconds only: Number() would also take "0x10", "0b1" and "1e3".
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) {
    throw usageError(
      `invalid RUNPROV_GIT_TIMEOUT ${shown(raw)}`,
      "give seconds between 0 and 86400, e.g. RUNPROV_GIT_TIMEOUT=30",
    );
  }
  return Math.round(n * 1000);
}

/**
 * A git client for the context's directory, its time limit from `RUNPROV_GIT_TIMEOUT` or
 * else the config's `git_timeout` (as read before git runs, see {@link earlyConfig}).
 */
export async function gitFor(ctx: Context): Promise<Git> {
  const git = plainGit(ctx);
  if (ctx.io.env.RUNPROV_GIT_TIMEOUT) return git;
  const early = await earlyConfig(ctx);
  return early?.loaded.setKeys.has("git_timeout")
    ? git.withTimeout(Math.round(early.loaded.config.git_timeout * 1000))
    : git;
}

/** A client with the environment's time limit only, warning once about ignored GIT_* variables. */
function plainGit(ctx: Context): Git {
  const inherited = inheritedGitVars(ctx.io.env);
  if (inherited.length > 0) {
    ctx.warn(
      `warning: ignoring inherited ${inherited.join(", ")}: runprov records the repository ` +
        `at ${ctx.global.dir}, not the one these variables point at`,
    );
  }
  return new Git({ cwd: ctx.global.dir, env: ctx.io.env, timeoutMs: gitTimeoutMs(ctx.io.env) });
}

/** Capture git facts for the context's directory (with its configuration applied). */
export async function captureFacts(ctx: Context): Promise<GitFacts> {
  return (await captureConfigured(ctx)).facts;
}

/** Load the configuration for a repository top (or none): `--config`, `RUNPROV_CONFIG`, top. */
export function configFor(ctx: Context, root: string | null): Promise<LoadedConfig> {
  return loadConfig({ flag: ctx.global.config, env: ctx.io.env, cwd: ctx.io.cwd, root });
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
 * The configuration as it can be read before git runs, so `git_timeout` bounds the very first
 * git call: `--config`/`RUNPROV_CONFIG`, or `runprov.jsonc` in the nearest directory above
 * the `-C` directory that holds `.git` (where git itself looks, inherited GIT_DIR being
 * ignored), but only when that directory and its `.git` are owned by the user (git's own
 * ownership rule): a repository git may refuse never sets runprov's time limit. Null when
 * there is nothing to read or it cannot be read: the full read after `rev-parse` then
 * reports any error.
 */
export async function earlyConfig(
  ctx: Context,
): Promise<{ root: string | null; loaded: LoadedConfig } | null> {
  const env = ctx.io.env;
  let root: string | null = null;
  if (!ctx.global.config && !env.RUNPROV_CONFIG) {
    for (let dir = resolve(ctx.global.dir);; dir = dirname(dir)) {
      if (await Deno.lstat(join(dir, ".git")).then(() => true, () => false)) {
        root = await Deno.realPath(dir).catch(() => dir);
        break;
      }
      if (dirname(dir) === dir) return null;
    }
    if (!(await ownedByUser(root, env)) || !(await ownedByUser(join(root, ".git"), env))) {
      return null;
    }
  }
  try {
    return { root, loaded: await configFor(ctx, root) };
  } catch {
    return null;
  }
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
      // The early read is the same file unless git found another top: read it once.
      config = early && (early.root === null || early.root === info.root)
        ? early.loaded
        : await configFor(ctx, info.root);
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
 * Whether `path` belongs to the user running runprov, by git's rule for dubious ownership:
 * the owner is the user, or, for root, the user named by `SUDO_UID`. True when it cannot
 * be told (no uid on this system): git then decides alone.
 */
export async function ownedByUser(path: string, env: Record<string, string>): Promise<boolean> {
  let me: number | null;
  try {
    me = Deno.uid();
  } catch {
    return true;
  }
  if (me === null) return true;
  const owner = await Deno.lstat(path).then((st) => st.uid, () => null);
  if (owner === null || owner === me) return true;
  return me === 0 && env.SUDO_UID !== undefined && env.SUDO_UID === String(owner);
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
  resolvePolicy(values, ctx.io.env); // bad flags fail before git runs
  if (init.from !== undefined) return await planFromRecord(ctx, values, out, runId, init);
  const { facts, config, git, environment } = await captureConfigured(ctx, {
    command: init.command?.argv,
  });
  const policy = resolvePolicy(values, ctx.io.env, config);
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
  out: string | null | undefined,
  runId: string,
  init: RunInit,
): Promise<Captured> {
  const from = isAbsolute(init.from!) ? init.from! : resolve(ctx.io.cwd, init.from!);
  const source = await readRecordOrFail(from);
  const config = await configFor(ctx, null);
  const policy = resolvePolicy(values, ctx.io.env, config);
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

/**
 * The default path of run `runId`'s record under the repository (or directory) `base`, the
 * record directory created (with `.runprov/.gitignore`, or its own `.gitignore` elsewhere
 * in the tree, so records never dirty it). `untrusted`: a repository git does not trust,
 * whose record directory must hold no symbolic link.
 */
export async function defaultRecordPath(
  base: string,
  configured: string,
  runId: string,
  untrusted = false,
): Promise<string> {
  const dir = recordDir(base, configured);
  if (untrusted) await refuseLinksInside(base, dir);
  try {
    const rel = relative(base, dir);
    if (rel === ".runprov" || rel.startsWith(".runprov/")) await ensureRunprovDir(base);
    await Deno.mkdir(dir, { recursive: true });
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && !rel.startsWith(".runprov")) {
      // A record directory elsewhere in the tree ignores itself, so records never dirty it.
      const ignoreFile = join(dir, ".gitignore");
      if (!(await Deno.lstat(ignoreFile).then(() => true, () => false))) {
        await writeFileAtomic(ignoreFile, "*\n");
      }
    }
  } catch (err) {
    throw recordWriteError(dir, err);
  }
  return recordPath(dir, runId);
}

/**
 * In a repository git does not trust, the record directory's parts inside it must be real
 * directories: a symbolic link there (`.runprov -> /elsewhere`) would let the repository's
 * owner choose where runprov writes. Throws a usage error naming the link.
 */
async function refuseLinksInside(base: string, dir: string): Promise<void> {
  const rel = relative(base, dir);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return;
  let at = base;
  for (const part of rel.split("/")) {
    at = join(at, part);
    const st = await Deno.lstat(at).catch(() => null);
    if (st === null) return;
    if (st.isSymlink) {
      throw usageError(
        `refusing to write the record through the symbolic link ${at}: git does not trust ` +
          "this repository (dubious ownership), so it may not choose where runprov writes",
        "write the record elsewhere with --out FILE, or trust the repository " +
          "(git config --global --add safe.directory PATH) if it is yours to trust",
      );
    }
  }
}

/** Create the directory an `--out FILE` goes into (`--out "$HOME/runs/$SLURM_JOB_ID.json"`). */
async function ensureParent(path: string): Promise<void> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw recordWriteError(path, err);
  }
}
