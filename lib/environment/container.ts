/**
 * Is the run inside a container, and which: Docker (`/.dockerenv`), Podman
 * (`/run/.containerenv`, which may name the image), Apptainer/Singularity
 * (`APPTAINER_CONTAINER`/`SINGULARITY_CONTAINER`: the image), Kubernetes
 * (`KUBERNETES_SERVICE_HOST`), the `container` variable systemd and others set, and the
 * cgroup path of this process. Roots are parameters, so tests use fake ones.
 */
import type { ContainerFacts, ContainerRuntime } from "./facts.ts";
import { isMissing, type Reader, why } from "./reader.ts";
import { clipped } from "../errors.ts";
import { join } from "../util/paths.ts";

/** Runtimes named by cgroup paths (`/proc/self/cgroup`), first match per line. */
const CGROUP_HINTS: [RegExp, ContainerRuntime][] = [
  [/kubepods/, "kubernetes"],
  [/\/docker[/-]/, "docker"],
  [/libpod/, "podman"],
  [/containerd/, "containerd"],
  [/\/lxc[/.]/, "lxc"],
];

/** Values of the `container` variable (systemd's convention) and what they mean. */
const CONTAINER_VAR: Record<string, ContainerRuntime> = {
  docker: "docker",
  podman: "podman",
  oci: "podman",
  lxc: "lxc",
  "lxc-libvirt": "lxc",
  "systemd-nspawn": "systemd-nspawn",
};

/** A value the record keeps: printable, clipped. */
function safe(value: string): string | null {
  const v = value.trim();
  // deno-lint-ignore no-control-regex
  return v !== "" && !/[\x00-\x1f\x7f]/.test(v) ? clipped(v, 500) : null;
}

/** The `image="..."` line of Podman's `/run/.containerenv`. */
export function containerenvImage(text: string): string | null {
  const m = /^image="(.*)"$/m.exec(text);
  return m ? safe(m[1]) : null;
}

/** Runtimes a `/proc/self/cgroup` text names. */
export function cgroupRuntimes(text: string): ContainerRuntime[] {
  const out: ContainerRuntime[] = [];
  for (const line of text.split("\n")) {
    for (const [re, runtime] of CGROUP_HINTS) {
      if (re.test(line) && !out.includes(runtime)) out.push(runtime);
    }
  }
  return out;
}

/** Container facts of this process. `root` is `/`, `proc` is `/proc`. Never throws. */
export async function captureContainer(
  root: string,
  proc: string,
  env: Record<string, string>,
  reader: Reader,
): Promise<ContainerFacts> {
  const runtimes: ContainerRuntime[] = [];
  const evidence: string[] = [];
  const reasons: string[] = [];
  let image: string | null = null;
  const add = (r: ContainerRuntime, because: string) => {
    if (!runtimes.includes(r)) runtimes.push(r);
    evidence.push(because);
  };
  const dockerenv = join(root, ".dockerenv");
  const containerenv = join(root, "run", ".containerenv");
  const cgroup = join(proc, "self", "cgroup");
  const [hasDockerenv, podman, cgroupText] = await Promise.all([
    reader.exists(dockerenv).catch((err) => {
      reasons.push(`cannot check ${dockerenv}: ${why(err)}`);
      return false;
    }),
    reader.readText(containerenv, 64 * 1024).then((t) => t, (err) => {
      if (!isMissing(err)) reasons.push(`cannot read ${containerenv}: ${why(err)}`);
      // An unreadable file still says Podman made this container.
      return isMissing(err) ? null : "";
    }),
    reader.readText(cgroup, 64 * 1024).catch(() => ""),
  ]);
  const apptainer = env.APPTAINER_CONTAINER ?? env.APPTAINER_NAME;
  const singularity = env.SINGULARITY_CONTAINER ?? env.SINGULARITY_NAME;
  if (apptainer !== undefined) {
    add(
      "apptainer",
      env.APPTAINER_CONTAINER !== undefined ? "APPTAINER_CONTAINER" : "APPTAINER_NAME",
    );
    image = safe(apptainer);
  } else if (singularity !== undefined) {
    add(
      "singularity",
      env.SINGULARITY_CONTAINER !== undefined ? "SINGULARITY_CONTAINER" : "SINGULARITY_NAME",
    );
    image = safe(singularity);
  }
  if (podman !== null) {
    add("podman", containerenv);
    image ??= containerenvImage(podman);
  }
  if (hasDockerenv) add("docker", dockerenv);
  const declared = env.container !== undefined ? CONTAINER_VAR[env.container] : undefined;
  if (declared) add(declared, `container=${env.container}`);
  if (env.KUBERNETES_SERVICE_HOST !== undefined) add("kubernetes", "KUBERNETES_SERVICE_HOST");
  for (const r of cgroupRuntimes(cgroupText)) add(r, `${cgroup}: ${r}`);
  return {
    inside: runtimes.length > 0,
    runtimes,
    image,
    evidence,
    reason: reasons.length > 0 ? reasons.join("; ") : null,
  };
}
