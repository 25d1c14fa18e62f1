/**
 * Asking a remote which runs it holds: one `git ls-remote` of `refs/runprov/runs/*`, no
 * objects fetched, and the error (exit 5) when the remote cannot be asked. Kept apart from
 * the rest of sharing so `runs --remote` loads only this.
 */
import { clipped, Exit, RunprovError } from "../errors.ts";
import type { Git, RemoteAnswer } from "../git/client.ts";
import { parseLsRemote, RUNS_PATTERN } from "./refs.ts";

/** The RunprovError (exit 5) for a remote that could not be asked or fetched from. */
export function remoteError(
  remote: string,
  what: string,
  answer: Extract<RemoteAnswer, { ok: false }>,
): RunprovError {
  const said = answer.remote ? ` (remote: ${clipped(answer.remote, 300)})` : "";
  return new RunprovError(
    `cannot ${what} ${remote}: ${clipped(answer.reason, 300)}${said}`,
    Exit.tag,
    `check that ${remote} is reachable and that you may read it (git ls-remote ${remote}); ` +
      `nothing changed here`,
  );
}

/**
 * The runs on the remote, from its refs alone (`git ls-remote`, one process, no objects).
 * Throws RunprovError (exit 5) when the remote cannot be asked.
 */
export async function remoteRuns(
  git: Git,
  remote: string,
  secrets: readonly string[] = [],
): Promise<{ runs: { id: string; commit: string }[]; ignored: number }> {
  const answer = await git.lsRemote(remote, RUNS_PATTERN, secrets);
  if (!answer.ok) throw remoteError(remote, "list the runs of", answer);
  return parseLsRemote(answer.out);
}
