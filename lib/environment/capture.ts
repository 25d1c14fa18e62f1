/**
 * The `environment` section of a run record, captured from files and variables only (no
 * process is started): the interpreter, its distributions, NVIDIA GPUs, the container and the
 * allowlisted variables, each part as the config switches it. Never throws: whatever cannot
 * be read becomes a part's `reason`.
 */
import type {
  ContainerFacts,
  EnvironmentFacts,
  EnvironmentSettings,
  GpuFacts,
  PackagesFacts,
  PythonFacts,
} from "./facts.ts";
import { denoReader, type Reader } from "./reader.ts";
import { resolveInterpreter } from "./interpreter.ts";
import { describePython, emptyLayout } from "./python.ts";
import { completeSources, listPackages } from "./distributions.ts";
import { captureGpu } from "./gpu.ts";
import { captureContainer } from "./container.ts";
import { captureVars } from "./vars.ts";

/** What a capture looks at; everything but `settings`, `env` and `cwd` has a default. */
export interface EnvironmentInput {
  settings: EnvironmentSettings;
  env: Record<string, string>;
  /** The directory the run works in. */
  cwd: string;
  /** `exec`'s command, from which the interpreter is resolved. */
  command?: readonly string[];
  reader?: Reader;
  /** The file system root (`/`) where container marker files are looked for. */
  root?: string;
  /** Where /proc is. */
  proc?: string;
  /** Which dist-infos' direct_url.json to read (default `hinted`). */
  sources?: "hinted" | "all";
}

/** A part's facts, or its reason when capturing it threw (a bug, never the user's problem). */
async function guarded<T>(part: string, f: () => Promise<T>, failed: (reason: string) => T) {
  try {
    return await f();
  } catch (err) {
    return failed(`runprov could not capture ${part}: ${(err as Error)?.message ?? err}`);
  }
}

function noPython(reason: string): PythonFacts {
  return { executable: null, found_by: null, via: [], ...emptyLayout([reason]) };
}

function noPackages(reason: string, sources: "hinted" | "all"): PackagesFacts {
  return {
    count: 0,
    sha256: "",
    list: [],
    sites: [],
    sources,
    invalid: [],
    invalid_count: 0,
    reason,
  };
}

/** Resolve and describe the interpreter (the `python` part). */
export async function capturePython(
  input: EnvironmentInput,
  reader: Reader,
): Promise<PythonFacts> {
  const found = await resolveInterpreter(
    { command: input.command, env: input.env, cwd: input.cwd },
    reader,
  );
  if (found.executable === null) {
    return { ...noPython(found.reason ?? "no python interpreter found"), via: found.via };
  }
  const layout = await describePython(found.executable, input.env, reader);
  return {
    executable: found.executable,
    real_path: layout.real_path,
    found_by: found.found_by,
    via: found.via,
    version: layout.version,
    version_from: layout.version_from,
    kind: layout.kind,
    prefix: layout.prefix,
    base_prefix: layout.base_prefix,
    site_packages: layout.site_packages,
    reason: layout.reason,
  };
}

/**
 * Capture the environment as `settings` asks; null when `settings.capture` is false.
 *
 * @example
 * const facts = await captureEnvironment({ settings, env: Deno.env.toObject(), cwd: Deno.cwd() });
 * facts?.packages?.sha256; // "5d4140..."
 */
export async function captureEnvironment(
  input: EnvironmentInput,
): Promise<EnvironmentFacts | null> {
  const s = input.settings;
  if (!s.capture) return null;
  const reader = input.reader ?? denoReader;
  const proc = input.proc ?? "/proc";
  const sources = input.sources ?? "hinted";
  const pythonP = s.python || s.packages
    ? guarded("the python interpreter", () => capturePython(input, reader), noPython)
    : null;
  const packagesP = s.packages
    ? pythonP!.then((py) =>
      py.executable === null
        ? noPackages(py.reason ?? "no python interpreter found", sources)
        : py.site_packages.length === 0
        ? noPackages(`no site-packages directory found for ${py.executable}`, sources)
        : guarded(
          "the installed packages",
          () => listPackages(py.site_packages, reader, sources),
          (r) => noPackages(r, sources),
        )
    )
    : null;
  const gpuP = s.gpu
    ? guarded("the GPUs", () => captureGpu(proc, input.env, reader), (reason): GpuFacts => ({
      driver: null,
      devices: [],
      cuda_visible_devices: input.env.CUDA_VISIBLE_DEVICES ?? null,
      reason,
    }))
    : null;
  const containerP = s.container
    ? guarded(
      "the container",
      () => captureContainer(input.root ?? "/", proc, input.env, reader),
      (reason): ContainerFacts => ({
        inside: false,
        runtimes: [],
        image: null,
        evidence: [],
        reason,
      }),
    )
    : null;
  const [python, packages, gpu, container] = await Promise.all([
    pythonP,
    packagesP,
    gpuP,
    containerP,
  ]);
  return {
    python: s.python ? python : null,
    packages,
    gpu,
    container,
    vars: captureVars(input.env, s.vars),
  };
}

/**
 * Bring a capture made under `used` settings to `wanted` ones without reading anything
 * again, or null when that is not possible (a part `wanted` on was not captured).
 */
export function reconcileEnvironment(
  facts: EnvironmentFacts | null,
  used: EnvironmentSettings,
  wanted: EnvironmentSettings,
  env: Record<string, string>,
): EnvironmentFacts | null | undefined {
  if (!wanted.capture) return null;
  if (facts === null || !used.capture) return undefined;
  for (const part of ["python", "packages", "gpu", "container"] as const) {
    if (wanted[part] && !used[part]) return undefined;
  }
  return {
    python: wanted.python ? facts.python : null,
    packages: wanted.packages ? facts.packages : null,
    gpu: wanted.gpu ? facts.gpu : null,
    container: wanted.container ? facts.container : null,
    vars: captureVars(env, wanted.vars),
  };
}

/**
 * The environment with every distribution's source read (see {@link completeSources}); the
 * same facts when there is nothing to complete. Never throws.
 */
export async function completeEnvironment(
  facts: EnvironmentFacts | null | undefined,
  reader: Reader = denoReader,
): Promise<EnvironmentFacts | null | undefined> {
  if (!facts?.packages || facts.packages.sources === "all") return facts;
  try {
    return { ...facts, packages: await completeSources(facts.packages, reader) };
  } catch {
    return facts;
  }
}
