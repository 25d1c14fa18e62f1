/** The plain-TypeScript SHA-256 gives node:crypto's digests, for every length and edge. */
import { assertEquals } from "./assert.ts";
import { createHash } from "node:crypto";
import { sha256Hex } from "../lib/util/sha256.ts";

const node = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

Deno.test("sha256: the FIPS 180-4 examples", () => {
  assertEquals(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assertEquals(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256: equals node:crypto for lengths 0..300 (padding edges), text and 3 MB", () => {
  const bytes = crypto.getRandomValues(new Uint8Array(300));
  for (let n = 0; n <= 300; n++) {
    assertEquals(sha256Hex(bytes.subarray(0, n)), node(bytes.subarray(0, n)), `${n}`);
  }
  const text = 'ünïcødé "record" \u202e\n'.repeat(50);
  assertEquals(sha256Hex(text), node(text));
  const big = new Uint8Array(3 * 1024 * 1024);
  for (let off = 0; off < big.length; off += 65536) {
    crypto.getRandomValues(big.subarray(off, off + 65536));
  }
  assertEquals(sha256Hex(big), node(big));
});
