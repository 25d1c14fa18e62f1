/**
 * NVIDIA GPUs as the kernel driver lists them under `/proc/driver/nvidia/` (the driver's
 * `version` file and one `gpus/<bus>/information` file per GPU), without nvidia-smi. The
 * /proc root is a parameter, so tests use a fake one.
 */
import type { GpuDevice, GpuFacts } from "./facts.ts";
import { isMissing, type Reader, why } from "./reader.ts";
import { join } from "../util/paths.ts";

/**
 * The driver version in `/proc/driver/nvidia/version`, proprietary or open kernel module.
 *
 * @example
 * driverVersion("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 ..."); // "535.104.05"
 */
export function driverVersion(text: string): string | null {
  const line = text.split("\n").find((l) => l.startsWith("NVRM version:"));
  if (!line) return null;
  const m = /Kernel Module(?: for [A-Za-z0-9_]+)?\s+(\d+(?:\.\d+){1,3})\b/.exec(line) ??
    /\s(\d{3,}\.\d+(?:\.\d+)?)\s/.exec(line);
  return m ? m[1] : null;
}

/** The `Key: value` lines of a GPU's `information` file. */
export function parseInformation(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

const PRINTABLE = /^[\x20-\x7e]{1,200}$/;

function field(info: Map<string, string>, key: string): string | null {
  const v = info.get(key);
  return v !== undefined && PRINTABLE.test(v) ? v : null;
}

/**
 * The GPU facts of a machine: driver, devices (sorted by bus location), and
 * `CUDA_VISIBLE_DEVICES`. Without an NVIDIA driver: no driver, no devices, no reason.
 * Never throws.
 */
export async function captureGpu(
  proc: string,
  env: Record<string, string>,
  reader: Reader,
): Promise<GpuFacts> {
  const base = join(proc, "driver", "nvidia");
  const facts: GpuFacts = {
    driver: null,
    devices: [],
    cuda_visible_devices: env.CUDA_VISIBLE_DEVICES ?? null,
    reason: null,
  };
  const reasons: string[] = [];
  try {
    facts.driver = driverVersion(await reader.readText(join(base, "version"), 4096));
    if (facts.driver === null) reasons.push(`no driver version in ${join(base, "version")}`);
  } catch (err) {
    if (isMissing(err)) return facts; // no NVIDIA driver loaded: no GPUs, nothing wrong
    reasons.push(`cannot read ${join(base, "version")}: ${why(err)}`);
  }
  const gpus = join(base, "gpus");
  let buses: string[] = [];
  try {
    buses = (await reader.readDir(gpus)).map((e) => e.name).sort();
  } catch (err) {
    if (!isMissing(err)) reasons.push(`cannot list ${gpus}: ${why(err)}`);
  }
  const devices = await Promise.all(buses.map(async (bus): Promise<GpuDevice | null> => {
    const file = join(gpus, bus, "information");
    try {
      const info = parseInformation(await reader.readText(file, 16 * 1024));
      const minor = field(info, "device minor");
      return {
        model: field(info, "model"),
        bus: field(info, "bus location") ?? (PRINTABLE.test(bus) ? bus : JSON.stringify(bus)),
        uuid: field(info, "gpu uuid"),
        minor: minor !== null && /^\d{1,4}$/.test(minor) ? Number(minor) : null,
      };
    } catch (err) {
      reasons.push(`cannot read ${file}: ${why(err)}`);
      return null;
    }
  }));
  facts.devices = devices.filter((d): d is GpuDevice => d !== null);
  facts.reason = reasons.length > 0 ? reasons.join("; ") : null;
  return facts;
}
