/**
 * Does a repository take its version numbers from `git describe`? Recognises the Python
 * tools whose default tag patterns also match run tags (setuptools-scm, hatch-vcs,
 * versioneer, dunamai) from the files at the repository top. Pure: no git, no files.
 */

/** The files this looks at, relative to the repository top. */
export const VERSIONING_FILES = ["pyproject.toml", "setup.cfg", "setup.py"] as const;

/** What was found: the tool, the file and the line that says so. */
export interface DescribeVersioning {
  tool: "setuptools-scm" | "hatch-vcs" | "versioneer" | "dunamai";
  file: string;
  /** The line (trimmed) that names the tool. */
  evidence: string;
}

/** Rules per file, first match wins. */
const RULES: Record<string, [DescribeVersioning["tool"], RegExp][]> = {
  "pyproject.toml": [
    ["setuptools-scm", /^\s*\[tool\.setuptools_scm\]/m],
    ["setuptools-scm", /["']setuptools[-_]scm\b/m],
    ["hatch-vcs", /["']hatch-vcs\b/m],
    ["hatch-vcs", /^\s*\[tool\.hatch\.version\][^[]*^\s*source\s*=\s*["']vcs["']/m],
    ["versioneer", /^\s*\[tool\.versioneer\]/m],
    ["dunamai", /^\s*\[tool\.poetry-dynamic-versioning\]/m],
    ["dunamai", /["']dunamai\b|^\s*\[tool\.dunamai\]/m],
  ],
  "setup.cfg": [
    ["setuptools-scm", /\bsetuptools[-_]scm\b|\buse_scm_version\b/m],
    ["versioneer", /^\s*\[versioneer\]/m],
  ],
  "setup.py": [
    ["setuptools-scm", /\buse_scm_version\b|\bsetuptools[-_]scm\b/m],
    ["versioneer", /\bversioneer\b/m],
  ],
};

/**
 * The first describe-based versioning setup found in `files` (name → text), or null.
 *
 * @example
 * describeVersioning({ "pyproject.toml": "[tool.setuptools_scm]\n" });
 * // { tool: "setuptools-scm", file: "pyproject.toml", evidence: "[tool.setuptools_scm]" }
 */
export function describeVersioning(
  files: Readonly<Record<string, string | null>>,
): DescribeVersioning | null {
  for (const file of VERSIONING_FILES) {
    const text = files[file];
    if (!text) continue;
    for (const [tool, re] of RULES[file]) {
      const m = re.exec(text);
      if (!m) continue;
      const at = m.index + Math.max(0, m[0].search(/\S/));
      const start = text.lastIndexOf("\n", at - 1) + 1;
      const end = text.indexOf("\n", at);
      const evidence = text.slice(start, end < 0 ? undefined : end).trim().slice(0, 120);
      return { tool, file, evidence };
    }
  }
  return null;
}

/** One step of a fix: what to do, and the exact shell command when there is one. */
export interface FixStep {
  step: string;
  run: string | null;
}

/** What doctor says about run tags and version numbers. */
export interface RunTagAdvice {
  /** `warn`: describe-based versioning and run tags under refs/tags; else `ok` or `info`. */
  status: "ok" | "info" | "warn";
  detail: string;
  /** The exact steps that fix it, in order. */
  fix: FixStep[];
}

/** Lists run tags under refs/tags (those whose message carries a `Runprov-Run:` trailer). */
const LIST_RUN_TAGS = "git for-each-ref --format='%(if)%(contents:trailers:key=Runprov-Run," +
  "valueonly)%(then)%(refname)%(end)' refs/tags/";

/**
 * The advice for a repository with `count` run tags under refs/tags, config `tag.refs`
 * `refs`, and the versioning setup found (or null). The fix moves every run tag (found by
 * its trailer, whatever its prefix) to refs/runprov/tags/, where runprov still reads it.
 *
 * @example
 * runTagAdvice({ refs: "tags", count: 3, versioning: v, remote: "origin" }).status; // "warn"
 */
export function runTagAdvice(o: {
  refs: "tags" | "runprov";
  count: number;
  versioning: DescribeVersioning | null;
  remote: string;
}): RunTagAdvice {
  const where = o.refs === "tags" ? "refs/tags/" : "refs/runprov/tags/";
  if (o.count === 0) {
    return {
      status: "ok",
      detail: `no run tags under refs/tags (new run tags go under ${where})`,
      fix: [],
    };
  }
  const some = o.count === 1 ? "1 run tag is" : `${o.count} run tags are`;
  const fix: FixStep[] = [];
  if (o.refs === "tags") {
    fix.push({
      step: 'keep new run tags out of refs/tags: in runprov.jsonc set "tag": { "refs": "runprov" }',
      run: null,
    });
  }
  fix.push(
    {
      step: "move the existing ones to refs/runprov/tags/ (runprov runs, show and verify " +
        "still find them)",
      run: `${LIST_RUN_TAGS} | while read -r ref; do [ -z "$ref" ] || { git update-ref ` +
        `"refs/runprov/tags/\${ref#refs/tags/}" "$ref" && git update-ref -d "$ref"; }; done`,
    },
    {
      step: `if they were pushed, move them on ${o.remote} too (clones that fetched them keep ` +
        "them until git tag -d)",
      run: `git push ${o.remote} 'refs/runprov/tags/*:refs/runprov/tags/*' && git push ` +
        `${o.remote} --delete $(git for-each-ref --format='refs/tags/%(refname:lstrip=3)' ` +
        "refs/runprov/tags/)",
    },
  );
  if (o.versioning === null) {
    return {
      status: "info",
      detail: `${some} under refs/tags: a plain git describe here can name one (runprov's own ` +
        "describe never does)",
      fix,
    };
  }
  const v = o.versioning;
  return {
    status: "warn",
    detail: `${some} under refs/tags, and ${v.file} takes the version from git describe ` +
      `(${v.tool}: ${v.evidence}): a version can come out as a run tag (run/<id>-1-g...) ` +
      "instead of your release tag",
    fix,
  };
}
