// Miniflare options for the built worker (build/worker/shim.mjs), shared by the end-to-end
// tests and the screenshot script. `asDeployed` takes the vars and the demo storefront (Static
// Assets) from wrangler.toml, exactly as `wrangler dev` runs it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT } from "./fixtures.mjs";

export function workerOptions({ origin, bindings = {}, asDeployed = false, cf = false } = {}) {
  let assets;
  let wranglerVars = {};
  if (asDeployed) {
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
    assets = workerOptions.assets;
    wranglerVars = workerOptions.bindings;
  }
  const options = {
    modules: true,
    scriptPath: join(ROOT, "build/worker/shim.mjs"),
    // NOTE: without the ESModule rule Miniflare parses build/index.js as CommonJS and fails.
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-20",
    cf,
    host: "127.0.0.1",
    port: 0,
    kvNamespaces: ["TAILOR_KV"],
    queueProducers: { TAILOR_EVENTS: "tailor-events", TAILOR_PROFILES: "tailor-profiles" },
    // NOTE: a short batch timeout so tests see events in D1 within a second or two.
    queueConsumers: {
      "tailor-events": { maxBatchSize: 100, maxBatchTimeout: 1 },
      "tailor-profiles": { maxBatchSize: 100, maxBatchTimeout: 1, maxConcurrency: 1, maxRetries: 10, retryDelay: 2, deadLetterQueue: "tailor-profiles-failed" },
    },
    d1Databases: ["TAILOR_DB"],
    bindings: { ...wranglerVars, ORIGIN: origin ?? "", ...bindings },
  };
  if (assets) options.assets = assets;
  return options;
}

/** Applies the D1 migrations (migrations/*.sql, in order) to the worker's TAILOR_DB; returns
 *  the database. */
export async function migrate(mf, workerName) {
  const db = await mf.getD1Database("TAILOR_DB", workerName);
  const dir = join(ROOT, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    // NOTE: D1's exec runs one statement per line; strip comments and join each statement.
    const statements = readFileSync(join(dir, file), "utf8")
      .split("\n")
      .filter((line) => !line.trim().startsWith("--"))
      .map((line) => line.replace(/--.*$/, ""))
      .join(" ")
      .split(";")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const statement of statements) await db.prepare(statement).run();
  }
  return db;
}
