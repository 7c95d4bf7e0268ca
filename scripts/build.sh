#!/usr/bin/env bash
# Builds the Worker (build/worker/shim.mjs + build/index_bg.wasm) with worker-build, offline:
# every tool it would otherwise download comes from scripts/setup.sh's installs.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
if [ -z "$WASM_BINDGEN_BIN" ] || ! command -v worker-build >/dev/null; then
  echo "tailor: worker-build or wasm-bindgen missing; run: bash scripts/setup.sh" >&2
  exit 1
fi
export WASM_BINDGEN_BIN
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"

worker-build --release

# Size pass: -Os, and drop the names and producers sections (~57 KiB of the raw size).
# wasm-bindgen's catch wrappers use Wasm exception handling (try_table): enable it.
node_modules/.bin/wasm-opt build/index_bg.wasm -Os --enable-exception-handling \
  --strip-debug --strip-producers \
  -o build/index_bg.wasm

raw=$(stat -c %s build/index_bg.wasm)
gzipped=$(gzip -9 -c build/index_bg.wasm | wc -c)
echo "tailor: build/index_bg.wasm is $((raw / 1024)) KiB raw ($raw bytes), $((gzipped / 1024)) KiB gzip ($gzipped bytes)"
