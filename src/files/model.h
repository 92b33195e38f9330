/* What checkpoints (checkpoint.c) share with model files (model.c): the
 * metadata list of a file being written, the writer, and the reader with a
 * hook for extra metadata. */
#ifndef DN_FILES_MODEL_H
#define DN_FILES_MODEL_H

#include "files/safetensors.h"

#define MAX_META 32

typedef struct {
    const char *kv[2 * MAX_META];
    int n;
    char *owned[MAX_META];
    int n_owned;
} dn_meta_list;

void dn_meta_add(dn_meta_list *m, const char *k, const char *v);
/* Adds a value built in a heap buffer (owned by the list); -1 when v is NULL
 * or the list is full (v is freed). */
int dn_meta_add_owned(dn_meta_list *m, const char *k, char *v);
void dn_meta_free(dn_meta_list *m);

/* Writes net's parameters with info and the metadata in m (the layers, the
 * input preparation and "dropnet": kind are added) to path, atomically. */
int dn_model_write(const char *path, const dn_net *net, const dn_model_info *info,
                   dn_meta_list *m, const char *kind, dn_err *err);
/* The weights of the file at path into net, whose layers must be the file's.
 * With read_state, the file is a checkpoint: read_state(st, ctx, err) reads
 * its training state first, and dropout rates are always compared; a model
 * file has them compared where it records them (one without "layers"
 * metadata has them inferred from the tensors, which cannot tell them). */
int dn_model_load_into(const char *path, dn_net *net, dn_model_info *info,
                       int (*read_state)(const dn_st_file *st, void *ctx, dn_err *err),
                       void *ctx, dn_err *err);

#endif
