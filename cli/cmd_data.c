/* dropnet data check [DIR] */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dropnet data check [DIR]\n"
               "\n"
               "Verifies the four Fashion-MNIST files (SHA-256 of their decompressed content\n"
               "against the official release), prints counts, image shape and class balance.\n"
               "DIR defaults to $DROPNET_DATA, ./data/fashion-mnist, then\n"
               "/usr/share/datasets/fashion-mnist. Exit status 0 when all four match, 2\n"
               "otherwise.\n");
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "check") != 0) {
        cli_error("data: unknown subcommand '%s' (try dropnet data --help)", argv[1]);
        return EXIT_USAGE;
    }
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc > 3) {
        cli_error("data check: one directory at most");
        return EXIT_USAGE;
    }
    if (argc == 3 && argv[2][0] == '-') {
        cli_error("data check: unknown option '%s'", argv[2]);
        return EXIT_USAGE;
    }
    dn_err err = {0};
    char dir[4096];
    if (dn_fmnist_find(argc == 3 ? argv[2] : NULL, dir, sizeof dir, &err))
        return cli_fail(&err);
    printf("data: %s\n", dir);
    int bad = 0, unreadable = 0;
    for (int i = 0; i < 4; i++) {
        char path[4200], hex[65];
        if (dn_fmnist_file(dir, dn_fmnist_names[i], path, sizeof path, &err) ||
            dn_sha256_file(path, hex, &err)) {
            cli_error("%s", err.msg);
            unreadable = 1;
            continue;
        }
        int ok = strcmp(hex, dn_fmnist_sha256[i]) == 0;
        printf("  %-26s sha256 %.16s...  %s\n", strrchr(path, '/') + 1, hex,
               ok ? "ok" : "DIFFERS from the official file");
        bad |= !ok;
    }
    if (unreadable)
        return EXIT_USAGE; /* loading would report the same files again */
    dn_dataset train, test;
    if (dn_fmnist_load(dir, &train, &test, &err))
        return cli_fail(&err);
    printf("train: %zu images %dx%d, test: %zu images %dx%d\n", train.n, train.rows, train.cols,
           test.n, test.rows, test.cols);
    size_t ctr[10] = {0}, cte[10] = {0};
    for (size_t i = 0; i < train.n; i++)
        ctr[train.labels[i]]++;
    for (size_t i = 0; i < test.n; i++)
        cte[test.labels[i]]++;
    printf("class         train   test\n");
    for (int c = 0; c < 10; c++)
        printf("%d %-10s %6zu %6zu\n", c, dn_fmnist_classes[c], ctr[c], cte[c]);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    if (bad) {
        cli_error("%s: files differ from the official Fashion-MNIST release", dir);
        return EXIT_USAGE;
    }
    printf("all four files match the official Fashion-MNIST release\n");
    return 0;
}
