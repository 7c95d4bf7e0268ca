// Experiments end to end: the real Wasm in workerd with a real local Queue and D1 (Miniflare).
// Visitors are assigned and keep their variation, exposures land in D1 once per visitor, a
// conversion is attributed to the variation the visitor saw, the report shows it, crawlers are
// never counted, the holdout sees the origin's page, split-URL variations redirect or swap the
// page, the audit counts reach, and the bandit cron reallocates weights.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { ADMIN_TOKEN, CookieJar, request, startServer, startWorker, waitForLog } from "./harness.mjs";
import { ADMIN_WORKER } from "../../scripts/miniflare.mjs";

const PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<h1>Welcome</h1><a class="cta" href="/shop">Shop now</a></body></html>`;
const LANDING_B = "<!doctype html><html><body><h1>Landing</h1><p>Landing B</p></body></html>";

const CONFIG = {
  version: "e2e-experiments",
  segments: [{ id: "everyone", when: {} }],
  slots: [{ id: "hero", selector: "h1", action: "setInnerContent", content: { everyone: "Hello" } }],
  experiments: [
    {
      key: "hero-copy",
      name: "Hero copy",
      hashVersion: 2,
      urlPatterns: [{ type: "simple", pattern: "/" }],
      variations: [{ name: "Control" }, { name: "Bold", content: { hero: "Hello, bold!" } }],
    },
    {
      key: "landing",
      urlPatterns: [{ type: "simple", pattern: "/landing" }],
      hashVersion: 2,
      variations: [{ name: "Original" }, { name: "Redirect", urlRedirect: "/landing-b" }, { name: "Swap", originPath: "/landing-b" }],
    },
  ],
};

let origin;
before(async () => {
  origin = await startServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    if (req.url.startsWith("/missing")) {
      res.statusCode = 404;
      return res.end("not found");
    }
    res.end(req.url.startsWith("/landing-b") ? LANDING_B : PAGE.replace("Welcome", `Welcome to ${req.url.split("?")[0]}`));
  });
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

async function worker(config = CONFIG) {
  return startWorker({ origin, kv: [{ key: "config", value: JSON.stringify(config) }] });
}

/** Polls D1 until `sql` returns `expected` rows count (the queue delivers within ~1 s). */
async function rowsEventually(w, sql, predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let rows = [];
  while (Date.now() < deadline) {
    rows = (await w.db.prepare(sql).all()).results;
    if (predicate(rows)) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
  return rows;
}

function variationOf(jar, key) {
  const entry = decodeURIComponent(jar.get("tailor_x") ?? "")
    .split(".")
    .slice(1)
    .map((e) => e.split("~"))
    .find(([k]) => k === key);
  return entry ? Number(entry[2]) : undefined;
}

test("visitors are assigned, keep their variation, and are counted once", async () => {
  const w = await worker();
  const jars = [];
  for (let i = 0; i < 12; i++) {
    const jar = new CookieJar();
    const first = await jar.visit(`${w.url}/`);
    const variation = variationOf(jar, "hero-copy");
    assert.ok(variation === 0 || variation === 1, `assigned: ${jar.header()}`);
    assert.match(first.text, variation === 1 ? /<h1>Hello, bold!<\/h1>/ : /<h1>Hello<\/h1>/);
    const again = await jar.visit(`${w.url}/`);
    assert.match(again.text, variation === 1 ? /Hello, bold!/ : /<h1>Hello<\/h1>/, "the same variation next time");
    jars.push({ jar, variation });
  }
  const variations = new Set(jars.map((j) => j.variation));
  assert.equal(variations.size, 2, "both variations occur among 12 visitors");
  const rows = await rowsEventually(w, "SELECT visitor, variant FROM exposures WHERE experiment = 'hero-copy'", (r) => r.length >= 12);
  assert.equal(rows.length, 12, "one exposure per visitor, not per page view");
  for (const { jar, variation } of jars) {
    const row = rows.find((r) => r.visitor === jar.get("tailor_vid").split(".")[0]);
    assert.equal(row?.variant, variation, "D1 has the variation the visitor saw");
  }

  // A conversion for a visitor in "Bold" is attributed to Bold, and the report shows it.
  const bold = jars.find((j) => j.variation === 1).jar.get("tailor_vid").split(".")[0];
  const body = JSON.stringify({ visitorId: bold, orderId: "order-1", revenue: 80 });
  const posted = await request(`${w.url}/__tailor/conversion`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body });
  assert.equal(posted.status, 202, posted.text);
  // Delivered twice (a retrying webhook): still one order.
  await request(`${w.url}/__tailor/conversion`, { method: "POST", headers: admin, body });
  const orders = await rowsEventually(w, "SELECT * FROM orders", (r) => r.length >= 1);
  assert.equal(orders.length, 1);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM orders").first()).n, 1, "the duplicate changed nothing");

  const report = await request(`${w.url}/__tailor/report/hero-copy.json`, { headers: admin });
  assert.equal(report.status, 200, report.text);
  assert.equal(report.headers["cache-control"], "no-store");
  const json = JSON.parse(report.text);
  assert.equal(json.arms.length, 2);
  assert.equal(json.arms[1].name, "Bold");
  assert.equal(json.arms[1].conversions, 1);
  assert.equal(json.arms[1].revenue, 80);
  assert.equal(json.arms[0].conversions, 0);
  assert.equal(json.arms[0].visitors + json.arms[1].visitors, 12);
  assert.match(json.method, /delta method/);

  const page = await request(`${w.url}/__tailor/report/hero-copy`, { headers: admin });
  assert.match(page.headers["content-type"], /text\/html/);
  assert.match(page.text, /<svg[^>]*>.*<\/svg>/s);
  assert.match(page.text, /Hero copy/);
});

test("the admin routes need the token and check what they are given", async () => {
  const w = await worker();
  const conversion = (headers, body) => request(`${w.url}/__tailor/conversion`, { method: "POST", headers, body });
  const good = JSON.stringify({ visitorId: "v", orderId: "o" });
  assert.equal((await conversion({}, good)).status, 401);
  const wrong = await conversion({ authorization: "Bearer nope" }, good);
  assert.equal(wrong.status, 401);
  assert.deepEqual(JSON.parse(wrong.text), { error: "unauthorized" }, "no detail leaked");
  assert.equal((await request(`${w.url}/__tailor/report/hero-copy.json`)).status, 401);
  const bad = await conversion(admin, "{not json");
  assert.equal(bad.status, 400);
  assert.match(bad.text, /not JSON/);
  const missing = await conversion(admin, JSON.stringify({ orderId: "o" }));
  assert.match(missing.text, /visitorId is required/);
  assert.equal((await conversion(admin, JSON.stringify({ visitorId: "v", orderId: "o", pad: "x".repeat(20000) }))).status, 413);
  assert.equal((await request(`${w.url}/__tailor/report/nope.json`, { headers: admin })).status, 404);

  const disabled = await startWorker({ origin, adminToken: "", kv: [{ key: "config", value: JSON.stringify(CONFIG) }] });
  const off = await request(`${disabled.url}/__tailor/audit.json`, { headers: admin });
  assert.equal(off.status, 404);
  assert.match(off.text, /admin API is disabled/);
});

test("crawlers get the control and are never counted", async () => {
  const w = await worker();
  for (let i = 0; i < 5; i++) {
    const res = await request(`${w.url}/`, { headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" } });
    assert.match(res.text, /<h1>Hello<\/h1>/, "the control");
    assert.equal(res.setCookies.length, 0);
  }
  // A browser's page view afterwards: once it is in D1, the crawlers' would have been too.
  await new CookieJar().visit(`${w.url}/`);
  const rows = await rowsEventually(w, "SELECT * FROM exposures", (r) => r.length >= 1);
  assert.equal(rows.length, 1, "only the browser was counted");
  const seen = await w.db.prepare("SELECT COUNT(*) AS n FROM segment_visitors").first();
  assert.equal(seen.n, 1, "crawlers are not in the audit either");
});

test("the holdout sees the origin's page and is reported as its own experiment", async () => {
  const w = await worker({ ...CONFIG, holdout: { share: 1 } });
  const jar = new CookieJar();
  const res = await jar.visit(`${w.url}/`);
  assert.match(res.text, /<h1>Welcome to \/<\/h1>/, "no personalization at all");
  const rows = await rowsEventually(w, "SELECT * FROM exposures WHERE experiment = 'holdout'", (r) => r.length >= 1);
  assert.deepEqual(rows.map((r) => r.variant), [1]);
  const report = JSON.parse((await request(`${w.url}/__tailor/report/holdout.json`, { headers: admin })).text);
  assert.deepEqual(report.arms.map((a) => [a.name, a.visitors]), [["Personalized", 0], ["Held out", 1]]);
});

test("split-URL variations redirect on the same site or serve another page in place", async () => {
  const w = await worker();
  // The isolate learns the config (and that /landing is under test) on its first page.
  await request(`${w.url}/`, { headers: { "user-agent": BROWSER } });
  const redirect = await request(`${w.url}/landing?landing=1&utm_source=mail`, { headers: { "user-agent": BROWSER } });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.location, "/landing-b?landing=1&utm_source=mail", "query string kept");
  assert.equal(redirect.headers["cache-control"], "private, no-store");
  const swap = await request(`${w.url}/landing?landing=2`, { headers: { "user-agent": BROWSER } });
  assert.equal(swap.status, 200);
  assert.match(swap.text, /Landing B/, "the other page, at the same address");
  const original = await request(`${w.url}/landing?landing=0`, { headers: { "user-agent": BROWSER } });
  assert.equal(original.status, 200);
  assert.doesNotMatch(original.text, /Landing B/, "the original page (personalized as usual)");
  assert.match(original.text, /<h1>Hello<\/h1>/);

  // Assigned by hash: every visitor gets one of the three, and keeps it. Visitor ids are
  // random, so 15 visitors missed one of three even arms in about 1 run of 150; up to 60
  // miss one in about 10 billion.
  const outcomes = new Set();
  for (let i = 0; i < 60 && (i < 15 || outcomes.size < 3); i++) {
    const jar = new CookieJar();
    const res = await jar.visit(`${w.url}/landing`);
    const kind = res.status === 302 ? "redirect" : /Landing B/.test(res.text) ? "swap" : "original";
    outcomes.add(kind);
    const again = await jar.visit(`${w.url}/landing`);
    const kindAgain = again.status === 302 ? "redirect" : /Landing B/.test(again.text) ? "swap" : "original";
    assert.equal(kindAgain, kind, "sticky");
  }
  assert.equal(outcomes.size, 3, [...outcomes].join(","));
});

test("the audit counts who each segment reached and what each content did", async () => {
  const w = await worker();
  for (let i = 0; i < 3; i++) await new CookieJar().visit(`${w.url}/`);
  await rowsEventually(w, "SELECT * FROM segment_visitors", (r) => r.length >= 3);
  const audit = JSON.parse((await request(`${w.url}/__tailor/audit.json`, { headers: admin })).text);
  const everyone = audit.segments.find((s) => s.segment === "everyone");
  assert.deepEqual([everyone.visitors7d, everyone.visitors30d, everyone.flags], [3, 3, []]);
  const served = audit.contents.filter((c) => c.slot === "hero").reduce((n, c) => n + c.served, 0);
  assert.equal(served, 3);
  const html = await request(`${w.url}/__tailor/audit`, { headers: admin });
  assert.match(html.text, /Personalization audit/);
});

test("the bandit cron moves weight to the better arm and the worker uses it", async () => {
  const config = {
    ...CONFIG,
    experiments: [{ key: "bandit", hashVersion: 2, bandit: { minSample: 100, floor: 0.05 }, variations: [{ name: "A" }, { name: "B", content: { hero: "B wins" } }] }],
  };
  const w = await worker(config);
  // History as the consumer would have stored it: B converts far better.
  const insert = w.db.prepare("INSERT INTO exposures (experiment, visitor, variant, first_at) VALUES (?1, ?2, ?3, 0)");
  const order = w.db.prepare("INSERT INTO orders (order_id, visitor, revenue, at) VALUES (?1, ?2, 10, 1)");
  const statements = [];
  for (let i = 0; i < 200; i++) {
    statements.push(insert.bind("bandit", `a${i}`, 0), insert.bind("bandit", `b${i}`, 1));
    if (i < 4) statements.push(order.bind(`oa${i}`, `a${i}`));
    if (i < 40) statements.push(order.bind(`ob${i}`, `b${i}`));
  }
  await w.db.batch(statements);
  const cron = await w.mf.getWorker(ADMIN_WORKER);
  await cron.scheduled({ cron: "*/30 * * * *" });
  const stored = JSON.parse(await w.kv.get("bandit-weights"));
  const weights = stored.bandit.weights;
  assert.equal(weights.length, 2);
  assert.ok(weights[1] > 0.9 && weights[0] >= 0.05 - 1e-9, JSON.stringify(weights));
  // New visitors now mostly get B (the config reloads every request in tests).
  let b = 0;
  for (let i = 0; i < 20; i++) if (/B wins/.test((await new CookieJar().visit(`${w.url}/`)).text)) b++;
  assert.ok(b >= 14, `${b} of 20 new visitors got B`);
});

test("a message on the queue that is not an event is dropped, and the rest are stored", async () => {
  const w = await worker();
  const producer = await w.mf.getQueueProducer("TAILOR_EVENTS");
  await producer.send("not an event", { contentType: "text" });
  await producer.send(JSON.stringify({ type: "party" }), { contentType: "text" });
  const body = JSON.stringify({ visitorId: "v", orderId: "after-garbage", revenue: 1 });
  assert.equal((await request(`${w.url}/__tailor/conversion`, { method: "POST", headers: admin, body })).status, 202);
  const orders = await rowsEventually(w, "SELECT order_id FROM orders", (r) => r.length >= 1);
  assert.deepEqual(orders.map((r) => r.order_id), ["after-garbage"]);
  assert.ok(await waitForLog(w, /dropping a message that is not an event/), w.logs());
});

test("a split-URL page that is missing at the origin falls back to the page asked for", async () => {
  const config = {
    ...CONFIG,
    experiments: [{ key: "broken", urlPatterns: [{ type: "simple", pattern: "/landing" }], variations: [{}, { originPath: "/missing" }] }],
  };
  const w = await worker(config);
  await request(`${w.url}/`, { headers: { "user-agent": BROWSER } });
  const res = await request(`${w.url}/landing?broken=1`, { headers: { "user-agent": BROWSER } });
  assert.equal(res.status, 200);
  assert.match(res.text, /<title>Shop<\/title>/);
  assert.ok(await waitForLog(w, /split-URL page \/missing answered 404/), w.logs());
});

test("without the Queue and D1 bindings pages are unaffected and the dropped events are logged", async () => {
  const w = await startWorker({ origin, withoutEvents: true, kv: [{ key: "config", value: JSON.stringify(CONFIG) }] });
  const jar = new CookieJar();
  const res = await jar.visit(`${w.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.text, /<h1>Hello(, bold!)?<\/h1>/, "personalized as usual");
  assert.ok(variationOf(jar, "hero-copy") !== undefined, "still assigned");
  assert.ok(await waitForLog(w, /2 event\(s\) dropped: no TAILOR_EVENTS queue binding/), w.logs());
  const report = await request(`${w.url}/__tailor/report/hero-copy.json`, { headers: admin });
  assert.equal(report.status, 503);
  assert.match(report.text, /event store is unavailable/);
});
