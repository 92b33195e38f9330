#!/usr/bin/env python3
"""Checks that a `dropnet lab` report says what the metrics files beside it say.

usage: lab_check.py LABDIR N

Every number a check looks at is recomputed here from the run directories
under LABDIR/exN/runs/ (metrics.csv, full precision) and compared with the
number printed in LABDIR/exN/report.md, within half a unit of its last
printed digit. Intervals are recomputed with a t quantile computed here (its
own numerical integration), not with dropnet's statistics.

The helpers are shared by every exercise; an exercise's checks are a
function check_exN(c) registered in CHECKS. Conventions a report keeps so
they apply:
  - a "## Trainings" table with a `run` column (runs/NAME) and, per final
    value it shows, one of the columns in RUN_COLUMNS;
  - tables whose cells read "MEAN [LO, HI]" for intervals;
  - a "## Answer" section whose bold line is exN/answer.txt, also found in
    LABDIR/README.md.
"""
import functools
import math
import os
import re
import sys

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


# ---- statistics, from scratch ----

def t_cdf(x, df):
    """P(T <= x) for Student's t, by Simpson's rule on the density."""
    if x < 0:
        return 1.0 - t_cdf(-x, df)
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    n = 4000
    h = x / n
    s = 0.0
    for i in range(n + 1):
        u = i * h
        f = c * (1 + u * u / df) ** (-(df + 1) / 2)
        s += f * (1 if i in (0, n) else 4 if i % 2 else 2)
    return 0.5 + s * h / 3


@functools.lru_cache(maxsize=None)
def t_quantile(p, df):
    lo, hi = 0.0, 1000.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci(values, clip=None):
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, float("nan"), float("nan")
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    h = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    lo, hi = m - h, m + h
    if clip:
        lo, hi = max(lo, clip[0]), min(hi, clip[1])
    return m, lo, hi


# ---- files ----

METRIC_COLUMNS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "gap",
                  "seconds", "val_loss", "val_acc"]


def metrics(run_dir):
    """metrics.csv as a list of dicts of floats."""
    path = os.path.join(run_dir, "metrics.csv")
    with open(path) as f:
        lines = f.read().splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, map(float, line.split(",")))) for line in lines[1:]]


def final(run_dir, column):
    return metrics(run_dir)[-1][column]


class Report:
    """report.md split into sections (## titles) holding text and tables."""

    def __init__(self, path):
        with open(path) as f:
            self.text = f.read()
        self.sections = {}
        title = ""
        for line in self.text.splitlines():
            if line.startswith("## "):
                title = line[3:].strip()
                self.sections[title] = []
            elif title:
                self.sections[title].append(line)

    def section(self, prefix):
        for t, lines in self.sections.items():
            if t.startswith(prefix):
                return lines
        fail("report has no section '%s'" % prefix)
        return []

    def tables(self, prefix):
        """The tables of a section: lists of dicts (header -> cell)."""
        out, rows, head = [], None, None
        for line in self.section(prefix) + [""]:
            if line.startswith("|"):
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
                if head is None:
                    head, rows = cells, []
                elif not set(line) <= set("|-: "):
                    rows.append(dict(zip(head, cells)))
            elif head is not None:
                out.append(rows)
                head = None
        return out

    def table(self, prefix, index=0):
        t = self.tables(prefix)
        if len(t) <= index:
            fail("section '%s' has no table %d" % (prefix, index))
            return []
        return t[index]


# ---- comparisons of printed numbers ----

NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|n/a"


def close(printed, value, what):
    """printed (text) equals value within half a unit of its last digit."""
    printed = printed.strip()
    if printed in ("nan", "n/a"):
        if not math.isnan(value):
            fail("%s: printed %s, files give %.6g" % (what, printed, value))
        return
    dec = len(printed.split(".")[1]) if "." in printed else 0
    tol = 0.5 * 10 ** -dec + 1e-9
    if not abs(float(printed) - value) <= tol:
        fail("%s: printed %s, files give %.6f" % (what, printed, value))
    else:
        check.count += 1


def check():
    pass


check.count = 0


def ci_cell(text, what):
    """'73.74 [70.28, 77.20]' -> the three texts (or the value alone)."""
    m = re.match(r"\s*(%s)(?:\s*\[(%s),\s*(%s)\])?" % (NUM, NUM, NUM), text)
    if not m:
        fail("%s: '%s' is not a number with an interval" % (what, text))
        return None
    return m.group(1), m.group(2), m.group(3)


def check_ci(text, values, what, clip=None):
    """text prints the mean of values and its 95 % t interval."""
    got = ci_cell(text, what)
    if not got:
        return
    m, lo, hi = mean_ci(values, clip)
    close(got[0], m, what + " (mean)")
    if got[1] is not None:
        close(got[1], lo, what + " (low end)")
        close(got[2], hi, what + " (high end)")


def check_paired(text, a, b, what):
    """text prints mean(b - a) and its paired 95 % interval."""
    check_ci(text, [y - x for x, y in zip(a, b)], what)


# What a "## Trainings" table may show: column -> (metrics.csv column, scale).
RUN_COLUMNS = {"test acc (%)": ("test_acc", 100), "test loss": ("test_loss", 1),
               "train acc (%)": ("train_acc", 100), "gap": ("gap", 100),
               "val acc (%)": ("val_acc", 100), "val loss": ("val_loss", 1)}


def check_runs_table(c):
    """Every row of the Trainings table against its run's last epoch."""
    rows = c.report.table("Trainings")
    if not rows:
        fail("ex%d: empty Trainings table" % c.n)
    for row in rows:
        run = os.path.join(c.ex, row["run"])
        if not os.path.exists(os.path.join(run, "model.safetensors")):
            fail("%s: listed but not finished" % run)
            continue
        for col, (name, scale) in RUN_COLUMNS.items():
            if col in row:
                close(row[col], scale * final(run, name), "%s %s" % (row["run"], col))
    return rows


def seeds_of(c, prefix):
    """The runs PREFIX-seed1, PREFIX-seed2, ... under exN/runs, in seed order."""
    runs = os.path.join(c.ex, "runs")
    found = []
    for d in os.listdir(runs):
        m = re.fullmatch(re.escape(prefix) + r"-seed(\d+)", d)
        if m:
            found.append((int(m.group(1)), os.path.join(runs, d)))
    if not found:
        fail("no runs %s-seed*" % prefix)
    return [d for _, d in sorted(found)]


def finals(c, prefix, column, scale=100):
    return [scale * final(d, column) for d in seeds_of(c, prefix)]


def check_answer(c):
    """The bold answer is answer.txt, and README.md carries it."""
    with open(os.path.join(c.ex, "answer.txt")) as f:
        answer = f.read().strip()
    if "**%s**" % answer not in "\n".join(c.report.section("Answer")):
        fail("ex%d: answer.txt is not the report's answer" % c.n)
    with open(os.path.join(c.dir, "README.md")) as f:
        readme = f.read()
    if answer.replace("|", "\\|") not in readme or "(ex%d/report.md)" % c.n not in readme:
        fail("ex%d: README.md lacks the answer or the link" % c.n)
    return answer


# Compare's measures table: row name -> (metrics.csv column, scale, clip).
MEASURES = {"test accuracy (%)": ("test_acc", 100, (0, 100)),
            "test loss (nats)": ("test_loss", 1, None),
            "train accuracy (%)": ("train_acc", 100, (0, 100)),
            "gap (points)": ("gap", 100, None)}


def check_pair_table(c, rows, prefix_a, prefix_b, what):
    """compare's table (measure | A | B | B - A) against runs A and B."""
    if len(rows) != len(MEASURES):
        fail("%s: %d rows" % (what, len(rows)))
    for row in rows:
        col, scale, clip = MEASURES[row["measure"]]
        a, b = finals(c, prefix_a, col, scale), finals(c, prefix_b, col, scale)
        check_ci(row["A"], a, "%s %s A" % (what, row["measure"]), clip)
        check_ci(row["B"], b, "%s %s B" % (what, row["measure"]), clip)
        check_paired(row["B - A (paired)"], a, b, "%s %s B - A" % (what, row["measure"]))


# ---- the exercises ----

def check_ex1(c):
    check_runs_table(c)
    check_pair_table(c, c.report.table("Swap"), "a", "b", "swap")
    grid = c.report.table("Grid")
    if not grid:
        return
    best = None
    for row in grid:
        # "dropout1 0.3, dropout2 0" -> runs grid_dropout1=0.3_dropout2=0-seedS
        name = "grid_" + "_".join(p.replace(" ", "=") for p in row["cell"].split(", "))
        val = finals(c, name, "val_acc")
        check_ci(row["validation accuracy (%)"], val, name + " val", (0, 100))
        check_ci(row["test accuracy (%)"], finals(c, name, "test_acc"), name + " test", (0, 100))
        check_ci(row["gap (points)"], finals(c, name, "gap"), name + " gap")
        if best is None or sum(val) / len(val) > best[0]:
            best = (sum(val) / len(val), row["cell"])
    highest = [r["cell"] for r in grid if r["could be best"] == "highest"]
    if highest != [best[1]]:
        fail("ex1: the highest validation mean is %s, the report says %s" % (best[1], highest))
    if "(%s)" % best[1] not in check_answer(c):
        fail("ex1: the answer does not name the best cell %s" % best[1])


def check_ex2(c):
    rows = check_runs_table(c)
    # the lowest validation loss and its epoch, per run
    for row in rows:
        m = metrics(os.path.join(c.ex, row["run"]))
        losses = [r["val_loss"] for r in m]
        b = losses.index(min(losses))
        if int(row["lowest val loss epoch"]) != b + 1:
            fail("%s: lowest validation loss at epoch %d, the report says %s"
                 % (row["run"], b + 1, row["lowest val loss epoch"]))
        close(row["lowest val loss"], losses[b], row["run"] + " lowest val loss")
    check_pair_table(c, c.report.table("Last epoch"), "nodrop", "dropout", "last epoch")
    runs_a, runs_b = seeds_of(c, "nodrop"), seeds_of(c, "dropout")
    ma = [metrics(d) for d in runs_a]
    mb = [metrics(d) for d in runs_b]
    for index, (col, scale, clip, first) in enumerate(
            [("test_acc", 100, (0, 100), "test accuracy A (%)"), ("gap", 100, None, "gap A (points)")]):
        for row in c.report.table("Over time", index):
            e = int(row["epoch"]) - 1
            a = [scale * m[e][col] for m in ma]
            b = [scale * m[e][col] for m in mb]
            check_ci(row[first], a, "epoch %d %s A" % (e + 1, col), clip)
            check_ci(row[first.replace(" A ", " B ")], b, "epoch %d %s B" % (e + 1, col), clip)
            check_paired(row["B - A"], a, b, "epoch %d %s B - A" % (e + 1, col))

    def lowest(m):
        losses = [r["val_loss"] for r in m]
        return losses.index(min(losses)) + 1, losses[-1] - min(losses)

    rows = c.report.table("Where validation loss")
    la, lb = [lowest(m) for m in ma], [lowest(m) for m in mb]
    for row, k in zip(rows, (0, 1)):
        a, b = [x[k] for x in la], [x[k] for x in lb]
        check_ci(row["A: no dropout"], a, row["measure"] + " A")
        check_ci(row["B: dropout"], b, row["measure"] + " B")
        check_paired(row["B - A"], a, b, row["measure"] + " B - A")


def check_ex5(c):
    check_runs_table(c)
    sel = c.report.table("Weight decay on validation")
    best = None
    for row in sel:
        val = finals(c, "select_weight-decay=" + row["weight decay"], "val_acc")
        check_ci(row["validation accuracy (%)"], val, "wd %s val" % row["weight decay"], (0, 100))
        if best is None or sum(val) / len(val) > best[0]:
            best = (sum(val) / len(val), row["weight decay"])
    if [r["weight decay"] for r in sel if r["could be best"] == "highest"] != [best[1]]:
        fail("ex5: the weight decay with the highest validation mean is %s" % best[1])
    if not check_answer(c).startswith("With weight decay %s " % best[1]):
        fail("ex5: the answer does not name the weight decay chosen, %s" % best[1])
    cells = {"neither": "none", "weight decay alone": "wd", "dropout alone": "dropout",
             "both": "both"}
    for row in c.report.table("The four cells"):
        for col, (name, scale, clip) in MEASURES.items():
            check_ci(row[col], finals(c, cells[row["cell"]], name, scale), row["cell"] + " " + col,
                     clip)
    # the effects: contrasts of the four cells per seed; "the better one
    # alone" is the single regulariser with the higher mean test accuracy
    wd_better = sum(finals(c, "wd", "test_acc")) > sum(finals(c, "dropout", "test_acc"))
    for col, name in (("test accuracy (points)", "test_acc"), ("gap (points)", "gap")):
        n, w, d, b = (finals(c, p, name) for p in ("none", "wd", "dropout", "both"))
        single = w if wd_better else d
        want = {"weight decay alone (wd - neither)": [y - x for x, y in zip(n, w)],
                "dropout alone (dropout - neither)": [y - x for x, y in zip(n, d)],
                "both (both - neither)": [y - x for x, y in zip(n, b)],
                "main effect of dropout":
                    [(dd + bb - nn - ww) / 2 for nn, ww, dd, bb in zip(n, w, d, b)],
                "main effect of weight decay":
                    [(ww + bb - nn - dd) / 2 for nn, ww, dd, bb in zip(n, w, d, b)],
                "interaction (both - wd - dropout + neither)":
                    [bb - ww - dd + nn for nn, ww, dd, bb in zip(n, w, d, b)],
                "both - %s" % ("weight decay alone" if wd_better else "dropout alone"):
                    [y - x for x, y in zip(single, b)]}
        rows = c.report.table("Effects")
        if len(rows) != len(want):
            fail("ex5: %d effects, expected %d" % (len(rows), len(want)))
        for row in rows:
            if row["effect"] not in want:
                fail("ex5: unexpected effect '%s'" % row["effect"])
                continue
            check_ci(row[col], want[row["effect"]], "effect %s, %s" % (row["effect"], col))


def mean_seconds(run_dir):
    rows = metrics(run_dir)
    return sum(r["seconds"] for r in rows) / len(rows)


def check_ex6(c):
    rows = check_runs_table(c)
    for row in rows:
        close(row["s/epoch"], mean_seconds(os.path.join(c.ex, row["run"])),
              "%s s/epoch" % row["run"])
    table = c.report.table("Final epoch")
    check_pair_table(c, table, "dropout", "dropconnect", "ex6")
    sa = [mean_seconds(d) for d in seeds_of(c, "dropout")]
    sb = [mean_seconds(d) for d in seeds_of(c, "dropconnect")]
    sec = c.report.table("Seconds per epoch")
    if len(sec) != 1:
        fail("ex6: the seconds table has %d rows" % len(sec))
    else:
        check_ci(sec[0]["A: dropout"], sa, "ex6 seconds A")
        check_ci(sec[0]["B: DropConnect"], sb, "ex6 seconds B")
        check_paired(sec[0]["B - A (paired)"], sa, sb, "ex6 seconds B - A")
    text = "\n".join(c.report.section("Seconds per epoch"))
    m = re.search(r"divided by A's: (%s \[%s, %s\])" % (NUM, NUM, NUM), text)
    if not m:
        fail("ex6: no ratio of seconds")
    else:
        check_ci(m.group(1), [b / a for a, b in zip(sa, sb)], "ex6 seconds B / A")
    answer = check_answer(c)
    acc = [r for r in table if r["measure"] == "test accuracy (%)"]
    if acc and acc[0]["B - A (paired)"] not in answer:
        fail("ex6: the answer does not quote the paired difference of test accuracy")
    if m and m.group(1) not in answer:
        fail("ex6: the answer does not quote the ratio of seconds")


EX7_PREFIX = {"Gaussian": "gaussian", "uniform": "uniform", "additive": "additive"}


def check_ex7(c):
    check_runs_table(c)
    base_acc = finals(c, "dropout", "test_acc")
    base_gap = finals(c, "dropout", "gap")
    rows = c.report.table("Each noise")
    if len(rows) != 4:
        fail("ex7: %d rows in the table of noises" % len(rows))
    answer = check_answer(c)
    beats = []
    for row in rows:
        name = row["noise"]
        if name.startswith("dropout"):
            check_ci(row["test accuracy (%)"], base_acc, "ex7 dropout test acc", (0, 100))
            check_ci(row["gap (points)"], base_gap, "ex7 dropout gap")
            continue
        prefix = EX7_PREFIX[name.split(" ")[0]]
        acc, gap = finals(c, prefix, "test_acc"), finals(c, prefix, "gap")
        check_ci(row["test accuracy (%)"], acc, "ex7 %s test acc" % prefix, (0, 100))
        check_paired(row["B - A (paired)"], base_acc, acc, "ex7 %s B - A" % prefix)
        check_ci(row["gap (points)"], gap, "ex7 %s gap" % prefix)
        check_paired(row["gap B - A (paired)"], base_gap, gap, "ex7 %s gap B - A" % prefix)
        d = [b - a for a, b in zip(base_acc, acc)]
        m, lo, hi = mean_ci(d)
        n = len(d)
        sd = math.sqrt(sum((v - m) ** 2 for v in d) / (n - 1))
        h = t_quantile(1 - 0.05 / 6, n - 1) * sd / math.sqrt(n)
        bonf = "yes" if (m - h > 0 or m + h < 0) else "no"
        if sd > 0 and row["excludes 0 at 1 - 0.05/3"] != bonf:
            fail("ex7 %s: Bonferroni column says %s, the files give %s"
                 % (prefix, row["excludes 0 at 1 - 0.05/3"], bonf))
        if lo > 0:
            beats.append(name)
        if row["B - A (paired)"] not in answer:
            fail("ex7: the answer does not quote %s's difference" % prefix)
    for name in beats:
        if name not in answer.split("excludes 0:")[-1]:
            fail("ex7: %s beats dropout but the answer does not say so" % name)
    if not beats and "none beats dropout" not in answer:
        fail("ex7: nothing beats dropout but the answer does not say so")
    # the sigma chosen on validation is the one the additive runs trained with
    best = None
    for row in c.report.table("Additive noise"):
        # "noise additive:0.1,additive:0.1" -> runs select_noise=additive:0.1,additive:0.1-seedS
        value = row["cell"].split(" ", 1)[1]
        name = "select_noise=" + value
        val = finals(c, name, "val_acc")
        check_ci(row["validation accuracy (%)"], val, name + " val", (0, 100))
        check_ci(row["test accuracy (%)"], finals(c, name, "test_acc"), name + " test", (0, 100))
        if best is None or sum(val) / len(val) > best[0]:
            best = (sum(val) / len(val), value, row["could be best"])
    if best is None or best[2] != "highest":
        fail("ex7: the highest validation mean is not marked highest")
    else:
        import json
        with open(os.path.join(seeds_of(c, "additive")[0], "config.json")) as f:
            noise = ",".join(json.load(f)["noise"])
        if noise != best[1]:
            fail("ex7: additive runs trained with %s, validation chose %s" % (noise, best[1]))


CHECKS = {1: check_ex1, 2: check_ex2, 5: check_ex5, 6: check_ex6, 7: check_ex7}


class Context:
    def __init__(self, labdir, n):
        self.dir, self.n = labdir, n
        self.ex = os.path.join(labdir, "ex%d" % n)
        self.report = Report(os.path.join(self.ex, "report.md"))


def main():
    labdir, n = sys.argv[1], int(sys.argv[2])
    c = Context(labdir, n)
    CHECKS[n](c)
    check_answer(c)
    print("ex%d: %d numbers checked against the metrics files, %d failure(s)"
          % (n, check.count, len(FAILS)))
    if check.count == 0:
        fail("ex%d: no number was checked" % n)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
