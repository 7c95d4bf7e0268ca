// End-to-end harness: the real built Wasm (build/worker/shim.mjs) in workerd via Miniflare,
// in front of an origin on loopback, requested over real HTTP so streaming and compression
// are what a browser would see.
import { createHmac } from "node:crypto";
import http from "node:http";
import { after } from "node:test";
import { Miniflare } from "miniflare";
import { KV_NAMESPACE, migrate, workerOptions } from "../../scripts/miniflare.mjs";

/** The admin token every test worker accepts (`Authorization: Bearer ...`). */
export const ADMIN_TOKEN = "test-admin-token";
/** The key test workers sign visitor ids with (the native tests use the same one). */
export const ID_KEY = "tailor-test-visitor-id-key-0123456789abcdef";

/** A visitor id signed as the worker signs it (`<id>.<tag>`, the tag the first 16 bytes of
 *  HMAC-SHA256 over "tailor:visitor-id:<id>", base64url), with `key`. */
export function signVisitor(id, key = ID_KEY) {
  const tag = createHmac("sha256", key).update(`tailor:visitor-id:${id}`).digest().subarray(0, 16);
  return `${id}.${tag.toString("base64url")}`;
}

/** The `tailor_vid=...` cookie pair of a returning visitor with this id. */
export function visitorPair(id, key = ID_KEY) {
  return `tailor_vid=${signVisitor(id, key)}`;
}

// NOTE: node --test runs each file in its own process; everything started here is stopped
// after the file's tests, and on exit too, so a failing `before` can't leave a hang behind.
const cleanups = [];
after(async () => {
  while (cleanups.length) await cleanups.pop()();
});
process.on("exit", () => {
  for (const cleanup of cleanups) cleanup();
});

/** Starts a loopback HTTP server with `handler`; closed after the test file. */
export async function startServer(handler) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 1;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${server.address().port}`;
}

// Stand-ins for a KV namespace that misbehaves, as wrapped bindings (a second worker whose
// default export builds the binding object).
const FAULTY_KV = {
  hang: "export default () => ({ get: () => new Promise(() => {}) });",
  throw: "export default () => ({ get: async () => { throw new Error('KV is down'); } });",
  // Counts: every read is logged (`kv-read <key>`), then served by a real namespace.
  count: "export default (env) => ({ get: (key, options) => { console.log(`kv-read ${key}`); return env.INNER.get(key, options); } });",
};

/** Starts the worker in workerd. `kv` is [{ key, value }]; `bindings` override the vars;
 *  `faultyKv` ("hang" or "throw") replaces the KV namespace with a misbehaving one, "count"
 *  with one that logs every read (`kv-read <key>`);
 *  `asDeployed` takes the vars and the demo storefront (Static Assets) from the wrangler configs,
 *  exactly as `wrangler dev` runs it; `cf` mocks Cloudflare's `request.cf` object;
 *  `withoutEvents` leaves out the Queue and D1 bindings; `adminToken` is the admin routes'
 *  token ("" for none); `withoutAdmin` starts the page Worker alone, without its admin Worker
 *  (and then without events). The result's `db` is the D1 database, migrated. */
export async function startWorker({ origin, kv = [], bindings = {}, faultyKv, asDeployed = false, cf = false, adminToken = ADMIN_TOKEN, withoutEvents = false, withoutAdmin = false } = {}) {
  const logs = [];
  const options = workerOptions({
    origin,
    asDeployed,
    cf,
    events: !(withoutEvents || withoutAdmin),
    // Every request re-reads the config, so tests can change it between requests.
    bindings: {
      CONFIG_TTL_SECONDS: "0",
      KV_TIMEOUT_MS: "2000",
      DEMO: "true",
      TAILOR_ID_KEY: ID_KEY,
      ...(adminToken ? { TAILOR_ADMIN_TOKEN: adminToken } : {}),
      ...bindings,
    },
  });
  options.handleRuntimeStdio = (stdout, stderr) => {
    stdout.on("data", (d) => logs.push(String(d)));
    stderr.on("data", (d) => logs.push(String(d)));
  };
  if (withoutAdmin) {
    options.workers.pop();
    delete options.workers[0].serviceBindings;
  }
  if (faultyKv) {
    // The page Worker's KV goes through the misbehaving wrapper; the admin Worker keeps the
    // real namespace (the wrapper's INNER is that same namespace).
    const [page] = options.workers;
    delete page.kvNamespaces;
    page.wrappedBindings = { TAILOR_KV: "faulty-kv" };
    options.workers.push({
      name: "faulty-kv",
      modules: true,
      script: FAULTY_KV[faultyKv],
      ...(faultyKv === "count" ? { kvNamespaces: { INNER: KV_NAMESPACE } } : {}),
    });
  }
  const mf = new Miniflare(options);
  const url = String(await mf.ready).replace(/\/$/, "");
  cleanups.push(() => mf.dispose());
  const namespace =
    faultyKv === "count"
      ? await mf.getKVNamespace("INNER", "faulty-kv")
      : faultyKv
        ? null
        : await mf.getKVNamespace("TAILOR_KV");
  for (const { key, value } of kv) await namespace.put(key, value);
  const db = withoutEvents || withoutAdmin ? null : await migrate(mf);
  return { mf, url, kv: namespace, db, logs: () => logs.join("") };
}

/** A raw HTTP request: no decompression, every chunk with its arrival time. */
export function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (data) => chunks.push({ at: Date.now(), data }));
      res.on("error", reject);
      res.on("end", () => {
        const buffer = Buffer.concat(chunks.map((c) => c.data));
        resolve({
          status: res.statusCode,
          headers: res.headers,
          setCookies: res.headers["set-cookie"] ?? [],
          buffer,
          text: buffer.toString("utf8"),
          chunks,
        });
      });
    });
    req.on("error", reject);
    req.setTimeout(20000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (body) req.write(body);
    req.end();
  });
}

/** A browser's cookie jar: keeps what responses set (and forgets what they expire). */
export class CookieJar {
  #cookies = new Map();
  store(response) {
    for (const line of response.setCookies) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
    return response;
  }
  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  get(name) {
    return this.#cookies.get(name);
  }
  /** GETs `url` with the jar's cookies and keeps the ones the response sets. */
  async visit(url) {
    const cookie = this.header();
    return this.store(await request(url, { headers: cookie ? { cookie } : {} }));
  }
}

/** The `name=value` part of our visitor cookie from a response, for the next request. */
export function visitorCookie(response) {
  const line = response.setCookies.find((c) => c.startsWith("tailor_vid="));
  return line?.split(";")[0];
}

/** Waits until `predicate(logs)` holds (the runtime's stdout arrives asynchronously). */
export async function waitForLog(worker, pattern, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(worker.logs())) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
