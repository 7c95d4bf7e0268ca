// Side-by-side benchmark in workerd: Tailor against a JavaScript pass-through worker (the
// floor) and a JavaScript worker making the same edits with the runtime's HTMLRewriter (the
// anchor), on a ~122 KB and a ~700 KB page, with the origin in a separate process. Each worker
// runs in its own workerd process; variants are interleaved in rounds so machine drift hits
// them alike. Reports latency percentiles from a keep-alive client, CPU per request (from
// /proc/<pid>/stat of each workerd), workerd memory, and time to first byte with a slow origin.
//
// Usage (after `npm run build`): node scripts/bench/compare.mjs [rounds] [requests-per-block]
import { spawn } from "node:child_process";
import http from "node:http";
import { Miniflare } from "miniflare";
import { configText, kvEntries } from "../fixtures.mjs";
import { migrate, workerOptions } from "../miniflare.mjs";
import { PASS_THROUGH, anchorScript, cpuMs, rssBytes, vipPlan, workerdPids } from "../load/stack.mjs";

const ROUNDS = Number(process.argv[2] ?? 5);
const PER_BLOCK = Number(process.argv[3] ?? 100);
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

// --- the origin, in its own process -------------------------------------------------------
const originProcess = spawn(process.execPath, [new URL("./origin.mjs", import.meta.url).pathname], { stdio: ["ignore", "pipe", "inherit"] });
const [origin, smallBytes, largeBytes] = await new Promise((resolve) =>
  originProcess.stdout.once("data", (d) => resolve(String(d).trim().split(" "))),
);

// --- the plan Tailor makes for the VIP, for the JavaScript anchor ---------------------------
const plan = vipPlan();
const ANCHOR = anchorScript(plan.edits);



// --- workers, each in its own workerd ------------------------------------------------------
async function start(name, options, setup = async () => {}) {
  const before = workerdPids();
  const mf = new Miniflare({ ...options, host: "127.0.0.1", port: 0 });
  const url = String(await mf.ready).replace(/\/$/, "");
  const pid = [...workerdPids()].find((p) => !before.has(p));
  const cookies = new Map();
  for (const pair of (await setup(mf, url))?.cookie?.split("; ") ?? []) {
    const eq = pair.indexOf("=");
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  // NOTE: a browser's cookie jar: what the worker sets comes back on the next request, so
  // sticky assignments and the audit's daily record behave as they do for a real shopper.
  const worker = {
    name, mf, url, pid,
    get headers() {
      const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      return cookie ? { "user-agent": BROWSER, cookie } : { "user-agent": BROWSER };
    },
    keep(setCookies) {
      for (const line of setCookies ?? []) {
        const pair = line.split(";")[0];
        const eq = pair.indexOf("=");
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
    },
  };
  return worker;
}

const scriptWorker = (script) => ({ modules: true, script, compatibilityDate: "2026-04-20", bindings: { ORIGIN: origin } });

async function tailorWorker(config) {
  return async (mf, url) => {
    await migrate(mf);
    const kv = await mf.getKVNamespace("TAILOR_KV");
    for (const { key, value } of kvEntries()) await kv.put(key, key === "config" ? config : value);
    // The VIP persona's cookies, as the demo's persona switch sets them.
    const res = await fetch(`${url}/__tailor/persona/vip`, { redirect: "manual", headers: { "user-agent": BROWSER } });
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    return { cookie };
  };
}

// NOTE: without TAILOR_ID_KEY every visitor would be anonymous (no persona, no profile read).
const tailorOptions = () =>
  workerOptions({ origin, bindings: { CONFIG_TTL_SECONDS: "3600", KV_TIMEOUT_MS: "2000", DEMO: "true", TAILOR_ID_KEY: "benchmark-visitor-id-key-0123456789abcdef" } });
const nothingApplies = JSON.stringify({ ...JSON.parse(configText()), slots: [], experiments: [] });

const workers = [
  await start("JS pass-through (floor)", scriptWorker(PASS_THROUGH)),
  await start("JS HTMLRewriter, same edits (anchor)", scriptWorker(ANCHOR)),
  await start("Tailor, VIP (experiment, recommendations)", tailorOptions(), await tailorWorker(configText())),
  await start("Tailor, nothing applies", tailorOptions(), await tailorWorker(nothingApplies)),
];

// --- measurement ---------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url, headers, worker) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let firstByte;
    const req = http.get(url, { agent, headers }, (res) => {
      worker?.keep(res.headers["set-cookie"]);
      let bytes = 0;
      res.on("data", (chunk) => {
        firstByte ??= process.hrtime.bigint();
        bytes += chunk.length;
      });
      res.on("end", () => {
        const ms = (t) => Number(t - started) / 1e6;
        resolve({ status: res.statusCode, bytes, total: ms(process.hrtime.bigint()), ttfb: ms(firstByte ?? process.hrtime.bigint()) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const pages = [["small", smallBytes], ["large", largeBytes]];
const results = new Map(); // `${worker}|${page}` → { latencies, cpuMs, requests }
const rssMiB = (pid) => rssBytes(pid) / 2 ** 20;
for (const w of workers) w.rssBefore = rssMiB(w.pid);

// Warm up every isolate (config load, JIT) before measuring.
for (const w of workers) for (const [page] of pages) for (let i = 0; i < 20; i++) await get(`${w.url}/${page}`, w.headers, w);

for (let round = 0; round < ROUNDS; round++) {
  for (const [page] of pages) {
    for (const w of workers) {
      const key = `${w.name}|${page}`;
      const entry = results.get(key) ?? { latencies: [], cpuMs: 0, requests: 0 };
      const before = cpuMs(w.pid);
      for (let i = 0; i < PER_BLOCK; i++) {
        const r = await get(`${w.url}/${page}`, w.headers, w);
        if (r.status !== 200) throw new Error(`${key}: status ${r.status}`);
        entry.latencies.push(r.total);
      }
      entry.cpuMs += cpuMs(w.pid) - before;
      entry.requests += PER_BLOCK;
      results.set(key, entry);
    }
  }
}

// Time to first byte behind a slow origin (first 8 KB at once, the rest 300 ms later).
const ttfb = new Map();
const direct = [];
for (let i = 0; i < 10; i++) direct.push((await get(`${origin}/slow`, { "user-agent": BROWSER })).ttfb);
for (const w of workers) {
  const samples = [];
  for (let i = 0; i < 10; i++) samples.push((await get(`${w.url}/slow`, w.headers, w)).ttfb);
  ttfb.set(w.name, samples);
}

// --- report --------------------------------------------------------------------------------
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const median = (xs) => percentile(xs, 50);
const fmt = (x, digits = 2) => x.toFixed(digits);

const lines = [];
lines.push(`Pages: small ${(smallBytes / 1024).toFixed(0)} KiB, large ${(largeBytes / 1024).toFixed(0)} KiB; ${ROUNDS} rounds × ${PER_BLOCK} requests per worker and page, interleaved; keep-alive client, one request at a time.`);
lines.push("");
lines.push("| worker | page | p50 ms | p90 ms | p99 ms | CPU ms/request | CPU × pass-through | CPU × JS HTMLRewriter |");
lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
const cpu = (name, page) => {
  const e = results.get(`${name}|${page}`);
  return e.cpuMs / e.requests;
};
for (const [page] of pages) {
  for (const w of workers) {
    const e = results.get(`${w.name}|${page}`);
    const c = cpu(w.name, page);
    lines.push(`| ${w.name} | ${page} | ${fmt(percentile(e.latencies, 50))} | ${fmt(percentile(e.latencies, 90))} | ${fmt(percentile(e.latencies, 99))} | ${fmt(c)} | ${fmt(c / cpu(workers[0].name, page))} | ${fmt(c / cpu(workers[1].name, page))} |`);
  }
}
lines.push("");
lines.push(`Time to first byte, slow origin (median of 10): origin directly ${fmt(median(direct))} ms; ` +
  workers.map((w) => `${w.name} ${fmt(median(ttfb.get(w.name)))} ms`).join("; ") + ".");
lines.push("");
lines.push("workerd memory (RSS, MiB) before → after: " + workers.map((w) => `${w.name} ${fmt(w.rssBefore, 0)} → ${fmt(rssMiB(w.pid), 0)}`).join("; ") + ".");
console.log(lines.join("\n"));

for (const w of workers) await w.mf.dispose();
originProcess.kill();
agent.destroy();
