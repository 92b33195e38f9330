/* Writing files so that nobody ever sees half of one. */
#ifndef DN_IO_FILE_H
#define DN_IO_FILE_H

#include "core/internal.h"

typedef struct {
    const void *data;
    size_t size;
} dn_chunk;

/* Writes the chunks, in order, to a temporary file in path's directory,
 * flushes and fsyncs it, renames it over path and fsyncs the directory: a
 * crash at any instant leaves either the old file or the new one. */
int dn_write_atomic(const char *path, const dn_chunk *chunks, int n, dn_err *err);

#endif
