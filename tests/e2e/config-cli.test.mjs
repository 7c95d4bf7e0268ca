// `tailor push`, `history` and `rollback` end to end: the CLI writes wrangler's local KV state
// in a temporary directory (`--persist-to`), and the real Wasm in workerd, started on that same
// state, serves what was pushed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Miniflare } from "miniflare";
import { workerOptions } from "../../scripts/miniflare.mjs";
import { ROOT } from "../../scripts/fixtures.mjs";
import { request, startServer } from "./harness.mjs";

const dir = mkdtempSync(join(tmpdir(), "tailor-cli-push-"));
const state = join(dir, "state");
after(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/** Runs the `tailor` CLI (built by cargo if needed) from the project root. */
function tailor(...args) {
  const run = spawnSync("cargo", ["run", "--quiet", "--bin", "tailor", "--", ...args], { cwd: ROOT, env: quiet, encoding: "utf8" });
  return { code: run.status, out: run.stdout + run.stderr };
}

/** The keys and values wrangler sees in the local state. */
function wrangler(...args) {
  const run = spawnSync(join(ROOT, "node_modules/.bin/wrangler"), ["kv", "key", ...args, "--binding", "TAILOR_KV", "--local", "--persist-to", state], { cwd: ROOT, env: quiet, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}
const keys = () => JSON.parse(wrangler("list")).map((k) => k.name).sort();

function configFile(name, version, headline) {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({
    version,
    segments: [{ id: "everyone", when: {} }],
    slots: [{ id: "hero", selector: "h1", action: "setInnerContent", content: { everyone: headline } }],
  }, null, 2));
  return path;
}

test("push twice, history, rollback: wrangler's local state holds every version, and a worker on it serves the active one", async () => {
  const first = configFile("first.json", "first", "The first headline");
  const second = configFile("second.json", "second", "The second headline");

  const badCatalog = join(dir, "bad-catalog.json");
  writeFileSync(badCatalog, JSON.stringify({ products: [{ title: "No id" }] }));
  let run = tailor("push", first, "--persist-to", state, "--catalog", badCatalog);
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /bad-catalog\.json: \d+ error\(s\); nothing was written\nerror: /);

  run = tailor("push", first, "--persist-to", state, "--note", "launch", "--catalog", join(ROOT, "fixtures/catalog.json"));
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /catalog\.json: valid \(36 products\)/);
  assert.match(run.out, /catalog written under "catalog"/);
  assert.match(run.out, /first\.json: valid \(version first, 1 segments, 1 slots\)/);
  assert.match(run.out, /version 1 \(first\) is now active \[local, in .*state\]/);

  run = tailor("push", second, "--persist-to", state);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /version 2 \(second\) is now active, replacing version 1/);

  run = tailor("push", second, "--persist-to", state);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /unchanged: identical to the active version 2 \(second\)/);

  assert.deepEqual(keys(), ["catalog", "config", "config:version:1", "config:version:2", "config:versions"]);
  assert.equal(wrangler("get", "config"), readFileSync(second, "utf8"), "the exact bytes");

  // An invalid config: every error, exit code 1, nothing written.
  const broken = join(dir, "broken.json");
  writeFileSync(broken, JSON.stringify({ segmnts: [], slots: [{ id: "hero", selector: "div[", action: "setInnerContent", content: { vip: "x" } }] }));
  const before = wrangler("get", "config:versions");
  run = tailor("push", broken, "--persist-to", state);
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /broken\.json: the config has 3 error\(s\); nothing was written/);
  for (const path of ["segmnts", "slots\\[0\\]\\.selector", "slots\\[0\\]\\.content\\.vip"]) {
    assert.match(run.out, new RegExp(`error: ${path}: `));
  }
  assert.equal(wrangler("get", "config:versions"), before);

  run = tailor("history", "--persist-to", state);
  assert.equal(run.code, 0, run.out);
  const rows = run.out.trimEnd().split("\n");
  assert.match(rows[0], /^ {2}# {2}version +uploaded \(UTC\) +source +bytes +note$/);
  assert.match(rows[1], /^\* 2 {2}second +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}cli +\d+$/);
  assert.match(rows[2], /^ {2}1 {2}first +\S+ {2}cli +\d+ +launch$/);

  run = tailor("rollback", "--persist-to", state);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /version 1 \(first\) is active again, replacing version 2/);
  assert.equal(wrangler("get", "config"), readFileSync(first, "utf8"));

  run = tailor("history", "--json", "--persist-to", state);
  const index = JSON.parse(run.out);
  assert.equal(index.active, 1);
  assert.deepEqual(index.log.map((l) => [l.action, l.from ?? null, l.to]), [["upload", null, 1], ["upload", 1, 2], ["rollback", 2, 1]]);

  run = tailor("rollback", "7", "--persist-to", state);
  assert.equal(run.code, 1);
  assert.match(run.out, /no kept version has the number 7/);

  // A worker on the same local state (what `wrangler dev --persist-to` would run) serves it.
  const origin = await startServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end("<!doctype html><html><body><h1>Welcome</h1></body></html>");
  });
  const options = workerOptions({ origin, bindings: { DEMO: "false" }, events: false });
  // NOTE: wrangler keeps local KV under <persist-to>/v3/kv, named by wrangler.toml's id.
  for (const worker of options.workers) worker.kvNamespaces = { TAILOR_KV: "00000000000000000000000000000000" };
  options.kvPersist = join(state, "v3", "kv");
  const mf = new Miniflare(options);
  try {
    const url = String(await mf.ready).replace(/\/$/, "");
    const page = await request(`${url}/`, { headers: { accept: "text/html" } });
    assert.match(page.text, /<h1>The first headline<\/h1>/);
  } finally {
    await mf.dispose();
  }
});

test("push refuses a file that cannot be read, and wrangler that cannot be run, with clear errors", () => {
  let run = tailor("push", join(dir, "missing.json"), "--persist-to", state);
  assert.equal(run.code, 2);
  assert.match(run.out, /cannot read .*missing\.json/);
  const ok = configFile("ok.json", "ok", "Fine");
  const missing = spawnSync("cargo", ["run", "--quiet", "--bin", "tailor", "--", "push", ok, "--persist-to", state], {
    cwd: ROOT,
    env: { ...quiet, TAILOR_WRANGLER: join(dir, "no-such-wrangler") },
    encoding: "utf8",
  });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot run .*no-such-wrangler .*npm install/);
});
