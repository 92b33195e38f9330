#!/usr/bin/env bash
# dropnet stats: the analysis of two columns of a CSV file, its --json keys
# (null where a value does not exist, never NaN or infinity), and bad input.
# usage: tests/stats.sh DROPNET
set -u
DN=$(realpath "$1")
source "$(dirname "$0")/lib.sh"

# json FILE 'PYTHON EXPRESSION over j': true or a failure. NaN and
# Infinity are refused by the parser.
json() {
  local file=$1 expr=$2
  if python3 - "$file" "$expr" <<'PY'
import json, sys
def bad(c): raise ValueError("non-finite number " + c)
j = json.loads(open(sys.argv[1]).read(), parse_constant=bad)
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
  then ok "$file: $expr"; else fail "$file: $expr: $(cat "$file")"; fi
}

printf 'seed,old,new\n1,84.1,84.5\n2,84.3,84.6\n3,83.9,84.4\n4,84.0,84.2\n5,84.6,84.9\n' > "$T/s.csv"
"$DN" stats "$T/s.csv" --json > "$T/s.json" || fail "stats --json"
json "$T/s.json" 'set(["n","mean_a","mean_b","sd_a","sd_b","diff","ci_low","ci_high","p_t","p_wilcoxon","sd_diff","dz","seeds_needed","verdict"]) <= set(j)'
json "$T/s.json" 'j["n"] == 5 and j["a"] == "old" and j["b"] == "new" and j["paired"]'
json "$T/s.json" 'abs(j["mean_a"] - 84.18) < 1e-12 and abs(j["diff"] - 0.34) < 1e-12'
# exact signed-rank: all five differences positive, 2/2^5
json "$T/s.json" 'j["p_wilcoxon"] == 0.0625 and j["wilcoxon_exact"]'
# differences 0.4 0.3 0.5 0.2 0.3: sd sqrt(0.013), t = 0.34 / (sd / sqrt 5)
json "$T/s.json" 'abs(j["sd_diff"] - 0.013 ** 0.5) < 1e-12 and abs(j["dz"] - 0.34 / 0.013 ** 0.5) < 1e-9'
json "$T/s.json" '0.002 < j["p_t"] < 0.003 and j["ci_low"] > 0 and j["seeds_needed"] == 4'
"$DN" stats "$T/s.csv" > "$T/s.txt" || fail "stats"
grep -q "more than the luck of the seed" "$T/s.txt" && ok "verdict" || fail "verdict: $(cat "$T/s.txt")"

# Named columns, unpaired with missing values: rank-sum, no dz.
printf 'x,"with, comma",y\n1,2,3\n2,,4\n3,4,\n4,5,6\n' > "$T/u.csv"
"$DN" stats "$T/u.csv" --a 'with, comma' --b x --unpaired --json > "$T/u.json" || fail "unpaired"
json "$T/u.json" 'j["n_a"] == 3 and j["n_b"] == 4 and not j["paired"] and j["dz"] is None and j["sd_diff"] is None'
json "$T/u.json" 'j["a"] == "with, comma" and j["p_wilcoxon"] is not None'

# No spread: identical nonzero differences (issue: t = inf, p = 0).
printf 'a,b\n1,1.5\n2,2.5\n3,3.5\n4,4.5\n5,5.5\n6,6.5\n' > "$T/z.csv"
"$DN" stats "$T/z.csv" --json > "$T/z.json" || fail "zero spread"
json "$T/z.json" 'j["p_t"] is None and j["ci_low"] is None and j["ci_high"] is None and j["dz"] is None and j["seeds_needed"] is None'
json "$T/z.json" 'j["p_wilcoxon"] == 2 ** -5 and "no spread" in j["verdict"]'
# Identical columns: nothing to detect.
printf 'a,b\n1,1\n2,2\n3,3\n' > "$T/same.csv"
"$DN" stats "$T/same.csv" --json > "$T/same.json" || fail "same"
json "$T/same.json" 'j["diff"] == 0 and j["seeds_needed"] is None and "equal" in j["verdict"]'
# Two seeds: no verdict; four: very wide.
head -3 "$T/s.csv" > "$T/two.csv"
"$DN" stats "$T/two.csv" --json > "$T/two.json" || fail "two"
json "$T/two.json" '"no verdict" in j["verdict"] and j["verdict_kind"] == "too few seeds"'
head -5 "$T/s.csv" > "$T/four.csv"
"$DN" stats "$T/four.csv" > "$T/four.txt"
grep -q "very wide" "$T/four.txt" && ok "4 seeds: very wide" || fail "4 seeds: $(cat "$T/four.txt")"
# Equivalence and --detect.
"$DN" stats "$T/s.csv" --margin 1 --detect 0.1 --json > "$T/m.json" || fail "margin"
json "$T/m.json" 'j["margin"] == 1 and "p_tost" in j and j["detect"] == 0.1 and j["seeds_needed"] > 4'
# Windows line ends and a byte-order mark read the same.
printf '\xef\xbb\xbfseed,old,new\r\n1,84.1,84.5\r\n2,84.3,84.6\r\n3,83.9,84.4\r\n4,84.0,84.2\r\n5,84.6,84.9\r\n' > "$T/crlf.csv"
"$DN" stats "$T/crlf.csv" --json > "$T/crlf.json" || fail "crlf"
json "$T/crlf.json" 'j["a"] == "old" and j["n"] == 5'

# Bad input: one line, exit 2.
printf 'a,b\n1,2\n3\n' > "$T/ragged.csv"
printf 'a,b\n1,2\n3,x\n' > "$T/word.csv"
printf 'a,b\n1,\n3,4\n' > "$T/half.csv"
printf 'a\n1\n' > "$T/one.csv"
printf 'a,"b\n1,2\n' > "$T/open.csv"
expect 2 'no file' -- stats
expect 2 'cannot open' -- stats "$T/none.csv"
expect 2 '3: 1 field, the header has 2' -- stats "$T/ragged.csv"
expect 2 "column 'b': 'x' is not a number" -- stats "$T/word.csv"
expect 2 "pairs need both" -- stats "$T/half.csv"
expect 2 "1 column" -- stats "$T/one.csv"
expect 2 "not closed" -- stats "$T/open.csv"
expect 2 "has no column 'c'" -- stats "$T/s.csv" --a c
expect 2 "same column" -- stats "$T/s.csv" --a old --b old
expect 2 "--margin is given twice" -- stats "$T/s.csv" --margin 1 --margin 2
expect 2 "--margin: '-1' is not a positive number" -- stats "$T/s.csv" --margin=-1
expect 2 "unknown option" -- stats "$T/s.csv" --paired
expect 0 "usage: dropnet stats" -- stats --help
finish
