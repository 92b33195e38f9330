#!/usr/bin/env bash
# Defects found when compare and sweep were tried as a new user would, as
# regression tests running the commands that showed them: CSV files that a
# CSV reader cannot read, options that set one thing twice, an epochs axis
# labelled as one epoch count, a comparison across data sets, intervals
# beyond 0-100 %, a "best" named from one seed. And compare --model-a/-b.
# usage: experiment_defects.sh DROPNET
set -u
DN=$(realpath "$1")
source "$(dirname "$0")/lib.sh"

# ok.csv: header label,f0..f5 and 60 rows of 3 classes (as in the report).
awk 'BEGIN { s = 11; print "label,f0,f1,f2,f3,f4,f5";
  for (i = 0; i < 60; i++) { c = i % 3; line = c;
    for (j = 0; j < 6; j++) { s = (s * 1103515245 + 12345) % 2147483648;
      line = line "," (j % 3 == c ? 0.5 : 0) + s / 2147483648 }
    print line } }' > "$T/ok.csv"
# other.csv: another data set of the same shape
sed 's/^\([0-9]\),0\./\1,0.1/' "$T/ok.csv" > "$T/other.csv"
Q0=(--train "$T/ok.csv" --test "$T/ok.csv" --hidden 8 --dropout 0.5 --batch-size 8 --quiet)
Q=("${Q0[@]}" --epochs 1 --no-figures)
Q2=(--train "$T/ok.csv" --test "$T/ok.csv" --hidden 8,8 --batch-size 8 --epochs 1 --no-figures --quiet)

# csv_ok FILE: every record has the header's number of fields, read by
# Python's csv module (RFC 4180).
csv_ok() {
  if python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
bad = [i for i, r in enumerate(rows) if len(r) != len(rows[0])]
sys.exit(1 if bad or len(rows) < 2 else 0)
PY
  then ok "$1 reads as CSV"; else fail "$1 is not well-formed CSV: $(head -3 "$1")"; fi
}

# ---- 1: sweep.csv with a list-valued axis; every CSV dropnet writes ----
expect 0 'sweep.csv' -- sweep "${Q2[@]}" --dropout 0.2,0.5/0.5,0.2 --seeds 3 --out "$T/sw1"
csv_ok "$T/sw1/sweep.csv"
python3 - "$T/sw1/sweep.csv" <<'PY' && ok "sweep.csv cell and dropout fields" || fail "sweep.csv fields: $(cat "$T/sw1/sweep.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
assert [r["dropout"] for r in rows] == ["0.2,0.5", "0.5,0.2"], rows
assert rows[0]["cell"] == "dropout=0.2,0.5"
assert all(r["could_be_best"] in ("0", "1") for r in rows)
assert sum(r["best"] == "1" for r in rows) == 1
PY
expect 0 'paired seeds' -- compare "${Q[@]}" --seeds 3 --a "--dropout 0.1" --b "--dropout 0.6" --out "$T/cmp"
csv_ok "$T/cmp/compare.csv"
for f in "$T"/cmp/runs/a-seed1/metrics.csv "$T"/cmp/runs/a-seed1/steps.csv; do csv_ok "$f"; done

# ---- 4: options that set the same thing twice ----
expect 2 'both set the dropout of hidden layer 1' -- sweep "${Q2[@]}" --dropout1 0,0.5 --dropout 0.2,0.5/0.5,0.2
expect 2 'sweep: --lr is given twice' -- sweep "${Q[@]}" --lr 0.1,0.5 --lr 0.2
expect 2 'sweep: --seeds is given twice' -- sweep "${Q[@]}" --lr 0.1,0.5 --seeds 2 --seeds 3
expect 2 'compare: --seeds is given twice' -- compare "${Q[@]}" --a "" --b "--lr 0.1" --seeds 2 --seeds 3
expect 2 'compare: --lr is given twice' -- compare "${Q[@]}" --lr 0.1 --lr 0.2 --a "" --b "--dropout 0"
expect 2 'compare: --margin is given twice' -- compare "${Q[@]}" --a "" --b "--lr 0.1" --margin 1 --margin 2

# ---- 5: an epochs axis: every label says what ran ----
"$DN" sweep "${Q0[@]}" --epochs 1,2 --seeds 3 --out "$T/ep" > "$T/ep.out" 2>&1 || fail "sweep --epochs 1,2: $(cat "$T/ep.out")"
if grep -q "every cell: .*[0-9] epoch" "$T/ep.out" "$T/ep/report.md"; then
  fail "an epochs axis is labelled with one epoch count: $(grep -h 'every cell' "$T/ep.out" "$T/ep/report.md")"
else ok "no single epoch count claimed for every cell"; fi
grep -q "epochs 2" "$T/ep/report.md" && ok "cells labelled with their epochs" || fail "report.md lacks 'epochs 2'"
[ "$(python3 -c "import json,sys; print(json.load(open('$T/ep/runs/epochs=2_seed1/config.json'))['epochs'])" 2>/dev/null)" = 2 ] \
  && ok "the epochs=2 cell trained 2 epochs" || fail "epochs=2 cell: $(cat "$T/ep/runs/epochs=2_seed1/config.json" 2>&1 | head -5)"

# ---- 9: compare across data sets ----
expect 2 'A and B train on different data' -- compare "${Q[@]}" --a "" --b "--train $T/other.csv --test $T/other.csv" --seeds 2 --out "$T/x9"
[ ! -e "$T/x9" ] && ok "nothing written" || fail "compare across data sets wrote $T/x9"

# ---- lesser: 1-seed sweep names no best; intervals stay in 0-100 % ----
"$DN" sweep "${Q[@]}" --lr 0.1,0.5 --seeds 1 --out "$T/one" > "$T/one.out" 2>&1 || fail "1-seed sweep: $(cat "$T/one.out")"
grep -q "no verdict" "$T/one.out" && ! grep -q "^best:" "$T/one.out" && ok "1 seed: no verdict on the terminal" \
  || fail "1 seed: $(cat "$T/one.out")"
grep -q "No verdict" "$T/one/report.md" && ok "1 seed: no verdict in report.md" || fail "1 seed report.md"
python3 - "$T/one/sweep.csv" <<'PY' && ok "1 seed: could_be_best empty" || fail "1 seed sweep.csv: $(cat "$T/one/sweep.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
assert all(r["could_be_best"] == "" and r["p_beaten"] == "" for r in rows), rows
PY
# Two seeds: t(0.975, 1) = 12.7 stretches the intervals; what is printed of
# accuracies stays within 0-100 % and says when it was cut.
"$DN" compare "${Q[@]}" --seeds 2 --a "--lr 0.05" --b "--lr 1" --out "$T/wide" > "$T/wide.out" 2>&1 || fail "compare --seeds 2: $(cat "$T/wide.out")"
python3 - "$T/wide.out" "$T/wide/report.md" <<'PY' && ok "accuracy intervals within 0-100 %" || fail "intervals: $(cat "$T/wide.out")"
import re, sys
for path in sys.argv[1:]:
    text = open(path).read()
    clipped = "clipped to 0-100 %" in text
    for line in text.splitlines():
        if "accuracy (%)" in line:
            # A and B columns: mean [lo, hi] of accuracies
            for lo, hi in re.findall(r"\d+\.\d+ \[(-?\d+\.\d+), (-?\d+\.\d+)\]", line)[:2]:
                assert 0 <= float(lo) and float(hi) <= 100, line
PY
grep -q "no verdict" "$T/wide.out" && ok "2 seeds: no verdict" || fail "2 seeds: $(cat "$T/wide.out")"

# ---- a validation split: sweep ranks and chooses on it ----
expect 0 'chosen on validation accuracy' -- sweep "${Q0[@]}" --epochs 3 --val 15 --lr 0.05,1 --seeds 3 --out "$T/val"
python3 - "$T/val/sweep.csv" <<'PY' && ok "sweep.csv: chosen on val_acc" || fail "sweep.csv with --val: $(cat "$T/val/sweep.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
best = [r for r in rows if r["best"] == "1"]
assert len(best) == 1
assert float(best[0]["val_acc_mean"]) == max(float(r["val_acc_mean"]) for r in rows)
assert all(abs(float(r["val_acc_minus_best"]) - (float(r["val_acc_mean"]) - float(best[0]["val_acc_mean"]))) < 1e-9 for r in rows)
PY
[ -s "$T/val/heatmap_val_acc.png" ] && [ ! -e "$T/val/heatmap_test_acc.png" ] && ok "heatmap of validation accuracy" || fail "heatmaps with --val: $(ls "$T/val")"
grep -q "test set is reported once" "$T/val/report.md" && ok "report.md: the test set used once" || fail "report.md with --val"
grep -q "| cell | validation accuracy |" "$T/val/report.md" && ok "per-cell table on validation" || fail "report.md table with --val"

# ---- compare --model-a/--model-b: two models on one test set ----
"$DN" train "${Q[@]}" --seed 1 --out "$T/ma" > /dev/null 2>&1 || fail "train A"
"$DN" train "${Q[@]}" --seed 2 --lr 0.1 --out "$T/mb" > /dev/null 2>&1 || fail "train B"
MA="$T/ma/model.safetensors"; MB="$T/mb/model.safetensors"
"$DN" compare --model-a "$MA" --model-b "$MB" --test "$T/ok.csv" --json > "$T/m.json" || fail "compare models"
"$DN" compare --model-a "$MA" --model-b "$MB" --test "$T/ok.csv" --json > "$T/m2.json"
cmp -s "$T/m.json" "$T/m2.json" && ok "same seed, same bootstrap" || fail "two runs differ"
accA=$("$DN" eval --model "$MA" --test "$T/ok.csv" | sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
python3 - "$T/m.json" "$accA" <<'PY' && ok "model comparison: counts, accuracy, McNemar" || fail "model comparison: $(cat "$T/m.json")"
import json, math, sys
j = json.load(open(sys.argv[1]))
assert j["n"] == 60 and j["both"] + j["a_only"] + j["b_only"] + j["neither"] == 60
assert abs(j["acc_a"] - float(sys.argv[2])) < 1e-4, (j["acc_a"], sys.argv[2])
assert abs(j["acc_b"] - j["acc_a"] - j["diff"]) < 1e-12
b, c = j["a_only"], j["b_only"]
p = min(1.0, 2 * sum(math.comb(b + c, i) for i in range(min(b, c) + 1)) / 2 ** (b + c)) if b + c else 1.0
assert abs(j["p_mcnemar"] - p) < 1e-12, (j["p_mcnemar"], p)
assert j["ci_low"] <= j["diff"] <= j["ci_high"] and j["resamples"] == 10000
PY
expect 0 'exact McNemar' -- compare --model-a "$MA" --model-b "$MB" --test "$T/ok.csv" --resamples 1000 --seed 7
expect 2 '--resamples: 50 is outside' -- compare --model-a "$MA" --model-b "$MB" --test "$T/ok.csv" --resamples 50
expect 2 '--model-b is missing' -- compare --model-a "$MA" --test "$T/ok.csv"
expect 2 '--data and --test exclude each other' -- compare --model-a "$MA" --model-b "$MB" --test "$T/ok.csv" --data "$T"
expect 2 'not an option of compare --model-a' -- compare --model-a "$MA" --model-b "$MB" --a "--lr 1"
expect 2 'compare: --model-a is given twice' -- compare --model-a "$MA" --model-a "$MB" --model-b "$MB"
printf 'label,f0,f1,f2,f3,f4,f5\n' > "$T/two.csv"; for i in $(seq 1 10); do echo "$((i%2)),1,2,3,4,5,6" >> "$T/two.csv"; done
"$DN" train --train "$T/two.csv" --test "$T/two.csv" --hidden 4 --dropout 0 --batch-size 5 --epochs 1 --no-figures --quiet --out "$T/m2c" > /dev/null 2>&1 || fail "train 2-class"
expect 2 'not models of one task' -- compare --model-a "$MA" --model-b "$T/m2c/model.safetensors" --test "$T/ok.csv"
finish
