/**
 * Hostile input (issue 8): credentials in remote configuration, repository config that
 * tries to run programs, absurd arguments, a huge ref list, paths with newlines and quotes.
 * Every output is grepped for secrets; stderr never shows a stack trace.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { type Sandbox, withSandbox } from "./helpers.ts";
import { filterOverrides, parseConfigZ } from "../lib/git/parse.ts";
import { malformedScenario } from "../testkit/scenarios/malformed.ts";
import { runsDir, stackLines } from "../testkit/records.ts";
import { NO_PROGRAM_COMMANDS, SECRET_COMMANDS } from "../testkit/commands.ts";

/** Every file under `dir`, as text (for grepping). */
async function allFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.set(p, await Deno.readTextFile(p));
    }
  };
  await walk(dir).catch(() => {});
  return out;
}

/** Ways a secret reaches git's remote configuration: [config key, value] pairs, secret. */
const CREDENTIAL_CASES: { name: string; config: [string, string][]; secret: string }[] = [
  {
    name: "user:password",
    config: [["remote.origin.url", "https://alice:Pa55w0rdS3CR@github.com/o/r.git"]],
    secret: "Pa55w0rdS3CR",
  },
  {
    name: "token-only userinfo",
    config: [["remote.origin.url", "https://ghp_S3CRtokenOnly0123456789@github.com/o/r"]],
    secret: "ghp_S3CRtokenOnly0123456789",
  },
  {
    name: "x-access-token",
    config: [["remote.origin.url", "https://x-access-token:ghs_S3CRaccess42@github.com/o/r"]],
    secret: "ghs_S3CRaccess42",
  },
  {
    name: "oauth2",
    config: [["remote.origin.url", "https://oauth2:glpat-S3CRoauth77@gitlab.com/o/r.git"]],
    secret: "glpat-S3CRoauth77",
  },
  {
    name: "pushurl",
    config: [
      ["remote.origin.url", "https://github.com/o/r.git"],
      ["remote.origin.pushurl", "https://bot:ghp_S3CRpush999@github.com/o/r.git"],
    ],
    secret: "ghp_S3CRpush999",
  },
  {
    name: "insteadOf rewrite",
    config: [
      ["remote.origin.url", "https://gitlab.com/o/r.git"],
      ["url.https://oauth2:S3CRinsteadOf55@gitlab.com/.insteadOf", "https://gitlab.com/"],
    ],
    secret: "S3CRinsteadOf55",
  },
  {
    name: "scp-style token user",
    config: [["remote.origin.url", "ghp_S3CRscpStyleToken000001@github.com:o/r.git"]],
    secret: "ghp_S3CRscpStyleToken000001",
  },
];

for (const c of CREDENTIAL_CASES) {
  Deno.test(`hostile: a ${c.name} secret in remote config reaches no output or record (exit codes as documented)`, async () => {
    await withSandbox(async (sb) => {
      for (const [k, v] of c.config) await sb.git("config", k, v);
      // A dirty tree as well, so warnings print.
      await sb.write("README.md", "changed\n");
      const recorded = await sb.runprov(["stamp", "--run-id", "sec-record"]);
      assertEquals(recorded.code, 0, recorded.stderr);
      for (const cmd of SECRET_COMMANDS) {
        for (const policy of ["warn", "strict"] as const) {
          const id = cmd.reads ? "sec-record" : `sec-${cmd.name.replace(" --", "-")}-${policy}`;
          const r = await sb.runprov(cmd.argv(id), { env: { RUNPROV_POLICY: policy } });
          const label = `${cmd.name} ${policy}`;
          assertEquals(r.code, cmd.exit[policy], `${label}: ${r.stderr}`);
          assert(!r.stdout.includes(c.secret), `${label}: stdout: ${r.stdout}`);
          assert(!r.stderr.includes(c.secret), `${label}: stderr: ${r.stderr}`);
          assertEquals(stackLines(r.stderr), [], `${label}: ${r.stderr}`);
        }
      }
      const files = await allFiles(join(sb.dir, ".runprov"));
      assert(files.size > 0, "records were written");
      for (const [p, text] of files) assert(!text.includes(c.secret), `${p}: ${text}`);
      const rec = JSON.parse(files.get(join(runsDir(sb), "sec-record.json"))!);
      assert(rec.git.remote_url !== null, "the remote is still recorded, without credentials");
    });
  });
}

Deno.test("hostile: tag messages and tag --push output (success and failure) hold no remote secret", async () => {
  await withSandbox(async (sb) => {
    const secret = "ghp_S3CRtagPush0000000001";
    const url = `https://x-access-token:${secret}@example.invalid/o/r.git`;
    const bare = join(sb.base, "bare.git");
    await sb.git("init", "-q", "--bare", bare);
    await sb.git("remote", "add", "origin", url);
    await sb.git("config", `url.${bare}.insteadOf`, url);
    // A remote that refuses the connection, its token in the URL and the push URL.
    const dead = `https://oauth2:${secret}@127.0.0.1:9/o/r.git`;
    await sb.git("remote", "add", "dead", dead);
    await sb.git("config", "remote.dead.pushurl", dead);
    const outputs: string[] = [];
    const runs: [string[], number][] = [
      [["stamp", "--run-id", "pushed"], 0],
      [["tag", "--run", "pushed", "--push"], 0],
      [["stamp", "--run-id", "refused"], 0],
      [["tag", "--run", "refused", "--push", "dead"], 5],
      [["show", "pushed"], 0],
      [["show", "pushed", "--json"], 0],
      [["runs"], 0],
      [["runs", "--json"], 0],
      [["verify", "pushed"], 0],
      [["exec", "--run-id", "ex", "--tag", "--push", "--", "true"], 0],
    ];
    for (const [args, code] of runs) {
      const r = await sb.runprov(args, { env: { GIT_TERMINAL_PROMPT: "0" } });
      assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assertEquals(stackLines(r.stderr), [], args.join(" "));
      outputs.push(r.stdout, r.stderr);
    }
    for (const tag of ["run/pushed", "run/refused", "run/ex"]) {
      outputs.push(await sb.git("cat-file", "tag", tag));
    }
    outputs.push(
      await sb.git("--git-dir", bare, "for-each-ref", "--format=%(refname) %(contents)"),
    );
    assertMatch(outputs.join("\n"), /refs\/tags\/run\/pushed/, "the push reached the bare remote");
    for (const o of outputs) assert(!o.includes(secret), o);
    for (const [p, text] of await allFiles(join(sb.dir, ".runprov"))) {
      assert(!text.includes(secret), `${p}: ${text}`);
    }
  });
});

/** Configure every way a repository can name a program, each touching `canary`. */
async function armRepository(sb: Sandbox, canary: string): Promise<void> {
  const script = join(sb.base, "evil.sh");
  await Deno.writeTextFile(script, `#!/bin/sh\necho "$0 $*" >> '${canary}'\ncat\n`);
  await Deno.chmod(script, 0o755);
  const hooks = join(sb.base, "hooks");
  await Deno.mkdir(hooks);
  for (
    const h of [
      "post-index-change",
      "reference-transaction",
      "post-checkout",
      "pre-commit",
      "post-rewrite",
      "fsmonitor-watchman",
    ]
  ) {
    await Deno.writeTextFile(join(hooks, h), `#!/bin/sh\necho ${h} >> '${canary}'\n`);
    await Deno.chmod(join(hooks, h), 0o755);
  }
  // Commit the attributes before arming, so committing runs nothing of ours.
  await sb.write(".gitattributes", "* filter=evil diff=evil\n");
  await sb.write("data.bin", "weights\n");
  await sb.git("add", ".gitattributes", "data.bin");
  await sb.git("commit", "-q", "-m", "attributes");
  for (
    const [k, v] of [
      ["core.fsmonitor", script],
      ["core.hooksPath", hooks],
      ["core.sshCommand", script],
      ["core.pager", script],
      ["core.askPass", script],
      ["credential.helper", `!${script}`],
      ["filter.evil.clean", script],
      ["filter.evil.smudge", script],
      ["filter.evil.process", script],
      ["filter.evil.required", "true"],
      ["diff.evil.textconv", script],
      ["diff.external", script],
      ["remote.origin.url", "ssh://git@example.invalid/o/r.git"],
      ["remote.origin.uploadpack", script],
    ]
  ) await sb.git("config", k, v);
  // Make the index's stat data stale, so a status must look at file contents.
  const later = new Date(Date.now() + 5000);
  for (const f of ["README.md", "data.bin", ".gitattributes"]) {
    await Deno.utime(join(sb.dir, f), later, later);
  }
}

Deno.test("hostile: repository config and hooks that name programs run none of them", async () => {
  await withSandbox(async (sb) => {
    const canary = join(sb.base, "CANARY");
    await armRepository(sb, canary);
    for (const c of NO_PROGRAM_COMMANDS) {
      const r = await sb.runprov(c.argv(`arm-${c.name}`));
      assertEquals(r.code, 0, `${c.name}: ${r.stderr}`);
      const ran = await Deno.readTextFile(canary).catch(() => "");
      assertEquals(ran, "", `${c.name} ran a program from repository config`);
    }
    const rec = JSON.parse(await Deno.readTextFile(join(runsDir(sb), "arm-stamp.json")));
    assertEquals(rec.git.available, true);
  });
});

Deno.test("hostile: absurd arguments are exit 2 with a clear short error, no stack, no record", async () => {
  assertEquals((await malformedScenario()).failures, []);
});

Deno.test("hostile: a huge --name is stored exactly and repeated options take the last", async () => {
  await withSandbox(async (sb) => {
    const name = "ñ\n\t'\"$`".repeat(10_000);
    const r = await sb.runprov(["stamp", "--run-id", "first", "--run-id", "last", "--name", name]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(await Deno.readTextFile(join(runsDir(sb), "last.json")));
    assertEquals(rec.run_id, "last");
    assertEquals(rec.name, name);
  });
});

Deno.test("hostile: a 1 MB ref list and a 200-character branch name are captured correctly", async () => {
  await withSandbox(async (sb) => {
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    const branch = "feature/" + "b".repeat(192);
    await sb.git("checkout", "-q", "-b", branch);
    const lines = ["# pack-refs with: peeled fully-peeled sorted "];
    const refs: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = `${String(i).padStart(5, "0")}-${"x".repeat(90)}`;
      refs.push(`refs/heads/many/${n}`, `refs/remotes/origin/many/${n}`);
    }
    for (const ref of refs.sort()) lines.push(`${head} ${ref}`);
    const packed = lines.join("\n") + "\n";
    assert(packed.length > 1_000_000, `${packed.length} bytes of refs`);
    await Deno.writeTextFile(join(sb.dir, ".git", "packed-refs"), packed);
    await sb.git("config", "remote.origin.url", "https://example.invalid/o/r.git");
    const r = await sb.runprov(["stamp", "--run-id", "refs"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.sha, head);
    assertEquals(rec.git.branch, branch);
    assertEquals(rec.git.pushed, true, "HEAD is in origin/many/*");
    assertEquals(stackLines(r.stderr), []);
  });
});

/** File names with every character a path may hold that trips naive parsing. */
const NASTY_PATHS = [
  "new\nline.txt",
  "tab\there.txt",
  'double"quote.txt',
  "single'quote.txt",
  "back\\slash.txt",
  "sp ace/and more.txt",
  "ünïcødé/日本語 🚀.txt",
  "-dash.txt",
  "$(touch pwned).txt",
  "trailing space ",
  "cr\rret.txt",
  "a -> b.txt",
];

Deno.test("hostile: changed, renamed and untracked paths with newlines and quotes round-trip exactly", async () => {
  await withSandbox(async (sb) => {
    for (const p of NASTY_PATHS) await sb.write(p, `v1 of ${p}\n`);
    await sb.git("add", "--", ...NASTY_PATHS);
    await sb.git("commit", "-q", "-m", "nasty");
    for (const p of NASTY_PATHS.slice(0, 6)) await sb.write(p, "v2\n");
    await sb.git("mv", "--", NASTY_PATHS[6], 'ünïcødé/renamed\n"x".txt');
    await sb.git("rm", "-q", "--", NASTY_PATHS[7]);
    // Top-level files: git lists a wholly untracked directory as one "dir/" entry.
    const untracked = NASTY_PATHS.filter((p) => !p.includes("/")).map((p) => `u-${p}`);
    for (const p of untracked) await sb.write(p, "u\n");
    for (const cmd of [["stamp"], ["exec", "--", "true"]]) {
      const [name, ...rest] = cmd;
      const r = await sb.runprov([name, "--run-id", `nasty-${name}`, ...rest]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(stackLines(r.stderr), []);
      const rec = JSON.parse(await Deno.readTextFile(join(runsDir(sb), `nasty-${name}.json`)));
      const changed = rec.git.changed.map((c: { path: string; orig_path?: string }) =>
        c.orig_path ? `${c.orig_path} => ${c.path}` : c.path
      ).sort();
      assertEquals(
        changed,
        [
          ...NASTY_PATHS.slice(0, 6),
          `${NASTY_PATHS[6]} => ünïcødé/renamed\n"x".txt`,
          NASTY_PATHS[7],
        ].sort(),
      );
      assertEquals([...rec.git.untracked].sort(), [...untracked].sort());
      assertMatch(r.stderr, /working tree is dirty/);
    }
    const pwned = await Deno.lstat(join(sb.dir, "pwned")).then(() => true, () => false);
    assertEquals(pwned, false);
  });
});

Deno.test("hostile: filter drivers are switched off for the status scan, except git-lfs's own", () => {
  const cfg = parseConfigZ(
    "filter.lfs.clean\ngit-lfs clean -- %f\0filter.lfs.smudge\ngit-lfs smudge -- %f\0" +
      "filter.lfs.process\ngit-lfs filter-process\0filter.a=b.clean\nsh evil.sh\0" +
      "filter.sneaky.process\ngit-lfs filter-process; sh evil.sh\0",
  );
  assertEquals(filterOverrides(cfg), [
    ["filter.a=b.clean", ""],
    ["filter.a=b.smudge", ""],
    ["filter.a=b.process", ""],
    ["filter.a=b.required", "false"],
    ["filter.sneaky.clean", ""],
    ["filter.sneaky.smudge", ""],
    ["filter.sneaky.process", ""],
    ["filter.sneaky.required", "false"],
  ]);
});

Deno.test("hostile: a repository at a path holding a newline is recorded there, never in the path before it", async () => {
  await withSandbox(async (sb) => {
    const x = join(await Deno.realPath(sb.base), "x");
    const decoy = join(x, "a"); // what `/x/a\nb` reads as when git's lines are split naively
    const repo = join(x, "a\nb");
    await Deno.mkdir(decoy, { recursive: true });
    await Deno.mkdir(join(repo, "sub"), { recursive: true });
    await sb.gitIn(repo, "init", "-q", "-b", "main");
    await Deno.writeTextFile(join(repo, "f.txt"), "x\n");
    await sb.gitIn(repo, "add", "f.txt");
    await sb.gitIn(repo, "commit", "-q", "-m", "initial");
    const head = (await sb.gitIn(repo, "rev-parse", "HEAD")).trim();
    const runs: [string[], string][] = [
      [["stamp", "--strict", "--run-id", "nl"], repo],
      [["-C", join(repo, "sub"), "env", "--run-id", "nl-sub"], sb.base],
      [["exec", "--strict", "--run-id", "nl-exec", "--", "true"], join(repo, "sub")],
      [["verify", "nl"], repo],
      [["show", "nl"], repo],
      [["tag", "--run", "nl"], repo],
    ];
    for (const [args, cwd] of runs) {
      const r = await sb.runprov(args, { cwd });
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assertEquals(stackLines(r.stderr), []);
    }
    assertEquals(await Array.fromAsync(Deno.readDir(decoy)), [], "nothing written into /x/a");
    for (const id of ["nl", "nl-sub", "nl-exec"]) {
      const rec = JSON.parse(
        await Deno.readTextFile(join(repo, ".runprov", "runs", `${id}.json`)),
      );
      assertEquals(rec.git.available, true, id);
      assertEquals(rec.git.root, repo, id);
      assertEquals(rec.git.sha, head, id);
      assertEquals(rec.git.worktree, false, id);
    }
    assertEquals((await sb.gitIn(repo, "rev-parse", "run/nl^{commit}")).trim(), head);
  });
});

/** Raw control characters (but newline) and bidi controls: nothing a terminal should get. */
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

Deno.test("hostile: show and runs print what others wrote (tag messages, names, paths) escaped", async () => {
  await withSandbox(async (sb) => {
    const nasty = "\u001b]0;pwned\u0007\u001b[2J\rFAKE \u202etxt.exe\u0085\u009b31m";
    // Someone else's run tag, as a fetch brings it.
    await sb.git(
      "tag",
      "-a",
      "run/theirs",
      "-m",
      `runprov run x (theirs)\n\n${nasty}\n\nRunprov-Run: theirs\nRunprov-Name: ${nasty}`,
    );
    // And a local run whose changed path holds the same characters.
    const file = `evil${nasty}.txt`;
    await sb.write(file, "v1\n");
    await sb.git("add", "--", file);
    await sb.git("commit", "-q", "-m", "evil name");
    await sb.write(file, "v2\n");
    assertEquals((await sb.runprov(["stamp", "--run-id", "mine", "--name", nasty])).code, 0);
    const message = (await sb.git("tag", "-l", "--format=%(contents)", "run/theirs"))
      .replace(/\n$/, "");
    for (
      const args of [
        ["show", "theirs"],
        ["show", "theirs", "--json"],
        ["show", "mine"],
        [
          "show",
          "mine",
          "--json",
        ],
        ["runs"],
        ["runs", "--json"],
      ]
    ) {
      const r = await sb.runprov(args);
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert(!RAW_CONTROL.test(r.stdout), `${args.join(" ")}: raw: ${JSON.stringify(r.stdout)}`);
      assert(!RAW_CONTROL.test(r.stderr), `${args.join(" ")}: raw: ${JSON.stringify(r.stderr)}`);
    }
    const human = (await sb.runprov(["show", "theirs"])).stdout;
    assertMatch(human, /\\x1b\]0;pwned\\x07\\x1b\[2J\\rFAKE \\u202etxt\.exe\\x85\\x9b31m/);
    // --json escapes differently, and parses back to exactly what git holds.
    const json = JSON.parse((await sb.runprov(["show", "theirs", "--json"])).stdout);
    assertEquals(json.message, message);
    const mine = JSON.parse((await sb.runprov(["show", "mine", "--json"])).stdout);
    assertEquals([mine.name, mine.git.changed[0].path], [nasty, file]);
  });
});

Deno.test("hostile: an ssh remote keeps its user (so it still clones), never its password", async () => {
  await withSandbox(async (sb) => {
    const cases: [string, string][] = [
      ["ssh://git@example.invalid/org/r.git", "ssh://git@example.invalid/org/r.git"],
      [
        "git+ssh://git@example.invalid:2222/org/r.git",
        "git+ssh://git@example.invalid:2222/org/r.git",
      ],
      ["git@example.invalid:org/r.git", "git@example.invalid:org/r.git"],
      [
        "ssh://deploy:S3CRsshPassword9@example.invalid/o/r.git",
        "ssh://deploy@example.invalid/o/r.git",
      ],
      ["https://git:S3CRhttpsPassword9@example.invalid/o/r.git", "https://example.invalid/o/r.git"],
      ["ftp://anon:S3CRftpPassword9@example.invalid/o/r.git", "ftp://example.invalid/o/r.git"],
    ];
    await sb.git("remote", "add", "origin", "https://example.invalid/placeholder.git");
    for (const [i, [url, want]] of cases.entries()) {
      await sb.git("remote", "set-url", "origin", url);
      const r = await sb.runprov([
        "env",
        "--format",
        "json",
        "--tracker",
        "wandb,clearml",
        "--run-id",
        `ssh-${i}`,
      ]);
      assertEquals(r.code, 0, r.stderr);
      const vars = JSON.parse(r.stdout);
      assertEquals(vars.RUNPROV_GIT_REMOTE_URL, want, url);
      assertEquals(vars.WANDB_GIT_REMOTE_URL, want, url);
      assertEquals(vars.CLEARML_VCS_REPO_URL, want, url);
      const rec = JSON.parse(await Deno.readTextFile(join(runsDir(sb), `ssh-${i}.json`)));
      assertEquals(rec.git.remote_url, want, url);
      assert(!(r.stdout + r.stderr).includes("S3CR"), r.stdout + r.stderr);
    }
  });
});

Deno.test("hostile: a --url holding credentials is redacted in tag messages and output", async () => {
  await withSandbox(async (sb) => {
    const secret = "S3CRurlToken77";
    const url = `https://me:${secret}@mlflow.example/?token=${secret}#/experiments/1/runs/abc`;
    const page = "https://mlflow.example/#/experiments/1/runs/abc";
    const outputs: string[] = [];
    for (
      const args of [
        ["stamp", "--run-id", "u1"],
        ["tag", "--run", "u1", "--url", url],
        ["exec", "--run-id", "u2", "--tag", "--url", url, "--", "true"],
        ["show", "u1"],
        ["runs", "--json"],
      ]
    ) {
      const r = await sb.runprov(args);
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      outputs.push(r.stdout, r.stderr);
    }
    for (const tag of ["run/u1", "run/u2"]) {
      const message = await sb.git("tag", "-l", "--format=%(contents)", tag);
      assertMatch(message, new RegExp(`^${page.replace(/[./?#]/g, "\\$&")}$`, "m"));
      assertMatch(message, new RegExp(`^Runprov-Url: ${page.replace(/[./?#]/g, "\\$&")}$`, "m"));
      outputs.push(message);
    }
    for (const [, text] of await allFiles(join(sb.dir, ".runprov"))) outputs.push(text);
    for (const o of outputs) assert(!o.includes(secret), o);
  });
});
