/* Crash-safe start-or-resume of a training run: checkpoints, the order in
 * which a run's files are written, and the checks that make a checkpoint
 * belong to the run it resumes. The random streams are functions of (seed,
 * epoch, step), so a checkpoint needs only the parameters, where training
 * stands and the partial sums of the epoch. */
#include "files/file.h"
#include "files/runlog.h"
#include "train/config.h"
#include "train/fit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct dn_training {
    dn_training_opts o;
    dn_config cfg;
    dn_runlog *log;
    char dir[4096];
    dn_net *net;
    const dn_model_info *info;
    char *config;                /* the run directory's config.json text */
    size_t steps_per_epoch, train_n;
    dn_epoch_stats *metrics;     /* epochs complete */
    int n_metrics;
    dn_fit_start start;          /* where dn_training_run begins */
    int stopped;                 /* stopped by the flag, checkpoint written */
    int stop_epoch;              /* where it stopped (epochs complete, steps done) */
    size_t stop_step;
    int failed;                  /* a file could not be written: err says why */
    int finished;                /* resumed a finished run: nothing to do */
    int extended_from;           /* the run's epochs before this resume changed them, or 0 */
    dn_err err;
    /* steps.csv: the interval being averaged */
    double iv_loss;
    size_t iv_correct, iv_rows;
    /* activations.csv (cfg.track_activations): the sums and a row buffer */
    dn_act_tracker *act;
    dn_act_row *act_rows;
};

/* Only a training run resumes: a directory marked as another kind is
 * refused (a run from before markers has none, and is accepted). */
static int run_kind(const char *dir, dn_err *err)
{
    dn_dir_kind kind;
    int k = dn_dir_kind_of(dir, &kind, err);
    if (k < 0)
        return -k;
    if (k == 1 && kind != DN_DIR_RUN)
        return dn_fail(err, DN_EINVAL, "%s: holds a dropnet %s, not a training run; nothing to "
                       "resume there", dir, dn_dir_kind_name(kind));
    return DN_OK;
}

int dn_config_read(const char *dir, dn_config *cfg, char *data_dir, size_t data_dir_size,
                   dn_err *err)
{
    int rc = run_kind(dir, err);
    if (rc)
        return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = dn_config_text(path, err);
    if (!text)
        return err->code;
    rc = dn_config_parse(text, path, cfg, data_dir, data_dir_size, err);
    free(text);
    return rc;
}

/* The steps between two rows of steps.csv (and of activations.csv). */
static size_t steps_every(const dn_training *t)
{
    return t->o.log_every > 0 ? (size_t)t->o.log_every : (t->steps_per_epoch + 4) / 5;
}

static int write_checkpoint(dn_training *t, int epochs_done, size_t step, double loss_sum,
                            size_t correct)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->dir);
    dn_checkpoint ck = {.epoch = epochs_done,
                        .step = step,
                        .steps_per_epoch = t->steps_per_epoch,
                        .train_examples = t->train_n,
                        .seed = t->cfg.fit.seed,
                        .loss_sum = loss_sum,
                        .correct = correct,
                        .n_metrics = t->n_metrics,
                        .metrics = t->metrics,
                        .config = t->config,
                        .steps_every = steps_every(t),
                        .steps_loss_sum = t->iv_loss,
                        .steps_correct = t->iv_correct,
                        .steps_examples = t->iv_rows};
    /* the activations' sums since their last row: a checkpoint may fall
     * between two rows */
    if (t->act && !(ck.activations = dn_act_save(t->act, &t->err))) {
        t->failed = 1;
        return 1;
    }
    int rc = dn_checkpoint_save(path, t->net, t->info, &ck, &t->err);
    free(ck.activations);
    if (rc) {
        t->failed = 1;
        return 1;
    }
    return 0;
}

/* The rows of the activations' sums of mode eval at (epoch, step). */
static int log_activations(dn_training *t, int eval, int epoch, size_t step)
{
    dn_act_take(t->act, eval, epoch, step, t->act_rows);
    if (dn_runlog_activations(t->log, t->act_rows, dn_act_rows(t->act), &t->err)) {
        t->failed = 1;
        return 1;
    }
    return 0;
}

/* A row of steps.csv every log_every steps (or five per epoch): the
 * training loss and accuracy averaged over the interval. */
static int log_step(dn_training *t, const dn_step_stats *st)
{
    t->iv_loss += st->loss_sum;
    t->iv_correct += st->correct;
    t->iv_rows += (size_t)st->batch;
    if (st->step % steps_every(t) != 0 && st->step != st->steps_per_epoch)
        return 0;
    dn_step_point p = {st->epoch,
                       st->step,
                       st->steps_per_epoch,
                       t->iv_rows,
                       t->iv_loss / (double)t->iv_rows,
                       (double)t->iv_correct / (double)t->iv_rows};
    t->iv_loss = 0.0;
    t->iv_correct = t->iv_rows = 0;
    if (dn_runlog_step(t->log, &p, &t->err)) {
        t->failed = 1;
        return 1;
    }
    return t->act && log_activations(t, 0, st->epoch, st->step);
}

static int on_step(void *user, const dn_step_stats *st)
{
    dn_training *t = user;
    if (log_step(t, st))
        return 1;
    if (t->o.stop && *t->o.stop) {
        t->stopped = 1;
        t->stop_epoch = st->epoch - 1;
        t->stop_step = st->step;
        write_checkpoint(t, st->epoch - 1, st->step, st->epoch_loss_sum, st->epoch_correct);
        return 1;
    }
    /* Counted over the whole run, so resuming keeps the same rhythm; the
     * last step of an epoch is left to the epoch's own checkpoint. */
    uint64_t global = (uint64_t)(st->epoch - 1) * st->steps_per_epoch + st->step;
    if (t->o.checkpoint_every > 0 && global % (uint64_t)t->o.checkpoint_every == 0 &&
        st->step != st->steps_per_epoch &&
        write_checkpoint(t, st->epoch - 1, st->step, st->epoch_loss_sum, st->epoch_correct))
        return 1;
    return t->o.on_step && t->o.on_step(t->o.user, st);
}

static int on_epoch(void *user, const dn_epoch_stats *st)
{
    dn_training *t = user;
    if (t->o.on_epoch && t->o.on_epoch(t->o.user, st))
        return 1;
    /* The test set's activations, before the checkpoint (a resume from it
     * keeps the rows of the epochs it has). */
    if (t->act && !isnan(st->test_loss) &&
        log_activations(t, 1, st->epoch, t->steps_per_epoch))
        return 1;
    /* The checkpoint before the row: metrics.csv never holds an epoch that
     * no checkpoint has, so a run killed in between can always be resumed
     * (its rows are rebuilt from the checkpoint). */
    if (t->n_metrics < t->cfg.fit.epochs)
        t->metrics[t->n_metrics++] = *st;
    if (write_checkpoint(t, st->epoch, 0, 0.0, 0))
        return 1;
    if (dn_runlog_epoch(t->log, st, &t->err)) {
        t->failed = 1;
        return 1;
    }
    if (t->o.stop && *t->o.stop && st->epoch < t->cfg.fit.epochs) {
        t->stopped = 1;
        t->stop_epoch = st->epoch;
        t->stop_step = 0;
        return 1;
    }
    return t->o.on_saved && t->o.on_saved(t->o.user, st);
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
    if (dn_metrics_read(path, &m, NULL) == DN_OK) {
        size_t rows = m.n;
        dn_metrics_free(&m);
        return rows == 0;
    }
    /* An empty file or a header cut short, no line ended: a run killed
     * while an older dropnet, which wrote the header after creating the
     * file, was writing it. A row comes only after a checkpoint. */
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    return !more && !memchr(buf, '\n', n);
}

/* Reads dir/checkpoint.safetensors into the network, checks that it belongs
 * to this run, and sets where training goes on. */
static int resume_from_checkpoint(dn_training *t, dn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->dir);
    if (never_checkpointed(t->dir, path)) {
        /* Killed before its first checkpoint: it starts again from the seed,
         * which gives the bits of a run never stopped. */
        t->n_metrics = 0;
        memset(&t->start, 0, sizeof t->start);
        return DN_OK;
    }
    const dn_config *cfg = &t->cfg;
    dn_checkpoint ck;
    dn_model_info info;
    int rc = dn_checkpoint_load(path, t->net, &info, &ck, err);
    if (rc && rc == DN_EIO) {
        return dn_fail(err, DN_EIO, "%s: no checkpoint to resume from (%s)", t->dir, err->msg);
    }
    if (rc)
        return rc;
    dn_model_info_free(&info);
    dn_config theirs;
    const char *field = NULL;
    if (dn_config_parse(ck.config, path, &theirs, NULL, 0, err)) {
        rc = err->code;
        goto out;
    }
    /* The number of epochs may change (an extension), and nothing trained
     * depends on it; how far the checkpoint has come is checked below. */
    theirs.fit.epochs = cfg->fit.epochs;
    if ((field = dn_config_differs(cfg, &theirs))) {
        rc = dn_fail(err, DN_EFORMAT, "%s: from another configuration (\"%s\" differs from %s/"
                     "config.json)", path, field, t->dir);
        goto out;
    }
    if (t->extended_from && (ck.epoch > cfg->fit.epochs ||
                             (ck.epoch == cfg->fit.epochs && ck.step))) {
        rc = dn_fail(err, DN_EINVAL, "%s: --epochs %d: the run has done %d epoch%s%s already, and "
                     "a run is not cut short (give at least %d)", t->dir, cfg->fit.epochs,
                     ck.epoch, ck.epoch == 1 ? "" : "s", ck.step ? " and part of the next" : "",
                     ck.epoch + (ck.step > 0));
        goto out;
    }
    if (ck.seed != cfg->fit.seed || ck.train_examples != t->train_n ||
        ck.steps_per_epoch != t->steps_per_epoch || ck.epoch > cfg->fit.epochs ||
        (ck.epoch == cfg->fit.epochs && ck.step)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: from another run: seed %llu, %zu training examples, "
                     "%zu steps per epoch, at epoch %d (this run: seed %llu, %zu, %zu, %d epochs)",
                     path, (unsigned long long)ck.seed, ck.train_examples, ck.steps_per_epoch,
                     ck.epoch, (unsigned long long)cfg->fit.seed, t->train_n, t->steps_per_epoch,
                     cfg->fit.epochs);
        goto out;
    }
    /* steps.csv's rhythm, unless this resume asks for another, and its
     * sums since the last row: the next row averages the same steps as in
     * the run never stopped. (A checkpoint of an older dropnet has neither:
     * that row then averages the steps since the resume.) */
    if (ck.steps_every && t->o.log_every <= 0 && ck.steps_every != steps_every(t))
        t->o.log_every = (long)ck.steps_every;
    t->iv_loss = ck.steps_loss_sum;
    t->iv_correct = ck.steps_correct;
    t->iv_rows = ck.steps_examples;
    /* The activations' sums since their last row, as the checkpoint left
     * them (none: the checkpoint was taken at a row). */
    if (t->act && ck.activations) {
        if ((rc = dn_act_load(t->act, ck.activations, err))) {
            rc = dn_fail(err, DN_EFORMAT, "%s: metadata \"activations\": %s", path, err->msg);
            goto out;
        }
    } else if (t->act && ck.step % steps_every(t)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: holds no activation statistics for step %zu of epoch "
                     "%d, between two rows of activations.csv", path, ck.step, ck.epoch + 1);
        goto out;
    }
    memcpy(t->metrics, ck.metrics, (size_t)ck.n_metrics * sizeof *ck.metrics);
    t->n_metrics = ck.n_metrics;
    t->start = (dn_fit_start){ck.epoch, ck.step, ck.loss_sum, ck.correct};
    /* Finished, and not asked for more: there is nothing to do, and nothing
     * is written (a model missing after the last checkpoint is still saved). */
    struct stat sb;
    snprintf(path, sizeof path, "%s/model.safetensors", t->dir);
    t->finished = !t->extended_from && ck.epoch == cfg->fit.epochs && ck.step == 0 &&
                  stat(path, &sb) == 0;
out:
    dn_checkpoint_free(&ck);
    return rc;
}

dn_training *dn_training_open(const dn_training_opts *opts, const dn_config *cfg, dn_net *net,
                              const dn_model_info *info, size_t train_n, dn_err *err)
{
    if (opts->resume && !opts->dir) {
        dn_fail(err, DN_EINVAL, "resuming needs a run directory");
        return NULL;
    }
    if (cfg->fit.batch_size < 1) {
        dn_fail(err, DN_EINVAL, "batch size %d is not positive", cfg->fit.batch_size);
        return NULL;
    }
    if (opts->resume && run_kind(opts->dir, err))
        return NULL;
    dn_training *t = calloc(1, sizeof *t);
    if (!t) {
        dn_fail(err, DN_ENOMEM, "out of memory");
        return NULL;
    }
    t->o = *opts;
    t->cfg = *cfg;
    t->net = net;
    t->info = info;
    t->train_n = train_n;
    t->steps_per_epoch = (train_n + (size_t)cfg->fit.batch_size - 1) / (size_t)cfg->fit.batch_size;
    if (cfg->track_activations) {
        if (!(t->act = dn_act_new(net, err)))
            goto fail;
        if (!(t->act_rows = calloc((size_t)dn_act_rows(t->act), sizeof *t->act_rows))) {
            dn_fail(err, DN_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (!opts->resume && !(t->log = dn_runlog_open(opts->dir, cfg, opts->data_dir, err)))
        goto fail;
    snprintf(t->dir, sizeof t->dir, "%s", opts->resume ? opts->dir : dn_runlog_dir(t->log));
    size_t n_val = opts->val ? opts->val->n : 0;
    if (n_val != cfg->val) {
        dn_fail(err, DN_EINVAL, "a validation set of %zu examples for a run that holds out %zu",
                n_val, cfg->val);
        goto fail;
    }
    t->metrics = calloc((size_t)cfg->fit.epochs + 1, sizeof *t->metrics);
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", t->dir);
    t->config = dn_config_text(path, err);
    if (!t->metrics || !t->config) {
        if (t->config)
            dn_fail(err, DN_ENOMEM, "out of memory");
        goto fail;
    }
    if (opts->resume) {
        dn_config disk;
        if (dn_config_parse(t->config, path, &disk, NULL, 0, err))
            goto fail;
        if (disk.fit.epochs != cfg->fit.epochs)
            t->extended_from = disk.fit.epochs;
        if (resume_from_checkpoint(t, err))
            goto fail;
        if (t->finished)
            return t;
        /* A run that trains on: its products as they were, or the bits
         * differ from a run never stopped. */
        const char *gemm = dn_config_gemm_differs(cfg);
        if (gemm && (!opts->gemm_named || strcmp(gemm, "gemm") == 0)) {
            dn_fail(err, DN_EINVAL,
                    "%s: trained with %s (%s kernels), now %s (%s kernels): resumed, it would "
                    "not give the bits of a run never stopped (--gemm %s resumes it with its "
                    "backend)",
                    t->dir, cfg->gemm, cfg->gemm_isa, dn_gemm_name(), dn_gemm_isa(), cfg->gemm);
            goto fail;
        }
        if (!(t->log = dn_runlog_resume(t->dir, t->metrics, t->n_metrics, t->start.step,
                                        cfg->val > 0, cfg->track_activations, err)))
            goto fail;
        if (t->extended_from) {
            /* Under the lock: config.json records the new target before the
             * next checkpoint embeds it. */
            char *text = dn_config_extend(t->config, t->extended_from, cfg->fit.epochs, err);
            if (!text)
                goto fail;
            free(t->config);
            t->config = text;
            dn_chunk c = {text, strlen(text)};
            if (dn_write_atomic(path, &c, 1, err))
                goto fail;
        }
    }
    return t;
fail:
    dn_training_close(t);
    return NULL;
}

void dn_training_get(const dn_training *t, dn_training_state *s)
{
    memset(s, 0, sizeof *s);
    s->dir = t->dir;
    s->epoch = t->stopped ? t->stop_epoch : t->start.epoch;
    s->step = t->stopped ? t->stop_step : t->start.step;
    s->steps_per_epoch = t->steps_per_epoch;
    s->metrics = t->metrics;
    s->n_metrics = t->n_metrics;
    s->stopped = t->stopped;
    s->finished = t->finished;
    s->extended_from = t->extended_from;
}

int dn_training_run(dn_training *t, const dn_dataset *train, const dn_dataset *test, dn_err *err)
{
    if (t->finished)
        return dn_dp_release(t->o.dp, err);
    dn_fit_hooks hooks = {on_step, on_epoch, t};
    dn_fit_par par = {t->cfg.micro_blocks, t->o.dp};
    int rc = dn_fit_from(t->net, train, t->o.val, test, &t->cfg.fit, &t->start, &hooks,
                         t->cfg.micro_blocks > 0 ? &par : NULL, t->act, err);
    if (rc) {
        /* The file that could not be written says more than "stopped". */
        if (t->failed)
            *err = t->err;
        else if (t->stopped)
            dn_fail(err, DN_ESTOPPED, "%s: stopped at epoch %d, step %zu of %zu", t->dir,
                    t->stop_epoch + 1, t->stop_step, t->steps_per_epoch);
        return err->code;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", t->dir);
    return dn_model_save(path, t->net, t->info, err);
}

int dn_fit_follow(dn_net *net, const dn_dataset *train, const dn_config *cfg,
                  dn_dp_comm *comm, dn_err *err)
{
    if (cfg->micro_blocks < 1)
        return dn_fail(err, DN_EINVAL, "a run without micro-blocks is not data-parallel");
    dn_fit_par par = {cfg->micro_blocks, comm};
    return dn_fit_from(net, train, NULL, NULL, &cfg->fit, NULL, NULL, &par, NULL, err);
}

void dn_training_close(dn_training *t)
{
    if (!t)
        return;
    /* A run that never trained leaves no rank waiting for it. */
    dn_dp_release(t->o.dp, &(dn_err){0});
    dn_runlog_close(t->log);
    dn_act_free(t->act);
    free(t->act_rows);
    free(t->metrics);
    free(t->config);
    free(t);
}
