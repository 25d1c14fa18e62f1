/**
 * Environment capture, piece by piece: dist-info/egg-info names as the packaging specs
 * read them, hostile names kept as data, shebangs and launchers, pyvenv.cfg and python
 * versions, the package digest (checked against sha256sum), GPUs from a fake /proc root,
 * containers from fake roots, the variable allowlist against the secret denylist, and the
 * diff and summary of two records' environments.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import {
  completeSources,
  editableHints,
  listPackages,
  metadataHeader,
  normalizeName,
  packagesDigest,
  parseDirectUrl,
  parseDistEntry,
} from "../lib/environment/distributions.ts";
import {
  isPythonName,
  parseShebang,
  pyenvShimRoot,
  resolveInterpreter,
  shLauncherTarget,
} from "../lib/environment/interpreter.ts";
import { parsePyvenvCfg, pythonVersion } from "../lib/environment/python.ts";
import { captureGpu, driverVersion, parseInformation } from "../lib/environment/gpu.ts";
import {
  captureContainer,
  cgroupRuntimes,
  containerenvImage,
} from "../lib/environment/container.ts";
import { captureVars, isSecretName, nameGlob } from "../lib/environment/vars.ts";
import { containerSuffix, environmentLines, printable } from "../lib/environment/summary.ts";
import { captureEnvironment, reconcileEnvironment } from "../lib/environment/capture.ts";
import { denoReader, type Entry, type Reader } from "../lib/environment/reader.ts";
import type { PackageFact } from "../lib/environment/facts.ts";
import { envFacts } from "./environment_fixtures.ts";
import { defaultConfig } from "../lib/config/config.ts";
import { run } from "./helpers.ts";

Deno.test("environment: dist-info and egg-info names are read as the packaging specs say", () => {
  assertEquals(parseDistEntry("PyYAML-6.0.dist-info"), {
    kind: "dist-info",
    name: "pyyaml",
    version: "6.0",
  });
  assertEquals(parseDistEntry("torch-2.1.0+cu118.dist-info"), {
    kind: "dist-info",
    name: "torch",
    version: "2.1.0+cu118",
  });
  assertEquals(parseDistEntry("zope.interface-6.1.dist-info")?.kind, "dist-info");
  assertEquals(parseDistEntry("lazr.restfulclient-0.14.5.egg-info"), {
    kind: "egg-info",
    name: "lazr-restfulclient",
    version: "0.14.5",
  });
  assertEquals(parseDistEntry("pycairo-1.20.1-py3.11-linux-x86_64.egg-info"), {
    kind: "egg-info",
    name: "pycairo",
    version: "1.20.1",
  });
  assertEquals(parseDistEntry("cryptography.egg-info"), {
    kind: "egg-info",
    name: "cryptography",
    version: null,
  });
  assertEquals(parseDistEntry("numpy"), null);
  assertEquals(parseDistEntry("distutils-precedence.pth"), null);
  assertEquals(normalizeName("Typing__Extensions"), "typing-extensions");
  assertEquals(normalizeName("Zope.Interface"), "zope-interface");
  assertEquals(normalizeName("a-_.b"), "a-b");
});

Deno.test("environment: hostile entry names are invalid entries, never packages", () => {
  for (
    const name of [
      "evil\nname-1.0.dist-info",
      "$(touch pwned)-1.0.dist-info",
      "`id`-1.0.dist-info",
      "ok-1.0\n$(reboot).dist-info",
      "ok-1.0;rm -rf ~.dist-info",
      "noversion.dist-info",
      "-1.0.dist-info",
      "\x1b[31mred-1.0.dist-info",
    ]
  ) {
    assertEquals(parseDistEntry(name)?.kind, "invalid", JSON.stringify(name));
  }
});

/** A reader over an in-memory tree: `files` maps paths to text, directories are implied. */
function fakeReader(files: Record<string, string>, broken: Record<string, Error> = {}): Reader {
  const dirs = new Map<string, Map<string, Entry>>();
  for (const path of Object.keys(files)) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/") || "/";
      const name = parts[i];
      const isDir = i < parts.length - 1;
      const m = dirs.get(dir) ?? new Map();
      if (name !== "" && !m.has(name)) {
        m.set(name, { name, isDirectory: isDir, isFile: !isDir, isSymlink: false });
      }
      dirs.set(dir, m);
    }
  }
  const check = (p: string) => {
    if (broken[p]) throw broken[p];
  };
  const notFound = () => new Deno.errors.NotFound("no such file");
  return {
    readDir(p) {
      check(p);
      const m = dirs.get(p);
      return m ? Promise.resolve([...m.values()]) : Promise.reject(notFound());
    },
    readText(p, max) {
      check(p);
      return p in files
        ? Promise.resolve(max === undefined ? files[p] : files[p].slice(0, max))
        : Promise.reject(notFound());
    },
    readHead(p, max) {
      check(p);
      return p in files
        ? Promise.resolve(new TextEncoder().encode(files[p]).slice(0, max))
        : Promise.reject(notFound());
    },
    stat(p) {
      check(p);
      if (p in files) return Promise.resolve({ isFile: true, isDirectory: false, mode: 0o755 });
      if (dirs.has(p)) return Promise.resolve({ isFile: false, isDirectory: true, mode: 0o755 });
      return Promise.resolve(null);
    },
    exists(p) {
      check(p);
      return Promise.resolve(p in files || dirs.has(p));
    },
    realPath(p) {
      check(p);
      return p in files || dirs.has(p) ? Promise.resolve(p) : Promise.reject(notFound());
    },
    readLink: () => Promise.reject(new Error("not a symlink")),
  };
}

Deno.test("environment: a site-packages with hostile names lists them as data, the rest as packages", async () => {
  const site = "/env/lib/python3.11/site-packages";
  const long = "x".repeat(10_000);
  const reader = fakeReader({
    [`${site}/numpy-1.26.4.dist-info/METADATA`]: "",
    [`${site}/$(touch pwned)-1.0.dist-info/METADATA`]: "",
    [`${site}/evil\nname-1.0.dist-info/METADATA`]: "",
    [`${site}/${long}-1.0.dist-info/METADATA`]: "",
    [`${site}/bad-1.0\`id\`.dist-info/METADATA`]: "",
  });
  const facts = await listPackages([site], reader);
  assertEquals(facts.list.map((p) => p.name).sort(), ["numpy", long].sort());
  assertEquals(facts.count, 2);
  assertEquals(facts.invalid_count, 3);
  assertEquals(facts.invalid.map((i) => i.reason).sort(), [
    "not a valid distribution name",
    "not a valid distribution name",
    "not a valid version",
  ]);
  // Kept as data: JSON escapes the newline, and nothing is cut short silently.
  const json = JSON.stringify(facts);
  assert(json.includes("evil\\nname-1.0.dist-info"));
  assert(json.includes("$(touch pwned)"));
  assertEquals(facts.reason, null);
  const longInvalid = await listPackages(
    [site],
    fakeReader({
      [`${site}/${long}\n-1.0.dist-info/METADATA`]: "",
    }),
  );
  assertMatch(longInvalid.invalid[0].entry, /\.\.\. \(10015 characters\)$/);
});

Deno.test("environment: the digest is sha256 of the sorted name==version lines, as sha256sum says", async (t) => {
  const list: PackageFact[] = [
    { name: "torch", version: "2.1.0+cu118" },
    { name: "numpy", version: "1.26.4" },
    { name: "pip", version: "23.0.1" },
    { name: "a-b", version: "1!2.0" },
  ];
  const digest = await packagesDigest(list);
  assertMatch(digest, /^[0-9a-f]{64}$/);
  assertEquals(await packagesDigest([...list].reverse()), digest, "order does not matter");
  assertEquals(
    await packagesDigest([]),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  const sum = await run("sh", ["-c", "LC_ALL=C sort | sha256sum"], {
    stdin: list.map((p) => `${p.name}==${p.version}\n`).join(""),
  }).catch(() => null);
  if (sum === null || sum.code !== 0) {
    await t.step({ name: "sha256sum agrees (sha256sum not available)", ignore: true, fn() {} });
    return;
  }
  assertEquals(sum.stdout.split(" ")[0], digest);
});

Deno.test("environment: direct_url.json gives editable installs and VCS commits, without credentials", () => {
  assertEquals(
    parseDirectUrl('{"dir_info": {"editable": true}, "url": "file:///home/me/proj"}'),
    { url: "file:///home/me/proj", editable: true },
  );
  assertEquals(
    parseDirectUrl(
      '{"url": "https://user:ghp_secret@github.com/o/r.git", "vcs_info": {"vcs": "git", ' +
        '"commit_id": "0123456789abcdef0123456789abcdef01234567", "requested_revision": "main"}}',
    ),
    {
      url: "https://github.com/o/r.git",
      vcs: "git",
      commit: "0123456789abcdef0123456789abcdef01234567",
    },
  );
  assertEquals(parseDirectUrl("not json"), null);
  assertEquals(parseDirectUrl('{"vcs_info": {}}'), null);
  assertEquals(parseDirectUrl('{"url": "x", "vcs_info": {"vcs": "$(id)", "commit_id": "a\\nb"}}'), {
    url: "x",
  });
  assertEquals(
    [...editableHints([
      "__editable__.Tiny_Proj-0.3.1.pth",
      "_hatch_pkg.pth",
      "flitpkg.pth",
      "distutils-precedence.pth",
      "numpy",
    ])].sort(),
    ["distutils", "flitpkg", "hatch-pkg", "tiny-proj"],
  );
  assertEquals(
    metadataHeader("Metadata-Version: 2.1\nName: x\nVersion: 1.2\n\nVersion: 9", "Version"),
    "1.2",
  );
});

Deno.test("environment: editable installs are found from the listing; VCS sources when every source is read", async () => {
  const site = "/v/lib/python3.11/site-packages";
  const reader = fakeReader({
    [`${site}/__editable__.Tiny_Proj-0.3.1.pth`]: "",
    [`${site}/Tiny_Proj-0.3.1.dist-info/direct_url.json`]:
      '{"dir_info": {"editable": true}, "url": "file:///src/tiny"}',
    [`${site}/vcspkg-0.1.dist-info/direct_url.json`]:
      '{"url": "https://github.com/o/vcspkg.git", "vcs_info": {"vcs": "git", "commit_id": "feedbeef"}}',
    [`${site}/numpy-1.26.4.dist-info/METADATA`]: "",
  });
  const hinted = await listPackages([site], reader);
  assertEquals(hinted.sources, "hinted");
  assertEquals(hinted.list, [
    { name: "numpy", version: "1.26.4" },
    { name: "tiny-proj", version: "0.3.1", url: "file:///src/tiny", editable: true },
    { name: "vcspkg", version: "0.1" },
  ]);
  const all = await completeSources(hinted, reader);
  assertEquals(all.sources, "all");
  assertEquals(all.list[2], {
    name: "vcspkg",
    version: "0.1",
    url: "https://github.com/o/vcspkg.git",
    vcs: "git",
    commit: "feedbeef",
  });
  assertEquals(all.sha256, hinted.sha256, "sources do not change the digest");
  assertEquals(
    hinted.list[2],
    { name: "vcspkg", version: "0.1" },
    "the hinted facts are left alone",
  );
  assertEquals(await listPackages([site], reader, "all"), all);
});

Deno.test("environment: shebangs, env lookups and pip's /bin/sh launcher name the interpreter", () => {
  assertEquals(parseShebang("#!/opt/venv/bin/python3.11\n# -*- coding: utf-8 -*-"), {
    path: "/opt/venv/bin/python3.11",
    lookup: null,
  });
  assertEquals(parseShebang("#!/usr/bin/env python3\n"), { path: null, lookup: "python3" });
  assertEquals(parseShebang("#!/usr/bin/env -S PYTHONUNBUFFERED=1 python3 -u\n"), {
    path: null,
    lookup: "python3",
  });
  assertEquals(parseShebang("#!/bin/bash\r\n"), { path: "/bin/bash", lookup: null });
  assertEquals(parseShebang("\x7fELF\x02\x01"), null);
  const launcher =
    `#!/bin/sh\n'''exec' "/very long/path/bin/python" "$0" "$@"\n' '''\n# -*- coding: utf-8 -*-\n`;
  assertEquals(shLauncherTarget(launcher), "/very long/path/bin/python");
  const shim =
    `#!/usr/bin/env bash\nset -e\nprogram="\${0##*/}"\n\nexport PYENV_ROOT="/root/.pyenv"\n` +
    `exec "/root/.pyenv/libexec/pyenv" exec "$program" "$@"\n`;
  assertEquals(pyenvShimRoot(shim), "/root/.pyenv");
  assertEquals(pyenvShimRoot('#!/bin/sh\nexec python3 "$@"\n'), null);
  for (const n of ["python", "python3", "python3.11", "python3.13t", "python.exe"]) {
    assert(isPythonName(n), n);
  }
  for (const n of ["pythonista", "ipython", "python-config", "python3.11-config"]) {
    assert(!isPythonName(n), n);
  }
});

Deno.test("environment: exec's interpreter comes from the command, its shebang, a later word, or PATH", async () => {
  const files = {
    "/venv/bin/python": "\x7fELF",
    "/venv/bin/torchrun": "#!/venv/bin/python\nimport sys\n",
    "/venv/bin/accelerate": "#!/usr/bin/env python\n",
    "/venv/bin/deepspeed": "#!/bin/sh\n'''exec' \"/venv/bin/python\" \"$0\" \"$@\"\n' '''\n",
    "/usr/bin/srun": "\x7fELF",
    "/usr/bin/bash": "\x7fELF",
    "/usr/bin/python3": "\x7fELF",
  };
  const reader = fakeReader(files);
  const env = { PATH: "/venv/bin:/usr/bin" };
  const resolved = async (command?: string[]) => {
    const r = await resolveInterpreter({ command, env, cwd: "/work" }, reader);
    return [r.executable, r.found_by, r.via];
  };
  assertEquals(await resolved(["python", "train.py"]), ["/venv/bin/python", "command", []]);
  assertEquals(await resolved(["torchrun", "--nproc_per_node=8", "train.py"]), [
    "/venv/bin/python",
    "shebang",
    ["/venv/bin/torchrun"],
  ]);
  assertEquals(await resolved(["accelerate", "launch", "t.py"]), [
    "/venv/bin/python",
    "shebang",
    ["/venv/bin/accelerate"],
  ]);
  assertEquals(await resolved(["deepspeed", "t.py"]), [
    "/venv/bin/python",
    "shebang",
    ["/venv/bin/deepspeed"],
  ]);
  assertEquals(await resolved(["srun", "-n", "4", "python3", "t.py"]), [
    "/usr/bin/python3",
    "argv",
    [],
  ]);
  assertEquals(await resolved(["bash", "run.sh"]), ["/usr/bin/python3", "PATH", []]);
  assertEquals(await resolved(), ["/usr/bin/python3", "PATH", []]);
  const none = await resolveInterpreter({ env: { PATH: "/nowhere" }, cwd: "/" }, reader);
  assertEquals(none.executable, null);
  assertMatch(none.reason!, /no python interpreter found/);
});

Deno.test("environment: pyenv shims lead to the version pyenv itself would pick", async () => {
  const shim = (root: string) =>
    `#!/usr/bin/env bash\nexport PYENV_ROOT="${root}"\nexec "${root}/libexec/pyenv" exec "$program" "$@"\n`;
  const files = {
    "/pe/shims/python3": shim("/pe"),
    "/pe/version": "3.11.7\n",
    "/pe/versions/3.11.7/bin/python3": "\x7fELF",
    "/pe/versions/3.12.1/bin/python3": "\x7fELF",
    "/pe/versions/3.12.4/bin/python3": "\x7fELF",
    "/proj/.python-version": "# pinned\n3.12\n",
    "/usr/bin/python3": "\x7fELF",
  };
  const reader = fakeReader(files);
  const env = { PATH: "/pe/shims:/usr/bin" };
  const at = async (cwd: string, extra: Record<string, string> = {}) =>
    (await resolveInterpreter({ env: { ...env, ...extra }, cwd }, reader)).executable;
  assertEquals(await at("/"), "/pe/versions/3.11.7/bin/python3");
  assertEquals(
    await at("/proj/sub"),
    "/pe/versions/3.12.4/bin/python3",
    ".python-version, newest 3.12",
  );
  assertEquals(await at("/", { PYENV_VERSION: "3.12.1" }), "/pe/versions/3.12.1/bin/python3");
  assertEquals(await at("/", { PYENV_VERSION: "system" }), "/usr/bin/python3");
  const missing = await resolveInterpreter(
    { env: { ...env, PYENV_VERSION: "3.9.1" }, cwd: "/" },
    reader,
  );
  assertEquals([missing.executable, missing.via], [null, ["/pe/shims/python3"]]);
  assertMatch(missing.reason!, /pyenv version "3\.9\.1" \(PYENV_VERSION\) is not installed/);
});

Deno.test("environment: pyvenv.cfg and python versions; a hostile version is no version", () => {
  const cfg = parsePyvenvCfg(
    "home = /usr/bin\nInclude-System-Site-Packages = false\nversion = 3.11.2\nuv = 0.4.1\n",
  );
  assertEquals(cfg.get("include-system-site-packages"), "false");
  assertEquals(cfg.get("uv"), "0.4.1");
  assertEquals(pythonVersion("3.11.2"), "3.11.2");
  assertEquals(pythonVersion("3.11.7.final.0"), "3.11.7");
  assertEquals(pythonVersion("3.13.0.candidate.1"), "3.13.0rc1");
  assertEquals(pythonVersion("3.12.0a7+"), "3.12.0a7+");
  assertEquals(pythonVersion("3.11$(touch pwned)"), null);
  assertEquals(pythonVersion("3.11\n"), "3.11");
  assertEquals(pythonVersion("3"), null);
});

const VERSION_FILE =
  "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n" +
  "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";

function information(model: string, bus: string, minor: number): string {
  return `Model: \t\t ${model}\nIRQ:   \t\t 35\nGPU UUID: \t GPU-${minor}a2b3c4d-0000\n` +
    `Video BIOS: \t 92.00.36.00.01\nBus Type: \t PCIe\nBus Location: \t ${bus}\n` +
    `Device Minor: \t ${minor}\nGPU Excluded:\t No\n`;
}

Deno.test("environment: GPUs and the driver come from a fake /proc root, no nvidia-smi", async () => {
  assertEquals(driverVersion(VERSION_FILE), "535.104.05");
  assertEquals(
    driverVersion(
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  (dvs-builder@U16)  Thu Feb 22\n",
    ),
    "550.54.14",
  );
  assertEquals(
    parseInformation(information("NVIDIA A100", "0000:07:00.0", 0)).get("model"),
    "NVIDIA A100",
  );
  const proc = await Deno.makeTempDir({ prefix: "runprov-proc-" });
  try {
    const gpus = join(proc, "driver", "nvidia", "gpus");
    await Deno.mkdir(gpus, { recursive: true });
    await Deno.writeTextFile(join(proc, "driver", "nvidia", "version"), VERSION_FILE);
    for (const [bus, minor] of [["0000:87:00.0", 1], ["0000:07:00.0", 0]] as const) {
      await Deno.mkdir(join(gpus, bus));
      await Deno.writeTextFile(
        join(gpus, bus, "information"),
        information("NVIDIA A100-SXM4-80GB", bus, minor),
      );
    }
    const facts = await captureGpu(proc, { CUDA_VISIBLE_DEVICES: "1,0" }, denoReader);
    assertEquals(facts, {
      driver: "535.104.05",
      devices: [
        {
          model: "NVIDIA A100-SXM4-80GB",
          bus: "0000:07:00.0",
          uuid: "GPU-0a2b3c4d-0000",
          minor: 0,
        },
        {
          model: "NVIDIA A100-SXM4-80GB",
          bus: "0000:87:00.0",
          uuid: "GPU-1a2b3c4d-0000",
          minor: 1,
        },
      ],
      cuda_visible_devices: "1,0",
      reason: null,
    });
    // No driver loaded: empty, and nothing is wrong.
    assertEquals(await captureGpu(join(proc, "none"), {}, denoReader), {
      driver: null,
      devices: [],
      cuda_visible_devices: null,
      reason: null,
    });
    // A GPU whose information file is gone: the others stay, the reason says which.
    await Deno.remove(join(gpus, "0000:87:00.0", "information"));
    const partial = await captureGpu(proc, {}, denoReader);
    assertEquals(partial.devices.length, 1);
    assertMatch(partial.reason!, /0000:87:00\.0\/information/);
  } finally {
    await Deno.remove(proc, { recursive: true });
  }
});

Deno.test("environment: containers are recognised from marker files, variables and cgroups", async () => {
  assertEquals(cgroupRuntimes("12:pids:/kubepods/burstable/pod1/abc\n0::/docker/0123abcd\n"), [
    "kubernetes",
    "docker",
  ]);
  assertEquals(cgroupRuntimes("0::/\n"), []);
  assertEquals(
    containerenvImage('engine="podman-4.3.1"\nname="x"\nimage="docker.io/library/python:3.11"\n'),
    "docker.io/library/python:3.11",
  );
  const root = await Deno.makeTempDir({ prefix: "runprov-root-" });
  try {
    await Deno.mkdir(join(root, "proc", "self"), { recursive: true });
    await Deno.writeTextFile(join(root, "proc", "self", "cgroup"), "0::/\n");
    const bare = await captureContainer(root, join(root, "proc"), {}, denoReader);
    assertEquals(bare, { inside: false, runtimes: [], image: null, evidence: [], reason: null });
    const sif = await captureContainer(root, join(root, "proc"), {
      APPTAINER_CONTAINER: "/images/train.sif",
      SINGULARITY_CONTAINER: "/images/train.sif",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
    }, denoReader);
    assertEquals(sif.runtimes, ["apptainer", "kubernetes"]);
    assertEquals(sif.image, "/images/train.sif");
    // An image name with control characters is not recorded.
    const hostile = await captureContainer(root, join(root, "proc"), {
      SINGULARITY_CONTAINER: "/x.sif\n$(reboot)",
    }, denoReader);
    assertEquals([hostile.runtimes, hostile.image], [["singularity"], null]);
    await Deno.writeTextFile(join(root, ".dockerenv"), "");
    await Deno.mkdir(join(root, "run"));
    await Deno.writeTextFile(join(root, "run", ".containerenv"), 'image="quay.io/x/y:1"\n');
    const both = await captureContainer(root, join(root, "proc"), {}, denoReader);
    assertEquals([both.runtimes, both.image], [["podman", "docker"], "quay.io/x/y:1"]);
    assertEquals(both.evidence, [join(root, "run", ".containerenv"), join(root, ".dockerenv")]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("environment: allowlisted variables are recorded; secret names never, whatever the allowlist", () => {
  const env = {
    CUDA_VISIBLE_DEVICES: "0,1",
    NCCL_DEBUG: "INFO",
    NCCL_IB_HCA: "mlx5",
    NCCL_SECRET: "s",
    WANDB_API_KEY: "k",
    HF_TOKEN: "t",
    hf_token: "t",
    DB_PASSWORD: "p",
    HOME: "/h",
    MY_SEED: "7",
  };
  assertEquals(captureVars(env, defaultConfig().environment.vars), {
    values: { CUDA_VISIBLE_DEVICES: "0,1", NCCL_DEBUG: "INFO", NCCL_IB_HCA: "mlx5" },
    withheld: ["NCCL_SECRET"],
  });
  const everything = captureVars(env, ["*"]);
  assertEquals(Object.keys(everything.values), [
    "CUDA_VISIBLE_DEVICES",
    "HOME",
    "MY_SEED",
    "NCCL_DEBUG",
    "NCCL_IB_HCA",
  ]);
  assertEquals(everything.withheld, [
    "DB_PASSWORD",
    "HF_TOKEN",
    "NCCL_SECRET",
    "WANDB_API_KEY",
    "hf_token",
  ]);
  assertEquals(captureVars(env, ["HF_TOKEN", "MY_SEED"]).values, { MY_SEED: "7" });
  assert(nameGlob("NCCL_[!I]*").test("NCCL_DEBUG"));
  assert(!nameGlob("NCCL_[!I]*").test("NCCL_IB_HCA"));
  assert(!nameGlob("A.B").test("AxB"), "a dot is literal");
  assert(isSecretName("github_token") && isSecretName("AWS_SECRET_ACCESS_KEY"));
});

Deno.test("environment: show's summary answers which python, torch, driver and devices", () => {
  assertEquals(environmentLines(envFacts()), [
    ["python", "3.11.7 (venv /p/.venv/bin/python)"],
    ["packages", `3, sha256 ${"a".repeat(12)}`],
    ["torch", "2.1.0+cu118"],
    ["gpu", "2 x NVIDIA A100-SXM4-80GB, driver 535.104.05"],
    ["devices", "CUDA_VISIBLE_DEVICES=0,1"],
  ]);
  assertEquals(containerSuffix(envFacts()), " in apptainer (image /i/t.sif)");
  const noGpu = envFacts({
    gpu: { driver: null, devices: [], cuda_visible_devices: null, reason: null },
    container: { inside: false, runtimes: [], image: null, evidence: [], reason: null },
  });
  assertEquals(environmentLines(noGpu).slice(3), [
    ["gpu", "none (no NVIDIA driver)"],
    ["devices", "CUDA_VISIBLE_DEVICES unset"],
  ]);
  assertEquals(containerSuffix(noGpu), "");
  assertEquals(environmentLines(undefined), []);
  assertEquals(environmentLines(null), [[
    "env",
    "not captured (config environment.capture is false)",
  ]]);
  assertEquals(environmentLines({ python: { executable: "/x\n\x1b[2J" } }), [
    ["python", "version unknown (/x\\n\\u001b[2J)"],
  ]);
  assertEquals(printable("a\u2028b"), "a\\u2028b");
});

Deno.test("environment: switched-off parts are null; a settled capture drops and re-selects without reading", async () => {
  const settings = {
    ...defaultConfig().environment,
    gpu: false,
    container: false,
    vars: ["OMP_*"],
  };
  const env = { PATH: "/nowhere", OMP_NUM_THREADS: "4", NCCL_DEBUG: "INFO" };
  const facts = await captureEnvironment({ settings, env, cwd: "/", reader: fakeReader({}) });
  assertEquals([facts!.gpu, facts!.container], [null, null]);
  assertEquals(facts!.vars, { values: { OMP_NUM_THREADS: "4" }, withheld: [] });
  assertMatch(facts!.python!.reason!, /no python interpreter found/);
  assertEquals(facts!.packages!.count, 0);
  assertEquals(
    await captureEnvironment({ settings: { ...settings, capture: false }, env, cwd: "/" }),
    null,
  );
  const wanted = { ...settings, python: false, vars: ["NCCL_*"] };
  const settled = reconcileEnvironment(facts, settings, wanted, env);
  assertEquals(settled!.python, null);
  assertEquals(settled!.vars!.values, { NCCL_DEBUG: "INFO" });
  assertEquals(reconcileEnvironment(facts, settings, { ...settings, gpu: true }, env), undefined);
  assertEquals(reconcileEnvironment(facts, settings, { ...settings, capture: false }, env), null);
});
