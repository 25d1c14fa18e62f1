/** File-system look-ups that never follow a symbolic link. */

/**
 * What is at `path` itself (a symbolic link is not followed); null when nothing is there.
 * Other failures (no permission, a name too long) are thrown.
 *
 * @example
 * (await lstatOrNull("/no/such/file")); // null
 */
export async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
