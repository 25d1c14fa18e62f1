/**
 * Which runprov commands each scenario and fault test runs: one line adds a command to a
 * scenario (LOAD_COMMANDS, SHARED_ID_COMMANDS, KILL_COMMANDS, WRITE_FAULT_COMMANDS,
 * GIT_HANG_COMMANDS, SECRET_COMMANDS, NO_PROGRAM_COMMANDS, MALFORMED_COMMANDS).
 */

/** A runprov invocation in a scenario: its argv for a run id. */
export interface CommandCase {
  name: string;
  argv: (runId: string) => string[];
}

/** Commands run concurrently while commits land (each writes the record of `runId`). */
export const LOAD_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands that all ranks run with the same `--run-id`. */
export const SHARED_ID_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "true"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands SIGKILLed at random moments (exec: the parent, its child sleeps briefly). */
export const KILL_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "sleep", "0.1"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/**
 * Commands that must fail cleanly (exit 2, nothing else damaged) when the record cannot be
 * written. `CANARY` in an argv is replaced by a file the command would create if it ran.
 */
export const WRITE_FAULT_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "touch", "CANARY"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands that must give up on a hung git (exit 4 strict; `sha` unknown under warn). */
export const GIT_HANG_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "true"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/**
 * Commands whose every output must be free of remote credentials, on a dirty tree, with
 * their exit code under each policy (strict refuses the dirty tree). `argv` gets a fresh
 * run id, or with `reads` the id of a run recorded beforehand.
 */
export const SECRET_COMMANDS: (CommandCase & {
  reads?: true;
  exit: { warn: number; strict: number };
})[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id], exit: { warn: 0, strict: 3 } },
  { name: "show", argv: (id) => ["show", id], reads: true, exit: { warn: 0, strict: 0 } },
  { name: "runs", argv: () => ["runs"], exit: { warn: 0, strict: 0 } },
  { name: "verify", argv: (id) => ["verify", id], reads: true, exit: { warn: 0, strict: 0 } },
  { name: "env", argv: (id) => ["env", "--run-id", id], exit: { warn: 0, strict: 3 } },
  { name: "check", argv: () => ["check"], exit: { warn: 0, strict: 3 } },
  {
    name: "exec",
    argv: (id) => ["exec", "--run-id", id, "--", "env"],
    exit: { warn: 0, strict: 3 },
  },
  { name: "doctor", argv: () => ["doctor"], exit: { warn: 0, strict: 0 } },
  { name: "doctor --json", argv: () => ["doctor", "--json"], exit: { warn: 0, strict: 0 } },
];

/** Commands whose capture must run no program named by repository config. */
export const NO_PROGRAM_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "true"] },
  { name: "doctor", argv: () => ["doctor"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
  { name: "check", argv: () => ["check"] },
];

/** Commands fed malformed flags (clear error, exit 2, no stack trace). */
export const MALFORMED_COMMANDS: string[][] = [["stamp"], ["exec"], ["env"], ["check"]];
