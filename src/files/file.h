/* Writing files so that nobody ever sees half of one, and a way to test what
 * happens when writing fails. */
#ifndef DN_FILES_FILE_H
#define DN_FILES_FILE_H

#include "core/internal.h"
#include "dropnet_experiment.h"

#include <stdio.h>

/* The header lines (without their end of line) of the files of a run
 * directory that dn_runlog writes and dn_metrics_read / dn_steps_read read
 * back. */
#define DN_METRICS_CSV_HEADER "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds"
/* What a run with a validation split adds after those columns. */
#define DN_METRICS_CSV_VAL ",val_loss,val_acc"
#define DN_STEPS_CSV_HEADER "epoch,step,steps_per_epoch,examples,train_loss,train_acc"

/* Removes the temporary files of dn_write_atomic (NAME.tmpPID) that a
 * killed process left in dir, for each NAME of names (NULL-terminated);
 * other files stay. Only for a directory no live process writes to (the
 * caller holds its lock); what cannot be removed is left, as a later write
 * replaces it anyway. */
void dn_remove_stale_temps(const char *dir, const char *const *names);

/*
 * Fault injection, for tests of what a failed write leaves behind: with the
 * environment variable DROPNET_FAULT_WRITE set to a comma-separated list of
 * file names (e.g. "checkpoint.safetensors,metrics.csv", or "*" for all),
 * every write of a file with one of those names fails as on a full disk
 * (ENOSPC): an atomic write after half of its bytes, an appended row before
 * it is written. Read at each write (no state is kept); unset, it costs one
 * getenv per file written.
 *
 * Returns the errno to simulate for path (ENOSPC), or 0.
 */
int dn_write_fault(const char *path);

/* fprintf to a file opened for appending rows, checked: DN_EWRITE naming path
 * when the row cannot be written and flushed (or the fault switch names
 * path). A row is flushed whole or reported. */
int dn_append_row(FILE *f, const char *path, dn_err *err, const char *fmt, ...)
    DN_PRINTF(4, 5);

/* The whole file at path, NUL-terminated (its length in *len when len is
 * not NULL; a NUL byte inside is the caller's to reject). A file of more
 * than max_bytes is DN_EFORMAT "PATH: " followed by too_big (a wrong path,
 * a disk image say, must not exhaust memory); a file that cannot be opened
 * or read is DN_EIO, a failed allocation DN_ENOMEM. The buffer grows with
 * the file, from 64 KiB. */
char *dn_read_file(const char *path, size_t max_bytes, const char *too_big, size_t *len,
                   dn_err *err);

#endif
