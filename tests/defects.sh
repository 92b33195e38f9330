#!/usr/bin/env bash
# The defects found by trying dropnet as a new user would, each reproduced
# with the commands that found it: D = dropnet, ok.csv = header label,f0..f5
# and 60 rows of 3 classes, Q = the options of a small training on it.
# usage: defects.sh DROPNET
set -u
DN=$(realpath "$1")
source "$(dirname "$0")/lib.sh"
cd "$T"

awk 'BEGIN { srand(11); print "label,f0,f1,f2,f3,f4,f5"
  for (i = 0; i < 60; i++) { c = i % 3; printf "%d", c
    for (j = 0; j < 6; j++) printf ",%.3f", j + rand() + (j == c ? 2 : 0); print "" } }' > ok.csv
QB=(--train ok.csv --test ok.csv --hidden 8 --dropout 0.5 --batch-size 8 --epochs 1)
Q=("${QB[@]}" --no-figures --quiet)
# tree DIR: every file under DIR with its checksum, to show nothing changed.
tree() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# 2. train --out into a directory of the user's: refused, nothing touched.
mkdir d
echo '{"my":1}' > d/config.json
before=$(tree d)
expect 2 'd: not empty and not a dropnet training run (it holds config.json); use a new or empty directory' -- train "${Q[@]}" --out d
[ "$(tree d)" = "$before" ] && [ "$(ls -A d)" = config.json ] && ok "2: d untouched" \
  || fail "2: d changed: $(ls -A d)"
mkdir here && cp ok.csv here/ && before=$(tree here)
(cd here && "$DN" train "${Q[@]}" --out . > out 2> err; echo $? > rc)
[ "$(cat here/rc)" = 2 ] && grep -q "^dropnet: \.: not empty and not a dropnet training run" here/err \
  && ok "2: --out . refused" || fail "2: --out . -> $(cat here/rc) $(cat here/err)"
rm here/out here/err here/rc
[ "$(tree here)" = "$before" ] || fail "2: --out . wrote into the current directory: $(ls -A here)"
# A new directory and an empty one are fine, and marked as a run's.
mkdir empty
expect 0 '' -- train "${Q[@]}" --out empty
expect 0 '' -- train "${Q[@]}" --out new/deeper
[ "$(cat empty/.dropnet)" = "dropnet run" ] && [ "$(cat new/deeper/.dropnet)" = "dropnet run" ] \
  && ok "2: runs are marked" || fail "2: no marker"

# 3. compare --out at a training run's directory: refused, the run untouched.
"$DN" train "${QB[@]}" --quiet --out run > /dev/null 2>&1 || fail "3: the run to protect"
before=$(tree run)
expect 2 'run: holds a dropnet training run, not a compare experiment; use a new or empty directory' \
  -- compare "${Q[@]}" --seeds 2 --a '--lr 0.1' --b '--lr 0.2' --out run
expect 2 'run: holds a dropnet training run, not a sweep experiment' \
  -- sweep "${Q[@]}" --seeds 2 --lr 0.1,0.2 --out run
[ "$(tree run)" = "$before" ] && ok "3: run untouched" || fail "3: the run changed"
# And the other way round: a run into an experiment, one experiment into
# the other kind, --resume of an experiment.
expect 0 '' -- compare "${Q[@]}" --seeds 2 --a '--lr 0.1' --b '--lr 0.2' --out cmp
before=$(tree cmp)
expect 2 'cmp: holds a dropnet compare experiment, not a training run' -- train "${Q[@]}" --out cmp
expect 2 'cmp: holds a dropnet compare experiment, not a sweep experiment' -- sweep "${Q[@]}" --seeds 2 --lr 0.1,0.2 --out cmp
expect 2 'cmp: holds a dropnet compare experiment, not a training run; nothing to resume there' -- train --resume cmp
[ "$(tree cmp)" = "$before" ] && ok "3: experiment untouched" || fail "3: the experiment changed"
# Its own kind goes on where it stopped.
expect 0 '4 done before' -- compare "${Q[@]}" --seeds 2 --a '--lr 0.1' --b '--lr 0.2' --out cmp

# 7. A first row is data unless most of it is not numbers; a BOM is skipped.
tail -n +2 ok.csv > nohdr.csv
{ printf '\xef\xbb\xbf'; cat nohdr.csv; } > bom.csv
sed '1s/^\([0-9]*\),[^,]*,/\1,O.4,/' nohdr.csv > typo.csv
for f in nohdr bom; do
  expect 0 "(60 train, 60 test, 6 features, 3 classes; header: none (train), label,f0,f1,f2,f3,f4,f5 (test))" \
    -- train "${QB[@]}" --no-figures --train $f.csv --out r7-$f
done
expect 2 "typo.csv:1: column 2: 'O.4' is not a finite number" -- train "${Q[@]}" --train typo.csv --out r7-typo
sed '2s/^\([0-9]*\),[^,]*,/\1,O.4,/' nohdr.csv > typo2.csv
expect 2 "typo2.csv:2: column 2: 'O.4' is not a finite number" -- train "${Q[@]}" --train typo2.csv --out r7-typo2

# 8. Float-subnormal features are numbers.
for v in 1e-45 1e-40 1e-38 1e-50; do
  sed "2,\$s/^\\([0-9]*\\),[^,]*,/\\1,$v,/" ok.csv > sub.csv
  expect 0 '' -- train "${Q[@]}" --train sub.csv --out r8-$v
done

# A run that diverged recorded no epoch: its directory can be used again.
"$DN" train "${Q[@]}" --lr 1e6 --hidden 64,64,64 --dropout 0,0,0 --init normal:1000 --out div > /dev/null 2> err
grep -q 'training diverged' err || fail "the run meant to diverge: $(cat err)"
expect 0 '' -- train "${Q[@]}" --out div
[ "$(tail -n +2 div/metrics.csv | wc -l)" = 1 ] && ok "diverged run's directory reused" \
  || fail "reused directory: $(cat div/metrics.csv)"
expect 2 'div: already holds a run (1 epoch in metrics.csv); continue or extend it with dropnet train --resume div [--epochs N]' \
  -- train "${Q[@]}" --out div

finish
