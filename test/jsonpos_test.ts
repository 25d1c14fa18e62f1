/** The JSON error locator used for `--from` messages agrees with JSON.parse. */
import { assertEquals } from "./assert.ts";
import { jsonDepthOffset, jsonErrorOffset } from "../lib/util/jsonpos.ts";
import { jsonSyntaxProblem } from "../lib/run/record.ts";

Deno.test("jsonpos: the first offending character of invalid JSON", () => {
  const cases: [string, number | null][] = [
    ['{"a": 1}', null],
    ['[1, 2.5e3, -0, true, false, null, "x\\u00e9\\n"]', null],
    ['{"a": x}', 6],
    ['{"a":1,}', 7],
    ["{", 1],
    ["", 0],
    ['{"a": "b\n"}', 8],
    ["[1 2]", 3],
    ["nul", 3],
    ["01", 1],
    ['{"a":1} x', 8],
    ["\u0000\u001b[31m", 0],
  ];
  for (const [text, want] of cases) assertEquals(jsonErrorOffset(text), want, JSON.stringify(text));
});

Deno.test("jsonpos: agrees with JSON.parse on whether text is JSON", () => {
  const samples = ["{}", "[]", '"\\x"', "1.", ".5", "-", "1e", '{"a" 1}', "[,]", '"\t"', "true "];
  for (const t of samples) {
    let valid = true;
    try {
      JSON.parse(t);
    } catch {
      valid = false;
    }
    assertEquals(jsonErrorOffset(t) === null, valid, JSON.stringify(t));
  }
});

Deno.test("jsonpos: messages give line and column, never the file's bytes", () => {
  assertEquals(jsonSyntaxProblem('{"a":\n  x}'), "not valid JSON at line 2, column 3");
  assertEquals(jsonSyntaxProblem("  \n"), "the file is empty");
});

Deno.test("jsonpos: 100,000 levels of nesting are located without exhausting the stack", () => {
  const open = "[".repeat(100_000);
  assertEquals(jsonErrorOffset(open), 100_000);
  assertEquals(jsonErrorOffset(open + "]".repeat(100_000)), null);
  assertEquals(jsonErrorOffset(open + "1" + "]".repeat(99_999) + "}"), 200_000);
  assertEquals(jsonDepthOffset(open, 100), 100);
});

Deno.test("jsonpos: the depth limit skips brackets in strings and, for JSONC, in comments", () => {
  assertEquals(jsonDepthOffset("[[[1]]]", 2), 2);
  assertEquals(jsonDepthOffset('[[1], [2], {"a": 3}]', 2), null);
  assertEquals(jsonDepthOffset('{"a": "[[[\\"[["}', 1), null);
  assertEquals(jsonDepthOffset("// [[[\n[ /* [[[ */ 1]", 1, true), null);
  assertEquals(jsonDepthOffset("// [[[\n[[1]]", 1, true), 8);
  assertEquals(jsonDepthOffset("// [[[\n[1]", 1), 4, "without comments, // is not special");
});
