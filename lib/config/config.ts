/**
 * The configuration file `runprov.jsonc`: where it is, parsing (JSONC: comments and
 * trailing commas) and validation against the shipped `runprov.schema.json`, with every
 * mistake reported as `file:line:column: what was wrong, what was expected` (exit 2).
 */
import type { Node, ParseError } from "jsonc-parser";
import { isAbsolute, join, resolve } from "../util/paths.ts";
import schemaJson from "../../runprov.schema.json" with { type: "json" };
import { osReason, shown, shownPath, usageError } from "../errors.ts";
import { globProblem } from "./glob.ts";
import { JSON_MAX_DEPTH, jsonDepthOffset, lineColumn } from "../util/jsonpos.ts";
import type { EnvironmentSettings } from "../environment/facts.ts";

type JsoncParser = typeof import("jsonc-parser");
let jsonc: JsoncParser | null = null;

/**
 * Load the JSONC parser (an npm package: loading it costs start-up time, so only runs
 * that have a configuration file pay for it). {@link parseConfig} needs it loaded.
 */
export async function loadConfigParser(): Promise<void> {
  jsonc ??= await import("jsonc-parser");
}

/** The config file's name at the repository top. */
export const CONFIG_FILE = "runprov.jsonc";

/** The subset of JSON Schema the shipped schema uses (and the validator understands). */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  enum?: readonly unknown[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean;
  items?: SchemaNode;
  minLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  default?: unknown;
  description?: string;
}

/** The shipped schema (`runprov.schema.json`), the single source of keys, types and defaults. */
export const CONFIG_SCHEMA = schemaJson as unknown as SchemaNode;

/**
 * Where run tags live (config `tag.refs`): `tags`, `refs/tags/<prefix><id>` (seen by
 * `git describe` and fetched by clones), or `runprov`, `refs/runprov/tags/<prefix><id>`
 * (neither).
 */
export type TagRefs = "tags" | "runprov";

/** The `tag` section: the tag name prefix, the remote `--push` uses, push, sign, refs. */
export interface TagSection {
  prefix: string;
  remote: string;
  push: boolean;
  sign: boolean;
  refs: TagRefs;
}

/** The effective configuration. */
export interface Config {
  policy: "strict" | "warn" | "off";
  untracked: "report" | "dirty" | "ignore";
  ignore: string[];
  /** Record directory, relative to the repository top or absolute. */
  dir: string;
  /** Seconds before a git process is killed. */
  git_timeout: number;
  tag: TagSection;
  /** Sharing runs: the remote (empty: the tag remote) and whether exec pushes its run. */
  share: { remote: string; push: boolean };
  patch: { capture: boolean; max_bytes: number };
  /** What the record's `environment` section captures. */
  environment: EnvironmentSettings;
}

/** The defaults, taken from the schema's `default` values. */
export function defaultConfig(): Config {
  return defaultsOf(CONFIG_SCHEMA) as Config;
}

function defaultsOf(s: SchemaNode): unknown {
  if (s.type === "object" && s.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries(s.properties)) {
      if (k === "$schema") continue;
      out[k] = sub.default !== undefined ? structuredClone(sub.default) : defaultsOf(sub);
    }
    return out;
  }
  return s.default;
}

/** A loaded configuration: values, the file they came from, and which keys the file set. */
export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read, or null (defaults only). */
  file: string | null;
  /** Why this file: `flag` (--config), `env` (RUNPROV_CONFIG), `repo` (found at the top). */
  fileSource: "flag" | "env" | "repo" | null;
  /** Dotted keys the file set (`policy`, `tag.prefix`, ...). */
  setKeys: Set<string>;
}

/** The tag-prefix rule, in words (the schema's pattern says the same). */
const EXPECTED_BY_PATTERN: Record<string, string> = {
  "tag.prefix": "a prefix that makes valid git tag names: not empty, no spaces or any of " +
    "~ ^ : ? * [ \\, no '..', '@{' or '//', not starting with '/', no part starting with '.' " +
    'or ending in \'.lock\' (e.g. "run/" or "exp-")',
  "share.remote": "a configured remote's name (git remote -v), not a URL: no ':', '@' or " +
    "spaces, not starting with '-'; empty for the tag remote",
  "ignore[]": "a glob that is not '/' alone and does not start with '!' (negation is not " +
    "supported)",
  "environment.vars[]": "a glob of variable names: letters, digits, '_', '-' and the glob " +
    'characters * ? [ ] ! ^ (e.g. "NCCL_*")',
};

const SYNTAX: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a key in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':' after the key",
  CommaExpected: "expected ',' between entries",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "expected the end of the file after the top-level object",
  InvalidCommentToken: "invalid comment",
  UnexpectedEndOfComment: "unterminated /* comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "incomplete number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape in a string",
  InvalidCharacter: "invalid character in a string (control characters must be escaped)",
};

function kindOf(node: Node): string {
  if (node.type === "number") return Number.isInteger(node.value) ? "an integer" : "a number";
  if (node.type === "null") return "null";
  return { object: "an object", array: "an array", string: "a string", boolean: "a boolean" }[
    node.type as string
  ] ?? node.type;
}

function typeWord(t: SchemaNode["type"]): string {
  return t === "integer" ? "an integer" : t === "object" || t === "array" ? `an ${t}` : `a ${t}`;
}

/**
 * Parse and validate the text of a config file. Throws a usage error (exit 2) whose
 * message starts with `file:line:column:`.
 *
 * @example
 * parseConfig('{ "policy": "strict", // comment\n }', "runprov.jsonc").config.policy; // "strict"
 */
export function parseConfig(text: string, file: string): { config: Config; setKeys: Set<string> } {
  if (!jsonc) throw new Error("parseConfig: call loadConfigParser() first");
  const { parseTree, printParseErrorCode } = jsonc;
  const fail = (offset: number, what: string): never => {
    const { line, column } = lineColumn(text, offset);
    throw usageError(
      `${shownPath(file)}:${line}:${column}: ${what}`,
      "fix the configuration file (keys and types: docs/configuration.md, runprov.schema.json)",
    );
  };
  // The parser recurses once per level: a file nested deeper than any configuration would
  // exhaust the stack, so it is refused first, with the position where it goes too deep.
  const deep = jsonDepthOffset(text, JSON_MAX_DEPTH, true);
  if (deep !== null) fail(deep, `nested deeper than ${JSON_MAX_DEPTH} levels`);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0];
    const code = printParseErrorCode(e.error);
    fail(e.offset, `syntax error: ${SYNTAX[code] ?? code}`);
  }
  if (!root) return fail(0, "the file is empty, expected a JSON object such as {}");
  const setKeys = new Set<string>();
  const value = check(root, CONFIG_SCHEMA, "", fail, setKeys) as Record<string, unknown>;
  const config = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  for (const [k, v] of Object.entries(value)) {
    if (k === "$schema") continue;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      Object.assign(config[k], v);
    } else {
      (config as Record<string, unknown>)[k] = v;
    }
  }
  return { config: config as unknown as Config, setKeys };
}

function check(
  node: Node,
  s: SchemaNode,
  path: string,
  fail: (offset: number, what: string) => never,
  setKeys: Set<string>,
): unknown {
  const name = path === "" ? "the configuration" : `"${path}"`;
  if (s.enum) {
    if (!s.enum.includes(node.value)) {
      const given = node.type === "string"
        ? shown(node.value)
        : node.type === "number" || node.type === "boolean"
        ? JSON.stringify(node.value)
        : kindOf(node);
      fail(
        node.offset,
        `${name} is ${given}, expected one of ${s.enum.map((v) => JSON.stringify(v)).join(", ")}`,
      );
    }
    return node.value;
  }
  const t = s.type;
  const okType = t === "integer"
    ? node.type === "number" && Number.isInteger(node.value)
    : node.type === t;
  if (!okType) fail(node.offset, `${name} is ${kindOf(node)}, expected ${typeWord(t)}`);
  switch (t) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        const key = keyNode.value as string;
        const full = path === "" ? key : `${path}.${key}`;
        const sub = s.properties?.[key];
        if (!sub) {
          const known = Object.keys(s.properties ?? {}).filter((k) => k !== "$schema");
          fail(
            keyNode.offset,
            `unknown key ${shown(full)}, expected one of: ${known.join(", ")}`,
          );
        }
        if (Object.hasOwn(out, key)) fail(keyNode.offset, `duplicate key ${shown(full)}`);
        if (!valueNode) fail(keyNode.offset, `${shown(full)} has no value`);
        out[key] = check(valueNode, sub!, full, fail, setKeys);
        setKeys.add(full);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map((child, i) =>
        check(child, s.items!, `${path}[${i}]`, fail, setKeys)
      );
    case "string": {
      const v = node.value as string;
      if (s.minLength !== undefined && v.length < s.minLength) {
        fail(node.offset, `${name} is empty, expected ${expectation(path, "a non-empty string")}`);
      }
      if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(v)) {
        fail(
          node.offset,
          `${name} is ${shown(v)}, expected ${expectation(path, `to match ${s.pattern}`)}`,
        );
      }
      const globError = /^ignore\[\d+\]$/.test(path) ? globProblem(v) : null;
      if (globError) fail(node.offset, `${name} is ${shown(v)}, not a valid glob: ${globError}`);
      return v;
    }
    case "number":
    case "integer": {
      const v = node.value as number;
      const bad = (s.minimum !== undefined && v < s.minimum) ||
        (s.maximum !== undefined && v > s.maximum) ||
        (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum);
      if (bad) {
        const lo = s.exclusiveMinimum !== undefined
          ? `greater than ${s.exclusiveMinimum}`
          : s.minimum !== undefined
          ? `at least ${s.minimum}`
          : "";
        const hi = s.maximum !== undefined ? `at most ${s.maximum}` : "";
        fail(node.offset, `${name} is ${v}, expected ${[lo, hi].filter(Boolean).join(" and ")}`);
      }
      return v;
    }
    default:
      return node.value;
  }
}

function expectation(path: string, fallback: string): string {
  const generic = path.replace(/\[\d+\]$/, "[]");
  return EXPECTED_BY_PATTERN[generic] ?? fallback;
}

/**
 * Find and load the configuration: `--config FILE` (flag), else `RUNPROV_CONFIG` (env),
 * else `runprov.jsonc` at the repository top `root` (when there is one), else defaults.
 * A file named by flag or env must exist.
 */
export async function loadConfig(opts: {
  flag?: string;
  env: Record<string, string>;
  cwd: string;
  root: string | null;
}): Promise<LoadedConfig> {
  let file: string | null = null;
  let fileSource: LoadedConfig["fileSource"] = null;
  if (opts.flag) {
    file = opts.flag;
    fileSource = "flag";
  } else if (opts.env.RUNPROV_CONFIG) {
    const v = opts.env.RUNPROV_CONFIG;
    file = isAbsolute(v) ? v : resolve(opts.cwd, v);
    fileSource = "env";
  } else if (opts.root !== null) {
    file = join(opts.root, CONFIG_FILE);
    fileSource = "repo";
  }
  let text: string | null = null;
  if (file !== null) {
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      if (fileSource === "repo" && err instanceof Deno.errors.NotFound) {
        file = null;
        fileSource = null;
      } else {
        const by = fileSource === "flag"
          ? "--config"
          : fileSource === "env"
          ? "RUNPROV_CONFIG"
          : "";
        throw usageError(
          `cannot read the configuration ${shownPath(file)}${by ? ` (${by})` : ""}: ${
            err instanceof Deno.errors.NotFound ? "no such file" : osReason(err)
          }`,
          by ? `check the path given by ${by}` : "check the file's permissions",
        );
      }
    }
  }
  if (text === null || file === null) {
    return { config: defaultConfig(), file: null, fileSource: null, setKeys: new Set() };
  }
  await loadConfigParser();
  const { config, setKeys } = parseConfig(text, file);
  return { config, file, fileSource, setKeys };
}
