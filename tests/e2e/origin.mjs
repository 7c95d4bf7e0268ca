// A storefront origin on loopback with every awkward response the worker must handle.
import { gzipSync } from "node:zlib";
import { readFileSync, existsSync, statSync } from "node:fs";
import { join, extname, normalize } from "node:path";
import { ROOT } from "../../scripts/fixtures.mjs";
import { startServer } from "./harness.mjs";

export const PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<div data-tailor-slot="hero" class="hero"><h1>Default hero</h1></div>
<p id="note">café ✓</p>
</body></html>`;

/** A config whose hero differs between first-time and returning visitors. */
export const HERO_CONFIG = JSON.stringify({
  version: "e2e-1",
  segments: [
    { id: "first-time", priority: 1, when: { "visitor.isNew": true } },
    { id: "returning", priority: 1, when: { "visitor.isReturning": true } },
  ],
  slots: [
    {
      id: "hero",
      selector: "[data-tailor-slot=hero]",
      action: "setInnerContent",
      content: { "first-time": "<h1>Welcome, new friend</h1>", returning: "<h1>Welcome back</h1>" },
    },
  ],
});

const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json" };

/** Starts the origin. `streamGate` is awaited between the two parts of /streamed. */
export async function startOrigin({ streamGate } = {}) {
  const seen = [];
  const url = await startServer(async (req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const path = new URL(req.url, "http://origin").pathname;
    const html = { "content-type": "text/html; charset=utf-8" };
    switch (path) {
      case "/page":
        res.writeHead(200, html);
        return res.end(PAGE);
      case "/validators":
        res.writeHead(200, {
          ...html,
          etag: '"v1"',
          "last-modified": "Mon, 02 Nov 2026 10:00:00 GMT",
          "content-length": Buffer.byteLength(PAGE),
          "cache-control": "public, max-age=600",
          "x-origin": "kept",
        });
        return res.end(PAGE);
      case "/cookies":
        res.writeHead(200, { ...html, "set-cookie": ["cart=abc; Path=/", "session=xyz; Path=/; HttpOnly"] });
        return res.end(PAGE);
      case "/gzip": {
        const body = gzipSync(Buffer.from(PAGE));
        res.writeHead(200, { ...html, "content-encoding": "gzip", "content-length": body.length });
        return res.end(body);
      }
      case "/latin1":
        res.writeHead(200, { "content-type": "text/html; charset=windows-1252" });
        return res.end(Buffer.from('<div data-tailor-slot="hero">Caf\xe9</div><p>na\xefve</p>', "latin1"));
      case "/error":
        res.writeHead(500, html);
        return res.end(PAGE);
      case "/json":
        res.writeHead(200, { "content-type": "application/json" });
        return res.end('{"data-tailor-slot":"hero"}');
      case "/redirect":
        res.writeHead(302, { location: "/page" });
        return res.end();
      case "/not-modified":
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      case "/range":
        res.writeHead(206, { ...html, "content-range": `bytes 0-9/${PAGE.length}` });
        return res.end(PAGE.slice(0, 10));
      case "/echo": {
        let body = "";
        for await (const chunk of req) body += chunk;
        res.writeHead(200, html);
        return res.end(`<div data-tailor-slot="hero">${req.method} ${body}</div>`);
      }
      case "/streamed": {
        res.writeHead(200, html);
        res.write(`<!doctype html><html><head><title>Slow</title></head><body>
<div data-tailor-slot="hero"><h1>Default hero</h1></div>${"<p>filler paragraph</p>".repeat(400)}`);
        await streamGate?.();
        return res.end("<footer>the end</footer></body></html>");
      }
    }
    // Anything else: the demo storefront's files, like a static host.
    const file = normalize(join(ROOT, "fixtures/storefront", path === "/" ? "index.html" : path));
    for (const candidate of [file, `${file}.html`, join(file, "index.html")]) {
      if (candidate.startsWith(join(ROOT, "fixtures/storefront")) && existsSync(candidate) && statSync(candidate).isFile()) {
        res.writeHead(200, { "content-type": TYPES[extname(candidate)] ?? "application/octet-stream" });
        return res.end(readFileSync(candidate));
      }
    }
    res.writeHead(404, html);
    res.end("<h1>Not found</h1>");
  });
  return { url, seen };
}
