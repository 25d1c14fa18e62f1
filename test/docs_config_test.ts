/**
 * docs/configuration.md against the shipped schema: its keys table lists exactly the keys
 * of runprov.schema.json, each with the schema's default, and the page names the URL that
 * `runprov config init` writes into `$schema`.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { ROOT, withSandbox } from "./helpers.ts";
import { schemaKeys } from "../lib/config/init_text.ts";
import { CONFIG_SCHEMA, type SchemaNode } from "../lib/config/config.ts";
import { codeSpans, sections, tables } from "./markdown.ts";

const DOC = await Deno.readTextFile(join(ROOT, "docs", "configuration.md"));

/** The keys table: dotted key -> the default column's JSON text. */
function keysTable(): Map<string, string> {
  const section = sections(DOC, 2).get("Keys") ?? "";
  const table = tables(section).find((t) => t[0]?.[0] === "key") ?? [];
  const out = new Map<string, string>();
  for (const row of table.slice(1)) {
    const [key] = codeSpans(row[0]);
    const header = table[0].indexOf("default");
    out.set(key, codeSpans(row[header])[0] ?? "");
  }
  return out;
}

function schemaDefault(key: string): unknown {
  let node: SchemaNode = CONFIG_SCHEMA;
  for (const part of key.split(".")) node = node.properties![part];
  return node.default;
}

Deno.test("docs/configuration.md: the keys table is exactly the schema's keys, with its defaults", () => {
  const table = keysTable();
  assertEquals([...table.keys()].sort(), schemaKeys().sort());
  const sectionOf = sections(DOC, 2);
  for (const key of schemaKeys()) {
    const shown = table.get(key)!;
    const wanted = schemaDefault(key);
    if (shown !== "") {
      assertEquals(JSON.parse(shown), wanted, `default of ${key}`);
      continue;
    }
    // A long default list is spelled out in the key's own section instead.
    assert(Array.isArray(wanted), `${key}: the table shows no default`);
    const section = sectionOf.get(`\`${key.split(".")[0]}\``) ?? "";
    for (const item of wanted) {
      assert(codeSpans(section).includes(item), `${key}: default ${item} not in its section`);
    }
  }
});

Deno.test("docs/configuration.md: every key has its own explanation on the page", () => {
  const headings = [...sections(DOC, 2).keys()].flatMap(codeSpans);
  for (const key of schemaKeys()) {
    const top = key.split(".")[0];
    // policy is explained under "Policy"; the others under a heading naming them.
    if (top === "policy") continue;
    assertEquals(headings.includes(top), true, `no "## \`${top}\`" section`);
  }
});

Deno.test("docs/configuration.md names the $schema URL config init writes", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["config", "init", "--stdout"]);
    assertEquals(r.code, 0, r.stderr);
    const url = /"\$schema": "([^"]+)"/.exec(r.stdout)![1];
    const pattern = url.replace(/\/v[^/]+\//, "/v<version>/");
    assert(DOC.includes(pattern), `the page does not name ${pattern}`);
  });
});
