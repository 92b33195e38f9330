#!/usr/bin/env bash
# Write failures of a real file system, where this machine allows them:
#   full      a full disk: the run directory on a 160 KiB tmpfs, where the
#             first checkpoint fits and the second does not;
#   readonly  a run directory that becomes read-only while training runs,
#             and a resume into a read-only directory.
# Each must be a one-line error naming the file (exit 1), leave no temporary
# file, and leave the previous checkpoint intact: the run resumed on a
# writable disk ends with the uninterrupted run's model.safetensors, byte for
# byte. Mounting needs a private mount namespace (unshare -m as root, or
# unshare -rm with user namespaces); a read-only directory is also made with
# chmod when not running as root. Without either the test exits 77, which
# CTest reports as skipped.
# usage: disk.sh DROPNET full|readonly
set -u
DN=$(realpath "$1")
MODE=$2
source "$(dirname "$0")/lib.sh"

NS=()
if [ -n "${DISK_TEST_NO_NAMESPACE:-}" ]; then
  : # (to try the chmod path where namespaces work)
elif unshare -m true 2>/dev/null; then
  NS=(unshare -m)
elif unshare -rm true 2>/dev/null; then
  NS=(unshare -rm)
fi
if [ ${#NS[@]} -eq 0 ] && { [ "$MODE" = full ] || [ "$(id -u)" = 0 ]; }; then
  if [ "$MODE" = full ]; then
    echo "skipped: no private mount namespace here (unshare -m) for a small tmpfs"
  else
    echo "skipped: no private mount namespace here (unshare -m), and chmod does not bind root"
  fi
  exit 77
fi

ARGS=(--hidden 32,32 --batch-size 128 --epochs 2 --lr 0.1 --quiet --no-figures)
"$DN" train "${ARGS[@]}" --out "$T/whole" > /dev/null || fail "uninterrupted run"

check_failure() { # RC_FILE ERR_FILE WORDS DIR_LISTING
  local rc
  rc=$(cat "$1")
  [ "$rc" = 1 ] && ok "exit 1" || fail "exit $rc, expected 1: $(cat "$2")"
  grep -qF -- "$3" "$2" && ok "message: $(cat "$2")" || fail "message lacks '$3': $(cat "$2")"
  [ "$(wc -l < "$2")" -eq 1 ] || fail "error is not one line: $(cat "$2")"
  no_temporaries "the run directory" "$4"
}

resume_to_the_end() { # DIR WHAT
  "$DN" train --resume "$1" --quiet > /dev/null 2> "$T/resume.err" ||
    fail "$2: resume: $(cat "$T/resume.err")"
  cmp -s "$T/whole/model.safetensors" "$1/model.safetensors" &&
    ok "$2: resumed, model.safetensors equals the uninterrupted run's" ||
    fail "$2: model.safetensors differs from the uninterrupted run's"
}

case $MODE in
full)
  mkdir "$T/disk"
  # Inside the namespace: the tmpfs, the run, a copy of what it left.
  "${NS[@]}" bash -c '
    mount -t tmpfs -o size=160k tmpfs "$2/disk" || exit 3
    "$1" train "${@:3}" --checkpoint-every 50 --out "$2/disk/run" > /dev/null 2> "$2/full.err"
    echo $? > "$2/full.rc"
    ls -A "$2/disk/run" > "$2/full.ls"
    cp -a "$2/disk/run" "$2/copy"' _ "$DN" "$T" "${ARGS[@]}"
  [ -f "$T/full.rc" ] || { fail "could not mount a tmpfs"; exit 1; }
  check_failure "$T/full.rc" "$T/full.err" 'checkpoint.safetensors: write failed: No space left on device' "$T/full.ls"
  resume_to_the_end "$T/copy" "full disk"
  ;;
readonly)
  mkdir "$T/ro"
  # The directory becomes read-only once the first checkpoint exists; the
  # files the run holds open stay writable, new files cannot be made.
  # A remount fails as "busy" while a file on it is being written (an
  # atomic write's temporary file): it is tried again, up to 2 s.
  make_ro='mount --bind "$2/ro" "$2/ro" && ro=0 &&
    for try in $(seq 200); do
      mount -o remount,bind,ro "$2/ro" 2>/dev/null && { ro=1; break; }; sleep 0.01
    done && [ $ro = 1 ]'
  [ ${#NS[@]} -eq 0 ] && make_ro='chmod a-w "$2/ro"'
  "${NS[@]}" bash -c '
    "$1" train "${@:4}" --checkpoint-every 20 --out "$2/ro" > /dev/null 2> "$2/ro.err" &
    pid=$!
    i=0
    while [ ! -f "$2/ro/checkpoint.safetensors" ] && [ $i -lt 1200 ]; do sleep 0.01; i=$((i+1)); done
    eval "$3" || { kill $pid; exit 3; }
    wait $pid
    echo $? > "$2/ro.rc"
    ls -A "$2/ro" > "$2/ro.ls"
    cp "$2/ro/checkpoint.safetensors" "$2/ro.ck"
    # A resume into the read-only directory.
    "$1" train --resume "$2/ro" --quiet > /dev/null 2> "$2/ro2.err"
    echo $? > "$2/ro2.rc"
    ls -A "$2/ro" > "$2/ro2.ls"' _ "$DN" "$T" "$make_ro" "${ARGS[@]}"
  [ -f "$T/ro.rc" ] || { fail "could not make the directory read-only"; exit 1; }
  words='Read-only file system'
  [ ${#NS[@]} -eq 0 ] && words='Permission denied'
  check_failure "$T/ro.rc" "$T/ro.err" "checkpoint.safetensors: cannot write: $words" "$T/ro.ls"
  check_failure "$T/ro2.rc" "$T/ro2.err" "cannot write: $words" "$T/ro2.ls"
  chmod u+w "$T/ro"
  cmp -s "$T/ro.ck" "$T/ro/checkpoint.safetensors" && ok "the checkpoint is intact" ||
    fail "the checkpoint changed"
  resume_to_the_end "$T/ro" "read-only directory"
  ;;
*)
  echo "usage: disk.sh DROPNET full|readonly" >&2
  exit 2
  ;;
esac
finish
