/* Shared pieces of the dropnet command-line tool. */
#ifndef DN_CLI_H
#define DN_CLI_H

#include "dropnet.h"
#include "dropnet_experiment.h"

/* Exit statuses. Every cmd_* function, and every helper documented as
 * returning "an exit status", returns one of these or 0, and nothing else;
 * whether it is done (help printed, say) is a separate flag. Helpers that
 * take a dn_err return the library's dn_status, which only cli_fail turns
 * into an exit status. */
enum { EXIT_USAGE = 2, EXIT_RUNTIME = 1, EXIT_INTERRUPTED = 130 };

int cmd_train(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_lab(int argc, char **argv);

/* One-line error on stderr: "dropnet: <what>". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While set (not NULL), cli_error puts "<context>: " before its message,
 * e.g. "--b" while compare parses the options of configuration B. */
void cli_error_context(const char *context);
/* Exit status for a library error (2 for bad input, 1 otherwise), after
 * printing its message. */
int cli_fail(const dn_err *err);
/* Chooses the matrix-product backend: --gemm NAME (opt), else $DN_GEMM, else
 * the default of this build and CPU; checked against a reference product.
 * Returns 0, or an exit status after a one-line error naming the option. */
int cli_gemm(const char *opt);
/* getopt_long returned ':' (an option without its value) or '?' (an unknown
 * option): the one-line message for command CMD; returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);
/* EXIT_USAGE with a message when an operand is left after the options of
 * CMD, 0 when none is. */
int cli_no_operands(const char *cmd, int argc, char **argv);
/* For commands that read their options by hand: the value of the option
 * argv[*i], from "--name=VALUE", or from the next argument (*i moves on).
 * NULL after a one-line message naming CMD when there is none. */
const char *cli_option_value(const char *cmd, int argc, char **argv, int *i);

/* dn_set_threads(n) (0: one per core), with a warning when n is more than
 * the cores: the extra threads only wait for each other (the results are
 * the same bits whatever the count). Returns the count in effect. */
int cli_set_threads(int n);

/* Options a command has seen, to refuse one given twice (the second would
 * silently replace the first). */
typedef struct {
    char names[64][64];
    int n;
} option_seen;
/* 0 the first time NAME (without dashes) is seen; after that EXIT_USAGE
 * with "CMD: --NAME is given twice". */
int option_once(option_seen *s, const char *cmd, const char *name);

/* Strict number parsing: the whole text, finite, in range. 0, or EXIT_USAGE
 * after a one-line error naming opt. */
int parse_int(const char *opt, const char *text, long lo, long hi, long *out);
int parse_u64(const char *opt, const char *text, unsigned long long *out);
int parse_float(const char *opt, const char *text, double lo, double hi, float *out);
/* Comma-separated lists; returns the count or -1 (error printed). */
int parse_int_list(const char *opt, const char *text, long lo, long hi, int *out, int max);
int parse_float_list(const char *opt, const char *text, double lo, double hi, float *out,
                     int max);

#endif
