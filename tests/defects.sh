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
# A claim killed while writing its marker leaves only the marker's temporary:
# the directory is still new (crash.sh found this with SIGKILL).
mkdir killedclaim && : > killedclaim/.dropnet.tmp4915
expect 0 '' -- train "${Q[@]}" --out killedclaim
[ -e killedclaim/.dropnet.tmp4915 ] && fail "killedclaim: the marker's temporary is still there"
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

# 6. --resume on a finished run says so and changes nothing, even in a
# --no-figures run; --resume --epochs N extends it with the bits of a run
# started with N epochs, and config.json records it.
"$DN" train "${Q[@]}" --epochs 3 --out fin > /dev/null || fail "6: the run to finish"
before=$(tree fin)
expect 0 'fin: finished, 3 of 3 epochs; nothing to do (to train it further: dropnet train --resume fin --epochs N)' \
  -- train --resume fin
out=$("$DN" train --resume fin 2>&1)
printf '%s' "$out" | grep -q 'resuming' && fail "6: a finished run says it resumes: $out"
printf '%s' "$out" | grep -q 'curves' && fail "6: a --no-figures run names figures: $out"
[ "$(tree fin)" = "$before" ] && ok "6: finished run untouched" || fail "6: the finished run changed"
expect 0 '# extending from 3 to 5 epochs' -- train --resume fin --epochs 5
"$DN" train "${Q[@]}" --epochs 5 --out five > /dev/null || fail "6: the 5-epoch run"
cmp -s fin/model.safetensors five/model.safetensors && ok "6: extended model = 5-epoch model" \
  || fail "6: extending 3 -> 5 epochs gave another model than 5 epochs"
[ "$(cut -d, -f1-6 fin/metrics.csv)" = "$(cut -d, -f1-6 five/metrics.csv)" ] \
  && ok "6: extended metrics = 5-epoch metrics" || fail "6: metrics differ after extending"
grep -A3 '"extended"' fin/config.json | grep -q '"from":[[:space:]]*3' && grep -q '"epochs":[[:space:]]*5' fin/config.json \
  && ok "6: config.json records the extension" || fail "6: config.json: $(cat fin/config.json)"
ls fin | grep -q -e png -e svg && fail "6: figures in a --no-figures run: $(ls fin)"
expect 2 'fin: --epochs 4: the run has done 5 epochs already, and a run is not cut short (give at least 5)' \
  -- train --resume fin --epochs 4
expect 2 '--resume: --lr cannot be given with it' -- train --resume fin --lr 0.1

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

# --val N: a seeded, class-balanced validation split; its loss and accuracy
# per epoch in the table and as the last columns of the metrics files.
expect 0 '(48 train, 12 validation, 60 test' -- train "${QB[@]}" --no-figures --val 12 --epochs 2 --out val
head -1 val/metrics.csv | grep -qx 'epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds,val_loss,val_acc' \
  && ok "val: metrics.csv header" || fail "val: $(head -1 val/metrics.csv)"
grep -q '"val_loss":.*"val_acc":' val/metrics.jsonl || fail "val: metrics.jsonl lacks val_loss, val_acc"
# 12 of 60 with classes of 20: 4 of each class held out, so the accuracy
# is a multiple of 1/12.
awk -F, 'NR > 1 { v = $9 * 12; if (v - int(v + 0.5) > 1e-9 || int(v + 0.5) - v > 1e-9) exit 1 }' val/metrics.csv \
  && ok "val: accuracies over 12 examples" || fail "val: $(cat val/metrics.csv)"
# Resumed and extended, the same bits as run through.
"$DN" train "${QB[@]}" --no-figures --val 12 --epochs 1 --out val1 --quiet > /dev/null
expect 0 '' -- train --resume val1 --epochs 2 --quiet
cmp -s val/model.safetensors val1/model.safetensors && [ "$(cut -d, -f1-6,8,9 val/metrics.csv)" = "$(cut -d, -f1-6,8,9 val1/metrics.csv)" ] \
  && ok "val: resumed run = run through" || fail "val: resuming changed the bits"
expect 2 '--val: 60 examples leave none to train on (the training data has 60)' -- train "${Q[@]}" --val 60 --out v60
expect 2 "--val: 0 is outside" -- train "${Q[@]}" --val 0 --out v0
expect 2 '--resume: --val cannot be given with it' -- train --resume val --val 3
expect 2 'no val_acc (a run trained without --val)' -- plot five --metric val_acc -o five.png
expect 0 '' -- plot val --metric val_acc --metric test_acc -o val.png

finish
