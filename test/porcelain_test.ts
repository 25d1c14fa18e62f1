/** The porcelain v2 parser on literal git output (git-facts.md, section 1). */
import { assertEquals, assertThrows } from "./assert.ts";
import { changeKind, parsePorcelainV2 } from "../lib/git/porcelain.ts";

const Z = "\0";

Deno.test("porcelain: branch headers, stash, rename, submodule and untracked entries", () => {
  const out = [
    "# branch.oid 1d677bcfed910adffefee3702f31c1afa9ef173b",
    "# branch.head main",
    "# branch.upstream origin/main",
    "# branch.ab +2 -1",
    "# stash 1",
    "1 .M N... 100644 100644 100644 3a34150 3a34150 keep.txt",
    "2 R. N... 100644 100644 100644 84275f9 84275f9 R100 new name.txt",
    "old.txt",
    "1 .M SCMU 160000 160000 160000 22179e4 22179e4 sub",
    "? del.txt",
    "? newdir/",
    "",
  ].join(Z);
  const r = parsePorcelainV2(out);
  assertEquals(r.oid, "1d677bcfed910adffefee3702f31c1afa9ef173b");
  assertEquals(r.head, "main");
  assertEquals(r.upstream, "origin/main");
  assertEquals([r.ahead, r.behind], [2, 1]);
  assertEquals(r.stash, 1);
  assertEquals(r.entries.length, 3);
  assertEquals(r.entries[1].path, "new name.txt");
  assertEquals(r.entries[1].origPath, "old.txt");
  assertEquals(r.entries[2].submodule, { commitChanged: true, modified: true, untracked: true });
  assertEquals(r.untracked, ["del.txt", "newdir/"]);
});

Deno.test("porcelain: unborn, detached, unknown head and a gone upstream", () => {
  const unborn = parsePorcelainV2(`# branch.oid (initial)${Z}# branch.head main${Z}`);
  assertEquals([unborn.oid, unborn.head], [null, "main"]);
  const det = parsePorcelainV2(`# branch.oid abc${Z}# branch.head (detached)${Z}`);
  assertEquals([det.head, det.detached], [null, true]);
  const unk = parsePorcelainV2(`# branch.oid (initial)${Z}# branch.head (unknown)${Z}`);
  assertEquals([unk.head, unk.detached], [null, false]);
  const gone = parsePorcelainV2(`# branch.oid a${Z}# branch.head x${Z}# branch.upstream o/x${Z}`);
  assertEquals([gone.upstream, gone.ahead, gone.behind], ["o/x", null, null]);
});

Deno.test("porcelain: unknown headers are ignored; paths keep spaces, newlines and tabs", () => {
  const r = parsePorcelainV2(
    `# branch.future thing${Z}1 M. N... 100644 100644 100644 a b we ird\n\tname${Z}! ign${Z}`,
  );
  assertEquals(r.entries[0].path, "we ird\n\tname");
  assertEquals(r.ignored, ["ign"]);
});

Deno.test("porcelain: unmerged entries and a line that is not porcelain v2", () => {
  const r = parsePorcelainV2(`u UU N... 100644 100644 100644 100644 a b c conflict.txt${Z}`);
  assertEquals(r.entries[0].type, "unmerged");
  assertEquals(r.entries[0].path, "conflict.txt");
  assertEquals(changeKind(r.entries[0]), "unmerged");
  assertThrows(() => parsePorcelainV2(` M human.txt${Z}`), /unexpected line/);
  assertThrows(() => parsePorcelainV2(`1 .M N...${Z}`), /short line/);
  assertThrows(() => parsePorcelainV2(`2 R. N... 1 1 1 a b R100 x`), /original path/);
});

Deno.test("porcelain: change kinds for users", () => {
  const kind = (line: string) => changeKind(parsePorcelainV2(line + Z).entries[0]);
  assertEquals(kind("1 .M N... 100644 100644 100644 a a f"), "modified");
  assertEquals(kind("1 M. N... 100644 100644 100644 a b f"), "staged");
  assertEquals(kind("1 A. N... 000000 100644 100644 0 b f"), "added");
  assertEquals(kind("1 .D N... 100644 100644 000000 a a f"), "deleted");
  assertEquals(kind("1 .M N... 100644 100644 100755 a a f"), "mode");
  assertEquals(kind("1 .T N... 100644 100644 120000 a a f"), "typechange");
  assertEquals(kind("1 .M SC.. 160000 160000 160000 a a s"), "submodule");
});
