/**
 * Malformed arguments: invalid run ids after git's t1402-check-ref-format, 100 KB values,
 * unknown and repeated options, each given to every capturing command. Every one must be a
 * short, clear usage error (exit 2) with nothing on stdout and no record written.
 */
import { Sandbox } from "../sandbox.ts";
import { type Failures, type Figures, timed } from "../figures.ts";
import { runsDir, stackLines } from "../records.ts";
import { MALFORMED_COMMANDS } from "../commands.ts";

/** Invalid ref-name-ish run ids (after git's t1402-check-ref-format) and runprov's rules. */
export const INVALID_RUN_IDS = [
  "",
  ".",
  "..",
  "a..b",
  "a/b",
  "/a",
  "a/",
  "a.lock",
  "a.LOCK",
  "a.",
  ".a",
  "-a",
  "_a",
  "a b",
  "a\tb",
  "a\nb",
  "a~b",
  "a^b",
  "a:b",
  "a?b",
  "a*b",
  "a[b",
  "a\\b",
  "a@{b",
  "@",
  "@{-1}",
  "a\u007fb",
  "a\u0001b",
  "refs/heads/x",
  "é",
  "x".repeat(129),
  "x".repeat(100_000),
];

/** Absurd argument lists for a capturing command (each must be exit 2, no stack). */
export function absurdArgs(cmd: string[]): string[][] {
  // One argv string can hold at most 128 KiB on Linux (MAX_ARG_STRLEN).
  const big = "n".repeat(100_000);
  return [
    ...INVALID_RUN_IDS.map((id) => [...cmd, "--run-id", id]),
    [...cmd, "--run-id"],
    [...cmd, "--run-id=a", "--run-id", "a b"],
    [...cmd, "--policy", "paranoid"],
    [...cmd, "--policy", ""],
    [...cmd, "--strict", "--policy", "off"],
    [...cmd, "--allow-dirty", ""],
    [...cmd, "--allow-dirty", "   "],
    [...cmd, "--bogus"],
    [...cmd, "--bogus=1"],
    [...cmd, "-Z"],
    [...cmd, "--name"],
    [...cmd, `--${big.slice(0, 10_000)}`],
    [...cmd, "--run-id", "ok-id", "--name", big, "--policy", big],
    ["-C"],
    ["-C", "/nonexistent/dir", ...cmd],
    ["--config"],
    ["--frobnicate", ...cmd],
    [big.slice(0, 1000)],
  ];
}

/**
 * Every MALFORMED_COMMANDS entry with every {@link absurdArgs} list: exit 2, a `runprov:`
 * message under 4 KiB, no stack trace, nothing on stdout, no record written.
 */
export async function malformedScenario(
  commands: string[][] = MALFORMED_COMMANDS,
  parallel = 4,
): Promise<Figures> {
  const sb = await Sandbox.create();
  const failures: Failures = [];
  try {
    const cases = commands.flatMap((c) => absurdArgs(c));
    const [, seconds] = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < cases.length) {
          const args = cases[next++];
          const label = JSON.stringify(args).slice(0, 120);
          const r = await sb.runprov(args);
          if (r.code !== 2) failures.push(`${label}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
          if (!/^runprov: /.test(r.stderr)) failures.push(`${label}: stderr ${r.stderr}`);
          if (stackLines(r.stderr).length) failures.push(`${label}: stack trace`);
          if (r.stderr.length > 4096) failures.push(`${label}: ${r.stderr.length} bytes of stderr`);
          if (r.stdout !== "") failures.push(`${label}: stdout ${r.stdout.slice(0, 100)}`);
        }
      }));
    });
    const records = await Array.fromAsync(Deno.readDir(runsDir(sb))).catch(() => []);
    if (records.length) failures.push(`records written: ${records.map((e) => e.name)}`);
    return {
      scenario: "malformed arguments",
      tried: `${cases.length} absurd argument lists (t1402 invalid ref names, 100 KB values, ` +
        `unknown/repeated options) to ${commands.map((c) => c.join(" ")).join(", ")}`,
      cases: cases.length,
      failures,
      seconds,
    };
  } finally {
    await sb.cleanup();
  }
}
