// The demo as `npm run demo` serves it: wrangler.toml's vars and the embedded storefront
// (Static Assets, no ORIGIN), KV seeded from the fixtures by the same code as the demo. Every
// persona sees the content of the segment it was written for.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, kvEntries, personas } from "../../scripts/fixtures.mjs";
import { startWorker, request, visitorCookie, CookieJar } from "./harness.mjs";

const config = JSON.parse(readFileSync(join(ROOT, "fixtures/config.json"), "utf8"));
const slot = (id) => config.slots.find((s) => s.id === id);
const DEFAULT_HEADING = "Built for the long way round";

let worker;
before(async () => {
  worker = await startWorker({ asDeployed: true, kv: kvEntries() });
});

/** Browses as a persona: the switch link, then the page with the cookies it set. */
async function browseAs(name, path = "/") {
  const jar = new CookieJar();
  const switched = jar.store(await request(`${worker.url}/__tailor/persona/${name}`));
  assert.equal(switched.status, 303, `persona switch for ${name}`);
  assert.equal(switched.headers.location, "/");
  return jar.visit(`${worker.url}${path}`);
}

for (const [name, persona] of Object.entries(personas())) {
  test(`persona ${name} sees the ${persona.segment} hero on the demo home page`, async () => {
    const res = await browseAs(name);
    assert.equal(res.status, 200);
    const heading = persona.heroHeading;
    assert.ok(res.text.includes(`<h1 class="hero__heading">${heading}</h1>`), `${name}: expected "${heading}"`);
    assert.ok(!res.text.includes(DEFAULT_HEADING), "the default hero is replaced");
    assert.ok(res.text.includes("</html>"), "the page is complete");
    assert.equal(res.headers["cache-control"], "private, no-cache");
  });
}

test("the first-time persona link forgets the visitor and their history", async () => {
  const switched = await request(`${worker.url}/__tailor/persona/first-time`);
  assert.match(switched.setCookies[0], /^tailor_vid=; Path=\/; Max-Age=0/);
  assert.match(switched.setCookies[1], /^tailor_b=; Path=\/; Max-Age=0/);
});

test("three views of one category make a browse abandoner on the next page view, without any KV write", async () => {
  const keysBefore = (await worker.kv.list()).keys.map((k) => k.name);
  const jar = new CookieJar();
  const browseHero = "Still looking at Footwear?";
  for (let i = 0; i < 3; i++) {
    const res = await jar.visit(`${worker.url}/collections/footwear`);
    assert.equal(res.status, 200);
  }
  const home = await jar.visit(`${worker.url}/`);
  assert.ok(home.text.includes(`<h1 class="hero__heading">${browseHero}</h1>`), "the browse-abandoner hero");
  assert.ok(jar.get("tailor_b").length < 1500, "the history cookie stays small");
  const keysAfter = (await worker.kv.list()).keys.map((k) => k.name);
  assert.deepEqual(keysAfter, keysBefore, "no KV key was written");
});

test("the order confirmation page ends a cart abandonment at once, before KV knows of the order", async () => {
  const jar = new CookieJar();
  jar.store(await request(`${worker.url}/__tailor/persona/cart-abandoner`));
  const before = await jar.visit(`${worker.url}/`);
  assert.ok(before.text.includes(personas()["cart-abandoner"].heroHeading));
  assert.match(before.text, /Jonas, your cart is waiting:<\/strong> Ridgeline Rain Shell, Trailhead Wool Socks &times; 2\./);
  await jar.visit(`${worker.url}/orders/confirmation`);
  const after = await jar.visit(`${worker.url}/`);
  assert.ok(!after.text.includes(personas()["cart-abandoner"].heroHeading), "no cart reminder after buying");
  assert.ok(!after.text.includes("Your cart is saved"));
});

test("an unknown persona is a 404 that says how to seed", async () => {
  const res = await request(`${worker.url}/__tailor/persona/nobody`);
  assert.equal(res.status, 404);
  assert.match(res.text, /No persona named "nobody"/);
});

test("the VIP's offer band appears on a product page, where it is hidden by default", async () => {
  const res = await browseAs("vip", "/products/glacier-3-in-1-parka");
  assert.equal(res.status, 200);
  const band = /<div[^>]*data-tailor-slot="offer"[^>]*>/.exec(res.text)[0];
  assert.doesNotMatch(band, /hidden/);
  assert.ok(res.text.includes(slot("offer").content.vip), "the VIP offer (static markup) as written");
});

test("storefront assets pass through untouched", async () => {
  const res = await request(`${worker.url}/assets/store.css`);
  assert.equal(res.status, 200);
  assert.equal(res.buffer.toString(), readFileSync(join(ROOT, "fixtures/storefront/assets/store.css"), "utf8"));
  assert.equal(res.setCookies.length, 0);
});

test("a first-time visitor without any cookie gets the welcome and an id", async () => {
  const res = await request(`${worker.url}/`);
  assert.ok(res.text.includes(personas()["first-time"].heroHeading));
  assert.ok(visitorCookie(res));
});
