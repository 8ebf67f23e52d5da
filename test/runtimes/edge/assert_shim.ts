/**
 * The part of `node:assert/strict` the behaviour suite uses, for Vercel's Edge runtime (EdgeVM has no
 * `node:` modules): equal, notEqual, deepEqual (strict, structural), ok, match, fail, throws, rejects.
 */

export class AssertionError extends Error {
  override name = "AssertionError";
}

const show = (value: unknown) => {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    return String(value);
  }
};

function fail(message?: string | Error): never {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? "Failed");
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  // By kind, not by prototype: the VM and the host each have their own Array, Object, URL, ….
  if (Object.prototype.toString.call(a) !== Object.prototype.toString.call(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (a instanceof Map || a instanceof Set) return same([...a], [...(b as Map<unknown, unknown>)]);
  if (ArrayBuffer.isView(a)) return same([...(a as unknown as number[])], [...(b as unknown as number[])]);
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) =>
    Object.prototype.hasOwnProperty.call(b, key) && same((a as never)[key], (b as never)[key])
  );
}

type Validator = RegExp | ((error: unknown) => boolean) | (new (...args: never[]) => unknown) | Record<string, unknown>;

function check(error: unknown, expected: Validator | undefined, message?: string): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) fail(message ?? `${String(error)} does not match ${expected}`);
  } else if (typeof expected === "function") {
    if (expected.prototype !== undefined && error instanceof (expected as new () => unknown)) return;
    if (expected.prototype !== undefined && Object.prototype.isPrototypeOf.call(Error, expected)) {
      fail(message ?? `${String(error)} is not a ${expected.name}`);
    }
    if ((expected as (error: unknown) => boolean)(error) !== true) fail(message ?? `validation failed for ${error}`);
  } else {
    for (const [key, value] of Object.entries(expected)) {
      const actual = (error as Record<string, unknown>)?.[key];
      const ok = value instanceof RegExp && typeof actual === "string" ? value.test(actual) : same(actual, value);
      if (!ok) fail(message ?? `${key}: ${show(actual)} !== ${show(value)}`);
    }
  }
}

const assert = {
  AssertionError,
  fail,
  ok(value: unknown, message?: string | Error): asserts value {
    if (!value) fail(message ?? `${show(value)} is not truthy`);
  },
  equal(actual: unknown, expected: unknown, message?: string | Error): void {
    if (!Object.is(actual, expected)) fail(message ?? `${show(actual)} !== ${show(expected)}`);
  },
  notEqual(actual: unknown, expected: unknown, message?: string | Error): void {
    if (Object.is(actual, expected)) fail(message ?? `${show(actual)} === ${show(expected)}`);
  },
  deepEqual(actual: unknown, expected: unknown, message?: string | Error): void {
    if (!same(actual, expected)) fail(message ?? `${show(actual)} is not deeply equal to ${show(expected)}`);
  },
  match(actual: string, expected: RegExp, message?: string | Error): void {
    if (!expected.test(actual)) fail(message ?? `${show(actual)} does not match ${expected}`);
  },
  doesNotMatch(actual: string, expected: RegExp, message?: string | Error): void {
    if (expected.test(actual)) fail(message ?? `${show(actual)} matches ${expected}`);
  },
  throws(run: () => unknown, expected?: Validator | string, message?: string): void {
    try {
      run();
    } catch (error) {
      check(error, typeof expected === "string" ? undefined : expected, message);
      return;
    }
    fail(typeof expected === "string" ? expected : message ?? "Missing expected exception");
  },
  async rejects(
    promise: Promise<unknown> | (() => Promise<unknown>),
    expected?: Validator | string,
    message?: string,
  ): Promise<void> {
    try {
      await (typeof promise === "function" ? promise() : promise);
    } catch (error) {
      check(error, typeof expected === "string" ? undefined : expected, message);
      return;
    }
    fail(typeof expected === "string" ? expected : message ?? "Missing expected rejection");
  },
};

export default assert;
export const { ok, equal, notEqual, deepEqual, match, doesNotMatch, throws, rejects } = assert;
