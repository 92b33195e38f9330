/* The safetensors format, F32 only: reading with strict checks, writing
 * atomically. The model and checkpoint code map networks onto it. */
#ifndef DN_FILES_SAFETENSORS_H
#define DN_FILES_SAFETENSORS_H

#include "core/internal.h"

#include <stdio.h>

/* Largest header the reader accepts (a model's header is a few kB). */
#define DN_SAFETENSORS_MAX_HEADER (100u << 20)

#define DN_ST_MAX_RANK 8

typedef struct {
    char *name;
    int rank;
    uint64_t shape[DN_ST_MAX_RANK];
    uint64_t count;      /* elements */
    uint64_t begin, end; /* byte offsets into the data section */
} dn_st_tensor;

typedef struct {
    char path[4096];
    FILE *f;
    uint64_t data_start, data_size;
    int n;
    dn_st_tensor *t;
    int n_meta;
    char **keys, **values;
} dn_st_file;

/* Opens path and checks its header: size, header length (at most
 * DN_SAFETENSORS_MAX_HEADER, inside the file), JSON, dtypes (F32 only),
 * shapes, offsets (inside the data, no overlap, no gap, nothing after the
 * last tensor), metadata (string values), duplicate names. */
int dn_st_open(dn_st_file *st, const char *path, dn_err *err);
const dn_st_tensor *dn_st_find(const dn_st_file *st, const char *name);
/* The metadata value of key, or NULL. */
const char *dn_st_meta(const dn_st_file *st, const char *key);
/* Reads a tensor's data (t->count floats) and checks that it is finite. */
int dn_st_read(dn_st_file *st, const dn_st_tensor *t, float *dst, dn_err *err);
void dn_st_close(dn_st_file *st);

typedef struct {
    const char *name;
    int rank;
    uint64_t shape[DN_ST_MAX_RANK];
    const float *data;
} dn_st_out;

/* Writes tensors (in this order) and metadata (key, value pairs) to path,
 * atomically. */
int dn_st_write(const char *path, const dn_st_out *t, int n, const char *const *meta, int n_meta,
                dn_err *err);

#endif
