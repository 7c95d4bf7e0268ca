#!/usr/bin/env bash
# Builds the two Workers with worker-build, offline (every tool it would otherwise download
# comes from scripts/setup.sh's installs):
#   page   → build/        (build/worker/shim.mjs + build/index_bg.wasm): the storefront's path
#   admin  → build-admin/  (--features admin-worker): /__tailor/ routes, Queue consumers, cron
#   page-floor → build-floor/ (--features wasm-floor): a benchmark's floor, the page Worker
#                with nothing decided (scripts/bench/compare.mjs measures it when built)
#   page-profiling → build-profiling/: the page Worker with its function names kept, for
#                    scripts/bench/profile.mjs (no wasm-opt pass)
# Usage: scripts/build.sh [page|admin|both|page-floor|page-profiling]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
if [ -z "$WASM_BINDGEN_BIN" ] || ! command -v worker-build >/dev/null; then
  echo "tailor: worker-build or wasm-bindgen missing; run: bash scripts/setup.sh" >&2
  exit 1
fi
export WASM_BINDGEN_BIN
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"

build() {
  local name=$1 out=$2
  shift 2
  worker-build --release --out-dir "$out" "$@"
  # Size pass: -Os, and drop the names and producers sections (~57 KiB of the raw size).
  # wasm-bindgen's catch wrappers use Wasm exception handling (try_table): enable it.
  node_modules/.bin/wasm-opt "$out/index_bg.wasm" -Os --enable-exception-handling \
    --strip-debug --strip-producers \
    -o "$out/index_bg.wasm"
  local raw gzipped
  raw=$(stat -c %s "$out/index_bg.wasm")
  gzipped=$(gzip -9 -c "$out/index_bg.wasm" | wc -c)
  echo "tailor: $name Worker: $out/index_bg.wasm is $((raw / 1024)) KiB raw ($raw bytes), $((gzipped / 1024)) KiB gzip ($gzipped bytes)"
}

case "${1:-both}" in
  page) build page build ;;
  admin) build admin build-admin -- --features admin-worker ;;
  page-floor) build page-floor build-floor -- --features wasm-floor ;;
  page-profiling) worker-build --release --out-dir build-profiling ;;
  both)
    build page build
    build admin build-admin -- --features admin-worker
    ;;
  *)
    echo "usage: scripts/build.sh [page|admin|both|page-floor|page-profiling]" >&2
    exit 2
    ;;
esac
