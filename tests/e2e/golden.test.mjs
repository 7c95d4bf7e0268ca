// The golden pages through the real worker: the runtime's HTMLRewriter, driven from our Wasm,
// must produce exactly the bytes the native lol_html engine produced (tests/golden.rs).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/fixtures.mjs";
import { startServer, startWorker, request } from "./harness.mjs";

const GOLDEN = join(ROOT, "tests/golden");
const cases = readdirSync(GOLDEN).filter((name) => existsSync(join(GOLDEN, name, "input.html"))).sort();

let origin;
before(async () => {
  origin = await startServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, "http://o").pathname.slice(1));
    const spec = JSON.parse(readFileSync(join(GOLDEN, name, "request.json"), "utf8"));
    res.writeHead(200, { "content-type": spec.contentType ?? "text/html; charset=utf-8" });
    res.end(readFileSync(join(GOLDEN, name, "input.html")));
  });
});

for (const name of cases) {
  test(`golden page ${name}: the runtime produces the expected bytes`, async () => {
    const spec = JSON.parse(readFileSync(join(GOLDEN, name, "request.json"), "utf8"));
    const kv = [{ key: "config", value: readFileSync(join(GOLDEN, name, "config.json"), "utf8") }];
    const visitorId = /tailor_vid=([^;]+)/.exec(spec.cookie ?? "")?.[1];
    if (spec.profile && visitorId) kv.push({ key: `profile:${visitorId}`, value: JSON.stringify(spec.profile) });
    const worker = await startWorker({ origin, kv });
    const res = await request(`${worker.url}/${encodeURIComponent(name)}`, {
      headers: spec.cookie ? { cookie: spec.cookie } : {},
    });
    assert.equal(res.status, 200);
    const expected = readFileSync(join(GOLDEN, name, "expected.html"));
    assert.equal(res.buffer.toString("latin1"), expected.toString("latin1"), `${name}: runtime output differs from expected.html`);
  });
}
