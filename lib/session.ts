/**
 * The capture flow shared by `stamp`, `env`, `check` and `exec`: resolve the run options,
 * ask git once, apply the policy, build the record and store it.
 */
import { DEFAULT_GIT_TIMEOUT_MS, Git, inheritedGitVars } from "./git.ts";
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
import { checkRunId, newRunId } from "./runid.ts";
import { ensureRunprovDir, recordDir, recordPath, writeFileAtomic } from "./store.ts";
import { RunprovError, shown, usageError } from "./errors.ts";
import { VERSION } from "./version.ts";
import type { Context } from "./io.ts";
import type { OptionSpec, ParsedArgs } from "./args.ts";
import { str } from "./args.ts";
import { isAbsolute, resolve } from "node:path";

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
  modeSource: "flag" | "env" | "default";
  allowDirty?: string;
}

/** Policy mode: `--policy`/`--strict`, then `RUNPROV_POLICY`, then `warn`. */
export function resolvePolicy(
  values: ParsedArgs["values"],
  env: Record<string, string>,
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

/** Git time limit from `RUNPROV_GIT_TIMEOUT` (seconds, may be fractional). */
export function gitTimeoutMs(env: Record<string, string>): number {
  const raw = env.RUNPROV_GIT_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_GIT_TIMEOUT_MS;
  const n = Number(raw);
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

/** Capture git facts for the context's directory. */
export function captureFacts(ctx: Context): Promise<GitFacts> {
  return captureGit(gitFor(ctx));
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
}

/**
 * The whole capture of `stamp` and `env`: options, git, policy, record. `out` is where to
 * store the record: undefined for the default path, `-` (or null) for nowhere.
 */
export async function captureRun(
  ctx: Context,
  values: ParsedArgs["values"],
  out?: string | null,
  init: { status?: RunStatus; command?: CommandFacts } = {},
): Promise<Captured> {
  const givenId = str(values["run-id"]);
  const runId = givenId !== undefined ? checkRunId(givenId) : newRunId();
  const policy = resolvePolicy(values, ctx.io.env);
  const facts = await captureFacts(ctx);
  const decision = decide(policy.mode, facts, policy.allowDirty);
  enforce(ctx, decision);
  const record = buildRecord({
    runId,
    name: str(values.name) ?? null,
    createdAt: ctx.io.now(),
    git: facts,
    policy: decision.record,
    host: hostFacts(ctx.io.env),
    version: VERSION,
    status: init.status,
    command: init.command,
  });
  if (out === "-" || out === null) return { record, path: null };
  const path = out !== undefined
    ? (isAbsolute(out) ? out : resolve(ctx.io.cwd, out))
    : await defaultRecordPath(facts.root ?? ctx.global.dir, runId);
  await storeRecord(path, record);
  return { record, path };
}

async function defaultRecordPath(base: string, runId: string): Promise<string> {
  const dir = recordDir(base);
  try {
    await ensureRunprovDir(base);
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    throw recordWriteError(dir, err);
  }
  return recordPath(dir, runId);
}

/** Store a record atomically; failures are clear errors naming the path. */
export async function storeRecord(path: string, record: RunRecord): Promise<void> {
  try {
    await writeFileAtomic(path, serializeRecord(record));
  } catch (err) {
    throw recordWriteError(path, err);
  }
}
