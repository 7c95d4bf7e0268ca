#!/usr/bin/env bash
# The demo: installs what is missing, seeds local KV with the fixture config and personas,
# and starts `wrangler dev` (the page and admin Workers) with the embedded demo storefront as
# the origin.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true
PORT="${PORT:-8787}"

bash scripts/setup.sh
node scripts/seed.mjs
# The event store (local D1) and the admin token for the report routes.
node_modules/.bin/wrangler d1 migrations apply TAILOR_DB --local -c wrangler.admin.toml < /dev/null > /dev/null
# NOTE: a .dev.vars from an older checkout gets the secrets it lacks, never loses its own.
touch .dev.vars
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  grep -q "^${line%%=*}=" .dev.vars || echo "$line" >> .dev.vars
done < .dev.vars.example

node --input-type=module -e '
import { personas } from "./scripts/fixtures.mjs";
const base = `http://127.0.0.1:${process.argv[1]}`;
console.log(`\nTailor demo storefront: ${base}/\n\nBrowse as a persona (sets the visitor cookie, then opens the home page):`);
for (const [name, p] of Object.entries(personas())) {
  console.log(`  ${(p.label + ":").padEnd(22)} ${base}/__tailor/persona/${name}`);
}
console.log(`\nPrivacy: the opt-out page shoppers see: ${base}/__tailor/opt-out (browsers sending Sec-GPC: 1 get contextual content only)`);
console.log(`\nExperiment report (admin token from .dev.vars):\n  curl -H "Authorization: Bearer demo-admin-token" ${base}/__tailor/report/vip-cta.json`);
console.log(`\nA preview link (the store as a VIP in the early-access variant; nothing counted):\n  curl -X POST -H "Authorization: Bearer demo-admin-token" -d \x27{"segment": "vip", "variants": {"vip-cta": 1}}\x27 ${base}/__tailor/preview`);
console.log(`\nA new config version (validated first; tailor history / tailor rollback undo it):\n  cargo run --bin tailor -- push my-config.json --note "what changed"`);
console.log("\nStarting wrangler dev (it builds the Wasm first; Ctrl+C stops it)...\n");
' "$PORT"

# Both Workers in one process: the page Worker (the first config, the one that listens) and the
# admin Worker it forwards /__tailor/ to.
exec node_modules/.bin/wrangler dev -c wrangler.toml -c wrangler.admin.toml --ip 127.0.0.1 --port "$PORT"
