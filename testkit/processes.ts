/**
 * Processes seen from outside: where a program is on PATH, and which processes of a
 * process group are still alive (read from /proc), so a test waits for the processes it
 * orphaned instead of sleeping a fixed time. Linux only (/proc).
 */

/** The path of `cmd` on PATH, or null. */
export function which(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const p = `${dir}/${cmd}`;
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** `/proc/<pid>/stat`'s state and process group, or null when the process is gone. */
function procStat(pid: number): { state: string; pgrp: number } | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0], pgrp: Number(rest[2]) };
}

/** True while process `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  const st = procStat(pid);
  return st !== null && st.state !== "Z" && st.state !== "X";
}

/** Live (not zombie) processes whose process group is `pgid` (one pass over /proc). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const st = procStat(Number(e.name));
    if (st && st.pgrp === pgid && st.state !== "Z" && st.state !== "X") out.push(Number(e.name));
  }
  return out;
}

/**
 * Wait until every process of group `pgid` has exited, at most `timeoutMs`: the members
 * found in /proc are polled until gone, then /proc is searched again (a member may have
 * started a child). Resolves with the pids still alive then (empty when the group is gone).
 */
export async function waitForGroupExit(pgid: number, timeoutMs = 10_000): Promise<number[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let left = groupMembers(pgid);
    if (left.length === 0) return [];
    while (left.length > 0) {
      if (Date.now() >= end) return left;
      await new Promise((r) => setTimeout(r, 5));
      left = left.filter(alive);
    }
  }
}
