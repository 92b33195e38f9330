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

/* A CSV field (RFC 4180): as it is, or in double quotes (quotes doubled)
 * when it holds a comma, a quote or a line end. Every CSV dropnet writes
 * goes through here for its text fields. */
void sb_csv_field(strbuf *b, const char *text);
/* The command line, quoted for a POSIX shell where needed. */
void format_command(int argc, char **argv, const char *prefix, strbuf *b);
/* Text for a Markdown table cell: '|' escaped. */
void md_cell(strbuf *b, const char *text);

struct experiment;
/* The lines of a report that say how it was made: "- **Command**: `...`"
 * (prefix, then the arguments) and "- **Trainings**: ...", then a blank
 * line. */
void report_runs(strbuf *md, int argc, char **argv, const char *prefix,
                 const struct experiment *x);
/* The statistics bullets of a report's "Method" section. */
void report_method(strbuf *md);
/* Writes b to DIR/name and frees it: 0, or an exit status after a one-line
 * error. */
int report_save(strbuf *b, const char *dir, const char *name);

/* What compare and sweep report of each training: the last epoch's test
 * accuracy, test loss, training accuracy and gap; accuracies and the gap in
 * percent (points), the loss in nats. */
enum { M_TEST_ACC, M_TEST_LOSS, M_TRAIN_ACC, M_GAP, N_MEASURES };
extern const dn_metric measure_metric[N_MEASURES];
extern const char *const measure_name[N_MEASURES];
extern const double measure_scale[N_MEASURES];
extern const int measure_decimals[N_MEASURES];

#endif
