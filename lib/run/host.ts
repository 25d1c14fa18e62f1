/** Facts about the machine and the scheduler a run started under. */

/** Scheduler ids found in the environment; only the schedulers present appear. */
export interface SchedulerIds {
  slurm?: Record<string, string>;
  torchelastic?: Record<string, string>;
  kubernetes?: Record<string, string>;
}

/** The `host` section of a run record. */
export interface HostFacts {
  hostname: string | null;
  user: string | null;
  os: string;
  arch: string;
  scheduler: SchedulerIds;
}

const SLURM = {
  job_id: "SLURM_JOB_ID",
  job_name: "SLURM_JOB_NAME",
  step_id: "SLURM_STEP_ID",
  array_job_id: "SLURM_ARRAY_JOB_ID",
  array_task_id: "SLURM_ARRAY_TASK_ID",
  procid: "SLURM_PROCID",
  localid: "SLURM_LOCALID",
  nodeid: "SLURM_NODEID",
  ntasks: "SLURM_NTASKS",
  cluster: "SLURM_CLUSTER_NAME",
} as const;

const TORCHELASTIC = {
  run_id: "TORCHELASTIC_RUN_ID",
  rank: "RANK",
  local_rank: "LOCAL_RANK",
  world_size: "WORLD_SIZE",
  group_rank: "GROUP_RANK",
  restart_count: "TORCHELASTIC_RESTART_COUNT",
} as const;

function pick(env: Record<string, string>, map: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(map)) {
    if (env[name] !== undefined) out[field] = env[name];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Scheduler ids from environment variables: SLURM, torchrun/TorchElastic, Kubernetes.
 *
 * @example
 * schedulerIds({ SLURM_JOB_ID: "42" }); // { slurm: { job_id: "42" } }
 */
export function schedulerIds(env: Record<string, string>): SchedulerIds {
  const ids: SchedulerIds = {};
  const slurm = pick(env, SLURM);
  if (slurm?.job_id) ids.slurm = slurm;
  // RANK alone is too common a name; TorchElastic always sets TORCHELASTIC_RUN_ID.
  if (env.TORCHELASTIC_RUN_ID !== undefined) ids.torchelastic = pick(env, TORCHELASTIC);
  if (env.KUBERNETES_SERVICE_HOST !== undefined) {
    const k: Record<string, string> = {};
    const pod = env.POD_NAME ?? env.HOSTNAME;
    if (pod) k.pod_name = pod;
    if (env.POD_NAMESPACE) k.namespace = env.POD_NAMESPACE;
    ids.kubernetes = k;
  }
  return ids;
}

/** Host facts; `hostname` is injectable (it needs `--allow-sys=hostname`). */
export function hostFacts(
  env: Record<string, string>,
  hostname: () => string = Deno.hostname,
): HostFacts {
  let name: string | null = null;
  try {
    name = hostname();
  } catch {
    name = env.HOSTNAME ?? null;
  }
  return {
    hostname: name,
    user: env.USER ?? env.LOGNAME ?? env.USERNAME ?? uidName(),
    os: Deno.build.os,
    arch: Deno.build.arch,
    scheduler: schedulerIds(env),
  };
}

function uidName(): string | null {
  try {
    const uid = Deno.uid();
    return uid === null ? null : `uid:${uid}`;
  } catch {
    return null;
  }
}
