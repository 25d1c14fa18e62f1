/**
 * Sizes and seeds from the environment, read only where a run starts (a test file, the
 * reliability script) and passed on as parameters: no scenario reads the environment.
 */

/** The seed of a run: `RELIABILITY_SEED` or a fixed default, so failures reproduce. */
export function seedFromEnv(fallback = 8): number {
  const raw = Deno.env.get("RELIABILITY_SEED");
  return raw ? Number(raw) >>> 0 : fallback;
}

/** A size: the positive integer in env `name`, else `fallback`. */
export function knob(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  const n = raw ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}
