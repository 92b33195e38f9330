/* dropnet: train multilayer perceptrons with dropout, reproducibly. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet <command> [options]\n"
            "\n"
            "commands:\n"
            "  train         train an MLP with dropout on Fashion-MNIST (d2l's model by default)\n"
            "  data check    verify the Fashion-MNIST files, print counts and class balance\n"
            "  eval          a model file's test loss, accuracy, per-class accuracy, confusion\n"
            "  predict       a model file's class and probability for images\n"
            "  plot          draw the curves of one or more run directories (PNG or SVG)\n"
            "  compare       two configurations over several paired seeds: is B better than A?\n"
            "  sweep         a grid of settings over several seeds: which is best, and which\n"
            "                could be the best\n"
            "  stats         compare two columns of numbers from a CSV file (one row per seed)\n"
            "\n"
            "  dropnet <command> --help   options of one command\n"
            "  dropnet --version          version and libraries\n");
}

int main(int argc, char **argv)
{
    /* Settings read only at load time: restart once with them (if execv
     * fails, carry on with the settings as they are). */
    if (dn_runtime_env())
        execv("/proc/self/exe", argv);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("dropnet %s (%s)\n", dn_version(), dn_blas_info());
        return 0;
    }
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "data") == 0)
        return cmd_data(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "predict") == 0)
        return cmd_predict(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return cmd_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try dropnet --help)", cmd);
    return EXIT_USAGE;
}
