// The config API end to end: the real Wasm in workerd with a real local KV (Miniflare).
// Uploads are validated with the runtime's own selector parser (invalid: 422, every error,
// nothing written), kept as versions, rolled back; the isolate that handled a change serves it
// on its very next page view although its config TTL is long.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import { ADMIN_TOKEN, request, startServer, startWorker } from "./harness.mjs";

const PAGE = `<!doctype html><html><head><title>Shop</title></head><body><h1>Welcome</h1></body></html>`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A valid config whose hero says `headline` to everyone. */
function config(version, headline) {
  return JSON.stringify({
    version,
    segments: [{ id: "everyone", when: {} }],
    slots: [{ id: "hero", selector: "h1", action: "setInnerContent", content: { everyone: headline } }],
  });
}

let origin;
before(async () => {
  origin = await startServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(PAGE);
  });
});

// NOTE: a ten-minute config TTL: a page showing a new config right after an upload proves the
// isolate dropped its cached copy, not that it expired.
async function worker(kv = [{ key: "config", value: config("legacy", "Hello from the legacy config") }]) {
  return startWorker({ origin, kv, bindings: { CONFIG_TTL_SECONDS: "600" } });
}

const hero = async (w) =>
  /<h1>([^<]*)<\/h1>/.exec((await request(`${w.url}/`, { headers: { accept: "text/html" } })).text)?.[1];

async function call(w, method, path, { body, headers = {} } = {}) {
  const res = await request(`${w.url}/__tailor/config${path}`, {
    method,
    body,
    headers: { ...admin, ...(body ? { "content-type": "application/json" } : {}), ...headers },
  });
  assert.equal(res.headers["cache-control"], "no-store", `${method} ${path}`);
  let json;
  try {
    json = JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  return { ...res, json };
}

/** Every key and value in the namespace, to compare before and after a refused request. */
async function snapshot(w) {
  const entries = [];
  for (const { name } of (await w.kv.list()).keys) entries.push([name, await w.kv.get(name)]);
  return entries;
}

test("every config route needs the admin token", async () => {
  const w = await worker();
  for (const [method, path] of [
    ["GET", ""],
    ["PUT", ""],
    ["GET", "/versions"],
    ["GET", "/versions/1"],
    ["POST", "/rollback"],
  ]) {
    for (const headers of [{}, { authorization: "Bearer wrong" }]) {
      const res = await request(`${w.url}/__tailor/config${path}`, { method, headers, body: method === "GET" ? undefined : "{}" });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.deepEqual(JSON.parse(res.text), { error: "unauthorized" });
    }
  }
  assert.equal(await hero(w), "Hello from the legacy config", "nothing changed");
});

test("upload, history, rollback: each change is served by the next page view", async () => {
  const w = await worker();
  assert.equal(await hero(w), "Hello from the legacy config");

  const uploaded = await call(w, "PUT", "?note=Spring%20sale%20headline", { body: config("spring-1", "Spring sale: 20% off") });
  assert.equal(uploaded.status, 201, uploaded.text);
  assert.deepEqual(uploaded.json, { number: 2, version: "spring-1", previous: 1, changed: true });
  assert.equal(await hero(w), "Spring sale: 20% off");

  const active = await call(w, "GET", "");
  assert.equal(active.status, 200);
  assert.equal(active.text, config("spring-1", "Spring sale: 20% off"), "the exact text uploaded");
  assert.equal(active.headers["x-tailor-config-number"], "2");
  assert.equal(active.headers["x-tailor-config-version"], "spring-1");
  assert.equal(active.headers.etag, '"2"');

  const same = await call(w, "PUT", "", { body: config("spring-1", "Spring sale: 20% off") });
  assert.equal(same.status, 200);
  assert.deepEqual(same.json, { number: 2, version: "spring-1", previous: 2, changed: false });

  const history = await call(w, "GET", "/versions");
  assert.equal(history.status, 200);
  assert.equal(history.json.active, 2);
  assert.deepEqual(
    history.json.versions.map((v) => [v.number, v.version, v.source, v.note ?? null]),
    [
      [1, "legacy", "adopted", 'found under "config" without a version; kept so it can be restored'],
      [2, "spring-1", "api", "Spring sale headline"],
    ],
  );
  const sha = createHash("sha256").update(config("spring-1", "Spring sale: 20% off")).digest("hex");
  assert.equal(history.json.versions[1].sha256, sha);
  assert.deepEqual(history.json.log.map((l) => [l.action, l.from ?? null, l.to]), [["adopt", null, 1], ["upload", 1, 2]]);

  const first = await call(w, "GET", "/versions/1");
  assert.equal(first.status, 200);
  assert.equal(first.text, config("legacy", "Hello from the legacy config"));
  assert.equal(first.headers["x-tailor-config-number"], "1");

  const back = await call(w, "POST", "/rollback");
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(back.json, { number: 1, version: "legacy", previous: 2, changed: true });
  assert.equal(await hero(w), "Hello from the legacy config");
  assert.equal((await call(w, "GET", "")).headers["x-tailor-config-number"], "1");

  const forward = await call(w, "POST", "/rollback", { body: JSON.stringify({ to: 2 }) });
  assert.equal(forward.status, 200, forward.text);
  assert.equal(forward.json.number, 2);
  assert.equal(await hero(w), "Spring sale: 20% off");

  const keys = (await w.kv.list()).keys.map((k) => k.name).sort();
  assert.deepEqual(keys, ["config", "config:version:1", "config:version:2", "config:versions"]);
});

test("without the API, a config written to KV waits for the cache to expire; with it, it is served at once", async () => {
  const w = await worker();
  assert.equal(await hero(w), "Hello from the legacy config");
  await w.kv.put("config", config("by-hand", "Written by hand"));
  assert.equal(await hero(w), "Hello from the legacy config", "the isolate's cached copy (TTL 600 s)");
  const uploaded = await call(w, "PUT", "", { body: config("api", "Uploaded") });
  assert.equal(uploaded.status, 201);
  assert.equal(await hero(w), "Uploaded");
  // The hand-written config was kept as a version rather than lost.
  const versions = (await call(w, "GET", "/versions")).json.versions;
  assert.deepEqual(versions.map((v) => [v.number, v.version, v.source]), [[1, "by-hand", "adopted"], [2, "api", "api"]]);
});

test("an invalid upload lists every error and writes nothing", async () => {
  const w = await worker();
  await call(w, "PUT", "", { body: config("v2", "Second") });
  const before = await snapshot(w);
  const broken = JSON.stringify({
    version: "broken",
    segmnts: [],
    slots: [
      { id: "hero", selector: "div[", action: "setInnerContent", content: { vip: "x" } },
      { id: "hero", selector: "p", action: "explode" },
    ],
  });
  const refused = await call(w, "PUT", "", { body: broken });
  assert.equal(refused.status, 422, refused.text);
  assert.match(refused.json.error, /^the config has \d+ error\(s\); nothing was written$/);
  const paths = refused.json.errors.map((e) => e.path);
  for (const path of ["segmnts", "slots[0].selector", "slots[0].content.vip", "slots[1].action", "slots[1].id"]) {
    assert.ok(paths.includes(path), `${path} missing in ${JSON.stringify(refused.json.errors)}`);
  }
  assert.ok(refused.json.errors.every((e) => typeof e.message === "string" && e.message.length > 0));
  const notJson = await call(w, "PUT", "", { body: "{oops" });
  assert.equal(notJson.status, 422);
  assert.equal(notJson.json.errors[0].path, "(document)");
  assert.deepEqual(await snapshot(w), before, "KV is exactly as before");
  assert.equal(await hero(w), "Second");
});

test("an oversize upload is refused with 413 and writes nothing", async () => {
  const w = await worker();
  const before = await snapshot(w);
  const huge = config("huge", "x").replace("{", `{${" ".repeat(1024 * 1024)}`);
  const refused = await call(w, "PUT", "", { body: huge });
  assert.equal(refused.status, 413);
  assert.match(refused.json.error, /over 1048576 bytes/);
  assert.deepEqual(await snapshot(w), before);
});

test("If-Match must name the active version", async () => {
  const w = await worker();
  const first = await call(w, "PUT", "", { body: config("v2", "Two") });
  assert.equal(first.json.number, 2);
  const stale = await call(w, "PUT", "", { body: config("v3", "Three"), headers: { "if-match": '"1"' } });
  assert.equal(stale.status, 412, stale.text);
  assert.equal(stale.json.active, 2);
  assert.match(stale.json.error, /version 2 is active, not 1/);
  const malformed = await call(w, "PUT", "", { body: config("v3", "Three"), headers: { "if-match": "*" } });
  assert.equal(malformed.status, 400);
  assert.equal(await hero(w), "Two", "nothing written");
  const etag = (await call(w, "GET", "")).headers.etag;
  const current = await call(w, "PUT", "", { body: config("v3", "Three"), headers: { "if-match": etag } });
  assert.equal(current.status, 201, current.text);
  assert.equal(await hero(w), "Three");
});

test("rollback refuses unknown versions, versions gone from KV and versions that no longer compile", async () => {
  const w = await worker();
  await call(w, "PUT", "", { body: config("v2", "Two") });

  const unknown = await call(w, "POST", "/rollback", { body: JSON.stringify({ to: 99 }) });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error, "no kept version has the number 99");
  assert.equal((await call(w, "GET", "/versions/99")).status, 404);
  const badBody = await call(w, "POST", "/rollback", { body: JSON.stringify({ to: "one" }) });
  assert.equal(badBody.status, 400);

  await w.kv.delete("config:version:1");
  const gone = await call(w, "POST", "/rollback", { body: JSON.stringify({ to: 1 }) });
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error, "version 1's text is no longer in KV");
  assert.equal(await hero(w), "Two");

  // A version kept from before a code change that now rejects it: a selector the runtime's
  // parser refuses, recorded in the index as a real upload would be.
  const stale = JSON.stringify({
    version: "old-code",
    segments: [{ id: "everyone", when: {} }],
    slots: [{ id: "hero", selector: "h1:unknown-pseudo", action: "setInnerContent", content: { everyone: "Old" } }],
  });
  const index = JSON.parse(await w.kv.get("config:versions"));
  index.versions.unshift({
    number: 1,
    version: "old-code",
    uploadedAt: 1,
    source: "api",
    sha256: createHash("sha256").update(stale).digest("hex"),
    bytes: stale.length,
  });
  index.versions = index.versions.filter((v, i, all) => all.findIndex((o) => o.number === v.number) === i);
  await w.kv.put("config:versions", JSON.stringify(index));
  await w.kv.put("config:version:1", stale);
  const before = await snapshot(w);
  const invalid = await call(w, "POST", "/rollback");
  assert.equal(invalid.status, 422, invalid.text);
  assert.equal(invalid.json.errors[0].path, "slots[0].selector");
  assert.deepEqual(await snapshot(w), before);
  assert.equal(await hero(w), "Two");
});

test("a corrupt index refuses uploads and rollbacks instead of starting a new history", async () => {
  const w = await worker([
    { key: "config", value: config("v1", "One") },
    { key: "config:versions", value: "{not json" },
  ]);
  const before = await snapshot(w);
  for (const [method, path, body] of [
    ["PUT", "", config("v2", "Two")],
    ["POST", "/rollback", undefined],
    ["GET", "/versions", undefined],
  ]) {
    const res = await call(w, method, path, { body });
    assert.equal(res.status, 409, `${method} ${path}: ${res.text}`);
    assert.match(res.json.error, /version index under "config:versions" is corrupt/);
  }
  assert.deepEqual(await snapshot(w), before);
  assert.equal((await call(w, "GET", "")).status, 200, "the active config is still readable");
  assert.equal(await hero(w), "One");
});
