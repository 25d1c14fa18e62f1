/**
 * Real `runprov env --format F` output carrying a corpus of values: each value is planted in
 * a record file crafted from a real stamp (as its run id, commit, abbreviation, describe,
 * branch or remote URL, or as the record's own file name, which comes back as RUNPROV_FILE),
 * and the CLI prints it with `env --from`. A record is input like any other (`--from` takes
 * whatever file it is given), so its every string must come back exactly. The expected
 * values and refusals are literal: what was planted, and the refusal rules README.md
 * documents per format.
 */
import { join } from "node:path";
import { Sandbox } from "../sandbox.ts";

/**
 * The variables a crafted record carries corpus values in (besides RUNPROV_FILE), and where
 * in the record each is planted: seven values per runprov process.
 */
const FIELDS = [
  ["RUNPROV_RUN_ID", "run_id"],
  ["RUNPROV_GIT_SHA", "git.sha"],
  ["RUNPROV_GIT_SHA_SHORT", "git.sha_short"],
  ["RUNPROV_GIT_DESCRIBE", "git.describe"],
  ["RUNPROV_GIT_BRANCH", "git.branch"],
  ["RUNPROV_GIT_REMOTE_URL", "git.remote_url"],
] as const;

/** `template` with each `[, "run_id" | "git.<key>", value]` planted (git.available kept). */
function plant(
  template: Record<string, unknown>,
  fields: readonly [string, string, string][],
): Record<string, unknown> {
  const rec: Record<string, unknown> = { ...template };
  const git: Record<string, unknown> = { ...template.git as Record<string, unknown> };
  for (const [, where, v] of fields) {
    if (where.startsWith("git.")) git[where.slice(4)] = v;
    else rec[where] = v;
  }
  return { ...rec, git };
}

/**
 * Values a format refuses, as README.md ("Refusals") documents them for values without NUL
 * or invalid UTF-8: tcsh refuses CR and LF, gha refuses CR; the other shell formats refuse
 * nothing else.
 */
export function refusedBy(format: string, value: string): boolean {
  if (format === "tcsh") return /[\r\n]/.test(value);
  if (format === "gha") return value.includes("\r");
  return false;
}

/** One `runprov env --from FILE --format F` run whose output is to be evaluated. */
export interface ExportRun {
  /** The carried variables and the exact values they must come back with. */
  vars: [string, string][];
  /** What runprov printed. */
  text: string;
}

/** A corpus printed by the CLI in one format. */
export interface CliExports {
  format: string;
  /** A directory of the sandbox for files about these outputs (removed with it). */
  dir: string;
  /** Outputs to evaluate, in order. */
  runs: ExportRun[];
  /** How many values were refused, as the format's rule says they must be. */
  refused: number;
  /** Problems with runprov's exit codes, stdout or stderr (empty when it behaved). */
  problems: string[];
}

/**
 * A value can be the record's file name: not empty, `.` or `..`, no `/`, short enough, and
 * not ending in CR (`deno run` drops one trailing CR from every argument, denoland/deno#34968,
 * so such a path cannot reach runprov through `--from` when it runs from source).
 */
function fileNameOk(v: string): boolean {
  return v !== "" && v !== "." && v !== ".." && !v.includes("/") && !v.endsWith("\r") &&
    new TextEncoder().encode(v).length <= 200;
}

interface Planned {
  fields: [string, string, string][]; // [variable, where in the record, value]
  fileName: string | null;
}

/** Pack values into records: up to six fields each, plus one value as the file name. */
function pack(values: readonly string[]): Planned[] {
  const out: Planned[] = [];
  let cur: Planned = { fields: [], fileName: null };
  for (const v of values) {
    const asName = cur.fileName === null && fileNameOk(v);
    if (!asName && cur.fields.length === FIELDS.length) {
      out.push(cur);
      cur = { fields: [], fileName: null };
    }
    if (cur.fileName === null && fileNameOk(v)) cur.fileName = v;
    else {
      const [name, key] = FIELDS[cur.fields.length];
      cur.fields.push([name, key, v]);
    }
  }
  if (cur.fields.length || cur.fileName !== null) out.push(cur);
  return out;
}

/** A real record to plant values in: `stamp --out -` in the sandbox (nothing stored). */
export async function templateRecord(sb: Sandbox): Promise<Record<string, unknown>> {
  return await sb.json(["stamp", "--run-id", "carrier", "--out", "-"]);
}

/**
 * Have the CLI print every value of `corpus` in `format` (`parallel` runprov processes at a
 * time). Values the format must refuse are planted only with each other: runprov must exit 2
 * with nothing on stdout and a message naming one of the variables that carry them.
 */
export async function cliExports(
  sb: Sandbox,
  template: Record<string, unknown>,
  format: string,
  corpus: readonly string[],
  parallel = 4,
): Promise<CliExports> {
  const plans: { plan: Planned; refuse: boolean }[] = [];
  const refused = corpus.filter((v) => refusedBy(format, v));
  for (let i = 0; i < refused.length; i += FIELDS.length) {
    const fields = refused.slice(i, i + FIELDS.length).map((v, k): [string, string, string] => [
      FIELDS[k][0],
      FIELDS[k][1],
      v,
    ]);
    plans.push({ plan: { fields, fileName: null }, refuse: true });
  }
  for (const plan of pack(corpus.filter((v) => !refusedBy(format, v)))) {
    plans.push({ plan, refuse: false });
  }
  const root = await Deno.makeTempDir({ dir: sb.base, prefix: `exports-${format}-` });
  const results: (ExportRun | null)[] = new Array(plans.length).fill(null);
  const problems: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < plans.length) {
      const k = next++;
      const { plan, refuse } = plans[k];
      const dir = join(root, String(k));
      await Deno.mkdir(dir);
      const file = join(dir, plan.fileName ?? "record.json");
      await Deno.writeTextFile(file, JSON.stringify(plant(template, plan.fields), null, 2) + "\n");
      const r = await sb.runprov(["env", "--from", file, "--format", format]);
      const label = `${format} ${JSON.stringify(plan.fields.map(([, , v]) => v))} in ${
        JSON.stringify(plan.fileName)
      }`.slice(0, 300);
      if (refuse) {
        const planted = plan.fields.map(([name]) => name).join("|");
        const named = new RegExp(`cannot print (${planted}) as ${format}`);
        if (r.code !== 2 || r.stdout !== "" || !named.test(r.stderr)) {
          problems.push(
            `${label}: must be refused (exit 2, naming the variable): exit ${r.code}` +
              `, stdout ${JSON.stringify(r.stdout.slice(0, 100))}, stderr ${r.stderr.trim()}`,
          );
        }
        continue;
      }
      if (r.code !== 0) {
        problems.push(`${label}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
        continue;
      }
      const vars: [string, string][] = plan.fields.map(([name, , v]) => [name, v]);
      if (plan.fileName !== null) vars.push(["RUNPROV_FILE", file]);
      results[k] = { vars, text: r.stdout };
    }
  }));
  return {
    format,
    dir: root,
    runs: results.filter((x): x is ExportRun => x !== null),
    refused: refused.length,
    problems,
  };
}

/**
 * A corpus printed by the CLI once per format, on first use, in one sandbox shared by every
 * case of a test file (formats are printed as cases ask for them).
 */
export class ExportsCache {
  #sb: Promise<Sandbox> | null = null;
  #base: string | null = null;
  #template: Promise<Record<string, unknown>> | null = null;
  #byFormat = new Map<string, Promise<CliExports>>();

  constructor(readonly corpus: readonly string[], readonly parallel = 4) {}

  /** The corpus as `runprov env --format <format>` printed it. */
  get(format: string): Promise<CliExports> {
    let p = this.#byFormat.get(format);
    if (!p) {
      p = (async () => {
        this.#sb ??= Sandbox.create().then((sb) => {
          this.#base = sb.base;
          return sb;
        });
        const sb = await this.#sb;
        this.#template ??= templateRecord(sb);
        return cliExports(sb, await this.#template, format, this.corpus, this.parallel);
      })();
      this.#byFormat.set(format, p);
    }
    return p;
  }

  /** Remove the sandbox; synchronous, so an `unload` listener can call it. */
  cleanup(): void {
    if (this.#base !== null) Deno.removeSync(this.#base, { recursive: true });
    this.#base = null;
  }
}
