#!/usr/bin/env bash
# dropnet lab through the command line: every exercise built so far, run
# with --quick, writes a report whose numbers match the metrics files beside
# it (lab_check.py recomputes them); exercises not built yet are refused with
# one line; a lab killed with SIGKILL and run again finishes with the same
# report and without training again what had finished; a finished lab run
# again trains nothing; another design on the same directory is refused.
# usage: lab.sh DROPNET [all|one]   (one: exercise 1 only, for slow builds)
set -u
DN=$1
MODE=${2:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

expect 0 'usage: dropnet lab' -- lab --help

# ---- every exercise built, quick; the report against its runs ----
L="$T/lab"
if [ "$MODE" = all ]; then
  "$DN" lab all --quick --quiet --out "$L" > "$T/all.out" 2>&1 || fail "lab all --quick: $(cat "$T/all.out")"
  built=$(sed -n 's/^ex\([0-9]\): .*/\1/p' "$T/all.out" | tr '\n' ' ')
  missing=$(sed -n 's/^# not built yet in this version, not run: exercises\{0,1\} //p' "$T/all.out" | tr -d ',')
else
  expect 0 'ex1: ' -- lab 1 --quick --quiet --out "$L"
  built=1
  missing=
fi
# --quiet keeps the count of what was trained (it once said 0.00)
if [ "$MODE" = all ]; then
  grep -Eq '^# index .* ([1-9][0-9]*|0\.0*[1-9][0-9]*)(\.[0-9]+)? d2l-sized epochs trained' "$T/all.out" \
    && ok "the closing line counts the epochs trained" || fail "closing line: $(grep '^# index' "$T/all.out")"
fi
[ -n "$built" ] && ok "exercises built: $built" || fail "lab all ran no exercise: $(cat "$T/all.out")"
for n in $built; do
  DROPNET="$DN" python3 "$HERE/lab_check.py" "$L" "$n" && ok "ex$n: report matches its runs" || fail "ex$n: report"
  for f in report.md answer.txt; do
    [ -s "$L/ex$n/$f" ] || fail "ex$n left no $f"
  done
done
for n in $missing; do
  expect 2 "lab: exercise $n (" -- lab "$n" --quick --out "$T/missing"
  grep -q "$n, " "$L/README.md" || grep -q "exercises\{0,1\} .*$n" "$L/README.md" \
    || fail "README.md does not list exercise $n as not built"
done
grep -q '^\*\*Total\*\*: ' "$L/README.md" || fail "README.md has no total"

# ---- the same design again: nothing trained, the same report ----
sums() { find "$1" -name train.log -o -name metrics.csv | sort | xargs md5sum; }
sums "$L/ex1" > "$T/before"
expect 0 'ex1: ' -- lab 1 --quick --quiet --out "$L"
sums "$L/ex1" > "$T/after"
cmp -s "$T/before" "$T/after" && ok "a finished lab trains nothing again" \
  || fail "a rerun touched trainings: $(diff "$T/before" "$T/after" | head -5)"

# ---- another design on the same directory: refused, nothing touched ----
expect 2 'a lab of another design' -- lab 1 --quick --seeds 4 --out "$L"
expect 2 'a lab of another design' -- lab 1 --out "$L"
sums "$L/ex1" > "$T/after"
cmp -s "$T/before" "$T/after" || fail "a refused design touched trainings"

# ---- killed with SIGKILL after some trainings, then run again ----
R="$T/resume"
"$DN" lab 1 --quick --jobs 1 --quiet --out "$R" > "$T/killed.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ "$(ls "$R"/ex1/runs/*/model.safetensors 2>/dev/null | wc -l)" -ge 4 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
done_before=$(ls "$R"/ex1/runs/*/model.safetensors 2>/dev/null | wc -l)
total=$(ls -d "$L"/ex1/runs/*/ | wc -l)
if [ "$done_before" -ge "$total" ]; then
  fail "the lab finished before it could be killed ($done_before trainings)"
fi
# what had finished, by its files
for m in "$R"/ex1/runs/*/model.safetensors; do
  [ -e "$m" ] && md5sum "$(dirname "$m")"/{train.log,metrics.csv,model.safetensors}
done > "$T/finished"
expect 0 'ex1: ' -- lab 1 --quick --jobs 1 --quiet --out "$R"
md5sum -c --quiet "$T/finished" && ok "the $done_before trainings finished before the kill were not run again" \
  || fail "a finished training was run again"
python3 "$HERE/lab_check.py" "$R" 1 && ok "resumed ex1: report matches its runs" || fail "resumed ex1"
# the same numbers as the lab that was never interrupted (the jobs differ:
# the bits do not)
for d in "$L" "$R"; do
  sed '/^## How this was run/,$d' "$d/ex1/report.md" | grep -v '^- \*\*Command' > "$d.numbers"
done
cmp -s "$L.numbers" "$R.numbers" && ok "resumed lab: the same report as an uninterrupted one" \
  || fail "resumed lab reports otherwise: $(diff "$L.numbers" "$R.numbers" | head -6)"

finish
