/** Assertions for the tests: node:assert/strict under the names the suite reads best. */
import * as a from "node:assert/strict";

export const assert: (value: unknown, message?: string) => asserts value = a.ok;
export const assertEquals: <T>(actual: unknown, expected: T, message?: string) => void =
  a.deepStrictEqual;
export const assertNotEquals = a.notDeepStrictEqual;
export const assertMatch = a.match;
export const assertNotMatch = a.doesNotMatch;
export const assertThrows = a.throws;
export const assertRejects = a.rejects;
