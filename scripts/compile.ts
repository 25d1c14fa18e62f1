/**
 * `deno task compile`: build the standalone runprov binary into dist/ with exactly the
 * permission flags of lib/permissions.json, the lockfile frozen, and the version and
 * runprov's own commit stamped in (a generated JSON module, not a file read at run time).
 *
 * deno compile needs the `denort` runtime. It is downloaded from dl.deno.land; where that
 * host is unreachable, set DENORT_BIN=/path/to/denort (same Deno version, host target).
 */
import permissions from "../lib/permissions.json" with { type: "json" };
import buildInfo from "../lib/build_info.json" with { type: "json" };
import denoConfig from "../deno.json" with { type: "json" };
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

async function git(...args: string[]): Promise<string | null> {
  const out = await new Deno.Command("git", { args, cwd: root, stderr: "null" }).output()
    .catch(() => null);
  return out?.success ? new TextDecoder().decode(out.stdout).trim() : null;
}

async function main(): Promise<number> {
  const commit = await git("rev-parse", "HEAD");
  const dirty = (await git("status", "--porcelain", "--untracked-files=no")) ? "-dirty" : "";
  const build = join(dist, ".build");
  await Deno.mkdir(build, { recursive: true });
  const infoPath = join(build, "build_info.json");
  await Deno.writeTextFile(
    infoPath,
    JSON.stringify({ ...buildInfo, commit: commit ? commit.slice(0, 12) + dirty : null }) + "\n",
  );
  // The project's config with #build-info pointed at the stamped copy.
  const config = {
    ...denoConfig,
    imports: { ...denoConfig.imports, "#build-info": `file://${infoPath}` },
  };
  const configPath = join(build, "deno.json");
  await Deno.writeTextFile(configPath, JSON.stringify(config, null, 2));
  const output = join(dist, "runprov");
  const args = [
    "compile",
    "--config",
    configPath,
    "--lock",
    join(root, "deno.lock"),
    "--frozen",
    ...permissions,
    "--output",
    output,
    join(root, "main.ts"),
  ];
  console.error(`compile: deno ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "piped" })
    .output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    if (/denort|dl\.deno\.land|Setting up base binary/.test(stderr)) {
      console.error(
        "compile: deno compile could not get the denort runtime (its download from " +
          "dl.deno.land failed).\n" +
          "compile: set DENORT_BIN=/path/to/denort (Deno " + Deno.version.deno +
          ", this platform) and run again.",
      );
      if (Deno.env.get("RUNPROV_DEBUG") === "1") console.error(stderr);
    } else {
      console.error(stderr);
    }
    return 1;
  }
  console.error(`compile: wrote ${output}`);
  return 0;
}

Deno.exit(await main());
