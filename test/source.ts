/**
 * Reading the project's source as Deno reads it, for structural tests: the module graph from
 * `deno info --json` (static, dynamic and type-only imports told apart) and the syntax tree
 * from Deno's own parser (`Deno.lint.runPlugin`), so a comment or a string that mentions a
 * name never satisfies or fails a check.
 */
import { ROOT, run } from "./helpers.ts";

/** One import of a module: the resolved specifier, and whether it is `import()`. */
export interface Dep {
  specifier: string;
  dynamic: boolean;
}

interface InfoJson {
  modules: { specifier: string; dependencies?: InfoDep[] }[];
}
interface InfoDep {
  code?: { specifier: string };
  isDynamic?: boolean;
}

/**
 * The module graph of `entries` (paths relative to the repository): each module's value
 * imports (type-only imports are erased at run time, so they are left out).
 */
export async function moduleGraph(entries: string[]): Promise<Map<string, Dep[]>> {
  const graph = new Map<string, Dep[]>();
  for (const entry of entries) {
    const r = await run(Deno.execPath(), ["info", "--json", entry], {
      cwd: ROOT,
      env: { ...Deno.env.toObject(), NO_COLOR: "1" },
    });
    if (r.code !== 0) throw new Error(`deno info ${entry}: ${r.stderr}`);
    for (const m of (JSON.parse(r.stdout) as InfoJson).modules) {
      const deps = (m.dependencies ?? [])
        .filter((d) => d.code !== undefined)
        .map((d) => ({ specifier: d.code!.specifier, dynamic: d.isDynamic === true }));
      graph.set(m.specifier, deps);
    }
  }
  return graph;
}

/** The modules loaded with `roots` before any dynamic import runs (roots included). */
export function staticClosure(graph: Map<string, Dep[]>, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    for (const d of graph.get(url) ?? []) if (!d.dynamic) todo.push(d.specifier);
  }
  return seen;
}

/** Run `visitor` over the syntax tree of `source` (a TypeScript module named `file`). */
function walk(file: string, source: string, visitor: Deno.lint.LintVisitor): void {
  const plugin: Deno.lint.Plugin = {
    name: "runprov-test",
    rules: { walk: { create: () => visitor } },
  };
  Deno.lint.runPlugin(plugin, file.replace(/^file:\/\//, ""), source);
}

/** Calls of `name` in `source`, bare or as a property (`globalThis.setTimeout(…)`). */
export function callsTo(file: string, source: string, name: string): string[] {
  const found: string[] = [];
  walk(file, source, {
    CallExpression(node) {
      const c = node.callee;
      if (c.type === "Identifier" && c.name === name) found.push(`${name}(…)`);
      if (
        c.type === "MemberExpression" && c.property.type === "Identifier" &&
        c.property.name === name
      ) found.push(`….${name}(…)`);
    },
  });
  return found;
}

/** Uses of `import.meta.url` in `source`. */
export function importMetaUrls(file: string, source: string): number {
  let n = 0;
  walk(file, source, {
    MemberExpression(node) {
      if (
        node.object.type === "MetaProperty" && node.object.meta.name === "import" &&
        node.property.type === "Identifier" && node.property.name === "url"
      ) n++;
    },
  });
  return n;
}

/** The local names `source` binds to the default import of `from` (`import x from "…"`). */
export function defaultImports(file: string, source: string, from: string): string[] {
  const names: string[] = [];
  walk(file, source, {
    ImportDeclaration(node) {
      if (node.source.value !== from) return;
      for (const s of node.specifiers) {
        if (s.type === "ImportDefaultSpecifier") names.push(s.local.name);
      }
    },
  });
  return names;
}

/**
 * The array literals in `source` that hold the string `word` and spread the identifier
 * `spread` (`["compile", ...permissions]`), counted.
 */
export function arraysSpreading(
  file: string,
  source: string,
  word: string,
  spread: string,
): number {
  let n = 0;
  walk(file, source, {
    ArrayExpression(node) {
      const hasWord = node.elements.some((e) => e?.type === "Literal" && e.value === word);
      const spreads = node.elements.some((e) =>
        e?.type === "SpreadElement" && e.argument.type === "Identifier" &&
        e.argument.name === spread
      );
      if (hasWord && spreads) n++;
    },
  });
  return n;
}

/**
 * The processes `source` starts: per `new Deno.Command(…)` (or `Deno.run(…)`), the command
 * when it is a string literal, else `…` (a command chosen at run time).
 */
export function processSpawns(file: string, source: string): string[] {
  const found: string[] = [];
  const isDeno = (c: Deno.lint.Node, prop: string) =>
    c.type === "MemberExpression" && c.object.type === "Identifier" &&
    c.object.name === "Deno" && c.property.type === "Identifier" && c.property.name === prop;
  const command = (arg: Deno.lint.Node | undefined) =>
    arg?.type === "Literal" && typeof arg.value === "string" ? arg.value : "…";
  walk(file, source, {
    NewExpression(node) {
      if (isDeno(node.callee, "Command")) found.push(command(node.arguments[0]));
    },
    CallExpression(node) {
      if (isDeno(node.callee, "run")) found.push("…");
    },
  });
  return found;
}
