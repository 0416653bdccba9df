#!/usr/bin/env bash
# Build llama.cpp's `llama-server` from the sources vendored in the llama-cpp-python sdist (pinned
# below; fetched with `pip download`, so it uses the same package index as everything else).
#
# Portable on every x86-64 CPU: the instruction sets are chosen from this CPU's flags one by one
# (SSE4.2, AVX, AVX2, FMA, F16C, BMI2, AVX-512 and its extensions, AVX-VNNI) instead of
# -march=native, and AMX is always left out: ggml's AMX path segfaults on the first inference on
# CPUs that have it (llama.cpp issue 20824), so it must not be compiled in.
#
# The binary goes to $JUDGE_CACHE_DIR/bin/llama-server-<recipe>/ (default ~/.cache/judge), where
# <recipe> is the first 12 hex digits of this file's sha256: a new recipe in a new version of judge
# builds anew, an old binary is never reused by mistake. build.json beside it records the recipe,
# the llama.cpp version and the CPU flags it was compiled for (judge checks them before using it).
# Static, CPU only, no curl, no web UI (nothing is fetched from a hub). 4-12 minutes on 2 cores.
# Needs cmake and a C++ compiler. Prints the installed binary's path on its last line.
set -euo pipefail
PY=${PYTHON:-python3}
VERSION=0.3.36
CACHE=${JUDGE_CACHE_DIR:-$HOME/.cache/judge}
RECIPE=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
DEST="$CACHE/bin/llama-server-$RECIPE"
BIN="$DEST/llama-server"
if [[ -x "$BIN" && -f "$DEST/build.json" && "${1:-}" != "--rebuild" ]] && "$BIN" --version >/dev/null 2>&1; then
  echo "llama-server already built for this recipe ($RECIPE):" >&2
  echo "$BIN"
  exit 0
fi
[[ "$(uname -m)" == "x86_64" ]] || echo "note: not x86-64 ($(uname -m)): building with the compiler's defaults" >&2
SRC="$CACHE/src"
mkdir -p "$SRC" "$DEST"
if [[ ! -d "$SRC/llama_cpp_python-$VERSION/vendor/llama.cpp" ]]; then
  "$PY" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$SRC"
  tar -xzf "$SRC/llama_cpp_python-$VERSION.tar.gz" -C "$SRC"
fi
LLAMA="$SRC/llama_cpp_python-$VERSION/vendor/llama.cpp"

# This CPU's flags (Linux /proc/cpuinfo), mapped to ggml's options; everything not found stays off.
FLAGS=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { [[ "$FLAGS" == *" $1 "* ]]; }
OPTS=() USED=()
opt() {  # opt GGML_OPTION cpuflag [cpuflag ...]: ON only when the CPU has every flag
  local name=$1; shift
  for f in "$@"; do has "$f" || { OPTS+=("-D$name=OFF"); return; }; done
  OPTS+=("-D$name=ON"); USED+=("$name")
}
opt GGML_SSE42 sse4_2
opt GGML_AVX avx
opt GGML_AVX2 avx2
opt GGML_FMA fma
opt GGML_F16C f16c
opt GGML_BMI2 bmi2
opt GGML_AVX_VNNI avx_vnni
opt GGML_AVX512 avx512f avx512cd avx512vl avx512dq avx512bw
opt GGML_AVX512_VBMI avx512f avx512vbmi
opt GGML_AVX512_VNNI avx512f avx512_vnni
opt GGML_AVX512_BF16 avx512f avx512_bf16
OPTS+=(-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)  # never: see the header

BUILD="$SRC/build-$RECIPE"
rm -rf "$BUILD"
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)  # faster when present; make works too
cmake -S "$LLAMA" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DGGML_NATIVE=OFF \
  -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF "${OPTS[@]}" \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF >"$BUILD.cmake.log" 2>&1 \
  || { tail -30 "$BUILD.cmake.log" >&2; exit 1; }
cmake --build "$BUILD" --target llama-server -j "${JOBS:-$(nproc)}" >&2
install -m 755 "$BUILD/bin/llama-server" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
"$BIN" --version >&2
printf '{"recipe": "%s", "llama_cpp_python": "%s", "cpu_options": "%s", "built": "%s"}\n' \
  "$RECIPE" "$VERSION" "${USED[*]}" "$(date -u +%FT%TZ)" >"$DEST/build.json"
rm -rf "$BUILD" "$BUILD.cmake.log"
echo "installed with ${USED[*]:-no SIMD options} (AMX off):" >&2
echo "$BIN"
