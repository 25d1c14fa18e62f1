/**
 * runprov.jsonc: the validator against the shipped JSON Schema (the same verdict on a table
 * of configs), error positions, and the defaults.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "./assert.ts";
import schema from "../runprov.schema.json" with { type: "json" };
import { defaultConfig, loadConfigParser, parseConfig } from "../lib/config/config.ts";
import { lineColumn } from "../lib/util/jsonpos.ts";
import { DEFAULT_RECORD_DIR } from "../lib/run/layout.ts";

await loadConfigParser();

type Json = unknown;
type Schema = Record<string, Json>;

/**
 * An independent check of a value against the schema, for the keywords the schema uses
 * (fails loudly on any other keyword, so the schema cannot grow past what is checked here).
 */
function schemaValid(v: Json, s: Schema): boolean {
  const known = new Set([
    "$schema",
    "title",
    "description",
    "default",
    "type",
    "enum",
    "properties",
    "additionalProperties",
    "items",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
  ]);
  for (const k of Object.keys(s)) if (!known.has(k)) throw new Error(`unchecked keyword ${k}`);
  if (s.enum && !(s.enum as Json[]).includes(v)) return false;
  switch (s.type) {
    case "object": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      return Object.entries(v).every(([k, x]) =>
        props[k] ? schemaValid(x, props[k]) : s.additionalProperties !== false
      );
    }
    case "array":
      return Array.isArray(v) && v.every((x) => schemaValid(x, s.items as Schema));
    case "string":
      return typeof v === "string" &&
        (s.minLength === undefined || v.length >= (s.minLength as number)) &&
        (s.pattern === undefined || new RegExp(s.pattern as string, "u").test(v));
    case "integer":
    case "number":
      return typeof v === "number" && (s.type === "number" || Number.isInteger(v)) &&
        (s.minimum === undefined || v >= (s.minimum as number)) &&
        (s.maximum === undefined || v <= (s.maximum as number)) &&
        (s.exclusiveMinimum === undefined || v > (s.exclusiveMinimum as number));
    case "boolean":
      return typeof v === "boolean";
  }
  return s.enum !== undefined;
}

function validatorAccepts(v: Json): boolean {
  try {
    parseConfig(JSON.stringify(v), "runprov.jsonc");
    return true;
  } catch {
    return false;
  }
}

const VALID: Json[] = [
  {},
  { $schema: "./runprov.schema.json" },
  { policy: "strict" },
  { policy: "off", untracked: "dirty" },
  { untracked: "ignore", ignore: [] },
  { ignore: ["outputs/**", "wandb/", "mlruns/", "*.ckpt", "/data", "a/**/b"] },
  { dir: "runs" },
  { dir: "/abs/records" },
  { git_timeout: 0.5 },
  { git_timeout: 86400 },
  { tag: {} },
  { tag: { prefix: "run/", remote: "upstream", push: true, sign: false } },
  { tag: { prefix: "exp-" } },
  { tag: { prefix: "ml/runs/" } },
  { tag: { prefix: "foo./" } },
  { tag: { refs: "runprov" } },
  { tag: { refs: "tags", sign: true } },
  { patch: { capture: false } },
  { patch: { max_bytes: 0 } },
  { patch: { capture: true, max_bytes: 1048576 } },
  { environment: {} },
  { environment: { capture: false } },
  { environment: { python: true, packages: false, gpu: false, container: true } },
  { environment: { vars: [] } },
  { environment: { vars: ["NCCL_*", "MY_SEED", "OMP_?UM_THREADS", "TORCH_[A-Z]*", "A-B"] } },
];

const INVALID: Json[] = [
  [],
  "strict",
  null,
  { polcy: "strict" },
  { policy: "strikt" },
  { policy: true },
  { untracked: "all" },
  { ignore: "outputs/**" },
  { ignore: [1] },
  { ignore: [""] },
  { ignore: ["!keep"] },
  { ignore: ["/"] },
  { dir: "" },
  { dir: 3 },
  { git_timeout: 0 },
  { git_timeout: -1 },
  { git_timeout: "60" },
  { git_timeout: 100000 },
  { tag: "run/" },
  { tag: { prefix: "" } },
  { tag: { prefix: "run /" } },
  { tag: { prefix: "run:" } },
  { tag: { prefix: "a..b/" } },
  { tag: { prefix: "/run/" } },
  { tag: { prefix: "run//" } },
  { tag: { prefix: ".hidden/" } },
  { tag: { prefix: "x/.y/" } },
  { tag: { prefix: "x.lock/" } },
  { tag: { prefix: "a@{b" } },
  { tag: { prefix: "run*" } },
  { tag: { prefix: "run\\" } },
  { tag: { push: "yes" } },
  { tag: { signed: true } },
  { tag: { refs: "heads" } },
  { tag: { refs: true } },
  { patch: { max_bytes: 1.5 } },
  { patch: { max_bytes: -1 } },
  { patch: { capture: 1 } },
  { patch: { size: 10 } },
  { environment: false },
  { environment: { capture: "yes" } },
  { environment: { gpus: false } },
  { environment: { vars: "NCCL_*" } },
  { environment: { vars: [""] } },
  { environment: { vars: ["A B"] } },
  { environment: { vars: ["$(id)"] } },
  { environment: { vars: ["A=B"] } },
  { environment: { vars: [3] } },
];

Deno.test("config: the validator and the JSON Schema agree on every config in the table", () => {
  for (const v of VALID) {
    assert(schemaValid(v, schema as Schema), `schema rejects ${JSON.stringify(v)}`);
    assert(validatorAccepts(v), `validator rejects ${JSON.stringify(v)}`);
  }
  for (const v of INVALID) {
    assert(!schemaValid(v, schema as Schema), `schema accepts ${JSON.stringify(v)}`);
    assert(!validatorAccepts(v), `validator accepts ${JSON.stringify(v)}`);
  }
});

Deno.test("config: the schema lists exactly the keys the config has, with its defaults", () => {
  const expected = {
    policy: "warn",
    untracked: "report",
    ignore: [],
    dir: ".runprov/runs",
    git_timeout: 60,
    tag: { prefix: "run/", remote: "origin", push: false, sign: false, refs: "tags" },
    share: { remote: "", push: false },
    patch: { capture: true, max_bytes: 10 * 1024 * 1024 },
    environment: {
      capture: true,
      python: true,
      packages: true,
      gpu: true,
      container: true,
      vars: [
        "CUDA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "CUDA_LAUNCH_BLOCKING",
        "CUBLAS_WORKSPACE_CONFIG",
        "PYTHONHASHSEED",
        "PYTHONPATH",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NCCL_*",
        "TORCH_*",
        "PYTORCH_*",
        "XLA_FLAGS",
        "TF_DETERMINISTIC_OPS",
        "TF_CUDNN_DETERMINISTIC",
      ],
    },
  };
  assertEquals(defaultConfig(), expected);
  const props = schema.properties as Record<string, Schema>;
  assertEquals(Object.keys(props).sort(), ["$schema", ...Object.keys(expected)].sort());
  assertEquals(Object.keys(props.tag.properties as Schema).sort(), [
    "prefix",
    "push",
    "refs",
    "remote",
    "sign",
  ]);
  assertEquals(Object.keys(props.patch.properties as Schema).sort(), ["capture", "max_bytes"]);
  assertEquals(Object.keys(props.environment.properties as Schema).sort(), [
    "capture",
    "container",
    "gpu",
    "packages",
    "python",
    "vars",
  ]);
  assertEquals(Object.keys(props.share.properties as Schema).sort(), ["push", "remote"]);
});

Deno.test("config: records go where the schema's default dir says, whoever asks", () => {
  // layout.ts names the default for code that runs before any config is read (hints,
  // messages); it must be the schema's default, not a second one.
  assertEquals(DEFAULT_RECORD_DIR, defaultConfig().dir);
});

Deno.test("config: JSONC comments and trailing commas are accepted; unset keys keep defaults", () => {
  const text = `{
  // strict on the cluster
  "policy": "strict",
  /* block comment */
  "ignore": ["outputs/**", "wandb/",],
  "tag": { "push": true, },
}
`;
  const { config, setKeys } = parseConfig(text, "runprov.jsonc");
  assertEquals(config.policy, "strict");
  assertEquals(config.ignore, ["outputs/**", "wandb/"]);
  assertEquals(config.tag, {
    prefix: "run/",
    remote: "origin",
    push: true,
    sign: false,
    refs: "tags",
  });
  assertEquals(config.patch, { capture: true, max_bytes: 10485760 });
  assertEquals([...setKeys].sort(), ["ignore", "policy", "tag", "tag.push"]);
});

function errorOf(text: string): string {
  let msg = "";
  assertThrows(() => {
    try {
      parseConfig(text, "/repo/runprov.jsonc");
    } catch (err) {
      msg = (err as Error).message;
      throw err;
    }
  });
  return msg;
}

Deno.test("config: mistakes are reported with file:line:column and what was expected", () => {
  assertEquals(
    errorOf('{\n  // c\n  "policy": "strikt"\n}'),
    '/repo/runprov.jsonc:3:13: "policy" is "strikt", expected one of "strict", "warn", "off"',
  );
  assertEquals(
    errorOf('{\n  "tag": {\n    "prefx": "x/"\n  }\n}'),
    '/repo/runprov.jsonc:3:5: unknown key "tag.prefx", expected one of: prefix, remote, push, sign, refs',
  );
  assertEquals(
    errorOf('{ "patch": { "max_bytes": "10M" } }'),
    '/repo/runprov.jsonc:1:27: "patch.max_bytes" is a string, expected an integer',
  );
  assertEquals(
    errorOf('{\n  "policy": "warn"\n  "untracked": "dirty"\n}'),
    "/repo/runprov.jsonc:3:3: syntax error: expected ',' between entries",
  );
  assertEquals(
    errorOf('{ "dir": "a", "dir": "b" }'),
    '/repo/runprov.jsonc:1:15: duplicate key "dir"',
  );
  assertMatch(
    errorOf('{ "tag": { "prefix": "my run/" } }'),
    /1:22: "tag.prefix" is "my run\/", expected a prefix that makes valid git tag names/,
  );
  assertEquals(
    errorOf('{\n  "share": {\n    "remotes": "up"\n  }\n}'),
    '/repo/runprov.jsonc:3:5: unknown key "share.remotes", expected one of: remote, push',
  );
  assertEquals(
    errorOf('{ "share": { "push": "yes" } }'),
    '/repo/runprov.jsonc:1:22: "share.push" is a string, expected a boolean',
  );
  assertMatch(
    errorOf('{ "share": { "remote": "https://u:t@h/r.git" } }'),
    /1:24: "share.remote" is "https:\/\/u:t@h\/r.git", expected a configured remote's name/,
  );
  assertMatch(errorOf(""), /^\/repo\/runprov.jsonc:1:1: /);
  assertEquals(
    errorOf("[]"),
    "/repo/runprov.jsonc:1:1: the configuration is an array, expected an object",
  );
});

Deno.test("config: line and column count from 1", () => {
  assertEquals(lineColumn("ab\ncd", 0), { line: 1, column: 1 });
  assertEquals(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
});
