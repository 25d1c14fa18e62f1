/**
 * The capture flow shared by `stamp`, `env`, `check` and `exec`: resolve the run options,
 * ask git once, apply the policy, build the record and store it.
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
  serializeRecord,
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
import { RunprovError, shown, usageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import type { Context } from "../io.ts";
import type { OptionSpec, ParsedArgs } from "../cli/args.ts";
import { str } from "../cli/args.ts";
import { dirname, isAbsolute, join, relative, resolve } from "../util/paths.ts";
import { type Config, loadConfig, type LoadedConfig } from "../config/config.ts";
import { globMatcher } from "../config/glob.ts";
import { capturePatch, type PatchFact, patchPathFor, type UntrackedFiles } from "./patch.ts";
import type { Location } from "../git/client.ts";

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
    throw usageError(`--strict conflicts with --policy ${flag}`, "give one of them");
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

/** A git client for the context's directory, warning once about ignored GIT_* variables. */
export function gitFor(ctx: Context): Git {
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
}

/**
 * The configuration as it can be read before git runs, so `git_timeout` bounds the very first
 * git call: `--config`/`RUNPROV_CONFIG`, or `runprov.jsonc` in the nearest directory above
 * the `-C` directory that holds `.git` (where git itself looks, inherited GIT_DIR being
 * ignored). Null when there is nothing to read or it cannot be read: the full read after
 * `rev-parse` then reports any error.
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
export async function captureConfigured(ctx: Context): Promise<ConfiguredCapture> {
  const git = gitFor(ctx);
  const early = await earlyConfig(ctx);
  const applyTimeout = (loaded: LoadedConfig) => {
    if (!ctx.io.env.RUNPROV_GIT_TIMEOUT && loaded.setKeys.has("git_timeout")) {
      git.timeoutMs = Math.round(loaded.config.git_timeout * 1000);
    }
  };
  if (early) applyTimeout(early.loaded);
  let config: LoadedConfig | undefined;
  const facts = await captureGit(git, {
    prepare: async (info: Location) => {
      // The early read is the same file unless git found another top: read it once.
      config = early && (early.root === null || early.root === info.root)
        ? early.loaded
        : await configFor(ctx, info.root);
      applyTimeout(config);
      return {
        untracked: config.config.untracked,
        tagPrefix: config.config.tag.prefix,
        ignore: ignorePredicate(config.config, info.root),
      };
    },
  });
  config ??= await configFor(ctx, facts.root);
  return { facts, config, git };
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

/** The outcome of a capture: the record and where it was stored (null: not stored). */
export interface Captured {
  record: RunRecord;
  path: string | null;
  /** The configuration the capture used. */
  config?: LoadedConfig;
}

/**
 * The whole capture of `stamp` and `env`: options, git, policy, record. `out` is where to
 * store the record: undefined for the default path, `-` (or null) for nowhere.
 */
export async function captureRun(
  ctx: Context,
  values: ParsedArgs["values"],
  out?: string | null,
  init: { status?: RunStatus; command?: CommandFacts; from?: string } = {},
): Promise<Captured> {
  const planned = await planRun(ctx, values, out, init);
  if (planned.path !== null) await storeRecord(planned.path, planned.record);
  return planned;
}

/**
 * {@link captureRun} without the final write: the record and the path it will be stored
 * at (directories created), so a caller can render its output before storing anything.
 */
export async function planRun(
  ctx: Context,
  values: ParsedArgs["values"],
  out?: string | null,
  init: { status?: RunStatus; command?: CommandFacts; from?: string } = {},
): Promise<Captured> {
  const givenId = str(values["run-id"]);
  const runId = givenId !== undefined ? checkRunId(givenId) : newRunId();
  resolvePolicy(values, ctx.io.env); // bad flags fail before git runs
  if (init.from !== undefined) return await planFromRecord(ctx, values, out, runId, init);
  const { facts, config, git } = await captureConfigured(ctx);
  const policy = resolvePolicy(values, ctx.io.env, config);
  const decision = decide(policy.mode, facts, policy.allowDirty);
  enforce(ctx, decision);
  const path = await recordTarget(ctx, out, facts.root ?? ctx.global.dir, config, runId);
  if (path !== null && out !== undefined) await ensureParent(path);
  // Untracked files that count go into the patch too: a snapshot rebuilds them from it.
  const untracked = facts.untracked_counts && facts.untracked.length > 0 && facts.root
    ? { top: facts.root, paths: facts.untracked }
    : null;
  if (
    path !== null && facts.available && (facts.changed.length > 0 || untracked) &&
    config.config.patch.capture
  ) {
    facts.patch = await patchOrWarn(ctx, git, facts.sha, patchPathFor(path), config, untracked);
  }
  const record = assemble(ctx, runId, str(values.name) ?? null, facts, decision, init);
  return { record, path, config };
}

/** Where a record goes: `--out FILE`, nowhere (`-`, null), or the record directory. */
function recordTarget(
  ctx: Context,
  out: string | null | undefined,
  base: string,
  config: LoadedConfig,
  runId: string,
): Promise<string | null> | string | null {
  if (out === "-" || out === null) return null;
  if (out !== undefined) return isAbsolute(out) ? out : resolve(ctx.io.cwd, out);
  return defaultRecordPath(base, config.config.dir, runId);
}

/** The record of a run from its parts and this host. */
function assemble(
  ctx: Context,
  runId: string,
  name: string | null,
  facts: GitFacts,
  decision: Decision,
  init: { status?: RunStatus; command?: CommandFacts },
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
  init: { status?: RunStatus; command?: CommandFacts; from?: string },
): Promise<Captured> {
  const from = isAbsolute(init.from!) ? init.from! : resolve(ctx.io.cwd, init.from!);
  const source = await readRecordOrFail(from);
  const config = await configFor(ctx, null);
  const policy = resolvePolicy(values, ctx.io.env, config);
  const facts: GitFacts = structuredClone(source.git);
  const decision = decide(policy.mode, facts, policy.allowDirty);
  enforce(ctx, decision);
  const path = await recordTarget(ctx, out, ctx.global.dir, config, runId);
  const record = assemble(ctx, runId, str(values.name) ?? source.name, facts, decision, init);
  record.from = { path: from, run_id: source.run_id, created_at: source.created_at };
  return { record, path, config };
}

/** Store the run's patch; a failure is a warning (the run goes on, `git.patch` stays null). */
async function patchOrWarn(
  ctx: Context,
  git: Git,
  sha: string,
  path: string,
  config: LoadedConfig,
  untracked: UntrackedFiles | null,
): Promise<PatchFact | null> {
  try {
    const patch = await capturePatch(git, sha, path, config.config.patch.max_bytes, untracked);
    if (patch.truncated) {
      ctx.warn(
        `warning: the patch of this dirty run was cut at ${patch.bytes} bytes ` +
          `(patch.max_bytes); ${path} will not apply`,
      );
    }
    return patch;
  } catch (err) {
    ctx.warn(`warning: could not store the patch of this dirty run: ${(err as Error).message}`);
    return null;
  }
}

/**
 * The default path of run `runId`'s record under the repository (or directory) `base`, the
 * record directory created (with `.runprov/.gitignore`, or its own `.gitignore` elsewhere
 * in the tree, so records never dirty it).
 */
export async function defaultRecordPath(
  base: string,
  configured: string,
  runId: string,
): Promise<string> {
  const dir = recordDir(base, configured);
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

/** Create the directory an `--out FILE` goes into (`--out "$HOME/runs/$SLURM_JOB_ID.json"`). */
async function ensureParent(path: string): Promise<void> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw recordWriteError(path, err);
  }
}

/** Store a record atomically; failures are clear errors naming the path. */
export async function storeRecord(path: string, record: RunRecord): Promise<void> {
  try {
    await writeFileAtomic(path, serializeRecord(record));
  } catch (err) {
    throw recordWriteError(path, err);
  }
}
