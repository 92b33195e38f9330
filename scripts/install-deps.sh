#!/usr/bin/env bash
# Installs the Debian packages dropnet needs to build, test and run;
# `install-deps.sh fuzz` also those of `make fuzz` (clang and libFuzzer).
# Does nothing when everything is present; never upgrades what is installed.
set -euo pipefail

# Build tools and libraries (one line each, with what they are for).
PACKAGES=(
  build-essential        # C compiler, make
  cmake                  # build system
  pkg-config             # dependency discovery
  libopenblas-openmp-dev # default CBLAS (run single-threaded in fixed tiles)
  libblis-openmp-dev     # alternative CBLAS (make BLAS=blis)
  libdnnl-dev            # oneDNN's dnnl_sgemm, the matrix-product backend beside the CBLAS
  librandom123-dev       # Philox4x32 counter-based generator
  zlib1g-dev             # gzip-compressed IDX files
  nettle-dev             # SHA-256 for 'dropnet data check'
  libcjson-dev           # config.json / metrics.jsonl
  libplplot-dev          # figures: curves.png/.svg, predictions.png
  libgsl-dev             # t and normal distributions for compare and sweep (libgsl only, not gslcblas)
  plplot-driver-cairo    # PLplot's PNG and SVG devices (pngcairo, svgcairo)
  libcriterion-dev       # unit tests
  libpng-dev             # tests: decode figures to check sizes and pixel colours
  libxml2-dev            # tests: parse SVG figures as XML
  valgrind               # tests: memcheck of a short training run
  python3                # tests: read CSV, JSON and report outputs back with real parsers
  dataset-fashion-mnist  # the official Fashion-MNIST files
  libopenmpi-dev         # Open MPI: the -DDN_MPI=ON build (experiments over ranks), built by make test
  openmpi-bin            # mpirun, for the MPI tests
)
if [ "${1:-}" = fuzz ]; then
  PACKAGES+=(
    clang-14             # make fuzz: the compiler of the libFuzzer targets
    libclang-rt-14-dev   # make fuzz: libFuzzer and the sanitizer runtimes for clang
    libomp-14-dev        # make fuzz: OpenMP for clang
  )
fi
if [ "${DROPNET_SKIP_DEPS:-0}" = 1 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: this system has no apt-get; install the equivalents of these Debian packages," >&2
  echo "then run make with DROPNET_SKIP_DEPS=1:" >&2
  printf '  %s\n' "${PACKAGES[@]}" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
