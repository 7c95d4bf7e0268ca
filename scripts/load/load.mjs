// A bounded load test with wrk (`apt install wrk`): the traffic mix of stack.mjs (every
// persona, new visitors, GPC, a crawler) against Tailor in workerd on loopback, the home page
// (~122 KB) each time. Prints wrk's figures (requests/s, latency percentiles, errors, non-2xx)
// and the workerd process's CPU per request and memory, then the same run against a JavaScript
// pass-through worker (the baseline) and the ratios.
//
// Usage (after `npm run build`): node scripts/load/load.mjs [seconds=30] [connections=8]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMs, rssBytes, startPassThrough, startStack } from "./stack.mjs";

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

  /** wrk against `url` with the mix; its figures and the CPU its workerd spent. */
  async function run(name, url, pid) {
    for (const v of stack.visitors) await (await fetch(`${url}/`, { headers: v.headers })).arrayBuffer();
    const rssBefore = rssBytes(pid);
    const cpuBefore = cpuMs(pid);
    const output = execFileSync("wrk", ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", script, `${url}/`], {
      encoding: "utf8",
    });
    const cpu = cpuMs(pid) - cpuBefore;
    const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
    const ms = (q) => {
      const [, value, unit] = new RegExp(`${q}%\\s+([\\d.]+)(us|ms|s)`).exec(output) ?? [];
      return Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);
    };
    const figures = {
      name,
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]),
      p50: ms(50),
      p99: ms(99),
      cpu: cpu / requests,
      rssBefore: rssBefore / 2 ** 20,
      rssAfter: rssBytes(pid) / 2 ** 20,
      errors: /Socket errors: (.*)/.exec(output)?.[1],
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    };
    console.log(`--- ${name}\n${output.trim()}`);
    return figures;
  }

  const tailor = await run("Tailor", stack.url, stack.pid);
  console.log(`wasm memory: ${((await stack.health()).wasmMemoryBytes / 2 ** 20).toFixed(1)} MiB`);
  const baseline = await startPassThrough(stack.origin);
  const pass = await run("JavaScript pass-through (baseline)", baseline.url, baseline.pid);
  await baseline.stop();

  console.log(`\nvisitor mix: ${stack.visitors.map((v) => v.name).join(", ")}; ${SECONDS} s, ${CONNECTIONS} connections`);
  console.log("| worker | requests/s | p50 ms | p99 ms | CPU ms/request | workerd RSS MiB (before → after) | errors | non-2xx |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const f of [tailor, pass]) {
    console.log(`| ${f.name} | ${f.rps.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.cpu.toFixed(2)} | ${f.rssBefore.toFixed(0)} → ${f.rssAfter.toFixed(0)} | ${f.errors ?? "none"} | ${f.non2xx} |`);
  }
  console.log(`Tailor / pass-through: requests/s ${(tailor.rps / pass.rps).toFixed(2)}×, p50 ${(tailor.p50 / pass.p50).toFixed(2)}×, CPU ${(tailor.cpu / pass.cpu).toFixed(2)}×`);
  if (tailor.errors || tailor.non2xx) {
    console.error("Tailor answered with errors or non-2xx statuses");
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
}
