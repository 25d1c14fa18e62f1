/** Configurations for unit tests: the schema's defaults with a few keys changed. */
import { type Config, defaultConfig } from "../lib/config/config.ts";

/** What a test changes: any top-level key, and single keys of the `tag` and `share` sections. */
export interface ConfigChanges extends Partial<Omit<Config, "tag" | "share">> {
  tag?: Partial<Config["tag"]>;
  share?: Partial<Config["share"]>;
}

/**
 * The defaults with `changes` applied, as if a runprov.jsonc had set those keys.
 *
 * @example
 * configWith({ tag: { prefix: "ml/" } }).tag; // { prefix: "ml/", remote: "origin", ... }
 */
export function configWith(changes: ConfigChanges = {}): Config {
  const d = defaultConfig();
  return {
    ...d,
    ...changes,
    tag: { ...d.tag, ...changes.tag },
    share: { ...d.share, ...changes.share },
  };
}
