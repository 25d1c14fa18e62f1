/** `runprov verify ID|FILE`: does this checkout hold exactly the code of that run? */
import { isAbsolute, resolve } from "../util/paths.ts";
import { parseCommandArgs } from "../cli/args.ts";
import { clipped, Exit, RunprovError, shown, usageError } from "../errors.ts";
import { configFor, gitFor, ignorePredicate } from "../run/session.ts";
import { captureGit } from "../run/capture.ts";
import { findRecord, recordDirFor, requireRepo } from "../run/lookup.ts";
import { readRecordFile, sha256Hex, type StoredRecord } from "../run/history.ts";
import {
  parseTrailers,
  readNamespaces,
  resolveTagSettings,
  subjectFromTrailers,
  tagName,
} from "../tag/names.ts";
import { runIdProblem } from "../run/run_id.ts";
import { compareCode, type ExpectedCode } from "../run/verify.ts";
import type { RunRecord } from "../run/record.ts";
import type { Context } from "../io.ts";

export const VERIFY_HELP = `runprov verify: is this checkout exactly the code of a run?

Usage: runprov verify ID|FILE

Compares the checkout with the run (its record in .runprov/runs/ID.json, a record FILE,
or else the tag run/ID): same commit, and a clean tree, or, for a run that was dirty, the
same uncommitted changes (sha256 of the tracked diff equals the record's patch sha256).
Paths matching the configuration's ignore globs never count, as when the run was
captured. Untracked files are not compared.

Exit: 0 same code; 3 it differs (what differs is listed) or equality cannot be proven.
`;

function expectedFromRecord(r: RunRecord): ExpectedCode {
  return {
    runId: r.run_id,
    sha: r.git.sha,
    // Untracked files are not compared: a run dirty only by them (`untracked: "dirty"`) had
    // a clean tracked tree.
    dirty: r.git.untracked_counts ? (r.git.changed ?? []).length > 0 : r.git.dirty,
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
  const loaded = await configFor(ctx, info.root);
  const settings = resolveTagSettings(loaded.config);

  let expected: ExpectedCode | null = null;
  let stored: StoredRecord | null = null;
  if (runIdProblem(arg) === null) {
    stored = await findRecord(recordDirFor(info.root, settings), arg);
    if (!stored) {
      const tag = await git.tagInfo(tagName(settings, arg), readNamespaces(settings));
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
        `verify: no run ${shown(arg)}: no record, no tag ${
          clipped(tagName(settings, arg))
        }, no such file`,
        "give a run id (see runprov runs) or a record file",
      );
    }
  }
  if (stored) expected = expectedFromRecord(stored.record);
  const e = expected!;
  const run = clipped(e.runId); // a record FILE names any run id it likes
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(e.sha)) {
    throw new RunprovError(
      `cannot verify run ${run}: its record has no commit (git was unavailable)`,
      Exit.policy,
    );
  }

  // Judged as a capture judges it: ignored paths never count, untracked files are listed
  // (not compared) unless the configuration says not even that.
  const facts = await captureGit(git, {
    tagPrefix: settings.prefix,
    untracked: loaded.config.untracked === "ignore" ? "ignore" : "report",
    ignore: ignorePredicate(loaded.config, info.root),
    ignoreInsideDirs: loaded.config.ignore.length > 0,
  });
  if (!facts.available) {
    throw new RunprovError(`cannot verify run ${run}: ${facts.reason}`, Exit.git);
  }
  const needPatch = e.dirty === true && facts.dirty && e.patch !== null && !e.patch.truncated;
  const patchSha = needPatch ? sha256Hex(await git.trackedDiff()) : null;
  const result = compareCode(e, {
    sha: facts.sha,
    dirty: facts.dirty,
    changed: facts.changed.map((c) => c.path),
    patchSha256: patchSha,
  });
  if (e.dirty === null) {
    ctx.warn(
      `note: run ${run}'s tag does not say whether its tree was dirty; compared as clean`,
    );
  }
  if (facts.untracked.length > 0) {
    ctx.warn(`note: ${facts.untracked.length} untracked file(s) are not compared`);
  }
  if (!result.ok) {
    throw new RunprovError(
      `this checkout is not the code of run ${run}:\n${
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
    `ok: this checkout is the code of run ${run} (${e.sha.slice(0, 12)}${
      e.dirty ? " plus its recorded patch" : ", clean"
    })\n`,
  );
  return 0;
}
