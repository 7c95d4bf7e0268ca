// Where a personalized page view's CPU goes in the page Worker: V8's sampling profiler, through
// workerd's inspector, over N requests for the VIP (the benchmark's origin, the fixture config).
// Functions are grouped by self time: Wasm (our code, by name), the wasm-bindgen glue, the
// runtime's HTMLRewriter and fetch, Miniflare's KV simulator, and the rest.
//
// Usage: bash scripts/build.sh page-profiling && node scripts/bench/profile.mjs [requests] [page]
//   NOTHING=1: a config with no slots and no experiments (nothing applies); TOP=n; FOCUS=name
//   (the profiling build keeps the Wasm's function names: build-profiling/)
import { spawn } from "node:child_process";
import http from "node:http";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, kvEntries } from "../fixtures.mjs";
import { isPageWorkerTarget, migrate, workerOptions } from "../miniflare.mjs";
import { connectInspector } from "../load/inspector.mjs";
import { BROWSER } from "../load/stack.mjs";

const REQUESTS = Number(process.argv[2] ?? 1000);
const PAGE = process.argv[3] ?? "small";

const originProcess = spawn(process.execPath, [join(ROOT, "scripts/bench/origin.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
const origin = await new Promise((resolve) => originProcess.stdout.once("data", (d) => resolve(String(d).trim().split(" ")[0])));

const options = workerOptions({
  origin,
  bindings: { CONFIG_TTL_SECONDS: "3600", KV_TIMEOUT_MS: "2000", DEMO: "true", TAILOR_ID_KEY: "benchmark-visitor-id-key-0123456789abcdef" },
});
options.workers[0].scriptPath = join(ROOT, "build-profiling/worker/shim.mjs");
const mf = new Miniflare({ ...options, inspectorPort: 0, unsafeInspectorProxy: true, handleRuntimeStdio: (o, e) => { o.resume(); e.resume(); } });
const url = String(await mf.ready).replace(/\/$/, "");
await migrate(mf);
const kv = await mf.getKVNamespace("TAILOR_KV");
// NOTHING=1: the fixture config without slots and experiments (the benchmark's "nothing applies").
const nothing = (text) => JSON.stringify({ ...JSON.parse(text), slots: [], experiments: [] });
for (const { key, value } of kvEntries()) await kv.put(key, key === "config" && process.env.NOTHING ? nothing(value) : value);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const cookies = new Map();
const keep = (lines) => {
  for (const line of lines ?? []) {
    const pair = line.split(";")[0];
    const eq = pair.indexOf("=");
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
};
const get = (path) =>
  new Promise((resolve, reject) => {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    http.get(`${url}${path}`, { agent, headers: { "user-agent": BROWSER, accept: "text/html", ...(cookie ? { cookie } : {}) } }, (res) => {
      keep(res.headers["set-cookie"]);
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode));
      res.on("error", reject);
    }).on("error", reject);
  });
const persona = await fetch(`${url}/__tailor/persona/vip`, { redirect: "manual", headers: { "user-agent": BROWSER } });
keep(persona.headers.getSetCookie());
for (let i = 0; i < 100; i++) await get(`/${PAGE}`);

// The page Worker's isolate in the inspector.
const inspector = await connectInspector(mf, () => get(`/${PAGE}`), isPageWorkerTarget);
const call = inspector.send;
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 50 });
await call("Profiler.start");
for (let i = 0; i < REQUESTS; i++) await get(`/${PAGE}`);
const { profile } = await call("Profiler.stop");

const intervalMs = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (const id of profile.samples) {
  const { functionName, url: script } = byNode.get(id).callFrame;
  const key = `${functionName || "(anonymous)"}\t${script.split("/").pop()}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
const group = (name, script) => {
  if (/\.wasm/.test(script)) return /tailor::/.test(name) ? "Wasm: Tailor's own functions" : "Wasm: std, alloc, serde_json, regex-lite, wasm-bindgen, worker";
  if (/^\((idle|program|garbage collector)\)$/.test(name)) return name;
  if (/index\.js$|shim/.test(script)) return "JS: wasm-bindgen glue and shim";
  if (script) return `JS: ${script}`;
  return "the runtime (native: fetch, HTMLRewriter, KV, streams)";
};
const groups = new Map();
for (const [key, hits] of self) {
  const [name, script] = key.split("\t");
  const g = group(name, script);
  groups.set(g, (groups.get(g) ?? 0) + hits);
}
const ms = (hits) => (hits * intervalMs) / REQUESTS;
console.log(`${REQUESTS} requests for /${PAGE} as the VIP; ${total} samples; ${(intervalMs * 1000).toFixed(0)} µs each; per request:`);
for (const [g, hits] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${ms(hits).toFixed(3)} ms  ${(100 * hits / total).toFixed(1)}%  ${g}`);
console.log("\nTop functions by self time (ms per request):");
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${ms(hits).toFixed(3)}  ${key.replace("\t", "  ")}`);
// Inclusive time of our own functions (each sample counted once per function on its stack).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const id of profile.samples) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const name = byNode.get(at).callFrame.functionName.replace(/::h[0-9a-f]{16}$/, "");
    if (!/tailor::/.test(name) || seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
  }
}
console.log("\nOur functions by inclusive time (ms per request):");
for (const [name, hits] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 45))) console.log(`  ${ms(hits).toFixed(3)}  ${name.slice(0, 150)}`);
// FOCUS=<function name part>: who calls it (the Rust frames above it, per sample).
if (process.env.FOCUS) {
  const callers = new Map();
  for (const id of profile.samples) {
    if (!byNode.get(id).callFrame.functionName.includes(process.env.FOCUS)) continue;
    let at = parent.get(id);
    while (at !== undefined && !/tailor::/.test(byNode.get(at).callFrame.functionName)) at = parent.get(at);
    const name = at === undefined ? "(no Rust caller)" : byNode.get(at).callFrame.functionName.replace(/::h[0-9a-f]{16}$/, "");
    callers.set(name, (callers.get(name) ?? 0) + 1);
  }
  console.log(`\nCallers of ${process.env.FOCUS} (ms per request):`);
  for (const [name, hits] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${ms(hits).toFixed(3)}  ${name.slice(0, 150)}`);
}
inspector.close();
await mf.dispose();
originProcess.kill();
agent.destroy();
