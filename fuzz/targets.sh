# Sourced by run.sh and merge.sh from the repository root, with the targets
# named on their command line in TARGETS: none named means every fuzz/fuzz_T.c.
if [ ${#TARGETS[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do
    t=${f#fuzz/fuzz_}; t=${t%.c}
    [ "$t" = util ] || TARGETS+=("$t")
  done
fi

# target_flags T: the extra libFuzzer flags of target T, one a line (none for
# most). train_options: the option parser prints a line per bad option (and
# the help), so its stdout and stderr are closed (-close_fd_mask=3) and the
# log keeps libFuzzer's lines and the sanitizers' reports only.
target_flags() {
  case $1 in
    train_options) echo -close_fd_mask=3 ;;
  esac
}
