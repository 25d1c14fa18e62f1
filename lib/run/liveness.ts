/**
 * Is a run's supervisor still there? Reads a process's start identity (so a later process
 * that got the same pid is not taken for it) and judges, from this process's point of view,
 * whether a `running` record belongs to a live `runprov exec`.
 */
import type { RunRecord } from "./record.ts";

/** What this host can tell about a process id. */
export interface ProcessProbe {
  /** true/false when known, null when this system cannot tell. */
  alive: boolean | null;
  /** When it started (`linux:<boot id>:<start ticks>` or `ps:<start time>`), else null. */
  start: string | null;
}

/**
 * One `sh` that reads `/proc/<pid>/stat` and the boot id (Deno refuses `/proc` without
 * --allow-all), or else asks `kill -0` (no signal is sent) and `ps` for the start time.
 */
const PROBE = `p=$1
if [ -d /proc/self ] && { read -r s < "/proc/$p/stat"; } 2>/dev/null; then
  { read -r b < /proc/sys/kernel/random/boot_id; } 2>/dev/null || b=
  printf 'alive\\nlinux\\n%s\\n%s\\n' "$b" "$s"; exit 0
fi
if e=$(kill -0 "$p" 2>&1); then :; else
  case $e in
  *ermit*|*EPERM*) ;;
  *[Nn]o\\ such*|*ESRCH*) echo gone; exit 0 ;;
  *) echo unknown; exit 0 ;;
  esac
fi
printf 'alive\\nps\\n'; ps -o lstart= -p "$p" 2>/dev/null
exit 0`;

/**
 * The start identity in a `/proc/<pid>/stat` line: field 22 (start time in clock ticks
 * after boot), read after the last `)` because the command name may hold spaces and `)`.
 *
 * @example
 * startFromStat("b1", "42 (a b) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9876 0 0"); // "linux:b1:9876"
 */
export function startFromStat(bootId: string, stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/);
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? `linux:${bootId.trim()}:${ticks}` : null;
}

/** Parse the output of {@link PROBE}. */
export function parseProbe(out: string): ProcessProbe {
  const lines = out.split("\n");
  if (lines[0] === "gone") return { alive: false, start: null };
  if (lines[0] !== "alive") return { alive: null, start: null };
  if (lines[1] === "linux") {
    return { alive: true, start: startFromStat(lines[2] ?? "", lines[3] ?? "") };
  }
  const when = (lines[2] ?? "").trim().replace(/\s+/g, " ");
  return { alive: true, start: lines[1] === "ps" && when ? `ps:${when}` : null };
}

/** Probe a process of this host; never throws (anything unexpected is "cannot tell"). */
export async function probeProcess(pid: number): Promise<ProcessProbe> {
  if (!Number.isInteger(pid) || pid <= 0) return { alive: null, start: null };
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", PROBE, "sh", String(pid)],
      env: { LC_ALL: "C", PATH: "/usr/bin:/bin" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success
      ? parseProbe(new TextDecoder().decode(out.stdout))
      : { alive: null, start: null };
  } catch {
    return { alive: null, start: null };
  }
}

/**
 * Whether a probed process is the one that started at `recorded`: false when it is gone or
 * started at another time (the pid was reused), true when alive and the same or when the
 * start times cannot be compared, null when nothing can be told.
 */
export function sameProcess(
  recorded: string | null | undefined,
  probe: ProcessProbe,
): boolean | null {
  if (probe.alive !== true) return probe.alive;
  if (!recorded || !probe.start) return true;
  const kind = (s: string) => s.slice(0, s.indexOf(":"));
  if (kind(recorded) !== kind(probe.start)) return true;
  return recorded === probe.start;
}

/** Where a process stands when it judges a record: its host, its SLURM job, a prober. */
export interface Vantage {
  hostname: string | null;
  slurmJobId: string | null;
  probe(pid: number): Promise<ProcessProbe>;
}

/** This process's {@link Vantage}. */
export function currentVantage(env: Record<string, string>): Vantage {
  let hostname: string | null = null;
  try {
    hostname = Deno.hostname();
  } catch { /* without --allow-sys=hostname: treated as another host */ }
  return { hostname, slurmJobId: env.SLURM_JOB_ID || null, probe: probeProcess };
}

/** Whether a `running` record's supervisor is alive, and why (for notes). */
export interface Liveness {
  alive: boolean;
  why: string;
}

/**
 * Judge a `running` record's supervisor. On its own host: alive when its pid exists and
 * started when the record says (`command.supervisor_start`). Where that cannot be checked
 * (another host, no pid, an unreadable process table): alive when the record's SLURM job
 * is this process's SLURM job (`SLURM_JOB_ID`), gone when it names another job or this
 * process is in none, and alive (trusted) when the record names no SLURM job.
 */
export async function supervisorLiveness(record: RunRecord, here: Vantage): Promise<Liveness> {
  const pid = record.command?.supervisor_pid;
  const host = record.host?.hostname ?? null;
  if (host !== null && host === here.hostname && typeof pid === "number") {
    const same = sameProcess(record.command?.supervisor_start, await here.probe(pid));
    if (same === true) return { alive: true, why: `its supervisor (pid ${pid}) is alive` };
    if (same === false) {
      return { alive: false, why: `its supervisor (pid ${pid} on ${host}) is gone` };
    }
  }
  const job = record.host?.scheduler?.slurm?.job_id;
  if (job !== undefined) {
    if (here.slurmJobId === job) return { alive: true, why: `it is SLURM job ${job}, as is this` };
    const mine = here.slurmJobId === null
      ? "this is not a SLURM job"
      : `this is job ${here.slurmJobId}`;
    return { alive: false, why: `it belongs to SLURM job ${job} and ${mine}` };
  }
  return { alive: true, why: `runprov cannot see processes of ${host ?? "an unknown host"}` };
}
