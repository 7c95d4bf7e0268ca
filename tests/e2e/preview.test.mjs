// Preview links and Server-Timing end to end, in workerd: an admin signs a link that forces a
// segment and a variant; whoever opens it sees exactly that, with the decisions in a debug
// header, and nothing is kept or counted; a tampered or expired link forces nothing.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { before, test } from "node:test";
import { ADMIN_TOKEN, CookieJar, ID_KEY, request, startServer, startWorker, waitForLog } from "./harness.mjs";

const PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<h1>Welcome</h1><p class="offer">No offer</p></body></html>`;

const CONFIG = {
  version: "e2e-preview",
  segments: [
    { id: "vip", priority: 10, when: { "profile.vip": true } },
    { id: "everyone", when: {} },
  ],
  slots: [
    { id: "hero", selector: "h1", action: "setInnerContent", content: { vip: "Welcome back, VIP", everyone: "Hello" } },
    { id: "offer", selector: ".offer", action: "setInnerContent", content: { vip: "Early access for you" } },
  ],
  experiments: [
    {
      key: "hero-copy",
      hashVersion: 2,
      variations: [{ name: "Control" }, { name: "Bold", content: { hero: "Hello, bold!" } }],
    },
  ],
};

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
const browser = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", accept: "text/html" };

let w;
before(async () => {
  const origin = await startServer((req, res) => {
    if (req.url.startsWith("/data.json")) {
      res.setHeader("content-type", "application/json");
      return res.end("{}");
    }
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(PAGE);
  });
  w = await startWorker({ origin, kv: [{ key: "config", value: JSON.stringify(CONFIG) }] });
});

async function createLink(body, headers = admin) {
  return request(`${w.url}/__tailor/preview`, { method: "POST", headers, body: JSON.stringify(body) });
}

/** A token signed as the worker signs one, for links the API would refuse to make (expired). */
function signPreview(preview, key = ID_KEY) {
  const payload = Buffer.from(JSON.stringify(preview)).toString("base64url");
  const tag = createHmac("sha256", key).update(`tailor:preview:${payload}`).digest().subarray(0, 16);
  return `${payload}.${tag.toString("base64url")}`;
}

test("an admin signs a link; its mistakes are listed; without the token there is none", async () => {
  const anonymous = await createLink({ segment: "vip" }, { "content-type": "application/json" });
  assert.equal(anonymous.status, 401);

  const wrong = await createLink({ segment: "vipp", variants: { "hero-copy": 5, nope: 1 }, ttlSeconds: 0 });
  assert.equal(wrong.status, 422, wrong.text);
  const messages = JSON.parse(wrong.text).errors.map((e) => `${e.path}: ${e.message}`);
  assert.equal(messages.length, 4, messages.join("\n"));
  assert.match(messages.join("\n"), /segment: no segment has the id "vipp"; the config has: vip, everyone/);
  assert.match(messages.join("\n"), /variants.hero-copy: expected a variation index from 0 to 1/);
  assert.match(messages.join("\n"), /variants.nope: no running experiment has the key "nope"/);
  assert.match(messages.join("\n"), /ttlSeconds/);

  const made = await createLink({ segment: "vip", variants: { "hero-copy": 1 }, ttlSeconds: 600, path: "/products/parka" });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers["cache-control"], "no-store");
  const link = JSON.parse(made.text);
  assert.ok(link.url.startsWith(`${w.url}/products/parka?tailor_preview=`), link.url);
  assert.ok(Math.abs(link.expiresAt - (Date.now() + 600_000)) < 60_000, String(link.expiresAt));
  assert.deepEqual(link.segments, ["vip"]);
  assert.deepEqual(link.variants, { "hero-copy": 1 });
});

test("whoever opens the link sees the forced segment and variant; nothing is kept or counted", async () => {
  const link = JSON.parse((await createLink({ segment: "vip", variants: { "hero-copy": 1 } })).text);
  const jar = new CookieJar();
  const opened = await request(link.url, { headers: browser });
  assert.equal(opened.status, 200);
  assert.match(opened.text, /<h1>Hello, bold!<\/h1>/, "the forced variant");
  assert.match(opened.text, /<p class="offer">Early access for you<\/p>/, "the forced segment");
  const names = opened.setCookies.map((c) => c.split("=")[0]);
  assert.deepEqual(names, ["tailor_preview"], "the preview's own cookie, and none of the visitor's");
  assert.match(opened.setCookies[0], /HttpOnly; SameSite=Lax/);
  assert.match(opened.headers["cache-control"], /private/);
  const debug = opened.headers["x-tailor-debug"];
  assert.match(debug, /config=e2e-preview/);
  assert.match(debug, /segments=vip;/);
  assert.match(debug, /experiments=hero-copy:1 Bold \(forced\)/);
  assert.match(debug, /slots=hero:hero-copy:1,offer:vip/);
  assert.match(debug, /timings=tailor-config;dur=/);

  // Browsing on with the cookie: still previewing, on any page.
  jar.store(opened);
  const next = await request(`${w.url}/collections/all`, { headers: { ...browser, cookie: jar.header() } });
  assert.match(next.text, /Hello, bold!/);
  assert.match(next.headers["x-tailor-debug"], /segments=vip;/);
  assert.deepEqual(next.setCookies, []);

  // No exposure reached D1 (a normal visitor's would within a second or two).
  await new Promise((r) => setTimeout(r, 2000));
  const { n } = await w.db.prepare("SELECT COUNT(*) AS n FROM exposures").first();
  assert.equal(n, 0, "previews are never counted");

  // `?tailor_preview=exit` ends it.
  const ended = await request(`${w.url}/?tailor_preview=exit`, { headers: { ...browser, cookie: jar.header() } });
  assert.ok(ended.setCookies.some((c) => /^tailor_preview=; .*Max-Age=0/.test(c)), ended.setCookies.join("\n"));
  assert.equal(ended.headers["x-tailor-debug"], undefined);
});

test("a tampered, foreign or expired link forces nothing, and its cookie is deleted", async () => {
  const link = JSON.parse((await createLink({ segment: "vip", variants: { "hero-copy": 1 } })).text);
  const [payload, tag] = link.token.split(".");
  const forever = Buffer.from(JSON.stringify({ s: ["vip"], v: { "hero-copy": 1 }, e: 9e15 })).toString("base64url");
  const cases = {
    tampered: `${forever}.${tag}`,
    foreign: signPreview({ s: ["vip"], e: 9e15 }, "some-other-store-key-0123456789abcdef"),
    expired: signPreview({ s: ["vip"], v: { "hero-copy": 1 }, e: Date.now() - 1000 }),
    truncated: payload,
  };
  for (const [name, token] of Object.entries(cases)) {
    const res = await request(`${w.url}/`, { headers: { ...browser, cookie: `tailor_preview=${token}` } });
    assert.equal(res.status, 200, name);
    assert.doesNotMatch(res.text, /Early access for you/, `${name}: no forced segment`);
    assert.equal(res.headers["x-tailor-debug"], undefined, `${name}: no debug header`);
    assert.ok(res.setCookies.some((c) => /^tailor_preview=; .*Max-Age=0/.test(c)), `${name}: cookie deleted`);
    assert.ok(res.setCookies.some((c) => c.startsWith("tailor_vid=")), `${name}: an ordinary visitor again`);
  }
  assert.ok(await waitForLog(w, /preview ignored: the preview link expired/));
  assert.ok(await waitForLog(w, /preview ignored: the preview token's signature does not verify/));
});

test("personalized pages carry Server-Timing; untouched responses do not", async () => {
  const page = await request(`${w.url}/`, { headers: browser });
  const timing = page.headers["server-timing"];
  for (const phase of ["config", "origin", "decide", "rewrite"]) {
    assert.match(timing, new RegExp(`tailor-${phase};dur=\\d+;desc="`), `${phase} in ${timing}`);
  }
  assert.doesNotMatch(timing, /tailor-profile/, "a new visitor has no profile to read");
  const data = await request(`${w.url}/data.json`, { headers: browser });
  assert.equal(data.headers["server-timing"], undefined);
});
