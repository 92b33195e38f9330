/* dropnet lab: what every exercise shares (see lab.h): configurations,
 * trainings through the experiment scheduler, the progress line over the
 * whole lab, and the parts of a report. */
#include "lab.h"
#include "train_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Multiply-adds per example of the forward pass: what an epoch costs, up to
 * a factor the same for every width. */
static double macs(const dn_mlp_spec *a)
{
    double m = 0;
    int in = a->inputs;
    for (int k = 0; k < a->n_hidden; k++) {
        m += (double)in * a->hidden[k];
        in = a->hidden[k];
    }
    return m + (double)in * a->outputs;
}

double lab_cost(const dn_config *cfg)
{
    static const dn_mlp_spec d2l = {.inputs = 784, .outputs = 10, .n_hidden = 2,
                                    .hidden = {256, 256}, .dropout = {0.2f, 0.5f}};
    double share = cfg->val > 0 && cfg->val < 60000 ? (60000.0 - (double)cfg->val) / 60000.0 : 1.0;
    return cfg->fit.epochs * share * macs(&cfg->arch) / macs(&d2l);
}

int lab_grid_seeds(const lab *l)
{
    int s = (3 * l->d.seeds + 9) / 10;
    return s < 2 ? (l->d.seeds < 2 ? l->d.seeds : 2) : s;
}

int lab_config(const lab *l, const char *options, int epochs, dn_config *cfg)
{
    char text[1024], ep[32];
    snprintf(text, sizeof text, "%s", options);
    snprintf(ep, sizeof ep, "%d", epochs);
    char *argv[64];
    int argc = 0;
    argv[argc++] = "";
    /* the narrow net first: an exercise's own --hidden, if any, wins by
     * being refused as given twice, which shows the mistake at once */
    if (l->d.quick && !strstr(options, "--hidden")) {
        argv[argc++] = "--hidden";
        argv[argc++] = "32,32";
    }
    for (char *w = strtok(text, " "); w && argc < 56; w = strtok(NULL, " "))
        argv[argc++] = w;
    argv[argc++] = "--epochs";
    argv[argc++] = ep;
    argv[argc++] = "--data";
    argv[argc++] = (char *)l->data_dir;
    argv[argc] = NULL;
    train_options t;
    int rc = train_options_parse(argc, argv, &t);
    if (rc)
        return rc;
    *cfg = t.cfg;
    return 0;
}

/* The progress line: this exercise's trainings, the one that just finished,
 * and where the whole lab stands in d2l-sized epochs, with its ETA from the
 * pace of this command. */
static void on_progress(void *ctx, const experiment *x, int done, int last, int final)
{
    lab *l = ctx;
    if (last >= 0) {
        double c = lab_cost(&x->t[last].cfg);
        l->done += c;
        l->ran += c;
        l->n_done++;
    }
    if (x->quiet)
        return;
    double elapsed = dn_now() - l->t0;
    char el[32], eta[64] = "ETA after the first training";
    format_duration(elapsed, el, sizeof el);
    if (l->ran > 0) {
        char d[32];
        format_duration(fmax(0.0, l->planned - l->done) * elapsed / l->ran, d, sizeof d);
        snprintf(eta, sizeof eta, "lab ETA %s", d);
    }
    int tty = isatty(STDERR_FILENO);
    int dec = l->planned < 10 ? 2 : 0;
    fprintf(stderr, "%slab ex%d %s: %d/%d trainings%s%s | lab %.*f/%.*f epochs | elapsed %s | "
            "%s%s", tty ? "\r" : "", l->exercise, l->phase, done, x->n,
            last >= 0 ? ", finished " : "", last >= 0 ? x->t[last].name : "", dec, l->done, dec,
            l->planned, el, eta, tty ? "    " : "\n");
    if (tty && final)
        fputc('\n', stderr);
    fflush(stderr);
}

int lab_open(lab *l, int n, experiment *x)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/ex%d", l->dir, n);
    int rc = experiment_open(x, "lab", dir);
    if (rc)
        return rc;
    x->quiet = l->quiet;
    x->on_progress = on_progress;
    x->progress_ctx = l;
    x->resume_dir = l->dir;
    experiment_set_jobs(x, l->jobs, l->threads);
    l->exercise = n;
    l->counted = 0;
    return 0;
}

int lab_add(lab *l, experiment *x, const char *prefix, const dn_config *cfg, int seeds)
{
    (void)l;
    for (int s = 1; s <= seeds; s++) {
        char name[256];
        dn_config c = *cfg;
        c.fit.seed = (unsigned long long)s;
        snprintf(name, sizeof name, "%.230s-seed%d", prefix, s);
        int rc = experiment_add(x, name, &c, c.csv.train[0] ? "" : l->data_dir);
        if (rc)
            return rc;
    }
    return 0;
}

double lab_select_cost(const lab *l, sweep_opts *o)
{
    cell ce;
    memset(&ce, 0, sizeof ce);
    double c = 0;
    if (sweep_cell_config(o, 0, &ce) == 0)
        c = o->axes[0].n * lab_grid_seeds(l) * lab_cost(&ce.cfg);
    sweep_free_axes(o);
    return c;
}

int lab_grid_new(lab_grid *g, const sweep_opts *o)
{
    int n = 1;
    for (int a = 0; a < o->n_axes; a++)
        n *= o->axes[a].n;
    g->n = n;
    g->cells = calloc((size_t)n, sizeof *g->cells);
    g->index = calloc((size_t)n * (size_t)(o->n_axes > 0 ? o->n_axes : 1), sizeof *g->index);
    if (g->cells && g->index)
        return 0;
    cli_error("lab: out of memory");
    return EXIT_RUNTIME;
}

void lab_grid_free(lab_grid *g)
{
    sweep_cells_free(g->cells, g->n);
    free(g->index);
    memset(g, 0, sizeof *g);
}

int lab_select(lab *l, experiment *x, const sweep_opts *o, lab_grid *g, const char *phase,
               int *has_val, int *best)
{
    int gseeds = lab_grid_seeds(l);
    int rc = lab_grid_new(g, o);
    if (rc || (rc = lab_add_cells(l, x, o, "select", g)) || (rc = lab_train(l, x, phase)))
        return rc;
    experiment sx = lab_view(x, 0, g->n * gseeds);
    if ((rc = sweep_load(&sx, g->cells, g->n, gseeds, has_val)))
        return rc;
    return sweep_rank(g->cells, g->n, gseeds, *has_val, best);
}

const char *lab_could_be_best(const cell *cells, int k, int best)
{
    return k == best                       ? "highest"
           : cells[k].could_be_best == 1   ? "yes"
           : cells[k].could_be_best == 0   ? "no"
                                           : "no verdict";
}

int lab_add_cells(lab *l, experiment *x, const sweep_opts *o, const char *prefix, lab_grid *g)
{
    cell *cells = g->cells;
    for (int c = 0; c < g->n; c++) {
        cells[c].index = g->index + (size_t)c * (size_t)o->n_axes;
        for (int a = 0; a < o->n_axes; a++)
            cells[c].index[a] = sweep_value_of(o, c, a);
        int rc = sweep_cell_config(o, c, &cells[c]);
        if (rc)
            return rc;
        char name[240];
        snprintf(name, sizeof name, "%.30s_%.200s", prefix, cells[c].name);
        if ((rc = lab_add(l, x, name, &cells[c].cfg, lab_grid_seeds(l))))
            return rc;
    }
    return 0;
}

int lab_train(lab *l, experiment *x, const char *phase)
{
    int rc = experiment_scan(x);
    if (rc)
        return rc;
    /* what an earlier command finished counts as done, once */
    for (int i = l->counted; i < x->n; i++)
        if (x->t[i].state == TRAINING_DONE)
            l->done += lab_cost(&x->t[i].cfg);
    l->counted = x->n;
    l->phase = phase;
    return experiment_run(x);
}

int lab_side(const experiment *x, const char *prefix, const dn_config *cfg, int seeds, side *s)
{
    compare_opts o;
    memset(&o, 0, sizeof o);
    o.x.seeds = seeds;
    o.x.seed = 1;
    if (side_load(x->dir, prefix, &o, cfg, 0, s, 0)) {
        cli_error("lab: the trainings %s/runs/%s-seed* cannot be read back", x->dir, prefix);
        return EXIT_RUNTIME;
    }
    return 0;
}

int lab_pair(const experiment *x, const char *prefix_a, const dn_config *a,
             const char *prefix_b, const dn_config *b, int seeds, side *A, side *B, results *r)
{
    int rc = lab_side(x, prefix_a, a, seeds, A);
    if (rc || (rc = lab_side(x, prefix_b, b, seeds, B)))
        return rc;
    compare_opts co;
    memset(&co, 0, sizeof co);
    co.x.seeds = seeds;
    co.x.seed = 1;
    return compare_analyse(&co, A, B, NULL, r);
}

experiment lab_view(const experiment *x, int first, int n)
{
    experiment v = *x;
    v.t = x->t + first;
    v.n = n;
    return v;
}

void lab_common(const dn_config *a, const dn_config *b, char *common, size_t size)
{
    dn_run runs[2];
    memset(runs, 0, sizeof runs);
    runs[0].cfg = *a;
    runs[1].cfg = *b;
    char labels[2][DN_LABEL_MAX];
    experiment_labels(runs, labels, common, size);
}

int lab_sweep(const lab *l, const char *const *words, int n, sweep_opts *o)
{
    char ep[32], seeds[32], val[32];
    snprintf(ep, sizeof ep, "%d", l->d.epochs);
    snprintf(seeds, sizeof seeds, "%d", lab_grid_seeds(l));
    snprintf(val, sizeof val, "%d", LAB_VAL);
    char *argv[40];
    int argc = 0;
    argv[argc++] = "sweep";
    for (int i = 0; i < n && i < 24; i++)
        argv[argc++] = (char *)words[i];
    char *fixed[] = {"--epochs", ep, "--val", val, "--seeds", seeds, "--data",
                     (char *)l->data_dir};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[argc++] = fixed[i];
    if (l->d.quick) {
        argv[argc++] = "--hidden";
        argv[argc++] = "32,32";
    }
    argv[argc] = NULL;
    memset(o, 0, sizeof *o);
    return sweep_parse(argc, argv, o);
}

void lab_run_cells(strbuf *md, const char *group, const char *prefix, unsigned long long seed,
                   const dn_metrics *m)
{
    size_t last = m->n - 1;
    sb_printf(md, "| %s | %llu | runs/%s-seed%llu | %.2f | %.4f | %.2f | %.2f |", group, seed,
              prefix, seed, 100 * m->col[DN_METRIC_TEST_ACC][last],
              m->col[DN_METRIC_TEST_LOSS][last], 100 * m->col[DN_METRIC_TRAIN_ACC][last],
              100 * m->col[DN_METRIC_GAP][last]);
}

void lab_runs_rows(strbuf *md, const char *group, const char *prefix, const side *s)
{
    for (int i = 0; i < s->n; i++) {
        lab_run_cells(md, group, prefix, s->seed[i], &s->runs[i].metrics);
        sb_printf(md, "\n");
    }
}

void lab_short_verdict(const dn_comparison *c, char *out, size_t size)
{
    if (c->verdict == DN_VERDICT_TOO_FEW)
        snprintf(out, size, "too few seeds for a verdict");
    else if (c->verdict == DN_VERDICT_DIFFERENT)
        snprintf(out, size, "the interval excludes 0");
    else if (c->seeds_needed > 0)
        snprintf(out, size, "the interval includes 0; about %ld paired seeds would detect a "
                 "difference this size", c->seeds_needed);
    else
        snprintf(out, size, "the interval includes 0");
}

void lab_ci(char *out, size_t size, double mean, double lo, double hi, int decimals, int sign)
{
    dn_format_ci(mean, lo, hi, decimals, sign, out, size);
}

void lab_acc_ci(char *out, size_t size, const dn_interval *ci)
{
    /* an accuracy cannot leave 0-100 %, whatever a t interval says */
    double lo = isnan(ci->lo) ? ci->lo : fmax(ci->lo, 0.0);
    double hi = isnan(ci->hi) ? ci->hi : fmin(ci->hi, 100.0);
    dn_format_ci(ci->mean, lo, hi, 2, 0, out, size);
}

void lab_report_head(const lab *l, strbuf *md, int n)
{
    const lab_exercise *e = lab_exercises[n - 1];
    sb_printf(md, "# Exercise %d: %s\n\n", n, e->title);
    sb_printf(md, "**Question** (d2l, Dropout section, exercise %d): %s\n\n", n, e->question);
    if (l->d.quick)
        sb_printf(md, "*A quick run (`--quick`): a 784-32-32-10 net, few epochs and seeds. It "
                  "checks the machinery; its numbers answer nothing.*\n\n");
}

void lab_report_verdict(strbuf *md, const dn_comparison *c, const char *name_a,
                        const char *name_b, const char *what)
{
    char text[1600];
    dn_comparison_verdict(c, name_a, name_b, what, "points", 2, text, sizeof text);
    sb_printf(md, "%s", text);
    dn_comparison_power(c, "points", 2, text, sizeof text);
    if (text[0])
        sb_printf(md, " %s", text);
    sb_printf(md, "\n\n");
}

void lab_report_method(const lab *l, strbuf *md, const experiment *x)
{
    double cost = 0;
    for (int i = 0; i < x->n; i++)
        cost += lab_cost(&x->t[i].cfg);
    sb_printf(md, "## How this was run\n\n");
    report_runs(md, l->argc, l->argv, "dropnet lab", x);
    sb_printf(md, "- **Cost**: %.*f d2l-sized epochs (an epoch of 784-256-256-10 on 60,000 "
              "examples; narrower nets and validation splits count by their multiply-adds)\n",
              cost < 10 ? 2 : 0, cost);
    sb_printf(md, "- Seeds 1, 2, ...: a seed fixes the initial weights, the data order and the "
              "dropout uniforms, so the trainings of one seed are paired: a difference within a "
              "pair is the configuration's, not the seed's luck. Each training is a "
              "`dropnet train` whose run directory is under `runs/` (`config.json`, "
              "`metrics.csv`, `steps.csv`, `train.log`, `model.safetensors`); this report is "
              "computed from those files alone.\n");
    report_method(md);
    sb_printf(md, "\n");
}

int lab_report_end(const lab *l, int n, strbuf *md, const experiment *x, const char *answer)
{
    sb_printf(md, "\n");
    lab_report_method(l, md, x);
    return lab_finish(l, n, md, answer);
}

int lab_finish(const lab *l, int n, strbuf *md, const char *answer)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/ex%d", l->dir, n);
    if (md->failed) {
        sb_free(md);
        cli_error("lab: out of memory writing %s/report.md", dir);
        return EXIT_RUNTIME;
    }
    int rc = report_save(md, dir, "report.md");
    if (rc)
        return rc;
    strbuf a = {0};
    sb_printf(&a, "%s\n", answer);
    return report_save(&a, dir, "answer.txt");
}
