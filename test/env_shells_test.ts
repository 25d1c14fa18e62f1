/**
 * Every shell format as users run it: the hostile corpus (testkit/hostile.ts) planted in
 * records, printed by the real CLI (`runprov env --from FILE --format F`, the binary when
 * RUNPROV_BIN is set) and evaluated by the real shells of the matrix (testkit/shells/
 * matrix.ts), in a directory full of booby-trapped file names, with nullglob, failglob,
 * extglob, `emulate sh` and a non-default IFS. Every value must come back byte for byte, or
 * be refused exactly where README.md says (tcsh: CR and LF; gha: CR), and no canary file may
 * appear. `gha` output is read as the Actions runner reads `$GITHUB_ENV`. A missing shell
 * is a skip saying so (a failure under CI=true: .ci/run installs them); PowerShell is not
 * installed here, so its case reports itself skipped and pwsh quoting is unit-tested in
 * formats_test.ts.
 */
import { assert } from "./assert.ts";
import { withTool } from "./helpers.ts";
import { HOSTILE } from "../testkit/hostile.ts";
import { ExportsCache } from "../testkit/shells/cli_exports.ts";
import { CASES, checkCase, checkGithubEnv } from "../testkit/shells/matrix.ts";

const printed = new ExportsCache(HOSTILE);
globalThis.addEventListener("unload", () => printed.cleanup());

for (const c of CASES) {
  Deno.test(withTool(
    c.shell,
    `shells: ${c.name} gives every hostile value exactly and runs nothing`,
    async (path) => await checkCase(c, path, await printed.get(c.format)),
  ));
}

Deno.test("shells: runprov env --format gha >> $GITHUB_ENV sets every hostile value exactly, nothing else", async () => {
  const gha = await printed.get("gha");
  checkGithubEnv(gha);
  assert(gha.refused > 0, "the corpus holds values gha must refuse (CR)");
});

Deno.test("shells: tcsh refuses the hostile values with a line break and only those, naming the variable", async () => {
  const tcsh = await printed.get("tcsh");
  // cliExports checks each refusal (exit 2, nothing on stdout, a carrying variable named)
  // and that every other value printed (exit 0).
  assert(tcsh.problems.length === 0, tcsh.problems.join("\n"));
  assert(tcsh.refused === 4 && tcsh.runs.length > 0, "the corpus holds both kinds");
});
