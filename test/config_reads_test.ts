/**
 * runprov.jsonc is read once per command: the read made before git runs (for `git_timeout`)
 * is the one the command uses, not a second read of the same file.
 */
import { assertEquals } from "./assert.ts";
import { join } from "node:path";
import { run, runprovArgv, withSandbox } from "./helpers.ts";

/** runprov opening the file by its absolute path (git, which also stats and may hash the
 * tracked file during `status`, opens it relative to the top), successfully. */
const ownOpen = /open(at)?\((AT_FDCWD, )?"\/[^"]*\/runprov\.jsonc", .*\) = \d+$/;

const strace = (await run("sh", ["-c", "command -v strace"])).stdout.trim();

Deno.test({
  name: "config: each command opens runprov.jsonc once" +
    (strace ? "" : " (skipped: needs strace)"),
  ignore: !strace,
  async fn() {
    await withSandbox(async (sb) => {
      await sb.write("runprov.jsonc", '{ "git_timeout": 30, "policy": "warn" }\n');
      await sb.git("add", "runprov.jsonc");
      await sb.git("commit", "-q", "-m", "config");
      assertEquals((await sb.runprov(["stamp", "--run-id", "r1"])).code, 0);
      const opened: Record<string, number> = {};
      for (
        const args of [
          ["stamp", "--run-id", "r2"],
          ["check"],
          ["runs"],
          ["show", "r1"],
          ["verify", "r1"],
          ["diff", "r1", "r2"],
        ]
      ) {
        const trace = join(sb.base, `trace-${args[0]}.txt`);
        const [cmd, ...pre] = runprovArgv();
        const r = await run(
          strace,
          ["-f", "-qq", "-e", "trace=open,openat", "-o", trace, cmd, ...pre, ...args],
          { cwd: sb.dir, env: sb.env },
        );
        assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        opened[args[0]] = (await Deno.readTextFile(trace)).split("\n")
          .filter((l) => ownOpen.test(l)).length;
      }
      assertEquals(opened, { stamp: 1, check: 1, runs: 1, show: 1, verify: 1, diff: 1 });
    });
  },
});
