/** `runprov stamp`: capture, write the run record, print it (JSON) on stdout. */
import { parseCommandArgs, str } from "../cli/args.ts";
import { captureRun } from "../run/session.ts";
import { RUN_OPTIONS } from "../run/run_options.ts";
import { serializeRecord } from "../run/record.ts";
import type { Context } from "../io.ts";

export const STAMP_HELP = `runprov stamp: capture the run and write its record

Usage: runprov stamp [--run-id ID] [--name NAME] [--out FILE|-] [--policy strict|warn|off]
                     [--strict] [--allow-dirty REASON]

Asks git what the working tree is (one scan), applies the clean-tree policy, writes the
record to <repo top>/.runprov/runs/<run-id>.json (atomically) and prints it on stdout.

Options:
  --run-id ID           use this run id (letters, digits, '.', '_', '-'); default: random
  --name NAME           a human name for the run
  --out FILE            write the record to FILE instead; '-' writes no file
  --policy MODE         strict | warn | off (else RUNPROV_POLICY, config, warn)
  --strict              short for --policy strict
  --allow-dirty REASON  let a strict run use a dirty tree, recording why
`;

/** Run `stamp`. */
export async function stamp(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("stamp", args, { ...RUN_OPTIONS, out: { type: "string" } });
  if (values.help) {
    await ctx.io.stdout(STAMP_HELP);
    return 0;
  }
  const { record } = await captureRun(ctx, values, str(values.out));
  await ctx.io.stdout(serializeRecord(record));
  return 0;
}
