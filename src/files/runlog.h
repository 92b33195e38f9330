/* Reopening the run directory of an interrupted run: what crash-safe
 * start-or-resume (src/train/resume.c) needs of the run directory's writer. */
#ifndef DN_FILES_RUNLOG_H
#define DN_FILES_RUNLOG_H

#include "dropnet.h"
#include "train/activations.h"

/* Reopens the run directory dir of an interrupted run (taking its lock, as
 * dn_runlog_open): temporary files a killed process left are removed,
 * metrics.csv and metrics.jsonl are rewritten (atomically) to hold exactly
 * rows[0..n), the epochs its checkpoint has, steps.csv to hold its rows up to
 * step `step` of epoch n + 1, and further rows are appended. */
dn_runlog *dn_runlog_resume(const char *dir, const dn_epoch_stats *rows, int n, size_t step,
                            bool val, bool activations, dn_err *err);

/* Rows of activations.csv (a log opened for a run that tracks them). */
int dn_runlog_activations(dn_runlog *log, const dn_act_row *rows, int n, dn_err *err);

#endif
