/* dropnet train: d2l's train_ch3 as a command. */
#include "cli.h"
#include "cluster.h"
#include "dp.h"
#include "train_data.h"
#include "train_options.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet train [options]\n"
            "\n"
            "Trains an MLP with dropout on Fashion-MNIST and prints, per epoch, the training\n"
            "loss and accuracy (dropout active), the test loss and accuracy (dropout off),\n"
            "the gap (train - test accuracy) and the seconds taken. Parameters are fresh\n"
            "for every run: initialised from --seed.\n"
            "\n"
            "model and training (defaults: --preset d2l-2020):\n"
            "  --preset NAME        d2l-2020: 784-256-256-10, dropout 0.2,0.5, lr 0.5,\n"
            "                       batch 256, 10 epochs, init normal:0.01\n"
            "                       d2l: the same with dropout 0.5,0.5, lr 0.1, init pytorch\n"
            "  --hidden LIST        hidden layer widths, e.g. 256,256 (at most %d layers;\n"
            "                       'none': no hidden layer, softmax regression)\n"
            "  --dropout LIST       dropout probability after each hidden layer, in [0, 1],\n"
            "                       one per hidden layer ('none' with --hidden none)\n"
            "  --noise LIST         what each hidden layer draws instead of --dropout, one\n"
            "                       item per hidden layer: none, dropout:P, gaussian:P\n"
            "                       (x N(1, P/(1-P))), additive:SIGMA (+ N(0, SIGMA^2)),\n"
            "                       dropconnect:P (drops weights of the next layer),\n"
            "                       uniform:P (x U(1-a, 1+a), dropout's variance); e.g.\n"
            "                       --noise gaussian:0.2,dropconnect:0.5\n"
            "  --input-dropout P    dropout on the input pixels (default 0)\n"
            "  --lr X               SGD learning rate (> 0)\n"
            "  --batch-size N       minibatch size\n"
            "  --epochs N           number of epochs\n"
            "  --weight-decay X     L2 penalty on weights (not biases), default 0\n"
            "  --init SPEC          normal:SIGMA (zero biases) or pytorch\n"
            "  --seed N             seed of initialisation, data order and dropout masks\n"
            "                       (default 1; same seed, same bits)\n"
            "  --val N              hold out N training examples as a validation set\n"
            "                       (seeded, class-balanced: the same for every setting\n"
            "                       with that seed); its loss and accuracy per epoch go\n"
            "                       into the table, the figures and the metrics files\n"
            "                       (default: none, as d2l)\n"
            "\n"
            "CSV data instead of Fashion-MNIST (label first, then the features; header\n"
            "row optional; input width and classes come from the data):\n"
            "  --train FILE.csv     training data\n"
            "  --test FILE.csv      test data\n"
            "  --scale S            divide every feature by S (e.g. 255 for pixels)\n"
            "  --standardize        (x - mean) / std per feature, training-set statistics\n"
            "\n"
            "checkpoints (the run directory keeps checkpoint.safetensors, and\n"
            "model.safetensors at the end; Ctrl-C stops after the current step):\n"
            "  --checkpoint-every N also checkpoint every N steps (default: each epoch)\n"
            "  --resume DIR         continue the interrupted run in DIR, bit for bit as if\n"
            "                       it had never stopped (its config.json defines the run);\n"
            "                       a finished run is left as it is\n"
            "  --resume DIR --epochs N\n"
            "                       extend the run in DIR (finished or not) to N epochs,\n"
            "                       with the bits of a run started with N epochs\n"
            "\n"
            "data-parallel training (see the README, \"Clusters: Open MPI\"):\n"
            "  --data-parallel      cut every batch into micro-blocks whose gradients add in\n"
            "                       one fixed order: the same bits on 1, 2, 4, ... ranks\n"
            "                       (mpirun -np N dropnet train --data-parallel ...), bits\n"
            "                       of their own (plain training adds over the whole batch)\n"
            "  --micro-blocks K     micro-blocks per batch, a power of two, at most the\n"
            "                       batch size (default %d; the ranks: a power of two up to K)\n"
            "\n"
            "running:\n"
            "  --threads N          threads (default: all cores)\n"
            "  --gemm NAME          matrix-product backend: %s (default: $DN_GEMM,\n"
            "                       else %s on this CPU); another backend gives other bits\n"
            "  --data DIR           Fashion-MNIST directory (default: $DROPNET_DATA,\n"
            "                       ./data/fashion-mnist, /usr/share/datasets/fashion-mnist)\n"
            "  --out DIR            run directory (default runs/<date-time>): config.json,\n"
            "                       metrics.csv, metrics.jsonl, steps.csv, the figures,\n"
            "                       checkpoint.safetensors, model.safetensors\n"
            "  --log-every STEPS    training loss and accuracy into steps.csv every STEPS\n"
            "                       steps, averaged over them (default: 5 points per epoch)\n"
            "  --no-figures         no curves.png, curves.svg, predictions.png\n"
            "  --figure-scale S     figures at S times 640x480 pixels, 1 to 4 (default 1;\n"
            "                       2 for high-density screens)\n"
            "  --quiet              no header and no progress bar, only the table\n"
            "  -h, --help           this help\n",
            DN_MAX_HIDDEN, DN_DEFAULT_MICRO_BLOCKS, dn_gemm_names(), dn_gemm_default());
}

typedef struct {
    const char *dir; /* the run directory */
    int progress;
    double last_draw, epoch_start;
    int epochs;
    /* figures */
    int figures;
    double scale;
    double test_acc; /* of the last epoch, for the predictions' title */
} train_ctx;

/* SIGINT and SIGTERM set the flag the library reads after every step:
 * training stops after the current step with a checkpoint. (The other ranks
 * of a data-parallel run catch them too, and stop when rank 0 does.) */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void catch_signals(void)
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

/* One line, once: figures are a convenience, never a reason to stop. */
static void figures_off(train_ctx *c, const dn_err *e)
{
    if (c->progress)
        fprintf(stderr, "\r%80s\r", "");
    cli_error("warning: no figures: %s", e->msg);
    c->figures = 0;
}

static void draw_curves(train_ctx *c)
{
    dn_run run;
    dn_err e = {0};
    char path[4200];
    const char *dir = c->dir;
    if (dn_run_load(dir, &run, &e)) {
        figures_off(c, &e);
        return;
    }
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/curves.%s", dir, k ? "svg" : "png");
        rc = dn_plot_curves(path, &run, 1, NULL, 0, c->scale, &e);
    }
    if (rc)
        figures_off(c, &e);
    dn_run_free(&run);
}

static int on_step(void *user, const dn_step_stats *st)
{
    train_ctx *c = user;
    if (!c->progress)
        return 0;
    int epoch = st->epoch;
    size_t step = st->step, steps = st->steps_per_epoch;
    double loss = st->loss_sum / st->batch;
    double now = dn_now();
    if (step == 1)
        c->epoch_start = now;
    if (step != steps && now - c->last_draw < 0.1)
        return 0;
    c->last_draw = now;
    double per = (now - c->epoch_start) / (double)step;
    int width = 30, fill = (int)((double)width * (double)step / (double)steps);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\repoch %d/%d [%s] %zu/%zu  loss %.4f  ETA %.1fs ", epoch, c->epochs, bar,
            step, steps, loss, per * (double)(steps - step));
    fflush(stderr);
    return 0;
}

static void print_header(bool val)
{
    printf("epoch  train_loss  train_acc  test_loss  test_acc      gap  time_s%s\n",
           val ? "  val_loss  val_acc" : "");
}

/* The validation columns last, as in metrics.csv. */
static void print_row(const dn_epoch_stats *s)
{
    printf("%5d  %10.4f  %9.4f  %9.4f  %8.4f  %7.4f  %6.2f", s->epoch, s->train_loss,
           s->train_acc, s->test_loss, s->test_acc, s->train_acc - s->test_acc, s->seconds);
    if (s->has_val)
        printf("  %8.4f  %7.4f", s->val_loss, s->val_acc);
    printf("\n");
    fflush(stdout);
}

/* The epoch's row, before the library saves it (so it shows even when
 * saving fails). */
static int on_epoch(void *user, const dn_epoch_stats *s)
{
    train_ctx *c = user;
    if (c->progress)
        fprintf(stderr, "\r%80s\r", "");
    print_row(s);
    return 0;
}

/* After the epoch's checkpoint and metrics row are written. */
static int on_saved(void *user, const dn_epoch_stats *s)
{
    train_ctx *c = user;
    c->test_acc = s->test_acc;
    if (c->figures)
        draw_curves(c);
    return 0;
}

/* "MLP 784-256-256-10" and "dropout 0.2,0.5" (or "dropout none", or
 * "noise gaussian:0.5,dropout:0.2"). */
static void describe(const dn_config *cfg, char *arch, size_t asz, char *dr, size_t dsz)
{
    dn_mlp_describe(&cfg->arch, arch, asz);
    dn_mlp_noise_text(&cfg->arch, dr, dsz);
}

/* predictions.png: the first test images with true and predicted classes. */
static void draw_predictions(train_ctx *c, dn_net *net, const dn_dataset *test,
                             const dn_config *cfg, double test_acc)
{
    uint8_t pred[DN_PLOT_GRID_MAX];
    int n = test->n < DN_PLOT_GRID_MAX ? (int)test->n : DN_PLOT_GRID_MAX;
    dn_err e = {0};
    char arch[256], dr[160], title[600], path[4200];
    describe(cfg, arch, sizeof arch, dr, sizeof dr);
    snprintf(title, sizeof title, "%s, %s, %d epoch%s: test accuracy %.1f%%", arch, dr,
             cfg->fit.epochs, cfg->fit.epochs == 1 ? "" : "s", 100.0 * test_acc);
    snprintf(path, sizeof path, "%s/predictions.png", c->dir);
    if (dn_predict(net, test, (size_t)n, pred, &e) ||
        dn_plot_predictions(path, test, pred, n, NULL, title, c->scale, &e))
        figures_off(c, &e);
}

/* Largest batch the network is built for: the training batch, and blocks
 * of 1024 for evaluation. */
static int max_batch_of(const dn_config *cfg)
{
    return cfg->fit.batch_size > 1024 ? cfg->fit.batch_size : 1024;
}

/* What a training loaded and built. */
static void free_run(dn_model_info *info, dn_dataset *train, dn_dataset *val, dn_dataset *test,
                     dn_net *net)
{
    dn_model_info_free(info);
    dn_dataset_free(train);
    dn_dataset_free(val);
    dn_dataset_free(test);
    dn_net_free(net);
}

/* A rank other than 0 of a data-parallel run: rank 0's settings, the same
 * backend, data and network, then its share of every step. Prints only its
 * own failures (rank 0 reports the run). */
static int train_follow(cli_dp *dp)
{
    cli_dp_settings s;
    memset(&s, 0, sizeof s);
    cli_dp_share(dp, &s);
    if (s.status)
        return 0; /* rank 0 did not start a run, and said why */
    dn_config cfg = s.cfg;
    dn_err err = {0};
    char why[1200] = "";
    dn_dataset train = {0}, val = {0}, test = {0};
    dn_model_info info = {0};
    dn_net *net = NULL;
    dn_set_threads(cli_dp_threads(dp, s.threads));
    char gemm_why[600];
    if (mpi_gemm_accept(s.gemm, s.gemm_isa, gemm_why, sizeof gemm_why))
        snprintf(why, sizeof why, "%s: %s", mpi_who(dp->rank), gemm_why);
    else if (load_run_data(&cfg, s.data_dir, &train, &val, &test, &info, &err) ||
             !(net = dn_net_mlp(&cfg.arch, max_batch_of(&cfg), &err)) ||
             dn_net_reset(net, cfg.init, cfg.fit.seed, &err))
        snprintf(why, sizeof why, "%s: %s", mpi_who(dp->rank), err.msg);
    int status = 0;
    if (!cli_dp_all_ok(dp, !why[0])) {
        if (why[0])
            cli_error("%s", why);
        status = EXIT_USAGE;
    } else {
        /* Ctrl-C or mpirun's SIGTERM: rank 0 stops after the step, and
         * this rank with it. */
        catch_signals();
        if (dn_fit_follow(net, &train, &cfg, &dp->comm, &err)) {
            if (err.code == DN_ESTOPPED) {
                status = EXIT_INTERRUPTED; /* rank 0 stopped, and says where */
            } else {
                cli_error("%s: %s", mpi_who(dp->rank), err.msg);
                status = EXIT_RUNTIME;
            }
        }
    }
    free_run(&info, &train, &val, &test, net);
    return status;
}

static int train_run(int argc, char **argv, cli_dp *dp);

int cmd_train(int argc, char **argv)
{
    cli_dp dp;
    int status = cli_dp_init(&dp, &argc, &argv);
    if (status)
        return status;
    if (dp.rank > 0) {
        status = train_follow(&dp);
    } else {
        status = train_run(argc, argv, &dp);
        /* The other ranks wait for word of the run whatever happened: that
         * there is none (then they return at once), or that training will
         * not start after all. */
        if (!dp.shared) {
            cli_dp_settings s = {.status = status ? status : -1};
            cli_dp_share(&dp, &s);
            dp.comm.started = true;
        }
        dn_dp_release(&dp.comm, &(dn_err){0});
    }
    cli_dp_finish(&dp);
    return status;
}

static int train_run(int argc, char **argv, cli_dp *dp)
{
    train_options opt;
    int rc = train_options_parse(argc, argv, &opt);
    if (rc)
        return rc;
    if (opt.help) {
        usage(stdout);
        return 0;
    }
    dn_config cfg = opt.cfg;
    dn_err err = {0};
    const char *out_dir = opt.out_dir, *resume_dir = opt.resume_dir;
    long checkpoint_every = opt.checkpoint_every, log_every = opt.log_every;
    int figures = opt.figures, quiet = opt.quiet;
    float figure_scale = opt.figure_scale;
    /* With --resume, the run directory's config.json defines the run. */
    const char *defining = NULL;
    /* --epochs is not among them: with --resume it extends the run. */
    for (int c = OPT_PRESET; c < OPT_END; c++)
        if (opt.given[c - OPT_PRESET] &&
            ((c <= OPT_DATA && c != OPT_THREADS && c != OPT_EPOCHS) ||
             (c >= OPT_TRAIN_CSV && c <= OPT_STANDARDIZE) || c == OPT_OUT || c == OPT_VAL ||
             c == OPT_NOISE || c == OPT_MICRO_BLOCKS))
            defining = train_option_name(c);

    char data_dir[4096] = "";
    if (resume_dir) {
        if (defining) {
            cli_error("--resume: --%s cannot be given with it (%s/config.json defines the run)",
                      defining, resume_dir);
            return EXIT_USAGE;
        }
        int threads_opt = cfg.threads, epochs_opt = cfg.fit.epochs;
        if (dn_config_read(resume_dir, &cfg, data_dir, sizeof data_dir, &err))
            return cli_fail(&err);
        cfg.threads = threads_opt;
        if (opt.given[OPT_EPOCHS - OPT_PRESET])
            cfg.fit.epochs = epochs_opt;
        /* The run draws as it did, unless told otherwise now. */
        if (!opt.given[OPT_NO_FIGURES - OPT_PRESET])
            figures = !cfg.no_figures;
        if (!opt.given[OPT_FIGURE_SCALE - OPT_PRESET])
            figure_scale = cfg.figure_scale;
        out_dir = resume_dir;
        /* A run trains as it started: data-parallel or not. */
        if (opt.given[OPT_DATA_PARALLEL - OPT_PRESET] && !cfg.micro_blocks) {
            cli_error("--data-parallel: %s is a plain training run; it resumes as one (without "
                      "--data-parallel, in one process)", resume_dir);
            return EXIT_USAGE;
        }
    }
    if (cfg.micro_blocks > cfg.fit.batch_size) {
        cli_error("--micro-blocks: %d blocks%s for batches of %d rows (at most one block per row)",
                  cfg.micro_blocks,
                  opt.given[OPT_MICRO_BLOCKS - OPT_PRESET] ? "" : " (--data-parallel's default)",
                  cfg.fit.batch_size);
        return EXIT_USAGE;
    }
    if (cfg.micro_blocks && (dp->size & (dp->size - 1) || dp->size > cfg.micro_blocks)) {
        cli_error("--data-parallel: %d ranks: the ranks must be a power of two no larger than "
                  "the %d micro-blocks (--micro-blocks)", dp->size, cfg.micro_blocks);
        return EXIT_USAGE;
    }
    const char *csv = cfg.csv.train[0] ? cfg.csv.train : NULL;
    char data_from[4096];
    snprintf(data_from, sizeof data_from, "%s",
             resume_dir ? data_dir : opt.data_opt ? opt.data_opt : "");
    if (!csv && dn_fmnist_find(data_from, data_dir, sizeof data_dir, &err))
        return cli_fail(&err);
    int threads_opt = cfg.threads;
    int threads = cli_set_threads(cli_dp_threads(dp, cfg.threads));
    cfg.threads = threads;
    int gemm_status = cli_gemm(opt.gemm_opt);
    if (gemm_status)
        return gemm_status;

    dn_net *net = NULL;
    dn_dataset train = {0}, val = {0}, test = {0};
    dn_model_info info = {0};
    dn_training *run = NULL;
    dn_training_state state = {0};
    int status = 0;
    train_ctx ctx = {0};
    ctx.epochs = cfg.fit.epochs;
    ctx.progress = !quiet && isatty(STDERR_FILENO);
    ctx.figures = figures;
    ctx.scale = figure_scale;
    if (load_run_data(&cfg, data_dir, &train, &val, &test, &info, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    train_data_warnings(&cfg, &train);
    /* Before anything is allocated for batches of that size. */
    if ((size_t)cfg.fit.batch_size > train.n) {
        cli_error("--batch-size: %d is larger than the training set (%zu)", cfg.fit.batch_size,
                  train.n);
        status = EXIT_USAGE;
        goto out;
    }
    if (!(net = dn_net_mlp(&cfg.arch, max_batch_of(&cfg), &err)) ||
        dn_net_reset(net, cfg.init, cfg.fit.seed, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    if (dp->size > 1) {
        /* The other ranks: this run, on this backend, or a line each on
         * why they cannot. */
        cli_dp_settings s = {.cfg = cfg, .threads = threads_opt};
        snprintf(s.data_dir, sizeof s.data_dir, "%s", data_dir);
        snprintf(s.gemm, sizeof s.gemm, "%s", dn_gemm_name());
        snprintf(s.gemm_isa, sizeof s.gemm_isa, "%s", dn_gemm_isa());
        cli_dp_share(dp, &s);
        if (!cli_dp_all_ok(dp, 1)) {
            dp->comm.started = true; /* they have returned: nothing to release */
            status = EXIT_USAGE;
            goto out;
        }
    }
    dn_training_opts topt = {.dir = resume_dir ? resume_dir : out_dir,
                             .resume = resume_dir != NULL,
                             .gemm_named = opt.gemm_opt || (getenv("DN_GEMM") && *getenv("DN_GEMM")),
                             .data_dir = csv ? NULL : data_dir,
                             .checkpoint_every = checkpoint_every,
                             .log_every = log_every,
                             .stop = &stop_requested,
                             .on_step = on_step,
                             .on_epoch = on_epoch,
                             .on_saved = on_saved,
                             .user = &ctx,
                             .val = cfg.val ? &val : NULL,
                             .dp = cfg.micro_blocks ? &dp->comm : NULL};
    if (!(run = dn_training_open(&topt, &cfg, net, &info, train.n, &err))) {
        status = cli_fail(&err);
        goto out;
    }
    dn_training_get(run, &state);
    ctx.dir = state.dir;
    if (!quiet) {
        char arch[256], dr[160], init[64];
        describe(&cfg, arch, sizeof arch, dr, sizeof dr);
        dn_init_format(cfg.init, init, sizeof init);
        printf("# dropnet %s | %s | %s | %s", dn_version(), cfg.preset, arch, dr);
        if (cfg.arch.input_dropout > 0.0f)
            printf(" | input dropout %g", (double)cfg.arch.input_dropout);
        printf(" | lr %g | batch %d | %d epoch%s | init %s", (double)cfg.fit.lr,
               cfg.fit.batch_size, cfg.fit.epochs, cfg.fit.epochs == 1 ? "" : "s", init);
        if (cfg.fit.weight_decay > 0.0f)
            printf(" | weight decay %g", (double)cfg.fit.weight_decay);
        printf(" | seed %llu", (unsigned long long)cfg.fit.seed);
        if (cfg.micro_blocks)
            printf(" | data-parallel: %d micro-blocks, %d rank%s", cfg.micro_blocks, dp->size,
                   dp->size == 1 ? "" : "s");
        printf("\n");
        if (csv) {
            char held[48] = "";
            if (val.n)
                snprintf(held, sizeof held, "%zu validation, ", val.n);
            printf("# data %s, %s (%zu train, %s%zu test, %d feature%s, %d class%s; ", csv,
                   cfg.csv.test, train.n, held, test.n, cfg.arch.inputs,
                   cfg.arch.inputs == 1 ? "" : "s", cfg.arch.outputs,
                   cfg.arch.outputs == 1 ? "" : "es");
            /* Which first lines were skipped as headers, so that a data row
             * taken for one would show. */
            if (strcmp(train.header, test.header) == 0)
                printf("header: %s)", train.header[0] ? train.header : "none");
            else
                printf("header: %s (train), %s (test))", train.header[0] ? train.header : "none",
                       test.header[0] ? test.header : "none");
        } else if (val.n) {
            printf("# data %s (%zu train, %zu validation, %zu test)", data_dir, train.n, val.n,
                   test.n);
        } else {
            printf("# data %s (%zu train, %zu test)", data_dir, train.n, test.n);
        }
        printf(" | %d thread%s | gemm %s, %s: %s\n", threads, threads == 1 ? "" : "s",
               dn_gemm_name(), dn_gemm_isa(), dn_blas_info());
        printf("# run directory %s\n", state.dir);
        if (state.extended_from)
            printf("# %s from %d to %d epochs\n",
                   state.extended_from < cfg.fit.epochs ? "extending" : "ending early",
                   state.extended_from, cfg.fit.epochs);
        if (resume_dir && !state.finished)
            printf("# resuming at epoch %d, step %zu of %zu\n", state.epoch + 1, state.step,
                   state.steps_per_epoch);
    }
    if (state.finished) {
        /* Nothing to do, and nothing is written: the run says where it is. */
        print_header(cfg.val > 0);
        for (int i = 0; i < state.n_metrics; i++)
            print_row(&state.metrics[i]);
        printf("# %s: finished, %d of %d epochs; nothing to do (to train it further: dropnet "
               "train --resume %s --epochs N)\n", state.dir, state.epoch, cfg.fit.epochs,
               state.dir);
        goto out;
    }
    if (ctx.figures) {
        dn_err e = {0};
        if (dn_plot_available(&e))
            figures_off(&ctx, &e);
    }
    print_header(cfg.val > 0);
    for (int i = 0; i < state.n_metrics; i++)
        print_row(&state.metrics[i]);
    fflush(stdout);
    double t0 = dn_now();
    catch_signals();
    if (dn_training_run(run, &train, &test, &err)) {
        if (ctx.progress)
            fprintf(stderr, "\n");
        dn_training_get(run, &state);
        if (state.stopped && err.code == DN_ESTOPPED) {
            char launch[64] = "";
            if (dp->size > 1)
                snprintf(launch, sizeof launch, "mpirun -np %d ", dp->size);
            const char *flag = cfg.micro_blocks ? " --data-parallel" : "";
            cli_error("interrupted at epoch %d, step %zu of %zu; checkpoint in "
                      "%s/checkpoint.safetensors; continue with: %sdropnet train%s --resume %s",
                      state.epoch + 1, state.step, state.steps_per_epoch, state.dir, launch, flag,
                      state.dir);
            status = EXIT_INTERRUPTED;
        } else {
            status = cli_fail(&err);
        }
        goto out;
    }
    double seconds = dn_now() - t0;
    if (ctx.figures && test.images) /* CSV data has no images to show */
        draw_predictions(&ctx, net, &test, &cfg, ctx.test_acc);
    if (!quiet && cfg.micro_blocks && dp->comm.steps)
        printf("# data-parallel: %d rank%s, %d micro-blocks: %.2f ms per step, %.1f%% of it "
               "in communication\n", dp->size, dp->size == 1 ? "" : "s", cfg.micro_blocks,
               1e3 * dp->comm.step_seconds / (double)dp->comm.steps,
               dp->comm.step_seconds > 0.0
                   ? 100.0 * dp->comm.comm_seconds / dp->comm.step_seconds
                   : 0.0);
    if (!quiet)
        printf("# done in %.1f s; metrics in %s/metrics.csv, model in %s/model.safetensors%s\n",
               seconds, state.dir, state.dir,
               !ctx.figures ? ""
               : test.images ? ", figures curves.png, curves.svg, predictions.png"
                             : ", figures curves.png, curves.svg");
out:
    dn_training_close(run);
    free_run(&info, &train, &val, &test, net);
    return status;
}
