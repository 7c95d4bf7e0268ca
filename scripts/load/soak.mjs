// A soak: a steady request rate for a long time against Tailor in workerd, the traffic mix of
// stack.mjs, with workerd's resident memory, the isolate's Wasm memory and latency sampled
// every minute. A leak (the wasm-bindgen closures handed to the HTMLRewriter are the first
// suspect) shows as memory that keeps climbing; a slowdown as latency that drifts.
//
// A JavaScript pass-through worker in its own workerd gets the same requests at the same
// times: the baseline for workerd's own memory and latency, measured in the same run.
//
// Usage (after `npm run build`): node scripts/load/soak.mjs [minutes=30] [rate=40] [events=on|off] [gc|nogc] [pass-through|anchor]
// With `off`, the Queue and D1 bindings are left out (see stack.mjs): workerd's memory is then
// Tailor's alone, not also the local event store growing with every new visitor.
// With `gc`, both workers' isolates get a full garbage collection (through workerd's
// inspector) before each sample, and their JS heaps are sampled too: what still grows after a
// forced collection is referenced memory (a leak); what does not was garbage V8 had not yet
// collected.
// With `anchor`, the baseline is the benchmark's anchor instead of the pass-through: a
// JavaScript worker making the VIP's edits with the runtime's HTMLRewriter, so what rewriting
// itself costs the runtime shows in the baseline too.
// Writes one CSV line per minute to target/soak.csv and prints a summary.
import http from "node:http";
import { mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../fixtures.mjs";
import { anchorScript, rssBytes, startPassThrough, startStack, vipPlan } from "./stack.mjs";

const MINUTES = Number(process.argv[2] ?? 30);
const RATE = Number(process.argv[3] ?? 40);
const EVENTS = (process.argv[4] ?? "on") !== "off";
const GC = process.argv[5] === "gc";
const ANCHOR = process.argv[6] === "anchor";
const BASELINE = ANCHOR ? "JS HTMLRewriter" : "pass-through";
const csv = join(ROOT, "target/soak.csv");
mkdirSync(join(ROOT, "target"), { recursive: true });
writeFileSync(
  csv,
  "minute,requests,errors,non_200,p50_ms,p90_ms,p99_ms,max_ms,workerd_rss_mib,wasm_memory_mib,js_heap_mib,baseline_p50_ms,baseline_p99_ms,baseline_rss_mib,baseline_js_heap_mib,idle_close_races,baseline_errors,baseline_idle_close_races\n",
);

const stack = await startStack({ events: EVENTS, inspect: GC });
const baseline = await startPassThrough(stack.origin, {
  inspect: GC,
  ...(ANCHOR ? { script: anchorScript(vipPlan().edits) } : {}),
});
const heaps = GC ? [await stack.inspector(), await baseline.inspector()] : [];

/** Each inspected heap's used size in MiB after a full collection (NaN without `gc`). */
async function collectedHeaps() {
  if (!GC) return [NaN, NaN];
  const used = [];
  for (const heap of heaps) {
    await heap.collectGarbage();
    used.push((await heap.heapUsage()).usedSize / 2 ** 20);
  }
  return used;
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

// NOTE: a keep-alive client can send a request on a connection the server is closing as idle
// at that very moment; the request then fails with ECONNRESET before any response, on a reused
// socket (Node's documented case for `reusedSocket`). Such failures are counted apart as
// `idle-close races`: the server never saw the request. Every other failure is an error.
function get(headers, base = stack.url) {
  return new Promise((resolve) => {
    const started = performance.now();
    let responded = false;
    const failed = (e) => {
      const error = e.code ?? e.message;
      const race = error === "ECONNRESET" && req.reusedSocket && !responded;
      resolve({ ms: performance.now() - started, error, race });
    };
    const req = http.get(`${base}/`, { agent, headers }, (res) => {
      responded = true;
      let bytes = 0;
      res.on("data", (d) => (bytes += d.length));
      res.on("end", () => resolve({ ms: performance.now() - started, status: res.statusCode, bytes }));
      res.on("error", failed);
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout after 10 s")));
    req.on("error", failed);
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const rows = [];
try {
  const interval = 1000 / RATE;
  const start = performance.now();
  let sent = 0;
  let minute = [];
  let baseMinute = [];
  let pending = new Set();
  for (let m = 1; m <= MINUTES; m++) {
    const until = start + m * 60_000;
    // NOTE: requests are started on a fixed schedule whatever the answers, as real traffic is.
    while (performance.now() < until) {
      const due = start + sent * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const visitor = stack.visitors[sent % stack.visitors.length];
      sent++;
      const p = get(visitor.headers).then((r) => {
        minute.push(r);
        pending.delete(p);
      });
      pending.add(p);
      const b = get(visitor.headers, baseline.url).then((r) => {
        baseMinute.push(r);
        pending.delete(b);
      });
      pending.add(b);
    }
    const done = minute;
    minute = [];
    const times = done.map((r) => r.ms).sort((a, b) => a - b);
    const baseTimes = baseMinute.map((r) => r.ms).sort((a, b) => a - b);
    const baseFailures = baseMinute.filter((r) => r.error);
    baseMinute = [];
    const [heap, baseHeap] = await collectedHeaps();
    const health = await stack.health();
    const row = {
      minute: m,
      requests: done.length,
      errors: done.filter((r) => r.error && !r.race).length,
      races: done.filter((r) => r.race).length,
      baseErrors: baseFailures.filter((r) => !r.race).length,
      baseRaces: baseFailures.filter((r) => r.race).length,
      non200: done.filter((r) => !r.error && r.status !== 200).length,
      p50: quantile(times, 0.5),
      p90: quantile(times, 0.9),
      p99: quantile(times, 0.99),
      max: times.at(-1) ?? 0,
      rss: rssBytes(stack.pid) / 2 ** 20,
      wasm: health.wasmMemoryBytes / 2 ** 20,
      baseP50: quantile(baseTimes, 0.5),
      baseP99: quantile(baseTimes, 0.99),
      baseRss: rssBytes(baseline.pid) / 2 ** 20,
      heap,
      baseHeap,
    };
    rows.push(row);
    appendFileSync(csv, `${row.minute},${row.requests},${row.errors},${row.non200},${row.p50.toFixed(2)},${row.p90.toFixed(2)},${row.p99.toFixed(2)},${row.max.toFixed(1)},${row.rss.toFixed(1)},${row.wasm.toFixed(2)},${row.heap.toFixed(2)},${row.baseP50.toFixed(2)},${row.baseP99.toFixed(2)},${row.baseRss.toFixed(1)},${row.baseHeap.toFixed(2)},${row.races},${row.baseErrors},${row.baseRaces}\n`);
    const reasons = [...new Set(done.filter((r) => r.error && !r.race).map((r) => r.error))];
    const raceMs = Math.max(...done.filter((r) => r.race).map((r) => r.ms));
    const races = row.races ? `, ${row.races} idle-close races (failed within ${raceMs.toFixed(1)} ms)` : "";
    const baseFailed = row.baseErrors + row.baseRaces ? ` (${BASELINE}: ${row.baseErrors} errors, ${row.baseRaces} idle-close races)` : "";
    console.log(
      `minute ${m}: ${row.requests} requests, ${row.errors} errors${reasons.length ? ` (${reasons.join(", ")})` : ""}${races}${baseFailed}, ${row.non200} non-200, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, workerd RSS ${row.rss.toFixed(0)} MiB, wasm ${row.wasm.toFixed(1)} MiB${GC ? `, JS heap after GC ${row.heap.toFixed(1)} MiB` : ""}; ${BASELINE} p50 ${row.baseP50.toFixed(1)} ms, p99 ${row.baseP99.toFixed(1)} ms, RSS ${row.baseRss.toFixed(0)} MiB${GC ? `, JS heap after GC ${row.baseHeap.toFixed(1)} MiB` : ""}`,
    );
  }
  await Promise.all(pending);
} finally {
  for (const heap of heaps) heap.close();
  await stack.stop();
  await baseline.stop();
  agent.destroy();
}

const sum = (key) => rows.reduce((s, r) => s + r[key], 0);
const firstFive = rows.slice(1, 6);
const lastFive = rows.slice(-5);
const mean = (rs, key) => rs.reduce((s, r) => s + r[key], 0) / Math.max(1, rs.length);
console.log(`\n${MINUTES} min at ${RATE} req/s (events ${EVENTS ? "on" : "off"}${GC ? ", forced GC before each sample" : ""}): ${sum("requests")} requests, ${sum("errors")} errors, ${sum("races")} idle-close races, ${sum("non200")} non-200`);
console.log(`${BASELINE}, the same requests: ${sum("baseErrors")} errors, ${sum("baseRaces")} idle-close races`);
console.log(`p50: minutes 2-6 ${mean(firstFive, "p50").toFixed(2)} ms, last 5 ${mean(lastFive, "p50").toFixed(2)} ms`);
console.log(`p99: minutes 2-6 ${mean(firstFive, "p99").toFixed(2)} ms, last 5 ${mean(lastFive, "p99").toFixed(2)} ms`);
console.log(`workerd RSS: minute 1 ${rows[0]?.rss.toFixed(0)} MiB, max ${Math.max(...rows.map((r) => r.rss)).toFixed(0)} MiB, last ${rows.at(-1)?.rss.toFixed(0)} MiB`);
console.log(`wasm memory: minute 1 ${rows[0]?.wasm.toFixed(2)} MiB, last ${rows.at(-1)?.wasm.toFixed(2)} MiB`);
if (GC) {
  console.log(`JS heap after a forced GC: minute 1 ${rows[0]?.heap.toFixed(2)} MiB, max ${Math.max(...rows.map((r) => r.heap)).toFixed(2)} MiB, last ${rows.at(-1)?.heap.toFixed(2)} MiB`);
  console.log(`${BASELINE} JS heap after a forced GC: minute 1 ${rows[0]?.baseHeap.toFixed(2)} MiB, last ${rows.at(-1)?.baseHeap.toFixed(2)} MiB`);
}
console.log(`${BASELINE} workerd RSS (baseline): minute 1 ${rows[0]?.baseRss.toFixed(0)} MiB, max ${Math.max(...rows.map((r) => r.baseRss)).toFixed(0)} MiB, last ${rows.at(-1)?.baseRss.toFixed(0)} MiB`);
console.log(`${BASELINE} p50/p99 (baseline): minutes 2-6 ${mean(firstFive, "baseP50").toFixed(2)}/${mean(firstFive, "baseP99").toFixed(2)} ms, last 5 ${mean(lastFive, "baseP50").toFixed(2)}/${mean(lastFive, "baseP99").toFixed(2)} ms`);
console.log(`per-minute figures: ${csv}`);
if (sum("errors") + sum("non200") > 0) process.exitCode = 1;
