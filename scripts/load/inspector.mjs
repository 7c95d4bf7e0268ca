// A worker's V8 heap, through workerd's inspector (the DevTools protocol, proxied by
// Miniflare): force a full garbage collection, then read the JS heap's size. A soak uses it to
// tell memory that is still referenced (a leak) from garbage V8 has not collected yet.
//
// NOTE: `ws` is Miniflare's own WebSocket client (pinned by package-lock.json); Node 20 has no
// WebSocket client of its own.
import WebSocket from "ws";

/** Options that expose a Miniflare worker to the inspector on a free port. */
export const INSPECTED = { inspectorPort: 0, unsafeInspectorProxy: true };

/** Connects to the DevTools endpoint of the Miniflare's worker (`name`: a target's title or
 *  id, or a function choosing among the targets). `poke()` sends the worker a request: workerd
 *  runs some inspector commands (a garbage collection) only while the isolate is handling one,
 *  so they are poked along until answered. */
export async function connectInspector(mf, poke, name) {
  // NOTE: Miniflare gives the proxy's address as a ws:// URL; its target list is plain HTTP.
  const base = new URL(await mf.getInspectorURL());
  base.protocol = "http:";
  const targets = await (await fetch(new URL("/json", base))).json();
  const chosen = typeof name === "function" ? name : (t) => t.title === name || t.id === name;
  const target = name ? targets.find(chosen) : targets[0];
  if (!target) throw new Error(`no inspector target ${name ?? ""} among ${JSON.stringify(targets.map((t) => t.title))}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 1;
  const waiting = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(String(data));
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.error) pending.reject(new Error(`${message.error.message} (${message.error.code})`));
    else pending.resolve(message.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
      setTimeout(() => {
        if (waiting.delete(id)) reject(new Error(`${method}: no answer in 30 s`));
      }, 30_000);
    });
  const poked = async (method, params) => {
    const answer = call(method, params);
    const timer = setInterval(() => poke().catch(() => {}), 250);
    try {
      return await answer;
    } finally {
      clearInterval(timer);
    }
  };
  await poked("HeapProfiler.enable");
  return {
    /** A full, blocking garbage collection of the worker's isolate. */
    collectGarbage: () => poked("HeapProfiler.collectGarbage"),
    /** `{ usedSize, totalSize }` of the isolate's JS heap, in bytes. */
    heapUsage: () => poked("Runtime.getHeapUsage"),
    /** Any DevTools command, poked along. */
    send: (method, params) => poked(method, params),
    close: () => ws.close(),
  };
}
