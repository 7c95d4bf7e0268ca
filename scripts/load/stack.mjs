// What the load and soak scripts run against: the benchmark origin in its own process (the
// demo home page, ~122 KB, from memory) and Tailor in its own workerd (Miniflare on loopback)
// with the fixture config, catalog and personas in KV. `visitors` is the traffic mix: every
// persona (its cookies as the demo's persona switch sets them), new visitors, visitors sending
// GPC, and a crawler.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { Miniflare } from "miniflare";
import { INSPECTED, connectInspector } from "./inspector.mjs";
import { ROOT, kvEntries, personas } from "../fixtures.mjs";
import { isPageWorkerTarget, migrate, workerOptions } from "../miniflare.mjs";

export const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
export const ADMIN_TOKEN = "load-admin-token";
const CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/** The pids of every running workerd process (to find the one a Miniflare just started). */
export function workerdPids() {
  return new Set(
    readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/comm`, "utf8").trim() === "workerd";
        } catch {
          return false;
        }
      })
      .map(Number),
  );
}

/** Resident memory of a process, in bytes. */
export function rssBytes(pid) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** CPU time (user + system) of a process, in ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export const PASS_THROUGH = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, { headers: request.headers });
  },
};`;

/** A JavaScript worker making `edits` (a rewrite plan's edits) with the runtime's HTMLRewriter:
 *  the benchmark's anchor, and a soak baseline that rewrites as Tailor does. */
export const anchorScript = (edits) => `const EDITS = ${JSON.stringify(edits)};
function apply(el, edit) {
  const html = { html: true };
  switch (edit.action) {
    case "setInnerContent": return el.setInnerContent(edit.html, html);
    case "replace": return el.replace(edit.html, html);
    case "remove": return el.remove();
    case "before": return el.before(edit.html, html);
    case "after": return el.after(edit.html, html);
    case "prepend": return el.prepend(edit.html, html);
    case "append": return el.append(edit.html, html);
    case "setAttribute": return el.setAttribute(edit.name, edit.value);
    case "removeAttribute": return el.removeAttribute(edit.name);
    case "addClass": { const c = el.getAttribute("class") ?? ""; return el.setAttribute("class", (c + " " + edit.class).trim()); }
    case "removeClass": { const c = (el.getAttribute("class") ?? "").split(/\\s+/).filter((x) => x && x !== edit.class); return el.setAttribute("class", c.join(" ")); }
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const response = await fetch(env.ORIGIN + url.pathname + url.search, { headers: request.headers });
    let rewriter = new HTMLRewriter();
    for (const edit of EDITS) rewriter = rewriter.on(edit.selector, { element: (el) => apply(el, edit) });
    return rewriter.transform(response);
  },
};`;

/** The rewrite plan Tailor makes for the VIP persona on the home page (`examples/plan.rs`). */
export function vipPlan() {
  return JSON.parse(execFileSync("cargo", ["run", "-q", "--example", "plan", "--", "vip", "/"], { cwd: ROOT, encoding: "utf8" }));
}

/** A JavaScript worker in its own workerd, in front of `origin`: the baseline a soak compares
 *  Tailor's memory and latency with; `script` is the pass-through unless given (e.g. the
 *  anchor). `inspect` opens its V8 heap to `inspector()` (see inspector.mjs). */
export async function startPassThrough(origin, { inspect = false, script = PASS_THROUGH } = {}) {
  const before = workerdPids();
  const mf = new Miniflare({
    ...(inspect ? INSPECTED : {}),
    modules: true,
    script,
    compatibilityDate: "2026-04-20",
    bindings: { ORIGIN: origin },
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
  });
  const url = String(await mf.ready).replace(/\/$/, "");
  const pid = [...workerdPids()].find((p) => !before.has(p));
  const poke = () => fetch(url).then((res) => res.arrayBuffer());
  return { url, pid, inspector: () => connectInspector(mf, poke), stop: () => mf.dispose() };
}

/** Starts the origin and the worker; `stop()` ends both. `events: false` leaves out the Queue
 *  and D1 bindings: Miniflare keeps their storage inside the same workerd process, so a soak
 *  that looks for leaks in Tailor itself runs without them (events are then dropped and
 *  logged, as in production without the bindings). */
export async function startStack({ events = true, inspect = false } = {}) {
  const origin = spawn(process.execPath, [new URL("../bench/origin.mjs", import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const originUrl = await new Promise((resolve) => origin.stdout.once("data", (d) => resolve(String(d).split(" ")[0])));
  const before = workerdPids();
  const options = workerOptions({
    origin: originUrl,
    bindings: {
      CONFIG_TTL_SECONDS: "30",
      KV_TIMEOUT_MS: "500",
      DEMO: "true",
      TAILOR_ID_KEY: "load-test-visitor-id-key-0123456789abcdef",
      TAILOR_ADMIN_TOKEN: ADMIN_TOKEN,
    },
    events,
  });
  // NOTE: workerd's output must be drained: an unread pipe fills up and then blocks workerd on
  // its next log line (with events off, every page view logs the dropped events).
  const mf = new Miniflare({
    ...options,
    ...(inspect ? INSPECTED : {}),
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
  });
  const url = String(await mf.ready).replace(/\/$/, "");
  const pid = [...workerdPids()].find((p) => !before.has(p));
  if (events) await migrate(mf);
  const kv = await mf.getKVNamespace("TAILOR_KV");
  for (const { key, value } of kvEntries()) await kv.put(key, value);

  const visitors = [];
  for (const name of Object.keys(personas())) {
    if (name === "first-time") continue;
    const res = await fetch(`${url}/__tailor/persona/${name}`, { redirect: "manual", headers: { "user-agent": BROWSER } });
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    if (res.status !== 303 || !cookie) throw new Error(`persona ${name}: ${res.status}`);
    visitors.push({ name, headers: { "user-agent": BROWSER, accept: "text/html", cookie } });
  }
  visitors.push({ name: "new visitor", headers: { "user-agent": BROWSER, accept: "text/html" } });
  visitors.push({ name: "GPC", headers: { "user-agent": BROWSER, accept: "text/html", "sec-gpc": "1" } });
  visitors.push({ name: "crawler", headers: { "user-agent": CRAWLER, accept: "text/html" } });

  return {
    url,
    origin: originUrl,
    pid,
    visitors,
    /** The isolate's `/__tailor/health`, on a fresh connection (never a pooled one the
     *  server may just have closed). */
    health() {
      return new Promise((resolve, reject) => {
        const req = http.get(`${url}/__tailor/health`, { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(JSON.parse(text)));
        });
        req.on("error", reject);
      });
    },
    /** The worker's V8 heap (with `inspect`): see inspector.mjs. */
    inspector: () =>
      connectInspector(
        mf,
        () => fetch(`${url}/__tailor/health`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((res) => res.arrayBuffer()),
        isPageWorkerTarget,
      ),
    async stop() {
      await mf.dispose();
      origin.kill();
    },
  };
}
