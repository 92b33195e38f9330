/* Text for experiment reports: a growing buffer, numbers with intervals,
 * p-values, and files written whole. */
#ifndef DN_CLI_REPORT_H
#define DN_CLI_REPORT_H

#include "cli.h"

#include <stdarg.h>

typedef struct {
    char *s;
    size_t len, cap;
    int failed; /* out of memory */
} strbuf;

void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(strbuf *b);
/* Writes the buffer to path through a temporary file renamed into place.
 * 0, or an exit status after a one-line error. */
int sb_write_file(const strbuf *b, const char *path);

/* "0.006", "0.42", "< 0.001"; "n/a" for NaN. */
void format_p(double p, char *out, size_t size);
/* "84.95 [84.12, 85.78]" with the given decimals; signed adds '+' to
 * positive numbers. Without an interval (one value): "84.95". */
void format_ci(double mean, double lo, double hi, int decimals, int sign, char *out,
               size_t size);
/* The command line, quoted for a POSIX shell where needed. */
void format_command(int argc, char **argv, const char *prefix, strbuf *b);
/* Text for a Markdown table cell: '|' escaped. */
void md_cell(strbuf *b, const char *text);

/* What compare and sweep report of each training: the last epoch's test
 * accuracy, test loss, training accuracy and gap; accuracies and the gap in
 * percent (points), the loss in nats. */
enum { M_TEST_ACC, M_TEST_LOSS, M_TRAIN_ACC, M_GAP, N_MEASURES };
extern const dn_metric measure_metric[N_MEASURES];
extern const char *const measure_name[N_MEASURES];
extern const double measure_scale[N_MEASURES];
extern const int measure_decimals[N_MEASURES];

#endif
