/**
 * `runprov help [COMMAND]` and `runprov completions SHELL`, tried in the real shells:
 * bash (`complete -p`, then the completion function on typed words), zsh (compinit in an
 * interactive zsh driven through zpty, a real Tab), fish (`complete -C`).
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, withSandbox } from "./helpers.ts";
import { optionsInHelp } from "../lib/cli/help_options.ts";

async function has(shell: string): Promise<boolean> {
  return await run(shell, ["-c", "exit 0"]).then((r) => r.code === 0, () => false);
}
const shells = { bash: await has("bash"), zsh: await has("zsh"), fish: await has("fish") };
for (const [name, ok] of Object.entries(shells)) {
  if (!ok) console.log(`completions_test: ${name} not installed: its completion test is skipped`);
}

Deno.test("help: 'runprov help exec' prints what 'runprov exec --help' prints", async () => {
  await withSandbox(async (sb) => {
    const a = await sb.runprov(["help", "exec"]);
    const b = await sb.runprov(["exec", "--help"]);
    assertEquals(a.code, 0, a.stderr);
    assertEquals(a.stdout, b.stdout);
    assertMatch(a.stdout, /^runprov exec: /);
    const top = await sb.runprov(["help"]);
    assertEquals(top.code, 0);
    assertMatch(top.stdout, /runprov help \[COMMAND\]/);
    const bad = await sb.runprov(["help", "nope"]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /unknown command 'nope'/);
    assertEquals(bad.stdout, "");
  });
});

Deno.test("completions: an unknown or missing shell is a usage error with the choices", async () => {
  await withSandbox(async (sb) => {
    for (const args of [["completions"], ["completions", "tcsh"], ["completions", "a", "b"]]) {
      const r = await sb.runprov(args);
      assertEquals(r.code, 2, args.join(" "));
      assertMatch(r.stderr, /use one of: bash, zsh, fish/);
      assertEquals(r.stdout, "");
    }
  });
});

Deno.test({
  name: "completions bash: registered with complete, completes commands, options, values",
  ignore: !shells.bash,
  fn: async () => {
    await withSandbox(async (sb) => {
      const script = await sb.runprov(["completions", "bash"]);
      assertEquals(script.code, 0, script.stderr);
      const file = join(sb.base, "runprov.bash");
      await Deno.writeTextFile(file, script.stdout);
      const probe = `source ${file}
complete -p runprov
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _runprov; echo "\${COMPREPLY[*]}"; }
t runprov st
t runprov env --fo
t runprov env --format b
t runprov exec --ta
t runprov exec python --ta
t runprov -C . veri
t runprov help ex
t runprov completions f`;
      const r = await run("bash", ["--norc", "-c", probe], { cwd: sb.dir, env: sb.env });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.split("\n"), [
        "complete -o default -F _runprov runprov",
        "stamp",
        "--format",
        "bash",
        "--tag",
        "", // after the program's name: its own arguments (files), not runprov's options
        "verify",
        "exec",
        "fish",
        "",
      ]);
    });
  },
});

Deno.test({
  name: "completions zsh: after compinit, Tab completes a command and an option",
  ignore: !shells.zsh,
  fn: async () => {
    await withSandbox(async (sb) => {
      const script = await sb.runprov(["completions", "zsh"]);
      assertEquals(script.code, 0, script.stderr);
      const file = join(sb.base, "runprov.zsh");
      await Deno.writeTextFile(file, script.stdout);
      // An interactive zsh in a pseudo-terminal: type, press Tab, then a key bound to a
      // widget that appends the edited line to a file; the driver waits for each line.
      const lines = join(sb.base, "buffers.txt");
      const driver = `zmodload zsh/zpty
zpty -b z zsh -f -i
zpty -w z 'autoload -Uz compinit; compinit -u -D; source ${file}'
zpty -w z 'dump() { print -r -- "$BUFFER" >>${lines}; BUFFER=; }; zle -N dump; bindkey "^X" dump'
wait_lines() { local i; for i in {1..200}; do
  [[ -f ${lines} && $(wc -l <${lines}) -ge $1 ]] && return 0; sleep 0.1; done; return 1; }
zpty -w -n z $'runprov sta\\t\\C-x'; wait_lines 1
zpty -w -n z $'runprov env --forma\\t\\C-x'; wait_lines 2
zpty -w -n z $'runprov env --format fi\\t\\C-x'; wait_lines 3
zpty -d z`;
      const r = await run("timeout", ["40", "zsh", "-f", "-c", driver], {
        cwd: sb.dir,
        env: sb.env,
      });
      const got = await Deno.readTextFile(lines).catch(() => "");
      assertEquals(got.split("\n"), [
        "runprov stamp ",
        "runprov env --format ",
        "runprov env --format fish ",
        "",
      ], r.stderr);
    });
  },
});

Deno.test({
  name: "completions fish: complete -C lists commands, options and option values",
  ignore: !shells.fish,
  fn: async () => {
    await withSandbox(async (sb) => {
      const script = await sb.runprov(["completions", "fish"]);
      assertEquals(script.code, 0, script.stderr);
      const file = join(sb.base, "runprov.fish");
      await Deno.writeTextFile(file, script.stdout);
      const probe = `source ${file}
complete -C 'runprov sta'
echo SEP
complete -C 'runprov env --forma'
echo SEP
complete -C 'runprov env --format fi'`;
      const r = await run("fish", ["--no-config", "-c", probe], { cwd: sb.dir, env: sb.env });
      assertEquals(r.code, 0, r.stderr);
      const [cmds, opts, values] = r.stdout.split("SEP\n").map((block) =>
        block.trim().split("\n").map((l) => l.split("\t")[0])
      );
      assertEquals(cmds, ["stamp"]);
      assertEquals(opts, ["--format"]);
      assertEquals(values, ["fish"]);
    });
  },
});

Deno.test("completions: every option of every command's --help is offered", async () => {
  await withSandbox(async (sb) => {
    const bash = (await sb.runprov(["completions", "bash"])).stdout;
    const commands = ["env", "stamp", "check", "exec", "tag", "runs", "show", "config"];
    for (const c of commands) {
      const help = (await sb.runprov([c, "--help"])).stdout;
      const options = optionsInHelp(help);
      assert(options.length > 0, c);
      for (const o of options) {
        assert(bash.includes(` ${o.long}`) || bash.includes(`"${o.long}`), `${c} ${o.long}`);
      }
    }
  });
});

Deno.test("help: no command's --help puts a control character on the terminal", async () => {
  await withSandbox(async (sb) => {
    for (const c of Object.keys((await import("../lib/cli/cli.ts")).COMMANDS)) {
      const help = (await sb.runprov([c, "--help"])).stdout;
      // deno-lint-ignore no-control-regex
      const raw = help.match(/[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/gu);
      assertEquals(raw, null, `${c} --help`);
    }
  });
});
