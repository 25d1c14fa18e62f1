/**
 * install.sh as a user runs it: `sh install.sh` against a release directory built here and
 * served by a real HTTP server on 127.0.0.1 (python3's http.server), or read from a directory
 * as on an air-gapped cluster. A good asset installs; every failure installs nothing.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { ROOT, run } from "./helpers.ts";

const hasPython = await run("python3", ["--version"]).then((r) => r.code === 0, () => false);
const hasShellcheck = await run("shellcheck", ["--version"]).then((r) => r.code === 0, () => false);
if (!hasPython) console.log("install_test: python3 not found: the HTTP tests are skipped");
if (!hasShellcheck) console.log("install_test: shellcheck not found: its check is skipped");

const INSTALL_SH = join(ROOT, "install.sh");

/** A fake release binary: prints its version like runprov does. */
function fakeBinary(version: string): string {
  return `#!/bin/sh\necho "runprov ${version} (commit 0123456789ab)"\n`;
}

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Write `<root>/<tag>/` with the given assets and a SHA256SUMS (checksums overridable). */
async function writeRelease(
  root: string,
  tag: string,
  assets: Record<string, string>,
  sums: Record<string, string> = {},
): Promise<void> {
  const dir = join(root, tag);
  await Deno.mkdir(dir, { recursive: true });
  const lines: string[] = [];
  for (const [name, body] of Object.entries(assets)) {
    await Deno.writeTextFile(join(dir, name), body);
    lines.push(`${sums[name] ?? await sha256(body)}  ${name}`);
  }
  await Deno.writeTextFile(join(dir, "SHA256SUMS"), lines.join("\n") + "\n");
}

/**
 * python3's http.server on 127.0.0.1 (port chosen by the OS), serving `root`; a file whose
 * name ends in `.cut` is sent with a Content-Length larger than what follows, then the
 * connection is closed: an interrupted download.
 */
async function startServer(root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const script = `
import http.server, os, sys, functools
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        path = self.translate_path(self.path)
        if os.path.exists(path + ".cut"):
            body = open(path + ".cut", "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) * 10))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.connection.close()
            return
        return super().do_GET()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
print(srv.server_address[1], flush=True)
srv.serve_forever()
`;
  const child = new Deno.Command("python3", {
    args: ["-c", script, root],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("http server did not start");
    line += value;
  }
  reader.releaseLock();
  const port = Number(line.trim());
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

interface Setup {
  dir: string;
  releases: string;
  installDir: string;
  fakeBin: string;
}

/** A temp dir with a release tree, an empty install dir, and a fake `uname` on PATH. */
async function setup(arch = "x86_64", os = "Linux"): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "runprov-install-" });
  const fakeBin = join(dir, "bin");
  await Deno.mkdir(fakeBin);
  await Deno.writeTextFile(
    join(fakeBin, "uname"),
    `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${arch} ;; *) echo ${os} ;; esac\n`,
  );
  await Deno.chmod(join(fakeBin, "uname"), 0o755);
  return {
    dir,
    releases: join(dir, "releases"),
    installDir: join(dir, "home/.local/bin"),
    fakeBin,
  };
}

function installEnv(s: Setup, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: `${s.fakeBin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    HOME: join(s.dir, "home"),
    TMPDIR: s.dir,
    ...extra,
  };
}

/** Run install.sh with POSIX sh (dash on Debian), as `curl ... | sh` would. */
function install(s: Setup, extra: Record<string, string>) {
  return run("sh", [INSTALL_SH], { env: installEnv(s, extra), cwd: s.dir });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Leftovers install.sh must not leave: staged copies in the install dir, temp dirs. */
async function leftovers(s: Setup): Promise<string[]> {
  const out: string[] = [];
  for (const d of [s.installDir, s.dir]) {
    if (!(await exists(d))) continue;
    for await (const e of Deno.readDir(d)) {
      if (e.name.startsWith(".runprov.install.") || e.name.startsWith("runprov-install.")) {
        out.push(join(d, e.name));
      }
    }
  }
  return out;
}

const LINUX_X64 = "runprov-x86_64-unknown-linux-gnu";

Deno.test({
  name: "install.sh: a good release asset over HTTP installs into ~/.local/bin and runs",
  ignore: !hasPython,
  fn: async () => {
    const s = await setup();
    await writeRelease(s.releases, "v0.2.0", { [LINUX_X64]: fakeBinary("0.2.0") });
    const srv = await startServer(s.releases);
    try {
      const r = await install(s, { RUNPROV_DOWNLOAD_BASE: srv.url, RUNPROV_VERSION: "0.2.0" });
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /installed runprov 0\.2\.0/);
      const v = await run(join(s.installDir, "runprov"), ["--version"]);
      assertEquals(v.stdout, "runprov 0.2.0 (commit 0123456789ab)\n");
      assertMatch(r.stderr, /not on your PATH/);
      assertEquals(await leftovers(s), []);
    } finally {
      await srv.stop();
      await Deno.remove(s.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "install.sh: RUNPROV_VERSION picks the release; latest is the default; RUNPROV_INSTALL_DIR",
  ignore: !hasPython,
  fn: async () => {
    const s = await setup();
    await writeRelease(s.releases, "v0.1.0", { [LINUX_X64]: fakeBinary("0.1.0") });
    await writeRelease(s.releases, "latest", { [LINUX_X64]: fakeBinary("0.3.0") });
    const srv = await startServer(s.releases);
    const other = join(s.dir, "opt/tools");
    try {
      let r = await install(s, { RUNPROV_DOWNLOAD_BASE: srv.url + "/" });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        (await run(join(s.installDir, "runprov"), ["--version"])).stdout,
        "runprov 0.3.0 (commit 0123456789ab)\n",
      );
      r = await install(s, {
        RUNPROV_DOWNLOAD_BASE: srv.url,
        RUNPROV_VERSION: "v0.1.0",
        RUNPROV_INSTALL_DIR: other,
      });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        (await run(join(other, "runprov"), ["--version"])).stdout,
        "runprov 0.1.0 (commit 0123456789ab)\n",
      );
    } finally {
      await srv.stop();
      await Deno.remove(s.dir, { recursive: true });
    }
  },
});

Deno.test("install.sh: a release on a shared filesystem (file:// or a plain path) installs without network", async () => {
  const s = await setup("aarch64");
  await writeRelease(s.releases, "v0.2.0", {
    "runprov-aarch64-unknown-linux-gnu": fakeBinary("0.2.0"),
  });
  try {
    for (const base of [`file://${s.releases}`, s.releases]) {
      await Deno.remove(s.installDir, { recursive: true }).catch(() => {});
      const r = await install(s, { RUNPROV_DOWNLOAD_BASE: base, RUNPROV_VERSION: "0.2.0" });
      assertEquals(r.code, 0, r.stderr);
      assert(await exists(join(s.installDir, "runprov")), base);
    }
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

/** Each failure: non-zero exit, the message, nothing installed, an earlier install intact. */
async function assertInstallsNothing(
  s: Setup,
  extra: Record<string, string>,
  message: RegExp,
): Promise<void> {
  await Deno.mkdir(s.installDir, { recursive: true });
  const previous = fakeBinary("0.0.9");
  await Deno.writeTextFile(join(s.installDir, "runprov"), previous);
  const r = await install(s, extra);
  assert(r.code !== 0, `exit ${r.code}: ${r.stderr}`);
  assertMatch(r.stderr, message);
  assertEquals(await Deno.readTextFile(join(s.installDir, "runprov")), previous);
  assertEquals(await leftovers(s), []);
  assertEquals([...Deno.readDirSync(s.installDir)].map((e) => e.name), ["runprov"]);
}

Deno.test({
  name: "install.sh: a wrong checksum, a missing asset, an interrupted download install nothing",
  ignore: !hasPython,
  fn: async () => {
    const s = await setup();
    await writeRelease(s.releases, "v1.0.0", { [LINUX_X64]: fakeBinary("1.0.0") }, {
      [LINUX_X64]: "0".repeat(64),
    });
    await writeRelease(s.releases, "v1.1.0", { "runprov-aarch64-apple-darwin": fakeBinary("1.1") });
    // v1.2.0: SHA256SUMS is right, but the server cuts the binary short.
    const body = fakeBinary("1.2.0");
    await writeRelease(s.releases, "v1.2.0", { [LINUX_X64 + ".cut"]: body });
    await Deno.writeTextFile(
      join(s.releases, "v1.2.0/SHA256SUMS"),
      `${await sha256(body)}  ${LINUX_X64}\n`,
    );
    const srv = await startServer(s.releases);
    try {
      const base = { RUNPROV_DOWNLOAD_BASE: srv.url };
      await assertInstallsNothing(s, { ...base, RUNPROV_VERSION: "1.0.0" }, /checksum mismatch/);
      await assertInstallsNothing(
        s,
        { ...base, RUNPROV_VERSION: "1.1.0" },
        /could not download .*runprov-x86_64-unknown-linux-gnu/,
      );
      await assertInstallsNothing(
        s,
        { ...base, RUNPROV_VERSION: "1.2.0" },
        /could not download .*interrupted/,
      );
      await assertInstallsNothing(
        s,
        { ...base, RUNPROV_VERSION: "9.9.9" },
        /could not download .*SHA256SUMS/,
      );
    } finally {
      await srv.stop();
      await Deno.remove(s.dir, { recursive: true });
    }
  },
});

Deno.test("install.sh: an unknown architecture or OS, or a bad version, installs nothing", async () => {
  for (
    const [arch, os, extra, message] of [
      ["riscv64", "Linux", {}, /unsupported architecture 'riscv64'/],
      ["x86_64", "SunOS", {}, /unsupported operating system 'SunOS'/],
      ["x86_64", "Linux", { RUNPROV_VERSION: "1.0;rm -rf ~" }, /has characters/],
    ] as const
  ) {
    const s = await setup(arch, os);
    await writeRelease(s.releases, "latest", { [LINUX_X64]: fakeBinary("0.2.0") });
    try {
      await assertInstallsNothing(s, { RUNPROV_DOWNLOAD_BASE: s.releases, ...extra }, message);
    } finally {
      await Deno.remove(s.dir, { recursive: true });
    }
  }
});

Deno.test({
  name: "install.sh: shellcheck finds nothing in it as POSIX sh",
  ignore: !hasShellcheck,
  fn: async () => {
    const r = await run("shellcheck", ["--shell=sh", "--severity=style", INSTALL_SH]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
  },
});
