/** `runprov tag --run ID`: the run's annotated tag on the run's own commit. */
import { isAbsolute, resolve } from "../util/paths.ts";
import { parseCommandArgs, splitPush, str } from "../cli/args.ts";
import { clipped, Exit, RunprovError, shown, shownPath, usageError } from "../errors.ts";
import { configFor } from "../config/for_command.ts";
import { gitFor } from "../run/git_for.ts";
import { policyRequest, resolvePolicy } from "../run/run_options.ts";
import { dirtyList } from "../run/policy.ts";
import {
  checkTagRunId,
  resolveTagSettings,
  tagName,
  type TagSettings,
  type TagSubject,
} from "../tag/names.ts";
import { subjectFromRecord, tagOutcome, tagRun } from "../tag/tag_run.ts";
import { describeSkippingRunTags } from "../tag/describe.ts";
import { findRunRecord, recordDirFor, requireRepo } from "../run/lookup.ts";
import { snapshotOf, snapshotProblem } from "../snapshot/build.ts";
import { readRecordFile, type StoredRecord } from "../run/store.ts";
import type { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import type { Context } from "../io.ts";

export const TAG_HELP = `runprov tag: tag the commit a run used

Usage: runprov tag --run ID [--from FILE] [--commit REV] [--url URL] [--push [REMOTE]]
                   [--sign] [--policy strict|warn|off] [--strict] [--allow-dirty REASON]

Creates the annotated tag run/ID on the commit recorded for run ID, never on whatever
HEAD is now; with config "tag": { "refs": "runprov" } it is refs/runprov/tags/run/ID,
which git describe (and so version numbers) never sees and plain clones never fetch. The commit comes from --from FILE, else the record in .runprov/runs/ID.json,
else RUNPROV_FILE / RUNPROV_GIT_SHA when RUNPROV_RUN_ID is ID; without any of them,
--commit REV is required. A dirty run (allowed under strict with --allow-dirty) is tagged
on its snapshot, the recorded commit plus its patch (refs/runprov/snapshots/ID, built if
needed), so 'git checkout run/ID' gives exactly what ran; the message still names the
recorded commit (Runprov-Commit) and the patch's sha256, plus Runprov-Snapshot. Without a
complete patch it is tagged on the recorded commit, with a warning. A tag already on that
commit (for a dirty run: the snapshot or the recorded commit) is success (a note says
so); on another commit it is exit 5 and nothing changes (runprov never moves a tag).

Options:
  --run ID              the run to tag (required)
  --from FILE           take the run's commit from this record file
  --commit REV          the commit to tag when there is no record (must match one if there is)
  --url URL             the run's page (tracker URL), written into the tag message
  --push [REMOTE]       push only this tag to REMOTE (a configured remote name; default origin)
  --sign                make a signed tag with git's signing setup (git tag -s)
  --policy MODE         strict refuses to tag a run that was dirty (exit 3)
  --strict              short for --policy strict
  --allow-dirty REASON  tag a dirty run under strict anyway, recording why

Exit: 0 tagged (or already tagged there), 2 usage, 3 dirty run under strict,
5 tag on another commit or push failed (the local tag stays).
`;

/** Run `tag`. */
export async function tag(ctx: Context, argv: string[]): Promise<number> {
  const { rest, push } = splitPush(argv, "tag");
  const { values } = parseCommandArgs("tag", rest, {
    run: { type: "string" },
    from: { type: "string" },
    commit: { type: "string" },
    url: { type: "string" },
    sign: { type: "boolean" },
    policy: { type: "string" },
    strict: { type: "boolean" },
    "allow-dirty": { type: "string" },
  });
  if (values.help) {
    await ctx.io.stdout(TAG_HELP);
    return 0;
  }
  const id = str(values.run);
  if (id === undefined) throw usageError("tag: --run ID is required", "see 'runprov tag --help'");
  checkTagRunId(id, resolveTagSettings());
  const request = policyRequest(values, ctx.io.env); // bad flags fail before git runs
  const git = await gitFor(ctx);
  const info = await requireRepo(git, "runprov tag");
  const loaded = await configFor(ctx, info.root);
  const settings = resolveTagSettings(loaded.config);
  checkTagRunId(id, settings);
  const policy = resolvePolicy(request, loaded);

  const found = await findSubject(ctx, git, info, id, values, settings);
  const s = found.subject;
  if (s.dirty) {
    if (policy.mode === "strict" && policy.allowDirty === undefined) {
      const list = found.stored ? `:\n${dirtyList(found.stored.record.git)}` : "";
      throw new RunprovError(
        `strict policy: run ${id} was dirty; its commit ${s.sha.slice(0, 12)} lacks ` +
          `the uncommitted changes it ran with${list}`,
        Exit.policy,
        "tag it anyway with --allow-dirty REASON (the tag then goes on the run's snapshot), " +
          "or tag a clean run",
      );
    }
    const why = await tagOnSnapshot(git, info, s, found.stored);
    if (why === null) {
      ctx.warn(
        `note: run ${id} was dirty: tagging its snapshot ${s.target!.slice(0, 12)} ` +
          `(${s.sha.slice(0, 12)} plus its patch), so git checkout ${tagName(settings, id)} ` +
          "gives exactly what ran",
      );
    } else if (policy.mode !== "off" || policy.allowDirty !== undefined) {
      ctx.warn(
        `warning: run ${id} was dirty: ${s.sha.slice(0, 12)} alone does not reproduce it` +
          (s.patchSha256 ? ` (patch sha256 ${s.patchSha256.slice(0, 12)} in the tag)` : "") +
          `; no snapshot to tag instead: ${why}`,
      );
    }
  }

  const remote = push === undefined ? undefined : push === true ? settings.remote : push;
  const res = await tagRun(git, s, settings, {
    now: ctx.io.now(),
    url: str(values.url) ?? null,
    push: remote,
    sign: values.sign === true ? true : undefined,
    allowDirty: s.dirty ? policy.allowDirty ?? null : null,
  });
  const outcome = tagOutcome(res, id, s.source);
  for (const note of outcome.notes) ctx.warn(note);
  if (outcome.error) throw outcome.error;
  await ctx.io.stdout(`${res.tag}\n`);
  return 0;
}

interface Found {
  subject: TagSubject;
  stored: StoredRecord | null;
}

/**
 * Point a dirty run's tag at its snapshot (built if needed): sets `s.target` and returns
 * null, or returns why there is none (no record here, no complete patch).
 */
async function tagOnSnapshot(
  git: Git,
  info: RepoInfo,
  s: TagSubject,
  stored: StoredRecord | null,
): Promise<string | null> {
  if (!stored) return "its record is not here";
  if (s.source === "commit") return "--commit names the commit to tag";
  const problem = snapshotProblem(stored.record);
  if (problem) return problem;
  const snap = await snapshotOf(git, stored, { top: info.root, shallow: info.shallow });
  s.target = snap.commit;
  return null;
}

/** The run's commit: --from, the record dir, RUNPROV_FILE / RUNPROV_GIT_SHA, --commit. */
async function findSubject(
  ctx: Context,
  git: Git,
  info: RepoInfo,
  id: string,
  values: Record<string, unknown>,
  settings: TagSettings,
): Promise<Found> {
  const env = ctx.io.env;
  const from = str(values.from as string | undefined);
  const commitRev = str(values.commit as string | undefined);
  let stored: StoredRecord | null = null;
  let source: TagSubject["source"] = "record";
  if (from !== undefined) {
    const path = isAbsolute(from) ? from : resolve(ctx.io.cwd, from);
    stored = await readRecordFile(path);
    if (!stored) throw usageError(`--from ${shownPath(from)}: no such file`);
    source = "file";
  } else {
    stored = await findRunRecord(info, settings, id);
    if (!stored && env.RUNPROV_RUN_ID === id && env.RUNPROV_FILE) {
      stored = await readRecordFile(env.RUNPROV_FILE).catch(() => null);
      source = "env";
    }
  }
  if (stored && stored.record.run_id !== id) {
    throw usageError(
      `${shownPath(stored.path)} is the record of run ${clipped(stored.record.run_id)}, not ${id}`,
      "pass the matching --run ID or record file",
    );
  }
  let subject: TagSubject | null = null;
  if (stored && stored.record.git.sha !== "unknown") {
    subject = subjectFromRecord(stored.record, source, stored.sha256);
  } else if (
    !stored && env.RUNPROV_RUN_ID === id && /^[0-9a-f]{40}$/.test(env.RUNPROV_GIT_SHA ?? "")
  ) {
    subject = {
      runId: id,
      sha: env.RUNPROV_GIT_SHA,
      name: null,
      describe: env.RUNPROV_GIT_DESCRIBE || null,
      dirty: env.RUNPROV_GIT_DIRTY === "true"
        ? true
        : env.RUNPROV_GIT_DIRTY === "false"
        ? false
        : null,
      patchSha256: null,
      createdAt: null,
      recordSha256: null,
      source: "env",
    };
  }
  if (commitRev !== undefined) {
    const sha = await git.resolveCommit(commitRev);
    if (sha === null) {
      throw usageError(`--commit ${shown(commitRev)}: no such commit in this repository`);
    }
    if (subject) {
      if (subject.sha !== sha) {
        throw usageError(
          `--commit ${shown(commitRev)} is ${sha}, but run ${id} recorded ${clipped(subject.sha)}`,
          "drop --commit to tag the recorded commit",
        );
      }
      return { subject, stored };
    }
    const describe = await describeSkippingRunTags(git, sha, settings.prefix).then(
      (d) => d.describe,
      () => null,
    );
    return {
      subject: {
        runId: id,
        sha,
        name: stored?.record.name ?? null,
        describe,
        dirty: null,
        patchSha256: null,
        createdAt: stored?.record.created_at ?? null,
        recordSha256: stored?.sha256 ?? null,
        source: "commit",
      },
      stored,
    };
  }
  if (subject) return { subject, stored };
  throw usageError(
    stored
      ? `run ${id}'s record has no commit (git was unavailable: ${
        clipped(String(stored.record.git.reason ?? "unknown"), 200)
      })`
      : `no record of run ${id} (looked for ${
        shownPath(`${recordDirFor(info.root, settings)}/${id}.json`)
      } and RUNPROV_RUN_ID/RUNPROV_GIT_SHA)`,
    "give the commit explicitly with --commit REV (runprov never tags the current HEAD " +
      "on its own), or --from FILE with the run's record",
  );
}
