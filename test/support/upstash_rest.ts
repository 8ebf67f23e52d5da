/**
 * A small endpoint speaking Upstash's REST protocol (a POST of one command as a JSON array, answered with
 * `{ result }` or `{ error }`, strings base64-encoded when the client asks with `Upstash-Encoding:
 * base64`) in front of a real Redis, so that @upstash/redis is tested against the same server.
 */
import type { Redis } from "ioredis";

const encode = (value: unknown, base64: boolean): unknown =>
  Array.isArray(value)
    ? value.map((item) => encode(item, base64))
    : typeof value === "string" && base64
    ? btoa(String.fromCharCode(...new TextEncoder().encode(value)))
    : value;

/**
 * A fetch handler for Upstash's REST API on `redis`, accepting the bearer `token`: one command at the
 * base URL, or a list of them at `/pipeline` (answered with a list of results; the client's auto-
 * pipelining sends those).
 */
export function upstashRest(redis: Redis, token: string): (request: Request) => Promise<Response> {
  const run = async (command: (string | number)[], base64: boolean) => {
    try {
      const [name, ...args] = command.map(String);
      return { result: encode(await redis.call(name!, ...args), base64) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  return async (request) => {
    if (request.headers.get("authorization") !== `Bearer ${token}`) {
      return Response.json({ error: "Unauthorized" }, { status: 401 });
    }
    const base64 = request.headers.get("upstash-encoding") === "base64";
    const body = await request.json() as (string | number)[] | (string | number)[][];
    if (new URL(request.url).pathname.endsWith("/pipeline")) {
      const results = [];
      for (const command of body as (string | number)[][]) results.push(await run(command, base64));
      return Response.json(results);
    }
    const answer = await run(body as (string | number)[], base64);
    return Response.json(answer, { status: "error" in answer ? 400 : 200 });
  };
}
