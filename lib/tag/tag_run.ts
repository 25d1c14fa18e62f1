/**
 * Tagging a run, as a library: `runprov tag` and `runprov exec` both call {@link tagRun}.
 * Nothing here prints or exits; results say what happened and errors are RunprovErrors.
 */
import { Git } from "../git/client.ts";
import { isIdentityError, type PushResult, type TagRef } from "../git/parse.ts";
import { GitError } from "../git/runner.ts";
import { type RunRecord, serializeRecord } from "../run/record.ts";
import { Exit, RunprovError, shown, usageError } from "../errors.ts";
import {
  checkSignable,
  checkTagRunId,
  resolveTagSettings,
  shownTag,
  TAG_NAMESPACES,
  type TagSettings,
  type TagSubject,
} from "./names.ts";
import { tagMessage, tagName } from "./names.ts";
import { sha256Hex } from "../util/sha256.ts";
import { redactPageUrl, redactText, urlSecrets } from "../git/redact_url.ts";
import { failureReason } from "../run/failure_reason.ts";
import type { Context } from "../io.ts";
import { configFor } from "../config/for_command.ts";

/**
 * The tag settings of a command invocation: `runprov.jsonc` keys `dir` and `tag` (found at
 * `root`, or `--config`/`RUNPROV_CONFIG`) over the defaults of docs/configuration.md.
 */
export async function tagSettingsFor(ctx: Context, root: string | null): Promise<TagSettings> {
  return resolveTagSettings((await configFor(ctx, root)).config);
}

/** Options of one {@link tagRun} call. */
export interface TagRunOptions {
  /** Time written as `Runprov-Created`. */
  now: Date;
  /** Run URL (tracker page) for the message; its credentials are removed here. */
  url?: string | null;
  /**
   * Remote to push the tag to after creating it (by configured name). `undefined`: push
   * to `settings.remote` when `settings.push`; `null`: do not push.
   */
  push?: string | null;
  /** Signed tag; defaults to `settings.sign`. */
  sign?: boolean;
  /** `--allow-dirty` reason to record as `Runprov-Allow-Dirty`. */
  allowDirty?: string | null;
}

/** What {@link tagRun} did. */
export interface TagRunResult {
  /** The tag as shown to the user: `run/<id>`, or `refs/runprov/tags/run/<id>` ({@link shownTag}). */
  tag: string;
  /** The full ref (`refs/tags/run/<id>` or `refs/runprov/tags/run/<id>`). */
  ref: string;
  /** The commit the run's tag should be on (a dirty run's: its snapshot). */
  commit: string;
  /** `created`: this call made it; `exists`: already on this commit; `conflict`: on another. */
  state: "created" | "exists" | "conflict";
  /** The tag as found (for `exists` and `conflict`; after creation for `created`). */
  existing: TagRef | null;
  /** The push, when one was asked for and the tag is on the run's commit. */
  push: (PushResult & { remote: string }) | null;
  /** The commit is on no remote-tracking branch (null: not known; only checked to push). */
  unpublished: boolean | null;
  /** Commands that retry a failed push. */
  retry: string[];
}

/** The tag subject of a record (what its tag's trailers will say). */
export function subjectFromRecord(
  record: RunRecord,
  source: TagSubject["source"] = "record",
  recordSha256: string | null = sha256Hex(serializeRecord(record)),
): TagSubject {
  return {
    runId: record.run_id,
    sha: record.git.sha,
    name: record.name ?? null,
    describe: record.git.describe ?? null,
    dirty: record.git.available === false ? null : record.git.dirty,
    patchSha256: record.git.patch?.sha256 ?? null,
    createdAt: record.created_at,
    recordSha256,
    source,
    allowDirty: record.policy?.verdict === "allowed" ? record.policy.reason : null,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Create the run's annotated tag on its recorded commit, create-only, then push it when
 * asked. Idempotent: the tag already on that commit is `exists` (and is still pushed);
 * on another commit it is `conflict` and nothing changes. Throws RunprovError for a
 * commit that is not in the repository (2), a missing identity (2), a signing failure (2)
 * or an unknown push remote (2).
 *
 * @example
 * const r = await tagRun(git, record, resolveTagSettings(), { now: new Date() });
 * if (r.state === "conflict" || r.push?.ok === false) return 5;
 */
export async function tagRun(
  git: Git,
  run: RunRecord | TagSubject,
  settings: TagSettings,
  opts: TagRunOptions,
): Promise<TagRunResult> {
  const subject = "schema" in run ? subjectFromRecord(run) : run;
  checkTagRunId(subject.runId, settings, "run id");
  const name = tagName(settings, subject.runId);
  const namespace = TAG_NAMESPACES[settings.refs];
  const ref = namespace + name;
  const display = shownTag(ref);
  const sign = opts.sign ?? settings.sign;
  checkSignable(settings, sign);
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(subject.sha)) {
    throw usageError(
      `run ${subject.runId} has no commit to tag (its git sha is ${shown(subject.sha)})`,
      "the run was recorded without git; give the commit with --commit REV",
    );
  }
  const wanted = subject.target ?? subject.sha;
  const commit = await git.resolveCommit(wanted);
  if (commit === null) {
    throw usageError(
      `commit ${wanted} of run ${subject.runId} is not in this repository`,
      "fetch it first (git fetch), or run runprov tag in the clone the run used",
    );
  }
  // A dirty run's tag goes on its snapshot; one made earlier on its recorded commit stays.
  const accepted = new Set([commit, subject.sha]);
  const remote = opts.push === undefined ? (settings.push ? settings.remote : null) : opts.push;
  let secrets: string[] = [];
  if (remote !== null) secrets = await checkRemote(git, remote);
  // A tracker URL can carry a token like a remote URL can: it is redacted the same way.
  const message = tagMessage(subject, {
    url: opts.url ? redactPageUrl(opts.url) : opts.url,
    now: opts.now,
    allowDirty: opts.allowDirty,
  });

  let state: TagRunResult["state"] | null = null;
  let existing: TagRef | null = null;
  for (let attempt = 0; attempt < 6 && state === null; attempt++) {
    let made: "created" | "exists";
    try {
      made = await git.createTag(name, commit, message, sign, namespace);
    } catch (err) {
      throw tagError(err, display, sign);
    }
    existing = await git.tagInfo(name, [namespace]);
    if (made === "created") state = "created";
    else if (existing) state = accepted.has(existing.commit) ? "exists" : "conflict";
    else await sleep(25 * (attempt + 1)); // another process held the ref lock: look again
  }
  if (state === null) {
    throw new RunprovError(
      `cannot create tag ${display}: its ref is locked (${ref}.lock exists: another ` +
        "git is writing it, or a git killed while writing it left the lock behind)",
      Exit.tag,
      `if no git is running in this repository, remove the lock and retry: ` +
        `rm "$(git rev-parse --git-path ${ref}.lock)"`,
    );
  }
  const result: TagRunResult = {
    tag: display,
    ref,
    commit,
    state,
    existing,
    push: null,
    unpublished: null,
    retry: [],
  };
  if (state === "conflict" || remote === null) return result;

  result.unpublished = await git.inAnyRemote(commit).then((on) => !on, () => null);
  const push = await git.pushRef(remote, ref, secrets);
  result.push = { ...push, remote };
  if (!push.ok) {
    result.retry = [
      `runprov tag --run ${subject.runId} --push ${remote}`,
      `git push ${remote} ${ref}`,
    ];
  }
  return result;
}

/** The remote must be a configured remote name; returns the secrets of its URLs. */
export async function checkRemote(git: Git, remote: string): Promise<string[]> {
  const cfg = await git.config();
  const r = cfg.remotes.get(remote);
  if (!r) {
    const names = [...cfg.remotes.keys()];
    throw usageError(
      `cannot push to ${shown(redactText(remote, []))}: no remote of that name`,
      names.length
        ? `push to a configured remote by name: ${names.join(", ")}`
        : "add one with git remote add NAME URL (runprov pushes by remote name, never by URL)",
    );
  }
  return [r.url, r.pushurl].flatMap((url) => url ? urlSecrets(url) : []);
}

function tagError(err: unknown, name: string, sign: boolean): unknown {
  if (!(err instanceof GitError)) return err;
  if (isIdentityError(err.stderr)) {
    return usageError(
      `cannot create tag ${name}: git has no tagger identity`,
      "set one with git config user.name 'Your Name' and git config user.email you@example.com " +
        "(or GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL)",
    );
  }
  if (sign && /gpg|sign|ssh-keygen/i.test(err.stderr)) {
    return usageError(
      `cannot sign tag ${name}: ${err.stderr.trim().split("\n").pop()}`,
      "check git's signing setup (user.signingkey, gpg.format, gpg.program), or tag without --sign",
    );
  }
  if (err.failure !== "git-failed") {
    return new RunprovError(`cannot create tag ${name}: ${failureReason(err)}`, Exit.git);
  }
  return new RunprovError(`cannot create tag ${name}: ${err.message}`, Exit.tag);
}

/**
 * What to tell the user about a {@link tagRun} result: notes for stderr (in order), and
 * the error to end with (exit 5) when the tag is on another commit or the push failed.
 */
export function tagOutcome(
  res: TagRunResult,
  id: string,
  source?: string,
): { notes: string[]; error: RunprovError | null } {
  const notes: string[] = [];
  const short = res.commit.slice(0, 12);
  if (res.state === "conflict") {
    return {
      notes,
      error: new RunprovError(
        `tag ${res.tag} already exists on commit ${res.existing!.commit}, not on run ${id}'s ` +
          `commit ${res.commit}; nothing changed`,
        Exit.tag,
        `runprov never moves a tag: if the old tag is wrong, delete it deliberately ` +
          `(${
            res.ref.startsWith("refs/tags/")
              ? `git tag -d ${res.tag}`
              : `git update-ref -d ${res.ref}`
          }) and tag again, or use another run id`,
      ),
    };
  }
  if (res.state === "exists") {
    const on = (res.existing?.commit ?? res.commit).slice(0, 12);
    notes.push(`note: tag ${res.tag} is already on ${on}; unchanged`);
  } else notes.push(`created tag ${res.tag} on ${short}${source ? ` (from ${source})` : ""}`);
  if (res.unpublished) {
    notes.push(
      `warning: ${short} is on no remote-tracking branch: pushing ${res.tag} uploads this ` +
        `unpublished commit to ${res.push?.remote}`,
    );
  }
  if (res.push && !res.push.ok) {
    return {
      notes,
      error: new RunprovError(
        `tag ${res.tag} was ${
          res.state === "created" ? "created" : "already there"
        } locally, but pushing it to ${res.push.remote} failed: ${res.push.reason}`,
        Exit.tag,
        `the local tag stays; retry with: ${res.retry.join("  or  ")}`,
      ),
    };
  }
  if (res.push) {
    notes.push(
      res.push.status === "up-to-date"
        ? `note: ${res.push.remote} already has ${res.tag}`
        : `pushed ${res.tag} to ${res.push.remote}`,
    );
  }
  return { notes, error: null };
}
