#!/usr/bin/env bash
# Experiments over Open MPI (a build with -DDN_MPI=ON): `mpirun -np N dropnet
# sweep|compare|lab` gives the files of a single-process run, file for file
# (timings aside: tests/same_experiment.py); a rerun finds everything done;
# trainings interrupted in a single process resume on other ranks, from the
# files rank 0 sends them; a rank that cannot use rank 0's matrix backend
# and a training that fails on a rank are each one line naming the rank; a
# rank killed mid-sweep ends the job (mpirun names it), leaves the
# experiment resumable, and the same command finishes it with the files of
# a run never stopped.
# Small trainings (16 hidden units, 2 epochs on Fashion-MNIST) keep it quick.
# usage: mpi.sh DROPNET
set -u
DN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
# mpirun refuses root unless told; ranks may outnumber the cores here.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI=(mpirun --oversubscribe)
same() { # same [--resumed] DIR_A DIR_B WHAT
  local opt=()
  [ "$1" = --resumed ] && { opt=(--resumed); shift; }
  if python3 "$HERE/same_experiment.py" "${opt[@]}" "$1" "$2" > "$T/same.out"; then
    ok "$3: $(tail -1 "$T/same.out")"
  else
    fail "$3: $(cat "$T/same.out")"
  fi
}

# ---- the build ----
"$DN" --version | grep -q '^MPI: Open MPI' || fail "--version does not name Open MPI: $("$DN" --version)"
n=$("${MPI[@]}" -np 2 "$DN" --version | grep -c '^MPI: Open MPI')
[ "$n" -eq 2 ] && ok "two ranks start" || fail "mpirun -np 2 dropnet --version: $n ranks answered"

# ---- a sweep: one process and 2 ranks, the same files ----
SW=(sweep --seeds 2 --hidden 16,16 --epochs 2 --dropout1 0,0.5 --threads 1 --quiet --out E)
mkdir -p "$T/one" "$T/two" "$T/three"
(cd "$T/one" && "$DN" "${SW[@]}" > out 2> err) || fail "single-process sweep: $(cat "$T/one/err")"
(cd "$T/two" && "${MPI[@]}" -np 2 "$DN" "${SW[@]}" > out 2> err) \
  || fail "mpirun -np 2 sweep: $(cat "$T/two/err")"
grep -q '^# MPI: 2 ranks' "$T/two/out" || fail "the sweep does not say it runs on 2 ranks: $(cat "$T/two/out")"
grep -q 'with 2 MPI ranks x 1 job x 1 thread' "$T/two/E/report.md" || fail "report.md: $(grep Trainings "$T/two/E/report.md")"
same "$T/one/E" "$T/two/E" "sweep on 2 ranks = one process"
# the comparison can fail: one float of one model changed
cp -r "$T/two/E" "$T/changed"
m="$T/changed/runs/dropout1=0.5_seed2/model.safetensors"
printf '\x01' | dd of="$m" bs=1 seek=$(( $(stat -c %s "$m") - 3 )) conv=notrunc status=none
if python3 "$HERE/same_experiment.py" "$T/one/E" "$T/changed" > "$T/same.out"; then
  fail "same_experiment.py took a changed model for the same"
else
  grep -q 'differs: runs/dropout1=0.5_seed2/model.safetensors' "$T/same.out" \
    && ok "a changed model is found" || fail "same_experiment.py: $(cat "$T/same.out")"
fi
# a rerun under MPI: everything done, nothing written
(cd "$T/two/E/runs" && find . -type f -exec md5sum {} +) > "$T/sums"
(cd "$T/two" && "${MPI[@]}" -np 2 "$DN" "${SW[@]}" > out2 2> err2) || fail "rerun: $(cat "$T/two/err2")"
grep -q '4 done before, 0 to run' "$T/two/out2" || fail "rerun: $(head -1 "$T/two/out2")"
(cd "$T/two/E/runs" && md5sum -c --quiet "$T/sums") && ok "the rerun changed nothing" \
  || fail "the rerun changed finished trainings"

# ---- a compare on 3 ranks (more than the cores): the same files ----
CP=(compare --seeds 2 --hidden 16 --epochs 2 --a "--dropout 0.1" --b "--dropout 0.5" --threads 1 --quiet --out C)
(cd "$T/one" && "$DN" "${CP[@]}" > cout 2> cerr) || fail "single-process compare: $(cat "$T/one/cerr")"
(cd "$T/three" && "${MPI[@]}" -np 3 "$DN" "${CP[@]}" > cout 2> cerr) \
  || fail "mpirun -np 3 compare: $(cat "$T/three/cerr")"
same "$T/one/C" "$T/three/C" "compare on 3 ranks = one process"

# ---- the lab (exercise 1, quick) on 2 ranks: the same files ----
LB=(lab 1 --quick --threads 1 --quiet --out L)
(cd "$T/one" && "$DN" "${LB[@]}" > lout 2> lerr) || fail "single-process lab: $(cat "$T/one/lerr")"
(cd "$T/two" && "${MPI[@]}" -np 2 "$DN" "${LB[@]}" > lout 2> lerr) \
  || fail "mpirun -np 2 lab: $(cat "$T/two/lerr")"
grep -q '^# MPI: 2 ranks' "$T/two/lout" || fail "the lab does not say it runs on 2 ranks: $(cat "$T/two/lout")"
same "$T/one/L" "$T/two/L" "lab 1 on 2 ranks = one process"

# ---- trainings interrupted in one process resume on the ranks ----
# Two trainings side by side, stopped with SIGINT once both have a
# checkpoint; under MPI the second goes to rank 1 with its run directory.
SI=(sweep --seeds 1 --hidden 16,16 --epochs 4 --lr 0.1,0.5 --threads 1 --quiet --no-figures --out R)
mkdir -p "$T/res" "$T/ref"
(cd "$T/ref" && "$DN" "${SI[@]}" > out 2> err) || fail "reference sweep: $(cat "$T/ref/err")"
(cd "$T/res" && exec "$DN" "${SI[@]}" --jobs 2 > out 2> err) &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(ls "$T/res/R"/runs/*/checkpoint.safetensors 2>/dev/null | wc -l)" -eq 2 ] && break
  sleep 0.05
done
kill -INT $pid
wait $pid
rc=$?
n=$(ls "$T/res/R"/runs/*/model.safetensors 2>/dev/null | wc -l)
if [ $rc -ne 130 ] || [ "$n" -ne 0 ]; then
  fail "the sweep to interrupt exited $rc with $n finished (expected 130 and 0): $(cat "$T/res/err")"
fi
# the same interrupted state resumed by one process, and on 2 ranks
cp -a "$T/res" "$T/res1"
(cd "$T/res1" && "$DN" "${SI[@]}" > out2 2> err2) || fail "resumed by one process: $(cat "$T/res1/err2")"
(cd "$T/res" && "${MPI[@]}" -np 2 "$DN" "${SI[@]}" > out2 2> err2) || fail "resumed under MPI: $(cat "$T/res/err2")"
grep -q '0 done before, 2 to run' "$T/res/out2" || fail "resume: $(head -1 "$T/res/out2")"
[ "$(grep -c "epoch  train_loss" "$T/res/R/runs/lr=0.5_seed1/train.log")" -eq 2 ] || fail "lr=0.5 did not resume: $(cat "$T/res/R/runs/lr=0.5_seed1/train.log")"
same "$T/res1/R" "$T/res/R" "interrupted, resumed on 2 ranks = resumed by one process"
same --resumed "$T/ref/R" "$T/res/R" "interrupted, resumed on 2 ranks = never stopped"

# ---- a rank that cannot use rank 0's matrix backend: refused at the start ----
B=(sweep --seeds 1 --hidden 16 --dropout 0 --epochs 1 --lr 0.1,0.2 --quiet --no-figures --out B)
mkdir -p "$T/gemm"
(cd "$T/gemm" && mpirun -np 1 env DN_GEMM=onednn "$DN" "${B[@]}" : \
  -np 1 env DNNL_MAX_CPU_ISA=SSE41 "$DN" "${B[@]}" > out 2> err)
rc=$?
grep '^dropnet:' "$T/gemm/err" > "$T/gemm/lines"
if [ $rc -ne 0 ] && [ "$(wc -l < "$T/gemm/lines")" -eq 1 ] \
   && grep -q '^dropnet: rank 1 (.*): onednn runs sse4.1 kernels there and [a-z0-9]* kernels on rank 0' "$T/gemm/lines"; then
  ok "a rank with other kernels is refused: $(cat "$T/gemm/lines")"
else
  fail "backend check (exit $rc): $(cat "$T/gemm/err")"
fi
[ -z "$(ls "$T/gemm/B/runs")" ] && ok "nothing trained" || fail "trainings ran: $(ls "$T/gemm/B/runs")"

# ---- a training that fails on a rank: one line naming the rank ----
# Rank 1 cannot write metrics.csv (the write-fault switch, as on a full disk).
F=(sweep --seeds 1 --hidden 16 --dropout 0 --epochs 1 --lr 0.1,0.2 --threads 1 --quiet --no-figures --out F)
mkdir -p "$T/fault"
(cd "$T/fault" && mpirun -np 1 "$DN" "${F[@]}" : -np 1 env DROPNET_FAULT_WRITE=metrics.csv "$DN" "${F[@]}" \
  > out 2> err)
rc=$?
grep '^dropnet:' "$T/fault/err" > "$T/fault/lines"
if [ $rc -eq 1 ] && [ "$(wc -l < "$T/fault/lines")" -eq 1 ] \
   && grep -q "^dropnet: sweep: training F/runs/lr=0.2_seed1 failed on rank 1 (.*): .*metrics.csv.*No space left on device" "$T/fault/lines"; then
  ok "a failed training names its rank: $(cat "$T/fault/lines")"
else
  fail "failed training (exit $rc): $(cat "$T/fault/err")"
fi
# (rank 0's training was stopped with it, or had finished)
(cd "$T/fault" && "${MPI[@]}" -np 2 "$DN" "${F[@]}" > out2 2> err2) \
  && [ "$(ls "$T/fault/F"/runs/*/model.safetensors | wc -l)" -eq 2 ] \
  && ok "the rerun finishes: $(grep -oE '[0-9] done before, [0-9] to run' "$T/fault/out2")" \
  || fail "rerun after a failure: $(cat "$T/fault/out2" "$T/fault/err2")"

# ---- a rank killed mid-sweep: the job ends; the same command finishes it ----
K=(sweep --seeds 1 --hidden 16,16 --epochs 2 --dropout1 0,0.25,0.5 --dropout2 0,0.5 --threads 1 --quiet --no-figures --out K)
mkdir -p "$T/kill" "$T/kref"
(cd "$T/kref" && "$DN" "${K[@]}" > out 2> err) || fail "reference: $(cat "$T/kref/err")"
(cd "$T/kill" && exec "${MPI[@]}" -np 2 "$DN" "${K[@]}" > out 2> err) &
mpid=$!
rank1=
for _ in $(seq 1 1200); do
  if [ -z "$rank1" ]; then
    # mpirun's children: the ranks; rank 1 by its environment
    for c in /proc/[0-9]*; do
      [ "$(awk '{print $4}' "$c/stat" 2>/dev/null)" = "$mpid" ] || continue
      tr '\0' '\n' < "$c/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && rank1=${c#/proc/}
    done
  fi
  [ -n "$rank1" ] && [ "$(ls "$T/kill/K"/runs/*/model.safetensors 2>/dev/null | wc -l)" -ge 2 ] && break
  kill -0 $mpid 2>/dev/null || break
  sleep 0.05
done
done_before=$(ls "$T/kill/K"/runs/*/model.safetensors 2>/dev/null | wc -l)
if [ -n "$rank1" ]; then kill -KILL "$rank1"; fi
wait $mpid
rc=$?
if [ -z "$rank1" ] || [ "$done_before" -ge 6 ]; then
  fail "rank 1 was to be killed mid-sweep (its pid: '$rank1', $done_before of 6 finished)"
fi
if [ $rc -ne 0 ] && grep -q 'rank 1 with PID' "$T/kill/err"; then
  ok "mpirun ended the job and named rank 1 (exit $rc)"
else
  fail "after rank 1 was killed, mpirun exited $rc: $(cat "$T/kill/err")"
fi
no_temporaries "$T/kill/K"
for d in "$T/kill/K"/runs/*/; do no_temporaries "$d"; done > "$T/kill/tmps"
grep -q FAIL "$T/kill/tmps" && fail "$(grep FAIL "$T/kill/tmps")"
(cd "$T/kill" && "${MPI[@]}" -np 2 "$DN" "${K[@]}" > out2 2> err2) || fail "rerun after the kill: $(cat "$T/kill/err2")"
now=$(ls "$T/kill/K"/runs/*/model.safetensors | wc -l)
[ "$now" -eq 6 ] || fail "the rerun left $now of 6 trainings finished"
grep -qE "[0-9] done before, [0-9] to run" "$T/kill/out2" && ok "rerun: $(grep -oE '[0-9] done before, [0-9] to run' "$T/kill/out2")"
same --resumed "$T/kref/K" "$T/kill/K" "killed mid-sweep, rerun = never stopped"

finish
