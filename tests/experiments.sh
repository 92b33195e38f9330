#!/usr/bin/env bash
# compare and sweep through the command line: bad options answered with one
# line and exit status 2; what a compare leaves (report, CSV, figures, the
# seeds of its runs, paired and unpaired); a rerun that recomputes nothing;
# and the central check: a sweep killed with SIGKILL after some trainings,
# and a compare stopped with SIGINT, finish on rerun with exactly the
# trainings that remained, leaving the finished ones untouched.
# Small settings keep it quick: CSV data made here, and the real
# Fashion-MNIST with 16 hidden units for the runs that must be interrupted.
# usage: experiments.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"


# ---- cblas_sgemm is the BLAS's, not GSL's reference cblas (loaded with libgsl) ----
bind=$(LD_DEBUG=bindings LD_BIND_NOW=1 "$DN" --version 2>&1 >/dev/null | grep "binding file [^ ]*dropnet .*symbol .cblas_sgemm'")
if [ -z "$bind" ]; then
  fail "the loader did not report where cblas_sgemm binds (LD_DEBUG=bindings, glibc)"
elif printf '%s' "$bind" | grep -q gslcblas || ! printf '%s' "$bind" | grep -qE 'openblas|blis'; then
  fail "cblas_sgemm binds to the wrong library: $bind"
else
  echo "ok: cblas_sgemm binds to $(printf '%s' "$bind" | sed 's/.* to \([^ ]*\) .*/\1/')"
fi

# ---- bad options: one line, exit 2, nothing trained ----
A=(--a "--dropout 0.2,0.5")
expect 0 'usage: dropnet compare' -- compare --help
expect 0 'usage: dropnet sweep' -- sweep --help
expect 2 '--a is missing' -- compare
expect 2 '--b is missing' -- compare "${A[@]}"
expect 2 '--a: --dropout: 1.5 is outside [0, 1]' -- compare --a "--dropout 1.5,0.2" --b ""
expect 2 "--b: unknown option '--bogus'" -- compare "${A[@]}" --b "--bogus 1"
expect 2 "--a: --seed is compare's to set" -- compare --a "--seed 3" --b ""
expect 2 '--b: --quiet is not a training setting' -- compare "${A[@]}" --b "--quiet"
expect 2 "--a: unterminated ' quote" -- compare --a "--train 'x" --b ""
expect 2 '--a and --b define the same training' -- compare --a "--lr 0.5" --b ""
expect 2 '--seeds: 0 is outside' -- compare --seeds 0 "${A[@]}" --b ""
expect 2 '--jobs: 0 is outside' -- compare --jobs 0 "${A[@]}" --b ""
expect 2 "compare: unknown option '--bogus'" -- compare --bogus "${A[@]}" --b ""
expect 2 "compare: unexpected argument 'extra'" -- compare extra "${A[@]}" --b ""
expect 2 '--epochs: 0 is outside' -- compare --epochs 0 "${A[@]}" --b ""
expect 2 'A trains 2 epochs and B 3' -- compare --a "--epochs 2" --b "--epochs 3"
expect 2 '--seed: 9007199254740990 with 10 seeds goes past' -- compare --seed 9007199254740990 "${A[@]}" --b ""
expect 2 'no such data directory' -- compare --data "$T/nowhere" "${A[@]}" --b "" --out "$T/x"
expect 2 'nothing to sweep' -- sweep --epochs 2
expect 2 '--lr: 0 must be positive' -- sweep --lr 0,0.1
expect 2 'steps of 0.1 from 0 do not reach 0.35' -- sweep --dropout1 0,0.1,...,0.35
expect 2 "'...' needs two values before it" -- sweep --dropout1 0,...,0.5
expect 2 'the network has 2 hidden layers' -- sweep --dropout3 0,0.5
expect 2 'the value 0.1 is given twice' -- sweep --lr 0.1,0.2,0.1
expect 2 '--resume is not a training setting' -- sweep --resume "$T" --lr 0.1,0.2
expect 2 "sweep: unknown option '--bogus'" -- sweep --bogus 1,2
expect 2 '--dropout has 1 value but there are 2 hidden layers' -- sweep --dropout 0.2/0.5,0.5
touch "$T/file"
expect 2 'exists and is not a directory' -- sweep --lr 0.1,0.2 --out "$T/file"

# ---- CSV data: three classes in 12 noisy features, 1200 training rows ----
awk 'BEGIN { s = 7; print "label,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12";
  for (i = 0; i < 1500; i++) { c = i % 3; line = c;
    for (j = 0; j < 12; j++) { s = (s * 1103515245 + 12345) % 2147483648;
      line = line "," (j % 3 == c ? 0.25 : 0) + s / 2147483648 }
    print line > (i < 1200 ? "/dev/stdout" : "/dev/stderr") } }' > "$T/train.csv" 2> "$T/test.csv"
sed -i '1!b;s/^/label,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12\n/' "$T/test.csv"
CSV=(--train "$T/train.csv" --test "$T/test.csv" --hidden 8 --batch-size 50 --epochs 2)

# ---- compare: results, files, seeds of the runs, a rerun that does nothing ----
E="$T/cmp"
expect 0 'over 3 paired seeds' -- compare --seeds 3 --jobs 2 "${CSV[@]}" --a "--dropout 0.1" --b "--dropout 0.5" --out "$E" --quiet
for f in report.md compare.csv curves.png curves.svg paired.png paired.svg; do
  [ -s "$E/$f" ] || fail "compare left no $f"
done
[ "$(wc -l < "$E/compare.csv")" -eq 7 ] || fail "compare.csv: $(cat "$E/compare.csv")"
grep -q '^## Answer' "$E/report.md" && grep -q '| test accuracy (%) |' "$E/report.md" \
  || fail "report.md lacks the answer or the table"
seed_of() { sed -n 's/.*"seed":[[:space:]]*\([0-9]*\).*/\1/p' "$1/config.json"; }
[ "$(seed_of "$E/runs/a-seed2")" = 2 ] && [ "$(seed_of "$E/runs/b-seed2")" = 2 ] \
  || fail "paired runs of seed 2 have seeds $(seed_of "$E/runs/a-seed2") and $(seed_of "$E/runs/b-seed2")"
grep -q '"dropout":[[:space:]]*\[0.5\]' "$E/runs/b-seed1/config.json" || fail "B's config.json"
headers() { cat "$1"/runs/*/train.log 2>/dev/null | grep -c '^epoch  train_loss' ; }
h0=$(headers "$E")
[ "$h0" -eq 6 ] || fail "6 trainings should have started once each, $h0 did"
expect 0 '6 done before, 0 to run' -- compare --seeds 3 "${CSV[@]}" --a "--dropout 0.1" --b "--dropout 0.5" --out "$E" --quiet
[ "$(headers "$E")" -eq 6 ] || fail "a rerun of a finished compare started trainings"
# --unpaired adds B on seeds + 2^32; the report then gives both widths
expect 0 'unpaired (' -- compare --seeds 3 --unpaired "${CSV[@]}" --a "--dropout 0.1" --b "--dropout 0.5" --out "$E" --quiet
[ "$(seed_of "$E/runs/b-unpaired-seed2")" = 4294967298 ] || fail "unpaired seed: $(seed_of "$E/runs/b-unpaired-seed2")"
[ "$(headers "$E")" -eq 9 ] || fail "--unpaired should have run 3 trainings more"
grep -q 'What pairing buys' "$E/report.md" || fail "report.md does not compare the widths"
# another configuration in the same directory is refused
expect 2 'holds a run with another dropout' -- compare --seeds 3 "${CSV[@]}" --a "--dropout 0.2" --b "--dropout 0.5" --out "$E"

# ---- sweep: CSV of every cell, heatmaps, report ----
S="$T/sw"
expect 0 'best: ' -- sweep --seeds 2 "${CSV[@]}" --dropout 0 --dropout1 0,0.25,...,0.5 --lr 0.1,0.5 --out "$S" --quiet
[ "$(wc -l < "$S/sweep.csv")" -eq 7 ] || fail "sweep.csv: $(cat "$S/sweep.csv")"
[ "$(ls -d "$S"/runs/*/ | wc -l)" -eq 12 ] || fail "sweep ran $(ls -d "$S"/runs/*/ | wc -l) trainings, not 12"
for f in report.md heatmap_test_acc.png heatmap_test_acc.svg heatmap_gap.png heatmap_gap.svg; do
  [ -s "$S/$f" ] || fail "sweep left no $f"
done
[ "$(awk -F, 'NR > 1 && $NF == 1' "$S/sweep.csv" | wc -l)" -eq 1 ] || fail "sweep.csv: not one best cell"
grep -q 'dropout1=0.25_lr=0.5,0.25,0.5,2,' "$S/sweep.csv" || fail "sweep.csv cells: $(cut -c1-40 "$S/sweep.csv")"

# ---- a sweep killed with SIGKILL finishes on rerun with exactly the rest ----
# Trainings of about a second each, one at a time, on the real data.
K="$T/kill"
SW=(sweep --seeds 1 --hidden 16,16 --epochs 2 --dropout1 0,0.5 --dropout2 0,0.5 --jobs 1 --out "$K" --quiet --no-figures)
"$DN" "${SW[@]}" > "$T/k1.out" 2> "$T/k1.err" &
pid=$!
for _ in $(seq 1 600); do
  n=$(ls "$K"/runs/*/model.safetensors 2>/dev/null | wc -l)
  [ "$n" -ge 2 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
done_before=$(ls "$K"/runs/*/model.safetensors 2>/dev/null | wc -l)
if [ "$done_before" -lt 1 ] || [ "$done_before" -ge 4 ]; then
  fail "the sweep was to be killed between trainings, $done_before of 4 had finished"
fi
# what the finished trainings wrote must not change
(cd "$K/runs" && for m in */model.safetensors; do md5sum "$m" "$(dirname "$m")/metrics.csv"; done) > "$T/sums"
h0=$(headers "$K")
expect 0 "$done_before done before, $((4 - done_before)) to run" -- "${SW[@]}"
h1=$(headers "$K")
[ $((h1 - h0)) -eq $((4 - done_before)) ] \
  || fail "the rerun started $((h1 - h0)) trainings, $((4 - done_before)) remained"
[ "$(ls "$K"/runs/*/model.safetensors | wc -l)" -eq 4 ] || fail "not all 4 trainings finished"
(cd "$K/runs" && md5sum -c --quiet "$T/sums") || fail "a finished training was changed by the rerun"
expect 0 '4 done before, 0 to run' -- "${SW[@]}"
[ "$(headers "$K")" -eq "$h1" ] || fail "a third run started trainings"

# ---- compare stopped with SIGINT: exit 130, one line; the rerun finishes ----
I="$T/int"
CI=(compare --seeds 2 --hidden 16,16 --epochs 2 --a "--dropout 0.2,0.5" --b "--dropout 0.5,0.2" --jobs 1 --out "$I" --quiet --no-figures)
"$DN" "${CI[@]}" > "$T/i1.out" 2> "$T/i1.err" &
pid=$!
for _ in $(seq 1 600); do
  [ -e "$I/runs/a-seed1/model.safetensors" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "compare after SIGINT exited $rc: $(cat "$T/i1.err")"
grep -q 'interrupted with [1-3] of 4 trainings done; run the same command with --out' "$T/i1.err" \
  && [ "$(wc -l < "$T/i1.err")" -eq 1 ] || fail "SIGINT message: $(cat "$T/i1.err")"
d=$(ls "$I"/runs/*/model.safetensors | wc -l)
expect 0 "$d done before, $((4 - d)) to run" -- "${CI[@]}"
[ "$(ls "$I"/runs/*/model.safetensors | wc -l)" -eq 4 ] || fail "the compare rerun did not finish"

finish
