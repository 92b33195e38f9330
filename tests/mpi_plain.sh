#!/usr/bin/env bash
# A dropnet built without MPI, launched by mpirun as 2 ranks: each rank says
# in one line that it was built without MPI (exit 2) instead of running the
# whole sweep once per rank, and nothing is written.
# usage: mpi_plain.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$T"
mpirun --oversubscribe -np 2 "$DN" sweep --lr 0.1,0.2 --epochs 1 --out E > out 2> err
rc=$?
n=$(grep -c '^dropnet: this dropnet was built without MPI, and 2 ranks would each run the whole command' err)
[ $rc -ne 0 ] && [ "$n" -ge 1 ] && ok "refused (exit $rc): $(grep '^dropnet:' err | head -1)" \
  || fail "a plain build under mpirun -np 2: exit $rc, $(cat err)"
[ ! -e E ] && ok "nothing written" || fail "it wrote $(ls E)"
# one rank is a plain run
mpirun -np 1 "$DN" --version > out 2> err && grep -q '^dropnet ' out && ok "mpirun -np 1 runs it" \
  || fail "mpirun -np 1 dropnet --version: $(cat out err)"
finish
