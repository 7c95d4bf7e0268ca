#!/usr/bin/env bash
# Fails when a Worker's Wasm outgrows its budget, so size (download and instantiation: cold
# start) only ever grows deliberately. Raise a budget in the commit that needs it, saying why.
# Run after a build (`npm test` builds both Workers).
set -euo pipefail
cd "$(dirname "$0")/.."

# The page Worker (build/): what every storefront request's isolate instantiates. Just above
# 594,340 B raw / 261,595 B gzip: the admin routes, Queue consumers and cron moved to the admin
# Worker (886,627 / 378,953 → 629,669 / 274,065), then one stable sort and no HashMaps in the
# catalog (−31.9 KB raw, −12.1 KB gzip), then per-isolate caches for settings, keys and the
# local clock (+1.4 KB raw, CPU), then the runtime calls in src/edge/runtime.js instead of
# workers-rs' KV and timer types and web-sys' request building (−5 KB raw), then the whole
# plan in one call (589,946 / 260,176), then Unicode case mapping by the runtime's JavaScript
# instead of the standard library's tables (src/case.rs: 555,055 / 244,975), then Accept-Language
# weights read without the float parser (553,457 / 244,149), then on 2026-12-06 the catalog read
# without serde's typed deserialization and no float formatting left (515,402 / 228,901), events
# queued through runtime.js (504,486 / 223,785), no hash maps of Tailor's own (497,892 /
# 220,357) and Talc as the allocator (491,089 / 217,318). BENCHMARKS.md has what the rest is
# made of.
PAGE_RAW_BUDGET=492000
PAGE_GZIP_BUDGET=218000
# The admin Worker (build-admin/): /__tailor/ routes, the Queue consumers and the cron; it
# carries the config compiler too (uploads are validated with it). 749,562 / 325,453: exact
# float parsing for store events off the queue added 16,757 / 9,078 over 735,560 / 317,863;
# case mapping by the runtime (src/case.rs) took it to 719,052 / 311,571, and the page Worker's
# size work of 2026-12-06 (shared code) to 691,422 / 300,606.
ADMIN_RAW_BUDGET=692500
ADMIN_GZIP_BUDGET=301500

status=0
check() {
  local name=$1 file=$2 raw_budget=$3 gzip_budget=$4 raw gzipped
  raw=$(stat -c %s "$file")
  gzipped=$(gzip -9 -c "$file" | wc -c)
  echo "tailor: $name Worker wasm $raw B raw (budget $raw_budget), $gzipped B gzip (budget $gzip_budget)"
  if [ "$raw" -gt "$raw_budget" ] || [ "$gzipped" -gt "$gzip_budget" ]; then
    echo "tailor: $file is over its size budget (scripts/check-size.sh)" >&2
    status=1
  fi
}
check page build/index_bg.wasm "$PAGE_RAW_BUDGET" "$PAGE_GZIP_BUDGET"
check admin build-admin/index_bg.wasm "$ADMIN_RAW_BUDGET" "$ADMIN_GZIP_BUDGET"
exit "$status"
