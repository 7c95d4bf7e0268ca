// What the worker must not touch: other methods, non-HTML, redirects, 304s, origin errors,
// range requests. Each comes back exactly as the origin sent it.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, request } from "./harness.mjs";
import { startOrigin, PAGE, HERO_CONFIG } from "./origin.mjs";

let worker, origin;
before(async () => {
  origin = await startOrigin();
  worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: HERO_CONFIG }] });
});

test("a POST reaches the origin with its body and its HTML answer is not rewritten", async () => {
  const res = await request(`${worker.url}/echo`, { method: "POST", body: "qty=2", headers: { "content-type": "application/x-www-form-urlencoded" } });
  assert.equal(res.text, '<div data-tailor-slot="hero">POST qty=2</div>');
  assert.equal(res.setCookies.length, 0);
});

test("non-HTML responses pass through untouched", async () => {
  const res = await request(`${worker.url}/json`);
  assert.equal(res.status, 200);
  assert.equal(res.text, '{"data-tailor-slot":"hero"}');
  assert.equal(res.headers["content-type"], "application/json");
  assert.equal(res.setCookies.length, 0);
});

test("redirects are handed to the browser, not followed", async () => {
  const res = await request(`${worker.url}/redirect`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, "/page");
});

test("a 304 stays a 304", async () => {
  const res = await request(`${worker.url}/not-modified`, { headers: { "if-none-match": '"v1"' } });
  assert.equal(res.status, 304);
  assert.equal(res.buffer.length, 0);
});

test("origin errors pass through as they are, even when HTML", async () => {
  const res = await request(`${worker.url}/error`);
  assert.equal(res.status, 500);
  assert.equal(res.text, PAGE);
  assert.equal(res.setCookies.length, 0);
});

test("range requests get the origin's exact bytes", async () => {
  const res = await request(`${worker.url}/range`, { headers: { range: "bytes=0-9" } });
  assert.equal(res.status, 206);
  assert.equal(res.text, PAGE.slice(0, 10));
});

test("a HEAD request gets the personalized headers and no body", async () => {
  const res = await request(`${worker.url}/validators`, { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.buffer.length, 0);
  assert.equal(res.headers["cache-control"], "private, no-cache");
  assert.equal(res.headers.etag, undefined);
});

test("the origin sees the request's path, query and headers", async () => {
  await request(`${worker.url}/page?utm_source=mail&x=1`, { headers: { "accept-language": "de-CH" } });
  const seen = origin.seen.findLast((r) => r.url.startsWith("/page?"));
  assert.equal(seen.url, "/page?utm_source=mail&x=1");
  assert.equal(seen.headers["accept-language"], "de-CH");
});
