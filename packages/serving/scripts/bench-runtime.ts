// Measures the runtime alone (no HTTP): single-row scoring latency and batch rows/s for a
// 10-feature linear model. Run: npx tsx packages/serving/scripts/bench-runtime.ts
import { createModelRuntime } from "../src/index.ts";
import { linearOnnxModel } from "../src/testing.ts";

const model = linearOnnxModel({ features: 10 });
const runtime = createModelRuntime({ readFile: async () => Buffer.from(model.bytes) });
const loaded = await runtime.acquire({ key: "bench", storePath: "bench", mlmodel: model.view });

const row = model.columns.map((_, i) => i * 0.37);
const body = Buffer.from(JSON.stringify({ dataframe_split: { columns: model.columns, data: [row] } }));
const req = { body, contentType: "application/json" };

async function latency(iterations: number, concurrency: number) {
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < iterations) {
        const t = performance.now();
        await loaded.score(req);
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.floor((times.length - 1) * p)]!.toFixed(3);
  console.log(`single-row, concurrency ${concurrency}: ${(iterations / elapsed).toFixed(0)} req/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
}

await latency(5_000, 1); // warm-up
await latency(20_000, 1);
await latency(20_000, 10);

const total = 1_000_000;
const chunk = 10_000;
const records = Array.from({ length: chunk }, (_, r) => Object.fromEntries(model.columns.map((c, i) => [c, (r % 97) * 0.01 + i])));
await loaded.predictRecords(records);
const start = performance.now();
let scored = 0;
for (let done = 0; done < total; done += chunk) scored += (await loaded.predictRecords(records)).length;
const seconds = (performance.now() - start) / 1000;
console.log(`batch: ${scored} rows in ${seconds.toFixed(2)} s = ${(scored / seconds).toFixed(0)} rows/s (chunks of ${chunk})`);
runtime.release("bench");
