/**
 * The text `runprov config init` writes: a commented runprov.jsonc with every key of the
 * shipped schema at its default, and the list of dotted keys. Both are derived from
 * runprov.schema.json, so a key added there appears here without another edit. Pure.
 */
import { CONFIG_SCHEMA, type SchemaNode } from "./config.ts";

/**
 * Every leaf key of the schema, dotted, in the schema's order (`$schema` left out).
 *
 * @example
 * schemaKeys().slice(0, 2); // ["policy", "untracked"]
 */
export function schemaKeys(schema: SchemaNode = CONFIG_SCHEMA): string[] {
  const out: string[] = [];
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [key, sub] of Object.entries(node.properties ?? {})) {
      if (key === "$schema") continue;
      const full = prefix ? `${prefix}.${key}` : key;
      if (sub.type === "object" && sub.properties) walk(sub, full);
      else out.push(full);
    }
  };
  walk(schema, "");
  return out;
}

function comment(sub: SchemaNode, indent: string): string[] {
  const lines: string[] = [];
  if (sub.description) lines.push(`${indent}// ${sub.description}`);
  if (sub.enum) {
    lines.push(`${indent}// One of: ${sub.enum.map((v) => JSON.stringify(v)).join(", ")}.`);
  }
  return lines;
}

function body(node: SchemaNode, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    if (key === "$schema") continue;
    lines.push(...comment(sub, indent));
    if (sub.type === "object" && sub.properties) {
      lines.push(`${indent}${JSON.stringify(key)}: {`, ...body(sub, indent + "  "), `${indent}},`);
    } else {
      lines.push(`${indent}${JSON.stringify(key)}: ${JSON.stringify(sub.default ?? null)},`);
    }
  }
  return lines;
}

/**
 * A commented `runprov.jsonc` with every key at its default; `schemaUrl` goes into
 * `$schema` so editors can check and complete the file.
 */
export function initialConfigText(schemaUrl: string, schema: SchemaNode = CONFIG_SCHEMA): string {
  return [
    "// runprov configuration, written by 'runprov config init' with every key at its default.",
    "// Keep what you change, delete the rest; 'runprov config' shows the effective values.",
    "{",
    `  "$schema": ${JSON.stringify(schemaUrl)},`,
    ...body(schema, "  "),
    "}",
    "",
  ].join("\n");
}
