/**
 * What changed between two runs' environments: packages added, removed or at another
 * version (or source commit), python version/kind/interpreter, GPU driver and models,
 * container, and variables; and the lines `runprov diff` prints for it. Reads records
 * defensively (old records have no `environment`; foreign ones may hold anything). Pure.
 */
import { printable } from "./summary.ts";

/** One value on each side (null: absent or not captured there). */
export interface Change {
  from: string | null;
  to: string | null;
}

/** A package on one side. */
export interface PackageChange {
  name: string;
  from: string | null;
  to: string | null;
}

/** The differences between environment A and B. */
export interface EnvironmentDiff {
  /** Nothing differs (parts captured on one side only count as differences). */
  same: boolean;
  /** Sides whose record has no environment, or has it switched off. */
  missing: ("a" | "b")[];
  python: { version: Change | null; kind: Change | null; executable: Change | null };
  packages: {
    /** The digests differ (or a side has no package list). */
    differ: boolean;
    added: PackageChange[];
    removed: PackageChange[];
    changed: PackageChange[];
  };
  gpu: { driver: Change | null; models: Change | null; cuda_visible_devices: Change | null };
  container: Change | null;
  vars: { added: PackageChange[]; removed: PackageChange[]; changed: PackageChange[] };
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Obj : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function change(a: string | null, b: string | null): Change | null {
  return a === b ? null : { from: a, to: b };
}

/** A package's version as compared and shown: `1.2`, `1.2 (git 0123abcd4567)`, `(editable)`. */
function shownVersion(p: Obj): string {
  let v = str(p.version) ?? "?";
  if (typeof p.commit === "string") v += ` (${str(p.vcs) ?? "vcs"} ${p.commit.slice(0, 12)})`;
  if (p.editable === true) v += " (editable)";
  return v;
}

/** name -> shown version(s) of a package list (several versions of one name are joined). */
function packageMap(packages: Obj | null): Map<string, string> | null {
  if (packages === null || !Array.isArray(packages.list)) return null;
  const out = new Map<string, string[]>();
  for (const p of packages.list.map(obj)) {
    const name = p ? str(p.name) : null;
    if (!p || name === null) continue;
    out.set(name, [...(out.get(name) ?? []), shownVersion(p)]);
  }
  return new Map([...out].map(([n, vs]) => [n, vs.sort().join(", ")]));
}

function mapDiff(a: Map<string, string>, b: Map<string, string>) {
  const added: PackageChange[] = [];
  const removed: PackageChange[] = [];
  const changed: PackageChange[] = [];
  for (const [name, v] of a) {
    if (!b.has(name)) removed.push({ name, from: v, to: null });
    else if (b.get(name) !== v) changed.push({ name, from: v, to: b.get(name)! });
  }
  for (const [name, v] of b) if (!a.has(name)) added.push({ name, from: null, to: v });
  const byName = (x: PackageChange, y: PackageChange) =>
    x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
  return {
    added: added.sort(byName),
    removed: removed.sort(byName),
    changed: changed.sort(byName),
  };
}

function gpuModels(gpu: Obj | null): string | null {
  if (gpu === null || !Array.isArray(gpu.devices)) return null;
  const models = gpu.devices.map(obj).map((d) => (d ? str(d.model) : null) ?? "unknown model");
  return models.length > 0 ? models.sort().join(", ") : "none";
}

function containerText(c: Obj | null): string | null {
  if (c === null) return null;
  if (c.inside !== true) return "none";
  const runtimes = Array.isArray(c.runtimes) ? c.runtimes.filter((r) => typeof r === "string") : [];
  const image = str(c.image);
  return `${runtimes.join(", ") || "container"}${image ? ` (image ${image})` : ""}`;
}

function varsMap(vars: Obj | null): Map<string, string> {
  const values = obj(vars?.values);
  return new Map(
    Object.entries(values ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/**
 * The differences between the environments of two records (each the record's `environment`
 * value: an object, null when switched off, undefined in records that predate it).
 *
 * @example
 * const d = environmentDiff(runA.environment, runB.environment);
 * d.packages.changed; // [{ name: "torch", from: "2.1.0+cu118", to: "2.2.0+cu121" }]
 */
export function environmentDiff(a: unknown, b: unknown): EnvironmentDiff {
  const ea = obj(a);
  const eb = obj(b);
  const missing: ("a" | "b")[] = [];
  if (ea === null) missing.push("a");
  if (eb === null) missing.push("b");
  const pa = obj(ea?.python);
  const pb = obj(eb?.python);
  const both = ea !== null && eb !== null;
  const python = {
    version: both ? change(str(pa?.version), str(pb?.version)) : null,
    kind: both ? change(str(pa?.kind), str(pb?.kind)) : null,
    executable: both ? change(str(pa?.executable), str(pb?.executable)) : null,
  };
  const ka = obj(ea?.packages);
  const kb = obj(eb?.packages);
  const ma = packageMap(ka);
  const mb = packageMap(kb);
  const sameDigest = ka !== null && kb !== null && typeof ka.sha256 === "string" &&
    ka.sha256 !== "" && ka.sha256 === kb.sha256;
  const listed = ma !== null && mb !== null
    ? mapDiff(ma, mb)
    : { added: [], removed: [], changed: [] };
  // Equal digests mean equal name==version lines; sources (editable, commit) may still differ.
  const packages = {
    differ: both && (ma === null) !== (mb === null) ||
      (ma !== null && mb !== null && (!sameDigest || listed.changed.length > 0)),
    ...listed,
  };
  const ga = obj(ea?.gpu);
  const gb = obj(eb?.gpu);
  const gpu = {
    driver: both ? change(str(ga?.driver), str(gb?.driver)) : null,
    models: both ? change(gpuModels(ga), gpuModels(gb)) : null,
    cuda_visible_devices: both
      ? change(str(ga?.cuda_visible_devices), str(gb?.cuda_visible_devices))
      : null,
  };
  const container = both
    ? change(containerText(obj(ea?.container)), containerText(obj(eb?.container)))
    : null;
  const vars = both
    ? mapDiff(varsMap(obj(ea?.vars)), varsMap(obj(eb?.vars)))
    : { added: [], removed: [], changed: [] };
  if (ga !== null && gb !== null) {
    // CUDA_VISIBLE_DEVICES is compared once, with the GPUs.
    for (const k of ["added", "removed", "changed"] as const) {
      vars[k] = vars[k].filter((x) => x.name !== "CUDA_VISIBLE_DEVICES");
    }
  }
  const same = missing.length === 0 && !Object.values(python).some(Boolean) &&
    !packages.differ && packages.added.length + packages.removed.length === 0 &&
    !Object.values(gpu).some(Boolean) && container === null &&
    vars.added.length + vars.removed.length + vars.changed.length === 0;
  return { same, missing, python, packages, gpu, container, vars };
}

function shown(v: string | null): string {
  return v === null ? "(none)" : printable(v);
}

/**
 * The diff as text lines (no trailing newlines), `A`/`B` being how the runs are named;
 * empty when the environments are the same.
 *
 * @example
 * renderEnvironmentDiff(d, "k3x9q0ab", "m2p7r1zz");
 * // ["python: 3.11.7 -> 3.12.1", "packages: 1 added, 0 removed, 1 changed", "  + numpy 2.0.0", ...]
 */
export function renderEnvironmentDiff(d: EnvironmentDiff, a = "A", b = "B"): string[] {
  if (d.same) return [];
  const lines: string[] = [];
  for (const side of d.missing) {
    lines.push(`environment: not recorded for ${printable(side === "a" ? a : b)}`);
  }
  const pair = (label: string, c: Change | null) => {
    if (c) lines.push(`${label}: ${shown(c.from)} -> ${shown(c.to)}`);
  };
  pair("python", d.python.version);
  pair("python kind", d.python.kind);
  pair("python interpreter", d.python.executable);
  const p = d.packages;
  if (p.differ || p.added.length + p.removed.length + p.changed.length > 0) {
    lines.push(
      `packages: ${p.added.length} added, ${p.removed.length} removed, ${p.changed.length} changed`,
    );
    for (const x of p.added) lines.push(`  + ${printable(x.name)} ${shown(x.to)}`);
    for (const x of p.removed) lines.push(`  - ${printable(x.name)} ${shown(x.from)}`);
    for (const x of p.changed) {
      lines.push(`  ~ ${printable(x.name)} ${shown(x.from)} -> ${shown(x.to)}`);
    }
  }
  pair("gpu driver", d.gpu.driver);
  pair("gpus", d.gpu.models);
  pair("CUDA_VISIBLE_DEVICES", d.gpu.cuda_visible_devices);
  pair("container", d.container);
  const v = d.vars;
  for (const x of v.added) lines.push(`variable ${printable(x.name)}: (unset) -> ${shown(x.to)}`);
  for (const x of v.removed) {
    lines.push(`variable ${printable(x.name)}: ${shown(x.from)} -> (unset)`);
  }
  for (const x of v.changed) {
    lines.push(`variable ${printable(x.name)}: ${shown(x.from)} -> ${shown(x.to)}`);
  }
  return lines;
}
