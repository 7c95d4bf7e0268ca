// The two Workers: the page Worker hands everything under /__tailor/ to the admin Worker over
// its TAILOR_ADMIN service binding (method, headers and body as they came), and a page Worker
// deployed without its admin Worker still serves and personalizes every storefront page.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { ADMIN_TOKEN, request, startServer, startWorker, waitForLog } from "./harness.mjs";

const PAGE = `<!doctype html><html><head><title>Shop</title></head><body><h1>Welcome</h1></body></html>`;
const CONFIG = JSON.stringify({
  version: "split",
  segments: [{ id: "everyone", when: {} }],
  slots: [{ id: "hero", selector: "h1", action: "setInnerContent", content: { everyone: "Hello, everyone" } }],
});
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let origin;
const originPaths = [];
before(async () => {
  origin = await startServer((req, res) => {
    originPaths.push(req.url);
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(PAGE);
  });
});

test("admin routes are answered by the admin Worker, bodies included, and never reach the origin", async () => {
  const w = await startWorker({ origin, kv: [{ key: "config", value: CONFIG }] });
  originPaths.length = 0;
  // The opt-out page is the admin Worker's; the origin never sees the request.
  const optOut = await request(`${w.url}/__tailor/opt-out`);
  assert.equal(optOut.status, 200);
  assert.match(optOut.text, /opt/i);
  // A POST body crosses the binding intact: a conversion is accepted and stored in D1.
  const body = JSON.stringify({ visitorId: "v-split", orderId: "o-split", revenue: 12.5 });
  const conversion = await request(`${w.url}/__tailor/conversion`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body });
  assert.equal(conversion.status, 202, conversion.text);
  let rows = [];
  for (let i = 0; i < 60 && rows.length === 0; i++) {
    rows = (await w.db.prepare("SELECT order_id, revenue FROM orders").all()).results;
    if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(rows, [{ order_id: "o-split", revenue: 12.5 }]);
  // Unknown paths under /__tailor/ are ours (404), not the storefront's.
  assert.equal((await request(`${w.url}/__tailor/nothing-here`, { headers: admin })).status, 404);
  assert.deepEqual(originPaths, []);
  // The storefront itself still goes through the page Worker.
  const page = await request(`${w.url}/`, { headers: { accept: "text/html" } });
  assert.match(page.text, /<h1>Hello, everyone<\/h1>/);
  assert.deepEqual(originPaths, ["/"]);
  // The health route is the page Worker's own: its isolate's config and Wasm memory.
  assert.equal((await request(`${w.url}/__tailor/health`)).status, 401);
  const health = JSON.parse((await request(`${w.url}/__tailor/health`, { headers: admin })).text);
  assert.equal(health.worker, "page");
  assert.equal(health.configVersion, "split");
  assert.ok(health.wasmMemoryBytes > 0);
});

test("without the admin Worker, /__tailor/ answers 503 saying why, and pages are still personalized", async () => {
  const w = await startWorker({ origin, kv: [{ key: "config", value: CONFIG }], withoutAdmin: true });
  const report = await request(`${w.url}/__tailor/audit.json`, { headers: admin });
  assert.equal(report.status, 503);
  assert.equal(report.headers["cache-control"], "no-store");
  assert.match(JSON.parse(report.text).error, /tailor-admin Worker is unavailable/);
  assert.ok(await waitForLog(w, /\/__tailor\/audit.json not answered: the admin Worker \(TAILOR_ADMIN\) failed/), w.logs());
  const page = await request(`${w.url}/`, { headers: { accept: "text/html" } });
  assert.equal(page.status, 200);
  assert.match(page.text, /<h1>Hello, everyone<\/h1>/);
});
