#!/usr/bin/env bash
# The installed library works outside this tree: `cmake --install` into a
# scratch prefix, then examples/concise.c built against the installed copy
# with `pkg-config --cflags --libs dropnet` and with find_package(dropnet)
# prints, bit for bit, what the in-tree build of it prints; the installed
# tool runs; the man page is there and names the tool's version.
# usage: install.sh BUILD_DIR SOURCE_DIR IN_TREE_CONCISE
set -u
B=$1 S=$(cd "$2" && pwd) REF=$3
DN=$B/dropnet
source "$(dirname "$0")/lib.sh"

P=$T/prefix
if cmake --install "$B" --prefix "$P" > "$T/install.log" 2>&1; then
  ok "cmake --install --prefix $P"
else
  fail "cmake --install: $(tail -3 "$T/install.log")"; finish; exit
fi
for f in include/dropnet.h include/dropnet_experiment.h bin/dropnet share/man/man1/dropnet.1; do
  [ -e "$P/$f" ] && ok "installed $f" || fail "not installed: $f"
done
so=$(find "$P" -name 'libdropnet.so.*.*.*' | head -1)
a=$(find "$P" -name 'libdropnet.a' | head -1)
[ -n "$a" ] && ok "static library $a" || fail "no libdropnet.a"
if [ -n "$so" ]; then
  soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
  [ "$soname" = "libdropnet.so.$(dn_major=$("$DN" --version | head -1 | sed -E 's/^dropnet ([0-9]+)\..*/\1/'); echo "$dn_major")" ] &&
    ok "versioned soname $soname" || fail "soname '$soname' of $so"
else
  fail "no versioned libdropnet.so"
fi
pc=$(find "$P" -name dropnet.pc | head -1)
[ -n "$pc" ] || { fail "no dropnet.pc"; finish; exit; }
ver=$("$DN" --version | head -1 | awk '{ print $2 }')
[ "$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --modversion dropnet)" = "$ver" ] &&
  ok "pkg-config --modversion dropnet = $ver" || fail "dropnet.pc version differs from $ver"
grep -qF "dropnet $ver" "$P/share/man/man1/dropnet.1" && ok "man page of version $ver" ||
  fail "the man page does not name version $ver"

ARGS=(--train-n 2000 --test-n 500 --epochs 1 --seed 3)
"$REF" "${ARGS[@]}" > "$T/want" || fail "in-tree concise exited $?"
libdir=$(dirname "$so")

# pkg-config
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs dropnet)
if cc -std=c11 -I"$S/examples" "$S/examples/concise.c" $flags -o "$T/concise-pc" 2> "$T/cc.log"; then
  ok "concise.c built with: pkg-config --cflags --libs dropnet ($flags)"
  LD_LIBRARY_PATH=$libdir "$T/concise-pc" "${ARGS[@]}" > "$T/got-pc" || fail "concise (pkg-config) exited $?"
  cmp -s "$T/want" "$T/got-pc" && ok "concise against the installed library: same bits" ||
    fail "concise against the installed library differs: $(paste -d' ' "$T/want" "$T/got-pc" | tr '\n' ';')"
else
  fail "cc with pkg-config flags: $(head -5 "$T/cc.log")"
fi
# The program found the installed library, not the tree's.
ldd_out=$(LD_LIBRARY_PATH=$libdir ldd "$T/concise-pc" 2>&1 | grep libdropnet)
case $ldd_out in *"$P"*) ok "linked to $P's libdropnet";; *) fail "not the installed library: $ldd_out";; esac

# find_package(dropnet)
mkdir -p "$T/proj"
cat > "$T/proj/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(uses_dropnet C)
find_package(dropnet 0.1 REQUIRED)
add_executable(concise "$S/examples/concise.c")
target_include_directories(concise PRIVATE "$S/examples")
target_link_libraries(concise PRIVATE dropnet::dropnet)
CMAKE
if cmake -S "$T/proj" -B "$T/proj/build" -DCMAKE_PREFIX_PATH="$P" > "$T/cm.log" 2>&1 &&
   cmake --build "$T/proj/build" >> "$T/cm.log" 2>&1; then
  ok "concise.c built with find_package(dropnet)"
  "$T/proj/build/concise" "${ARGS[@]}" > "$T/got-cm" || fail "concise (CMake) exited $?"
  cmp -s "$T/want" "$T/got-cm" && ok "find_package build: same bits" || fail "find_package build differs"
else
  fail "find_package(dropnet): $(tail -5 "$T/cm.log")"
fi

"$P/bin/dropnet" --version > /dev/null && ok "the installed dropnet runs" || fail "installed dropnet exited $?"
finish
