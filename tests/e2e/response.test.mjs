// A rewritten response is still a correct response: status and headers kept, validators of
// the origin's bytes dropped, compression and charset honoured, the origin's cookies kept.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { startWorker, request } from "./harness.mjs";
import { startOrigin, HERO_CONFIG } from "./origin.mjs";

let worker;
before(async () => {
  const origin = await startOrigin();
  worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: HERO_CONFIG }] });
});

test("validators of the origin's bytes are dropped, other headers kept, the page made private", async () => {
  const res = await request(`${worker.url}/validators`);
  assert.equal(res.status, 200);
  assert.match(res.text, /Welcome, new friend/);
  assert.equal(res.headers.etag, undefined);
  assert.equal(res.headers["last-modified"], undefined);
  if (res.headers["content-length"] !== undefined) {
    assert.equal(Number(res.headers["content-length"]), res.buffer.length, "a length, if any, is the new body's");
  }
  assert.equal(res.headers["cache-control"], "private, no-cache", "a shared cache must not keep it");
  assert.equal(res.headers["x-origin"], "kept");
  assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
});

test("the origin's Set-Cookie headers are kept beside ours", async () => {
  const res = await request(`${worker.url}/cookies`);
  const names = res.setCookies.map((c) => c.split("=")[0]).sort();
  assert.deepEqual(names, ["cart", "session", "tailor_b", "tailor_s", "tailor_vid"]);
  assert.ok(res.setCookies.includes("session=xyz; Path=/; HttpOnly"));
});

test("a gzip-compressed origin body is rewritten and the client gets a body matching its Content-Encoding", async () => {
  const res = await request(`${worker.url}/gzip`, { headers: { "accept-encoding": "gzip" } });
  assert.equal(res.status, 200);
  const encoding = res.headers["content-encoding"];
  const body = encoding === "gzip" ? gunzipSync(res.buffer).toString("utf8") : res.text;
  assert.ok(encoding === "gzip" || encoding === undefined, `unexpected encoding ${encoding}`);
  assert.match(body, /<h1>Welcome, new friend<\/h1>/);
  assert.match(body, /café ✓/);
});

test("a client that accepts no compression still gets a readable body", async () => {
  const res = await request(`${worker.url}/gzip`, { headers: { "accept-encoding": "identity" } });
  const body = res.headers["content-encoding"] === "gzip" ? gunzipSync(res.buffer).toString("utf8") : res.text;
  assert.match(body, /Welcome, new friend/);
});

test("the page's charset is respected when content is inserted", async () => {
  const res = await request(`${worker.url}/latin1`);
  assert.equal(res.headers["content-type"], "text/html; charset=windows-1252");
  const body = res.buffer.toString("latin1");
  assert.equal(body, '<div data-tailor-slot="hero"><h1>Welcome, new friend</h1></div><p>na\xefve</p>');
});
