/** The run record (schema `runprov.run/1`): building it and reading one back. Pure. */
import { RECORD_FILE_HINT } from "./layout.ts";
import type { GitFacts } from "./capture.ts";
import type { HostFacts } from "./host.ts";
import type { PolicyRecord } from "./policy.ts";
import { osReason, RunprovError, shown, shownPath, usageError } from "../errors.ts";
import { JSON_MAX_DEPTH, jsonDepthOffset, jsonErrorOffset, lineColumn } from "../util/jsonpos.ts";
import type { EnvironmentFacts } from "../environment/facts.ts";
import { Exit } from "../errors.ts";

export const SCHEMA = "runprov.run/1";

/** `command` section: set by `runprov exec`, null for `stamp` and `env`. */
export interface CommandFacts {
  argv: string[];
  cwd: string;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number | null;
  /** Why the command could not start, if it could not. */
  error?: string;
  /** Process id of the runprov that supervises the command (to tell running from lost). */
  supervisor_pid?: number;
  /**
   * When that process started, as this host tells it (`linux:<boot id>:<start ticks>`, or
   * `ps:<start time>`), so a later process that got the same pid is not taken for it; null
   * when it cannot be read.
   */
  supervisor_start?: string | null;
}

/** Run status: `captured` (stamp/env), `running`, `succeeded`, `failed`. */
export type RunStatus = "captured" | "running" | "succeeded" | "failed";

export interface RunRecord {
  schema: typeof SCHEMA;
  run_id: string;
  name: string | null;
  created_at: string;
  status: RunStatus;
  /**
   * The run this one was started inside (`exec`/`env` under a live `runprov exec`), or null.
   * Always written; absent only in records of older versions.
   */
  parent?: string | null;
  git: GitFacts;
  policy: PolicyRecord;
  command: CommandFacts | null;
  host: HostFacts;
  /**
   * Interpreter, packages, GPUs, container and variables of the run; null when config
   * `environment.capture` is false; absent in records made before runprov captured it.
   */
  environment?: EnvironmentFacts | null;
  tool: { name: "runprov"; version: string };
  /** Set when the git facts were taken from an earlier record (`exec --from`). */
  from?: { path: string; run_id: string; created_at: string };
  /** The run this one reran (`runprov rerun ID`), else null (absent in older records). */
  rerun_of?: string | null;
}

/** Assemble a record from its parts. */
export function buildRecord(parts: {
  runId: string;
  name?: string | null;
  createdAt: Date;
  git: GitFacts;
  policy: PolicyRecord;
  host: HostFacts;
  version: string;
  command?: CommandFacts | null;
  status?: RunStatus;
  parent?: string | null;
  environment?: EnvironmentFacts | null;
}): RunRecord {
  return {
    schema: SCHEMA,
    run_id: parts.runId,
    name: parts.name ?? null,
    created_at: parts.createdAt.toISOString(),
    status: parts.status ?? "captured",
    parent: parts.parent ?? null,
    git: parts.git,
    policy: parts.policy,
    command: parts.command ?? null,
    rerun_of: null,
    host: parts.host,
    ...(parts.environment !== undefined ? { environment: parts.environment } : {}),
    tool: { name: "runprov", version: parts.version },
  };
}

/** Serialise a record the way it is stored: 2-space JSON, trailing newline. */
export function serializeRecord(record: RunRecord): string {
  return JSON.stringify(record, null, 2) + "\n";
}

/**
 * Where `text` stops being JSON, as words safe to print: the file's own bytes (binary,
 * terminal escapes) never reach the message.
 *
 * @example
 * jsonSyntaxProblem('{"a":\n  x}'); // "not valid JSON at line 2, column 3"
 */
export function jsonSyntaxProblem(text: string): string {
  if (text.trim() === "") return "the file is empty";
  return `not valid JSON at ${position(text, jsonErrorOffset(text) ?? 0)}`;
}

/** `line L, column C` of an offset. */
function position(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}`;
}

/**
 * Parse and check a stored record (`--from FILE`). Anything that is not a runprov record
 * of a known schema is a usage error naming the file.
 */
export function parseRecord(text: string, source: string): RunRecord {
  let data: unknown;
  const deep = jsonDepthOffset(text, JSON_MAX_DEPTH);
  if (deep !== null) {
    throw usageError(
      `${shownPath(source)} is not a runprov record: nested deeper than ${JSON_MAX_DEPTH} ` +
        `levels at ${position(text, deep)}`,
      RECORD_FILE_HINT,
    );
  }
  try {
    data = JSON.parse(text);
  } catch {
    throw usageError(
      `${shownPath(source)} is not a runprov record: ${jsonSyntaxProblem(text)}`,
      RECORD_FILE_HINT,
    );
  }
  const problem = recordProblem(data);
  if (problem) {
    throw usageError(
      `${shownPath(source)} is not a runprov record: ${problem}`,
      RECORD_FILE_HINT,
    );
  }
  return data as RunRecord;
}

function recordProblem(d: unknown): string | null {
  if (typeof d !== "object" || d === null || Array.isArray(d)) return "not a JSON object";
  const r = d as Record<string, unknown>;
  if (r.schema !== SCHEMA) {
    return r.schema === undefined
      ? `no "schema" field (expected "${SCHEMA}")`
      : `unsupported schema ${
        typeof r.schema === "string" ? shown(r.schema) : "(not a string)"
      } (expected "${SCHEMA}")`;
  }
  if (typeof r.run_id !== "string") return '"run_id" is missing or not a string';
  if (typeof r.created_at !== "string") return '"created_at" is missing or not a string';
  const g = r.git as Record<string, unknown> | undefined;
  if (typeof g !== "object" || g === null) return '"git" is missing';
  if (typeof g.sha !== "string") return '"git.sha" is missing or not a string';
  if (typeof g.dirty !== "boolean") return '"git.dirty" is missing or not a boolean';
  if (typeof r.policy !== "object" || r.policy === null) return '"policy" is missing';
  if (typeof r.host !== "object" || r.host === null) return '"host" is missing';
  return null;
}

/** Raised when a record cannot be stored. */
export function recordWriteError(path: string, err: unknown): RunprovError {
  return new RunprovError(
    `cannot write the run record ${shownPath(path)}: ${osReason(err)}`,
    Exit.usage,
    "check that the record directory is writable (config 'dir', or --out FILE / --out -)",
  );
}
