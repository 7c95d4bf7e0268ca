// Real-time data, identity and privacy end to end: the real Wasm in workerd with a real local
// Queue, KV and D1 (Miniflare). A cart abandoner sees the reminder until an order webhook
// arrives; signed webhooks only; a tampered visitor cookie gets a fresh id and generic content;
// a logged-in customer is recognised from the storefront's signed cookie; GPC and no-consent
// visitors get contextual content and no identifying cookie; opting out sticks; erasure leaves
// no key behind.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { before, test } from "node:test";
import { ADMIN_TOKEN, request, signVisitor, startServer, startWorker, visitorPair } from "./harness.mjs";

const PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<h1>Welcome</h1><p class="offer">Free shipping over $50</p></body></html>`;

const CONFIG = {
  version: "e2e-privacy",
  pages: { orderConfirmation: ["/thank-you"] },
  segments: [
    { id: "cart-abandoner", priority: 3, when: { "cart.abandoned": true } },
    { id: "named", priority: 2, when: { "customer.firstName": { $exists: true } } },
    { id: "mobile", priority: 1, when: { "page.device.type": "mobile" } },
  ],
  slots: [
    {
      id: "hero",
      selector: "h1",
      action: "setInnerContent",
      content: {
        "cart-abandoner": "Your cart is waiting",
        named: "Welcome back, {{customer.firstName}}",
        mobile: "Shopping on the go?",
      },
    },
  ],
};

const SHOPIFY_SECRET = "test-shopify-secret";
const WEBHOOK_SECRET = "test-webhook-secret";
const IDENTITY_SECRET = "test-identity-secret";
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
const PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let origin;
before(async () => {
  origin = await startServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(PAGE);
  });
});

async function worker({ kv = [], cf = false, bindings = {} } = {}) {
  return startWorker({
    origin,
    cf,
    kv: [{ key: "config", value: JSON.stringify(CONFIG) }, ...kv],
    bindings: {
      SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
      TAILOR_WEBHOOK_SECRET: WEBHOOK_SECRET,
      TAILOR_IDENTITY_SECRET: IDENTITY_SECRET,
      ...bindings,
    },
  });
}

const hmac = (secret, body) => createHmac("sha256", secret).update(body).digest("base64");

/** A visitor id: 22 base64url characters, the last one of AQgw (2 bits). */
function visitorId(seed) {
  return (seed.repeat(22).slice(0, 21) + "A").replace(/[^A-Za-z0-9_-]/g, "x");
}

async function page(w, { cookie, ua = BROWSER, headers = {}, path = "/" } = {}) {
  return request(`${w.url}${path}`, {
    headers: { "user-agent": ua, accept: "text/html", ...(cookie ? { cookie } : {}), ...headers },
  });
}

const hero = (res) => /<h1>([^<]*)<\/h1>/.exec(res.text)?.[1];
const setCookieNames = (res) => res.setCookies.map((c) => c.split("=")[0]);

async function shopifyWebhook(w, topic, payload, { id = `wh-${Math.random()}`, secret = SHOPIFY_SECRET, tamper } = {}) {
  const body = JSON.stringify(payload);
  const sent = tamper ? tamper(body) : body;
  return request(`${w.url}/__tailor/webhooks/shopify`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": topic,
      "x-shopify-webhook-id": id,
      "x-shopify-hmac-sha256": hmac(secret, body),
    },
    body: sent,
  });
}

/** Polls KV until `predicate(value)` holds for `key` (the profile queue applies within ~1 s). */
async function kvEventually(w, key, predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let value = null;
  while (Date.now() < deadline) {
    value = await w.kv.get(key, "json");
    if (predicate(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${key} never satisfied the condition; last value: ${JSON.stringify(value)}`);
}

/** Shopify's customers/create for `customerId` (first name Maya). */
function customer(customerId) {
  return { id: customerId, first_name: "Maya", tags: "vip", updated_at: new Date().toISOString() };
}

async function allKeys(w) {
  return (await w.kv.list()).keys.map((k) => k.name);
}

function order({ orderId, customerId, visitorToken, at = new Date() }) {
  return {
    id: orderId,
    total_price: "233.00",
    currency: "USD",
    created_at: at.toISOString(),
    processed_at: at.toISOString(),
    updated_at: at.toISOString(),
    customer: { id: customerId, first_name: "Maya", tags: "vip" },
    line_items: [{ product_id: 632910392, title: "Ridgeline Rain Shell", quantity: 1, price: "233.00" }],
    note_attributes: visitorToken ? [{ name: "_tailor_visitor", value: visitorToken }] : [],
  };
}

test("a cart abandoner sees the reminder; an order webhook arrives; the next page shows none", async () => {
  const id = visitorId("cartAbandon");
  const cart = { items: [{ productId: "p1", title: "Rain Shell", quantity: 1 }], updatedAt: new Date(Date.now() - 2 * 3600e3).toISOString() };
  const w = await worker({ kv: [{ key: `profile:${id}`, value: JSON.stringify({ cart }) }] });
  const cookie = visitorPair(id);
  assert.equal(hero(await page(w, { cookie })), "Your cart is waiting");

  const res = await shopifyWebhook(w, "orders/create", order({ orderId: 5001, customerId: 7001, visitorToken: signVisitor(id) }), { id: "wh-5001" });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { accepted: "wh-5001" });
  assert.equal((await shopifyWebhook(w, "customers/create", customer(7001))).status, 200);
  const profile = await kvEventually(w, `profile:${id}`, (p) => p?.orders?.count === 1 && p?.firstName === "Maya");
  assert.equal(profile.cart.itemCount, 0, "the order cleared the cart");
  assert.equal(profile.customerId, "7001");
  assert.deepEqual(profile.visitorIds, [id]);
  assert.equal(hero(await page(w, { cookie })), "Welcome back, Maya", "no reminder after the order");

  // The same order delivered again (a new delivery id: orders/paid) changes nothing; once a
  // delivery is recorded, its redelivery is answered at once.
  const paid = await shopifyWebhook(w, "orders/paid", order({ orderId: 5001, customerId: 7001, visitorToken: signVisitor(id) }), { id: "wh-paid" });
  assert.equal(paid.status, 200);
  await kvEventually(w, "webhook:shopify:wh-paid", (v) => v !== null);
  const redelivered = await shopifyWebhook(w, "orders/paid", order({ orderId: 5001, customerId: 7001 }), { id: "wh-paid" });
  assert.deepEqual(JSON.parse(redelivered.text), { duplicate: true });
  assert.equal((await w.kv.get(`profile:${id}`, "json")).orders.count, 1, "orders/create and orders/paid are one order");
  // The order reached the experiment store as a conversion for this visitor.
  const rows = (await w.db.prepare("SELECT visitor, revenue FROM orders").all()).results;
  assert.deepEqual(rows, [{ visitor: id, revenue: 233 }]);
});

test("the order confirmation page ends the reminder at once, before any webhook", async () => {
  const id = visitorId("confirmPage");
  const cart = { items: [{ productId: "p1", title: "Rain Shell", quantity: 1 }], updatedAt: new Date(Date.now() - 2 * 3600e3).toISOString() };
  const w = await worker({ kv: [{ key: `profile:${id}`, value: JSON.stringify({ cart }) }] });
  const first = await page(w, { cookie: visitorPair(id) });
  assert.equal(hero(first), "Your cart is waiting");
  const thanks = await page(w, { cookie: visitorPair(id), path: "/thank-you" });
  const history = thanks.setCookies.find((c) => c.startsWith("tailor_b=")).split(";")[0];
  const next = await page(w, { cookie: `${visitorPair(id)}; ${history}` });
  assert.notEqual(hero(next), "Your cart is waiting");
});

test("webhooks need a valid signature and a valid payload; nothing is written otherwise", async () => {
  const w = await worker();
  const payload = order({ orderId: 6001, customerId: 8001 });
  const before = await allKeys(w);
  const cases = [
    ["wrong secret", await shopifyWebhook(w, "orders/create", payload, { secret: "not-the-secret" }), 401],
    ["modified body", await shopifyWebhook(w, "orders/create", payload, { tamper: (b) => b.replace("233.00", "1.00") }), 401],
    ["hex signature", await request(`${w.url}/__tailor/webhooks/shopify`, {
      method: "POST",
      headers: { "x-shopify-topic": "orders/create", "x-shopify-webhook-id": "x", "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(JSON.stringify(payload)).digest("hex") },
      body: JSON.stringify(payload),
    }), 401],
    ["no signature", await request(`${w.url}/__tailor/webhooks/events`, { method: "POST", body: "{}" }), 401],
  ];
  const rightSignature = hmac(SHOPIFY_SECRET, JSON.stringify(payload));
  for (const [name, res, status] of cases) {
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.ok(!res.text.includes(rightSignature) && !res.text.includes(SHOPIFY_SECRET), `${name}: no detail leaked: ${res.text}`);
  }
  const broken = "{not json";
  const bad = await request(`${w.url}/__tailor/webhooks/events`, {
    method: "POST",
    headers: { "x-tailor-hmac-sha256": hmac(WEBHOOK_SECRET, broken) },
    body: broken,
  });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.text).error, /JSON/);
  const huge = JSON.stringify({ id: "e", type: "cart", padding: "x".repeat(300 * 1024) });
  const tooLarge = await request(`${w.url}/__tailor/webhooks/events`, {
    method: "POST",
    headers: { "x-tailor-hmac-sha256": hmac(WEBHOOK_SECRET, huge) },
    body: huge,
  });
  assert.equal(tooLarge.status, 413);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await allKeys(w), before, "no key was written");

  // The generic format, signed: accepted and applied to the customer's profile.
  const event = JSON.stringify({ id: "evt-1", type: "customer", customerId: "c-77", customer: { firstName: "Ines", tags: ["vip"] } });
  const ok = await request(`${w.url}/__tailor/webhooks/events`, {
    method: "POST",
    headers: { "x-tailor-hmac-sha256": hmac(WEBHOOK_SECRET, event) },
    body: event,
  });
  assert.equal(ok.status, 200, ok.text);
  const customer = await kvEventually(w, "profile:customer:c-77", (p) => p?.firstName === "Ines");
  assert.deepEqual(customer.tags, ["vip"]);
});

test("a tampered or foreign visitor cookie gets a fresh id and generic content", async () => {
  const id = visitorId("mayaVip");
  const w = await worker({ kv: [{ key: `profile:${id}`, value: JSON.stringify({ firstName: "Maya" }) }] });
  assert.equal(hero(await page(w, { cookie: visitorPair(id) })), "Welcome back, Maya");
  const signed = signVisitor(id);
  for (const cookie of [
    `tailor_vid=${id}`, // unsigned: someone typed a known id
    `tailor_vid=${id}.${signed.split(".")[1].replace(/^./, (c) => (c === "A" ? "B" : "A"))}`, // tampered tag
    `tailor_vid=${signVisitor(id, "someone-elses-key-0123456789abcdefghijk")}`, // signed elsewhere
  ]) {
    const res = await page(w, { cookie });
    assert.equal(hero(res), "Welcome", `${cookie}: generic content, not Maya's`);
    const issued = res.setCookies.find((c) => c.startsWith("tailor_vid="));
    assert.ok(issued, `${cookie}: a fresh id is issued`);
    assert.ok(!issued.startsWith(`tailor_vid=${id}`), "never the presented id");
  }
});

test("key rotation: a cookie signed with the previous key is accepted and re-signed", async () => {
  const id = visitorId("rotated");
  const oldKey = "the-old-visitor-id-key-0123456789abcdefgh";
  const newKey = "the-new-visitor-id-key-0123456789abcdefgh";
  const w = await worker({
    kv: [{ key: `profile:${id}`, value: JSON.stringify({ firstName: "Ola" }) }],
    bindings: { TAILOR_ID_KEY: newKey, TAILOR_ID_KEY_PREVIOUS: oldKey },
  });
  const res = await page(w, { cookie: visitorPair(id, oldKey) });
  assert.equal(hero(res), "Welcome back, Ola");
  const issued = res.setCookies.find((c) => c.startsWith("tailor_vid=")).split(";")[0];
  assert.equal(issued, visitorPair(id, newKey));
});

test("a logged-in customer is recognised from the storefront's signed cookie on any browser", async () => {
  const w = await worker({ kv: [{ key: "profile:customer:c-42", value: JSON.stringify({ firstName: "Jonas" }) }] });
  const issued = Math.floor(Date.now() / 1000);
  const payload = `c-42.${issued}`;
  const signature = createHmac("sha256", IDENTITY_SECRET).update(payload).digest("hex");
  const res = await page(w, { cookie: `tailor_customer=${payload}.${signature}` });
  assert.equal(hero(res), "Welcome back, Jonas", "a new browser, logged in");
  const forged = await page(w, { cookie: `tailor_customer=c-43.${issued}.${signature}` });
  assert.equal(hero(forged), "Welcome", "another customer's id with this signature is not believed");
});

test("GPC and visitors without consent get contextual content only and no identifying cookie", async () => {
  const id = visitorId("privateOne");
  const kv = [{ key: `profile:${id}`, value: JSON.stringify({ firstName: "Maya" }) }];
  const w = await worker({ kv });
  const gpc = await page(w, { cookie: visitorPair(id), ua: PHONE, headers: { "sec-gpc": "1" } });
  assert.equal(hero(gpc), "Shopping on the go?", "the page's context still personalizes");
  assert.deepEqual(setCookieNames(gpc), ["tailor_vid"]);
  assert.match(gpc.setCookies[0], /^tailor_vid=; .*Max-Age=0/, "the id we stored before is deleted");
  const fresh = await page(w, { ua: PHONE, headers: { "sec-gpc": "1" } });
  assert.deepEqual(fresh.setCookies, [], "no cookie at all for a new GPC visitor");
  assert.match(fresh.headers["cache-control"], /private/);

  // In the EU nothing personal happens until the consent cookie says yes.
  const eu = await worker({
    kv,
    cf: { country: "FR", continent: "EU" },
  });
  const noConsent = await page(eu, { cookie: visitorPair(id), ua: PHONE });
  assert.equal(hero(noConsent), "Shopping on the go?");
  assert.ok(!setCookieNames(noConsent).some((n) => n === "tailor_b"), "no behaviour cookie");
  assert.ok(!noConsent.setCookies.some((c) => /^tailor_vid=[^;]/.test(c)), "no id cookie");
  const consented = await startWorker({
    origin,
    cf: { country: "FR", continent: "EU" },
    kv: [{ key: "config", value: JSON.stringify({ ...CONFIG, consent: { cookie: "cmp", granted: "personalization=yes" } }) }, ...kv],
  });
  const yes = await page(consented, { cookie: `${visitorPair(id)}; cmp=personalization=yes`, ua: PHONE });
  assert.equal(hero(yes), "Welcome back, Maya", "with consent the profile is used");
  const no = await page(consented, { cookie: `${visitorPair(id)}; cmp=personalization=no`, ua: PHONE });
  assert.equal(hero(no), "Shopping on the go?");
});

test("opting out clears our cookies, marks the profile and sticks across devices", async () => {
  const id = visitorId("optingOut");
  const w = await worker();
  // Linked to customer c-9 by an order, so the mark reaches the customer's profile too.
  await shopifyWebhook(w, "orders/create", order({ orderId: 9001, customerId: 9009, visitorToken: signVisitor(id) }));
  await shopifyWebhook(w, "customers/create", customer(9009));
  await kvEventually(w, `profile:${id}`, (p) => p?.orders?.count === 1 && p?.firstName === "Maya");
  assert.equal(hero(await page(w, { cookie: visitorPair(id) })), "Welcome back, Maya");

  const crossSite = await request(`${w.url}/__tailor/opt-out`, { method: "POST", headers: { cookie: visitorPair(id), "sec-fetch-site": "cross-site" } });
  assert.equal(crossSite.status, 403, "another site cannot opt the shopper out or in");
  const form = await request(`${w.url}/__tailor/opt-out`, { headers: { cookie: visitorPair(id) } });
  assert.match(form.text, /<form method="post" action="\/__tailor\/opt-out">/);
  const out = await request(`${w.url}/__tailor/opt-out`, { method: "POST", headers: { cookie: visitorPair(id), "sec-fetch-site": "same-origin" } });
  assert.equal(out.status, 303);
  assert.equal(out.headers["cache-control"], "no-store");
  for (const name of ["tailor_vid", "tailor_b", "tailor_x", "tailor_s"]) {
    assert.ok(out.setCookies.some((c) => c.startsWith(`${name}=;`) && /Max-Age=0/.test(c)), `${name} cleared`);
  }
  assert.ok(out.setCookies.some((c) => c.startsWith("tailor_optout=1;")));
  await kvEventually(w, "profile:customer:9009", (p) => p?.optedOut === true);
  await kvEventually(w, `profile:${id}`, (p) => p?.optedOut === true);

  // This browser: the opt-out cookie; no id is issued again.
  const after = await page(w, { cookie: "tailor_optout=1" });
  assert.equal(hero(after), "Welcome");
  assert.deepEqual(after.setCookies, []);
  // Another device of the same customer (logged in): the profile's mark is honoured and
  // remembered there too.
  const issued = Math.floor(Date.now() / 1000);
  const payload = `9009.${issued}`;
  const login = `tailor_customer=${payload}.${createHmac("sha256", IDENTITY_SECRET).update(payload).digest("hex")}`;
  const other = await page(w, { cookie: login });
  assert.equal(hero(other), "Welcome", "no personal content on the other device");
  assert.ok(other.setCookies.some((c) => c.startsWith("tailor_optout=1;")));
  assert.ok(!other.setCookies.some((c) => /^tailor_vid=[^;]/.test(c)));
});

test("erasure deletes the profile and every key linked to it, and its event rows", async () => {
  const w = await worker();
  const [first, second] = [visitorId("eraseFirst"), visitorId("eraseSecond")];
  // A cart link (the storefront asked for the visitor token with Shopify's cart cookie), a
  // cart webhook, orders from two browsers, an exposure row.
  const token = await request(`${w.url}/__tailor/visitor`, { headers: { cookie: `${visitorPair(first)}; cart=c1-erase%3Fkey%3Dsecret` } });
  assert.equal(JSON.parse(token.text).visitorToken, signVisitor(first));
  await kvEventually(w, "cart:c1-erase", (v) => v?.visitor === first);
  const cart = { token: "c1-erase", updated_at: new Date().toISOString(), line_items: [{ product_id: 1, title: "Socks", quantity: 2, price: "9.00" }] };
  assert.equal((await shopifyWebhook(w, "carts/update", cart)).status, 200);
  await kvEventually(w, `profile:${first}`, (p) => p?.cart?.itemCount === 2);
  await shopifyWebhook(w, "orders/create", order({ orderId: 7101, customerId: 7100, visitorToken: signVisitor(first) }));
  await shopifyWebhook(w, "orders/create", order({ orderId: 7102, customerId: 7100, visitorToken: signVisitor(second) }));
  await kvEventually(w, "profile:customer:7100", (p) => p?.orders?.count === 2 && p?.visitorIds?.length === 2);
  // The orders reach D1 as conversions through the events queue: wait for both rows.
  const deadline = Date.now() + 10000;
  while ((await w.db.prepare("SELECT * FROM orders").all()).results.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await w.db.prepare("INSERT INTO exposures (experiment, visitor, variant, first_at) VALUES ('x', ?1, 1, 0)").bind(second).run();
  const personal = (keys) => keys.filter((k) => [first, second, "7100", "c1-erase"].some((s) => k.includes(s)));
  assert.deepEqual(personal(await allKeys(w)).sort(), ["cart:c1-erase", "profile:customer:7100", `profile:${first}`, `profile:${second}`].sort());

  const unauthorized = await request(`${w.url}/__tailor/profiles/customer/7100`, { method: "DELETE" });
  assert.equal(unauthorized.status, 401);
  assert.deepEqual(JSON.parse(unauthorized.text), { error: "unauthorized" });

  const erased = await request(`${w.url}/__tailor/profiles/visitor/${second}`, { method: "DELETE", headers: admin });
  assert.equal(erased.status, 200, erased.text);
  assert.equal(erased.headers["cache-control"], "no-store");
  assert.equal(JSON.parse(erased.text).visitors, 2, "the whole family, found from one browser");
  assert.deepEqual(personal(await allKeys(w)), [], "no key linked to the person is left");
  for (const table of ["exposures", "orders", "segment_visitors", "content_visitors"]) {
    const rows = (await w.db.prepare(`SELECT * FROM ${table} WHERE visitor IN (?1, ?2)`).bind(first, second).all()).results;
    assert.deepEqual(rows, [], `${table} has no row of theirs`);
  }
  const gone = await request(`${w.url}/__tailor/profiles/customer/7100`, { headers: admin });
  assert.equal(gone.status, 404);

  // A delivery of an order placed before the erasure (a retry, a late webhook) does not bring
  // the person back: the erasure left tombstones, named by hashes, not ids.
  assert.ok((await allKeys(w)).some((k) => k.startsWith("erased:")));
  const late = order({ orderId: 7103, customerId: 7100, visitorToken: signVisitor(first), at: new Date(Date.now() - 60_000) });
  assert.equal((await shopifyWebhook(w, "orders/create", late)).status, 200);
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual(personal(await allKeys(w)), [], "still nothing of theirs");
});
