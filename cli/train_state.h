/* What `dropnet train` keeps beyond the table: checkpoints after every
 * epoch (and every N steps on request), the stop on SIGINT/SIGTERM, resuming
 * from a run directory, and the final model file. */
#ifndef DN_CLI_TRAIN_STATE_H
#define DN_CLI_TRAIN_STATE_H

#include "cli.h"

typedef struct {
    char dir[4096];
    dn_net *net;
    const dn_model_info *info;
    char *config;                /* the run directory's config.json text */
    long every;                  /* checkpoint every N steps (0: after each epoch only) */
    int epochs;
    size_t steps_per_epoch, train_n;
    uint64_t seed;
    dn_epoch_stats *metrics;     /* epochs complete */
    int n_metrics;
    int interrupted;             /* stopped by a signal, checkpoint written */
    int stop_epoch;              /* where it stopped (1-based epoch, steps done) */
    size_t stop_step;
    int failed;                  /* a checkpoint could not be written: err says why */
    dn_err err;
} train_state;

/* Reads dir/config.json of the run to resume (data_dir gets its "data"). */
int train_state_config(const char *dir, dn_run_config *cfg, char *data_dir, size_t data_dir_size,
                       dn_err *err);
/* SIGINT and SIGTERM set a flag; training stops after the current step. A
 * second signal of the same kind ends the process at once. */
void train_signals_catch(void);

int train_state_init(train_state *s, const char *dir, dn_net *net, const dn_model_info *info,
                     const dn_run_config *cfg, size_t train_n, long every, dn_err *err);
/* Resuming: reads dir/checkpoint.safetensors into the network, checks it
 * belongs to this run, and sets fit's start position. */
int train_state_resume(train_state *s, const dn_run_config *cfg, dn_fit_opts *fit, dn_err *err);
/* From the step and epoch hooks: nonzero stops training. */
int train_state_step(train_state *s, const dn_step_stats *st);
int train_state_epoch(train_state *s, const dn_epoch_stats *st);
/* dir/model.safetensors. */
int train_state_save_model(train_state *s, dn_err *err);
void train_state_free(train_state *s);

#endif
