/**
 * The README and every page of docs/ link only to files that exist and to headings those
 * files have: the reference was split into pages, and a link that lands nowhere is how a
 * newcomer learns a page moved.
 */
import { assert, assertEquals } from "./assert.ts";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "./helpers.ts";
import { anchors, relativeLinks } from "./markdown.ts";

async function pages(): Promise<string[]> {
  const out = [join(ROOT, "README.md")];
  for await (const e of Deno.readDir(join(ROOT, "docs"))) {
    if (e.isFile && e.name.endsWith(".md")) out.push(join(ROOT, "docs", e.name));
  }
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("docs: every relative link in README.md and docs/ reaches a file and a heading", async () => {
  const texts = new Map<string, string>();
  for (const p of await pages()) texts.set(p, await Deno.readTextFile(p));
  const broken: string[] = [];
  let checked = 0;
  for (const [page, text] of texts) {
    for (const link of relativeLinks(text)) {
      checked++;
      const [path, anchor] = link.split("#", 2) as [string, string | undefined];
      const target = path === "" ? page : resolve(dirname(page), decodeURI(path));
      const where = `${relative(ROOT, page)}: ${link}`;
      if (!(await exists(target))) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!target.endsWith(".md")) {
        broken.push(`${where} (an anchor into a file that is not Markdown)`);
        continue;
      }
      const body = texts.get(target) ?? await Deno.readTextFile(target);
      if (!anchors(body).has(anchor)) broken.push(`${where} (no such heading)`);
    }
  }
  assert(checked > 100, `only ${checked} links found: is the parser broken?`);
  assertEquals(broken, []);
});

Deno.test("docs: the README links every page of docs/", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const linked = new Set(
    relativeLinks(readme).map((l) => l.split("#")[0]).filter((l) => l.startsWith("docs/")),
  );
  const missing = (await pages())
    .map((p) => relative(ROOT, p))
    .filter((p) => p.startsWith("docs/") && !linked.has(p));
  assertEquals(missing, [], "pages of docs/ the README does not link");
});
