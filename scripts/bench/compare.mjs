// Side-by-side benchmark in workerd: Tailor against a JavaScript pass-through worker (the
// floor), a JavaScript worker making the same edits with the runtime's HTMLRewriter (the
// anchor) and GrowthBook's edge app making the same edits as a visual-editor experiment (the
// peer), on a ~122 KB and a ~700 KB page, with the origin in a separate process. The two JS
// workers also run with the profile's KV read Tailor makes, since Miniflare's KV works inside
// the measured workerd (a cost production does not charge to the worker). Each worker
// runs in its own workerd process; variants are interleaved in rounds so machine drift hits
// them alike. Before measuring, each worker that edits must show the VIP plan's edits in its
// page. Reports latency percentiles from a keep-alive client (one request at a time), CPU per
// request (from /proc/<pid>/stat of each workerd), throughput under a bounded concurrent load
// (wrk), cold start, workerd memory, and time to first byte with a slow origin. Prints the
// tables and writes them, with the machine and the parameters, as markdown to --out.
//
// Usage (after `npm run build`):
//   node scripts/bench/compare.mjs [rounds] [requests-per-block] [--wrk-seconds 5]
//     [--wrk-connections 8] [--wrk-threads 1] [--cold-starts 3] [--ttfb-samples 10]
//     [--out target/bench/compare.md] [--tailor-build label=dir ...]
// `--wrk-seconds 0` leaves out the wrk runs. `--tailor-build o3=target/bench/build-o3` adds the
// VIP on another build of the page Worker (worker-build's --out-dir, inside the repository:
// Miniflare resolves the modules from here), e.g. to weigh a compiler setting.
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify, parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { ROOT, configText, kvEntries } from "../fixtures.mjs";
import { migrate, workerOptions } from "../miniflare.mjs";
import { PASS_THROUGH, anchorScript, cpuMs, rssBytes, vipPlan, workerdPids } from "../load/stack.mjs";
import { INEXACT, growthbookOptions, toDomMutation } from "./growthbook.mjs";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "wrk-seconds": { type: "string", default: "5" },
    "wrk-connections": { type: "string", default: "8" },
    "wrk-threads": { type: "string", default: "1" },
    "cold-starts": { type: "string", default: "3" },
    "ttfb-samples": { type: "string", default: "10" },
    out: { type: "string", default: "target/bench/compare.md" },
    "tailor-build": { type: "string", multiple: true, default: [] },
  },
});
const ROUNDS = Number(positionals[0] ?? 5);
const PER_BLOCK = Number(positionals[1] ?? 100);
const WRK_SECONDS = Number(flags["wrk-seconds"]);
const WRK_CONNECTIONS = Number(flags["wrk-connections"]);
const WRK_THREADS = Number(flags["wrk-threads"]);
const COLD_STARTS = Number(flags["cold-starts"]);
const TTFB_SAMPLES = Number(flags["ttfb-samples"]);
const OUT = resolve(ROOT, flags.out);
for (const [name, value] of Object.entries({ ROUNDS, PER_BLOCK, WRK_SECONDS, WRK_CONNECTIONS, WRK_THREADS, COLD_STARTS, TTFB_SAMPLES })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`bad parameter ${name}: ${value}`);
}
// wrk runs last: find out now, not after the rest of the run, that it is missing.
if (WRK_SECONDS > 0 && spawnSync("wrk", ["--version"]).error) {
  throw new Error("wrk is not installed (apt install wrk), or pass --wrk-seconds 0 to leave out the throughput runs");
}
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

// --- the origin, in its own process -------------------------------------------------------
const originProcess = spawn(process.execPath, [new URL("./origin.mjs", import.meta.url).pathname], { stdio: ["ignore", "pipe", "inherit"] });
const [origin, smallBytes, largeBytes] = await new Promise((resolve) =>
  originProcess.stdout.once("data", (d) => resolve(String(d).trim().split(" "))),
);
const tmp = mkdtempSync(join(os.tmpdir(), "tailor-bench-"));
// NOTE: also when a check throws, so no origin process or temp dir is left behind.
process.on("exit", () => {
  originProcess.kill();
  rmSync(tmp, { recursive: true, force: true });
});

// --- the plan Tailor makes for the VIP, for the JavaScript anchor and the GrowthBook peer ---
const plan = vipPlan();
const ANCHOR = anchorScript(plan.edits);
// The anchor with Tailor's I/O: it also reads the visitor's profile from KV (in parallel with
// the origin fetch, as Tailor does). Under Miniflare, KV is simulated inside the same workerd,
// so this shows what that read costs there, a cost production charges to no worker's CPU.
const VIP_PROFILE_KEY = kvEntries().map((e) => e.key).find((k) => k.startsWith("profile:") && /vip/i.test(k));
const ANCHOR_WITH_KV = ANCHOR.replace(
  "const response = await fetch(env.ORIGIN + url.pathname + url.search, { headers: request.headers });",
  `const [response, profile] = await Promise.all([
      fetch(env.ORIGIN + url.pathname + url.search, { headers: request.headers }),
      env.TAILOR_KV.get(${JSON.stringify(VIP_PROFILE_KEY)}),
    ]);
    if (!JSON.parse(profile ?? "null")) throw new Error("no profile");`,
);
const PASS_THROUGH_WITH_KV = PASS_THROUGH.replace(
  "return fetch(env.ORIGIN + url.pathname + url.search, { headers: request.headers });",
  `const [response, profile] = await Promise.all([
      fetch(env.ORIGIN + url.pathname + url.search, { headers: request.headers }),
      env.TAILOR_KV.get(${JSON.stringify(VIP_PROFILE_KEY)}),
    ]);
    if (!JSON.parse(profile ?? "null")) throw new Error("no profile");
    return response;`,
);
if (ANCHOR_WITH_KV === ANCHOR || PASS_THROUGH_WITH_KV === PASS_THROUGH || !VIP_PROFILE_KEY) {
  throw new Error("could not build the JS workers with a profile read");
}
const GROWTHBOOK = await growthbookOptions(tmp, { origin, edits: plan.edits });

// --- workers, each in its own workerd ------------------------------------------------------
const scriptWorker = (script) => ({ modules: true, script, compatibilityDate: "2026-04-20", bindings: { ORIGIN: origin } });

// NOTE: without TAILOR_ID_KEY every visitor would be anonymous (no persona, no profile read).
const tailorOptions = () =>
  workerOptions({ origin, bindings: { CONFIG_TTL_SECONDS: "3600", KV_TIMEOUT_MS: "2000", DEMO: "true", TAILOR_ID_KEY: "benchmark-visitor-id-key-0123456789abcdef" } });
const nothingApplies = JSON.stringify({ ...JSON.parse(configText()), slots: [], experiments: [] });

/** The fixtures in a JS worker's KV (the profile its read gets). */
const seedKv = async (mf) => {
  const kv = await mf.getKVNamespace("TAILOR_KV");
  for (const { key, value } of kvEntries()) await kv.put(key, value);
};

/** Tailor's state, through Miniflare's own KV and D1 APIs (they do not run the worker). */
const seedTailor = (config) => async (mf) => {
  await migrate(mf);
  const kv = await mf.getKVNamespace("TAILOR_KV");
  for (const { key, value } of kvEntries()) await kv.put(key, key === "config" ? config : value);
};

/** The VIP persona's cookies, as the demo's persona switch sets them. */
async function vipCookie(url) {
  const res = await fetch(`${url}/__tailor/persona/vip`, { redirect: "manual", headers: { "user-agent": BROWSER } });
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  if (res.status !== 303 || !cookie) throw new Error(`persona switch: status ${res.status}`);
  return cookie;
}

// `edits`: the worker must show the VIP plan's edits in its pages (checked before measuring).
const FLOOR = "JS pass-through (floor)";
const FLOOR_KV_NAME = "JS pass-through + the profile's KV read";
const ANCHOR_NAME = "JS HTMLRewriter, same edits (anchor)";
const ANCHOR_KV_NAME = "JS HTMLRewriter, same edits + the profile's KV read";
const PEER = "GrowthBook edge app, same edits (peer)";
const TAILOR_VIP = "Tailor, VIP (experiment, recommendations)";
const TAILOR_NONE = "Tailor, nothing applies";
const WASM_FLOOR = "Rust/Wasm pass-through + the profile's KV read (nothing decided)";
// The Wasm floor (`bash scripts/build.sh page-floor`): Tailor's entry, origin fetch and KV read
// with no decision, which tells what a Rust Worker pays here from what Tailor's decision costs.
const FLOOR_BUILD = join(ROOT, "build-floor/worker/shim.mjs");
const hasFloorBuild = existsSync(FLOOR_BUILD);
if (!hasFloorBuild) console.log("(no build-floor/: run `bash scripts/build.sh page-floor` to measure the Rust/Wasm floor too)");
const variants = [
  { name: FLOOR, options: () => scriptWorker(PASS_THROUGH) },
  { name: FLOOR_KV_NAME, options: () => ({ ...scriptWorker(PASS_THROUGH_WITH_KV), kvNamespaces: ["TAILOR_KV"] }), seed: seedKv },
  { name: ANCHOR_NAME, options: () => scriptWorker(ANCHOR), edits: true },
  {
    name: ANCHOR_KV_NAME,
    options: () => ({ ...scriptWorker(ANCHOR_WITH_KV), kvNamespaces: ["TAILOR_KV"] }),
    seed: seedKv,
    edits: true,
  },
  { name: PEER, options: () => GROWTHBOOK, edits: true },
  { name: TAILOR_VIP, options: tailorOptions, seed: seedTailor(configText()), vip: true, edits: true },
  { name: TAILOR_NONE, options: tailorOptions, seed: seedTailor(nothingApplies), vip: true },
  ...(hasFloorBuild
    ? [{
        name: WASM_FLOOR,
        options: () => {
          const o = workerOptions({ origin, bindings: { FLOOR_PROFILE_KEY: VIP_PROFILE_KEY, KV_TIMEOUT_MS: "2000" } });
          o.workers[0].scriptPath = FLOOR_BUILD;
          return o;
        },
        seed: seedKv,
      }]
    : []),
  ...flags["tailor-build"].map((spec) => {
    const [label, dir] = spec.split("=");
    if (!label || !dir) throw new Error(`--tailor-build wants label=dir, got "${spec}"`);
    if (relative(ROOT, resolve(ROOT, dir)).startsWith("..")) {
      throw new Error(`--tailor-build: ${dir} is outside the repository; build into it (e.g. target/bench/build-${label})`);
    }
    const options = () => {
      const o = tailorOptions();
      o.workers[0].scriptPath = join(resolve(ROOT, dir), "worker/shim.mjs");
      return o;
    };
    return { name: `${TAILOR_VIP}, build ${label}`, options, seed: seedTailor(configText()), vip: true, edits: true };
  }),
];

const parentPid = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
  } catch {
    return undefined; // gone meanwhile
  }
};
/** The workerd our Miniflare just started: new since `before` and our own child (other work on
 *  the machine may start workerd processes at the same moment). */
function newWorkerdPid(before) {
  const ours = [...workerdPids()].filter((p) => !before.has(p) && parentPid(p) === process.pid);
  if (ours.length !== 1) throw new Error(`expected one new workerd of ours, found ${ours.length}`);
  return ours[0];
}

async function start(variant) {
  const before = workerdPids();
  const mf = new Miniflare({ ...variant.options(), host: "127.0.0.1", port: 0 });
  const url = String(await mf.ready).replace(/\/$/, "");
  const pid = newWorkerdPid(before);
  await variant.seed?.(mf);
  const cookies = new Map();
  for (const pair of (variant.vip ? await vipCookie(url) : "").split("; ").filter(Boolean)) {
    const eq = pair.indexOf("=");
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  // NOTE: a browser's cookie jar: what the worker sets comes back on the next request, so
  // sticky assignments and the audit's daily record behave as they do for a real shopper.
  return {
    ...variant, mf, url, pid,
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
}

const workers = [];
for (const variant of variants) workers.push(await start(variant));
const byName = (name) => workers.find((w) => w.name === name);

// --- measurement ---------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// A request sent on a kept-alive connection just as workerd closes it for idleness fails with
// ECONNRESET before any response (Node's documented case for `reusedSocket`): the worker never
// saw it. It is sent again on a new connection and counted per host, as the soak does; every
// other failure stops the run.
const idleCloseRaces = new Map();

/** One GET; `body: true` keeps the text, `fresh: true` uses a new connection. */
function get(url, headers, worker, { body = false, fresh = false } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let firstByte;
    let responded = false;
    const req = http.get(url, { agent: fresh ? false : agent, headers }, (res) => {
      responded = true;
      worker?.keep(res.headers["set-cookie"]);
      let bytes = 0;
      const chunks = [];
      res.on("data", (chunk) => {
        firstByte ??= process.hrtime.bigint();
        bytes += chunk.length;
        if (body) chunks.push(chunk);
      });
      res.on("end", () => {
        const ms = (t) => Number(t - started) / 1e6;
        const text = body ? Buffer.concat(chunks).toString("utf8") : undefined;
        resolve({ status: res.statusCode, bytes, body: text, total: ms(process.hrtime.bigint()), ttfb: ms(firstByte ?? process.hrtime.bigint()) });
      });
      res.on("error", reject);
    });
    req.on("error", (error) => {
      if (error.code === "ECONNRESET" && req.reusedSocket && !responded) {
        const host = new URL(url).host;
        idleCloseRaces.set(host, (idleCloseRaces.get(host) ?? 0) + 1);
        resolve(get(url, headers, worker, { body, fresh: true }));
      } else {
        reject(error);
      }
    });
  });
}

/** The start tags of the element a one-compound selector names by its slot, e.g.
 *  `a[data-tailor-slot=cta]` (enough for the plan's attribute edits). */
function slotTags(page, selector) {
  const slot = /data-tailor-slot=["']?([\w-]+)/.exec(selector)?.[1];
  if (!slot || /\s/.test(selector.trim())) throw new Error(`edit check: cannot find the element of "${selector}"`);
  const named = new RegExp(`\\sdata-tailor-slot=(["']?)${slot}\\1[\\s/>]`);
  return (page.match(/<[a-zA-Z][^>]*>/g) ?? []).filter((tag) => named.test(tag));
}
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const hasAttribute = (tag, name, value) =>
  new RegExp(`\\s${escapeRe(name)}${value === undefined ? "" : `=(["']?)${escapeRe(value)}\\1`}[\\s/>=]`).test(tag);

/** The plan's edits that `body` does not show. Scripts are left out first: GrowthBook's
 *  injected script carries its payload, the edits' HTML included, which must not count. */
function missingEdits(body, edits) {
  const page = body.replace(/<script\b[\s\S]*?<\/script>/gi, "");
  return edits.filter((edit) => {
    switch (edit.action) {
      case "setInnerContent": return !page.includes(`>${edit.html}</`);
      case "append": case "prepend": case "before": case "after": case "replace": return !page.includes(edit.html);
      case "setAttribute": { const tags = slotTags(page, edit.selector); return !tags.length || !tags.every((t) => hasAttribute(t, edit.name, edit.value)); }
      case "removeAttribute": { const tags = slotTags(page, edit.selector.replace(`[${edit.name}]`, "")); return !tags.length || tags.some((t) => hasAttribute(t, edit.name)); }
      default: throw new Error(`edit check: no check for the "${edit.action}" edit`);
    }
  });
}

const pages = [["small", smallBytes], ["large", largeBytes]];
const responseBytes = new Map(); // `${worker}|${page}` → bytes of the page as served
for (const w of workers) {
  for (const [page] of pages) {
    const r = await get(`${w.url}/${page}`, w.headers, w, { body: true });
    if (r.status !== 200) throw new Error(`${w.name} /${page}: status ${r.status}`);
    responseBytes.set(`${w.name}|${page}`, r.bytes);
    if (!w.edits) continue;
    const missing = missingEdits(r.body, plan.edits);
    if (missing.length) {
      const list = missing.map((e) => `  ${e.action} ${e.selector}: ${(e.html ?? `${e.name}=${e.value ?? ""}`).slice(0, 80)}`).join("\n");
      throw new Error(`EDITS MISSING: ${w.name} /${page} does not show ${missing.length} of the plan's ${plan.edits.length} edits:\n${list}`);
    }
  }
}
// An edit the origin's own page already shows changes nothing here, so its check proves nothing.
const originPage = (await get(`${origin}/small`, { "user-agent": BROWSER }, undefined, { body: true })).body;
const stillMissing = new Set(missingEdits(originPage, plan.edits));
const noOps = plan.edits.filter((e) => !stillMissing.has(e)).map((e) => `${e.action}${e.name ? ` ${e.name}` : ""} on \`${e.selector}\``);
const checked = `${workers.filter((w) => w.edits).map((w) => w.name).join("; ")}: each page (small and large) shows all ${plan.edits.length} of the VIP plan's edits` +
  (noOps.length ? ` (${noOps.length} of them already hold on the origin's page, so their check proves nothing: ${noOps.join(", ")})` : "") + ".";
console.log(`Edits checked: ${checked}`);

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

// Throughput under a bounded concurrent load: wrk, a fixed number of keep-alive connections.
const run = promisify(execFile);
const wrkMs = (value, unit) => Number(value) * { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[unit];
async function wrk(url, headers) {
  const args = [`-t${WRK_THREADS}`, `-c${WRK_CONNECTIONS}`, `-d${WRK_SECONDS}s`, "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const { stdout } = await run("wrk", [...args, url]);
  const match = (re) => re.exec(stdout);
  const latency = (p) => {
    const m = match(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m"));
    return m ? wrkMs(m[1], m[2]) : NaN;
  };
  const socket = match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const requests = match(/(\d+) requests in/);
  const rps = match(/Requests\/sec:\s+([\d.]+)/);
  if (!requests || !rps) throw new Error(`wrk: cannot read its output:\n${stdout}`);
  return {
    requests: Number(requests[1]),
    rps: Number(rps[1]),
    p50: latency(50),
    p99: latency(99),
    non2xx: Number(match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    socketDetail: socket ? `connect ${socket[1]}, read ${socket[2]}, write ${socket[3]}, timeout ${socket[4]}` : "none",
  };
}
const load = new Map(); // `${worker}|${page}` → wrk result with cpuMs per request
if (WRK_SECONDS > 0) {
  for (const [page] of pages) {
    for (const w of workers) {
      const before = cpuMs(w.pid);
      const r = await wrk(`${w.url}/${page}`, w.headers);
      r.cpuPerRequest = (cpuMs(w.pid) - before) / Math.max(1, r.requests);
      load.set(`${w.name}|${page}`, r);
    }
  }
}

// Time to first byte behind a slow origin (first 8 KB at once, the rest 300 ms later).
const ttfb = new Map();
const direct = [];
for (let i = 0; i < TTFB_SAMPLES; i++) direct.push((await get(`${origin}/slow`, { "user-agent": BROWSER })).ttfb);
for (const w of workers) {
  const samples = [];
  for (let i = 0; i < TTFB_SAMPLES; i++) samples.push((await get(`${w.url}/slow`, w.headers, w)).ttfb);
  ttfb.set(w.name, samples);
}

for (const w of workers) w.rssAfter = rssMiB(w.pid);
// Cold starts need each worker's visitor as it now is (Tailor's cookies); then the measured
// workers can go, so they do not compete with the fresh ones.
const coldHeaders = new Map(workers.map((w) => [w.name, w.headers]));
for (const w of workers) await w.mf.dispose();
agent.destroy();

// Cold start: a fresh Miniflare (its own workerd) per sample; the time from ready to the end
// of the first response for the small page, on a new connection. Tailor's KV and D1 are
// seeded first through Miniflare's APIs (which do not run the worker), so for Tailor the
// clock starts once seeding is done.
// Startup is the time from a new Miniflare to ready: workerd started, the scripts (and Tailor's
// Wasm) compiled and instantiated.
const cold = new Map(variants.map((v) => [v.name, []]));
const startup = new Map(variants.map((v) => [v.name, []]));
for (let i = 0; i < COLD_STARTS; i++) {
  for (const variant of variants) {
    const constructed = process.hrtime.bigint();
    const mf = new Miniflare({ ...variant.options(), host: "127.0.0.1", port: 0 });
    try {
      const url = String(await mf.ready).replace(/\/$/, "");
      startup.get(variant.name).push(Number(process.hrtime.bigint() - constructed) / 1e6);
      await variant.seed?.(mf);
      const started = process.hrtime.bigint();
      const r = await get(`${url}/small`, coldHeaders.get(variant.name), undefined, { fresh: true });
      if (r.status !== 200) throw new Error(`cold start ${variant.name}: status ${r.status}`);
      cold.get(variant.name).push(Number(process.hrtime.bigint() - started) / 1e6);
    } finally {
      await mf.dispose();
    }
  }
}

// --- report --------------------------------------------------------------------------------
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const median = (xs) => percentile(xs, 50);
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const cpu = (name, page) => {
  const e = results.get(`${name}|${page}`);
  return e.cpuMs / e.requests;
};
const p50 = (name, page) => percentile(results.get(`${name}|${page}`).latencies, 50);
const loadOf = (name, page) => load.get(`${name}|${page}`);

function machine() {
  const cpuModel = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  const tryRun = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch (e) {
      return String(e.stdout ?? "").trim().split("\n")[0] || "unknown";
    }
  };
  const version = (pkg) => JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
  return [
    `- CPU: ${cpuModel}, ${os.availableParallelism()} cores; ${fmt(os.totalmem() / 2 ** 30, 1)} GiB memory; load average at the end ${os.loadavg().map((x) => fmt(x)).join(" ")}`,
    `- node ${process.version}; ${tryRun(join(ROOT, "node_modules/.bin/workerd"), ["--version"])} (miniflare ${version("miniflare")}); ${tryRun("wrk", ["-v"]).split(" Copyright")[0]}; @growthbook/edge-cloudflare ${version("@growthbook/edge-cloudflare")}`,
    `- Tailor at ${tryRun("git", ["rev-parse", "--short", "HEAD"])}${tryRun("git", ["status", "--porcelain", "--untracked-files=no"]) ? " (with uncommitted changes)" : ""}; build/ as built beforehand`,
  ];
}

const out = [];
out.push(`Pages: small ${(smallBytes / 1024).toFixed(0)} KiB, large ${(largeBytes / 1024).toFixed(0)} KiB. ${ROUNDS} round(s) × ${PER_BLOCK} requests per worker and page, interleaved; keep-alive client, one request at a time.`);
out.push("");
out.push("### Latency and CPU, one request at a time");
out.push("");
out.push("| worker | page | bytes served | p50 ms | p90 ms | p99 ms | CPU ms/request | CPU × pass-through | CPU × JS HTMLRewriter |");
out.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [page] of pages) {
  for (const w of workers) {
    const e = results.get(`${w.name}|${page}`);
    const c = cpu(w.name, page);
    out.push(`| ${w.name} | ${page} | ${responseBytes.get(`${w.name}|${page}`)} | ${fmt(percentile(e.latencies, 50))} | ${fmt(percentile(e.latencies, 90))} | ${fmt(percentile(e.latencies, 99))} | ${fmt(c)} | ${fmt(c / cpu(FLOOR, page))} | ${fmt(c / cpu(ANCHOR_NAME, page))} |`);
  }
}
out.push("");
if (WRK_SECONDS > 0) {
  out.push(`### Throughput under a bounded concurrent load (wrk -t${WRK_THREADS} -c${WRK_CONNECTIONS} -d${WRK_SECONDS}s)`);
  out.push("");
  out.push("| worker | page | requests/s | × pass-through | p50 ms | p99 ms | CPU ms/request | non-2xx/3xx | socket errors |");
  out.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [page] of pages) {
    for (const w of workers) {
      const r = loadOf(w.name, page);
      out.push(`| ${w.name} | ${page} | ${fmt(r.rps, 0)} | ${fmt(r.rps / loadOf(FLOOR, page).rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuPerRequest)} | ${r.non2xx} | ${r.socketErrors ? r.socketDetail : 0} |`);
    }
  }
  out.push("");
}
out.push(`### Time to first byte, slow origin (median of ${TTFB_SAMPLES}; the origin sends 8 KB at once, the rest 300 ms later)`);
out.push("");
out.push("| worker | TTFB ms | minus the origin's own |");
out.push("| --- | --- | --- |");
out.push(`| origin directly | ${fmt(median(direct))} | |`);
for (const w of workers) out.push(`| ${w.name} | ${fmt(median(ttfb.get(w.name)))} | ${fmt(median(ttfb.get(w.name)) - median(direct))} |`);
out.push("");
out.push(`### Cold start (small page, first response of a fresh worker; median of ${COLD_STARTS})`);
out.push("");
out.push("| worker | first response, median ms | samples ms | workerd start to ready, median ms |");
out.push("| --- | --- | --- | --- |");
for (const v of variants) out.push(`| ${v.name} | ${fmt(median(cold.get(v.name)))} | ${cold.get(v.name).map((x) => fmt(x, 1)).join(", ")} | ${fmt(median(startup.get(v.name)))} |`);
out.push("");
out.push("### workerd memory (RSS, MiB), before the warm-up → after the wrk and slow-origin runs");
out.push("");
out.push("| worker | before | after |");
out.push("| --- | --- | --- |");
for (const w of workers) out.push(`| ${w.name} | ${fmt(w.rssBefore, 0)} | ${fmt(w.rssAfter, 0)} |`);
out.push("");
out.push("### Ratios for the targets");
out.push("");
const both = (f) => pages.map(([page]) => f(page));
const ratioRows = [
  ["Tailor VIP CPU/request ÷ JS HTMLRewriter", ...both((p) => fmt(cpu(TAILOR_VIP, p) / cpu(ANCHOR_NAME, p)))],
  ["Tailor VIP CPU/request ÷ JS HTMLRewriter with the profile's KV read", ...both((p) => fmt(cpu(TAILOR_VIP, p) / cpu(ANCHOR_KV_NAME, p)))],
  ["Tailor VIP CPU/request ÷ GrowthBook", ...both((p) => fmt(cpu(TAILOR_VIP, p) / cpu(PEER, p)))],
  ["Tailor VIP p50 − pass-through p50, ms", ...both((p) => fmt(p50(TAILOR_VIP, p) - p50(FLOOR, p)))],
  ["Tailor nothing applies CPU/request ÷ pass-through", ...both((p) => fmt(cpu(TAILOR_NONE, p) / cpu(FLOOR, p)))],
  ["Tailor nothing applies CPU/request ÷ pass-through with the profile's KV read", ...both((p) => fmt(cpu(TAILOR_NONE, p) / cpu(FLOOR_KV_NAME, p)))],
];
if (hasFloorBuild) {
  ratioRows.push(
    ["Rust/Wasm floor CPU/request − JS pass-through with the profile's KV read, ms", ...both((p) => fmt(cpu(WASM_FLOOR, p) - cpu(FLOOR_KV_NAME, p)))],
    ["Tailor nothing applies CPU/request − Rust/Wasm floor, ms (the decision, cookies, headers)", ...both((p) => fmt(cpu(TAILOR_NONE, p) - cpu(WASM_FLOOR, p)))],
    ["Tailor VIP CPU/request − Rust/Wasm floor, ms", ...both((p) => fmt(cpu(TAILOR_VIP, p) - cpu(WASM_FLOOR, p)))],
  );
}
if (WRK_SECONDS > 0) {
  ratioRows.push(
    ["under wrk: Tailor VIP CPU/request ÷ JS HTMLRewriter", ...both((p) => fmt(loadOf(TAILOR_VIP, p).cpuPerRequest / loadOf(ANCHOR_NAME, p).cpuPerRequest))],
    ["under wrk: Tailor VIP CPU/request ÷ JS HTMLRewriter with the profile's KV read", ...both((p) => fmt(loadOf(TAILOR_VIP, p).cpuPerRequest / loadOf(ANCHOR_KV_NAME, p).cpuPerRequest))],
    ["under wrk: Tailor VIP CPU/request ÷ GrowthBook", ...both((p) => fmt(loadOf(TAILOR_VIP, p).cpuPerRequest / loadOf(PEER, p).cpuPerRequest))],
    ["under wrk: Tailor nothing applies CPU/request ÷ pass-through", ...both((p) => fmt(loadOf(TAILOR_NONE, p).cpuPerRequest / loadOf(FLOOR, p).cpuPerRequest))],
    ["under wrk: Tailor nothing applies CPU/request ÷ pass-through with the profile's KV read", ...both((p) => fmt(loadOf(TAILOR_NONE, p).cpuPerRequest / loadOf(FLOOR_KV_NAME, p).cpuPerRequest))],
  );
}
out.push("| target's measure | small | large |");
out.push("| --- | --- | --- |");
for (const row of ratioRows) out.push(`| ${row.join(" | ")} |`);
out.push("");
out.push(`Time to first byte with the slow origin minus the origin's own: Tailor VIP ${fmt(median(ttfb.get(TAILOR_VIP)) - median(direct))} ms, Tailor nothing applies ${fmt(median(ttfb.get(TAILOR_NONE)) - median(direct))} ms.`);
console.log(out.join("\n"));

const mutations = plan.edits.map((e) => {
  const m = toDomMutation(e);
  return `| ${e.action}${e.name ? ` ${e.name}` : ""} | \`${e.selector}\` | ${m.attribute} ${m.action} | ${INEXACT.has(e.action) ? "no" : "yes"} |`;
});
const doc = [
  "# Tailor in workerd beside a JS pass-through, a JS HTMLRewriter worker and GrowthBook's edge app",
  "",
  `Written by scripts/bench/compare.mjs on ${new Date().toISOString()}.`,
  "",
  "## Machine",
  "",
  ...machine(),
  "",
  "## Parameters",
  "",
  `- \`node scripts/bench/compare.mjs ${process.argv.slice(2).join(" ")}\`: ${ROUNDS} round(s) × ${PER_BLOCK} requests per worker and page; wrk ${WRK_SECONDS > 0 ? `-t${WRK_THREADS} -c${WRK_CONNECTIONS} -d${WRK_SECONDS}s` : "left out"}; ${COLD_STARTS} cold starts per worker; ${TTFB_SAMPLES} slow-origin samples.`,
  "- The origin in its own process (scripts/bench/origin.mjs); each worker in its own workerd (Miniflare on loopback); CPU from /proc/<pid>/stat of that workerd (10 ms ticks), divided by the requests it served.",
  "- Tailor gets the VIP persona's cookies (the demo's persona switch) and keeps what it sets; the JS workers and GrowthBook get a browser user agent and no cookies (GrowthBook then hashes a new id per request, which the experiment ignores: every visitor gets its variation).",
  "- Tailor's cold start clock starts after its KV and D1 are seeded through Miniflare's APIs; the others' at `mf.ready`.",
  `- Idle-close races (a request on a kept-alive connection workerd was closing, sent again on a new one): ${idleCloseRaces.size === 0 ? "none" : [...idleCloseRaces].map(([host, n]) => `${workers.find((w) => w.url.includes(host))?.name ?? host}: ${n}`).join("; ")}.`,
  `- The edits (the VIP plan, \`cargo run --example plan -- vip /\`), as GrowthBook DOM mutations in one visual-editor experiment (scripts/bench/growthbook.mjs). Checked before measuring: ${checked}`,
  "",
  "| our edit | selector | GrowthBook mutation | exact |",
  "| --- | --- | --- | --- |",
  ...mutations,
  "",
  "GrowthBook's edge app buffers the whole page, parses it (node-html-parser), applies the mutations, serializes it again and injects its SDK and payload before `</head>` (its default), so its pages are bigger (see bytes served) and its first byte waits for the whole origin page.",
  "",
  "## Results",
  "",
  ...out,
  "",
].join("\n");
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, doc);
console.log(`\nWritten to ${OUT}`);
process.exit(0);
