// The benchmark's origin: a separate process serving the storefront pages from memory, so the
// workers' cost is measured without disk or generation in the way.
//   /small  the demo home page (~122 KB)      /large  the same page grown to ~700 KB
//   /slow   the home page, its first 8 KB at once, the rest 300 ms later (time to first byte)
// Prints its URL on stdout once listening.
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../fixtures.mjs";

const small = readFileSync(join(ROOT, "fixtures/storefront/index.html"), "utf8");

/** The home page with product listings repeated (their slot markers removed, so the edits are
 *  the same as on the small page) until it is about 700 KB. */
function grow(page, target) {
  const start = page.indexOf("<main");
  const end = page.indexOf("</main>");
  const filler = page.slice(page.indexOf(">", start) + 1, end).replace(/data-tailor-slot="?[\w-]+"?/g, "");
  let body = "";
  while (page.length + body.length < target) body += `<section class="more">${filler}</section>`;
  return page.replace("</main>", `${body}</main>`);
}
const large = grow(small, 700 * 1024);

const server = http.createServer((req, res) => {
  res.setHeader("content-type", "text/html; charset=utf-8");
  const path = req.url.split("?")[0];
  if (path === "/large") return res.end(large);
  if (path === "/slow") {
    res.write(small.slice(0, 8192));
    setTimeout(() => res.end(small.slice(8192)), 300);
    return;
  }
  res.end(small);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port} ${Buffer.byteLength(small)} ${Buffer.byteLength(large)}`);
});
