// Every failure serves the shopper the origin's page unchanged, and logs why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, request, waitForLog, visitorPair } from "./harness.mjs";
import { startOrigin, PAGE, HERO_CONFIG } from "./origin.mjs";

const origin = await startOrigin();
const RETURNING = visitorPair("BwcHBwcHBwcHBwcHBwcHBw");

async function assertUnchanged(worker, path = "/page") {
  const res = await request(`${worker.url}${path}`);
  assert.equal(res.status, 200);
  assert.equal(res.text, PAGE, "the origin's bytes, unchanged");
  assert.equal(res.setCookies.length, 0, "no cookie either");
  assert.equal(res.headers["cache-control"], undefined);
}

test("no config in KV: pages unchanged, logged", async () => {
  const worker = await startWorker({ origin: origin.url });
  await assertUnchanged(worker);
  assert.ok(await waitForLog(worker, /no config in KV under "config"/), worker.logs());
});

test("config that is not JSON: pages unchanged, the error logged", async () => {
  const worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: "{ not json" }] });
  await assertUnchanged(worker);
  assert.ok(await waitForLog(worker, /config in KV is invalid.*not valid JSON/), worker.logs());
});

test("config of the wrong shape: pages unchanged, every error logged with its path", async () => {
  const wrong = JSON.stringify({ segments: {}, slots: [{ id: "hero", selector: "div", action: "explode" }] });
  const worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: wrong }] });
  await assertUnchanged(worker);
  assert.ok(await waitForLog(worker, /2 error\(s\): segments: expected an array.*slots\[0\]\.action: unknown action "explode"/), worker.logs());
});

test("a selector the runtime's HTMLRewriter rejects invalidates the config at load", async () => {
  const bad = JSON.parse(HERO_CONFIG);
  bad.slots[0].selector = "div[data-x=";
  const worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: JSON.stringify(bad) }] });
  await assertUnchanged(worker);
  assert.ok(await waitForLog(worker, /slots\[0\]\.selector: invalid CSS selector/), worker.logs());
});

test("a KV read that hangs: after the budget, pages unchanged, logged", async () => {
  const worker = await startWorker({ origin: origin.url, faultyKv: "hang", bindings: { KV_TIMEOUT_MS: "300" } });
  const started = Date.now();
  await assertUnchanged(worker);
  assert.ok(Date.now() - started < 5000, "the page did not wait for the hung read");
  assert.ok(await waitForLog(worker, /config not loaded \(KV read took longer than 300 ms\)/), worker.logs());
});

test("a KV read that throws: pages unchanged, logged", async () => {
  const worker = await startWorker({ origin: origin.url, faultyKv: "throw" });
  await assertUnchanged(worker);
  assert.ok(await waitForLog(worker, /config not loaded \(KV read failed: .*KV is down/), worker.logs());
});

test("a profile that is not JSON or not an object is ignored; the visitor is still served", async () => {
  const worker = await startWorker({
    origin: origin.url,
    kv: [
      { key: "config", value: HERO_CONFIG },
      { key: "profile:BwcHBwcHBwcHBwcHBwcHBw", value: "[1, 2, 3]" },
    ],
  });
  const res = await request(`${worker.url}/page`, { headers: { cookie: RETURNING } });
  assert.match(res.text, /Welcome back/);
  assert.ok(await waitForLog(worker, /ignoring profile profile:BwcHBwcHBwcHBwcHBwcHBw: profile is not a JSON object/), worker.logs());
});

test("a page view where no slot applies keeps the origin's bytes, length and validators", async () => {
  const config = JSON.parse(HERO_CONFIG);
  delete config.slots[0].content.returning;
  const worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: JSON.stringify(config) }] });
  const res = await request(`${worker.url}/validators`, { headers: { cookie: RETURNING } });
  assert.equal(res.text, PAGE);
  assert.equal(res.headers.etag, '"v1"', "validators kept");
  assert.equal(res.headers["content-length"], String(Buffer.byteLength(PAGE)));
  assert.deepEqual(res.setCookies.map((c) => c.split("=")[0]), ["tailor_b", "tailor_s"], "only the page view and the audit's daily record");
  assert.equal(res.headers["cache-control"], "private, no-cache", "a response with a visitor's cookie is private");
});

test("for a crawler, a page where no slot applies is the origin's response exactly", async () => {
  const config = JSON.parse(HERO_CONFIG);
  delete config.slots[0].content["first-time"];
  const worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: JSON.stringify(config) }] });
  const res = await request(`${worker.url}/validators`, { headers: { "user-agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)" } });
  assert.equal(res.text, PAGE);
  assert.equal(res.headers.etag, '"v1"');
  assert.equal(res.setCookies.length, 0, "crawlers get no cookies");
  assert.equal(res.headers["cache-control"], "public, max-age=600", "the origin's caching kept");
});

test("an unreachable origin is a 502 from the gateway, logged", async () => {
  const worker = await startWorker({ origin: "http://127.0.0.1:9", kv: [{ key: "config", value: HERO_CONFIG }] });
  const res = await request(`${worker.url}/page`);
  assert.equal(res.status, 502);
  assert.ok(await waitForLog(worker, /origin unreachable/), worker.logs());
});
