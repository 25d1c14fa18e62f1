/**
 * Human sentences for git's failures (a {@link GitError}'s `failure`), as run records, errors
 * and `doctor` show them; pure, so commands that only read records need not load the capture.
 */
import { firstLine, type GitError } from "../git/runner.ts";
import { clipped } from "../errors.ts";

/**
 * A human sentence for each failure reason. `gitDir` (when known) names the index file of a
 * `bad-index` failure whose message does not.
 */
export function failureReason(err: GitError, gitDir?: string): string {
  switch (err.failure) {
    case "bad-config":
      return configProblem(err.stderr);
    case "bad-index":
      return indexProblem(err.stderr, gitDir);
    case "git-not-found":
      return "git is not installed or not on PATH";
    case "not-a-repository":
      return "not inside a git repository";
    case "not-a-work-tree":
      return "inside a git directory without a working tree (bare repository)";
    case "dubious-ownership":
      return `git refuses this repository: ${
        dubiousPath(err.stderr) ?? "it"
      } is owned by another user (dubious ownership)`;
    case "timeout":
      return err.message;
    case "unborn-head":
      return "HEAD has no commits yet";
    case "corrupt-head":
      return "HEAD does not point at a readable commit";
    default:
      return err.message;
  }
}

/**
 * What is wrong with git's configuration, from its stderr (already redacted), e.g.
 * `git cannot parse .git/config line 6: fatal: bad config line 6 in file .git/config`.
 */
export function configProblem(stderr: string): string {
  const line = clipped(firstLine(stderr), 200);
  const m = /bad config line (\d+) in file (.+?)\s*$/m.exec(stderr);
  if (m) return `git cannot parse ${clipped(m[2], 200)} line ${m[1]}: ${line}`;
  const v = /bad config variable '[^'\n]*' in file '([^'\n]+)' at line (\d+)/.exec(stderr);
  if (v) return `git cannot parse ${clipped(v[1], 200)} line ${v[2]}: ${line}`;
  return `git cannot use its configuration: ${line}`;
}

/**
 * What is wrong with the index, from git's stderr, e.g.
 * `git cannot read the index (.git/index): fatal: index file corrupt`.
 */
export function indexProblem(stderr: string, gitDir?: string): string {
  const named = /^fatal: (.+?): (?:index file|unable to map index file)/m.exec(stderr)?.[1];
  const path = named ?? (gitDir ? `${gitDir}/index` : ".git/index");
  return `git cannot read the index (${clipped(path, 200)}): ${clipped(firstLine(stderr), 200)}`;
}

/** The repository path git names in its dubious-ownership message. */
export function dubiousPath(stderr: string): string | null {
  const m = /dubious ownership in repository at '([^'\n]*)'/.exec(stderr);
  return m ? m[1] : null;
}
