/**
 * `runprov runs` at scale: thousands of run tags (made at once with git fast-import) and
 * local records, listed once each, newest first, merged, from one `git for-each-ref`.
 */
import { join } from "node:path";
import { Sandbox } from "../sandbox.ts";
import { fakeGit } from "../fake_git.ts";
import { type Failures, type Figures, timed } from "../figures.ts";
import { runsDir } from "../records.ts";

/**
 * `tags` run tags (made at once with `git fast-import`, messages as `runprov tag` writes
 * them) and `records` local records (written directly from a stamped template), `overlap`
 * runs having both; then `runprov runs --json` must list every run once, newest first,
 * a run with both showing the record's facts and the tag, from one `git for-each-ref`.
 */
export async function runsScaleScenario(tags: number, records: number): Promise<Figures> {
  const sb = await Sandbox.create();
  const failures: Failures = [];
  try {
    const overlap = Math.min(records, tags, Math.ceil(records / 2));
    const made = await sb.runprov(["stamp", "--run-id", "template"]);
    if (made.code !== 0) throw new Error(`stamp: ${made.stderr}`);
    const tagged = await sb.runprov(["tag", "--run", "template"]);
    if (tagged.code !== 0) throw new Error(`tag: ${tagged.stderr}`);
    const raw = await sb.git("cat-file", "tag", "refs/tags/run/template");
    const message = raw.slice(raw.indexOf("\n\n") + 2);
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    const template = JSON.parse(await Deno.readTextFile(join(runsDir(sb), "template.json")));
    await Deno.remove(join(runsDir(sb), "template.json"));
    await sb.git("tag", "-d", "run/template");

    // Dates: tag i at base + 2i seconds, record j at base + 2j + 1 (interleaved, distinct).
    const base = 1_700_000_000;
    const enc = new TextEncoder();
    const chunks: string[] = [];
    for (let i = 0; i < tags; i++) {
      const id = `t-${String(i).padStart(6, "0")}`;
      const msg = message.replaceAll("template", id);
      chunks.push(
        `tag run/${id}\nfrom ${head}\ntagger runprov <r@p.invalid> ${base + 2 * i} +0000\n` +
          `data ${enc.encode(msg).length}\n${msg}\n`,
      );
    }
    const [, seconds] = await timed(async () => {
      const fi = new Deno.Command("git", {
        args: ["fast-import", "--quiet"],
        cwd: sb.dir,
        env: sb.env,
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const w = fi.stdin.getWriter();
      await w.write(enc.encode(chunks.join("")));
      await w.close();
      const out = await fi.output();
      if (out.code !== 0) throw new Error(`fast-import: ${new TextDecoder().decode(out.stderr)}`);
      for (let j = 0; j < records; j++) {
        // The first `overlap` records share their id with a tag.
        const id = j < overlap
          ? `t-${String(j).padStart(6, "0")}`
          : `r-${String(j).padStart(6, "0")}`;
        const at = j < overlap ? base + 2 * j + 1 : base + 2 * (tags + j) + 1;
        const rec = {
          ...template,
          run_id: id,
          name: `rec ${j}`,
          created_at: new Date(at * 1000).toISOString(),
        };
        await Deno.writeTextFile(
          join(runsDir(sb), `${id}.json`),
          JSON.stringify(rec, null, 2) + "\n",
        );
      }
    });
    const git = await fakeGit(sb.base);
    const t0 = performance.now();
    const r = await sb.runprov(["runs", "--json"], { env: { PATH: git.path(sb.env.PATH) } });
    const runsSeconds = (performance.now() - t0) / 1000;
    if (r.code !== 0) failures.push(`runs: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
    const calls = await git.calls();
    const listing = calls.filter((c) => /\bfor-each-ref\b/.test(c));
    if (listing.length !== 1) failures.push(`${listing.length} for-each-ref calls: ${listing}`);
    // Finding the repository, then the one listing: nothing per tag or per record.
    if (calls.length > 2) failures.push(`${calls.length} git processes: ${calls.join("; ")}`);
    const entries = r.code === 0 ? JSON.parse(r.stdout) as Record<string, unknown>[] : [];
    const want = tags + records - overlap;
    if (entries.length !== want) failures.push(`${entries.length} runs listed, want ${want}`);
    for (let k = 1; k < entries.length; k++) {
      if (String(entries[k - 1].date) < String(entries[k].date)) {
        failures.push(`not newest first at ${k}: ${entries[k - 1].id} before ${entries[k].id}`);
        break;
      }
    }
    const ids = new Set(entries.map((e) => e.id));
    if (ids.size !== entries.length) failures.push(`${entries.length - ids.size} duplicate ids`);
    let merged = 0;
    for (const e of entries) {
      const both = /^t-/.test(String(e.id)) && Number(String(e.id).slice(2)) < overlap;
      if (both) {
        merged++;
        if (e.tag !== `run/${e.id}` || e.record === null || !/^rec /.test(String(e.name))) {
          failures.push(`${e.id}: not merged: ${JSON.stringify(e)}`);
        }
      } else if (/^t-/.test(String(e.id))) {
        if (e.status !== "tagged" || e.record !== null || e.sha !== head) {
          failures.push(`${e.id}: tag-only entry wrong: ${JSON.stringify(e)}`);
        }
      } else if (e.tag !== null || e.record === null) {
        failures.push(`${e.id}: record-only entry wrong: ${JSON.stringify(e)}`);
      }
      if (failures.length > 20) break;
    }
    if (merged !== overlap) failures.push(`${merged} merged runs, want ${overlap}`);
    return {
      scenario: "runs at scale",
      tried: `${tags} run tags (git fast-import) + ${records} records (${overlap} runs with ` +
        `both): runs --json lists ${entries.length}, newest first, merged, with ` +
        `${listing.length} for-each-ref of ${calls.length} git processes in ` +
        `${runsSeconds.toFixed(1)} s`,
      cases: tags + records,
      failures,
      seconds: seconds + runsSeconds,
    };
  } finally {
    await sb.cleanup();
  }
}
