/** `runprov check`: apply the clean-tree policy only; exit 0, or 3 (4) when refused. */
import { parseCommandArgs } from "../cli/args.ts";
import { captureConfigured } from "../run/session.ts";
import { POLICY_OPTIONS, policyRequest, resolvePolicy } from "../run/run_options.ts";
import { decide } from "../run/policy.ts";
import type { Context } from "../io.ts";

export const CHECK_HELP = `runprov check: apply the clean-tree policy, write nothing

Usage: runprov check [--policy strict|warn|off] [--strict] [--allow-dirty REASON] [--json]

Exit 0 when the tree is clean or the policy lets it pass; 3 under strict with a dirty tree
or outside a repository; 4 under strict when git is unusable. Lists what is dirty (at most
20 paths) and how to proceed. Writes no record.

Options:
  --policy MODE         strict | warn | off (else RUNPROV_POLICY, config "policy", warn)
  --strict              short for --policy strict
  --allow-dirty REASON  let a strict check pass on a dirty tree (or RUNPROV_ALLOW_DIRTY)
  --json                print the verdict as JSON on stdout
`;

/** Run `check`. */
export async function check(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("check", args, {
    ...POLICY_OPTIONS,
    json: { type: "boolean" },
  });
  if (values.help) {
    await ctx.io.stdout(CHECK_HELP);
    return 0;
  }
  const request = policyRequest(values, ctx.io.env); // bad flags fail before git runs
  const { facts, config } = await captureConfigured(ctx);
  const policy = resolvePolicy(request, config);
  const decision = decide(policy.mode, facts, policy.allowDirty);
  if (decision.message) {
    if (decision.exitCode !== 0) {
      ctx.io.stderr(
        `runprov: ${decision.message}\n${decision.hint ? `hint: ${decision.hint}\n` : ""}`,
      );
    } else {
      ctx.warn(decision.message);
    }
  }
  if (values.json) {
    const verdict = {
      mode: policy.mode,
      mode_source: policy.modeSource,
      verdict: decision.record.verdict,
      reason: decision.record.reason,
      exit_code: decision.exitCode,
      available: facts.available,
      reason_code: facts.reason_code,
      root: facts.root,
      sha: facts.sha,
      dirty: facts.dirty,
      changed: facts.changed,
      untracked: facts.untracked,
      untracked_counts: facts.untracked_counts,
      config: config.file,
    };
    await ctx.io.stdout(JSON.stringify(verdict, null, 2) + "\n");
  }
  return decision.exitCode;
}
