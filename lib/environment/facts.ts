/**
 * The shape of a run record's `environment` section: the interpreter, its installed
 * distributions, NVIDIA GPUs, the container and an allowlist of variables. Types only.
 * Every part carries a `reason` instead of failing the run: what could not be read, and why.
 */

/** How the interpreter was found. */
export type PythonFoundBy =
  /** `exec`: the command itself is a python (`python train.py`). */
  | "command"
  /** `exec`: the command is a script whose `#!` names the interpreter (`torchrun`). */
  | "shebang"
  /** `exec`: a later word of the command is a python (`srun python train.py`). */
  | "argv"
  | "VIRTUAL_ENV"
  | "CONDA_PREFIX"
  /** `python3` (then `python`) on PATH. */
  | "PATH";

/** What kind of installation the interpreter belongs to. */
export type PythonKind = "venv" | "uv" | "conda" | "pyenv" | "system";

/** Where `python.version` was read. */
export type VersionSource =
  | "pyvenv.cfg"
  | "conda-meta"
  | "patchlevel.h"
  | "pyenv version directory"
  | "binary name"
  | "stdlib directory";

/** `environment.python`. */
export interface PythonFacts {
  /** The interpreter as it would be run (symlinks not resolved), or null when none was found. */
  executable: string | null;
  /** `executable` with every symlink resolved. */
  real_path: string | null;
  found_by: PythonFoundBy | null;
  /** Scripts followed to reach the interpreter: entry points (`torchrun`), pyenv shims. */
  via: string[];
  /** `3.11.7`, or `3.11` when only the minor version can be read without running it. */
  version: string | null;
  version_from: VersionSource | null;
  kind: PythonKind | null;
  /** The environment's directory (`sys.prefix`). */
  prefix: string | null;
  /** venv/uv: the installation it was made from (`home` of pyvenv.cfg, one level up). */
  base_prefix: string | null;
  /** The directories whose distributions are listed, in import order. */
  site_packages: string[];
  /** Why something is missing (null: nothing is). */
  reason: string | null;
}

/** One installed distribution. */
export interface PackageFact {
  /** The name normalised as PEP 503 says: lowercase, runs of `-_.` become `-`. */
  name: string;
  /** The version as written in the directory name (or PKG-INFO). */
  version: string;
  /** Installed in development mode (`pip install -e`). */
  editable?: true;
  /** Where it was installed from (direct_url.json, credentials removed). */
  url?: string;
  /** The version control system of a VCS install (`git`). */
  vcs?: string;
  /** The commit a VCS install was made from. */
  commit?: string;
}

/** A site-packages entry that looks like a distribution but cannot be read as one. */
export interface InvalidEntry {
  /** The directory entry's name (JSON keeps control characters escaped; clipped). */
  entry: string;
  site: string;
  reason: string;
}

/** One site-packages directory that was listed. */
export interface SiteFacts {
  path: string;
  /** Distributions listed from it (after shadowing by earlier directories). */
  count: number;
  reason: string | null;
}

/** `environment.packages`. */
export interface PackagesFacts {
  count: number;
  /**
   * sha256 (hex) of the sorted `name==version` lines, each ending in `\n` (UTF-8); the same as
   * `jq -r '.environment.packages.list[] | "\(.name)==\(.version)"' | LC_ALL=C sort | sha256sum`.
   */
  sha256: string;
  list: PackageFact[];
  sites: SiteFacts[];
  /** `direct_url.json` read for: `hinted` (editable installs the listing shows) or `all`. */
  sources: "hinted" | "all";
  invalid: InvalidEntry[];
  /** How many invalid entries there were (the list keeps the first 50). */
  invalid_count: number;
  reason: string | null;
}

/** One NVIDIA GPU as the driver lists it. */
export interface GpuDevice {
  model: string | null;
  /** PCI bus location (`0000:07:00.0`). */
  bus: string;
  uuid: string | null;
  /** `/dev/nvidia<minor>`. */
  minor: number | null;
}

/** `environment.gpu`. */
export interface GpuFacts {
  /** NVIDIA kernel module version, null without an NVIDIA driver. */
  driver: string | null;
  devices: GpuDevice[];
  /** The variable as set (null: unset). */
  cuda_visible_devices: string | null;
  reason: string | null;
}

/** A container runtime runprov can recognise. */
export type ContainerRuntime =
  | "docker"
  | "podman"
  | "apptainer"
  | "singularity"
  | "kubernetes"
  | "containerd"
  | "lxc"
  | "systemd-nspawn";

/** `environment.container`. */
export interface ContainerFacts {
  inside: boolean;
  runtimes: ContainerRuntime[];
  /** The image, where the environment names it (Apptainer/Singularity, Podman). */
  image: string | null;
  /** What each runtime was recognised by (`/.dockerenv`, `KUBERNETES_SERVICE_HOST`, ...). */
  evidence: string[];
  reason: string | null;
}

/** `environment.vars`. */
export interface VarsFacts {
  /** Allowlisted variables that are set, by name. */
  values: Record<string, string>;
  /** Names the allowlist matched but a secret pattern withheld (values never recorded). */
  withheld: string[];
}

/** The `environment` section of a run record; a part switched off in the config is null. */
export interface EnvironmentFacts {
  python: PythonFacts | null;
  packages: PackagesFacts | null;
  gpu: GpuFacts | null;
  container: ContainerFacts | null;
  vars: VarsFacts | null;
}

/** Config `environment` (runprov.jsonc). */
export interface EnvironmentSettings {
  capture: boolean;
  python: boolean;
  packages: boolean;
  gpu: boolean;
  container: boolean;
  /** Globs of variable names to record. */
  vars: string[];
}
