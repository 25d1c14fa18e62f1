/**
 * Run tags, the pure part: settings, git's ref-name rules, the tag message and its
 * trailers. No git, no files.
 */
import { type Config, defaultConfig, type TagRefs, type TagSection } from "../config/config.ts";
import { clipped, shown, usageError } from "../errors.ts";
import { runIdProblem } from "../run/run_id.ts";

/**
 * Everything `tag`, `runs`, `show`, `verify` and `exec`'s tagging read from config: the
 * `tag` section and the record directory `dir`, as the schema defines them.
 */
export type TagSettings = TagSection & Pick<Config, "dir">;

/** The ref namespace of each `tag.refs` value. */
export const TAG_NAMESPACES: Readonly<Record<TagRefs, string>> = {
  tags: "refs/tags/",
  runprov: "refs/runprov/tags/",
};

/**
 * Resolve the settings from a configuration (the schema's defaults when none is given),
 * checking that the prefix makes valid tag names. The one place the config is wired in.
 *
 * @example
 * resolveTagSettings().prefix; // "run/"
 * resolveTagSettings(loaded.config).dir; // ".runprov/runs", or the file's `dir`
 */
export function resolveTagSettings(
  config: Pick<Config, "tag" | "dir"> = defaultConfig(),
): TagSettings {
  const s: TagSettings = { ...config.tag, dir: config.dir };
  const problem = refNameProblem(`refs/tags/${s.prefix}x`);
  if (problem) {
    throw usageError(
      `invalid tag prefix ${shown(s.prefix)} (config tag.prefix): ${problem}`,
      'use a plain prefix such as "run/"',
    );
  }
  return s;
}

/** The settings of the schema's defaults (`tag.prefix` "run/", `dir` ".runprov/runs", ...). */
export const DEFAULT_TAG_SETTINGS: Readonly<TagSettings> = resolveTagSettings();

/**
 * Refuse a signed run tag outside `refs/tags/`: git signs only the tags it writes itself
 * (`git tag -s`), and those always go under `refs/tags/`. Throws a usage error (exit 2).
 */
export function checkSignable(settings: TagSettings, sign: boolean): void {
  if (!sign || settings.refs === "tags") return;
  throw usageError(
    'cannot sign run tags kept under refs/runprov/tags (config tag.refs is "runprov"): git ' +
      "signs only the tags it writes itself, under refs/tags",
    'drop --sign for these run tags, or set "tag": { "refs": "tags" } to sign them',
  );
}

/**
 * Why `ref` is not a valid git ref name (git check-ref-format's rules, without
 * --allow-onelevel or --normalize), or null when it is.
 *
 * @example
 * refNameProblem("refs/tags/run/a..b"); // "it contains '..'"
 */
export function refNameProblem(ref: string): string | null {
  if (ref === "" || ref === "@") return "it is empty or '@'";
  if (ref.startsWith("/") || ref.endsWith("/")) return "it starts or ends with '/'";
  if (ref.includes("//")) return "it contains '//'";
  if (ref.endsWith(".")) return "it ends with '.'";
  if (ref.includes("..")) return "it contains '..'";
  if (ref.includes("@{")) return "it contains '@{'";
  // deno-lint-ignore no-control-regex
  const bad = /[\x00-\x20\x7f~^:?*[\\]/.exec(ref);
  if (bad) return `it contains ${shown(bad[0])}`;
  for (const c of ref.split("/")) {
    if (c.startsWith(".")) return `component '${clipped(c)}' starts with '.'`;
    if (c.endsWith(".lock")) return `component '${clipped(c)}' ends with '.lock'`;
  }
  if (!ref.includes("/")) return "it has only one level";
  return null;
}

/** The tag name of a run. */
export function tagName(settings: TagSettings, runId: string): string {
  return `${settings.prefix}${runId}`;
}

/**
 * The full ref of a run's tag under the configured namespace.
 *
 * @example
 * tagRef({ ...DEFAULT_TAG_SETTINGS, refs: "runprov" }, "m1"); // "refs/runprov/tags/run/m1"
 */
export function tagRef(settings: TagSettings, runId: string): string {
  return TAG_NAMESPACES[settings.refs] + tagName(settings, runId);
}

/** Where run tags are looked up when reading: the configured namespace first, then the other. */
export function readNamespaces(settings: TagSettings): string[] {
  const first = TAG_NAMESPACES[settings.refs];
  return [first, ...Object.values(TAG_NAMESPACES).filter((ns) => ns !== first)];
}

/**
 * How a tag is named to the user: its name under `refs/tags/` (`run/m1`, what git commands
 * take), its full ref elsewhere (`refs/runprov/tags/run/m1`, which `git show` needs).
 */
export function shownTag(ref: string): string {
  return ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : ref;
}

/**
 * The part of a run tag's name before its run id (`run/` of `run/m1`), or the whole name
 * when it does not end with the id: the pattern that covers that tag and its siblings.
 *
 * @example
 * runTagPattern("exp-m1", "m1"); // "exp-*"
 */
export function runTagPattern(name: string, runId: string): string {
  if (runId !== "" && name.length > runId.length && name.endsWith(runId)) {
    return `${name.slice(0, name.length - runId.length)}*`;
  }
  return name;
}

/**
 * Check a run id for tagging: the run-id rules of docs/record.md and git's ref rules for the
 * full tag ref. Throws a usage error (exit 2).
 */
export function checkTagRunId(runId: string, settings: TagSettings, source = "--run"): string {
  const problem = runIdProblem(runId) ??
    refNameProblem(`refs/tags/${tagName(settings, runId)}`);
  if (problem) {
    throw usageError(
      `invalid run id ${shown(runId)} (${source}): ${problem}`,
      "run ids use letters, digits, '.', '_' and '-', starting with a letter or digit",
    );
  }
  return runId;
}

/** What a run tag says about its run (built from a record, the environment or --commit). */
export interface TagSubject {
  runId: string;
  /** 40-hex commit the tag goes on. */
  sha: string;
  name: string | null;
  describe: string | null;
  /** null when unknown (tagging by --commit alone). */
  dirty: boolean | null;
  patchSha256: string | null;
  /** When the run was captured (record `created_at`), null when unknown. */
  createdAt: string | null;
  /** sha256 of the record file's bytes, when tagging from a record file. */
  recordSha256: string | null;
  /** Where the commit came from: `record`, `file`, `env` or `commit`. */
  source: "record" | "file" | "env" | "commit";
  /** The record's policy reason for an allowed dirty run. */
  allowDirty?: string | null;
  /**
   * The commit the tag points at when it is not `sha`: a dirty run's snapshot (the recorded
   * commit plus its patch), so `git checkout run/<id>` gives exactly what ran.
   */
  target?: string | null;
}

/** Keep a value on one trailer line: control characters and newlines become spaces. */
function oneLine(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]+/g, " ").trim();
}

/**
 * The tag message: a readable first line, the run URL when given, then `Runprov-*`
 * trailers (one `key: value` per line, parseable by `git interpret-trailers`).
 *
 * @example
 * tagMessage(subject, { now: new Date() }).split("\n")[0]; // "runprov run baseline (exp-1)"
 */
export function tagMessage(
  s: TagSubject,
  opts: { url?: string | null; now: Date; allowDirty?: string | null },
): string {
  const title = s.name ? `runprov run ${oneLine(s.name)} (${s.runId})` : `runprov run ${s.runId}`;
  const lines = [title, ""];
  if (opts.url) lines.push(oneLine(opts.url), "");
  const t: [string, string | null | undefined][] = [
    ["Runprov-Run", s.runId],
    ["Runprov-Name", s.name ? oneLine(s.name) : null],
    ["Runprov-Commit", s.sha],
    ["Runprov-Describe", s.describe ? oneLine(s.describe) : null],
    ["Runprov-Dirty", s.dirty === null ? null : String(s.dirty)],
    ["Runprov-Patch-Sha256", s.dirty ? s.patchSha256 : null],
    ["Runprov-Snapshot", s.target && s.target !== s.sha ? s.target : null],
    ["Runprov-Allow-Dirty", opts.allowDirty ?? s.allowDirty ?? null],
    ["Runprov-Url", opts.url ? oneLine(opts.url) : null],
    ["Runprov-Run-Created", s.createdAt],
    ["Runprov-Record-Sha256", s.recordSha256],
    ["Runprov-Source", s.source],
    ["Runprov-Created", opts.now.toISOString()],
  ];
  for (const [k, v] of t) {
    if (v !== null && v !== undefined && v !== "") lines.push(`${k}: ${oneLine(v)}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The `Runprov-*` trailers of a tag message, keys without the prefix, lowercased
 * (`Runprov-Patch-Sha256` -> `patch-sha256`). Only the last paragraph counts, as for git.
 */
export function parseTrailers(message: string): Record<string, string> {
  const paras = message.replace(/\s+$/, "").split(/\n\s*\n/);
  const last = paras[paras.length - 1] ?? "";
  const out: Record<string, string> = {};
  for (const line of last.split("\n")) {
    const m = /^Runprov-([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
    if (m) out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

/** The run a tag describes, read back from its trailers (null when it carries none). */
export function subjectFromTrailers(
  trailers: Record<string, string>,
  commit: string,
): Omit<TagSubject, "source" | "recordSha256"> | null {
  if (!trailers.run) return null;
  return {
    runId: trailers.run,
    sha: commit,
    name: trailers.name ?? null,
    describe: trailers.describe ?? null,
    dirty: trailers.dirty === "true" ? true : trailers.dirty === "false" ? false : null,
    patchSha256: trailers["patch-sha256"] ?? null,
    createdAt: trailers["run-created"] ?? null,
  };
}
