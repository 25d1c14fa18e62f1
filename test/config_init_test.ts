/** `runprov config init`: a commented runprov.jsonc with every key at its default. */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { withSandbox } from "./helpers.ts";
import schema from "../runprov.schema.json" with { type: "json" };

/** Dotted leaf keys of the shipped schema, walked here independently of lib/. */
function leafKeys(node: Record<string, unknown>, prefix = ""): string[] {
  const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props).flatMap(([k, sub]) => {
    if (k === "$schema") return [];
    const full = prefix ? `${prefix}.${k}` : k;
    return sub.type === "object" && sub.properties ? leafKeys(sub, full) : [full];
  });
}

Deno.test("config init: writes runprov.jsonc that runprov reads back as exactly the defaults", async () => {
  await withSandbox(async (sb) => {
    const defaults = (await sb.json(["config", "--json"])).config;
    const r = await sb.runprov(["config", "init"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, /wrote .*runprov\.jsonc/);
    const text = await Deno.readTextFile(join(sb.dir, "runprov.jsonc"));
    assertMatch(text, /^\/\/ /);
    assertMatch(text, /"\$schema": "https:\/\/.*\/runprov\.schema\.json"/);
    const shown = await sb.json(["config", "--json"]);
    assertEquals(shown.file_source, "repo");
    assertEquals(shown.config, defaults);
    const sources = Object.entries(shown.sources).filter(([k]) => k !== "policy");
    assertEquals(sources.map(([, v]) => v).filter((v) => v !== "file"), []);
    assertEquals(Object.keys(shown.sources).sort(), leafKeys(schema).sort());
    // Every key carries a comment line right above it.
    for (const key of leafKeys(schema)) {
      const name = key.split(".").at(-1)!;
      const i = text.split("\n").findIndex((l) => l.trimStart().startsWith(`"${name}":`));
      assert(i > 0 && text.split("\n")[i - 1].trimStart().startsWith("//"), key);
    }
  });
});

Deno.test("config init: an existing runprov.jsonc is never replaced without --force", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "policy": "strict" }\n');
    const r = await sb.runprov(["config", "init"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /already exists; it was left as it is/);
    assertMatch(r.stderr, /--force/);
    assertEquals(
      await Deno.readTextFile(join(sb.dir, "runprov.jsonc")),
      '{ "policy": "strict" }\n',
    );
    const f = await sb.runprov(["config", "init", "--force"]);
    assertEquals(f.code, 0, f.stderr);
    assertEquals((await sb.json(["config", "--json"])).config.policy, "warn");
  });
});

Deno.test("config init: --stdout prints the file and writes nothing; outside a repo it says where", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["config", "init", "--stdout"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /"policy": "warn",/);
    const entries = [...Deno.readDirSync(sb.dir)].map((e) => e.name).sort();
    assertEquals(entries, [".git", "README.md"]);
  });
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["config", "init"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /not in a git repository/);
    const out = join(sb.dir, "my.jsonc");
    const w = await sb.runprov(["--config", out, "config", "init"]);
    assertEquals(w.code, 0, w.stderr);
    assertMatch(await Deno.readTextFile(out), /"dir": ".runprov\/runs"/);
  }, { git: false });
});

Deno.test("config: a stray argument or init-only flag is a usage error", async () => {
  await withSandbox(async (sb) => {
    for (const args of [["config", "nope"], ["config", "--force"], ["config", "init", "--json"]]) {
      const r = await sb.runprov(args);
      assertEquals(r.code, 2, args.join(" "));
      assertEquals(r.stdout, "");
    }
  });
});
