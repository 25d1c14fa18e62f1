/** A complete `environment` section to build test records from. */
import type { EnvironmentFacts } from "../lib/environment/facts.ts";

/** A venv run on two A100s in Apptainer, with `over` replacing whole parts. */
export function envFacts(over: Partial<EnvironmentFacts> = {}): EnvironmentFacts {
  return {
    python: {
      executable: "/p/.venv/bin/python",
      real_path: "/usr/bin/python3.11",
      found_by: "VIRTUAL_ENV",
      via: [],
      version: "3.11.7",
      version_from: "pyvenv.cfg",
      kind: "venv",
      prefix: "/p/.venv",
      base_prefix: "/usr",
      site_packages: ["/p/.venv/lib/python3.11/site-packages"],
      reason: null,
    },
    packages: {
      count: 3,
      sha256: "a".repeat(64),
      list: [
        { name: "numpy", version: "1.26.4" },
        { name: "torch", version: "2.1.0+cu118" },
        { name: "mylib", version: "0.1", editable: true, url: "file:///p" },
      ],
      sites: [],
      sources: "hinted",
      invalid: [],
      invalid_count: 0,
      reason: null,
    },
    gpu: {
      driver: "535.104.05",
      devices: [
        { model: "NVIDIA A100-SXM4-80GB", bus: "0000:07:00.0", uuid: null, minor: 0 },
        { model: "NVIDIA A100-SXM4-80GB", bus: "0000:87:00.0", uuid: null, minor: 1 },
      ],
      cuda_visible_devices: "0,1",
      reason: null,
    },
    container: {
      inside: true,
      runtimes: ["apptainer"],
      image: "/i/t.sif",
      evidence: [],
      reason: null,
    },
    vars: { values: { CUDA_VISIBLE_DEVICES: "0,1", OMP_NUM_THREADS: "8" }, withheld: [] },
    ...over,
  };
}
