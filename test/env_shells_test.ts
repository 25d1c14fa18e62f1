/**
 * Every format's output evaluated by the real shells, the way users run it, in a directory
 * full of booby-trapped file names, with nullglob, failglob, extglob and a non-default IFS
 * (the matrix is in shell_matrix.ts). Each shell process evaluates all hostile values at
 * once and dumps its environment with `env -0`; every variable must come back byte for byte
 * and no canary file may appear. Shells that are missing fail the test when CI=true
 * (.ci/run installs them) and are skipped otherwise.
 */
import { CI, HOSTILE, which } from "./hostile.ts";
import { CASES, checkCase, missingShell } from "./shell_matrix.ts";

for (const c of CASES) {
  const path = which(c.shell);
  Deno.test({
    name: `shells: ${c.name} gives every hostile value exactly and runs nothing`,
    ignore: path === null && !CI,
    fn: () => path === null ? missingShell(c.shell) : checkCase(c, path, HOSTILE),
  });
}
