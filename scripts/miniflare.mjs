// Miniflare options for the built worker (build/worker/shim.mjs), shared by the end-to-end
// tests and the screenshot script. `asDeployed` takes the vars and the demo storefront (Static
// Assets) from wrangler.toml, exactly as `wrangler dev` runs it.
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
    bindings: { ...wranglerVars, ORIGIN: origin ?? "", ...bindings },
  };
  if (assets) options.assets = assets;
  return options;
}
