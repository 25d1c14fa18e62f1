/**
 * The installed distributions of an environment, read from the names of its site-packages
 * entries (`*.dist-info`, `*.egg-info`; one directory listing per site directory), with
 * names normalised as PEP 503 says and versions as written; editable installs and their
 * sources from `direct_url.json` (PEP 610) and legacy `*.egg-link` files; and the digest that
 * makes two environments comparable in one field.
 */
import { sha256OfChunks } from "../util/sha256.ts";
import type { InvalidEntry, PackageFact, PackagesFacts, SiteFacts } from "./facts.ts";
import { type Entry, isMissing, type Reader, why } from "./reader.ts";
import { clipped } from "../errors.ts";
import { redactUrl } from "../git/redact_url.ts";
import { join } from "../util/paths.ts";

/**
 * A distribution name normalised as PEP 503 says.
 *
 * @example
 * normalizeName("Zope.Interface"); // "zope-interface"
 * normalizeName("typing_extensions"); // "typing-extensions"
 */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** A valid distribution name (PEP 508 / core metadata), before normalisation. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** What a version may hold as written (PEP 440 characters, plus `_` of escaped legacy ones). */
const VERSION_TEXT = /^[A-Za-z0-9](?:[A-Za-z0-9._+!-]*[A-Za-z0-9])?$/;

/** One site-packages entry, read as a distribution. */
export type ParsedEntry =
  | { kind: "dist-info" | "egg-info"; name: string; version: string | null }
  | { kind: "invalid"; reason: string };

/**
 * Read a site-packages entry name as a distribution: null when it is not one (a package
 * directory, a module, a .pth file).
 *
 * @example
 * parseDistEntry("PyYAML-6.0.dist-info"); // { kind: "dist-info", name: "pyyaml", version: "6.0" }
 * parseDistEntry("torch-2.1.0+cu118.dist-info"); // { ..., name: "torch", version: "2.1.0+cu118" }
 * parseDistEntry("lazr.uri-1.0.6.egg-info"); // { kind: "egg-info", name: "lazr-uri", version: "1.0.6" }
 * parseDistEntry("numpy"); // null
 */
export function parseDistEntry(entry: string): ParsedEntry | null {
  let kind: "dist-info" | "egg-info";
  let raw: string;
  let version: string | null;
  if (entry.endsWith(".dist-info")) {
    kind = "dist-info";
    const stem = entry.slice(0, -".dist-info".length);
    const dash = stem.indexOf("-");
    if (dash < 0) return { kind: "invalid", reason: "a .dist-info name without a version" };
    raw = stem.slice(0, dash);
    version = stem.slice(dash + 1);
  } else if (entry.endsWith(".egg-info")) {
    kind = "egg-info";
    // name[-version[-pyX.Y[-platform]]].egg-info; '-' inside name and version is escaped as '_'
    const parts = entry.slice(0, -".egg-info".length).split("-");
    raw = parts[0];
    version = parts.length > 1 ? parts[1] : null;
    if (parts.length > 2 && !/^py\d+(\.\d+)*$/.test(parts[2])) {
      return { kind: "invalid", reason: "not name-version[-pyX.Y].egg-info" };
    }
  } else {
    return null;
  }
  if (!NAME.test(raw)) return { kind: "invalid", reason: "not a valid distribution name" };
  if (version !== null && !VERSION_TEXT.test(version)) {
    return { kind: "invalid", reason: "not a valid version" };
  }
  return { kind, name: normalizeName(raw), version };
}

/** The `Version:` (and `Name:`) header of a PKG-INFO / METADATA text. */
export function metadataHeader(text: string, field: "Version" | "Name"): string | null {
  for (const line of text.split("\n")) {
    if (line.trim() === "") break; // headers end at the first blank line
    const m = /^([A-Za-z-]+):[ \t]*(.*?)\r?$/.exec(line);
    if (m && m[1].toLowerCase() === field.toLowerCase()) return m[2];
  }
  return null;
}

/** What `direct_url.json` (PEP 610) says about an install. */
export function parseDirectUrl(
  text: string,
): Pick<PackageFact, "editable" | "url" | "vcs" | "commit"> | null {
  let d: unknown;
  try {
    d = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof d !== "object" || d === null || typeof (d as { url?: unknown }).url !== "string") {
    return null;
  }
  const o = d as {
    url: string;
    dir_info?: { editable?: unknown };
    vcs_info?: { vcs?: unknown; commit_id?: unknown };
  };
  const out: Pick<PackageFact, "editable" | "url" | "vcs" | "commit"> = {
    url: clipped(redactUrl(o.url), 2000),
  };
  if (o.dir_info?.editable === true) out.editable = true;
  if (typeof o.vcs_info?.vcs === "string" && /^[a-z]{2,10}$/.test(o.vcs_info.vcs)) {
    out.vcs = o.vcs_info.vcs;
  }
  if (
    typeof o.vcs_info?.commit_id === "string" && /^[0-9A-Za-z._-]{1,80}$/.test(o.vcs_info.commit_id)
  ) {
    out.commit = o.vcs_info.commit_id;
  }
  return out;
}

/**
 * The names a site-packages listing marks as installed in development mode, without opening
 * anything: setuptools' `__editable__.NAME-VER.pth`, hatchling's `_NAME.pth`, flit/pdm/poetry
 * `NAME.pth` (any `.pth` named like a distribution is checked; others cost one failed read).
 */
export function editableHints(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const n of names) {
    if (!n.endsWith(".pth")) continue;
    let stem = n.slice(0, -4).replace(/^__editable__\./, "").replace(/^_+/, "");
    stem = stem.replace(/[-_]editable$/, "");
    const name = stem.split("-")[0];
    if (NAME.test(name)) out.add(normalizeName(name));
  }
  return out;
}

/** The digest of a package list: sha256 of the sorted `name==version\n` lines. */
export async function packagesDigest(list: readonly PackageFact[]): Promise<string> {
  const lines = list.map((p) => `${p.name}==${p.version}\n`).sort();
  const bytes = new TextEncoder().encode(lines.join(""));
  return await sha256OfChunks([bytes], bytes.length);
}

const MAX_INVALID = 50;

interface SiteListing {
  site: SiteFacts;
  /** `entry`: the dist-info directory's name (null for egg-info and egg-link installs). */
  found: { fact: PackageFact; entry: string | null }[];
  invalid: InvalidEntry[];
}

/**
 * List every distribution installed in `sites` (in import order: a name found in an earlier
 * directory shadows later ones). `sources: "all"` reads every dist-info's direct_url.json;
 * `"hinted"` only those the listing marks as editable. Never throws.
 */
export async function listPackages(
  sites: readonly string[],
  reader: Reader,
  sources: "hinted" | "all" = "hinted",
): Promise<PackagesFacts> {
  const listings = await Promise.all(sites.map((s) => listSite(s, reader, sources)));
  const seen = new Set<string>();
  const list: PackageFact[] = [];
  const invalid: InvalidEntry[] = [];
  const siteFacts: SiteFacts[] = [];
  for (const l of listings) {
    const names = new Set<string>();
    let count = 0;
    for (const { fact } of l.found) {
      if (seen.has(fact.name)) continue;
      names.add(fact.name);
      list.push(fact);
      count++;
    }
    for (const n of names) seen.add(n);
    siteFacts.push({ ...l.site, count });
    invalid.push(...l.invalid);
  }
  list.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1);
  const reasons = siteFacts.filter((s) => s.reason).map((s) => `${s.path}: ${s.reason}`);
  return {
    count: list.length,
    sha256: await packagesDigest(list),
    list,
    sites: siteFacts,
    sources,
    invalid: invalid.slice(0, MAX_INVALID),
    invalid_count: invalid.length,
    reason: reasons.length > 0 ? reasons.join("; ") : null,
  };
}

async function listSite(
  site: string,
  reader: Reader,
  sources: "hinted" | "all",
): Promise<SiteListing> {
  let entries: Entry[];
  try {
    entries = await reader.readDir(site);
  } catch (err) {
    return {
      site: { path: site, count: 0, reason: `cannot list: ${why(err)}` },
      found: [],
      invalid: [],
    };
  }
  // One pass over the names, building little: this loop runs once per installed package on
  // every run, before the JIT has warmed up.
  const invalid: InvalidEntry[] = [];
  const found: { fact: PackageFact; entry: string | null }[] = [];
  const distNames = new Set<string>();
  const eggInfo: { entry: Entry; name: string; version: string | null }[] = [];
  const pth: string[] = [];
  const eggLinkNames: string[] = [];
  for (const e of entries) {
    const name = e.name;
    if (name.endsWith(".pth")) pth.push(name);
    else if (name.endsWith(".egg-link")) eggLinkNames.push(name);
    const parsed = parseDistEntry(name);
    if (parsed === null) continue;
    if (parsed.kind === "invalid") {
      invalid.push({ entry: clipped(name, 200), site, reason: parsed.reason });
    } else if (parsed.kind === "dist-info") {
      found.push({ fact: { name: parsed.name, version: parsed.version! }, entry: name });
      distNames.add(parsed.name);
    } else {
      eggInfo.push({ entry: e, name: parsed.name, version: parsed.version });
    }
  }
  // An egg-info counts when no dist-info of the same name sits next to it (a leftover).
  const eggs = eggInfo.filter((e) => !distNames.has(e.name));
  const eggFacts = await Promise.all(eggs.map(async (e) => {
    if (e.version !== null) return { fact: { name: e.name, version: e.version } };
    const path = `${site}/${e.entry.name}`;
    const pkgInfo = e.entry.isDirectory ? `${path}/PKG-INFO` : path;
    try {
      const v = metadataHeader(await reader.readText(pkgInfo, 64 * 1024), "Version");
      if (v !== null && VERSION_TEXT.test(v)) return { fact: { name: e.name, version: v } };
      return { invalid: "no readable Version in its PKG-INFO" };
    } catch (err) {
      return { invalid: `its PKG-INFO cannot be read: ${why(err)}` };
    }
  }));
  const eggSeen = new Set<string>();
  eggFacts.forEach((r, i) => {
    if (r.fact) {
      const key = `${r.fact.name}==${r.fact.version}`;
      if (!eggSeen.has(key)) found.push({ fact: r.fact, entry: null });
      eggSeen.add(key);
    } else {
      invalid.push({ entry: clipped(eggs[i].entry.name, 200), site, reason: r.invalid! });
    }
  });
  if (eggLinkNames.length > 0) found.push(...await eggLinks(site, eggLinkNames, reader, invalid));
  const hints = sources === "all" ? null : editableHints(pth);
  const probe = found.filter((f) => f.entry !== null && (hints === null || hints.has(f.fact.name)));
  await Promise.all(probe.map(async (f) => {
    try {
      const text = await reader.readText(`${site}/${f.entry}/direct_url.json`, 64 * 1024);
      const source = parseDirectUrl(text);
      if (source) Object.assign(f.fact, source);
    } catch (err) {
      if (!isMissing(err)) {
        invalid.push({ entry: f.fact.name, site, reason: `direct_url.json: ${why(err)}` });
      }
    }
  }));
  return { site: { path: site, count: found.length, reason: null }, found, invalid };
}

/**
 * Read the direct_url.json of every listed dist-info (VCS and URL installs that the
 * listing cannot show), for a capture made with `sources: "hinted"`: `exec` does this while
 * its command runs, so the run's start does not wait for one read per distribution. Returns
 * the completed facts (`sources: "all"`); the digest does not change. Never throws.
 */
export async function completeSources(
  packages: PackagesFacts,
  reader: Reader,
): Promise<PackagesFacts> {
  if (packages.sources === "all") return packages;
  const list = packages.list.map((p) => ({ ...p }));
  const byKey = new Map(list.map((p) => [`${p.name}==${p.version}`, p]));
  const invalid = [...packages.invalid];
  await Promise.all(packages.sites.map(async (site) => {
    let entries: Entry[];
    try {
      entries = await reader.readDir(site.path);
    } catch {
      return; // the capture already recorded why this site could not be listed
    }
    await Promise.all(entries.map(async (e) => {
      const parsed = parseDistEntry(e.name);
      if (parsed?.kind !== "dist-info") return;
      const fact = byKey.get(`${parsed.name}==${parsed.version}`);
      if (!fact || fact.url !== undefined) return;
      try {
        const text = await reader.readText(join(site.path, e.name, "direct_url.json"), 64 * 1024);
        const source = parseDirectUrl(text);
        if (source) Object.assign(fact, source);
      } catch (err) {
        if (!isMissing(err)) {
          invalid.push({
            entry: fact.name,
            site: site.path,
            reason: `direct_url.json: ${why(err)}`,
          });
        }
      }
    }));
  }));
  return {
    ...packages,
    list,
    sources: "all",
    invalid: invalid.slice(0, MAX_INVALID),
    invalid_count: packages.invalid_count + invalid.length - packages.invalid.length,
  };
}

/** Legacy editable installs (`setup.py develop`): `NAME.egg-link` points at the project. */
async function eggLinks(
  site: string,
  names: readonly string[],
  reader: Reader,
  invalid: InvalidEntry[],
): Promise<{ fact: PackageFact; entry: null }[]> {
  const out: { fact: PackageFact; entry: null }[] = [];
  for (const n of names) {
    const raw = n.slice(0, -".egg-link".length);
    if (!NAME.test(raw)) {
      invalid.push({ entry: clipped(n, 200), site, reason: "not a valid distribution name" });
      continue;
    }
    const name = normalizeName(raw);
    try {
      const project = (await reader.readText(join(site, n), 4096)).split("\n")[0].trim();
      const infos = (await reader.readDir(project)).filter((e) => {
        const p = parseDistEntry(e.name);
        return p?.kind === "egg-info" && p.name === name;
      });
      if (infos.length === 0) throw new Error(`no ${raw}.egg-info in ${project}`);
      const info = join(project, infos[0].name);
      const v = metadataHeader(await reader.readText(join(info, "PKG-INFO"), 64 * 1024), "Version");
      if (v === null || !VERSION_TEXT.test(v)) throw new Error(`no readable Version in ${info}`);
      out.push({
        fact: { name, version: v, editable: true, url: `file://${project}` },
        entry: null,
      });
    } catch (err) {
      invalid.push({ entry: clipped(n, 200), site, reason: `egg-link: ${why(err)}` });
    }
  }
  return out;
}
