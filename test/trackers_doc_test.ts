/**
 * The trackers page, run: every Python block of docs/trackers.md that follows a
 * `<!-- test: NAME -->` marker is read from the file and run with `python3` against fake
 * `wandb`, `mlflow`, `clearml` and `comet_ml` modules (written here, put on PYTHONPATH) that
 * record every call they get. Each snippet runs with the variables of a real
 * `runprov env --tracker ...` and with none of them, so the page and its tests cannot drift.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { CI, ROOT, run, Sandbox } from "./helpers.ts";

const PAGE = join(ROOT, "docs", "trackers.md");
const NAMES = ["wandb", "mlflow", "clearml", "comet", "json-log"];

/** The page's `<!-- test: NAME -->` Python blocks: name -> code. */
function pageBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const re = /<!-- test: ([a-z0-9-]+) -->\s*\n(`{3,})python\n([\s\S]*?)\n\2\n/g;
  for (const m of text.matchAll(re)) {
    if (blocks.has(m[1])) throw new Error(`docs/trackers.md: two blocks named ${m[1]}`);
    blocks.set(m[1], m[3] + "\n");
  }
  return blocks;
}

const BLOCKS = pageBlocks(await Deno.readTextFile(PAGE));

/** The python3 that runs the snippets, as an absolute path (a pyenv shim needs the real HOME). */
async function findPython(): Promise<string | null> {
  try {
    const r = await run("python3", ["-c", "import sys; print(sys.executable)"]);
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

const PYTHON = await findPython();
const MISSING = "python3 is not installed (apt-get install -y python3; .ci/run does)";
if (PYTHON === null && !CI) console.log(`trackers_doc_test: skipped: ${MISSING}`);

/** Stand-ins for the tracker SDKs: the real signatures, each call appended to a JSON log. */
const FAKES: Record<string, string> = {
  "_fake_log.py": `import json, os


def record(call, **data):
    with open(os.environ["FAKE_TRACKER_LOG"], "a") as f:
        f.write(json.dumps({"call": call, **data}) + "\\n")
`,
  "wandb/__init__.py": `from _fake_log import record


class Run:
    def log(self, data, step=None, commit=None):
        record("wandb.log", data=data)

    def finish(self, exit_code=None):
        record("wandb.finish")


def init(project=None, entity=None, config=None, name=None, id=None, **settings):
    record("wandb.init", project=project, config=config)
    return Run()
`,
  "mlflow/__init__.py": `import contextlib

from _fake_log import record


@contextlib.contextmanager
def start_run(run_id=None, experiment_id=None, run_name=None, nested=False, tags=None):
    record("mlflow.start_run", tags=tags)
    yield object()
    record("mlflow.end_run")


def set_tags(tags):
    if not isinstance(tags, dict):
        raise TypeError("tags must be a dict")
    record("mlflow.set_tags", tags=tags)


def log_param(key, value):
    record("mlflow.log_param", key=key, value=value)


def log_metric(key, value, step=None):
    record("mlflow.log_metric", key=key, value=value, step=step)
`,
  "clearml/__init__.py": `from _fake_log import record


class Logger:
    def report_scalar(self, title, series, value, iteration):
        record("clearml.report_scalar", title=title, value=value)


class Task:
    @classmethod
    def init(cls, project_name=None, task_name=None, **options):
        record("clearml.Task.init", project_name=project_name, task_name=task_name)
        return cls()

    def set_user_properties(self, *iterables, **properties):
        record("clearml.set_user_properties", iterables=list(iterables), properties=properties)
        return True

    def get_logger(self):
        return Logger()

    def close(self):
        record("clearml.close")
`,
  // What the real SDK reads when an experiment starts (see docs/trackers.md, "Comet"):
  // the repository from COMET_GIT_DIRECTORY or the working directory, and the
  // COMET_LOG_OTHER_* variables as Others.
  "comet_ml/__init__.py": `import os

from _fake_log import record

PREFIX = "comet_log_other_"


class Experiment:
    def __init__(self, api_key=None, project_name=None, workspace=None, **options):
        others = {k.lower()[len(PREFIX):]: v for k, v in os.environ.items()
                  if k.lower().startswith(PREFIX) and len(k) > len(PREFIX)}
        record("comet.Experiment", project_name=project_name,
               git_directory=os.environ.get("COMET_GIT_DIRECTORY") or os.getcwd(),
               env_others=others)

    def log_others(self, dictionary):
        if not isinstance(dictionary, dict):
            raise TypeError("log_others takes a dict")
        record("comet.log_others", others=dictionary)

    def log_parameters(self, parameters, prefix=None, step=None):
        record("comet.log_parameters", parameters=parameters)

    def log_metric(self, name, value, step=None, epoch=None, include_context=True):
        record("comet.log_metric", name=name, value=value)

    def end(self):
        record("comet.end")
`,
};

interface Call {
  call: string;
  [k: string]: unknown;
}

/** A repository with a remote and a branch, the fake modules, and a scratch directory. */
interface World {
  sb: Sandbox;
  top: string;
  fakes: string;
  /** What `runprov env --format json --tracker wandb,mlflow,clearml,comet` exported. */
  vars: Record<string, string>;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const sb = await Sandbox.create();
  try {
    await sb.git("remote", "add", "origin", "https://example.com/o/p.git");
    await sb.git("checkout", "-q", "-b", "feat/x");
    const fakes = join(sb.base, "fakes");
    for (const [path, text] of Object.entries(FAKES)) {
      await Deno.mkdir(join(fakes, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(fakes, path), text);
    }
    const vars = await sb.json([
      "env",
      "--format",
      "json",
      "--run-id",
      "doc1",
      "--tracker",
      "wandb,mlflow,clearml,comet",
    ]);
    await fn({ sb, top: await Deno.realPath(sb.dir), fakes, vars });
  } finally {
    await sb.cleanup();
  }
}

/** Run a snippet with `python3` in a fresh directory outside the repository. */
async function runSnippet(
  w: World,
  name: string,
  vars: Record<string, string>,
): Promise<{ calls: Call[]; cwd: string; log: string }> {
  const code = BLOCKS.get(name);
  if (code === undefined) throw new Error(`docs/trackers.md has no block '${name}'`);
  const cwd = await Deno.makeTempDir({ dir: w.sb.base, prefix: `${name}-` });
  const script = join(cwd, "train.py");
  await Deno.writeTextFile(script, code);
  const log = join(cwd, "calls.jsonl");
  const r = await run(PYTHON!, [script], {
    cwd,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: w.sb.home,
      LANG: "C.UTF-8",
      PYTHONPATH: w.fakes,
      PYTHONDONTWRITEBYTECODE: "1",
      FAKE_TRACKER_LOG: log,
      ...vars,
    },
  });
  assertEquals({ code: r.code, stderr: r.stderr }, { code: 0, stderr: "" }, `${name} failed`);
  const text = await Deno.readTextFile(log).catch(() => "");
  const calls = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call);
  return { calls, cwd, log };
}

function only(calls: Call[], name: string): Call {
  const found = calls.filter((c) => c.call === name);
  assertEquals(found.length, 1, `${name} calls: ${JSON.stringify(calls)}`);
  return found[0];
}

/** The facts every snippet logs: `runprov_<name>` for each RUNPROV_* export. */
function facts(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars)
      .filter(([k]) => k.startsWith("RUNPROV_"))
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
}

function test(name: string, fn: () => Promise<void>) {
  Deno.test({
    name,
    ignore: PYTHON === null && !CI,
    fn: () => {
      if (PYTHON === null) throw new Error(MISSING);
      return fn();
    },
  });
}

Deno.test("trackers page: every snippet is marked, and every marked snippet is tested", () => {
  assertEquals([...BLOCKS.keys()].sort(), [...NAMES].sort());
});

test("trackers page: the W&B snippet puts the commit and run id into the run's config", async () => {
  await withWorld(async (w) => {
    const { calls } = await runSnippet(w, "wandb", w.vars);
    const init = only(calls, "wandb.init");
    const config = init.config as Record<string, unknown>;
    assertEquals(config.runprov_git_sha, w.vars.RUNPROV_GIT_SHA);
    assertEquals(config.runprov_run_id, "doc1");
    assertEquals(config, { learning_rate: 3e-4, ...facts(w.vars) });
    only(calls, "wandb.finish");
    const bare = await runSnippet(w, "wandb", {});
    assertEquals(only(bare.calls, "wandb.init").config, { learning_rate: 3e-4 });
  });
});

test("trackers page: the MLflow snippet tags the run with the commit and run id", async () => {
  await withWorld(async (w) => {
    const { calls } = await runSnippet(w, "mlflow", w.vars);
    const tags = only(calls, "mlflow.set_tags").tags as Record<string, string>;
    assertEquals(tags.runprov_git_sha, w.vars.RUNPROV_GIT_SHA);
    assertEquals(tags.runprov_run_id, "doc1");
    assertEquals(tags, facts(w.vars));
    only(calls, "mlflow.end_run");
    const bare = await runSnippet(w, "mlflow", {});
    assertEquals(only(bare.calls, "mlflow.set_tags").tags, {});
  });
});

test("trackers page: the ClearML snippet sets the commit and run id as user properties", async () => {
  await withWorld(async (w) => {
    const { calls } = await runSnippet(w, "clearml", w.vars);
    const props = only(calls, "clearml.set_user_properties");
    assertEquals(props.iterables, []);
    const p = props.properties as Record<string, string>;
    assertEquals([p.runprov_git_sha, p.runprov_run_id], [w.vars.RUNPROV_GIT_SHA, "doc1"]);
    assertEquals(p, facts(w.vars));
    only(calls, "clearml.close");
    const bare = await runSnippet(w, "clearml", {});
    assertEquals(only(bare.calls, "clearml.set_user_properties").properties, {});
  });
});

test("trackers page: the Comet snippet logs the commit and run id, in the repository Comet reads", async () => {
  await withWorld(async (w) => {
    const { calls, cwd } = await runSnippet(w, "comet", w.vars);
    assert(!cwd.startsWith(w.top + "/"), "the snippet must run outside the repository");
    const start = only(calls, "comet.Experiment");
    // Started elsewhere, Comet still reads the run's repository, and gets the facts as Others.
    assertEquals(start.git_directory, w.top);
    assertEquals(start.env_others, facts(w.vars));
    const others = only(calls, "comet.log_others").others as Record<string, string>;
    assertEquals([others.runprov_git_sha, others.runprov_run_id], [w.vars.RUNPROV_GIT_SHA, "doc1"]);
    // The snippet's names are the Others' names: the same keys, nothing doubled.
    assertEquals(others, start.env_others);
    only(calls, "comet.end");

    const bare = await runSnippet(w, "comet", {});
    const bareStart = only(bare.calls, "comet.Experiment");
    assertEquals([bareStart.git_directory, bareStart.env_others], [bare.cwd, {}]);
    assertEquals(only(bare.calls, "comet.log_others").others, {});
  });
});

test("trackers page: the JSON log snippet appends the record's commit and run id", async () => {
  await withWorld(async (w) => {
    const lines = async (vars: Record<string, string>) => {
      const { cwd } = await runSnippet(w, "json-log", vars);
      const text = await Deno.readTextFile(join(cwd, "train_log.jsonl"));
      return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    };
    const rec = JSON.parse(await Deno.readTextFile(w.vars.RUNPROV_FILE));
    const withRecord = await lines(w.vars);
    assertEquals(withRecord.length, 4);
    assertEquals(withRecord[0], {
      event: "start",
      runprov_run_id: "doc1",
      runprov_git_sha: rec.git.sha,
      runprov_git_describe: rec.git.describe,
      runprov_git_dirty: false,
      runprov_git_branch: "feat/x",
      runprov_git_remote_url: "https://example.com/o/p.git",
      runprov_file: w.vars.RUNPROV_FILE,
    });
    assertEquals(withRecord[3], { step: 2, loss: 1 / 3 });

    // --no-record: RUNPROV_FILE is empty, the variables are all there is.
    const noRecord = await w.sb.json(["env", "--format", "json", "--no-record"]);
    const fromVars = await lines(noRecord);
    assertEquals(fromVars[0], { event: "start", ...facts(noRecord) });
    assertEquals(fromVars[0].runprov_git_sha, rec.git.sha);

    assertEquals((await lines({}))[0], { event: "start" });
  });
});
