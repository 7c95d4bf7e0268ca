// KV reads per request, counted through a logging KV binding: a warm isolate reads at most the
// profile for a page view, nothing for a new visitor or an asset, and writes nothing.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { kvEntries } from "../../scripts/fixtures.mjs";
import { startWorker, request, CookieJar } from "./harness.mjs";

let worker;
const reads = () => [...worker.logs().matchAll(/kv-read (\S+)/g)].map((m) => m[1]);

before(async () => {
  // A long config TTL, as in production: the isolate keeps config and catalog.
  worker = await startWorker({ asDeployed: true, kv: kvEntries(), faultyKv: "count", bindings: { CONFIG_TTL_SECONDS: "300" } });
});

async function readsDuring(action) {
  await new Promise((r) => setTimeout(r, 100));
  const before = reads().length;
  await action();
  await new Promise((r) => setTimeout(r, 200));
  return reads().slice(before);
}

test("page views on a warm isolate read only the visitor's profile; new visitors and assets read nothing", async () => {
  const page = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
  await request(`${worker.url}/`, { headers: page }); // warms the isolate (config, catalog)
  const jar = new CookieJar();
  jar.store(await request(`${worker.url}/__tailor/persona/vip`));
  const cookie = jar.header();

  assert.deepEqual(await readsDuring(() => request(`${worker.url}/`, { headers: page })), [], "a new visitor");
  assert.deepEqual(
    await readsDuring(() => request(`${worker.url}/`, { headers: { ...page, cookie } })),
    ["profile:demoVip00000000000000A"],
    "a returning visitor: one read",
  );
  assert.deepEqual(
    await readsDuring(async () => {
      await request(`${worker.url}/assets/store.css`, { headers: { cookie, accept: "text/css,*/*;q=0.1" } });
      await request(`${worker.url}/assets/hero-default.svg`, { headers: { cookie, accept: "image/avif,image/webp,*/*" } });
    }),
    [],
    "assets",
  );
  const keys = (await worker.kv.list()).keys.length;
  assert.equal(keys, kvEntries().length, "no KV write");
});
