// Miniflare options for the two built Workers, in one workerd as `wrangler dev -c wrangler.toml
// -c wrangler.admin.toml` runs them: the page Worker (build/worker/shim.mjs, the entry) and the
// admin Worker (build-admin/worker/shim.mjs) behind its TAILOR_ADMIN service binding, sharing
// KV, the queues and D1. Shared by the end-to-end tests, the benchmarks and the screenshot
// script. `asDeployed` takes the vars and the demo storefront (Static Assets) from the wrangler
// configs; `events: false` leaves out the queues and D1 (events are then dropped and logged).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT } from "./fixtures.mjs";

/** The Workers' names (`mf.getWorker(ADMIN_WORKER)` runs the admin Worker's cron). */
export const PAGE_WORKER = "tailor";
export const ADMIN_WORKER = "tailor-admin";
/** Picks the page Worker among workerd's inspector targets ("workerd: worker core:user:tailor"). */
export const isPageWorkerTarget = (target) => target.title.endsWith(`core:user:${PAGE_WORKER}`);
/** The KV namespace both Workers bind as TAILOR_KV. */
export const KV_NAMESPACE = "TAILOR_KV";

export function workerOptions({ origin, bindings = {}, asDeployed = false, cf = false, events = true } = {}) {
  const deployed = (file) => (asDeployed ? unstable_getMiniflareWorkerOptions(join(ROOT, file)).workerOptions : {});
  const pageDeployed = deployed("wrangler.toml");
  const adminDeployed = deployed("wrangler.admin.toml");
  const common = {
    modules: true,
    // NOTE: without the ESModule rule Miniflare parses build/index.js as CommonJS and fails.
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-20",
    kvNamespaces: { TAILOR_KV: KV_NAMESPACE },
  };
  const page = {
    ...common,
    name: PAGE_WORKER,
    scriptPath: join(ROOT, "build/worker/shim.mjs"),
    serviceBindings: { TAILOR_ADMIN: ADMIN_WORKER },
    bindings: { ...pageDeployed.bindings, ORIGIN: origin ?? "", ...bindings },
  };
  if (pageDeployed.assets) page.assets = pageDeployed.assets;
  const admin = {
    ...common,
    name: ADMIN_WORKER,
    scriptPath: join(ROOT, "build-admin/worker/shim.mjs"),
    bindings: { ...adminDeployed.bindings, ...bindings },
  };
  if (events) {
    page.queueProducers = { TAILOR_EVENTS: "tailor-events" };
    admin.queueProducers = { TAILOR_EVENTS: "tailor-events", TAILOR_PROFILES: "tailor-profiles" };
    // NOTE: a short batch timeout so tests see events in D1 within a second or two.
    admin.queueConsumers = {
      "tailor-events": { maxBatchSize: 100, maxBatchTimeout: 1 },
      "tailor-profiles": { maxBatchSize: 100, maxBatchTimeout: 1, maxConcurrency: 1, maxRetries: 10, retryDelay: 2, deadLetterQueue: "tailor-profiles-failed" },
    };
    admin.d1Databases = ["TAILOR_DB"];
  }
  return { workers: [page, admin], cf, host: "127.0.0.1", port: 0 };
}

/** Applies the D1 migrations (migrations/*.sql, in order) to the worker's TAILOR_DB; returns
 *  the database. */
export async function migrate(mf, workerName = ADMIN_WORKER) {
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
