/**
 * `$GITHUB_ENV` read the way the GitHub Actions runner reads it on Linux
 * (actions/runner, src/Runner.Worker/FileCommandManager.cs, SetEnvFileCommand): line by line
 * on LF; `NAME=VALUE`, or `NAME<<DELIMITER` followed by value lines up to a line that is
 * exactly the delimiter, the value being those lines joined by LF. An independent reader,
 * so the `gha` format is checked against the consumer rather than against itself.
 */

/** The variables a `$GITHUB_ENV` text sets, in order (a later one wins); throws as the runner fails. */
export function parseGithubEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split("\n");
  // A final LF ends the last line; it does not start an empty one.
  if (lines.at(-1) === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      out.set(line.slice(0, eq), line.slice(eq + 1));
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === "" || delimiter === "") {
        throw new Error(`invalid line ${JSON.stringify(line)}: empty name or delimiter`);
      }
      const value: string[] = [];
      for (i++; lines[i] !== delimiter; i++) {
        if (i >= lines.length) throw new Error(`delimiter ${delimiter} not found`);
        value.push(lines[i]);
      }
      out.set(name, value.join("\n"));
    } else {
      throw new Error(`invalid line ${JSON.stringify(line)}`);
    }
  }
  return out;
}
