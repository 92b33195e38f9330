/* dropnet plot: curves of one or more runs, from their files alone. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 8

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet plot RUN_DIR... [--metric NAME]... [-o FILE] [--figure-scale S]\n"
            "\n"
            "Draws the metrics of one or more run directories against epochs, from their\n"
            "config.json, metrics.csv and steps.csv alone, so old runs can be drawn again.\n"
            "Several runs share one figure: a colour and a marker per run, the legend names\n"
            "the settings in which they differ (e.g. dropout 0.2,0.5 vs dropout 0.5,0.2),\n"
            "the title those they share. Training curves are solid, test curves dashed.\n"
            "\n"
            "  --metric NAME        train_loss, train_acc, test_loss, test_acc, gap or\n"
            "                       seconds; repeat for several (default: the first four)\n"
            "  -o, --output FILE    .png or .svg (default plot.png)\n"
            "  --figure-scale S     S times 640x480 pixels, 1 to 4 (default 1)\n"
            "  -h, --help           this help\n"
            "\n"
            "At most %d runs. A damaged metrics file is an error naming the file and the\n"
            "line (exit status 2).\n",
            MAX_RUNS);
}

enum { OPT_METRIC = 256, OPT_SCALE };

static const struct option options[] = {{"metric", required_argument, 0, OPT_METRIC},
                                        {"output", required_argument, 0, 'o'},
                                        {"figure-scale", required_argument, 0, OPT_SCALE},
                                        {"help", no_argument, 0, 'h'},
                                        {0, 0, 0, 0}};

int cmd_plot(int argc, char **argv)
{
    dn_metric metrics[DN_METRIC_COUNT];
    int n_metrics = 0;
    const char *out = "plot.png";
    float scale = 1.0f;
    dn_err err = {0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", options, NULL)) != -1) {
        switch (c) {
        case OPT_METRIC: {
            dn_metric m;
            if (dn_metric_parse(optarg, &m, &err))
                return cli_fail(&err);
            for (int i = 0; i < n_metrics; i++)
                if (metrics[i] == m) {
                    cli_error("--metric: %s given twice", optarg);
                    return EXIT_USAGE;
                }
            metrics[n_metrics++] = m;
            break;
        }
        case 'o': out = optarg; break;
        case OPT_SCALE:
            if (parse_float("--figure-scale", optarg, 1.0, 4.0, &scale))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_bad_option("plot", c, argv);
        }
    }
    int n_runs = argc - optind;
    if (n_runs < 1) {
        cli_error("plot: give at least one run directory (try dropnet plot --help)");
        return EXIT_USAGE;
    }
    if (n_runs > MAX_RUNS) {
        cli_error("plot: %d run directories, at most %d fit in one figure", n_runs, MAX_RUNS);
        return EXIT_USAGE;
    }
    size_t len = strlen(out);
    if (len < 5 || (strcmp(out + len - 4, ".png") != 0 && strcmp(out + len - 4, ".svg") != 0)) {
        cli_error("-o: '%s' must end in .png or .svg", out);
        return EXIT_USAGE;
    }
    dn_run runs[MAX_RUNS];
    int loaded = 0, status = 0;
    for (; loaded < n_runs; loaded++) {
        if (dn_run_load(argv[optind + loaded], &runs[loaded], &err)) {
            status = cli_fail(&err);
            goto done;
        }
    }
    if (dn_plot_curves(out, runs, n_runs, n_metrics ? metrics : NULL, n_metrics, scale, &err)) {
        status = cli_fail(&err);
        goto done;
    }
    char labels[MAX_RUNS][DN_LABEL_MAX], common[400];
    dn_run_labels(runs, n_runs, labels, common, sizeof common);
    printf("wrote %s: %d run%s", out, n_runs, n_runs == 1 ? "" : "s");
    if (common[0])
        printf(" (%s)", common);
    printf("\n");
    if (n_runs > 1)
        for (int i = 0; i < n_runs; i++)
            printf("  %s: %s\n", argv[optind + i], labels[i]);
done:
    for (int i = 0; i < loaded; i++)
        dn_run_free(&runs[i]);
    return status;
}
