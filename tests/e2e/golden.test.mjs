// The golden pages through the real worker: the runtime's HTMLRewriter, driven from our Wasm,
// must produce exactly the bytes the native lol_html engine produced (tests/golden.rs).
// Persona cases seed the fixtures and take the persona's cookies from the worker's own
// persona switch, which replays its history as the native test does.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import { ROOT, kvEntries } from "../../scripts/fixtures.mjs";
import { startServer, startWorker, request, CookieJar, visitorPair } from "./harness.mjs";

const GOLDEN = join(ROOT, "tests/golden");
const cases = readdirSync(GOLDEN).filter((name) => existsSync(join(GOLDEN, name, "request.json"))).sort();
const spec = (name) => JSON.parse(readFileSync(join(GOLDEN, name, "request.json"), "utf8"));
const input = (name) => (spec(name).page ? readFileSync(join(ROOT, spec(name).page)) : readFileSync(join(GOLDEN, name, "input.html")));

let origin;
before(async () => {
  // The origin serves the page of the case named in a header (the worker forwards request
  // headers), so the worker sees the case's real path, as the native run does.
  origin = await startServer((req, res) => {
    const name = req.headers["x-golden-case"];
    res.writeHead(200, { "content-type": spec(name).contentType ?? "text/html; charset=utf-8" });
    res.end(input(name));
  });
});

for (const name of cases) {
  test(`golden page ${name}: the runtime produces the expected bytes`, async () => {
    const s = spec(name);
    const jar = new CookieJar();
    let kv;
    if (s.persona) {
      kv = kvEntries();
    } else {
      kv = [{ key: "config", value: readFileSync(join(GOLDEN, name, "config.json"), "utf8") }];
      const visitorId = /tailor_vid=([^;]+)/.exec(s.cookie ?? "")?.[1];
      if (s.profile && visitorId) kv.push({ key: `profile:${visitorId}`, value: JSON.stringify(s.profile) });
    }
    const worker = await startWorker({ origin, kv });
    if (s.persona) {
      const persona = basename(s.persona, ".json");
      const switched = jar.store(await request(`${worker.url}/__tailor/persona/${persona}`));
      assert.equal(switched.status, 303, `persona ${persona}`);
    }
    const path = new URL(s.url).pathname;
    // Cases name visitors by their bare ids; the browser would hold them signed.
    const cookie = s.persona ? jar.header() : s.cookie?.replace(/tailor_vid=([^;]+)/, (_, id) => visitorPair(id));
    const res = await request(`${worker.url}${path}`, {
      headers: { "x-golden-case": name, ...(cookie ? { cookie } : {}) },
    });
    assert.equal(res.status, 200);
    const expected = readFileSync(join(GOLDEN, name, "expected.html"));
    assert.equal(res.buffer.toString("latin1"), expected.toString("latin1"), `${name}: runtime output differs from expected.html`);
  });
}
