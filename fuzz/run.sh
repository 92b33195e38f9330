#!/usr/bin/env bash
# Runs the libFuzzer targets one after another, each for SECONDS, from the
# seed corpus (fuzz/corpus/T) and the regression corpus (fuzz/regressions/T);
# new interesting inputs go to BUILD/fuzz-corpus/T (kept between runs, not
# committed). A crash, hang, leak or sanitizer report is written to
# fuzz/regressions/T/ (libFuzzer's crash-*, timeout-*, leak-*, oom-* files):
# commit it with the fix, and `make test` replays it from then on.
# Prints, per target: seconds, executions per second, corpus size, findings.
# usage: fuzz/run.sh BUILD SECONDS [TARGET...]
set -u
BUILD=$1
SECONDS_EACH=$2
shift 2
cd "$(dirname "$0")/.."
TARGETS=("$@")
source fuzz/targets.sh
mkdir -p "$BUILD/fuzz-logs"
found=0
printf '%-14s %8s %10s %8s %10s  %s\n' target seconds execs/s corpus bytes findings
for t in "${TARGETS[@]}"; do
  bin=$BUILD/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz/run.sh: $bin is not built" >&2; exit 2; }
  work=$BUILD/fuzz-corpus/$t
  mkdir -p "$work" "fuzz/regressions/$t"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  mapfile -t extra < <(target_flags "$t")
  before=$(ls "fuzz/regressions/$t" | wc -l)
  log=$BUILD/fuzz-logs/$t.log
  start=$(date +%s)
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb (and the
  # malloc limit, which follows it): an allocation of 2 GB from a small
  # input is a missing size check.
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/regressions/$t/" "${dict[@]}" "${extra[@]}" \
    "$work" "fuzz/corpus/$t" "fuzz/regressions/$t" > "$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(ls "$work" | wc -l)
  bytes=$(cat "$work"/* 2>/dev/null | wc -c)
  after=$(ls "fuzz/regressions/$t" | wc -l)
  if [ $rc -ne 0 ] || [ "$after" -gt "$before" ]; then
    found=1
    what="FOUND (exit $rc): $(grep -m1 -E 'ERROR|fuzz:|SUMMARY' "$log"); see $log"
  else
    what=none
  fi
  printf '%-14s %8s %10s %8s %10s  %s\n' "$t" "$secs" "${execs:-?}" "$corpus" "$bytes" "$what"
done
exit $found
