/** `runprov diff A B`: the code difference between two runs (their snapshots), or a checkout. */
import { parseCommandArgs } from "../cli/args.ts";
import { Exit, RunprovError, shown, usageError } from "../errors.ts";
import { gitFor } from "../run/git_for.ts";
import { captureConfigured, untrackedForPatch } from "../run/session.ts";
import { requireRepo } from "../run/lookup.ts";
import { runIdProblem } from "../run/run_id.ts";
import { tagSettingsFor } from "../tag/tag_run.ts";
import type { RunCode } from "../snapshot/source.ts";
import { commitWithPatch } from "../snapshot/build.ts";
import { currentPatch } from "../run/patch.ts";
import { diffHeader, type Side } from "../snapshot/compare.ts";
import { SNAPSHOT_HELP } from "./restore.ts";
import type { ConfiguredCapture } from "../run/session.ts";
import type { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import type { TagSettings } from "../tag/names.ts";
import { codeOfRunHereOrShared } from "./remote_run.ts";
import type { Context } from "../io.ts";

export const DIFF_HELP = `runprov diff: what changed in the code between two runs

Usage: runprov diff A B [--stat | --name-only] [--no-header]

A and B are run ids, or HEAD (this checkout's commit) or WORKTREE (this checkout now:
HEAD plus its uncommitted changes, and its untracked files when config untracked is
"dirty"). Each run is compared by its snapshot, so uncommitted edits count. The output
is a git-style unified diff of B against A (binary files named, not shown; renames
found), or --stat, or --name-only. Before it, '# ' header lines name both sides' commits
and list what else differs in their records: branch, describe, command, policy, host,
created_at, and for two runs their environments: python, packages added, removed or
changed, GPU driver, variables (git apply skips such lines). --name-only prints names only.

${SNAPSHOT_HELP}

Options:
  --stat        a diffstat instead of the patch
  --name-only   only the names of changed files (no header)
  --no-header   leave the '# ' header out

Exit: 0 the code is identical, 1 it differs (like git diff --exit-code), 2 usage or no
such run or a run that cannot have a snapshot, 4 a run's commit is not in this
repository or git failed, 5 a snapshot ref holds another commit.
`;

const PSEUDO = new Set(["HEAD", "WORKTREE"]);

/** Run `diff`. */
export async function diff(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("diff", args, {
    stat: { type: "boolean" },
    "name-only": { type: "boolean" },
    "no-header": { type: "boolean" },
  }, true);
  if (values.help) {
    await ctx.io.stdout(DIFF_HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    throw usageError("diff: give two runs (ids, HEAD or WORKTREE)", "usage: runprov diff A B");
  }
  if (values.stat && values["name-only"]) {
    throw usageError("diff: --stat and --name-only do not go together", "give one of them");
  }
  for (const p of positionals) {
    const problem = PSEUDO.has(p) ? null : runIdProblem(p);
    if (problem) {
      throw usageError(
        `diff: invalid run id ${shown(p)}: ${problem}`,
        "give run ids (see runprov runs), HEAD or WORKTREE",
      );
    }
  }
  // This checkout is captured once, and only when a side needs it.
  const capture = positionals.some((p) => PSEUDO.has(p)) ? await captureConfigured(ctx) : null;
  const git = capture?.git ?? await gitFor(ctx);
  const info = await requireRepo(git, "runprov diff");
  const settings = await tagSettingsFor(ctx, info.root);
  const [a, b] = await Promise.all(
    positionals.map((p) => sideOf(ctx, git, info, settings, p, capture)),
  );
  const format = values.stat ? "stat" : values["name-only"] ? "name-only" : "patch";
  // Trees read with the snapshot refs need no second look.
  const unknown = [a, b].filter((s) => s.tree === undefined);
  const found = unknown.length ? await git.treesOf(unknown.map((s) => s.commit)) : [];
  unknown.forEach((s, i) => s.tree = found[i]);
  const [ta, tb] = [a.tree, b.tree];
  if (format !== "name-only" && !values["no-header"]) {
    const header = diffHeader(a, b);
    if (ta === tb) header.push("# code: identical");
    await ctx.io.stdout(header.join("\n") + "\n");
  }
  if (ta === tb) return 0;
  const decoder = new TextDecoder();
  const differ = await git.diffTrees(a.commit, b.commit, format, async (chunk) => {
    await ctx.io.stdout(decoder.decode(chunk, { stream: true }));
    return true;
  });
  const rest = decoder.decode();
  if (rest) await ctx.io.stdout(rest);
  return differ ? 1 : 0;
}

/** One side of the diff: a run's snapshot, HEAD, or the working tree as a commit. */
async function sideOf(
  ctx: Context,
  git: Git,
  info: RepoInfo,
  settings: TagSettings,
  label: string,
  capture: ConfiguredCapture | null,
): Promise<Side> {
  if (!PSEUDO.has(label)) {
    const code = await codeOfRunHereOrShared(ctx, git, info, settings, label);
    for (const w of code.warnings) ctx.warn(`warning: ${w}`);
    return {
      label,
      commit: code.commit,
      tree: code.tree,
      what: describeCode(code),
      record: code.stored?.record ?? null,
    };
  }
  const facts = capture!.facts;
  if (!facts.available) {
    throw new RunprovError(`diff: cannot read this checkout's ${label}: ${facts.reason}`, Exit.git);
  }
  const describe = facts.describe?.replace(/-dirty$/, "") ?? null;
  if (label === "HEAD") {
    return {
      label,
      commit: facts.sha,
      what: "this checkout's commit",
      record: null,
      branch: facts.branch,
      describe,
    };
  }
  if (!facts.dirty) {
    return {
      label,
      commit: facts.sha,
      what: "this checkout, clean",
      record: null,
      branch: facts.branch,
      describe,
    };
  }
  const untracked = facts.untracked_counts && facts.untracked.length > 0
    ? {
      top: info.root,
      paths: await untrackedForPatch(git, info.root, facts.untracked, capture!.config.config),
    }
    : null;
  const patch = await currentPatch(git, facts.sha, untracked);
  const commit = await commitWithPatch(git, info.root, facts.sha, patch, {
    message: `runprov: the working tree of ${info.root} (not a run)\n`,
    time: Math.floor(ctx.io.now().getTime() / 1000),
  });
  return {
    label,
    commit,
    what: `this checkout: ${facts.sha.slice(0, 12)} plus its uncommitted changes`,
    record: null,
    branch: facts.branch,
    describe: facts.describe,
  };
}

function describeCode(code: RunCode): string {
  const r = code.stored?.record;
  if (r) {
    if (r.git.dirty) return `snapshot: ${r.git.sha.slice(0, 12)} plus the run's patch`;
    return r.rerun_of
      ? `rerun of ${r.rerun_of}: the snapshot it ran, clean`
      : "the run's recorded commit, clean";
  }
  return code.from === "tag" ? "from its run tag" : "from its snapshot ref";
}
