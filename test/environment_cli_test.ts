/**
 * The record's `environment` section on real environments made in the test: a
 * `python3 -m venv` (compared with what Python's importlib.metadata itself sees), Debian's
 * system interpreter and dist-packages, a conda-like prefix, editable installs (PEP 660 and
 * `setup.py develop`), no python at all, exec's interpreter from its command, broken
 * environments (dangling interpreter, unreadable or looping site-packages, hostile dist-info
 * names reaching real shells), the config switches, and `show`.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, runprovArgv, Sandbox, withSandbox } from "./helpers.ts";

const PY = "/usr/bin/python3";

async function works(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await run(cmd, args)).code === 0;
  } catch {
    return false;
  }
}

/** A reason a test cannot run here (printed), or null when it can. */
function skip(reason: string | null, name: string): boolean {
  if (reason !== null) console.log(`ignored "${name}": ${reason}`);
  return reason !== null;
}

const hasVenv = await works(PY, ["-m", "venv", "--help"]);
const noVenv = hasVenv ? null : `${PY} -m venv is not available (install python3-venv)`;
const hasWheel = hasVenv && await works(PY, ["-c", "import wheel, setuptools"]);
const isDebian = await Deno.stat("/usr/lib/python3/dist-packages").then(() => true, () => false);
const isRoot = Deno.uid() === 0;

/** A venv made by `python3 -m venv` (with pip unless `bare`). */
async function makeVenv(dir: string, opts: { bare?: boolean; system?: boolean } = {}) {
  const args = ["-m", "venv", dir];
  if (opts.bare) args.push("--without-pip");
  if (opts.system) args.push("--system-site-packages");
  const r = await run(PY, args);
  if (r.code !== 0) throw new Error(`python3 -m venv failed: ${r.stderr}`);
  const site = join(dir, "lib", (await pythonSay(join(dir, "bin", "python"), "abi")).trim());
  return { dir, site: join(site, "site-packages"), python: join(dir, "bin", "python") };
}

const SAY: Record<string, string> = {
  abi: "import sys; print(f'python{sys.version_info[0]}.{sys.version_info[1]}')",
  version: "import platform; print(platform.python_version())",
  // Python's own view of the installed distributions: normalised name -> versions.
  dists: "import importlib.metadata as m, json, re, collections\n" +
    "d = collections.defaultdict(list)\n" +
    "for x in m.distributions():\n" +
    "    d[re.sub(r'[-_.]+', '-', x.metadata['Name']).lower()].append(x.version)\n" +
    "print(json.dumps(d))",
};

async function pythonSay(python: string, what: string, cwd?: string): Promise<string> {
  const r = await run(python, ["-c", SAY[what]], {
    cwd,
    env: { PATH: "/usr/bin:/bin", HOME: cwd ?? "/nonexistent" },
  });
  if (r.code !== 0) throw new Error(`${python} failed: ${r.stderr}`);
  return r.stdout;
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function stampEnv(sb: Sandbox, env: Record<string, string>, id: string): Promise<Json> {
  const r = await sb.runprov(["stamp", "--run-id", id], { env });
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).environment;
}

/** The record's packages as name -> [versions]. */
function listed(environment: Json): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of environment.packages.list) (out[p.name] ??= []).push(p.version);
  return out;
}

/** The env of a shell with the venv activated. */
function activated(sb: Sandbox, venv: string): Record<string, string> {
  return { VIRTUAL_ENV: venv, PATH: `${join(venv, "bin")}:${sb.env.PATH}` };
}

Deno.test({
  name: "environment: a python3 -m venv is recorded with its version and exactly what Python sees",
  ignore: skip(noVenv, "venv"),
  fn: () =>
    withSandbox(async (sb) => {
      const v = await makeVenv(join(sb.base, "venv"));
      const e = await stampEnv(sb, activated(sb, v.dir), "venv1");
      assertEquals(e.python.executable, join(v.dir, "bin", "python"));
      assertEquals(e.python.found_by, "VIRTUAL_ENV");
      assertEquals(e.python.kind, "venv");
      assertEquals(e.python.prefix, v.dir);
      assertEquals(e.python.version, (await pythonSay(v.python, "version")).trim());
      assertEquals(e.python.version_from, "pyvenv.cfg");
      assertEquals(e.python.site_packages, [v.site]);
      assertEquals(e.python.reason, null);
      const seen = JSON.parse(await pythonSay(v.python, "dists", sb.base));
      assertEquals(listed(e), seen);
      assert("pip" in seen && "setuptools" in seen, JSON.stringify(seen));
      assertEquals(e.packages.count, Object.keys(seen).length);
      assertEquals(e.packages.sources, "hinted");
      assertMatch(e.packages.sha256, /^[0-9a-f]{64}$/);
      // The digest is what its documentation says: sorted name==version lines, sha256.
      const lines = Object.entries(seen).map(([n, vs]) => `${n}==${(vs as string[])[0]}\n`);
      const sum = await run("sh", ["-c", "LC_ALL=C sort | sha256sum"], { stdin: lines.join("") });
      assertEquals(sum.stdout.split(" ")[0], e.packages.sha256);

      const show = await sb.runprov(["show", "venv1"]);
      assertEquals(show.code, 0, show.stderr);
      assertMatch(
        show.stdout,
        new RegExp(
          `\\npython   ${
            e.python.version.replaceAll(".", "\\.")
          } \\(venv ${v.dir}/bin/python\\)\\n`,
        ),
      );
      assertMatch(
        show.stdout,
        new RegExp(`\\npackages ${e.packages.count}, sha256 ${e.packages.sha256.slice(0, 12)}\\n`),
      );
      const json = await sb.json(["show", "venv1", "--json"]);
      assertEquals(json.environment, e);
    }),
});

Deno.test({
  name: "environment: Debian's system interpreter lists its dist-packages as Python does",
  ignore: skip(
    noVenv ?? (isDebian ? null : "no /usr/lib/python3/dist-packages (not a Debian-like system)"),
    "system python",
  ),
  fn: () =>
    withSandbox(async (sb) => {
      // Only the system's directories on PATH, as on a fresh node.
      const e = await stampEnv(sb, { PATH: "/usr/bin:/bin" }, "sys1");
      assertEquals(e.python.found_by, "PATH");
      assertEquals(e.python.executable, "/usr/bin/python3");
      assertEquals(e.python.real_path, await Deno.realPath("/usr/bin/python3"));
      assertEquals(e.python.kind, "system");
      assertEquals(e.python.prefix, "/usr");
      const version = (await pythonSay(PY, "version")).trim();
      if (e.python.version_from === "patchlevel.h") assertEquals(e.python.version, version);
      else assert(version.startsWith(`${e.python.version}.`), `${e.python.version} vs ${version}`);
      assert(e.python.site_packages.includes("/usr/lib/python3/dist-packages"));
      const seen: Record<string, string[]> = JSON.parse(await pythonSay(PY, "dists", sb.home));
      const mine = listed(e);
      assertEquals(Object.keys(mine).sort(), Object.keys(seen).sort());
      for (const [name, versions] of Object.entries(seen)) {
        // Python also lists leftovers (an egg-info beside the dist-info); runprov keeps one.
        if (versions.length === 1) assertEquals(mine[name], versions, name);
        else assert(versions.includes(mine[name][0]), name);
      }
    }),
});

Deno.test("environment: a conda prefix gives its python version from conda-meta and its packages", async () => {
  await withSandbox(async (sb) => {
    const prefix = join(sb.base, "conda", "envs", "train");
    await Deno.mkdir(join(prefix, "conda-meta"), { recursive: true });
    for (const f of ["python-3.10.14-h955ad1f_0.json", "python-dateutil-2.9.0-pyhd8ed1ab_0.json"]) {
      await Deno.writeTextFile(join(prefix, "conda-meta", f), "{}");
    }
    await Deno.mkdir(join(prefix, "bin"));
    await Deno.writeFile(
      join(prefix, "bin", "python3.10"),
      new Uint8Array([0x7f, 0x45, 0x4c, 0x46]),
    );
    await Deno.chmod(join(prefix, "bin", "python3.10"), 0o755);
    await Deno.symlink("python3.10", join(prefix, "bin", "python"));
    const site = join(prefix, "lib", "python3.10", "site-packages");
    for (
      const d of ["numpy-1.26.4.dist-info", "torch-2.1.0+cu118.dist-info", "PyYAML-6.0.1.dist-info"]
    ) {
      await Deno.mkdir(join(site, d), { recursive: true });
    }
    const e = await stampEnv(sb, { CONDA_PREFIX: prefix }, "conda1");
    assertEquals(
      [e.python.found_by, e.python.kind, e.python.version, e.python.version_from],
      ["CONDA_PREFIX", "conda", "3.10.14", "conda-meta"],
    );
    assertEquals(e.python.real_path, join(prefix, "bin", "python3.10"));
    assertEquals(e.python.site_packages, [site]);
    assertEquals(listed(e), { numpy: ["1.26.4"], pyyaml: ["6.0.1"], torch: ["2.1.0+cu118"] });
    const show = await sb.runprov(["show", "conda1"]);
    assertMatch(show.stdout, /\ntorch {4}2\.1\.0\+cu118\n/);
    assertMatch(
      show.stdout,
      new RegExp(`\\npython   3\\.10\\.14 \\(conda ${prefix}/bin/python\\)\\n`),
    );
  });
});

Deno.test({
  name:
    "environment: editable installs are marked, with their project (PEP 660 and setup.py develop)",
  ignore: skip(
    noVenv ?? (hasWheel ? null : "the system python has no wheel/setuptools to build offline"),
    "editable",
  ),
  fn: () =>
    withSandbox(async (sb) => {
      const proj = join(sb.base, "proj");
      await Deno.mkdir(join(proj, "tinyproj"), { recursive: true });
      await Deno.writeTextFile(
        join(proj, "pyproject.toml"),
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n' +
          '[project]\nname = "Tiny_Proj"\nversion = "0.3.1"\n',
      );
      await Deno.writeTextFile(join(proj, "tinyproj", "__init__.py"), "X = 1\n");
      const old = join(sb.base, "oldproj");
      await Deno.mkdir(join(old, "oldpkg"), { recursive: true });
      await Deno.writeTextFile(
        join(old, "setup.py"),
        'from setuptools import setup\nsetup(name="old.proj", version="1.2", packages=["oldpkg"])\n',
      );
      await Deno.writeTextFile(join(old, "oldpkg", "__init__.py"), "Y = 1\n");
      // --system-site-packages: the build needs the system's wheel (offline, no isolation).
      const v = await makeVenv(join(sb.base, "venv"), { system: true });
      const pip = (args: string[]) =>
        run(v.python, [
          "-m",
          "pip",
          "install",
          "-q",
          "--no-index",
          "--no-build-isolation",
          "--no-deps",
          ...args,
        ], {
          env: { PATH: "/usr/bin:/bin", HOME: sb.home },
        });
      const pep660 = await pip(["-e", proj]);
      assertEquals(pep660.code, 0, pep660.stderr);
      const legacy = await pip(["--no-use-pep517", "-e", old]);
      assertEquals(legacy.code, 0, legacy.stderr);
      const e = await stampEnv(sb, activated(sb, v.dir), "edit1");
      const byName = new Map(e.packages.list.map((p: Json) => [p.name, p]));
      assertEquals(byName.get("tiny-proj"), {
        name: "tiny-proj",
        version: "0.3.1",
        url: `file://${proj}`,
        editable: true,
      });
      assertEquals(byName.get("old-proj"), {
        name: "old-proj",
        version: "1.2",
        editable: true,
        url: `file://${old}`,
      });
      assertEquals(e.packages.invalid, []);
      // include-system-site-packages: the venv's site first, then the system's.
      assertEquals(e.python.site_packages[0], v.site);
      assert(e.python.site_packages.length > 1, JSON.stringify(e.python.site_packages));
      const seen = JSON.parse(await pythonSay(v.python, "dists", sb.base));
      assertEquals(Object.keys(listed(e)).sort(), Object.keys(seen).sort());
    }),
});

Deno.test("environment: without any python the run is recorded, with the reason", async () => {
  await withSandbox(async (sb) => {
    const bin = join(sb.base, "bin");
    await Deno.mkdir(bin);
    const git = (await run("sh", ["-c", "command -v git"], { env: sb.env })).stdout.trim();
    await Deno.symlink(git, join(bin, "git"));
    const r = await sb.runprov(["stamp", "--run-id", "nopy"], { env: { PATH: bin } });
    assertEquals(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout).environment;
    assertEquals(e.python.executable, null);
    assertMatch(e.python.reason, /no python interpreter found: .*no python3 or python on PATH/);
    assertEquals([e.packages.count, e.packages.list], [0, []]);
    assertMatch(e.packages.reason, /no python interpreter found/);
    const show = await sb.runprov(["show", "nopy"], { env: { PATH: bin } });
    assertMatch(show.stdout, /\npython {3}none found \(no python interpreter found: /);
  });
});

Deno.test({
  name:
    "environment: exec takes python from its command: python itself, an entry point, a launcher",
  ignore: skip(noVenv, "exec"),
  fn: () =>
    withSandbox(async (sb) => {
      const v = await makeVenv(join(sb.base, "venv"));
      const vbin = join(v.dir, "bin");
      // A VCS install (pip install git+...): only its direct_url.json says so.
      const vcs = join(v.site, "vcspkg-0.1.dist-info");
      await Deno.mkdir(vcs);
      await Deno.writeTextFile(
        join(vcs, "direct_url.json"),
        '{"url": "https://github.com/o/vcspkg.git", "vcs_info": {"vcs": "git", "commit_id": "feedbeef"}}',
      );
      const cases: [string, string[], string, string[]][] = [
        ["e1", [join(vbin, "pip"), "--version"], "shebang", [join(vbin, "pip")]],
        ["e2", [join(vbin, "python3"), "-c", "pass"], "command", []],
        ["e3", ["env", join(vbin, "python"), "-c", "pass"], "argv", []],
      ];
      for (const [id, command, by, via] of cases) {
        // PATH has no venv: the command alone decides.
        const r = await sb.runprov(["exec", "--run-id", id, "--", ...command]);
        assertEquals(r.code, 0, r.stderr);
        const rec = JSON.parse(
          await Deno.readTextFile(join(sb.dir, ".runprov", "runs", `${id}.json`)),
        );
        const py = rec.environment.python;
        assertEquals([py.found_by, py.via, py.kind, py.prefix], [by, via, "venv", v.dir], id);
        // Read while CMD ran: every distribution's source, in the final record.
        const pk = rec.environment.packages;
        assertEquals(pk.sources, "all");
        assertEquals(pk.list.find((p: Json) => p.name === "vcspkg").commit, "feedbeef");
      }
      // stamp and env do not wait for one read per distribution: editable installs only.
      const stamped = await stampEnv(sb, activated(sb, v.dir), "s1");
      assertEquals(stamped.packages.sources, "hinted");
      assertEquals(stamped.packages.list.find((p: Json) => p.name === "vcspkg"), {
        name: "vcspkg",
        version: "0.1",
      });
    }),
});

Deno.test("environment: capture starts no program: a python3 and nvidia-smi first on PATH are never run", async () => {
  await withSandbox(async (sb) => {
    const bin = join(sb.base, "trap");
    await Deno.mkdir(bin);
    const mark = join(sb.base, "ran");
    for (const name of ["python3", "python", "nvidia-smi", "pip", "conda"]) {
      await Deno.writeTextFile(join(bin, name), `#!/bin/sh\necho ${name} >> '${mark}'\n`);
      await Deno.chmod(join(bin, name), 0o755);
    }
    const env = { PATH: `${bin}:${sb.env.PATH}` };
    for (const args of [["env"], ["stamp"], ["exec", "--", "true"]]) {
      const r = await sb.runprov(args, { env });
      assertEquals(r.code, 0, r.stderr);
    }
    assertEquals(await Deno.readTextFile(mark).catch(() => null), null);
    const e = await stampEnv(sb, env, "trap1");
    assertEquals(e.python.executable, join(bin, "python3"));
    assertMatch(e.python.reason, /cannot tell the python version/);
  });
});

Deno.test({
  name:
    "environment: a dangling interpreter symlink is a reason; the venv's packages are still listed",
  ignore: skip(noVenv, "dangling"),
  fn: () =>
    withSandbox(async (sb) => {
      const v = await makeVenv(join(sb.base, "venv"), { bare: true });
      await Deno.mkdir(join(v.site, "numpy-1.26.4.dist-info"));
      for (const n of ["python", "python3"]) {
        await Deno.remove(join(v.dir, "bin", n));
        await Deno.symlink("/nonexistent/python3.11", join(v.dir, "bin", n));
      }
      const e = await stampEnv(sb, { VIRTUAL_ENV: v.dir }, "dangle");
      assertEquals(e.python.executable, join(v.dir, "bin", "python"));
      assertEquals(e.python.real_path, null);
      assertMatch(e.python.reason, /is a dangling symlink \(to \/nonexistent\/python3\.11\)/);
      assertEquals([e.python.kind, e.python.version_from], ["venv", "pyvenv.cfg"]);
      assertEquals(listed(e), { numpy: ["1.26.4"] });
    }),
});

Deno.test({
  name:
    "environment: a site-packages that cannot be read (a symlink loop) is a reason, the run goes on",
  ignore: skip(noVenv, "loop"),
  fn: () =>
    withSandbox(async (sb) => {
      const v = await makeVenv(join(sb.base, "venv"), { bare: true });
      await Deno.remove(v.site, { recursive: true });
      await Deno.symlink(v.site, v.site);
      const e = await stampEnv(sb, { VIRTUAL_ENV: v.dir }, "loop");
      assertMatch(e.python.reason, /cannot read .*site-packages: .*(symbolic links|loop)/i);
      assertEquals(e.packages.count, 0);
      assertMatch(e.packages.reason, /no site-packages directory found/);
    }),
});

Deno.test({
  name: "environment: an unreadable site-packages is a reason, the run goes on",
  ignore: skip(
    noVenv ?? (isRoot ? "running as root, who reads any directory" : null),
    "unreadable",
  ),
  fn: () =>
    withSandbox(async (sb) => {
      const v = await makeVenv(join(sb.base, "venv"), { bare: true });
      await Deno.chmod(v.site, 0o000);
      try {
        const e = await stampEnv(sb, { VIRTUAL_ENV: v.dir }, "unread");
        assertEquals(e.packages.sites, [{
          path: v.site,
          count: 0,
          reason: "cannot list: permission denied",
        }]);
        assertMatch(e.packages.reason, /permission denied/);
      } finally {
        await Deno.chmod(v.site, 0o755);
      }
    }),
});

Deno.test({
  name:
    "environment: hostile dist-info names and versions stay data: recorded escaped, never exported, never run",
  ignore: skip(noVenv, "hostile"),
  fn: () =>
    withSandbox(async (sb) => {
      const v = await makeVenv(join(sb.base, "venv"), { bare: true });
      const hostile = [
        "$(touch pwned)-1.0.dist-info",
        "`touch pwned2`-1.0.dist-info",
        "evil\nname-1.0.dist-info",
        "ok-1.0'$(touch pwned3)'.dist-info",
        "x".repeat(240) + "-1.0.dist-info",
      ];
      for (const d of [...hostile, "torch-2.1.0+cu118.dist-info"]) {
        await Deno.mkdir(join(v.site, d));
      }
      // A pyvenv.cfg whose version is a command: no version, a reason.
      const cfg = join(v.dir, "pyvenv.cfg");
      const text = await Deno.readTextFile(cfg);
      await Deno.writeTextFile(
        cfg,
        text.replace(/^version = .*$/m, "version = 3.11$(touch pwned4)"),
      );
      const env = { VIRTUAL_ENV: v.dir };
      const e = await stampEnv(sb, env, "hostile");
      assertEquals(Object.keys(listed(e)).sort(), ["torch", "x".repeat(240)]);
      assertEquals(e.packages.invalid_count, 4);
      assert(e.packages.invalid.some((i: Json) => i.entry === "evil\nname-1.0.dist-info"));
      assertMatch(e.python.reason, /pyvenv\.cfg's version is not a python version/);
      assert(!String(e.python.version).includes("$"));
      // The exports as a user evaluates them, in real shells: "$@" is runprov's argv.
      const script = 'exports=$("$@" env --tracker mlflow) || exit $?\neval "$exports"\n' +
        `printf '%s' "$MLFLOW_RUN_CONTEXT"`;
      for (const shell of ["sh", "bash"]) {
        const r = await run(shell, ["-c", script, shell, ...runprovArgv()], {
          cwd: sb.dir,
          env: { ...sb.env, ...env },
        });
        assertEquals(r.code, 0, r.stderr);
        const tags = JSON.parse(r.stdout);
        assertEquals(tags["runprov.packages_sha256"], e.packages.sha256);
        assertEquals(tags["runprov.python_version"], e.python.version ?? undefined);
      }
      for (const f of ["pwned", "pwned2", "pwned3", "pwned4"]) {
        for (const dir of [sb.dir, sb.base, v.site]) {
          assertEquals(await Deno.stat(join(dir, f)).then(() => true, () => false), false, f);
        }
      }
    }),
});

Deno.test("environment: config switches capture or parts off; secrets stay out even when allowlisted", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "environment": { "capture": false } }\n');
    const off = await sb.runprov(["stamp", "--run-id", "off1"]);
    assertEquals(off.code, 0, off.stderr);
    assertEquals(JSON.parse(off.stdout).environment, null);
    assertMatch((await sb.runprov(["show", "off1"])).stdout, /\nenv {6}not captured/);

    await sb.write(
      "runprov.jsonc",
      '{ "environment": { "packages": false, "gpu": false, "vars": ["MY_*", "*TOKEN*", "HF_*"] } }\n',
    );
    const env = { MY_SEED: "7", MY_API_TOKEN: "secret-1", HF_HOME: "/h", HF_TOKEN: "secret-2" };
    const r = await sb.runprov(["stamp", "--run-id", "part1"], { env });
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stdout.includes("secret-"), "no secret value in the record");
    const e = JSON.parse(r.stdout).environment;
    assertEquals([e.packages, e.gpu], [null, null]);
    assert(e.python !== null && e.container !== null);
    assertEquals(e.vars, {
      values: { HF_HOME: "/h", MY_SEED: "7" },
      withheld: ["HF_TOKEN", "MY_API_TOKEN"],
    });

    await sb.write("runprov.jsonc", '{\n  "environment": {\n    "gpus": false\n  }\n}\n');
    const bad = await sb.runprov(["stamp"]);
    assertEquals(bad.code, 2);
    assertMatch(
      bad.stderr,
      /runprov\.jsonc:3:5: unknown key "environment\.gpus", expected one of: capture, python, packages, gpu, container, vars/,
    );
    await sb.write("runprov.jsonc", '{ "environment": { "vars": "NCCL_*" } }\n');
    const wrong = await sb.runprov(["stamp"]);
    assertEquals(wrong.code, 2);
    assertMatch(
      wrong.stderr,
      /runprov\.jsonc:1:28: "environment\.vars" is a string, expected an array/,
    );
    await sb.write("runprov.jsonc", '{ "environment": { "vars": ["A B"] } }\n');
    const glob = await sb.runprov(["stamp"]);
    assertEquals(glob.code, 2);
    assertMatch(
      glob.stderr,
      /"environment\.vars\[0\]" is "A B", expected a glob of variable names/,
    );
  });
});

Deno.test("environment: env --from a record hands its python version and package digest to MLflow", async () => {
  await withSandbox(async (sb) => {
    const rec = await sb.json(["stamp", "--run-id", "src1"]);
    const file = join(sb.dir, ".runprov", "runs", "src1.json");
    const r = await sb.runprov(["env", "--from", file, "--format", "json", "--tracker", "mlflow"]);
    assertEquals(r.code, 0, r.stderr);
    const tags = JSON.parse(JSON.parse(r.stdout).MLFLOW_RUN_CONTEXT);
    assertEquals(tags["runprov.packages_sha256"], rec.environment.packages.sha256 || undefined);
    assertEquals(tags["runprov.python_version"], rec.environment.python.version ?? undefined);
    // A foreign record whose environment is not an object still gives the git tags.
    const foreign = { ...rec, environment: { python: { version: { x: 1 } }, packages: "?" } };
    await Deno.writeTextFile(file, JSON.stringify(foreign));
    const f = await sb.runprov(["env", "--from", file, "--format", "json", "--tracker", "mlflow"]);
    assertEquals(f.code, 0, f.stderr);
    const ftags = JSON.parse(JSON.parse(f.stdout).MLFLOW_RUN_CONTEXT);
    assertEquals([ftags["runprov.python_version"], ftags["runprov.packages_sha256"]], [
      undefined,
      undefined,
    ]);
    assertEquals(ftags["runprov.run_id"], "src1");
  });
});
