/**
 * Where runprov keeps its files in a repository: `.runprov/` (ignored by a `.gitignore` of
 * `*`) and, by default, the run records in `.runprov/runs/<id>.json`.
 */

/** runprov's own directory at the repository top. */
export const RUNPROV_DIR = ".runprov";

/** The default record directory (the `dir` setting), relative to the repository top. */
export const DEFAULT_RECORD_DIR = `${RUNPROV_DIR}/runs`;

/** The hint of every error about a file that is not a run record. */
export const RECORD_FILE_HINT =
  `pass a record written by 'runprov stamp' or 'runprov env' (${DEFAULT_RECORD_DIR}/<id>.json)`;
