/**
 * The few lines `runprov show ID` prints about a run's environment: python version and kind,
 * package count and digest, torch, GPUs and driver, CUDA_VISIBLE_DEVICES, container. Reads
 * records defensively (a record may be foreign, old or hand-edited). Pure.
 */

/** A value as one safe terminal line: control characters escaped as JSON would. */
export function printable(value: string, max = 200): string {
  // deno-lint-ignore no-control-regex
  const escaped = value.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    const j = JSON.stringify(c);
    return j.length > 3 ? j.slice(1, -1) : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return escaped.length <= max
    ? escaped
    : `${escaped.slice(0, max)}... (${value.length} characters)`;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Obj : null;
}

function text(v: unknown): string | null {
  return typeof v === "string" ? printable(v) : null;
}

/** The `python` line: `3.11.7 (venv /proj/.venv/bin/python)`. */
function pythonLine(py: Obj | null): string | null {
  if (py === null) return null;
  const exe = text(py.executable);
  if (exe === null) return `none found${py.reason ? ` (${text(py.reason)})` : ""}`;
  const version = text(py.version) ?? "version unknown";
  const kind = text(py.kind);
  return `${version} (${kind ? `${kind} ` : ""}${exe})`;
}

/** The torch distribution(s) of a package list, as `2.1.0+cu118`. */
function torchLine(pk: Obj | null): string | null {
  const list = Array.isArray(pk?.list) ? pk.list : [];
  const versions = list.map(obj).filter((p) => p?.name === "torch").map((p) => text(p!.version))
    .filter((v): v is string => v !== null);
  return versions.length > 0 ? versions.join(", ") : null;
}

function gpuLine(gpu: Obj | null): string | null {
  if (gpu === null) return null;
  const devices = (Array.isArray(gpu.devices) ? gpu.devices : []).map(obj).filter((d) =>
    d !== null
  );
  const driver = text(gpu.driver);
  if (devices.length === 0 && driver === null) {
    return gpu.reason ? `unknown (${text(gpu.reason)})` : "none (no NVIDIA driver)";
  }
  const models = new Map<string, number>();
  for (const d of devices) {
    const m = text(d!.model) ?? "unknown model";
    models.set(m, (models.get(m) ?? 0) + 1);
  }
  const parts = [...models].map(([m, n]) => `${n} x ${m}`);
  if (parts.length === 0) parts.push("no GPU listed");
  return `${parts.join(", ")}, driver ${driver ?? "unknown"}`;
}

/**
 * The summary lines (key, value) for a record's `environment`; none for a record without one.
 * `host` is the host line's value, which gains the container.
 *
 * @example
 * environmentLines(record.environment);
 * // [["python", "3.11.7 (venv /p/.venv/bin/python)"], ["packages", "143, sha256 5d41402abc4b"], ...]
 */
export function environmentLines(environment: unknown): [string, string][] {
  if (environment === undefined) return [];
  const env = obj(environment);
  if (env === null) return [["env", "not captured (config environment.capture is false)"]];
  const lines: [string, string][] = [];
  const py = pythonLine(obj(env.python));
  if (py !== null) lines.push(["python", py]);
  const pk = obj(env.packages);
  if (pk !== null) {
    const count = typeof pk.count === "number" ? pk.count : 0;
    const digest = typeof pk.sha256 === "string" && /^[0-9a-f]{64}$/.test(pk.sha256)
      ? `, sha256 ${pk.sha256.slice(0, 12)}`
      : "";
    const invalid = typeof pk.invalid_count === "number" && pk.invalid_count > 0
      ? `, ${pk.invalid_count} unreadable entr${pk.invalid_count === 1 ? "y" : "ies"}`
      : "";
    lines.push([
      "packages",
      `${count}${digest}${invalid}${pk.reason ? ` (${text(pk.reason)})` : ""}`,
    ]);
    const torch = torchLine(pk);
    if (torch !== null) lines.push(["torch", torch]);
  }
  const gpuObj = obj(env.gpu);
  const gpu = gpuLine(gpuObj);
  if (gpu !== null) lines.push(["gpu", gpu]);
  if (gpuObj !== null) {
    const cvd = gpuObj.cuda_visible_devices;
    lines.push([
      "devices",
      typeof cvd === "string"
        ? `CUDA_VISIBLE_DEVICES=${printable(cvd)}`
        : "CUDA_VISIBLE_DEVICES unset",
    ]);
  }
  return lines;
}

/** ` in docker, kubernetes (image /x.sif)` for the host line; "" outside containers. */
export function containerSuffix(environment: unknown): string {
  const c = obj(obj(environment)?.container);
  if (c === null || c.inside !== true) return "";
  const runtimes = (Array.isArray(c.runtimes) ? c.runtimes : []).map(text).filter((r) =>
    r !== null
  );
  const image = text(c.image);
  return ` in ${runtimes.join(", ") || "a container"}${image ? ` (image ${image})` : ""}`;
}
