import { DurableObject } from "cloudflare:workers";
import { fromEnv } from "@rapidata/fetch";
import { checkJob, RapidataWaitError, typed } from "@rapidata/fetch/api";

// A Worker request cannot wait minutes for a job, so a Durable Object does: each alarm looks at the
// job once (checkJob) and, unless it is finished, sets the next alarm a little later.
type Env = {
  WATCHER: DurableObjectNamespace<JobWatcher>;
  RAPIDATA_CLIENT_ID: string;
  RAPIDATA_CLIENT_SECRET: string;
  POLL_INTERVAL_MS?: string;
};

interface Watch {
  jobId: string;
  state: string;
  done: boolean;
  regenerated: boolean;
  nextWait: number;
  error?: { code: string; message: string };
}

const LONGEST_WAIT = 15 * 60_000;

export class JobWatcher extends DurableObject<Env> {
  private readonly api = typed(fromEnv(this.env));

  async watch(jobId: string): Promise<Watch> {
    const existing = await this.ctx.storage.get<Watch>("watch");
    if (existing) return existing;
    const first = Number(this.env.POLL_INTERVAL_MS ?? 60_000);
    const watch: Watch = { jobId, state: "Unknown", done: false, regenerated: false, nextWait: first };
    await this.ctx.storage.put("watch", watch);
    await this.ctx.storage.setAlarm(Date.now());
    return watch;
  }

  async status(): Promise<Watch | undefined> {
    return await this.ctx.storage.get<Watch>("watch");
  }

  override async alarm(): Promise<void> {
    const watch = await this.ctx.storage.get<Watch>("watch");
    if (!watch || watch.done) return;
    try {
      // Stale results are regenerated once per watch, as waitForJob does.
      const check = await checkJob(this.api, watch.jobId, { regenerate: !watch.regenerated });
      watch.state = check.state;
      watch.done = check.done;
      watch.regenerated ||= check.regenerated;
    } catch (error) {
      // Failed, or waiting for a person: the watch ends. Anything else throws, and the runtime
      // retries the alarm with its own backoff.
      if (!(error instanceof RapidataWaitError)) throw error;
      Object.assign(watch, { state: error.state, done: true, error: { code: error.code, message: error.message } });
    }
    if (!watch.done) {
      await this.ctx.storage.setAlarm(Date.now() + watch.nextWait);
      watch.nextWait = Math.min(LONGEST_WAIT, watch.nextWait * 1.5);
    }
    await this.ctx.storage.put("watch", watch);
  }
}

export default {
  // POST /jobs/<id> starts watching a job; GET /jobs/<id> tells how it stands.
  async fetch(request: Request, env: Env): Promise<Response> {
    const jobId = /^\/jobs\/([^/]+)$/.exec(new URL(request.url).pathname)?.[1];
    if (!jobId) return new Response("not found", { status: 404 });
    const watcher = env.WATCHER.get(env.WATCHER.idFromName(jobId));
    const watch = request.method === "POST" ? await watcher.watch(decodeURIComponent(jobId)) : await watcher.status();
    return watch ? Response.json(watch) : new Response("not watched", { status: 404 });
  },
};
