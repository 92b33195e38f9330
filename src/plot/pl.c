/* The one file that talks to PLplot: rendering a figure with its cairo
 * driver into memory and then atomically into a file, the palette, and
 * thin wrappers of the PLplot calls the figures (curves.c, predictions.c,
 * experiment.c) draw with, so that they need no PLplot header.
 *
 * PLplot is not reentrant: it keeps its current stream, its driver table and
 * its error handlers in globals. Every figure is therefore drawn from plinit
 * to plend while holding plot_lock, so two threads never drive PLplot at
 * once; its handlers reach the figure's state through `active`, which only
 * the lock holder touches. This is the library's one piece of shared state.
 *
 * PLplot reports trouble on stderr and, for fatal errors, calls exit(). The
 * library must do neither, so each figure
 *   - checks with plgDevs that the cairo devices exist before plinit (an
 *     unknown device would make plinit prompt on stdin),
 *   - gives PLplot an error buffer (plsError), so aborted operations are
 *     recorded instead of printed,
 *   - installs an exit handler (plsexit) that jumps back out of PLplot before
 *     it prints or exits, turning the fatal error into a returned status,
 *   - hands PLplot an in-memory stream (plsfile on open_memstream), so it
 *     never opens or names a file itself; the bytes are then written to a
 *     temporary file and renamed into place.
 */
#include "core/internal.h"
#include "files/file.h"
#include "plot/pl.h"

#include <errno.h>
#include <math.h>
#include <plplot.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PI 3.14159265358979323846

/* ------------------------------------------------------------ colours */

/* cmap0, entry by entry as pl.h names them. Data colours are the Okabe-Ito set, ordered so that neighbours also
 * differ in lightness when printed in grey; markers and dashes separate them
 * further. */
static const int palette[][3] = {
    {255, 255, 255}, /* background */
    {0, 0, 0},       /* axes and text */
    {221, 221, 221}, /* grid */
    {85, 85, 85},    /* legend keys for line styles */
    {220, 0, 0},     /* misclassified: caption and frame */
    {0, 114, 178},   /* blue */
    {230, 159, 0},   /* orange */
    {0, 158, 115},   /* bluish green */
    {204, 121, 167}, /* reddish purple */
    {86, 180, 233},  /* sky blue */
    {213, 94, 0},    /* vermillion */
    {0, 0, 0},       /* black */
    {153, 153, 153}, /* grey */
};
_Static_assert(sizeof palette / sizeof palette[0] == DN_PL_PALETTE,
               "one colour per entry of pl.h's palette");

/* ------------------------------------------------------------ PLplot */


typedef struct {
    jmp_buf on_exit;
    int exiting;         /* PLplot called plexit */
    char exit_msg[512];
    PLINT code;          /* set by PLplot when an operation aborts */
    char msg[2048];      /* PLplot writes the abort message here (sprintf) */
    FILE *mem;
    char *buf;
    size_t len;
} pl_state;

static pthread_mutex_t plot_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_state *active;

static int on_plexit(const char *msg)
{
    pl_state *s = active;
    snprintf(s->exit_msg, sizeof s->exit_msg, "%s", msg ? msg : "");
    s->exiting = 1;
    longjmp(s->on_exit, 1);
}

static void on_plabort(const char *msg)
{
    /* plsError has the message; nothing to print. */
    (void)msg;
}

static void trim(char *m)
{
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = '\0';
    char *p = m;
    while (*p == '\n' || *p == ' ')
        p++;
    memmove(m, p, strlen(p) + 1);
    for (p = m; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

/* Whether PLplot lists both cairo file devices. Called holding plot_lock. */
static int devices_present(void)
{
    const char *menu[256], *names[256];
    const char **pm = menu, **pn = names;
    int n = 256, png = 0, svg = 0;
    plgDevs(&pm, &pn, &n);
    for (int i = 0; i < n; i++) {
        png |= strcmp(names[i], "pngcairo") == 0;
        svg |= strcmp(names[i], "svgcairo") == 0;
    }
    return png && svg;
}

static const char *no_driver =
    "PLplot's cairo driver (pngcairo, svgcairo) is not installed (Debian package "
    "plplot-driver-cairo)";

/* Runs j->draw with PLplot writing into memory; on success *buf holds
 * the file's bytes (free() them). check_only: only look for the devices. */
static int render_in_memory(const dn_pl_job *j, int check_only, char **buf, size_t *len, dn_err *err)
{
    static pl_state s; /* only the holder of plot_lock uses it */
    pthread_mutex_lock(&plot_lock);
    memset(&s, 0, sizeof s);
    active = &s;
    int rc = DN_OK;
    plsabort(on_plabort);
    plsexit(on_plexit);
    if (setjmp(s.on_exit)) {
        /* PLplot gave up (plexit). Close what it may still hold; a second
         * plexit while closing lands here again with exiting == 2. */
        if (s.exiting == 1) {
            s.exiting = 2;
            PLINT level = 0;
            plglevel(&level);
            if (level == 0 && s.mem)
                fclose(s.mem); /* the driver never took it over */
            s.mem = NULL;
            plend();
        }
        trim(s.exit_msg);
        rc = dn_fail(err, DN_EUNAVAILABLE, "PLplot: %s", s.exit_msg);
        goto out;
    }
    plsError(&s.code, s.msg);
    if (!devices_present()) {
        trim(s.msg);
        rc = dn_fail(err, DN_EUNAVAILABLE, "%s%s%s", no_driver, s.msg[0] ? ": " : "", s.msg);
        plend();
        goto out;
    }
    if (check_only) {
        plend();
        goto out;
    }
    s.mem = open_memstream(&s.buf, &s.len);
    if (!s.mem) {
        rc = dn_fail(err, DN_ENOMEM, "cannot open a memory stream for a figure");
        plend();
        goto out;
    }
    plsError(&s.code, s.msg);
    plsdev(j->png ? "pngcairo" : "svgcairo");
    plsfile(s.mem);
    /* Pixels. cairo's devices map 72 of them to the inch, so PLplot's sizes
     * in millimetres (characters, ticks, dashes) grow with the page: a
     * scaled figure is the same figure, larger. */
    plspage(0, 0, j->width, j->height, 0, 0);
    PLINT r[DN_PL_PALETTE], g[DN_PL_PALETTE], b[DN_PL_PALETTE];
    for (int i = 0; i < DN_PL_PALETTE; i++) {
        r[i] = palette[i][0];
        g[i] = palette[i][1];
        b[i] = palette[i][2];
    }
    plscmap0(r, g, b, DN_PL_PALETTE);
    /* cmap1: a grey ramp for images, 0 black to 1 white. */
    PLFLT pos[2] = {0, 1}, lo_hi[2] = {0, 1};
    plscmap1n(256);
    plscmap1l(1, 2, pos, lo_hi, lo_hi, lo_hi, NULL);
    plinit();
    plsError(&s.code, s.msg); /* plinit may have reset the stream */
    j->draw(j->ctx, j);
    PLINT code = s.code;
    plend(); /* closes s.mem: the driver owns it after plinit */
    s.mem = NULL;
    if (code) {
        trim(s.msg);
        rc = dn_fail(err, DN_EUNAVAILABLE, "PLplot: %s", s.msg);
        goto out;
    }
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (j->png ? s.len < 8 || memcmp(s.buf, png_sig, 8) != 0
               : s.len < 5 || memcmp(s.buf, "<?xml", 5) != 0) {
        rc = dn_fail(err, DN_EUNAVAILABLE, "PLplot's %s device produced no %s data",
                     j->png ? "pngcairo" : "svgcairo", j->png ? "PNG" : "SVG");
        goto out;
    }
    *buf = s.buf;
    *len = s.len;
    s.buf = NULL;
out:
    free(s.buf);
    plsexit(NULL);
    plsabort(NULL);
    active = NULL;
    pthread_mutex_unlock(&plot_lock);
    return rc;
}

int dn_plot_available(dn_err *err)
{
    dn_pl_job j = {0};
    char *buf = NULL;
    size_t len = 0;
    return render_in_memory(&j, 1, &buf, &len, err);
}

/* Writes bytes to a temporary file next to path and renames it into place
 * (dn_write_atomic: the one writer of files for users). */
static int write_atomic(const char *path, const char *data, size_t len, dn_err *err)
{
    dn_chunk c = {data, len};
    return dn_write_atomic(path, &c, 1, err);
}

static int format_of(const char *path, int *png, dn_err *err)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".png") == 0)
        *png = 1;
    else if (n > 4 && strcmp(path + n - 4, ".svg") == 0)
        *png = 0;
    else
        return dn_fail(err, DN_EINVAL, "%s: a figure's name must end in .png or .svg", path);
    return DN_OK;
}

static int check_scale(double scale, dn_err *err)
{
    if (!(scale >= 1.0 && scale <= 4.0))
        return dn_fail(err, DN_EINVAL, "figure scale %g is outside [1, 4]", scale);
    return DN_OK;
}

int dn_pl_check(const char *path, double scale, int *png, dn_err *err)
{
    int rc = format_of(path, png, err);
    return rc ? rc : check_scale(scale, err);
}

/* The length of the valid UTF-8 sequence at p (1 to 4), 0 if it is not
 * one. Text from file names may be anything; PLplot and XML want UTF-8. */
static int utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Copies text for a figure: valid UTF-8 only, control characters (but
 * newlines when keep_nl) as '?', at most max_chars characters; esc_hash
 * doubles PLplot's escape character '#', xml escapes XML's specials. */
static void clean_text(char *out, size_t size, const char *in, int max_chars, int keep_nl,
                       int esc_hash, int xml)
{
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)in;
    for (int chars = 0; *p && chars < max_chars; chars++) {
        int n = utf8_len(p);
        char one[8] = "?";
        const char *rep = one;
        size_t len = 1;
        if (n == 1 && (*p >= 0x20 || (keep_nl && *p == '\n')) && *p != 0x7f) {
            one[0] = (char)*p;
            if (xml && *p == '&')
                rep = "&amp;";
            else if (xml && *p == '<')
                rep = "&lt;";
            else if (xml && *p == '>')
                rep = "&gt;";
            else if (esc_hash && *p == '#')
                rep = "##";
            len = strlen(rep);
        } else if (n > 1) {
            memcpy(one, p, (size_t)n);
            len = (size_t)n;
        }
        if (k + len + 1 > size)
            break;
        memcpy(out + k, rep, len);
        k += len;
        p += n ? n : 1;
    }
    out[k] = '\0';
}

static void xml_escape(char *out, size_t size, const char *in)
{
    clean_text(out, size, in, 1 << 20, 1, 0, 1);
}

/* Renders and writes one figure. For SVG, a <title> and a <desc> (the
 * legend's words) follow the root element's start tag: cairo draws text as
 * glyph outlines, and these keep the figure's words readable by screen
 * readers and searchable. */
int dn_pl_render(const char *path, double scale, void (*draw)(void *ctx, const void *page),
                 void *ctx, const char *title, const char *desc, dn_err *err)
{
    int png = 0, rc;
    if ((rc = dn_pl_check(path, scale, &png, err)))
        return rc;
    dn_pl_job j = {png, scale, (int)lround(DN_PL_PAGE_W * scale), (int)lround(DN_PL_PAGE_H * scale), draw, ctx};
    char *buf = NULL;
    size_t len = 0;
    if ((rc = render_in_memory(&j, 0, &buf, &len, err)))
        return rc;
    if (!png && title) {
        char *svg = strstr(buf, "<svg");
        char *gt = svg ? strchr(svg, '>') : NULL;
        size_t extra = 2 * (strlen(title) + (desc ? strlen(desc) : 0)) + 64;
        char *t = malloc(extra * 3 + 64), *out = gt ? malloc(len + extra * 3 + 128) : NULL;
        if (!t || !out) {
            free(t);
            free(out);
            free(buf);
            return gt ? dn_fail(err, DN_ENOMEM, "cannot allocate an SVG")
                      : dn_fail(err, DN_EUNAVAILABLE, "svgcairo wrote no <svg> element");
        }
        size_t head = (size_t)(gt + 1 - buf), k = head;
        memcpy(out, buf, head);
        xml_escape(t, extra * 3, title);
        k += (size_t)sprintf(out + k, "\n<title>%s</title>", t);
        if (desc) {
            xml_escape(t, extra * 3, desc);
            k += (size_t)sprintf(out + k, "\n<desc>%s</desc>", t);
        }
        memcpy(out + k, buf + head, len - head);
        k += len - head;
        free(t);
        free(buf);
        buf = out;
        len = k;
    }
    rc = write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------- drawing */

/* PLplot treats '#' as its escape character. cairo's driver refuses
 * strings of 500 characters or more (and says so on stdout); ours stay far
 * below. */
static void pl_text(char *out, size_t size, const char *in)
{
    clean_text(out, size, in, 200, 0, 1, 0);
}

void dn_pl_mtex(const char *side, double disp, double pos, double just, const char *text)
{
    char t[512];
    pl_text(t, sizeof t, text);
    if (t[0])
        plmtex(side, disp, pos, just, t);
}

void dn_pl_ptex(double x, double y, double just, const char *text)
{
    char t[512];
    pl_text(t, sizeof t, text);
    if (t[0])
        plptex(x, y, 1.0, 0.0, just, t);
}

/* The viewport from a pixel rectangle (origin top left). */
void dn_pl_viewport_px(const dn_pl_job *j, double x0, double y0, double x1, double y1)
{
    plvpor(x0 / j->width, x1 / j->width, 1.0 - y1 / j->height, 1.0 - y0 / j->height);
}

/* Character height in pixels at the current size. PLplot measures it in
 * millimetres of a page whose size in millimetres grows with the pixels. */
double dn_pl_char_px(const dn_pl_job *j)
{
    PLFLT def, ht, x0, x1, y0, y1;
    plgchr(&def, &ht);
    plgspa(&x0, &x1, &y0, &y1);
    return ht * j->width / (x1 - x0);
}

/* PLplot cannot measure text here, so widths are estimated: DejaVu Sans, the
 * usual sans font, averages about 0.67 of PLplot's character height per
 * glyph; 0.72 leaves room for wide glyphs. */
double dn_pl_text_px(double ch, const char *text) { return 0.72 * ch * (double)strlen(text); }

/* A filled marker centred on (x, y), radius r pixels, as one polygon. */
void dn_pl_marker(double px_per_wx, double px_per_wy, int shape, double x, double y, double r)
{
    PLFLT px[24], py[24];
    int n = 0;
    double sx = 1.0 / px_per_wx, sy = 1.0 / px_per_wy;
    switch (shape) {
    case DN_PL_CIRCLE:
        for (n = 0; n < 16; n++) {
            double a = 2 * PI * n / 16;
            px[n] = cos(a) * r;
            py[n] = sin(a) * r;
        }
        break;
    case DN_PL_SQUARE: {
        double h = r * 0.85;
        double xs[4] = {-h, h, h, -h}, ys[4] = {-h, -h, h, h};
        for (n = 0; n < 4; n++) {
            px[n] = xs[n];
            py[n] = ys[n];
        }
        break;
    }
    case DN_PL_TRIANGLE:
    case DN_PL_TRIANGLE_DOWN:
    case DN_PL_PENTAGON: {
        int k = shape == DN_PL_PENTAGON ? 5 : 3;
        double rr = r * (shape == DN_PL_PENTAGON ? 1.0 : 1.2), up = shape == DN_PL_TRIANGLE_DOWN ? -1 : 1;
        for (n = 0; n < k; n++) {
            double a = PI / 2 + 2 * PI * n / k;
            px[n] = cos(a) * rr;
            py[n] = up * sin(a) * rr;
        }
        break;
    }
    case DN_PL_DIAMOND: {
        double xs[4] = {0, r * 1.2, 0, -r * 1.2}, ys[4] = {-r * 1.2, 0, r * 1.2, 0};
        for (n = 0; n < 4; n++) {
            px[n] = xs[n];
            py[n] = ys[n];
        }
        break;
    }
    case DN_PL_STAR:
        for (n = 0; n < 10; n++) {
            double a = PI / 2 + PI * n / 5, rr = n % 2 ? r * 0.55 : r * 1.3;
            px[n] = cos(a) * rr;
            py[n] = sin(a) * rr;
        }
        break;
    default: { /* a plus sign of thick bars */
        double a = r, b = r * 0.35;
        double xs[12] = {-b, b, b, a, a, b, b, -b, -b, -a, -a, -b};
        double ys[12] = {a, a, b, b, -b, -b, -a, -a, -b, -b, b, b};
        for (n = 0; n < 12; n++) {
            px[n] = xs[n];
            py[n] = ys[n];
        }
        break;
    }
    }
    for (int i = 0; i < n; i++) {
        px[i] = x + px[i] * sx;
        py[i] = y + py[i] * sy;
    }
    plfill(n, px, py);
}

/* Dashes of 4 and 2.5 mm at 90 dpi (so they scale with the figure). */
void dn_pl_dashed(int dashed)
{
    if (dashed == 2) { /* dotted */
        PLINT mark = 800, space = 1600;
        plstyl(1, &mark, &space);
    } else if (dashed) {
        PLINT mark = 4000, space = 2500;
        plstyl(1, &mark, &space);
    } else {
        plstyl(0, NULL, NULL);
    }
}


double dn_pl_nice_step(double range, int max_ticks)
{
    double raw = range / max_ticks, mag = pow(10, floor(log10(raw)));
    /* No 2.5: its labels would need a decimal more than the others. */
    double steps[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (steps[i] * mag >= raw)
            return steps[i] * mag;
    return 10 * mag;
}

/* ---------------------------------------------- PLplot, as figures use it */

void dn_pl_col0(int colour) { plcol0(colour); }
void dn_pl_schr(double def, double scale) { plschr(def, scale); }
void dn_pl_width(double width) { plwidth(width); }
void dn_pl_adv(int page) { pladv(page); }
void dn_pl_vpor(double x0, double x1, double y0, double y1) { plvpor(x0, x1, y0, y1); }
void dn_pl_wind(double x0, double x1, double y0, double y1) { plwind(x0, x1, y0, y1); }
void dn_pl_box(const char *xopt, double xtick, int nxsub, const char *yopt, double ytick,
               int nysub)
{
    plbox(xopt, xtick, nxsub, yopt, ytick, nysub);
}
void dn_pl_line(int n, const double *x, const double *y) { plline(n, x, y); }
void dn_pl_fill(int n, const double *x, const double *y) { plfill(n, x, y); }
void dn_pl_image(const double *const *img, int nx, int ny, double x0, double x1, double y0,
                 double y1, double zmin, double zmax)
{
    plimage((PLFLT_MATRIX)img, nx, ny, x0, x1, y0, y1, zmin, zmax, x0, x1, y0, y1);
}
void dn_pl_scmap0n(int n) { plscmap0n(n); }
void dn_pl_scol0(int i, int r, int g, int b) { plscol0(i, r, g, b); }
void dn_pl_scol0a(int i, int r, int g, int b, double alpha) { plscol0a(i, r, g, b, alpha); }
void dn_pl_gcol0(int i, int *r, int *g, int *b)
{
    PLINT pr, pg, pb;
    plgcol0(i, &pr, &pg, &pb);
    *r = pr;
    *g = pg;
    *b = pb;
}
