/**
 * Misspelt options are mistakes, not silence: unknown keys are a `TypeError` that names the nearest
 * known one ("did you mean").
 *
 * @module
 */

/** Edit distance (Levenshtein) between two short strings. @internal */
export function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The candidate closest to `name` (case-insensitive), if it is close enough to be a slip. @internal */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let least = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < least) [best, least] = [candidate, d];
  }
  return best;
}

/**
 * Throws a `TypeError` for the first key of `value` that is not in `known`, naming the nearest known one:
 * `createClient: "timout" is not an option. Did you mean "timeout"?` (`where` is the prefix, `prefix`
 * goes before the key, as in `retry.`). @internal
 */
export function onlyKnown(value: object, known: readonly string[], where: string, prefix = ""): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const near = nearest(key, known);
      throw new TypeError(
        `${where}: "${prefix}${key}" is not an option${near ? `. Did you mean "${prefix}${near}"?` : ""}`,
      );
    }
  }
}
