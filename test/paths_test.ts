/** lib/paths.ts gives node:path's POSIX results without loading node:path. */
import { posix } from "node:path";
import { assertEquals } from "./assert.ts";
import { dirname, isAbsolute, join, normalize, relative, resolve } from "../lib/util/paths.ts";

const PATHS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///a",
  "a",
  "a/",
  "/a/b",
  "/a/b/",
  "a//b",
  "./a/./b/",
  "../a",
  "a/../..",
  "/a/../../b",
  "a/b/../../..",
  "/a/b/c/..",
  ".runprov/runs",
  "..a/b..",
  "a/.../b",
  "/x y/é/z",
];

Deno.test("paths: isAbsolute, normalize, dirname agree with node:path posix", () => {
  for (const p of PATHS) {
    assertEquals(isAbsolute(p), posix.isAbsolute(p), p);
    assertEquals(normalize(p), posix.normalize(p), p);
    assertEquals(dirname(p), posix.dirname(p), p);
  }
});

Deno.test("paths: join, resolve, relative agree with node:path posix for every pair", () => {
  assertEquals(join(), posix.join());
  assertEquals(resolve(), posix.resolve());
  for (const a of PATHS) {
    for (const b of PATHS) {
      assertEquals(join(a, b), posix.join(a, b), `join ${a} ${b}`);
      assertEquals(resolve(a, b), posix.resolve(a, b), `resolve ${a} ${b}`);
      assertEquals(relative(a, b), posix.relative(a, b), `relative ${a} ${b}`);
      assertEquals(join(a, b, "c"), posix.join(a, b, "c"), `join ${a} ${b} c`);
    }
  }
});
