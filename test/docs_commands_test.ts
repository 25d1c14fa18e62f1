/**
 * docs/commands.md against the real CLI: every command `runprov --help` lists has its
 * section, and every option that `runprov COMMAND --help` prints is in that section's
 * options table (with the same value placeholder), and nothing else is.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { ROOT, Sandbox } from "./helpers.ts";
import { type HelpOption, optionsInHelp } from "../lib/cli/help_options.ts";
import { codeSpans, sections, tables } from "./markdown.ts";

const DOC = await Deno.readTextFile(join(ROOT, "docs", "commands.md"));

/** One option as `NAME`, `NAME VALUE` or `NAME VALUE?` (a value that may be left out). */
function helpKeys(o: HelpOption): string[] {
  const tail = o.value ? ` ${o.value}${o.optionalValue ? "?" : ""}` : "";
  return [o.long, o.short].filter((n): n is string => n !== undefined).map((n) => n + tail);
}

/**
 * The options of a section's option tables (header `| option | ...`), from the first cell of
 * each row (`-q`, `--quiet`).
 */
function documentedOptions(section: string): string[] {
  const out: string[] = [];
  const rows = tables(section).filter((t) => t[0]?.[0] === "option").flatMap((t) => t.slice(1));
  for (const row of rows) {
    for (const span of codeSpans(row[0])) {
      const m =
        /^(--?[A-Za-z][A-Za-z0-9-]*)(?:(\[=|\s\[)([A-Z][A-Z0-9_|.-]*)\]|[= ]([A-Z][A-Z0-9_|.-]*))?$/
          .exec(span);
      if (!m) continue;
      const value = m[3] ?? m[4];
      out.push(m[1] + (value ? ` ${value}${m[3] ? "?" : ""}` : ""));
    }
  }
  return out.sort();
}

/** The command names of the top-level help's "Commands:" list. */
function commandsInHelp(help: string): string[] {
  const list = help.slice(help.indexOf("Commands:\n") + "Commands:\n".length);
  const out: string[] = [];
  for (const line of list.split("\n")) {
    const m = /^ {2}([a-z][a-z-]*) {2,}/.exec(line);
    if (!m) break;
    out.push(m[1]);
  }
  return out;
}

async function help(sb: Sandbox, args: string[]): Promise<string> {
  const r = await sb.runprov(args);
  assertEquals(r.code, 0, `runprov ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

Deno.test("docs/commands.md: every command of runprov --help has a section, and only those", async () => {
  const sb = await Sandbox.create();
  try {
    const commands = commandsInHelp(await help(sb, ["--help"]));
    assert(commands.length >= 10, `commands found in --help: ${commands}`);
    const documented = [...sections(DOC, 2).keys()]
      .map((h) => /^`runprov ([a-z-]+)`$/.exec(h)?.[1])
      .filter((c): c is string => c !== undefined);
    assertEquals(documented.sort(), [...commands, "help"].sort());
  } finally {
    await sb.cleanup();
  }
});

Deno.test("docs/commands.md: each command's options are exactly those of its --help", async () => {
  const sb = await Sandbox.create();
  try {
    const all = sections(DOC, 2);
    const mainHelp = await help(sb, ["--help"]);
    const cases: [string, string, string][] = [["Global options", "global", mainHelp]];
    for (const c of commandsInHelp(mainHelp)) {
      cases.push([`\`runprov ${c}\``, c, await help(sb, [c, "--help"])]);
    }
    const differences: string[] = [];
    for (const [heading, name, text] of cases) {
      const section = all.get(heading);
      if (section === undefined) {
        differences.push(`${name}: no section "## ${heading}"`);
        continue;
      }
      const inHelp = optionsInHelp(text).flatMap(helpKeys).sort();
      const inDoc = documentedOptions(section);
      for (const o of inHelp) {
        if (!inDoc.includes(o)) differences.push(`${name}: ${o} not in the doc`);
      }
      for (const o of inDoc) {
        if (!inHelp.includes(o)) differences.push(`${name}: ${o} not in --help`);
      }
    }
    assertEquals(differences, []);
    // The check itself sees options: env alone documents eleven.
    assertEquals(documentedOptions(all.get("`runprov env`")!).length, 11);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("docs/commands.md: the option parser of the doc reads every form the doc uses", () => {
  const table = [
    "| option | meaning |",
    "| --- | --- |",
    "| `-C DIR` | x |",
    "| `-q`, `--quiet` | x |",
    "| `--push[=REMOTE]` | x |",
    "| `--push [REMOTE]` | x |",
    "| `--format FORMAT` | `--not-this` in the meaning |",
  ].join("\n");
  assertEquals(documentedOptions(table), [
    "--format FORMAT",
    "--push REMOTE?",
    "--push REMOTE?",
    "--quiet",
    "-C DIR",
    "-q",
  ]);
});
