#!/usr/bin/env bash
# Figures from the command line: what dropnet train leaves (steps.csv,
# curves.png, curves.svg, predictions.png), --log-every, --no-figures,
# --figure-scale, a missing plotting driver (a warning, never a failed run),
# dropnet plot overlaying runs, and damaged metrics files (one line naming the
# file and the line, exit status 2). Trains small models on the real data.
# usage: figures.sh DROPNET
set -u
DN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
source "$(dirname "$0")/lib.sh"


# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk.
png_size() {
  local b
  b=($(od -An -tu1 -j16 -N8 "$1"))
  echo "$(( (b[0]<<24) + (b[1]<<16) + (b[2]<<8) + b[3] ))x$(( (b[4]<<24) + (b[5]<<16) + (b[6]<<8) + b[7] ))"
}
is_png() { [ "$(od -An -c -j1 -N3 "$1" | tr -d ' ')" = PNG ]; }

SMALL=(--hidden 32 --dropout 0.2 --quiet --threads 1)

# ---- dropnet train leaves the figures
"$DN" train "${SMALL[@]}" --epochs 2 --out "$T/a" > /dev/null 2> "$T/err"
rc=$?
[ $rc -eq 0 ] || fail "train exited $rc: $(cat "$T/err")"
[ -s "$T/err" ] && fail "train printed on stderr: $(cat "$T/err")"
for f in curves.png curves.svg predictions.png steps.csv; do
  [ -s "$T/a/$f" ] || fail "run directory lacks $f"
done
is_png "$T/a/curves.png" || fail "curves.png is not a PNG"
[ "$(png_size "$T/a/curves.png")" = 640x480 ] || fail "curves.png is $(png_size "$T/a/curves.png")"
[ "$(png_size "$T/a/predictions.png")" = 640x480 ] || fail "predictions.png is $(png_size "$T/a/predictions.png")"
head -c 5 "$T/a/curves.svg" | grep -q '<?xml' || fail "curves.svg does not start with <?xml"
tail -c 8 "$T/a/curves.svg" | grep -q '</svg>' || fail "curves.svg does not end with </svg>"
grep -q '<desc>legend: train, dropout on' "$T/a/curves.svg" || fail "curves.svg lacks its legend words"
# (.lock stays: the lock of the run directory, released when the run ends;
# .dropnet marks the directory as a run's)
no_temporaries "$T/a"
ls -A "$T/a" | grep -v '^\.lock$' | grep -v '^\.dropnet$' | grep -q '^\.' && fail "hidden temporary files left: $(ls -A "$T/a")"
# 235 steps per epoch, default: every 47 steps, 5 rows per epoch
[ "$(wc -l < "$T/a/steps.csv")" -eq 11 ] || fail "steps.csv has $(wc -l < "$T/a/steps.csv") lines, expected 11"
head -1 "$T/a/steps.csv" | grep -qx 'epoch,step,steps_per_epoch,examples,train_loss,train_acc' \
  || fail "steps.csv header: $(head -1 "$T/a/steps.csv")"
[ "$(sed -n 2p "$T/a/steps.csv" | cut -d, -f1-4)" = "1,47,235,12032" ] || fail "steps.csv row 1: $(sed -n 2p "$T/a/steps.csv")"
[ "$(sed -n 6p "$T/a/steps.csv" | cut -d, -f1-4)" = "1,235,235,11872" ] || fail "steps.csv row 5: $(sed -n 6p "$T/a/steps.csv")"
# the examples of one epoch add up to the training set
awk -F, 'NR > 1 && $1 == 1 { n += $4 } END { exit n != 60000 }' "$T/a/steps.csv" || fail "epoch 1 rows do not cover 60000 examples"
# the interval means average to the epoch's training loss (weighted by examples)
awk -F, -v m="$(sed -n 2p "$T/a/metrics.csv" | cut -d, -f2)" \
  'NR > 1 && $1 == 1 { s += $4 * $5; n += $4 } END { d = s / n - m; exit (d > 1e-9 || d < -1e-9) }' \
  "$T/a/steps.csv" || fail "steps.csv means do not match metrics.csv train_loss"

# ---- --log-every, --figure-scale 2, --no-figures
"$DN" train "${SMALL[@]}" --epochs 1 --log-every 100 --figure-scale 2 --out "$T/b" > /dev/null 2>&1 \
  || fail "train --log-every 100 --figure-scale 2"
[ "$(cut -d, -f2 "$T/b/steps.csv" | tail -n +2 | tr '\n' ' ')" = "100 200 235 " ] || fail "--log-every 100: steps $(cut -d, -f2 "$T/b/steps.csv" | tr '\n' ' ')"
[ "$(png_size "$T/b/curves.png")" = 1280x960 ] || fail "--figure-scale 2: curves.png is $(png_size "$T/b/curves.png")"
[ "$(png_size "$T/b/predictions.png")" = 1280x960 ] || fail "--figure-scale 2: predictions.png is $(png_size "$T/b/predictions.png")"
grep -q 'viewBox="0 0 1280 960"' "$T/b/curves.svg" || fail "--figure-scale 2: SVG viewBox"
"$DN" train "${SMALL[@]}" --epochs 1 --no-figures --out "$T/c" > /dev/null 2>&1 || fail "train --no-figures"
[ -e "$T/c/curves.png" ] || [ -e "$T/c/curves.svg" ] || [ -e "$T/c/predictions.png" ] && fail "--no-figures drew figures"
[ -s "$T/c/metrics.csv" ] && [ -s "$T/c/steps.csv" ] || fail "--no-figures: metrics missing"
expect 2 "--log-every: 0 is outside" -- train --log-every 0
expect 2 "--figure-scale: 0.5 is outside [1, 4]" -- train --figure-scale 0.5
expect 2 "--figure-scale: 'x' is not a finite number" -- train --figure-scale x

# ---- a missing plotting driver: one warning line, the run completes
mkdir -p "$T/nodrivers"
PLPLOT_DRV_DIR="$T/nodrivers" "$DN" train "${SMALL[@]}" --epochs 1 --out "$T/d" > /dev/null 2> "$T/err"
rc=$?
[ $rc -eq 0 ] || fail "missing driver: train exited $rc"
[ "$(wc -l < "$T/err")" -eq 1 ] && grep -q 'dropnet: warning: no figures:' "$T/err" \
  || fail "missing driver: stderr is not one warning line: $(cat "$T/err")"
[ -s "$T/d/metrics.csv" ] || fail "missing driver: no metrics.csv"
[ -e "$T/d/curves.png" ] && fail "missing driver: curves.png exists"
PLPLOT_DRV_DIR="$T/not-there" "$DN" train "${SMALL[@]}" --epochs 1 --out "$T/e" > /dev/null 2> "$T/err" \
  || fail "missing driver directory: train failed"
grep -q 'plplot-driver-cairo' "$T/err" && [ "$(wc -l < "$T/err")" -eq 1 ] || fail "missing driver directory: $(cat "$T/err")"
PLPLOT_DRV_DIR="$T/not-there" expect 1 'plplot-driver-cairo' -- plot "$T/a" -o "$T/x.png"

# ---- dropnet plot: overlays, from the files alone
"$DN" train --hidden 32 --dropout 0.5 --quiet --threads 1 --epochs 2 --out "$T/a2" > /dev/null 2>&1 || fail "second run"
expect 0 "$T/a: dropout 0.2" -- plot "$T/a" "$T/a2" -o "$T/ov.png"
expect 0 "$T/a2: dropout 0.5" -- plot "$T/a" "$T/a2" -o "$T/ov.png"
[ "$(png_size "$T/ov.png")" = 640x480 ] || fail "overlay PNG is $(png_size "$T/ov.png")"
expect 0 'wrote' -- plot "$T/a" "$T/a2" --metric test_acc --metric gap -o "$T/ov.svg" --figure-scale 2
[ "$(grep -c '^legend: ' "$T/ov.svg")" -eq 1 ] && grep -q '<desc>legend: dropout 0.2$' "$T/ov.svg" \
  && grep -q '^legend: dropout 0.5</desc>' "$T/ov.svg" || fail "overlay SVG legend: $(grep -A3 '<desc>' "$T/ov.svg")"
grep -q 'viewBox="0 0 1280 960"' "$T/ov.svg" || fail "overlay SVG at 2x"
(cd "$T" && "$DN" plot a > /dev/null 2>&1) && [ -s "$T/plot.png" ] || fail "default output plot.png"
expect 0 'wrote' -- plot "$T/a" --metric seconds -o "$T/one.png"
expect 0 '--metric NAME' -- plot --help
expect 2 'give at least one run directory' -- plot
expect 2 "-o: '$T/x.pdf' must end in .png or .svg" -- plot "$T/a" -o "$T/x.pdf"
expect 2 "unknown metric 'accuracy'" -- plot "$T/a" --metric accuracy
expect 2 '--metric: test_acc given twice' -- plot "$T/a" --metric test_acc --metric test_acc
expect 2 '--figure-scale: 5 is outside' -- plot "$T/a" --figure-scale 5
expect 2 "unknown option '--metrics'" -- plot "$T/a" --metrics test_acc
expect 2 '9 run directories, at most 8' -- plot "$T/a" "$T/a" "$T/a" "$T/a" "$T/a" "$T/a" "$T/a" "$T/a" "$T/a"
expect 2 "$T/nowhere: no such run directory" -- plot "$T/a" "$T/nowhere"
expect 1 "cannot write" -- plot "$T/a" -o "$T/no/such/dir.png"

# ---- damaged metrics files: the file and the line, exit 2
damaged() { rm -rf "$T/bad"; cp -r "$T/a" "$T/bad"; }
damaged; head -c -5 "$T/a/metrics.csv" > "$T/bad/metrics.csv"
expect 2 "$T/bad/metrics.csv:3: truncated row (no end of line)" -- plot "$T/bad" -o "$T/x.png"
damaged; sed -i '2s/^1,[^,]*,/1,0.5x,/' "$T/bad/metrics.csv"
expect 2 "$T/bad/metrics.csv:2: train_loss '0.5x' is not a number" -- plot "$T/bad" -o "$T/x.png"
damaged; sed -i '3s/,[^,]*$//' "$T/bad/metrics.csv"
expect 2 "$T/bad/metrics.csv:3: 6 fields, expected 7" -- plot "$T/bad" -o "$T/x.png"
damaged; sed -i '3s/^2,/1,/' "$T/bad/metrics.csv"
expect 2 "$T/bad/metrics.csv:3: epoch 1 does not follow epoch 1" -- plot "$T/a" "$T/bad" -o "$T/x.png"
damaged; : > "$T/bad/metrics.csv"
expect 2 "$T/bad/metrics.csv:1: empty file" -- plot "$T/bad" -o "$T/x.png"
damaged; head -c -3 "$T/a/steps.csv" > "$T/bad/steps.csv"
expect 2 "$T/bad/steps.csv:11: truncated" -- plot "$T/bad" -o "$T/x.png"
damaged; rm "$T/bad/config.json"
expect 2 "$T/bad/config.json: cannot open" -- plot "$T/bad" -o "$T/x.png"
[ -e "$T/x.png" ] && fail "a figure was written from damaged runs"

finish
