/* dropnet lab, exercise 4: dropout at test time. The d2l-2020 model trained
 * on the lab's paired seeds; each trained model evaluated deterministically
 * (dropout off), with one stochastic pass (dropout on) and with the average
 * of K stochastic passes (Monte Carlo dropout, K = 1..100 from the same
 * passes), and paired comparisons over the seeds of accuracy, calibration
 * and loss. */
#include "lab.h"
#include "model_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Passes averaged: 100, as the exercise asks; fewer in a quick lab. */
static int passes(const lab *l) { return l->d.quick ? 10 : 100; }

static int config(const lab *l, dn_config *cfg)
{
    return lab_config(l, "--dropout 0.2,0.5", l->d.epochs, cfg);
}

static double cost(const lab *l)
{
    dn_config c;
    return config(l, &c) ? 0 : l->d.seeds * lab_cost(&c);
}

/* What one trained model gives. */
typedef struct {
    dn_eval_summary det;
    dn_mc_result mc;
    dn_reliability rel;
} seed_result;

/* The curve's points: 1..10, 12, 15, 20, 25, 30, 40, ..., 80, 100 up to K. */
static void grid(dn_mc_opts *o)
{
    static const int pts[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70,
                              80, 100};
    o->n_grid = 0;
    for (size_t i = 0; i < sizeof pts / sizeof *pts && pts[i] < o->samples; i++)
        o->grid[o->n_grid++] = pts[i];
    o->grid[o->n_grid++] = o->samples;
}

/* Deterministic and Monte Carlo evaluation of run i's model on the test
 * set (loaded once into ds). */
static int evaluate_run(const experiment *x, int i, int K, dn_dataset *ds, seed_result *r)
{
    char dir[4200], path[4400], what[4200];
    experiment_run_dir(x, i, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    model_input m;
    dn_err err = {0};
    int rc = model_input_load(&m, path, &err);
    if (!rc && !ds->n)
        rc = model_input_test_set(&m, x->t[i].data_dir, NULL, ds, what, sizeof what, &err);
    dn_mc_opts o = {.samples = K, .seed = 1, .bins = DN_CAL_BINS};
    grid(&o);
    if (!rc)
        rc = dn_evaluate_calibration(m.net, ds, DN_CAL_BINS, &r->det, &r->rel, NULL, &err);
    if (!rc)
        rc = dn_mc_evaluate(m.net, ds, &o, &r->mc, NULL, &err);
    model_input_free(&m);
    return rc ? cli_fail(&err) : 0;
}

/* Paired comparison b - a over n seeds (values in points). */
static int paired(const double *a, const double *b, int n, dn_comparison *c)
{
    dn_compare_opts co = {true, 0, 0};
    dn_err err = {0};
    return dn_compare_samples(a, n, b, n, &co, c, &err) ? cli_fail(&err) : 0;
}

static const char *said(const dn_comparison *c)
{
    return c->verdict == DN_VERDICT_DIFFERENT ? "distinguishable from zero"
           : c->verdict == DN_VERDICT_TOO_FEW ? "too few seeds for a verdict"
                                              : "not distinguishable from zero";
}

static int run(lab *l, char *answer, size_t size)
{
    dn_config cfg;
    int rc = config(l, &cfg);
    if (rc)
        return rc;
    const int S = l->d.seeds, K = passes(l);
    experiment x;
    memset(&x, 0, sizeof x);
    x.lock_fd = -1;
    strbuf md = {0};
    dn_dataset ds = {0};
    seed_result *res = calloc((size_t)S, sizeof *res);
    double *v = calloc((size_t)S * 12, sizeof *v);
    if (!res || !v) {
        cli_error("lab: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    if ((rc = lab_open(l, 4, &x)) || (rc = lab_add(l, &x, "m", &cfg, S)) ||
        (rc = lab_train(l, &x, "train")))
        goto out;
    if (!l->quiet)
        fprintf(stderr, "lab ex4: %d Monte Carlo passes over the test set for each of %d "
                "models\n", K, S);
    for (int s = 0; s < S; s++)
        if ((rc = evaluate_run(&x, s, K, &ds, &res[s])))
            goto out;

    /* per seed, in points: accuracy det/single/avg, ECE det/single/avg,
     * loss det/avg, entropy, AUROC */
    double *acc_d = v, *acc_1 = v + S, *acc_k = v + 2 * S, *ece_d = v + 3 * S,
           *ece_1 = v + 4 * S, *ece_k = v + 5 * S, *nll_d = v + 6 * S, *nll_k = v + 7 * S;
    for (int s = 0; s < S; s++) {
        acc_d[s] = 100 * res[s].det.accuracy;
        acc_1[s] = 100 * res[s].mc.single.accuracy;
        acc_k[s] = 100 * res[s].mc.average.accuracy;
        ece_d[s] = 100 * res[s].det.ece;
        ece_1[s] = 100 * res[s].mc.single.ece;
        ece_k[s] = 100 * res[s].mc.average.ece;
        nll_d[s] = res[s].det.loss;
        nll_k[s] = res[s].mc.average.loss;
    }
    dn_comparison c_single, c_avg, c_ece, c_nll;
    if ((rc = paired(acc_d, acc_1, S, &c_single)) || (rc = paired(acc_d, acc_k, S, &c_avg)) ||
        (rc = paired(ece_d, ece_k, S, &c_ece)) || (rc = paired(nll_d, nll_k, S, &c_nll)))
        goto out;
    double ent = 0, auroc = 0;
    for (int s = 0; s < S; s++) {
        ent += res[s].mc.entropy_mean / S;
        auroc += res[s].mc.auroc_error / S;
    }
    /* the K at which the average's mean accuracy first comes within 0.1
     * points of the deterministic mean (or -1) */
    const dn_mc_result *g0 = &res[0].mc;
    int n_grid = g0->n_grid, k_match = -1;
    double gx[DN_MC_GRID_MAX], ga[DN_MC_GRID_MAX], gl[DN_MC_GRID_MAX], gh[DN_MC_GRID_MAX],
        ge[DN_MC_GRID_MAX], gel[DN_MC_GRID_MAX], geh[DN_MC_GRID_MAX];
    double *col = v + 8 * S;
    for (int g = 0; g < n_grid; g++) {
        dn_interval ia, ie;
        for (int s = 0; s < S; s++)
            col[s] = 100 * res[s].mc.curve[g].accuracy;
        dn_mean_interval(col, S, 0.95, &ia, NULL);
        for (int s = 0; s < S; s++)
            col[s] = 100 * res[s].mc.curve[g].ece;
        dn_mean_interval(col, S, 0.95, &ie, NULL);
        gx[g] = g0->grid[g];
        ga[g] = ia.mean, gl[g] = ia.lo, gh[g] = ia.hi;
        ge[g] = ie.mean, gel[g] = ie.lo, geh[g] = ie.hi;
        if (k_match < 0 && ia.mean >= c_avg.mean_a - 0.1)
            k_match = g0->grid[g];
    }
    dn_interval idet, i1, iedet, ie1;
    dn_mean_interval(acc_d, S, 0.95, &idet, NULL);
    dn_mean_interval(acc_1, S, 0.95, &i1, NULL);
    dn_mean_interval(ece_d, S, 0.95, &iedet, NULL);
    dn_mean_interval(ece_1, S, 0.95, &ie1, NULL);
    double ends[2] = {1, K};
    double dA[2] = {idet.mean, idet.mean}, dAl[2] = {idet.lo, idet.lo}, dAh[2] = {idet.hi, idet.hi};
    double sA[2] = {i1.mean, i1.mean}, sAl[2] = {i1.lo, i1.lo}, sAh[2] = {i1.hi, i1.hi};
    double dE[2] = {iedet.mean, iedet.mean}, dEl[2] = {iedet.lo, iedet.lo},
           dEh[2] = {iedet.hi, iedet.hi};
    double sE[2] = {ie1.mean, ie1.mean}, sEl[2] = {ie1.lo, ie1.lo}, sEh[2] = {ie1.hi, ie1.hi};
    dn_band ba[3] = {{"average of k", n_grid, gx, ga, gl, gh},
                     {"deterministic", 2, ends, dA, dAl, dAh},
                     {"one pass", 2, ends, sA, sAl, sAh}};
    dn_band be[3] = {{"average of k", n_grid, gx, ge, gel, geh},
                     {"deterministic", 2, ends, dE, dEl, dEh},
                     {"one pass", 2, ends, sE, sEl, sEh}};
    dn_band_panel panels[2] = {{"test accuracy (%)", ba, 3, false},
                               {"calibration error, ECE (%)", be, 3, false}};
    char path[4300], title[200];
    snprintf(path, sizeof path, "%s/mc-samples.png", x.dir);
    snprintf(title, sizeof title, "Monte Carlo dropout: mean over %d seeds, 95 %% intervals", S);
    dn_err err = {0};
    int fig1 = dn_plot_bands(path, panels, 2, title, "stochastic passes averaged (k)", 1.0, &err);
    if (fig1)
        cli_error("warning: lab ex4: no figure mc-samples.png: %s", err.msg);
    snprintf(path, sizeof path, "%s/reliability.png", x.dir);
    int fig2 = dn_plot_reliability(path, &res[0].rel, &res[0].mc.reliability, K, 1.0, &err);
    if (fig2)
        cli_error("warning: lab ex4: no figure reliability.png: %s", err.msg);

    /* the answer, from the numbers */
    char ci1[160], cik[160], cie[160], cin[160];
    lab_ci(ci1, sizeof ci1, c_single.diff, c_single.ci_low, c_single.ci_high, 2, 1);
    lab_ci(cik, sizeof cik, c_avg.diff, c_avg.ci_low, c_avg.ci_high, 2, 1);
    lab_ci(cie, sizeof cie, c_ece.diff, c_ece.ci_low, c_ece.ci_high, 2, 1);
    lab_ci(cin, sizeof cin, c_nll.diff, c_nll.ci_low, c_nll.ci_high, 4, 1);
    snprintf(answer, size, "One stochastic pass changes test accuracy by %s points against "
             "dropout off (%s); the average of %d passes by %s points (%s) at %d times the "
             "cost, and the calibration error by %s points (%s), over %d paired seeds.",
             ci1, said(&c_single), K, cik, said(&c_avg), K, cie, said(&c_ece), S);

    lab_report_head(l, &md, 4);
    char common[400] = "MLP 784-256-256-10, d2l-2020 otherwise";
    if (l->d.quick)
        snprintf(common, sizeof common, "MLP 784-32-32-10, d2l-2020 otherwise");
    sb_printf(&md, "## Design\n\n"
              "- **Models**: dropout (0.2, 0.5), %d epochs, %s; %d seeds (1-%d).\n"
              "- **Evaluations of each model** on the 10,000 test images: deterministic "
              "(dropout off, as d2l evaluates); one stochastic pass (dropout on, as in "
              "training); the average of the softmax of %d stochastic passes (Monte Carlo "
              "dropout), and of the first k passes for k on a grid from 1 to %d (the same "
              "passes: cumulative averages). Pass k of every model draws the masks of seed 1, "
              "step k x 40 + block (`dropnet eval --mc-samples %d`).\n"
              "- **Measures**: accuracy; loss (mean negative log-likelihood; for an average, of "
              "its mean probability); expected calibration error (ECE, %d equal-width bins of "
              "the largest probability); the mean predictive entropy and the AUROC of the "
              "entropy for errors (how well uncertainty flags wrong predictions).\n"
              "- Paired: the evaluations of one seed are of the same trained model, so the "
              "differences below are the evaluation's, not the training's luck.\n\n",
              l->d.epochs, common, S, S, K, K, K, DN_CAL_BINS);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    sb_printf(&md, "One stochastic pass against dropout off: ");
    lab_report_verdict(&md, &c_single, "dropout off", "one stochastic pass", "test accuracy");
    sb_printf(&md, "The average of %d passes against dropout off: ", K);
    lab_report_verdict(&md, &c_avg, "dropout off", "the average", "test accuracy");
    if (k_match > 0)
        sb_printf(&md, "The mean accuracy of the average comes within 0.1 points of dropout "
                  "off from k = %d passes on (figure below): averaging recovers what one noisy "
                  "pass loses, at k times the cost of one evaluation.\n\n", k_match);
    else
        sb_printf(&md, "The mean accuracy of the average stays more than 0.1 points below "
                  "dropout off up to k = %d.\n\n", K);
    sb_printf(&md, "Calibration (ECE, in points): ");
    lab_report_verdict(&md, &c_ece, "dropout off", "the average", "the calibration error");
    sb_printf(&md, "Loss: the average's minus dropout off's is %s nats (%s), over %d paired "
              "seeds.\n\n", cin, said(&c_nll), S);
    sb_printf(&md, "Uncertainty: the mean predictive entropy of the average is %.3f nats (ln 10 "
              "= 2.303 is a uniform guess), and its AUROC for telling wrong predictions from "
              "right ones is %.3f (0.5: no better than chance), both means over the seeds.\n\n",
              ent, auroc);
    sb_printf(&md, "## Final numbers, mean over %d seeds with 95 %% intervals\n\n"
              "| evaluation | test accuracy (%%) | ECE (%%) | loss |\n|---|---|---|---|\n", S);
    const char *names[3] = {"dropout off", "one stochastic pass", "average of K passes"};
    double *accs[3] = {acc_d, acc_1, acc_k}, *eces[3] = {ece_d, ece_1, ece_k};
    for (int e = 0; e < 3; e++) {
        double *nll = v + 8 * S;
        for (int s = 0; s < S; s++)
            nll[s] = e == 0 ? res[s].det.loss : e == 1 ? res[s].mc.single.loss
                                                       : res[s].mc.average.loss;
        dn_interval ia, ie, il;
        dn_mean_interval(accs[e], S, 0.95, &ia, NULL);
        dn_mean_interval(eces[e], S, 0.95, &ie, NULL);
        dn_mean_interval(nll, S, 0.95, &il, NULL);
        char a[120], c[120], n[120];
        lab_acc_ci(a, sizeof a, &ia);
        lab_ci(c, sizeof c, ie.mean, ie.lo, ie.hi, 2, 0);
        lab_ci(n, sizeof n, il.mean, il.lo, il.hi, 4, 0);
        sb_printf(&md, "| %s | %s | %s | %s |\n", names[e], a, c, n);
    }
    sb_printf(&md, "\n(K = %d.)\n\n## Against the number of passes\n\n| k | test accuracy (%%) | "
              "ECE (%%) |\n|---|---|---|\n", K);
    for (int g = 0; g < n_grid; g++) {
        char a[120], c[120];
        lab_ci(a, sizeof a, ga[g], gl[g], gh[g], 2, 0);
        lab_ci(c, sizeof c, ge[g], gel[g], geh[g], 2, 0);
        sb_printf(&md, "| %d | %s | %s |\n", g0->grid[g], a, c);
    }
    sb_printf(&md, "\n");
    if (!fig1)
        sb_printf(&md, "## Figures\n\n![Accuracy and calibration against the passes "
                  "averaged](mc-samples.png)\n\nMeans over the seeds with 95 %% intervals "
                  "(shaded); dropout off and one pass as flat lines.\n\n");
    if (!fig2)
        sb_printf(&md, "![Reliability diagram of seed 1](reliability.png)\n\nSeed 1's model: "
                  "the accuracy of each confidence bin against its mean confidence, dropout off "
                  "and averaged over %d passes; the diagonal is perfect calibration.\n\n", K);
    sb_printf(&md, "## Per seed\n\n| seed | run | acc off | acc one pass | acc average | ECE off "
              "| ECE average | entropy | AUROC |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int s = 0; s < S; s++)
        sb_printf(&md, "| %d | runs/%s | %.2f | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f |\n",
                  s + 1, x.t[s].name, acc_d[s], acc_1[s], acc_k[s], ece_d[s], ece_k[s],
                  res[s].mc.entropy_mean, res[s].mc.auroc_error);
    sb_printf(&md, "\nEach row can be checked with `dropnet eval --model runs/RUN/model.safetensors "
              "--mc-samples %d --json`.\n\n", K);
    lab_report_method(l, &md, &x);
    rc = lab_finish(l, 4, &md, answer);
out:
    sb_free(&md);
    dn_dataset_free(&ds);
    free(res);
    free(v);
    experiment_close(&x);
    return rc;
}

const lab_exercise lab_ex4 = {
    4, "dropout at test time (Monte Carlo dropout)",
    "Why is dropout not typically used at test time? (And what happens if it is: several "
    "stochastic passes averaged, \"Monte Carlo dropout\", also give an uncertainty estimate.)",
    cost, run};
