import { fromEnv } from "@rapidata/fetch";
import { downloadResults, paginate, typed, uploadFile, waitForJob } from "@rapidata/fetch/api";

// deno run --allow-net --allow-env --allow-read --allow-write workflow.ts <job id> <image> <image> <image>
const [jobId, ...images] = Deno.args;
if (!jobId || images.length === 0) throw new Error("usage: workflow.ts <job id> <image>...");
const api = typed(fromEnv());

// 1. Upload the images: each answer names the file as Rapidata stores it.
for (const path of images) {
  const { fileName } = await uploadFile(api, await Deno.readFile(path), { name: path.split("/").pop()! });
  console.log(`uploaded ${path} as ${fileName}`);
}

// 2. Every completed order, page after page (no request past the last page).
let orders = 0;
for await (const order of paginate(api, "/orders", { query: { state: { eq: "Completed" } }, pageSize: 100 })) {
  orders++;
  console.log(`order ${order.id}: ${order.orderName}`);
}
console.log(`${orders} completed orders`);

// 3. Wait for the job (Failed, or waiting for a person, throws), then stream its results to a file.
const job = await waitForJob(api, jobId, { timeout: 60 * 60_000, onProgress: (state) => console.log(`job: ${state}`) });
const results = await downloadResults(api, "job", job.jobId);
const file = await Deno.open(`results-${job.jobId}.json`, { write: true, create: true, truncate: true });
await results.body!.pipeTo(file.writable);
console.log(`results of ${job.name} in results-${job.jobId}.json`);
