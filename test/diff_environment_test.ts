/** `runprov diff A B` also says what changed in the two runs' environments (issue 15). */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { withSandbox } from "./helpers.ts";

/** A venv-shaped prefix (pyvenv.cfg, bin/python, site-packages) holding `dists`. */
async function fakeVenv(dir: string, dists: Record<string, string>): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const site = join(dir, "lib/python3.11/site-packages");
  await Deno.mkdir(site, { recursive: true });
  await Deno.mkdir(join(dir, "bin"), { recursive: true });
  await Deno.writeTextFile(join(dir, "pyvenv.cfg"), "home = /usr/bin\nversion = 3.11.7\n");
  await Deno.writeTextFile(join(dir, "bin/python"), "#!/bin/sh\nexit 1\n");
  await Deno.chmod(join(dir, "bin/python"), 0o755);
  for (const [name, version] of Object.entries(dists)) {
    const info = join(site, `${name}-${version}.dist-info`);
    await Deno.mkdir(info);
    await Deno.writeTextFile(join(info, "METADATA"), `Name: ${name}\nVersion: ${version}\n`);
  }
}

Deno.test("diff: two runs of the same code list their package and variable differences", async () => {
  await withSandbox(async (sb) => {
    const venv = join(sb.base, "venv");
    await fakeVenv(venv, { torch: "2.1.0", numpy: "1.26.4" });
    const a = await sb.runprov(["stamp", "--run-id", "a1"], {
      env: { VIRTUAL_ENV: venv, OMP_NUM_THREADS: "4" },
    });
    assertEquals(a.code, 0, a.stderr);
    await fakeVenv(venv, { torch: "2.2.0", numpy: "1.26.4", einops: "0.7.0" });
    const b = await sb.runprov(["stamp", "--run-id", "b1"], {
      env: { VIRTUAL_ENV: venv, OMP_NUM_THREADS: "8" },
    });
    assertEquals(b.code, 0, b.stderr);

    const d = await sb.runprov(["diff", "a1", "b1"]);
    assertEquals(d.code, 0, `same code: exit 0\n${d.stderr}`);
    const header = d.stdout.split("\n").filter((l) => l.startsWith("# "));
    assert(header.includes("# packages: 1 added, 0 removed, 1 changed"), header.join("\n"));
    assertMatch(d.stdout, /^# {3}\+ einops "?0\.7\.0"?$/m);
    assertMatch(d.stdout, /^# {3}~ torch "?2\.1\.0"? -> "?2\.2\.0"?$/m);
    assertMatch(d.stdout, /^# variable OMP_NUM_THREADS: "?4"? -> "?8"?$/m);
    assert(!d.stdout.includes("numpy"), "unchanged packages are not listed");

    const same = await sb.runprov(["diff", "a1", "a1"]);
    assertEquals(same.code, 0);
    assert(!same.stdout.includes("packages:"), same.stdout);
  });
});
