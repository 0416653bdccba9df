#!/usr/bin/env bash
# Build llama.cpp's `llama-server` from the sources vendored in the llama-cpp-python sdist
# (pinned below; fetched with `pip download`, so it works against the same package index as
# everything else) and install it where judge looks: $JUDGE_CACHE_DIR/bin (default ~/.cache/judge/bin).
# Static, CPU only, no curl: one self-contained binary. About 4-12 minutes on 2 cores.
# Needs cmake and a C++ compiler (both on these machines' images).
# Skips the build when the binary is already there (delete it to rebuild).
set -euo pipefail
PY=${PYTHON:-python3}
VERSION=0.3.36
CACHE=${JUDGE_CACHE_DIR:-$HOME/.cache/judge}
BIN="$CACHE/bin/llama-server"
if [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; then echo "llama-server already built: $BIN"; exit 0; fi
SRC="$CACHE/src"
mkdir -p "$SRC" "$CACHE/bin"
if [[ ! -d "$SRC/llama_cpp_python-$VERSION/vendor/llama.cpp" ]]; then
  "$PY" -m pip download --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$SRC"
  tar -xzf "$SRC/llama_cpp_python-$VERSION.tar.gz" -C "$SRC"
fi
LLAMA="$SRC/llama_cpp_python-$VERSION/vendor/llama.cpp"
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)  # faster when present; make works too
cmake -S "$LLAMA" -B "$SRC/build-server" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DGGML_NATIVE=ON \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF >/dev/null  # no web UI: nothing is fetched from a hub
cmake --build "$SRC/build-server" --target llama-server -j "${JOBS:-2}"
install -m 755 "$SRC/build-server/bin/llama-server" "$BIN"
"$BIN" --version
echo "installed $BIN"
