/**
 * What a reliability scenario reports: its failures (empty when it held) and its figures,
 * and the Markdown table scripts/reliability.ts writes to bench/reliability.md.
 */

/** A problem report: empty means the scenario held. */
export type Failures = string[];

/** Figures of one scenario, for the Markdown table. */
export interface Figures {
  scenario: string;
  /** What was tried, in words ("64 stamps x 200 commits"). */
  tried: string;
  /** How many cases (runs, kills, inputs). */
  cases: number;
  failures: Failures;
  seconds: number;
}

/** Time `fn`, in seconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

/** The Markdown table of figures. */
export function figuresTable(rows: Figures[]): string {
  const lines = [
    "| scenario | what was tried | cases | failures | seconds |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.tried.replaceAll("|", "\\|")} | ${r.cases} | ${r.failures.length} | ${
        r.seconds.toFixed(1)
      } |`,
    );
  }
  return lines.join("\n") + "\n";
}
