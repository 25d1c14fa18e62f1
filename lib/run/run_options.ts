/**
 * The options of the capturing commands (`stamp`, `env`, `exec`, `check`) and the policy
 * they resolve to: `--policy`/`--strict`, then `RUNPROV_POLICY`, then the config's `policy`.
 */
import type { OptionSpec, ParsedArgs } from "../cli/args.ts";
import { str } from "../cli/args.ts";
import { shown, usageError } from "../errors.ts";
import type { LoadedConfig } from "../config/config.ts";
import { POLICY_MODES, type PolicyMode } from "./policy.ts";

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

/** What the flags and variables ask of the policy, checked; the config is not read yet. */
export interface PolicyRequest {
  /** The mode the flags or RUNPROV_POLICY set, if any. */
  given: { mode: PolicyMode; source: "flag" | "env" } | null;
  allowDirty?: string;
}

/**
 * Check the policy flags and variables (usage errors before git runs), e.g.
 * `policyRequest({ strict: true }, {})` gives `{ given: { mode: "strict", source: "flag" } }`.
 */
export function policyRequest(
  values: ParsedArgs["values"],
  env: Record<string, string>,
): PolicyRequest {
  const flag = str(values.policy);
  if (values.strict && flag !== undefined && flag !== "strict") {
    throw usageError(`--strict conflicts with --policy ${shown(flag)}`, "give one of them");
  }
  let given: PolicyRequest["given"] = null;
  if (values.strict) given = { mode: "strict", source: "flag" };
  else if (flag !== undefined) given = { mode: checkMode(flag, "--policy"), source: "flag" };
  else if (env.RUNPROV_POLICY) {
    given = { mode: checkMode(env.RUNPROV_POLICY, "RUNPROV_POLICY"), source: "env" };
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
  return { given, allowDirty };
}

/** The policy of a checked request: its mode, else the config's `policy`, else `warn`. */
export function resolvePolicy(request: PolicyRequest, config?: LoadedConfig): PolicySettings {
  const allowDirty = request.allowDirty;
  if (request.given) {
    return { mode: request.given.mode, modeSource: request.given.source, allowDirty };
  }
  if (config?.setKeys.has("policy")) {
    return { mode: config.config.policy, modeSource: "file", allowDirty };
  }
  return { mode: "warn", modeSource: "default", allowDirty };
}

function checkMode(value: string, source: string): PolicyMode {
  if ((POLICY_MODES as readonly string[]).includes(value)) return value as PolicyMode;
  throw usageError(
    `invalid policy ${shown(value)} (${source})`,
    `use one of: ${POLICY_MODES.join(", ")}`,
  );
}
