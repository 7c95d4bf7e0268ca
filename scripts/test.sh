#!/usr/bin/env bash
# The whole test suite: native unit, golden and conformance tests, then the real Wasm built
# and driven end to end in workerd (Miniflare) against an origin on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true

bash scripts/setup.sh
cargo test --locked
bash scripts/build.sh
node --test --test-concurrency=1 tests/e2e/
