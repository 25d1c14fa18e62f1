/** runprov's argument parser gives node:util parseArgs's values and errors (strict mode). */
import { parseArgs } from "node:util";
import { assertEquals, assertThrows } from "./assert.ts";
import { type OptionSpec, parseCommandArgs, parseStrict } from "../lib/cli/args.ts";

const SPEC: OptionSpec = {
  help: { type: "boolean", short: "h" },
  "run-id": { type: "string" },
  strict: { type: "boolean" },
  tracker: { type: "string", multiple: true },
  "no-record": { type: "boolean" },
  out: { type: "string" },
};

const CASES: string[][] = [
  [],
  ["-h"],
  ["--help"],
  ["--run-id", "exp-1"],
  ["--run-id=exp-1"],
  ["--run-id="],
  ["--run-id"],
  ["--run-id", "-x"],
  ["--run-id", "-"],
  ["--run-id", "--"],
  ["--run-id=-x"],
  ["--out", "-"],
  ["--strict", "--strict"],
  ["--strict=yes"],
  ["--tracker", "wandb", "--tracker=mlflow"],
  ["--tracker"],
  ["--no-record"],
  ["--bogus"],
  ["--bogus=1"],
  ["-x"],
  ["-hx"],
  ["-xh"],
  ["-"],
  ["pos"],
  ["--", "--strict", "x"],
  ["--strict", "--", "-h"],
  ["--run-id", "a", "--run-id", "b"],
  ["--__proto__"],
  ["--constructor"],
  ["---x"],
  ["--=x"],
  ["--run-id", "a", "rest", "--strict"],
];

function node(args: string[], allowPositionals: boolean) {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: SPEC,
      allowPositionals,
      strict: true,
    });
    return { values: { ...values }, positionals };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function ours(args: string[], allowPositionals: boolean) {
  try {
    const { values, positionals } = parseStrict(args, SPEC, allowPositionals);
    return { values: { ...values }, positionals };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

Deno.test("args: every argument list parses exactly as node:util parseArgs (values, errors)", () => {
  for (const allow of [false, true]) {
    for (const args of CASES) {
      assertEquals(ours(args, allow), node(args, allow), `${JSON.stringify(args)} ${allow}`);
    }
  }
});

Deno.test("args: parse errors become runprov usage errors naming the command", () => {
  const spec: OptionSpec = { out: { type: "string" } };
  for (
    const [args, msg] of [
      [["--bogus"], "stamp: unknown option --bogus"],
      [["--out"], "stamp: option --out <value> needs a value"],
      [["extra"], "stamp: unexpected argument 'extra'"],
    ] as const
  ) {
    assertThrows(() => parseCommandArgs("stamp", [...args], spec), { message: msg });
  }
});
