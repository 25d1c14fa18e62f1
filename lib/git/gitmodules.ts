/**
 * Submodule paths from a `.gitmodules` file (git-config syntax). Pure; only the `path`
 * keys of `[submodule "name"]` sections are read.
 *
 * @example
 * submodulePaths('[submodule "lib"]\n\tpath = third_party/lib\n'); // ["third_party/lib"]
 */
export function submodulePaths(text: string): string[] {
  const paths: string[] = [];
  let inSubmodule = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      inSubmodule = /^\[\s*submodule\s+"/i.test(line);
      continue;
    }
    if (!inSubmodule) continue;
    const m = /^path\s*=\s*(.*)$/i.exec(line);
    if (m) paths.push(unquote(m[1]));
  }
  return paths;
}

function unquote(v: string): string {
  const s = v.replace(/\s+[#;].*$/, "").trim();
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) {
    return s.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return s;
}
