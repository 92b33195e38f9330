/* Shared by the fuzz targets. The readers take paths, so an input is written
 * to a scratch file first; targets that read several files take one input cut
 * into parts at FUZZ_SEP. */
#ifndef DN_FUZZ_UTIL_H
#define DN_FUZZ_UTIL_H

#include "dropnet.h"
#include "dropnet_experiment.h"

#include <stddef.h>
#include <stdint.h>

/* The entry point libFuzzer calls (replay.c calls it without libFuzzer). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parts of a multi-file input are separated by this line. */
#define FUZZ_SEP "\n=====\n"

/* Path of NAME in this process's scratch directory (on tmpfs when there is
 * one: the writers fsync, and fsync on tmpfs costs nothing). */
const char *fuzz_path(const char *name);
/* Writes data to fuzz_path(name) and returns that path; aborts on failure
 * (the harness, not the code under test, is broken then). */
const char *fuzz_write(const char *name, const void *data, size_t size);
/* The same through gzip. */
const char *fuzz_write_gz(const char *name, const void *data, size_t size);
/* Removes fuzz_path(name) if it exists. */
void fuzz_remove(const char *name);
/* Splits data at FUZZ_SEP into at most max parts; returns their number. */
int fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len, int max);
/* A NUL-terminated copy (free() it). */
char *fuzz_cstr(const uint8_t *data, size_t size);
/* Aborts with a message: a broken invariant is a finding like a crash. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A library call that must succeed (e.g. re-reading what it just wrote). */
void fuzz_check(int rc, const dn_err *err, const char *what);
/* The error of a call that failed: aborts unless its message is one line
 * (not empty, no newline), as the command-line tool prints it. */
void fuzz_one_line(const dn_err *err);

#endif
