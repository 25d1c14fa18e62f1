/** Remote URLs lose their credentials before they reach any output; ssh URLs keep their user. */
import { assertEquals } from "./assert.ts";
import { redactPageUrl, redactText, redactUrl, urlSecrets } from "../lib/git/redact_url.ts";

Deno.test("redact: userinfo, tokens and query strings are removed from URLs", () => {
  const cases: [string, string][] = [
    ["https://alice:pw@github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://alice@github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://ghp_abcdef123456@github.com/o/r", "https://github.com/o/r"],
    ["https://x-access-token:ghs_x@github.com/o/r", "https://github.com/o/r"],
    ["https://oauth2:glpat-xyz@gitlab.com/o/r.git", "https://gitlab.com/o/r.git"],
    ["https://u:p@ss@host/x", "https://host/x"],
    ["https://host/x.git?token=abc", "https://host/x.git"],
    ["http://git:pw@host/x", "http://host/x"],
    ["ftp://git@host/x", "ftp://host/x"],
    ["ftps://anonymous:me@host/x", "ftps://host/x"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    ["ghp_secrettoken123@github.com:o/r.git", "github.com:o/r.git"],
    ["/srv/git/r.git", "/srv/git/r.git"],
    ["file:///srv/r", "file:///srv/r"],
  ];
  for (const [input, want] of cases) assertEquals(redactUrl(input), want, input);
});

Deno.test("redact: an ssh URL keeps its user (ssh needs it to clone) but never a password", () => {
  const cases: [string, string][] = [
    ["ssh://git@host/org/r.git", "ssh://git@host/org/r.git"],
    ["ssh://git@host:22/o/r.git", "ssh://git@host:22/o/r.git"],
    ["SSH://git@host/o/r.git", "SSH://git@host/o/r.git"],
    ["git+ssh://git@host/o/r.git", "git+ssh://git@host/o/r.git"],
    ["ssh+git://deploy@host/o/r.git", "ssh+git://deploy@host/o/r.git"],
    ["ssh://u:pw@h/o/r.git", "ssh://u@h/o/r.git"],
    ["ssh://u:p@ss@h/o/r.git", "ssh://u@h/o/r.git"],
    // An AWS CodeCommit ssh key id is the user: a login name, not a secret.
    [
      "ssh://APKAEIBAERJR2EXAMPLE@git-codecommit.us-east-2.amazonaws.com/v1/repos/r",
      "ssh://APKAEIBAERJR2EXAMPLE@git-codecommit.us-east-2.amazonaws.com/v1/repos/r",
    ],
    // A token in the user's place is dropped, with or without a password.
    ["ssh://ghp_abcdef123456@github.com/o/r", "ssh://github.com/o/r"],
    ["ssh://S3CRtAbC9dEf8GhI7jKl@h/o/r", "ssh://h/o/r"],
    ["ssh://ghp_abcdef123456:x@github.com/o/r", "ssh://github.com/o/r"],
    ["ssh://a%40b@h/o/r", "ssh://h/o/r"],
    ["ssh://git@host/o/r.git?token=abc", "ssh://git@host/o/r.git"],
    ["alice@host:o/r.git", "alice@host:o/r.git"],
    ["Admin@host:o/r.git", "Admin@host:o/r.git"],
  ];
  for (const [input, want] of cases) assertEquals(redactUrl(input), want, input);
});

Deno.test("redact: the secrets git may echo are the password, token users and queries", () => {
  assertEquals(urlSecrets("https://ci:hunter22@h/x?t=1"), ["ci:hunter22", "hunter22", "t=1"]);
  assertEquals(urlSecrets("ssh://git@h/x"), []);
  assertEquals(urlSecrets("ssh://git:hunter22@h/x"), ["hunter22"]);
  assertEquals(urlSecrets("git@h:x"), []);
  assertEquals(urlSecrets("ghp_abcdef123456@h:x"), ["ghp_abcdef123456"]);
  assertEquals(urlSecrets("https://h/x"), []);
});

Deno.test("redact: secrets and URL userinfo in free text are masked", () => {
  assertEquals(
    redactText("fatal: unable to access 'https://u:tok@h/x/': denied tok", ["tok"]),
    "fatal: unable to access 'https://h/x/': denied ***",
  );
  assertEquals(
    redactText("fatal: 'ssh://git:hunter22@h/x' and 'ssh://git@h/y'", []),
    "fatal: 'ssh://git@h/x' and 'ssh://git@h/y'",
  );
  // A secret as short as an ssh user is never used to mask text ("git" stays "git").
  assertEquals(redactText("git@h: denied", urlSecrets("ssh://git@h/x")), "git@h: denied");
});

Deno.test("redact: a run page URL (--url) keeps its path fragment, never its credentials", () => {
  const cases: [string, string][] = [
    ["https://wandb.ai/org/proj/runs/ab12", "https://wandb.ai/org/proj/runs/ab12"],
    ["https://u:tok@wandb.ai/o/p/runs/ab?apiKey=S3CR", "https://wandb.ai/o/p/runs/ab"],
    [
      "http://user:pw@mlflow:5000/#/experiments/1/runs/ab",
      "http://mlflow:5000/#/experiments/1/runs/ab",
    ],
    ["https://h/x#access_token=S3CR&x=1", "https://h/x"],
    ["see https://u:tok@h/x?token=S3CR", "see https://h/x"],
  ];
  for (const [input, want] of cases) assertEquals(redactPageUrl(input), want, input);
});
