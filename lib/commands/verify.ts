/** `runprov verify ID|FILE`: does this checkout hold exactly the code of that run? */
import { isAbsolute, resolve } from "../util/paths.ts";
import { parseCommandArgs } from "../cli/args.ts";
import { Exit, RunprovError, usageError } from "../errors.ts";
import { gitFor } from "../run/session.ts";
import { captureGit } from "../run/capture.ts";
import { tagSettingsFor } from "../tag/tag_run.ts";
import { findRecord, recordDirFor, requireRepo } from "../run/lookup.ts";
import { readRecordFile, sha256Hex, type StoredRecord } from "../run/history.ts";
import { parseTrailers, subjectFromTrailers, tagName } from "../tag/names.ts";
import { runIdProblem } from "../run/run_id.ts";
import { compareCode, type ExpectedCode } from "../run/verify.ts";
import { currentPatch } from "../run/patch.ts";
import type { RunRecord } from "../run/record.ts";
import type { Context } from "../io.ts";

export const VERIFY_HELP = `runprov verify: is this checkout exactly the code of a run?

Usage: runprov verify ID|FILE

Compares the checkout with the run (its record in .runprov/runs/ID.json, a record FILE,
or else the tag run/ID): same commit, and a clean tree, or, for a run that was dirty, the
same uncommitted changes (sha256 of the tracked diff equals the record's patch sha256).
Untracked files are not compared.

Exit: 0 same code; 3 it differs (what differs is listed) or equality cannot be proven.
`;

function expectedFromRecord(r: RunRecord): ExpectedCode {
  return {
    runId: r.run_id,
    sha: r.git.sha,
    dirty: r.git.dirty,
    changed: (r.git.changed ?? []).map((c) => c.path),
    patch: r.git.patch ? { sha256: r.git.patch.sha256, truncated: r.git.patch.truncated } : null,
  };
}

/** Run `verify`. */
export async function verify(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("verify", args, {}, true);
  if (values.help) {
    await ctx.io.stdout(VERIFY_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw usageError("verify: give one run id or record file", "usage: runprov verify ID|FILE");
  }
  const arg = positionals[0];
  const git = gitFor(ctx);
  const info = await requireRepo(git, "runprov verify");
  const settings = await tagSettingsFor(ctx, info.root);

  let expected: ExpectedCode | null = null;
  let stored: StoredRecord | null = null;
  if (runIdProblem(arg) === null) {
    stored = await findRecord(recordDirFor(info.root, settings), arg);
    if (!stored) {
      const tag = await git.tagInfo(tagName(settings, arg));
      if (tag) {
        const s = subjectFromTrailers(parseTrailers(tag.message), tag.commit);
        expected = {
          runId: arg,
          sha: tag.commit,
          dirty: s?.dirty ?? null,
          changed: [],
          patch: s?.patchSha256 ? { sha256: s.patchSha256, truncated: false } : null,
        };
      }
    }
  }
  if (!stored && !expected) {
    const path = isAbsolute(arg) ? arg : resolve(ctx.io.cwd, arg);
    stored = await readRecordFile(path);
    if (!stored) {
      throw usageError(
        `verify: no run ${JSON.stringify(arg)}: no record, no tag ${
          tagName(settings, arg)
        }, no such file`,
        "give a run id (see runprov runs) or a record file",
      );
    }
  }
  if (stored) expected = expectedFromRecord(stored.record);
  const e = expected!;
  if (!/^[0-9a-f]{40}/.test(e.sha)) {
    throw new RunprovError(
      `cannot verify run ${e.runId}: its record has no commit (git was unavailable)`,
      Exit.policy,
    );
  }

  const withUntracked = stored?.record.git.patch?.untracked === true;
  const facts = await captureGit(git, {
    tagPrefix: settings.prefix,
    untracked: withUntracked ? "dirty" : "report",
  });
  if (!facts.available) {
    throw new RunprovError(`cannot verify run ${e.runId}: ${facts.reason}`, Exit.git);
  }
  const needPatch = e.dirty === true && facts.dirty && e.patch !== null && !e.patch.truncated;
  // A run whose untracked files counted stored them in its patch: hash them the same way.
  const untracked = withUntracked && facts.root
    ? { top: facts.root, paths: facts.untracked }
    : null;
  const patchSha = needPatch ? sha256Hex(await currentPatch(git, "HEAD", untracked)) : null;
  const result = compareCode(e, {
    sha: facts.sha,
    dirty: facts.dirty,
    changed: facts.changed.map((c) => c.path),
    patchSha256: patchSha,
  });
  if (e.dirty === null) {
    ctx.warn(
      `note: run ${e.runId}'s tag does not say whether its tree was dirty; compared as clean`,
    );
  }
  if (facts.untracked.length > 0) {
    ctx.warn(`note: ${facts.untracked.length} untracked file(s) are not compared`);
  }
  if (!result.ok) {
    throw new RunprovError(
      `this checkout is not the code of run ${e.runId}:\n${
        result.differences.map((d) => `  ${d}`).join("\n")
      }`,
      Exit.policy,
      `to get the run's commit: git checkout ${e.sha}` +
        (e.dirty && stored?.record.git.patch
          ? `, then git apply ${stored.record.git.patch.path}`
          : ""),
    );
  }
  await ctx.io.stdout(
    `ok: this checkout is the code of run ${e.runId} (${e.sha.slice(0, 12)}${
      e.dirty ? " plus its recorded patch" : ", clean"
    })\n`,
  );
  return 0;
}
