#!/usr/bin/env -S deno run --allow-all
/**
 * runprov's entry point: the only file that reads Deno.args, writes stdout and exits.
 * The shebang's permission flags are exactly lib/permissions.json (a test checks it);
 * `deno task compile` gives the binary the same list.
 */
import { runCli } from "./lib/cli/cli.ts";
import type { Io } from "./lib/io.ts";
import { Git } from "./lib/git/client.ts";

const encoder = new TextEncoder();

async function writeAll(stream: typeof Deno.stdout, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += await stream.write(bytes.subarray(off));
}

/** Build the real Io for this process. */
function processIo(): Io {
  return {
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
    },
    now: () => new Date(),
  };
}

/** runprov's own commit when running from a source checkout (not in a compiled binary). */
async function sourceCommit(): Promise<string | null> {
  // A compiled binary's modules live in a virtual file system: its commit is stamped instead.
  if (Deno.build.standalone) return null;
  const url = new URL(".", import.meta.url);
  if (url.protocol !== "file:") return null;
  const git = new Git({ cwd: decodeURIComponent(url.pathname), env: Deno.env.toObject() });
  const res = await git.run(["rev-parse", "--short", "-q", "--verify", "HEAD^{commit}"], {
    ok: [0, 1],
  });
  return res.code === 0 ? new TextDecoder().decode(res.stdout).trim() || null : null;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await runCli(Deno.args, processIo(), { sourceCommit });
  } catch (err) {
    // A broken stdout pipe (`runprov env | head -c1`) must not become a stack trace.
    if (err instanceof Deno.errors.BrokenPipe) code = 1;
    else throw err;
  }
  Deno.exit(code);
}
