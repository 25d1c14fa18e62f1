/**
 * Benchmarks (`deno task bench`). Not written yet: the performance issue adds the
 * reproducible repositories, the seed baseline and the floor commands.
 */
console.log("bench: not implemented yet (see the performance issue); nothing was measured");
