/** Remote URLs lose their credentials before they reach any output. */
import { assertEquals } from "./assert.ts";
import { redactText, redactUrl } from "../lib/git/redact_url.ts";

Deno.test("redact: userinfo, tokens and query strings are removed from URLs", () => {
  const cases: [string, string][] = [
    ["https://alice:pw@github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://ghp_abcdef123456@github.com/o/r", "https://github.com/o/r"],
    ["https://x-access-token:ghs_x@github.com/o/r", "https://github.com/o/r"],
    ["https://oauth2:glpat-xyz@gitlab.com/o/r.git", "https://gitlab.com/o/r.git"],
    ["https://u:p@ss@host/x", "https://host/x"],
    ["https://host/x.git?token=abc", "https://host/x.git"],
    ["ssh://git@host:22/o/r.git", "ssh://host:22/o/r.git"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    ["ghp_secrettoken123@github.com:o/r.git", "github.com:o/r.git"],
    ["/srv/git/r.git", "/srv/git/r.git"],
    ["file:///srv/r", "file:///srv/r"],
  ];
  for (const [input, want] of cases) assertEquals(redactUrl(input), want, input);
});

Deno.test("redact: secrets and URL userinfo in free text are masked", () => {
  assertEquals(
    redactText("fatal: unable to access 'https://u:tok@h/x/': denied tok", ["tok"]),
    "fatal: unable to access 'https://h/x/': denied ***",
  );
});
