# Sourced by the shell tests once DN (the dropnet program) is set: a scratch
# directory $T removed at exit, a count of failures, and the checks they share.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
ok() { echo "ok: $*"; }

# expect STATUS 'WORDS' -- ARGS...: runs dropnet with ARGS; checks the exit
# status, that stderr or stdout holds WORDS (when not empty), and that an
# error (status 2) is one line.
expect() {
  local want=$1 words=$2; shift 3
  local out rc
  out=$("$DN" "$@" 2>"$T/stderr")
  rc=$?
  if [ "$rc" != "$want" ]; then
    fail "dropnet $* -> exit $rc, expected $want (stderr: $(cat "$T/stderr"))"; return
  fi
  if [ -n "$words" ] && ! grep -qF -- "$words" "$T/stderr" && ! printf '%s' "$out" | grep -qF -- "$words"; then
    fail "dropnet $* -> output lacks '$words' (stderr: $(cat "$T/stderr"); stdout: $out)"; return
  fi
  if [ "$want" = 2 ] && [ "$(wc -l < "$T/stderr")" -ne 1 ]; then
    fail "dropnet $* -> error is not one line: $(cat "$T/stderr")"; return
  fi
  echo "ok: dropnet $* -> $rc"
}

# no_temporaries DIR [LISTING]: DIR holds no temporary file (NAME.tmpDIGITS,
# what an atomic write leaves when it is cut short). With LISTING, DIR's
# entries are read from that file (its `ls -A`, made where DIR could be
# seen) and DIR only names it.
no_temporaries() {
  local left
  left=$(if [ $# -gt 1 ]; then cat "$2"; else ls -A "$1"; fi | grep -E '\.tmp[0-9]+$' | tr '\n' ' ')
  [ -z "$left" ] && ok "$1: no temporary file" || fail "$1: temporary files left: $left"
}

# The last command of a test: the count, and the exit status.
finish() {
  echo "$fails failure(s)"
  [ "$fails" -eq 0 ]
}

# same_bits DIR_A DIR_B WHAT: two run directories hold the same
# model.safetensors and the same metrics.csv (seconds aside).
same_bits() { # DIR_A DIR_B WHAT
  if cmp -s "$1/model.safetensors" "$2/model.safetensors" &&
     cmp -s <(cut -d, -f1-6 "$1/metrics.csv") <(cut -d, -f1-6 "$2/metrics.csv"); then
    ok "$3: the same model and metrics, bit for bit"
  else
    fail "$3: model or metrics differ"; paste -d'|' "$1/metrics.csv" "$2/metrics.csv"
  fi
}
