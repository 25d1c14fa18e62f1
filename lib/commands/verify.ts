/** `runprov verify ID|FILE`: does this checkout hold exactly the code of that run? */
import { isAbsolute, resolve } from "../util/paths.ts";
import { parseCommandArgs } from "../cli/args.ts";
import { clipped, Exit, RunprovError, shown, usageError } from "../errors.ts";
import { configFor } from "../config/for_command.ts";
import { gitFor } from "../run/git_for.ts";
import { ignorePredicate, untrackedForPatch } from "../run/session.ts";
import { captureGit, type GitFacts } from "../run/capture.ts";
import { findRunRecord, requireRepo } from "../run/lookup.ts";
import { sha256Hex } from "../util/sha256.ts";
import { readRecordFile, type StoredRecord } from "../run/store.ts";
import {
  parseTrailers,
  readNamespaces,
  resolveTagSettings,
  tagName,
  type TagSettings,
} from "../tag/names.ts";
import { runIdProblem } from "../run/run_id.ts";
import { compareCode, type ExpectedCode, type VerifyResult } from "../run/verify.ts";
import { currentPatch } from "../run/patch.ts";
import { isObjectId, refMismatch, snapshotRef } from "../snapshot/build.ts";
import type { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import type { RunRecord } from "../run/record.ts";
import type { Context } from "../io.ts";

export const VERIFY_HELP = `runprov verify: is this checkout exactly the code of a run?

Usage: runprov verify ID|FILE

Compares the checkout with the run (its record in .runprov/runs/ID.json, in a restored
worktree the main checkout's record, a record FILE, else its snapshot ref or its tag
run/ID). The run's code has two forms, and either passes:
  - its recorded commit, with a clean tree, or, for a run that was dirty, the same
    uncommitted changes (sha256 of the tracked diff equals the record's patch sha256;
    untracked files too when they counted);
  - its snapshot commit (refs/runprov/snapshots/ID, or run/ID on a snapshot) with a
    clean tree: what 'runprov restore ID' checks out.
A rerun's record also accepts the forms of the run it reran. Paths matching the
configuration's ignore globs never count, as when the run was captured. Untracked files
are not compared unless the run counted them (config untracked: "dirty") and its patch
holds them.

Exit: 0 same code; 3 it differs (what differs is listed) or equality cannot be proven.
`;

function expectedFromRecord(r: RunRecord, label?: string): ExpectedCode {
  // Untracked files are compared only when the run counted them and its patch holds them
  // (or it had none). Otherwise (an older record, no patch) they are not compared: a run
  // dirty only by them had a clean tracked tree.
  const untrackedCounts = r.git.untracked_counts === true &&
    (r.git.patch?.untracked === true || (r.git.untracked ?? []).length === 0);
  return {
    runId: r.run_id,
    sha: r.git.sha,
    dirty: r.git.untracked_counts && !untrackedCounts
      ? (r.git.changed ?? []).length > 0
      : r.git.dirty,
    changed: (r.git.changed ?? []).map((c) => c.path),
    patch: r.git.patch
      ? {
        sha256: r.git.patch.sha256,
        truncated: r.git.patch.truncated,
        untracked: r.git.patch.untracked === true,
      }
      : null,
    untrackedCounts,
    label,
  };
}

/** A clean snapshot commit as a form of run `id`'s code. */
function snapshotForm(id: string, commit: string): ExpectedCode {
  return {
    runId: id,
    sha: commit,
    dirty: false,
    changed: [],
    patch: null,
    label: `its snapshot ${commit.slice(0, 12)}`,
  };
}

/** The forms of a recorded run's code: its record, and its snapshot ref when valid. */
async function recordForms(git: Git, r: RunRecord): Promise<ExpectedCode[]> {
  const forms = [expectedFromRecord(r)];
  if (!r.git.dirty || !isObjectId(r.git.sha)) return forms;
  const ref = await git.commitRef(snapshotRef(r.run_id));
  if (ref && refMismatch(ref.commit, ref.parents, ref.message, r) === "") {
    forms.push(snapshotForm(r.run_id, ref.commit));
  }
  return forms;
}

/** The forms of a run's code from a commit message or tag message's trailers. */
function trailerForms(id: string, commit: string, message: string): ExpectedCode[] {
  const t = parseTrailers(message);
  const recorded = t.commit && isObjectId(t.commit) ? t.commit : commit;
  const dirty = t.dirty === "true" ? true : t.dirty === "false" ? false : null;
  const forms: ExpectedCode[] = [];
  if (recorded !== commit) forms.push(snapshotForm(id, commit));
  forms.push({
    runId: id,
    sha: recorded,
    dirty: recorded !== commit ? true : dirty,
    changed: [],
    patch: t["patch-sha256"] ? { sha256: t["patch-sha256"], truncated: false } : null,
  });
  return forms;
}

/** Every form of run `arg`'s code this repository knows, and the record if there is one. */
async function formsOf(
  ctx: Context,
  git: Git,
  info: RepoInfo,
  settings: TagSettings,
  arg: string,
): Promise<{ forms: ExpectedCode[]; stored: StoredRecord | null }> {
  let stored: StoredRecord | null = null;
  if (runIdProblem(arg) === null) {
    stored = await findRunRecord(info, settings, arg);
    if (!stored) {
      const tag = await git.tagInfo(tagName(settings, arg), readNamespaces(settings));
      if (tag) return { forms: trailerForms(arg, tag.commit, tag.message), stored };
      const ref = await git.commitRef(snapshotRef(arg));
      if (ref) return { forms: trailerForms(arg, ref.commit, ref.message), stored };
    }
  }
  if (!stored) {
    const path = isAbsolute(arg) ? arg : resolve(ctx.io.cwd, arg);
    stored = await readRecordFile(path);
    if (!stored) {
      throw usageError(
        `verify: no run ${shown(arg)}: no record, no tag ${clipped(tagName(settings, arg))}, no ${
          clipped(snapshotRef(arg))
        }, no such file`,
        "give a run id (see runprov runs) or a record file",
      );
    }
  }
  const r = stored.record;
  if (!isObjectId(r.git.sha)) {
    throw new RunprovError(
      `cannot verify run ${clipped(r.run_id)}: its record has no commit (git was unavailable)`,
      Exit.policy,
    );
  }
  const forms = await recordForms(git, r);
  if (r.rerun_of && runIdProblem(r.rerun_of) === null) {
    const original = await findRunRecord(info, settings, r.rerun_of);
    if (original) {
      for (const f of await recordForms(git, original.record)) {
        forms.push({ ...f, runId: r.run_id, label: `the code of run ${r.rerun_of} it reran` });
      }
    }
  }
  return { forms, stored };
}

/** Run \`verify\`. */
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
  const git = await gitFor(ctx);
  const info = await requireRepo(git, "runprov verify");
  const loaded = await configFor(ctx, info.root);
  const settings = resolveTagSettings(loaded.config);
  const { forms, stored } = await formsOf(ctx, git, info, settings, arg);
  const runId = clipped(forms[0].runId); // a record FILE names any run id it likes

  // Judged as a capture judges it: ignored paths never count, untracked files are listed
  // (compared only for a run that counted them) unless the configuration says not even that.
  const facts = await captureGit(git, {
    tagPrefix: settings.prefix,
    untracked: loaded.config.untracked === "ignore" ? "ignore" : "report",
    ignore: ignorePredicate(loaded.config, info.root),
    ignoreInsideDirs: loaded.config.ignore.length > 0,
  });
  if (!facts.available) {
    throw new RunprovError(`cannot verify run ${runId}: ${facts.reason}`, Exit.git);
  }
  const patches = new Map<boolean, Promise<string>>();
  const patchSha = (untracked: boolean) => {
    // A run whose untracked files counted stored them in its patch: hash them the same way
    // (ignored files inside collapsed directories left out, as the capture left them out).
    if (!patches.has(untracked)) {
      const top = facts.root ?? info.root;
      const files = untracked
        ? untrackedForPatch(git, top, facts.untracked, loaded.config).then((paths) => ({
          top,
          paths,
        }))
        : Promise.resolve(null);
      patches.set(
        untracked,
        files.then((f) => currentPatch(git, "HEAD", f)).then(sha256Hex),
      );
    }
    return patches.get(untracked)!;
  };
  const results: { form: ExpectedCode; result: VerifyResult }[] = [];
  for (const form of forms) {
    const result = await judge(form, facts, patchSha);
    if (result.ok) {
      noteUntracked(ctx, form, facts);
      await ctx.io.stdout(
        `ok: this checkout is the code of run ${runId} (${describeForm(form)})\n`,
      );
      return 0;
    }
    results.push({ form, result });
  }
  // Report against the form whose commit the checkout is at, else the recorded one.
  const closest = results.find((r) => r.form.sha === facts.sha) ?? results[0];
  if (closest.form.dirty === null) {
    ctx.warn(`note: run ${runId}'s tag does not say whether its tree was dirty; compared as clean`);
  }
  noteUntracked(ctx, closest.form, facts);
  const e = forms[0];
  throw new RunprovError(
    `this checkout is not the code of run ${runId}:\n${
      closest.result.differences.map((d) => `  ${d}`).join("\n")
    }`,
    Exit.policy,
    `get the run's exact code in a new worktree: runprov restore ${runId}` +
      (e.dirty && stored?.record.git.patch
        ? `; or by hand: git checkout ${e.sha}, then git apply ${stored.record.git.patch.path}`
        : `; or by hand: git checkout ${e.sha}`),
  );
}

/** Compare one form of the run's code with the checkout. */
async function judge(
  form: ExpectedCode,
  facts: GitFacts,
  patchSha: (untracked: boolean) => Promise<string>,
): Promise<VerifyResult> {
  const dirty = facts.changed.length > 0 ||
    (form.untrackedCounts === true && facts.untracked.length > 0);
  const needPatch = form.dirty === true && dirty && form.patch !== null && !form.patch.truncated &&
    form.sha === facts.sha;
  return compareCode(form, {
    sha: facts.sha,
    dirty,
    changed: facts.changed.map((c) => c.path),
    patchSha256: needPatch ? await patchSha(form.patch?.untracked === true) : null,
  });
}

function describeForm(form: ExpectedCode): string {
  if (form.label) return form.label;
  return `${form.sha.slice(0, 12)}${form.dirty ? " plus its recorded patch" : ", clean"}`;
}

function noteUntracked(ctx: Context, form: ExpectedCode, facts: GitFacts): void {
  if (facts.untracked.length > 0 && !form.untrackedCounts) {
    ctx.warn(`note: ${facts.untracked.length} untracked file(s) are not compared`);
  }
}
