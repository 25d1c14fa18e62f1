/**
 * Reading the project's own Markdown for the tests that hold the docs to the code: heading
 * anchors as GitHub makes them, sections by heading, table rows, fenced blocks. Pure.
 */

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-");
}

/** The lines of `markdown` outside fenced code blocks, with their line numbers (from 0). */
function proseLines(markdown: string): [number, string][] {
  const out: [number, string][] = [];
  let fence: string | null = null;
  markdown.split("\n").forEach((line, i) => {
    const m = line.match(/^(`{3,}|~{3,})/);
    if (m && (fence === null || m[1].startsWith(fence))) {
      fence = fence === null ? m[1] : null;
      return;
    }
    if (fence === null) out.push([i, line]);
  });
  return out;
}

/** Every heading anchor of a document, duplicates numbered as GitHub does (`x`, `x-1`). */
export function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, line] of proseLines(markdown)) {
    const m = line.match(/^#{1,6} (.*)$/);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    found.add(n === 0 ? base : `${base}-${n}`);
  }
  return found;
}

/**
 * The sections of a document at one heading level: heading text -> everything up to the
 * next heading of that level or higher.
 */
export function sections(markdown: string, level: number): Map<string, string> {
  const lines = markdown.split("\n");
  const heads = proseLines(markdown)
    .map(([i, line]) => [i, line.match(/^(#{1,6}) (.*)$/)] as const)
    .filter(([, m]) => m !== null && m[1].length <= level) as [number, RegExpMatchArray][];
  const out = new Map<string, string>();
  heads.forEach(([i, m], k) => {
    if (m[1].length !== level) return;
    const end = k + 1 < heads.length ? heads[k + 1][0] : lines.length;
    out.set(m[2], lines.slice(i + 1, end).join("\n"));
  });
  return out;
}

/** Every table of `markdown`: its rows of cells, the header row first, no separator row. */
export function tables(markdown: string): string[][][] {
  const out: string[][][] = [];
  let current: string[][] | null = null;
  let last = -2;
  for (const [i, line] of proseLines(markdown)) {
    if (!/^\s*\|.*\|\s*$/.test(line)) continue;
    if (i !== last + 1 || current === null) out.push(current = []);
    last = i;
    if (/^\s*\|[\s:|-]+\|\s*$/.test(line)) continue;
    // Split on pipes that are not escaped (`\|` stays inside a cell).
    current.push(line.trim().slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return out;
}

/** The cells of every table row in `markdown` (header rows included, separator rows not). */
export function tableRows(markdown: string): string[][] {
  return tables(markdown).flat();
}

/** The contents of the inline code spans of a piece of Markdown (`` `x` `` -> x). */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1].replaceAll("\\|", "|"));
}

/** Every fenced block: its info string (`sh`, `console`...) and its text. */
export function fencedBlocks(markdown: string): { info: string; code: string }[] {
  const out: { info: string; code: string }[] = [];
  const re = /^(`{3,})([^\n`]*)\n([\s\S]*?)\n\1$/gm;
  for (const m of markdown.matchAll(re)) out.push({ info: m[2].trim(), code: m[3] });
  return out;
}

/** Every relative link target of a document (`[x](path#anchor)`), external ones left out. */
export function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  for (const [, line] of proseLines(markdown)) {
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) out.push(m[1]);
    }
  }
  // Reference-style definitions: `[name]: target`.
  for (const [, line] of proseLines(markdown)) {
    const m = line.match(/^\[[^\]]+\]: (\S+)$/);
    if (m && !/^[a-z][a-z0-9+.-]*:/i.test(m[1])) out.push(m[1]);
  }
  return out;
}
