// GrowthBook's edge app (@growthbook/edge-cloudflare) as the benchmark's peer: the same edits as
// a visual-editor experiment that every visitor gets, run offline in workerd under Miniflare.
// Three workarounds make it run here (see shared TOOLCHAIN.md): the payload goes through the
// config argument of handleRequest (init would replace an env payload with a KV lookup), a
// dummy client key with the API host on a closed loopback port, and a regex URL pattern.
import { spawnSync } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { ROOT } from "../fixtures.mjs";

/** Our edit actions whose GrowthBook mutation below does not do quite the same thing. */
export const INEXACT = new Set(["prepend", "replace", "remove"]);

/** The closest GrowthBook DOM mutation for one of our edits. The edge app (edge-utils'
 *  applyDomMutations) knows html set/append, class append/remove/set, any other attribute
 *  set/append/remove, and position set; it applies them in order to the whole page parsed with
 *  node-html-parser, then serializes the page again.
 *  Exact: setInnerContent, append, setAttribute, removeAttribute, addClass, removeClass (the
 *  last two through a Set, so a class already there is not added twice).
 *  Not exact: prepend, replace, remove (below); before and after have no counterpart at all. */
export function toDomMutation(edit) {
  const { selector } = edit;
  switch (edit.action) {
    case "setInnerContent":
      return { selector, action: "set", attribute: "html", value: edit.html };
    case "append":
      return { selector, action: "append", attribute: "html", value: edit.html };
    case "setAttribute":
      return { selector, action: "set", attribute: edit.name, value: edit.value };
    case "removeAttribute":
      return { selector, action: "remove", attribute: edit.name };
    case "addClass":
      return { selector, action: "append", attribute: "class", value: edit.class };
    case "removeClass":
      return { selector, action: "remove", attribute: "class", value: edit.class };
    // NOT EXACT: there is no html prepend; the content lands at the end of the element.
    case "prepend":
      return { selector, action: "append", attribute: "html", value: edit.html };
    // NOT EXACT: replaces the element's content; its own start and end tags stay.
    case "replace":
      return { selector, action: "set", attribute: "html", value: edit.html };
    // NOT EXACT: empties the element; its tags stay (no mutation removes an element).
    case "remove":
      return { selector, action: "set", attribute: "html", value: "" };
    default:
      // before/after: no mutation inserts beside an element (position set only moves one).
      throw new Error(`GrowthBook peer: no DOM mutation for the "${edit.action}" edit on ${selector}`);
  }
}

/** A static payload: one visual-editor experiment whose variation 1 makes `edits`, given to
 *  every visitor on every URL. */
export function growthbookPayload(edits) {
  return {
    features: {},
    experiments: [
      {
        key: "tailor-benchmark-edits",
        changeId: "tailor-benchmark-edits",
        hashAttribute: "id",
        hashVersion: 2,
        // Everyone in, all the weight on variation 1: every visitor gets the edits.
        coverage: 1,
        weights: [0, 1],
        // NOTE: a regex; in GrowthBook's "simple" patterns the wildcard is `_____`, not `*`.
        urlPatterns: [{ include: true, type: "regex", pattern: ".*" }],
        variations: [{}, { domMutations: edits.map(toDomMutation) }],
      },
    ],
  };
}

/** A loopback port nothing listens on (bound, then closed), for the API host the app insists
 *  on: any call it made there would fail at once instead of leaving the machine. */
async function closedPort() {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Bundles the edge app into `dir`/growthbook.mjs with the project's esbuild and returns
 *  Miniflare options for it in front of `origin`, making `edits`. */
export async function growthbookOptions(dir, { origin, edits }) {
  const entry = `import { handleRequest } from "@growthbook/edge-cloudflare";
export default { fetch: (request, env) => handleRequest(request, env, { payload: env.BENCH_PAYLOAD }) };`;
  const scriptPath = join(dir, "growthbook.mjs");
  // NOTE: the entry is read from stdin so esbuild resolves the package from the project's
  // node_modules (stdin resolves from the working directory).
  const built = spawnSync(
    join(ROOT, "node_modules/.bin/esbuild"),
    ["--bundle", "--format=esm", "--platform=browser", "--external:node:*", "--external:cloudflare:*", "--log-level=warning", `--outfile=${scriptPath}`],
    { cwd: ROOT, input: entry, encoding: "utf8" },
  );
  if (built.status !== 0) throw new Error(`esbuild failed for the GrowthBook peer:\n${built.stderr}`);
  return {
    modules: true,
    scriptPath,
    // NOTE: without modulesRoot, a script outside the working directory fails to load ("..").
    modulesRoot: dir,
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    bindings: {
      PROXY_TARGET: origin,
      GROWTHBOOK_CLIENT_KEY: "sdk-tailor-benchmark",
      GROWTHBOOK_API_HOST: `http://127.0.0.1:${await closedPort()}`,
      BENCH_PAYLOAD: growthbookPayload(edits),
    },
  };
}
