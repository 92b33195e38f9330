/* dropnet lab N|all: the exercises of d2l's Dropout section, each run as a
 * designed experiment (see lab.h), and DIR/README.md indexing their
 * answers. */
#define _DEFAULT_SOURCE /* flock */
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const lab_exercise *const lab_exercises[LAB_EXERCISES] = {&lab_ex1, &lab_ex2, NULL,    NULL,
                                                          &lab_ex5, &lab_ex6, &lab_ex7};

/* What each exercise asks, in a few words, built or not. */
static const char *const short_title[LAB_EXERCISES] = {
    "swap and vary the dropout probabilities",
    "long training with and without dropout",
    "variance of the activations during training",
    "dropout at test time (Monte Carlo dropout)",
    "dropout and weight decay, alone and together",
    "DropConnect against dropout",
    "other noises against dropout"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet lab N|all [options]\n"
            "\n"
            "Answers exercise N (1-7) of d2l's Dropout section, or all of them, each with a\n"
            "designed experiment over paired seeds: DIR/exN/report.md holds the question, the\n"
            "design, tables with 95 %% intervals, figures and an answer computed from this\n"
            "run's numbers; DIR/README.md indexes the answers. Trainings run side by side as\n"
            "in compare and sweep. Run the same command with the same --out DIR to go on\n"
            "where it stopped: finished trainings are kept, interrupted ones resume.\n"
            "\n"
            "  1  (0.2, 0.5) against (0.5, 0.2) on the paired seeds, and a 3 x 3 grid of\n"
            "     (p1, p2) in {0, 0.3, 0.6} ranked on a validation split (3 seeds of 10)\n"
            "  2  no dropout against (0.2, 0.5) for the long epochs on half the seeds, with a\n"
            "     validation split: curves with seed bands, the gap over time, the epoch at\n"
            "     which validation loss bottoms out\n"
            "  5  weight decay chosen among 1e-4, 3e-4, 1e-3, 3e-3 on a validation split,\n"
            "     then dropout x weight decay, 2 x 2 on the paired seeds: main effects, the\n"
            "     interaction with its interval, and whether they add up\n"
            "  6  dropout (0.2, 0.5) against DropConnect at the same rates on the paired\n"
            "     seeds: accuracy, gap and seconds per epoch\n"
            "  7  dropout (0.2, 0.5) against Gaussian and uniform noise of the same variance\n"
            "     and additive noise (sigma among 0.05, 0.1, 0.2 on a validation split), each\n"
            "     paired with dropout; intervals also at the Bonferroni level\n"
            "\n"
            "  --out DIR            lab directory (default lab/<date-time>)\n"
            "  --epochs E           epochs of exercises 1 and 3-7 (default 10)\n"
            "  --long-epochs E      epochs of exercise 2 (default 50)\n"
            "  --seeds S            paired seeds of every exercise (default 10, 2 to 1000);\n"
            "                       selection grids use 3 in 10 of them\n"
            "  --quick              every exercise small (784-32-32-10, 2 epochs, 3 seeds):\n"
            "                       checks the machinery in seconds, answers nothing\n"
            "  --jobs N             trainings side by side (default: one per core; under\n"
            "                       mpirun -np N: on each rank, default 1; see dropnet(1))\n"
            "  --threads N          threads of each training (default: cores / jobs)\n"
            "  --data DIR           Fashion-MNIST directory\n"
            "  --quiet              no progress line\n"
            "  -h, --help           this help\n"
            "\n"
            "With the defaults, `lab all` trains at most 2,500 d2l-sized epochs (an epoch of\n"
            "784-256-256-10 on 60,000 examples); each report states its seeds and epochs.\n");
}

/* "1, 2, 5" */
static void list(const int *ns, int k, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < k && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%d", i ? ", " : "", ns[i]);
}

static void built_list(char *out, size_t size)
{
    int ns[LAB_EXERCISES], k = 0;
    for (int i = 0; i < LAB_EXERCISES; i++)
        if (lab_exercises[i])
            ns[k++] = i + 1;
    list(ns, k, out, size);
}

static void design_text(const lab_design *d, char *out, size_t size)
{
    snprintf(out, size, "epochs %d, long-epochs %d, seeds %d, quick %s", d->epochs,
             d->long_epochs, d->seeds, d->quick ? "yes" : "no");
}

/* DIR/design.txt: written by the first command, checked by the next ones. */
static int check_design(const lab *l)
{
    char path[4200], want[200], have[256] = "";
    snprintf(path, sizeof path, "%s/design.txt", l->dir);
    design_text(&l->d, want, sizeof want);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(have, sizeof have, f))
            have[0] = '\0';
        fclose(f);
        have[strcspn(have, "\n")] = '\0';
        if (strcmp(have, want) != 0) {
            cli_error("%s: a lab of another design (%s; this command asks for %s); run it with "
                      "the same options or use another --out directory", l->dir, have, want);
            return EXIT_USAGE;
        }
        return 0;
    }
    if (errno != ENOENT) {
        cli_error("%s: cannot read: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    strbuf b = {0};
    sb_printf(&b, "%s\n", want);
    return report_save(&b, l->dir, "design.txt");
}

/* DIR/README.md from the answers of every exercise run so far. */
static int write_index(const lab *l)
{
    strbuf md = {0};
    char d[200];
    design_text(&l->d, d, sizeof d);
    sb_printf(&md, "# dropnet lab\n\nThe exercises of the Dropout section of *Dive into Deep "
              "Learning*, each answered by an experiment over paired seeds; every number comes "
              "from the trainings under `exN/runs/`.\n\n- **Design**: %s\n- **Last command**: `",
              d);
    format_command(l->argc - 1, l->argv + 1, "dropnet lab", &md);
    sb_printf(&md, "`\n\n| exercise | answer | d2l-sized epochs |\n|---|---|---|\n");
    double total = 0;
    int missing[LAB_EXERCISES], n_missing = 0, unbuilt[LAB_EXERCISES], n_unbuilt = 0;
    for (int i = 0; i < LAB_EXERCISES; i++) {
        char path[4300], answer[LAB_ANSWER_MAX + 8] = "";
        snprintf(path, sizeof path, "%s/ex%d/answer.txt", l->dir, i + 1);
        FILE *f = fopen(path, "r");
        if (!f) {
            if (lab_exercises[i])
                missing[n_missing++] = i + 1;
            else
                unbuilt[n_unbuilt++] = i + 1;
            continue;
        }
        if (!fgets(answer, sizeof answer, f))
            answer[0] = '\0';
        fclose(f);
        answer[strcspn(answer, "\n")] = '\0';
        double c = lab_exercises[i] ? lab_exercises[i]->cost(l) : 0;
        total += c;
        sb_printf(&md, "| [%d. %s](ex%d/report.md) | ", i + 1, short_title[i], i + 1);
        md_cell(&md, answer);
        sb_printf(&md, " | %.*f |\n", c < 10 ? 2 : 0, c);
    }
    sb_printf(&md, "\n**Total**: %.*f d2l-sized epochs (an epoch of 784-256-256-10 on 60,000 "
              "examples; narrower nets and validation splits count by their multiply-adds).\n",
              total < 10 ? 2 : 0, total);
    char s[64];
    if (n_missing) {
        list(missing, n_missing, s, sizeof s);
        sb_printf(&md, "\nNot run here yet: exercise%s %s (`dropnet lab N --out` this "
                  "directory).\n", n_missing == 1 ? "" : "s", s);
    }
    if (n_unbuilt) {
        list(unbuilt, n_unbuilt, s, sizeof s);
        sb_printf(&md, "\nNot built yet in this version of dropnet: exercise%s %s.\n",
                  n_unbuilt == 1 ? "" : "s", s);
    }
    return report_save(&md, l->dir, "README.md");
}

/* The lab directory: --out DIR, or lab/<date-time>; claimed for a lab and
 * locked against a second lab command on it. *lock_fd: the lock. */
static int open_dir(lab *l, const char *out, int *lock_fd)
{
    dn_err err = {0};
    if (out) {
        if (!out[0] || strlen(out) > 3000) {
            cli_error("--out: the path is empty or too long");
            return EXIT_USAGE;
        }
        snprintf(l->dir, sizeof l->dir, "%s", out);
    } else {
        if (dn_mkdir_p("lab", &err) ||
            dn_mkdir_stamped("lab/", l->dir, sizeof l->dir, &err))
            return cli_fail(&err);
    }
    if (dn_dir_claim(l->dir, DN_DIR_LAB, NULL, &err))
        return cli_fail(&err);
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", l->dir);
    *lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*lock_fd < 0) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    if (flock(*lock_fd, LOCK_EX | LOCK_NB) != 0) {
        cli_error("%s is in use by another dropnet lab; try again when it has finished",
                  l->dir);
        return EXIT_RUNTIME;
    }
    return 0;
}

int cmd_lab(int argc, char **argv)
{
    lab l;
    memset(&l, 0, sizeof l);
    l.argc = argc;
    l.argv = argv;
    const char *which = NULL, *out = NULL;
    long epochs = 0, long_epochs = 0, seeds = 0, v;
    option_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (which) {
                cli_error("lab: unexpected argument '%s' (one exercise, 1-7, or all)", a);
                return EXIT_USAGE;
            }
            which = a;
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(a + 2, "="), a + 2);
        if (strncmp(a, "--", 2) != 0) {
            cli_error("lab: unknown option '%s'", a);
            return EXIT_USAGE;
        }
        if (option_once(&seen, "lab", name))
            return EXIT_USAGE;
        if (strcmp(a, "--quick") == 0) {
            l.d.quick = 1;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            l.quiet = 1;
            continue;
        }
        static const char *const valued[] = {"out", "epochs", "long-epochs", "seeds",
                                             "jobs", "threads", "data"};
        int k = 0;
        while (k < 7 && strcmp(name, valued[k]) != 0)
            k++;
        if (k == 7) {
            cli_error("lab: unknown option '%s'", a);
            return EXIT_USAGE;
        }
        const char *val = cli_option_value("lab", argc, argv, &i);
        if (!val)
            return EXIT_USAGE;
        int rc = 0;
        switch (k) {
        case 0: out = val; break;
        case 1: rc = parse_int("--epochs", val, 1, 100000, &epochs); break;
        case 2: rc = parse_int("--long-epochs", val, 1, 100000, &long_epochs); break;
        case 3: rc = parse_int("--seeds", val, 2, 1000, &seeds); break;
        case 4: rc = parse_int("--jobs", val, 1, 64, &v); l.jobs = (int)v; break;
        case 5: rc = parse_int("--threads", val, 1, 1024, &v); l.threads = (int)v; break;
        default: l.data_opt = val; break;
        }
        if (rc)
            return EXIT_USAGE;
    }
    char built[64];
    built_list(built, sizeof built);
    if (!which) {
        cli_error("lab: which exercise? give 1-7 or all (dropnet lab --help)");
        return EXIT_USAGE;
    }
    int run[LAB_EXERCISES] = {0}, n_run = 0;
    if (strcmp(which, "all") == 0) {
        for (int i = 0; i < LAB_EXERCISES; i++)
            if (lab_exercises[i])
                run[n_run++] = i + 1;
    } else {
        long n;
        if (parse_int("lab: the exercise", which, 1, LAB_EXERCISES, &n))
            return EXIT_USAGE;
        if (!lab_exercises[n - 1]) {
            cli_error("lab: exercise %ld (%s) is not built yet in this version; built: %s", n,
                      short_title[n - 1], built);
            return EXIT_USAGE;
        }
        run[n_run++] = (int)n;
    }
    l.d.epochs = epochs ? (int)epochs : l.d.quick ? 2 : 10;
    l.d.long_epochs = long_epochs ? (int)long_epochs : l.d.quick ? 3 : 50;
    l.d.seeds = seeds ? (int)seeds : l.d.quick ? 3 : 10;
    dn_err err = {0};
    if (dn_fmnist_find(l.data_opt, l.data_dir, sizeof l.data_dir, &err))
        return cli_fail(&err);
    for (int k = 0; k < n_run; k++)
        l.planned += lab_exercises[run[k] - 1]->cost(&l);
    int lock_fd = -1;
    int rc = open_dir(&l, out, &lock_fd);
    if (!rc)
        rc = check_design(&l);
    if (rc) {
        if (lock_fd >= 0)
            close(lock_fd);
        return rc;
    }
    char d[200], s[64];
    design_text(&l.d, d, sizeof d);
    list(run, n_run, s, sizeof s);
    printf("# dropnet lab | exercise%s %s | %s | %.*f d2l-sized epochs planned\n",
           n_run == 1 ? "" : "s", s, d, l.planned < 10 ? 2 : 0, l.planned);
    if (strcmp(which, "all") == 0 && n_run < LAB_EXERCISES) {
        int un[LAB_EXERCISES], k = 0;
        for (int i = 0; i < LAB_EXERCISES; i++)
            if (!lab_exercises[i])
                un[k++] = i + 1;
        list(un, k, s, sizeof s);
        printf("# not built yet in this version, not run: exercise%s %s\n", k == 1 ? "" : "s",
               s);
    }
    printf("# lab directory %s\n", l.dir);
    fflush(stdout);
    l.t0 = dn_now();
    for (int k = 0; k < n_run && !rc; k++) {
        char answer[LAB_ANSWER_MAX];
        rc = lab_exercises[run[k] - 1]->run(&l, answer, sizeof answer);
        if (!rc) {
            printf("ex%d: %s\n# report %s/ex%d/report.md\n", run[k], answer, l.dir, run[k]);
            fflush(stdout);
        }
    }
    int irc = write_index(&l);
    close(lock_fd);
    if (!rc && !irc)
        printf("# index %s/README.md; %.*f d2l-sized epochs trained in %.0f s\n", l.dir,
               l.ran < 10 ? 2 : 0, l.ran, dn_now() - l.t0);
    return rc ? rc : irc;
}
