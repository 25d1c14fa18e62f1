/**
 * `deno task compile`: build the standalone runprov binaries into dist/ with exactly the
 * permission flags of lib/permissions.json, the lockfile frozen, the full type check, and
 * the version and runprov's own commit stamped in (a generated JSON module mapped through
 * `#build-info`, not a file read at run time); then write dist/SHA256SUMS.
 *
 *   deno task compile                    every target in TARGETS
 *   deno task compile --target T         one target (repeatable)
 *   DENORT_BIN=/path/to/denort deno task compile   the host target, with that runtime
 *
 * deno compile needs the `denort` runtime of each target, which it downloads from
 * dl.deno.land (and caches under DENO_DIR). Where that host is unreachable the script
 * says so once, before compiling anything, and names DENORT_BIN.
 */
import permissions from "../lib/permissions.json" with { type: "json" };
import baseInfo from "../lib/build_info.json" with { type: "json" };
import denoConfig from "../deno.json" with { type: "json" };
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { Git } from "../lib/git/client.ts";
import {
  binaryName,
  BuildError,
  buildInfoJson,
  denortCachePath,
  denortMissingMessage,
  denortUrl,
  planTargets,
  sha256sums,
  type SourceState,
  TARGETS,
} from "./build_plan.ts";

const HELP = `deno task compile: build standalone runprov binaries into dist/

Usage: deno task compile [--target TARGET]...

Builds dist/runprov-<target> for every target, or only the given ones, then writes
dist/SHA256SUMS (check with: cd dist && sha256sum -c SHA256SUMS) and points dist/runprov
at the host's binary.

Targets: ${TARGETS.join(", ")}
(No Windows target: runprov is POSIX-only.)

Environment:
  DENORT_BIN=/path/to/denort   use this denort runtime (Deno ${Deno.version.deno}, this
                               platform) instead of downloading one; builds the host
                               target only
  RUNPROV_DEBUG=1              show stack traces of unexpected errors
`;

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const host = Deno.build.target;

function log(text: string): void {
  console.error(`compile: ${text}`);
}

/** runprov's own commit and whether tracked files differ from it (through lib/git/client.ts). */
async function sourceState(): Promise<SourceState> {
  const git = new Git({ cwd: root, env: Deno.env.toObject() });
  try {
    const head = await git.run(["rev-parse", "-q", "--verify", "HEAD^{commit}"], { ok: [0, 1] });
    const commit = new TextDecoder().decode(head.stdout).trim() || null;
    if (!commit) return { commit: null, dirty: false };
    const status = await git.status("no");
    return { commit, dirty: status.entries.length > 0 };
  } catch {
    return { commit: null, dirty: false }; // not a checkout (a source tarball) or no git
  }
}

/** deno's cache directory, where compile keeps downloaded denort archives. */
async function denoDir(): Promise<string | null> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (!out?.success) return null;
  try {
    return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir ?? null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fail fast, before any compile, when a target's denort is neither cached nor downloadable.
 * One HEAD request per missing target, 15 s each at most.
 */
async function checkDenort(targets: string[]): Promise<void> {
  const version = Deno.version.deno;
  const dir = await denoDir();
  const missing: string[] = [];
  for (const t of targets) {
    if (dir && await exists(denortCachePath(dir, version, t))) continue;
    missing.push(t);
  }
  for (const t of missing) {
    let why: string | null = null;
    try {
      const res = await fetch(denortUrl(version, t), {
        method: "HEAD",
        signal: AbortSignal.timeout(15_000),
      });
      await res.body?.cancel();
      if (!res.ok) why = `HTTP ${res.status} for ${denortUrl(version, t)}`;
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      why = err instanceof DOMException && err.name === "TimeoutError"
        ? "no answer within 15 s"
        : `${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ""}`;
    }
    if (why !== null) throw new BuildError(denortMissingMessage(missing, why, version, host));
  }
}

async function checkDenortBin(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new BuildError(
      `DENORT_BIN=${path}: no such file; point it at the denort of Deno ${Deno.version.deno} ` +
        `for ${host}`,
    );
  }
  if (!info.isFile) throw new BuildError(`DENORT_BIN=${path}: not a file`);
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** `deno compile` one target; resolves with the output path. */
async function compileOne(target: string, configPath: string, useDenort: boolean) {
  const output = join(dist, binaryName(target));
  const args = [
    "compile",
    "--config",
    configPath,
    "--lock",
    join(root, "deno.lock"),
    "--frozen",
    ...permissions,
    // With DENORT_BIN deno embeds that runtime whatever --target says, so say nothing.
    ...(useDenort ? [] : ["--target", target]),
    "--output",
    output,
    join(root, "main.ts"),
  ];
  log(`deno ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    if (!useDenort && /denort|dl\.deno\.land|Setting up base binary/.test(stderr)) {
      if (Deno.env.get("RUNPROV_DEBUG") === "1") console.error(stderr);
      throw new BuildError(
        denortMissingMessage([target], "deno compile could not get it", Deno.version.deno, host),
      );
    }
    console.error(stderr.trimEnd());
    throw new BuildError(`deno compile failed for ${target} (exit ${out.code})`);
  }
  return output;
}

/** Point dist/runprov at the host's binary (a relative symlink, or a copy where that fails). */
async function linkHost(file: string): Promise<string> {
  const link = join(dist, "runprov");
  await Deno.remove(link).catch(() => {});
  try {
    await Deno.symlink(binaryName(host), link);
  } catch {
    await Deno.copyFile(file, link);
  }
  return link;
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        target: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new BuildError(`${(err as Error).message}; see 'deno task compile --help'`, 2);
  }
  if (values.help) {
    console.log(HELP.trimEnd());
    return 0;
  }
  const denortBin = Deno.env.get("DENORT_BIN") || undefined;
  const targets = planTargets(values.target ?? [], denortBin, host);
  if (denortBin) {
    await checkDenortBin(denortBin);
    if (!values.target?.length) log(`DENORT_BIN is set: building the host target ${host} only`);
  } else {
    await checkDenort(targets);
  }

  const src = await sourceState();
  const build = join(dist, ".build");
  await Deno.mkdir(build, { recursive: true });
  try {
    const infoPath = join(build, "build_info.json");
    await Deno.writeTextFile(infoPath, buildInfoJson(baseInfo, src));
    // The project's config with #build-info pointed at the stamped copy.
    const config = {
      ...denoConfig,
      imports: { ...denoConfig.imports, "#build-info": `file://${infoPath}` },
    };
    const configPath = join(build, "deno.json");
    await Deno.writeTextFile(configPath, JSON.stringify(config, null, 2));

    const built: { name: string; sha256: string }[] = [];
    for (const t of targets) {
      const file = await compileOne(t, configPath, denortBin !== undefined);
      built.push({ name: binaryName(t), sha256: await sha256(file) });
      log(`wrote ${file}`);
      if (t === host) log(`wrote ${await linkHost(file)} -> ${binaryName(t)}`);
    }
    const sums = join(dist, "SHA256SUMS");
    await Deno.writeTextFile(sums, sha256sums(built));
    log(`wrote ${sums} (verify: cd dist && sha256sum -c SHA256SUMS)`);
  } finally {
    await Deno.remove(build, { recursive: true }).catch(() => {});
  }
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    if (err instanceof BuildError) {
      for (const line of err.message.split("\n")) log(line);
      code = err.exitCode;
    } else {
      log(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
      if (Deno.env.get("RUNPROV_DEBUG") === "1" && err instanceof Error) console.error(err.stack);
      code = 1;
    }
  }
  Deno.exit(code);
}
