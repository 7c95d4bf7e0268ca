// A bounded load test with wrk (`apt install wrk`): the traffic mix of stack.mjs (every
// persona, new visitors, GPC, a crawler) against Tailor in workerd on loopback, the home page
// (~122 KB) each time. Prints wrk's figures (requests/s, latency percentiles, errors, non-2xx)
// and the workerd process's CPU per request and memory.
//
// Usage (after `npm run build`): node scripts/load/load.mjs [seconds=30] [connections=8]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMs, rssBytes, startStack } from "./stack.mjs";

const SECONDS = Number(process.argv[2] ?? 30);
const CONNECTIONS = Number(process.argv[3] ?? 8);

const stack = await startStack();
try {
  // wrk's Lua: each request takes the next visitor of the mix, round robin.
  const lua = [
    "local visitors = {",
    ...stack.visitors.map((v) => `  {${Object.entries(v.headers).map(([k, val]) => `[${JSON.stringify(k)}] = ${JSON.stringify(val)}`).join(", ")}},`),
    "}",
    "local i = 0",
    "request = function()",
    "  i = i + 1",
    "  return wrk.format('GET', '/', visitors[(i % #visitors) + 1])",
    "end",
  ].join("\n");
  const script = join(mkdtempSync(join(tmpdir(), "tailor-load-")), "mix.lua");
  writeFileSync(script, lua);

  // Warm the isolate (config, catalog) before measuring.
  for (const v of stack.visitors) await (await fetch(`${stack.url}/`, { headers: v.headers })).arrayBuffer();
  const rssBefore = rssBytes(stack.pid);
  const cpuBefore = cpuMs(stack.pid);
  const output = execFileSync("wrk", ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", script, `${stack.url}/`], {
    encoding: "utf8",
  });
  const cpu = cpuMs(stack.pid) - cpuBefore;
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  console.log(output.trim());
  console.log(`\nvisitor mix: ${stack.visitors.map((v) => v.name).join(", ")}`);
  console.log(`workerd CPU: ${(cpu / requests).toFixed(2)} ms per request (${requests} requests)`);
  console.log(`workerd RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssBytes(stack.pid) / 2 ** 20).toFixed(0)} MiB after`);
  console.log(`wasm memory: ${((await stack.health()).wasmMemoryBytes / 2 ** 20).toFixed(1)} MiB`);
  const errors = /Socket errors: (.*)/.exec(output)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1];
  if (errors || non2xx) {
    console.error(`errors: ${errors ?? "none"}; non-2xx: ${non2xx ?? 0}`);
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
}
