/* Checkpoints, signals and resuming for `dropnet train`. The random streams
 * are functions of (seed, epoch, step), so a checkpoint needs only the
 * parameters, where training stands and the partial sums of the epoch. */
#include "train_state.h"

#include "files/file.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void train_signals_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESETHAND: a second Ctrl-C kills, for when a step takes too long. */
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static char *read_text(const char *path, dn_err *err)
{
    return dn_read_file(path, (size_t)1 << 24, "larger than 16 MB", NULL, err);
}

int train_state_config(const char *dir, dn_run_config *cfg, char *data_dir, size_t data_dir_size,
                       dn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = read_text(path, err);
    if (!text)
        return err->code;
    int rc = dn_config_parse(text, path, cfg, data_dir, data_dir_size, err);
    free(text);
    return rc;
}

int train_state_init(train_state *s, const char *dir, dn_net *net, const dn_model_info *info,
                     const dn_run_config *cfg, size_t train_n, long every, dn_err *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->net = net;
    s->info = info;
    s->every = every;
    s->epochs = cfg->fit.epochs;
    s->seed = cfg->fit.seed;
    s->train_n = train_n;
    s->steps_per_epoch = (train_n + (size_t)cfg->fit.batch_size - 1) / (size_t)cfg->fit.batch_size;
    s->metrics = calloc((size_t)cfg->fit.epochs + 1, sizeof *s->metrics);
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    s->config = read_text(path, err);
    if (!s->metrics || !s->config)
        return s->config ? dn_fail(err, DN_ENOMEM, "out of memory") : (int)err->code;
    return DN_OK;
}

static int write_checkpoint(train_state *s, int epochs_done, size_t step, double loss_sum,
                            size_t correct)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", s->dir);
    dn_checkpoint ck = {.epoch = epochs_done,
                        .step = step,
                        .steps_per_epoch = s->steps_per_epoch,
                        .train_examples = s->train_n,
                        .seed = s->seed,
                        .loss_sum = loss_sum,
                        .correct = correct,
                        .n_metrics = s->n_metrics,
                        .metrics = s->metrics,
                        .config = s->config};
    if (dn_checkpoint_save(path, s->net, s->info, &ck, &s->err)) {
        s->failed = 1;
        return 1;
    }
    return 0;
}

int train_state_step(train_state *s, const dn_step_stats *st)
{
    if (stop_requested) {
        s->interrupted = 1;
        s->stop_epoch = st->epoch;
        s->stop_step = st->step;
        write_checkpoint(s, st->epoch - 1, st->step, st->epoch_loss_sum, st->epoch_correct);
        return 1;
    }
    /* Counted over the whole run, so resuming keeps the same rhythm; the
     * last step of an epoch is left to the epoch's own checkpoint. */
    uint64_t global = (uint64_t)(st->epoch - 1) * st->steps_per_epoch + st->step;
    if (s->every > 0 && global % (uint64_t)s->every == 0 && st->step != st->steps_per_epoch)
        return write_checkpoint(s, st->epoch - 1, st->step, st->epoch_loss_sum,
                                st->epoch_correct);
    return 0;
}

int train_state_epoch(train_state *s, const dn_epoch_stats *st)
{
    if (s->n_metrics < s->epochs)
        s->metrics[s->n_metrics++] = *st;
    if (write_checkpoint(s, st->epoch, 0, 0.0, 0))
        return 1;
    if (stop_requested && st->epoch < s->epochs) {
        s->interrupted = 1;
        s->stop_epoch = st->epoch + 1;
        s->stop_step = 0;
        return 1;
    }
    return 0;
}

/* A run stopped before its first checkpoint: no checkpoint, and a
 * metrics.csv (if any) without a row. Nothing of it needs keeping. */
static int never_checkpointed(const char *dir, const char *ckpath)
{
    struct stat st;
    if (stat(ckpath, &st) == 0 || errno != ENOENT)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    if (stat(path, &st) != 0)
        return errno == ENOENT;
    dn_metrics m;
    if (dn_metrics_read(path, &m, NULL) != DN_OK)
        return 0;
    size_t rows = m.n;
    dn_metrics_free(&m);
    return rows == 0;
}

int train_state_resume(train_state *s, const dn_run_config *cfg, dn_fit_opts *fit, dn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", s->dir);
    if (never_checkpointed(s->dir, path)) {
        /* Killed before its first checkpoint: it starts again from the seed,
         * which gives the bits of a run never stopped. */
        s->n_metrics = 0;
        fit->start_epoch = 0;
        fit->start_step = 0;
        fit->start_loss_sum = 0.0;
        fit->start_correct = 0;
        return DN_OK;
    }
    dn_checkpoint ck;
    dn_model_info info;
    int rc = dn_checkpoint_load(path, s->net, &info, &ck, err);
    if (rc && rc == DN_EIO) {
        /* The message is quoted from a copy: dn_fail writes into err->msg. */
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return dn_fail(err, DN_EIO, "%s: no checkpoint to resume from (%s)", s->dir, why);
    }
    if (rc)
        return rc;
    dn_model_info_free(&info);
    dn_run_config theirs;
    const char *field = NULL;
    if (dn_config_parse(ck.config, path, &theirs, NULL, 0, err)) {
        rc = err->code;
        goto out;
    }
    if ((field = dn_config_differs(cfg, &theirs))) {
        rc = dn_fail(err, DN_EFORMAT, "%s: from another configuration (\"%s\" differs from %s/"
                     "config.json)", path, field, s->dir);
        goto out;
    }
    if (ck.seed != cfg->fit.seed || ck.train_examples != s->train_n ||
        ck.steps_per_epoch != s->steps_per_epoch || ck.epoch > cfg->fit.epochs ||
        (ck.epoch == cfg->fit.epochs && ck.step)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: from another run: seed %llu, %zu training examples, "
                     "%zu steps per epoch, at epoch %d (this run: seed %llu, %zu, %zu, %d epochs)",
                     path, (unsigned long long)ck.seed, ck.train_examples, ck.steps_per_epoch,
                     ck.epoch, (unsigned long long)cfg->fit.seed, s->train_n, s->steps_per_epoch,
                     cfg->fit.epochs);
        goto out;
    }
    memcpy(s->metrics, ck.metrics, (size_t)ck.n_metrics * sizeof *ck.metrics);
    s->n_metrics = ck.n_metrics;
    fit->start_epoch = ck.epoch;
    fit->start_step = ck.step;
    fit->start_loss_sum = ck.loss_sum;
    fit->start_correct = ck.correct;
out:
    dn_checkpoint_free(&ck);
    return rc;
}

int train_state_save_model(train_state *s, dn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", s->dir);
    return dn_model_save(path, s->net, s->info, err);
}

void train_state_free(train_state *s)
{
    free(s->metrics);
    free(s->config);
    s->metrics = NULL;
    s->config = NULL;
}
