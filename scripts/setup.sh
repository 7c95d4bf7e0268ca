#!/usr/bin/env bash
# Installs what a fresh machine (Rust and Node only) lacks, skipping what is already present
# at the right version: the wasm32 target, worker-build, the wasm-bindgen CLI matching
# Cargo.lock, and the pinned npm packages (wrangler, miniflare, binaryen).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION="0.8.7"
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)

say() { echo "tailor setup: $*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (about 8 minutes on 2 cores, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION"
fi

# NOTE: the CLI must match the wasm-bindgen crate exactly; worker-build would otherwise try to
# download it. `--locked` is deliberately absent: it fails on a missing transitive version.
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
