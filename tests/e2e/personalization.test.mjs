// A first-time visitor and a returning one see different content, end to end in workerd.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, request, visitorCookie } from "./harness.mjs";
import { startOrigin, HERO_CONFIG } from "./origin.mjs";

let worker;
before(async () => {
  const origin = await startOrigin();
  worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: HERO_CONFIG }] });
});

test("a first-time visitor gets the welcome and a visitor id cookie", async () => {
  const res = await request(`${worker.url}/page`);
  assert.equal(res.status, 200);
  assert.match(res.text, /<div data-tailor-slot="hero" class="hero"><h1>Welcome, new friend<\/h1><\/div>/);
  assert.match(res.text, /café ✓/, "the rest of the page is intact");
  const cookie = res.setCookies.find((c) => c.startsWith("tailor_vid="));
  assert.ok(cookie, "a visitor id is issued");
  assert.match(cookie, /^tailor_vid=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=34560000; HttpOnly; SameSite=Lax$/);
  assert.doesNotMatch(cookie, /Secure/, "not Secure over plain http");
});

test("the same browser on its next page view is a returning visitor and keeps its id", async () => {
  const first = await request(`${worker.url}/page`);
  const cookie = visitorCookie(first);
  const second = await request(`${worker.url}/page`, { headers: { cookie } });
  assert.match(second.text, /<h1>Welcome back<\/h1>/);
  assert.deepEqual(second.setCookies.map((c) => c.split("=")[0]), ["tailor_b", "tailor_s"], "the id is kept; only the history (and today's audit record) is updated");
});

test("a forged or malformed visitor cookie is treated as a new visitor", async () => {
  for (const cookie of ["tailor_vid=../../config", "tailor_vid=", "tailor_vid=" + "A".repeat(300)]) {
    const res = await request(`${worker.url}/page`, { headers: { cookie } });
    assert.match(res.text, /Welcome, new friend/, cookie);
    assert.ok(visitorCookie(res), `a fresh id replaces ${cookie}`);
  }
});

test("the visitor cookie is Secure when the visitor came over https", async () => {
  // NOTE: dispatchFetch would send `User-Agent: undici`, an HTTP library: no cookies for it.
  const res = await worker.mf.dispatchFetch("https://shop.test/page", {
    headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36" },
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("tailor_vid="));
  await res.text();
  assert.match(cookie, /; Secure$/);
});
