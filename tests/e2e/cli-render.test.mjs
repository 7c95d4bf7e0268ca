// `tailor render` against the worker: the same request (persona cookies from the worker's own
// persona switch, the persona's profile, the same page and URL) must give exactly the bytes
// the worker serves in workerd. The worker's clock cannot be pinned, so the CLI gets the
// request's own time (`--now`) and the fixtures' relative times are resolved against the
// same instant; what remains (milliseconds between the two) is below every granularity the
// fixture conditions use (days, hours).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, isAbsolute } from "node:path";
import { ROOT, kvEntries, personas, resolveTimes } from "../../scripts/fixtures.mjs";
import { startServer, startWorker, request, CookieJar, ID_KEY } from "./harness.mjs";

const targetDir = process.env.CARGO_TARGET_DIR
  ? (isAbsolute(process.env.CARGO_TARGET_DIR) ? process.env.CARGO_TARGET_DIR : join(ROOT, process.env.CARGO_TARGET_DIR))
  : join(ROOT, "target");
const TAILOR = join(targetDir, "debug", "tailor");

const PAGES = {
  "/": "fixtures/storefront/index.html",
  "/products/glacier-3-in-1-parka": "fixtures/storefront/products/glacier-3-in-1-parka.html",
  "/cart": "fixtures/storefront/cart.html",
};

let worker;
let now;
const scratch = mkdtempSync(join(tmpdir(), "tailor-cli-render-"));

before(async () => {
  assert.ok(existsSync(TAILOR), `${TAILOR} is missing: run cargo build (or cargo test) first`);
  const origin = await startServer((req, res) => {
    const page = PAGES[new URL(req.url, "http://origin").pathname];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(readFileSync(join(ROOT, page)));
  });
  now = Date.now();
  worker = await startWorker({ origin, kv: kvEntries(now) });
});

const cases = [
  ["vip", "/"],
  ["cart-abandoner", "/"],
  ["cart-abandoner", "/cart"],
  ["lapsed", "/products/glacier-3-in-1-parka"],
  ["first-time", "/"],
];

for (const [persona, path] of cases) {
  test(`tailor render gives the worker's bytes: ${persona} on ${path}`, async () => {
    const jar = new CookieJar();
    const switched = jar.store(await request(`${worker.url}/__tailor/persona/${persona}`));
    assert.equal(switched.status, 303);
    const cookie = jar.header();
    const at = Date.now();
    const served = await request(`${worker.url}${path}`, { headers: cookie ? { cookie } : {} });
    assert.equal(served.status, 200);

    const args = [
      "render",
      "--config", join(ROOT, "fixtures/config.json"),
      "--catalog", join(ROOT, "fixtures/catalog.json"),
      "--url", `${worker.url}${path}`,
      "--page", join(ROOT, PAGES[path]),
      "--now", String(at),
      "--id-key", ID_KEY,
    ];
    if (cookie) args.push("--cookie", cookie);
    const profile = personas()[persona]?.profile;
    if (profile) {
      const file = join(scratch, `${persona}.json`);
      writeFileSync(file, JSON.stringify(resolveTimes(profile, now)));
      args.push("--profile", file);
    }
    const rendered = execFileSync(TAILOR, args, { cwd: scratch, env: { ...process.env, NO_COLOR: "1" } });
    assert.ok(
      Buffer.compare(rendered, served.buffer) === 0,
      `${persona} ${path}: tailor render differs from the worker (${rendered.length} vs ${served.buffer.length} bytes)`,
    );
    if (persona !== "first-time") {
      assert.notEqual(served.text, readFileSync(join(ROOT, PAGES[path]), "utf8"), "the page is personalized");
    }
  });
}
