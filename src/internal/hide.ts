/**
 * Objects that hold a secret show only a public description: in `JSON.stringify`, Node's
 * `util.inspect` (also Bun) and `Deno.inspect`.
 *
 * @module
 */

/**
 * Makes `target` serialise and inspect as `name` plus `description` (which must hold nothing secret);
 * the added members are non-enumerable. Returns `target`. @internal
 */
export function showOnly<T extends object>(target: T, name: string, description: Record<string, unknown>): T {
  const inspect = () => `${name} ${JSON.stringify(description)}`;
  return Object.defineProperties(target, {
    toJSON: { value: () => ({ ...description }) },
    [Symbol.for("nodejs.util.inspect.custom")]: { value: inspect },
    [Symbol.for("Deno.customInspect")]: { value: inspect },
  });
}
