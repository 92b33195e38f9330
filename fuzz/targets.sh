# Sourced by run.sh and merge.sh from the repository root, with the targets
# named on their command line in TARGETS: none named means every fuzz/fuzz_T.c.
if [ ${#TARGETS[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do
    t=${f#fuzz/fuzz_}; t=${t%.c}
    [ "$t" = util ] || TARGETS+=("$t")
  done
fi
