/* dropnet: train multilayer perceptrons with dropout, reproducibly. */
#include "cli.h"
#include "cluster.h"
#include "experiment.h"

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
            "  lab           the exercises of d2l's Dropout section, each answered by an\n"
            "                experiment over paired seeds: dropnet lab 1, ..., dropnet lab all\n"
            "\n"
            "  dropnet <command> --help   options of one command (or: dropnet help <command>)\n"
            "  dropnet --version          version and libraries\n");
}

/* The function of a command, NULL for an unknown one. */
static int (*find(const char *cmd))(int, char **)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"train", cmd_train},     {"data", cmd_data},   {"eval", cmd_eval},
                    {"predict", cmd_predict}, {"plot", cmd_plot},   {"compare", cmd_compare},
                    {"sweep", cmd_sweep},     {"stats", cmd_stats},
                    {"lab", cmd_lab}};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run;
    return NULL;
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
    if (strcmp(cmd, "help") == 0 && argc == 3) {
        /* dropnet help CMD: what dropnet CMD --help prints. */
        static char help[] = "--help";
        char *args[3] = {argv[2], help, NULL};
        if (strcmp(argv[2], "help") != 0 && find(argv[2]))
            return find(argv[2])(2, args);
        cli_error("help: unknown command '%s' (try dropnet --help)", argv[2]);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "help") == 0 && argc > 3) {
        cli_error("help: one command at most (dropnet help COMMAND)");
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("dropnet %s (%s)\n", dn_version(), dn_blas_info());
        if (mpi_library()[0])
            printf("MPI: %s\n", mpi_library());
        return 0;
    }
    int (*run)(int, char **) = find(cmd);
    /* Started by mpirun or srun, the experiments spread their trainings
     * over the ranks: rank 0 runs the command, the others train what it
     * sends them (experiment_mpi.c). */
    if (run && mpi_launched() && (run == cmd_sweep || run == cmd_compare || run == cmd_lab)) {
        int rc = mpi_start(&argc, &argv);
        if (rc)
            return rc;
        rc = mpi_rank() == 0 ? run(argc - 1, argv + 1) : experiment_worker();
        experiment_mpi_release();
        mpi_finish();
        return rc;
    }
    if (run)
        return run(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try dropnet --help)", cmd);
    return EXIT_USAGE;
}
