/** Config `ignore` globs: gitignore-like matching of repository-relative paths. */
import { assertEquals } from "./assert.ts";
import { globMatcher, globProblem } from "../lib/config/glob.ts";

function matches(pattern: string, paths: string[]): Record<string, boolean> {
  const m = globMatcher([pattern]);
  return Object.fromEntries(paths.map((p) => [p, m(p)]));
}

Deno.test("glob: a name without '/' matches at any depth, and everything below it", () => {
  assertEquals(matches("mlruns", ["mlruns", "mlruns/", "a/mlruns/x", "mlrunsx", "x/mlrun"]), {
    "mlruns": true,
    "mlruns/": true,
    "a/mlruns/x": true,
    "mlrunsx": false,
    "x/mlrun": false,
  });
});

Deno.test("glob: a trailing '/' matches directories only (and everything below)", () => {
  assertEquals(matches("wandb/", ["wandb/", "wandb/run-1/log.txt", "wandb", "src/wandb/"]), {
    "wandb/": true,
    "wandb/run-1/log.txt": true,
    "wandb": false,
    "src/wandb/": true,
  });
});

Deno.test("glob: dir/** matches the contents and the untracked directory entry itself", () => {
  assertEquals(matches("outputs/**", ["outputs/", "outputs/a/b.bin", "outputs", "x/outputs/a"]), {
    "outputs/": true,
    "outputs/a/b.bin": true,
    "outputs": true,
    "x/outputs/a": false,
  });
});

Deno.test("glob: a leading '/' or an inner '/' anchors at the repository top", () => {
  assertEquals(matches("/data", ["data", "data/x", "src/data"]), {
    "data": true,
    "data/x": true,
    "src/data": false,
  });
  assertEquals(matches("logs/*.txt", ["logs/a.txt", "logs/d/a.txt", "x/logs/a.txt"]), {
    "logs/a.txt": true,
    "logs/d/a.txt": false,
    "x/logs/a.txt": false,
  });
});

Deno.test("glob: '*' and '?' stay inside one path segment; '**/' spans directories", () => {
  assertEquals(matches("*.ckpt", ["m.ckpt", "a/b/m.ckpt", "m.ckpt.bak"]), {
    "m.ckpt": true,
    "a/b/m.ckpt": true,
    "m.ckpt.bak": false,
  });
  assertEquals(matches("run-?.log", ["run-1.log", "run-12.log"]), {
    "run-1.log": true,
    "run-12.log": false,
  });
  assertEquals(matches("**/cache/*.pt", ["cache/a.pt", "x/y/cache/a.pt", "cache/d/a.pt"]), {
    "cache/a.pt": true,
    "x/y/cache/a.pt": true,
    "cache/d/a.pt": false,
  });
  assertEquals(matches("a/**/z", ["a/z", "a/b/c/z", "b/a/z"]), {
    "a/z": true,
    "a/b/c/z": true,
    "b/a/z": false,
  });
});

Deno.test("glob: character classes, negated classes and escapes", () => {
  assertEquals(matches("ckpt[0-9]", ["ckpt1", "ckptx"]), { ckpt1: true, ckptx: false });
  assertEquals(matches("ckpt[!0-9]", ["ckpt1", "ckptx"]), { ckpt1: false, ckptx: true });
  assertEquals(matches("a\\*b", ["a*b", "axb"]), { "a*b": true, axb: false });
  assertEquals(matches("odd[name", ["odd[name", "oddxname"]), {
    "odd[name": true,
    "oddxname": false,
  });
  assertEquals(matches("v1.0", ["v1.0", "v1x0"]), { "v1.0": true, v1x0: false });
});

Deno.test("glob: no patterns match nothing; several patterns match any", () => {
  assertEquals(globMatcher([])("anything"), false);
  const m = globMatcher(["*.log", "tmp/"]);
  assertEquals([m("x.log"), m("tmp/a"), m("src/a.py")], [true, true, false]);
});

Deno.test("glob: a class whose range runs backwards is named as the problem", () => {
  assertEquals(globProblem("*.ckpt"), null);
  assertEquals(globProblem("odd[name"), null);
  assertEquals(globProblem("[a-z][!0-9]"), null);
  assertEquals(globProblem("[z-a]"), "its character class [z-a] has a range out of order");
  assertEquals(
    globProblem("run[0-9]/[9-0]*.bin"),
    "its character class [9-0] has a range out of order",
  );
});
