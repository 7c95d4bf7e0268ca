// Fault injection. For every fault the shopper gets the origin's page (or the origin's own
// error): never a 5xx made by Tailor, never a body Tailor cut short, and a log line says what
// happened wherever the worker can notice. The config personalizes, so the rewriter is in the
// path of every page below; requests carry a browser's User-Agent (without one they are bots).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { startWorker, startServer, waitForLog, visitorPair } from "./harness.mjs";
import { HERO_CONFIG } from "./origin.mjs";

const BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const RETURNING = visitorPair("BwcHBwcHBwcHBwcHBwcHBw");
const HTML = { "content-type": "text/html; charset=utf-8" };

const PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<div data-tailor-slot="hero" class="hero"><h1>Default hero</h1></div>
<div data-tailor-slot="banner"><p>Default banner</p></div>
<div data-tailor-slot="recs"><p>Origin best sellers</p></div>
<p id="note">café ✓</p>
</body></html>`;
const DEFAULT_HERO = "<h1>Default hero</h1>";
const NEW_HERO = "<h1>Welcome, new friend</h1>";
/** What HERO_CONFIG makes of `html` for a first-time visitor. */
const personalized = (html) => html.replace(DEFAULT_HERO, NEW_HERO);

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A 10 MB page: the hero first, then numbered paragraphs, then a footer.
const BIG_HEAD = PAGE.slice(0, PAGE.indexOf("<p id=\"note\">"));
const BIG_FILLER = Array.from({ length: 500_000 }, (_, i) => `<p>item ${String(i).padStart(8, "0")}</p>\n`).join("");
const BIG_PAGE = Buffer.from(`${BIG_HEAD}${BIG_FILLER}<footer>the end</footer></body></html>`);
// 100,000 nested divs after the hero.
const DEPTH = 100_000;
const DEEP_PAGE = Buffer.from(`${BIG_HEAD}${"<div>".repeat(DEPTH)}deep${"</div>".repeat(DEPTH)}</body></html>`);
// Random bytes labelled text/html, after a well-formed hero.
const GARBAGE_HEAD = `<div data-tailor-slot="hero"><h1>Default hero</h1></div>`;
const GARBAGE = randomBytes(256 * 1024);
// A page of ~100 KB, for the faults that cut it somewhere in the middle.
const LONG_PAGE = Buffer.from(`${BIG_HEAD}${"<p>filler paragraph</p>\n".repeat(4000)}</body></html>`);

/** Writes a raw HTTP/1.1 response head on the request's socket (bypassing Node's checks). */
function rawHead(req, headers) {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  req.socket.write(`HTTP/1.1 200 OK\r\n${lines}\r\n`);
}

const seen = [];
const originUrl = await startServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  seen.push({ method: req.method, url: req.url, headers: req.headers, body });
  const path = new URL(req.url, "http://origin").pathname;
  switch (path) {
    case "/slow":
      await sleep(1500);
      res.writeHead(200, HTML);
      return res.end(PAGE);
    case "/reset":
      // Half the page, then the connection dies.
      res.writeHead(200, HTML);
      res.write(LONG_PAGE.subarray(0, LONG_PAGE.length / 2));
      await sleep(200);
      return req.socket.destroy();
    case "/claims-more":
      // Content-Length 1000 bytes beyond what is sent; the connection is closed after 1.5 s.
      rawHead(req, { ...HTML, "content-length": LONG_PAGE.length + 1000 });
      req.socket.write(LONG_PAGE);
      await sleep(1500);
      return req.socket.destroy();
    case "/claims-fewer":
      // Content-Length 50 bytes short of the body; the 50 bytes follow anyway, and the
      // connection stays open a while as if kept alive.
      rawHead(req, { ...HTML, "content-length": Buffer.byteLength(PAGE) });
      req.socket.write(`${PAGE}${"x".repeat(50)}`);
      await sleep(1500);
      return req.socket.destroy();
    case "/garbage":
      res.writeHead(200, { "content-type": "text/html" });
      return res.end(Buffer.concat([Buffer.from(GARBAGE_HEAD), GARBAGE]));
    case "/big":
      res.writeHead(200, HTML);
      return res.end(BIG_PAGE);
    case "/deep":
      res.writeHead(200, HTML);
      return res.end(DEEP_PAGE);
    case "/many-headers": {
      const headers = { ...HTML };
      for (let i = 0; i < 500; i++) headers[`x-fault-${i}`] = `value-${i}`;
      res.writeHead(200, headers);
      return res.end(PAGE);
    }
    case "/echo":
      // What arrived, as HTML with a slot the config would fill if it were rewritten.
      res.writeHead(200, { ...HTML, "x-origin-method": req.method });
      return res.end(`<div data-tailor-slot="hero">${req.method} ${req.headers["content-type"] ?? "-"} ${body.length} ${sha256(body)}</div>`);
  }
  res.writeHead(200, HTML);
  res.end(PAGE);
});

/** A GET (or other) request as a browser makes it that reports whatever happens: a complete
 *  response, a broken one (with the bytes that did arrive), or no answer within `timeoutMs`. */
function fetchRaw(url, { method = "GET", headers = {}, body, timeoutMs = 15000 } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    let res;
    let firstByteMs;
    let finished = false;
    const chunks = [];
    const finish = (outcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const buffer = Buffer.concat(chunks);
      resolve({ outcome, status: res?.statusCode, headers: res?.headers ?? {}, buffer, text: buffer.toString("utf8"), firstByteMs, ms: Date.now() - started });
    };
    // An explicit Content-Length: Node sends a DELETE or OPTIONS body without one otherwise,
    // and the server then sees no body at all.
    const length = body === undefined ? {} : { "content-length": Buffer.byteLength(body) };
    const req = http.request(url, { method, headers: { "user-agent": BROWSER, accept: "text/html", ...length, ...headers }, agent: false }, (r) => {
      res = r;
      firstByteMs = Date.now() - started;
      r.on("data", (d) => chunks.push(d));
      r.on("end", () => finish("complete"));
      r.on("error", (e) => finish(`error ${e.code ?? e.message}`));
      r.on("close", () => finish(r.complete ? "complete" : "incomplete"));
    });
    req.on("error", (e) => finish(`error ${e.code ?? e.message}`));
    const timer = setTimeout(() => {
      finish("timeout");
      req.destroy();
    }, timeoutMs);
    if (body) req.write(body);
    req.end();
  });
}

const worker = await startWorker({ origin: originUrl, kv: [{ key: "config", value: HERO_CONFIG }] });

/** The worker still serves a normal personalized page (the isolate survived the fault). */
async function assertStillServing() {
  const res = await fetchRaw(`${worker.url}/page`);
  assert.equal(res.outcome, "complete");
  assert.equal(res.status, 200);
  assert.equal(res.text, personalized(PAGE), "the next page view is whole and personalized");
}

// --- KV ----------------------------------------------------------------------------------

test("a catalog of the wrong shape: the page is served, recommendations left alone, logged", async () => {
  const config = JSON.parse(HERO_CONFIG);
  config.slots.push({
    id: "recs",
    selector: "[data-tailor-slot=recs]",
    action: "setInnerContent",
    content: {},
    default: { template: "<ul>{% for p in recommendations %}<li>{{ p.title }}</li>{% endfor %}</ul>", recommendations: { strategy: "bestSellers" } },
  });
  const shop = await startWorker({
    origin: originUrl,
    kv: [
      { key: "config", value: JSON.stringify(config) },
      { key: "catalog", value: JSON.stringify({ products: { "p-1": "not a list" } }) },
    ],
  });
  const res = await fetchRaw(`${shop.url}/page`);
  assert.equal(res.status, 200);
  assert.equal(res.text, personalized(PAGE), "hero personalized, the origin's recommendations kept");
  assert.ok(await waitForLog(shop, /catalog in KV is invalid, recommendation slots are left alone; 1 error\(s\): products: expected an array, found an object/), shop.logs());

  // Valid JSON, valid shape, invalid values: every error is named.
  const product = { id: "p-1", handle: "a", title: "A", url: "/a", price: -1, currency: "USD", categories: [], tags: [], inStock: true, popularity: 1, createdAt: "yesterday" };
  await shop.kv.put("catalog", JSON.stringify({ products: [product, { ...product, price: 5, createdAt: "2026-01-01" }] }));
  const again = await fetchRaw(`${shop.url}/page`);
  assert.equal(again.status, 200);
  assert.equal(again.text, personalized(PAGE));
  assert.ok(await waitForLog(shop, /4 error\(s\): products\[0\]\.price: must be a number of at least 0; products\[0\]\.createdAt: "yesterday" is not a date; products\[1\]\.id: "p-1" is used by another product; products\[1\]\.handle: "a" is used by another product/), shop.logs());

  // The control: with a valid catalog the same config does fill the slot.
  await shop.kv.put("catalog", JSON.stringify({ products: [{ ...product, price: 5, createdAt: "2026-01-01" }] }));
  const valid = await fetchRaw(`${shop.url}/page`);
  assert.equal(valid.text, personalized(PAGE).replace("<p>Origin best sellers</p>", "<ul><li>A</li></ul>"));
});

// --- Origin ------------------------------------------------------------------------------

test("origin slow to its first byte (1.5 s): the page arrives whole and personalized", async () => {
  const res = await fetchRaw(`${worker.url}/slow`);
  assert.equal(res.outcome, "complete");
  assert.equal(res.status, 200);
  assert.equal(res.text, personalized(PAGE));
  assert.ok(res.ms >= 1400 && res.ms < 5000, `took ${res.ms} ms`);
});

test("origin resets the connection mid-body: the client gets a short body, the next request works", async () => {
  const res = await fetchRaw(`${worker.url}/reset`);
  console.log(`reset: outcome ${res.outcome}, ${res.buffer.length} of ${LONG_PAGE.length} bytes, ${res.ms} ms`);
  assert.equal(res.status, 200, "the status went out with the first half");
  assert.ok(res.buffer.length < LONG_PAGE.length, `got ${res.buffer.length} of ${LONG_PAGE.length} bytes`);
  assert.ok(res.text.startsWith(personalized(BIG_HEAD)), "what arrived was rewritten");
  assert.ok(res.ms < 5000, `ended after ${res.ms} ms`);
  // NOTE: the runtime (workerd under Miniflare) ends the chunked body cleanly when the
  // origin's stream breaks, for a pass-through response just as for a rewritten one: the
  // client cannot tell the short page from a whole one, and nothing is logged. The worker
  // never sees the break (the body streams inside the runtime).
  assert.equal(res.outcome, "complete");
  await assertStillServing();
});

test("origin Content-Length larger than its body: the client's response ends when the origin closes", async () => {
  const res = await fetchRaw(`${worker.url}/claims-more`);
  assert.equal(res.status, 200);
  assert.ok(res.ms >= 1400 && res.ms < 6000, `ended after ${res.ms} ms, after the origin closed`);
  assert.equal(res.text, personalized(LONG_PAGE.toString()), "every byte the origin sent arrived, rewritten");
  // NOTE: the worker sets no deadline on the origin's body: the response lasts as long as
  // the origin holds the connection, then ends cleanly (the runtime does not flag the
  // missing 1000 bytes; nothing is logged).
  assert.equal(res.outcome, "complete");
  console.log(`claims-more: outcome ${res.outcome}, ${res.buffer.length} bytes, ${res.ms} ms`);
  await assertStillServing();
});

test("origin Content-Length smaller than its body: the client gets the declared bytes, the next request works", async () => {
  const res = await fetchRaw(`${worker.url}/claims-fewer`);
  assert.equal(res.outcome, "complete");
  assert.equal(res.status, 200);
  assert.equal(res.text, personalized(PAGE), "the declared bytes, rewritten; the surplus dropped");
  assert.ok(res.ms < 1400, `not held until the origin closed (${res.ms} ms)`);
  // The runtime puts the connection with the surplus bytes back in its pool; the next
  // request on it fails at once. The worker tries a GET once more, on a new connection.
  await assertStillServing();
  assert.ok(await waitForLog(worker, /origin fetch failed \(Network connection lost\.\): trying once more/), worker.logs());
});

test("random bytes labelled text/html: a 200 with the bytes passed through the rewriter unchanged", async () => {
  const res = await fetchRaw(`${worker.url}/garbage`);
  assert.equal(res.outcome, "complete");
  assert.equal(res.status, 200);
  const expected = Buffer.concat([Buffer.from(GARBAGE_HEAD.replace(DEFAULT_HERO, NEW_HERO)), GARBAGE]);
  assert.equal(res.buffer.length, expected.length);
  assert.equal(sha256(res.buffer), sha256(expected), "the random bytes are byte-for-byte the origin's");
  await assertStillServing();
});

test("a 10 MB page arrives complete, personalized, its tail unchanged", async () => {
  const res = await fetchRaw(`${worker.url}/big`, { timeoutMs: 30000 });
  assert.equal(res.outcome, "complete");
  assert.equal(res.status, 200);
  const expected = Buffer.from(personalized(BIG_PAGE.toString()));
  assert.equal(res.buffer.length, expected.length);
  assert.ok(res.text.includes(NEW_HERO));
  const tail = BIG_PAGE.length - BIG_HEAD.length;
  assert.equal(sha256(res.buffer.subarray(res.buffer.length - tail)), sha256(BIG_PAGE.subarray(BIG_PAGE.length - tail)), "the 10 MB after the hero are the origin's bytes");
  console.log(`big: ${res.buffer.length} bytes in ${res.ms} ms, first byte after ${res.firstByteMs} ms`);
});

test("HTML nested 100,000 levels deep: a 200 whose body stops where the runtime's rewriter gave up, logged", async () => {
  const res = await fetchRaw(`${worker.url}/deep`, { timeoutMs: 30000 });
  console.log(`deep: outcome ${res.outcome}, status ${res.status}, ${res.buffer.length} of ${DEEP_PAGE.length} bytes, ${res.ms} ms`);
  assert.equal(res.status, 200, "no 5xx: the status went out before the rewriter failed");
  assert.ok(res.text.startsWith(personalized(BIG_HEAD)), "the hero was personalized");
  // NOTE: the runtime's HTMLRewriter (lol-html) keeps a stack of open elements for selector
  // matching; some thousands of levels in it exceeds its memory limit and fails the stream.
  // The client gets the bytes rewritten so far, then a clean end (as with a broken origin),
  // and the runtime logs the uncaught error. The worker has no hook there (the stream is the
  // runtime's), and the status has gone out: nothing to fall back to.
  assert.equal(res.outcome, "complete");
  assert.ok(res.buffer.length < DEEP_PAGE.length / 2, `${res.buffer.length} of ${DEEP_PAGE.length} bytes`);
  assert.ok(await waitForLog(worker, /Parser error: The memory limit has been exceeded/), worker.logs());
  await assertStillServing();
});

test("500 response headers from the origin all reach the client", async () => {
  const res = await fetchRaw(`${worker.url}/many-headers`);
  assert.equal(res.status, 200);
  assert.equal(res.text, personalized(PAGE));
  const missing = Array.from({ length: 500 }, (_, i) => i).filter((i) => res.headers[`x-fault-${i}`] !== `value-${i}`);
  assert.deepEqual(missing, [], "every x-fault-N header, with its value");
});

// --- Requests ----------------------------------------------------------------------------

/** The origin's record of the last request to `path`. */
const lastSeen = (path) => seen.findLast((s) => s.url === path);

test("an 8 KB+ Cookie header: the visitor is recognised, the origin gets the header unchanged", async () => {
  const cookie = `big=${"a".repeat(9000)}; ${RETURNING}`;
  const res = await fetchRaw(`${worker.url}/big-cookie`, { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.equal(res.text, PAGE.replace(DEFAULT_HERO, "<h1>Welcome back</h1>"));
  assert.equal(lastSeen("/big-cookie").headers.cookie, cookie);
});

test("hundreds of cookies: the visitor is recognised, the origin gets them all", async () => {
  const cookie = [...Array.from({ length: 400 }, (_, i) => `c${i}=v${i}`), RETURNING].join("; ");
  const res = await fetchRaw(`${worker.url}/many-cookies`, { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.equal(res.text, PAGE.replace(DEFAULT_HERO, "<h1>Welcome back</h1>"));
  assert.equal(lastSeen("/many-cookies").headers.cookie, cookie);
});

test("invalid UTF-8 percent-encoded in the path and query: the origin gets them as sent, the page personalized", async () => {
  const res = await fetchRaw(`${worker.url}/%ff%fe?x=%c3%28&y=%`);
  assert.equal(res.status, 200);
  assert.equal(res.text, personalized(PAGE));
  assert.equal(seen.at(-1).url, "/%ff%fe?x=%c3%28&y=%");
});

test("raw invalid UTF-8 bytes in a cookie value: served, the visitor still recognised", async () => {
  // Node writes header strings as latin1: these are the bytes 0xff 0xfe 0xc3 0x28 0x80.
  const cookie = `odd=\xff\xfe\xc3\x28\x80; ${RETURNING}`;
  const res = await fetchRaw(`${worker.url}/odd-cookie`, { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.equal(res.text, PAGE.replace(DEFAULT_HERO, "<h1>Welcome back</h1>"));
  assert.equal(Buffer.from(lastSeen("/odd-cookie").headers.cookie, "latin1").toString("hex"), Buffer.from(cookie, "latin1").toString("hex"), "the origin gets the same bytes");
});

test("a GET with a body (Content-Length: 0, or bytes) is served and personalized, the body dropped", async () => {
  for (const body of ["", "stray bytes"]) {
    const res = await fetchRaw(`${worker.url}/get-with-body`, { body });
    assert.equal(res.status, 200, `body ${JSON.stringify(body)}`);
    assert.equal(res.text, personalized(PAGE));
    assert.equal(lastSeen("/get-with-body").body.length, 0);
  }
});

test("PUT, DELETE, OPTIONS and PATCH reach the origin unchanged and its answer comes back unchanged", async () => {
  for (const method of ["PUT", "DELETE", "OPTIONS", "PATCH"]) {
    const body = method === "OPTIONS" ? undefined : `{"method":"${method}"}`;
    const headers = body ? { "content-type": "application/json" } : {};
    const res = await fetchRaw(`${worker.url}/echo`, { method, headers, body });
    const length = body ? body.length : 0;
    assert.equal(res.status, 200, method);
    assert.equal(res.text, `<div data-tailor-slot="hero">${method} ${body ? "application/json" : "-"} ${length} ${sha256(body ?? "")}</div>`, method);
    assert.equal(res.headers["x-origin-method"], method);
    assert.equal(res.headers["set-cookie"], undefined, `${method}: no cookie of ours`);
  }
});

test("POSTs with odd content types: the origin's answer comes back unchanged", async () => {
  const binary = randomBytes(64 * 1024);
  const cases = [
    { type: "multipart/form-data; boundary=----x", body: Buffer.concat([Buffer.from("------x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n"), binary, Buffer.from("\r\n------x--\r\n")]) },
    { type: "application/octet-stream", body: binary },
    { type: "text/plain; charset=no-such-charset", body: Buffer.from("caf\xe9", "latin1") },
    { type: "application/x-www-form-urlencoded", body: Buffer.from("q=%ff%&x=%c3%28") },
    { type: "text/html", body: Buffer.from('<div data-tailor-slot="hero">posted</div>') },
    { type: undefined, body: Buffer.from("no type at all") },
  ];
  for (const { type, body } of cases) {
    const res = await fetchRaw(`${worker.url}/echo`, { method: "POST", headers: type ? { "content-type": type } : {}, body });
    assert.equal(res.status, 200, type);
    assert.equal(res.text, `<div data-tailor-slot="hero">POST ${type ?? "-"} ${body.length} ${sha256(body)}</div>`, type);
    assert.equal(res.headers["set-cookie"], undefined);
  }
});

// --- Config swapped during traffic -------------------------------------------------------

test("a config swapped under traffic: every page is entirely one version, never a 5xx", async () => {
  const version = (letter) =>
    JSON.stringify({
      version: `swap-${letter}`,
      segments: [],
      slots: [
        { id: "hero", selector: "[data-tailor-slot=hero]", action: "setInnerContent", content: {}, default: `<h1>Version ${letter} hero</h1>` },
        { id: "banner", selector: "[data-tailor-slot=banner]", action: "setInnerContent", content: {}, default: `<p>Version ${letter} banner</p>` },
      ],
    });
  const pageOf = (letter) => PAGE.replace(DEFAULT_HERO, `<h1>Version ${letter} hero</h1>`).replace("<p>Default banner</p>", `<p>Version ${letter} banner</p>`);
  const shop = await startWorker({ origin: originUrl, kv: [{ key: "config", value: version("A") }] });

  const counts = { A: 0, B: 0 };
  const problems = [];
  let sent = 0;
  const client = async () => {
    while (sent < 300) {
      sent++;
      const res = await fetchRaw(`${shop.url}/page`, { timeoutMs: 10000 });
      if (res.status === 200 && res.text === pageOf("A")) counts.A++;
      else if (res.status === 200 && res.text === pageOf("B")) counts.B++;
      else problems.push(`${res.outcome} ${res.status}: ${res.text.slice(0, 300)}`);
      if (problems.length > 5) break;
    }
  };
  let swaps = 0;
  const swapper = async () => {
    while (sent < 300 && swaps < 200) {
      await sleep(30);
      swaps++;
      await shop.kv.put("config", version(swaps % 2 ? "B" : "A"));
    }
  };
  await Promise.all([client(), client(), client(), swapper()]);
  console.log(`swap: ${counts.A} A, ${counts.B} B, ${swaps} swaps`);
  assert.deepEqual(problems, [], "every page is all A or all B");
  assert.equal(counts.A + counts.B, 300);
  assert.ok(counts.A > 0 && counts.B > 0, "both versions were served");
  assert.ok(swaps >= 4, `the config changed ${swaps} times`);
});
