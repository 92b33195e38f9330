/*
 * dropnet.h — the core API of libdropnet: randomness, data, layers, networks,
 * training (with crash-safe runs) and model files. dropnet_experiment.h adds
 * what experiments need: run directories read back, statistics, figures.
 *
 * libdropnet trains multilayer perceptrons regularised with dropout, as in the
 * "Dropout" section of Dive into Deep Learning, reproducibly: every random
 * number is a pure function of (seed, purpose, step, index), so the same seed
 * gives the same bits whatever the thread count or call order.
 *
 * Conventions
 *   - Functions that can fail return 0 (DN_OK) or a dn_status and fill a
 *     caller-provided dn_err with a one-line message naming what and where.
 *     The library never prints and never exits.
 *   - Matrices are row-major float32. A batch of B examples of width W is a
 *     B x W matrix. Linear weights are [out, in] (PyTorch's nn.Linear layout).
 *   - Layer functions (dn_linear_forward, ...) work on caller buffers and
 *     allocate nothing; dn_net lays out all of its buffers once, in
 *     dn_net_build, and allocates nothing while training.
 */
#ifndef DROPNET_H
#define DROPNET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of these headers; dn_version() gives the library's. */
#define DROPNET_VERSION_MAJOR 0
#define DROPNET_VERSION_MINOR 1
#define DROPNET_VERSION_PATCH 0
#define DROPNET_VERSION "0.1.0"

/* ------------------------------------------------------------------ errors */

typedef enum {
    DN_OK = 0,
    DN_EINVAL = 1,   /* an argument or option value is out of range */
    DN_EIO = 2,      /* a file cannot be opened, read or written */
    DN_EFORMAT = 3,  /* a file's content is malformed */
    DN_ENOMEM = 4,   /* an allocation failed or would be unreasonably large */
    DN_ENUMERIC = 5, /* the loss became NaN or infinite */
    DN_ESTOPPED = 6, /* a callback asked training to stop */
    DN_EWRITE = 7,   /* an output file cannot be written */
    DN_EUNAVAILABLE = 8 /* an optional component (a plotting driver) is missing */
} dn_status;

typedef struct {
    dn_status code;
    char msg[512];
} dn_err;

/* Fills err (if not NULL) with code and a one-line message (control
 * characters become '?') and returns code: how the library reports, for
 * programs whose own checks report the same way. */
int dn_fail(dn_err *err, dn_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

const char *dn_status_name(dn_status code);
/* Makes a message fit size bytes (with its NUL): its longest words (paths)
 * lose their middle to "..." first, so the reason after them stays whole. */
void dn_message_fit(char *msg, size_t size);
const char *dn_version(void);
/* Name, version and kernels of the matrix-product backend in use, e.g.
 * "oneDNN 2.6.3 sgemm (avx2 kernels)". */
const char *dn_blas_info(void);

/* Matrix products. Backends: the CBLAS this build links ("openblas" or
 * "blis") and "onednn" (dn_gemm_names lists them). The default is a fixed
 * rule of the build and of the CPU's instruction set, never of timings, so a
 * run and its resume multiply alike: dn_gemm_default. dn_gemm_use(name)
 * (NULL or "": the default) first checks the backend's products against a
 * double-precision reference and never switches to one that computes wrong
 * (DN_ENUMERIC); a name not built in is DN_EINVAL. Call it before training,
 * never while products run; without a call, the first product takes the
 * default. Different backends, or one backend's kernels for different
 * instruction sets, give different bits. */
int dn_gemm_use(const char *name, dn_err *err);
const char *dn_gemm_default(void);
const char *dn_gemm_names(void);
/* The backend in use ("onednn") and the instruction set of its kernels
 * ("avx512", "avx2", ...). */
const char *dn_gemm_name(void);
const char *dn_gemm_isa(void);
/* dn_blas_info of backend name (NULL if not built in). */
const char *dn_gemm_info(const char *name);

/* NULL, or the value of OPENBLAS_CORETYPE that would give OpenBLAS fitting
 * kernels where it fell back to its generic ones (it reads the variable only
 * when it loads, so a program must set it and restart itself). */
const char *dn_blas_better_coretype(void);

/* Settings that the OpenMP runtime and OpenBLAS read only when they load,
 * put into the environment unless the user chose them:
 * - OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning.
 *   With another busy process on a 2-core machine, spinning made an epoch
 *   take 1.8 to 14.5 s against 0.8 to 0.85 s sleeping; on an idle machine
 *   sleeping costs a few percent (OMP_WAIT_POLICY=ACTIVE gets them back).
 * - OPENBLAS_CORETYPE where dn_blas_better_coretype names one.
 * Returns true when it set one: the program should then restart itself
 * (execv("/proc/self/exe", argv)) before doing anything else. */
bool dn_runtime_env(void);

/* Threads for our own loops and for the BLAS (one OpenMP pool for both).
 * n = 0 means one per available core. Returns the count now in effect.
 * It acts on the whole process (OpenMP's and the BLAS's settings are
 * global): every network and every thread of the program uses it. */
int dn_set_threads(int n);
int dn_get_threads(void);
/* Seconds from a monotonic clock (for timing epochs). */
double dn_now(void);

/* The shortest decimal ("%.6g" to "%.9g") that reads back as the same
 * float: 0.2f is "0.2", not "0.200000003", and nothing is lost. */
void dn_float_text(char *buf, size_t n, float v);

/* C = alpha * op(A) . op(B) + beta * C, row-major (op = transpose where
 * trans_a / trans_b is 1): every matrix product of the library, by the
 * backend in use (dn_gemm_use). It cuts C into tiles that depend on the
 * shape alone and runs each with a single-threaded call, so its bits do not
 * depend on the thread count. */
void dn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* The same product as one call of backend name (one of dn_gemm_names) with
 * its own threading on the given number of threads: the fastest the
 * backend goes, its bits depending on the thread count. For benchmarks (the
 * floor of make bench), never for training. */
void dn_gemm_one_call(const char *name, int threads, int trans_a, int trans_b, int M, int N,
                      int K, float alpha, const float *A, int lda, const float *B, int ldb,
                      float beta, float *C, int ldc);

/* ------------------------------------------------------------- randomness */
/*
 * Philox4x32-10 (Random123). Key = seed; counter = (block, purpose, step).
 * Element i of a stream is word i%4 of block i/4. Purposes keep the streams of
 * initialisation, shuffling and each dropout site apart, so two configurations
 * run with one seed share initial weights (where shapes match), data order and
 * the uniforms behind their dropout masks.
 */
typedef struct {
    uint64_t seed;
    uint32_t purpose;
    uint32_t step;
} dn_stream;

enum {
    DN_PURPOSE_INIT = 1,      /* step = 2*linear_index (+1 for the bias) */
    DN_PURPOSE_SHUFFLE = 2,   /* step = epoch */
    DN_PURPOSE_VAL_SPLIT = 3, /* step = class (dn_dataset_split) */
    DN_PURPOSE_DROPOUT = 0x100, /* + site: the number of Linear layers before it */
    DN_PURPOSE_DC_SAMPLING = 0x200 /* + site: dn_evaluate_dropconnect_sampling */
};

void dn_philox(dn_stream s, uint64_t block, uint32_t out[4]);
uint32_t dn_random_u32(dn_stream s, uint64_t i);
/* U in [0,1) with 24 random bits: (u32 >> 8) * 2^-24. */
float dn_uniform(dn_stream s, uint64_t i);
void dn_uniform_fill(dn_stream s, float *out, size_t n);
/* Standard normal by Box-Muller from block i. */
double dn_normal(dn_stream s, uint64_t i);
/* Exactly uniform integer in [0, bound), bound >= 1 (Lemire with rejection). */
uint32_t dn_uniform_below(dn_stream s, uint64_t i, uint32_t bound);
/* perm = a uniformly random permutation of 0..n-1 for this (seed, epoch). */
void dn_shuffle(uint32_t *perm, uint32_t n, uint64_t seed, uint32_t epoch);
dn_stream dn_dropout_stream(uint64_t seed, int site, uint32_t step);

/* ------------------------------------------------------------------- data */

typedef struct {
    uint8_t *images; /* n * rows * cols bytes, 0..255 */
    uint8_t *labels; /* n bytes, each < classes */
    size_t n;
    int rows, cols;
    int classes;
    /* Float inputs, n x (rows*cols) (rows = 1 for CSV), for data that is not
     * 8-bit images or is prepared otherwise; NULL for IDX images, whose
     * batches are pixels / 255.
     * A struct zeroed before use keeps the old meaning. */
    float *features;
    /* CSV: the header line that was skipped ("" when the first line is
     * data), cut to fit with "..." at its end. */
    char header[64];
} dn_dataset;
/* Ownership: the loaders (dn_dataset_load, dn_fmnist_load, dn_csv_load,
 * dn_dataset_head) fill a dn_dataset with buffers it owns, released by
 * dn_dataset_free (with free()). A program may fill one itself with its own
 * arrays: training, evaluation and prediction only read it, and the arrays
 * stay the program's (no dn_dataset_free then, unless they came from
 * malloc). dn_dataset_prepare may replace images by features, freeing images
 * with free(): use it on loaded datasets or malloc'd arrays only. */

extern const char *const dn_fmnist_classes[10];

/* Reads an IDX file (plain or gzip) of unsigned bytes with 1 or 3 dimensions.
 * dims[0] is the item count; dims[1], dims[2] are rows and cols (1 for labels). */
int dn_idx_read(const char *path, int ndims, uint8_t **data, size_t dims[3], dn_err *err);
/* Reads an image file and a label file into ds; checks 28x28, equal counts,
 * labels < 10. */
int dn_dataset_load(dn_dataset *ds, const char *images, const char *labels, dn_err *err);
void dn_dataset_free(dn_dataset *ds);
/* dst = the first n examples of src (copied). */
int dn_dataset_head(dn_dataset *dst, const dn_dataset *src, size_t n, dn_err *err);
/* A validation split: n_val examples of all (1 <= n_val < all->n) go to val,
 * the rest to train, each in the order of all. Class-balanced: each class
 * gives its share of n_val (rounded, the largest remainders rounding up),
 * its examples chosen by the stream (seed, DN_PURPOSE_VAL_SPLIT, class). A
 * function of the seed, the labels and n_val alone: every configuration
 * trained with one seed holds out the same examples. */
int dn_dataset_split(const dn_dataset *all, size_t n_val, uint64_t seed, dn_dataset *train,
                     dn_dataset *val, dn_err *err);

/* Fashion-MNIST directory: explicit dir (may be NULL), then $DROPNET_DATA,
 * ./data/fashion-mnist, /usr/share/datasets/fashion-mnist. */
int dn_fmnist_find(const char *dir, char *out, size_t outsz, dn_err *err);
/* Path of one of the four files in dir: plain name, else name + ".gz". */
int dn_fmnist_file(const char *dir, const char *name, char *out, size_t outsz, dn_err *err);
int dn_fmnist_load(const char *dir, dn_dataset *train, dn_dataset *test, dn_err *err);

extern const char *const dn_fmnist_names[4]; /* train-images-idx3-ubyte, ... */
extern const char *const dn_fmnist_sha256[4]; /* of the decompressed files */
/* SHA-256 (lower-case hex) of a file's content after gzip decoding if gzipped. */
int dn_sha256_file(const char *path, char hex[65], dn_err *err);

/* Pixels of examples idx[0..b) as floats / 255, one row of rows*cols each
 * (for a dataset with features: those rows, copied as they are). */
void dn_batch_images(float *x, const dn_dataset *ds, const uint32_t *idx, size_t b);

/* CSV data: one example per line, the label (an integer) first, then the
 * features, comma-separated; an optional header row (a first line most of
 * whose fields are not numbers; a UTF-8 byte order mark before it is
 * skipped). The layout of the widely used
 * Fashion-MNIST CSV files. ds gets features (raw values, rows = 1, cols =
 * width) and labels. width and classes 0: taken from the data (classes = the
 * largest label + 1, at most 256); otherwise they must match (a test set is
 * read with the training set's width and classes). Any bad row is an error
 * naming the file and line. */
#define DN_MAX_CLASSES 256
int dn_csv_load(dn_dataset *ds, const char *path, int width, int classes, dn_err *err);
/* Per-feature mean and standard deviation (population, in double, a fixed
 * order) of a dataset with features; a feature that never varies gets std 1
 * so standardising leaves it at 0 instead of dividing by zero. */
int dn_feature_stats(const dn_dataset *ds, float *mean, float *std, dn_err *err);
/* Brings raw inputs into the form a model takes: x / scale, or, with mean and
 * std (not NULL), (x - mean) / std. Images (no features) with scale 255 and
 * no statistics are left as they are (their batches divide by 255); other
 * images become features first. */
int dn_dataset_prepare(dn_dataset *ds, float scale, const float *mean, const float *std,
                       dn_err *err);

/* ----------------------------------------------------------------- layers */
/* Plain forward/backward functions over explicit buffers. */

/* out[B,o] = inp[B,i] . w[o,i]^T + b[o] */
void dn_linear_forward(float *out, const float *inp, const float *w, const float *b,
                       int B, int in, int out_dim);
/* dw[o,i] = dout^T . inp; db[o] = column sums of dout (fixed order);
 * dinp[B,i] = dout . w (skipped when dinp is NULL). Overwrites, no accumulation. */
void dn_linear_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, int B, int in, int out_dim);
void dn_relu_forward(float *out, const float *inp, size_t n);
/* out is the forward output (out > 0 exactly where inp > 0). */
void dn_relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/*
 * Dropout exactly as d2l defines dropout_layer(X, p): DN_EINVAL unless
 * 0 <= p <= 1; p = 1 gives zeros; p = 0 returns X unchanged; otherwise element
 * i is kept where U_i > p (U_i = dn_uniform(s, i)) and multiplied by 1/(1-p).
 * mask (n bytes, may be NULL) receives 1 for kept elements, 0 for dropped.
 * out may equal inp.
 */
int dn_dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                       dn_stream s, dn_err *err);
/* dinp = dout * mask / (1 - p); zeros when p = 1. */
void dn_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n,
                         float p);

/*
 * Noise at a hidden layer's site (where Dropout sits): the kinds --noise
 * names. Each draws from the Philox stream of its site (dn_dropout_stream),
 * whatever the kind, so runs with one seed stay paired, and each is off in
 * eval mode.
 *   DN_NOISE_DROPOUT     "dropout:P"     Dropout(P), the layer above
 *   DN_NOISE_GAUSSIAN    "gaussian:P"    h * m, m ~ N(1, P/(1-P)), 0 <= P < 1
 *   DN_NOISE_ADDITIVE    "additive:S"    h + N(0, S^2), S >= 0
 *   DN_NOISE_DROPCONNECT "dropconnect:P" drops weights of the Linear layer that
 *                                        reads the site: W * M / (1-P), one mask
 *                                        M (keep where U > P) per batch, 0 <= P < 1
 *   DN_NOISE_UNIFORM     "uniform:P"     h * m, m ~ U(1-a, 1+a), a = sqrt(3P/(1-P)):
 *                                        dropout's mean and variance, bounded
 * "none" is dropout:0. Normals come from the site's uniforms by Box-Muller:
 * element i uses block i/4, words 2j and 2j+1 (j = (i%4)/2) as
 * u1 = ((w >> 8) + 1) 2^-24 in (0, 1] and u2 = (w >> 8) 2^-24, and takes
 * sqrt(-2 ln u1) times cos (i even) or sin (i odd) of 2 pi u2 (so |z| <= 5.8).
 */
typedef enum {
    DN_NOISE_DROPOUT = 0,
    DN_NOISE_GAUSSIAN,
    DN_NOISE_ADDITIVE,
    DN_NOISE_DROPCONNECT,
    DN_NOISE_UNIFORM
} dn_noise_kind;

typedef struct {
    dn_noise_kind kind;
    float p; /* the probability P, or the standard deviation S of additive */
} dn_noise;

/* Checks a noise's parameter against its kind's range (DN_EINVAL). */
int dn_noise_check(dn_noise noise, dn_err *err);
/* One item: "none", "dropout:P", "gaussian:P", "additive:S", "dropconnect:P",
 * "uniform:P". DN_EINVAL names the item and the problem. */
int dn_noise_parse(const char *text, dn_noise *noise, dn_err *err);
/* A comma-separated list of items, at most max: *n receives the count. */
int dn_noise_list_parse(const char *text, dn_noise *noise, int max, int *n, dn_err *err);
/* "gaussian:0.5" ("none" for dropout:0): what dn_noise_parse reads back. */
void dn_noise_format(dn_noise noise, char *out, size_t size);
/* The layer's name in model files: "Dropout(0.5)", "GaussianDropout(0.5)",
 * "AdditiveNoise(0.1)", "DropConnect(0.5)", "UniformNoise(0.5)". */
void dn_noise_layer_name(dn_noise noise, char *out, size_t size);

/* Standard normals z[i - lo] for elements [lo, hi) of stream s, as above. */
void dn_noise_normals(float *z, uint64_t lo, uint64_t hi, dn_stream s);
/* Gaussian multiplicative noise: mult (n floats, kept for the backward
 * pass) = 1 + sqrt(p/(1-p)) z, out = inp * mult. out may equal inp. */
int dn_gaussian_forward(float *out, float *mult, const float *inp, size_t n, float p,
                        dn_stream s, dn_err *err);
/* dinp = dout * mult (Gaussian and uniform noise). */
void dn_gaussian_backward(float *dinp, const float *dout, const float *mult, size_t n);
/* Uniform multiplicative noise: mult = 1 + a (2U - 1), U = dn_uniform(s, i). */
int dn_uniform_noise_forward(float *out, float *mult, const float *inp, size_t n, float p,
                             dn_stream s, dn_err *err);
void dn_uniform_noise_backward(float *dinp, const float *dout, const float *mult, size_t n);
/* Additive noise: out = inp + sigma z. Its backward pass is the identity. */
int dn_additive_forward(float *out, const float *inp, size_t n, float sigma, dn_stream s,
                        dn_err *err);
void dn_additive_backward(float *dinp, const float *dout, size_t n);
/* DropConnect on n weights: mask[i] = U_i > p (the dropout mask of the
 * weights' stream), wd = w * mask / (1 - p): the weights the product uses. */
int dn_dropconnect_forward(float *wd, uint8_t *mask, const float *w, size_t n, float p,
                           dn_stream s, dn_err *err);
/* The gradient of the plain weights from that of the masked ones, in place:
 * dw = dw * mask / (1 - p). */
void dn_dropconnect_backward(float *dw, const uint8_t *mask, size_t n, float p);

/* losses[b] = logsumexp(logits[b]) - logits[b][y_b] (stable for large logits). */
void dn_softmax_xent_forward(float *losses, const float *logits, const uint8_t *labels,
                             int B, int C);
/* dlogits = (softmax(logits) - onehot(y)) * scale; scale = 1/B for a mean loss. */
void dn_softmax_xent_backward(float *dlogits, const float *logits, const uint8_t *labels,
                              int B, int C, float scale);
/* Index of the first largest element. */
int dn_argmax(const float *row, int C);
/* probs = softmax(logits), row by row. */
void dn_softmax_forward(float *probs, const float *logits, int B, int C);
/* w -= lr * (g + wd * w) */
void dn_sgd_update(float *w, const float *g, size_t n, float lr, float wd);

/* --------------------------------------------------------------- networks */

typedef enum {
    DN_LAYER_FLATTEN,
    DN_LAYER_LINEAR,
    DN_LAYER_RELU,
    DN_LAYER_DROPOUT
} dn_layer_kind;

typedef struct {
    dn_layer_kind kind;
    int in, out;       /* widths of input and output */
    float p;           /* dropout probability (DN_LAYER_DROPOUT), or its noise's parameter */
    int site;          /* dropout site: Linear layers before it */
    dn_noise_kind noise; /* what a DN_LAYER_DROPOUT layer draws (DN_NOISE_DROPOUT) */
    float *w, *b;      /* parameters (DN_LAYER_LINEAR), inside one buffer */
    float *dw, *db;    /* their gradients, inside one buffer */
} dn_layer_info;

typedef struct dn_net dn_net;

/* A network starts empty with inputs of the given width; layers are added in
 * order; dn_net_build lays out parameters, gradients and activations for
 * batches of up to max_batch rows. Then dn_net_reset initialises it. */
dn_net *dn_net_new(int input_width, dn_err *err);
int dn_net_add_flatten(dn_net *net, dn_err *err);
int dn_net_add_linear(dn_net *net, int out, dn_err *err);
int dn_net_add_relu(dn_net *net, dn_err *err);
int dn_net_add_dropout(dn_net *net, float p, dn_err *err);
/* A noise site: a DN_LAYER_DROPOUT layer drawing noise (dn_net_add_dropout
 * for DN_NOISE_DROPOUT). DropConnect needs a Linear layer next. */
int dn_net_add_noise(dn_net *net, dn_noise noise, dn_err *err);
int dn_net_build(dn_net *net, int max_batch, dn_err *err);
void dn_net_free(dn_net *net);

#define DN_MAX_HIDDEN 16
/* Flatten, then per hidden layer Linear, ReLU, Dropout (always present, so
 * layer indices match PyTorch's nn.Sequential of the d2l model), then Linear
 * to outputs. input_dropout > 0 adds a Dropout right after Flatten. */
typedef struct {
    int inputs, outputs;
    int n_hidden;
    int hidden[DN_MAX_HIDDEN];
    float dropout[DN_MAX_HIDDEN]; /* the noise's parameter (dropout probability) */
    float input_dropout;
    /* The noise at each hidden layer (DN_NOISE_DROPOUT, 0, unless --noise
     * chose another); its parameter is dropout[h]. */
    dn_noise_kind noise[DN_MAX_HIDDEN];
} dn_mlp_spec;
dn_net *dn_net_mlp(const dn_mlp_spec *spec, int max_batch, dn_err *err);
/* "MLP 784-256-256-10": the widths from inputs to outputs (cut to fit size). */
void dn_mlp_describe(const dn_mlp_spec *spec, char *out, size_t size);
/* Whether any hidden layer draws another noise than dropout. */
bool dn_mlp_has_noise(const dn_mlp_spec *spec);
/* What the hidden layers draw, as a run's header and labels say it:
 * "dropout 0.2,0.5" (or "dropout none"), or, when any layer draws another
 * noise, "noise gaussian:0.5,dropout:0.2". */
void dn_mlp_noise_text(const dn_mlp_spec *spec, char *out, size_t size);
/* The --noise list of the hidden layers: "dropout:0.2,gaussian:0.5". */
void dn_mlp_noise_list(const dn_mlp_spec *spec, char *out, size_t size);

typedef enum { DN_INIT_NORMAL, DN_INIT_PYTORCH } dn_init_kind;
typedef struct {
    dn_init_kind kind;
    float sigma; /* DN_INIT_NORMAL: weights ~ N(0, sigma^2), biases 0 */
} dn_init;

/* Re-initialise every parameter from the seed (fresh parameters: nothing of a
 * previous training survives). */
int dn_net_reset(dn_net *net, dn_init init, uint64_t seed, dn_err *err);
void dn_net_set_training(dn_net *net, bool training);
bool dn_net_training(const dn_net *net);
/* Which uniforms the dropout layers draw in the next forward pass. */
void dn_net_set_rng(dn_net *net, uint64_t seed, uint32_t step);
/* The noise of site `site` (0: on the input, k: after hidden layer k, the
 * site numbering of dn_dropout_stream) set to noise, on a built network
 * (e.g. one loaded from a file that does not say its noise): DN_EINVAL when
 * the network has no Dropout layer there or the noise does not fit.
 * Allocates what the noise needs (call it before training, not during). */
int dn_net_set_noise(dn_net *net, int site, dn_noise noise, dn_err *err);
/* A --noise list ("none,dropconnect:0.5"), one item per hidden layer, set
 * at the sites after them (dn_net_set_noise); "none" may stand where a
 * hidden layer has no Dropout layer. */
int dn_net_set_noise_list(dn_net *net, const char *list, dn_err *err);
/* 1 and *noise when site has a Dropout layer, else 0. */
int dn_net_noise(const dn_net *net, int site, dn_noise *noise);

int dn_net_num_layers(const dn_net *net);
/* Layer i (0-based); DN_EINVAL for an index outside the network. */
int dn_net_layer(const dn_net *net, int i, dn_layer_info *info, dn_err *err);
int dn_net_input_width(const dn_net *net);
int dn_net_output_width(const dn_net *net);
int dn_net_max_batch(const dn_net *net);
float *dn_net_params(dn_net *net, size_t *count);
float *dn_net_grads(dn_net *net, size_t *count);
/* The output of layer i of the last forward pass (B x out). */
const float *dn_net_activation(const dn_net *net, int i);
/* The mask of dropout layer i of the last training forward pass. */
const uint8_t *dn_net_mask(const dn_net *net, int i);

/* Forward pass over B <= max_batch rows; returns the logits (B x outputs),
 * valid until the next forward, or NULL (err says why) when the network is
 * not built or B is outside [1, max_batch]. */
const float *dn_net_forward(dn_net *net, const float *x, int B, dn_err *err);
/* Backward pass of the last forward pass (training mode) from dlogits;
 * overwrites every gradient. */
void dn_net_backward(dn_net *net, const float *dlogits, int B);
/* SGD on every parameter; weight decay on weights only, not biases. */
void dn_net_sgd(dn_net *net, float lr, float weight_decay);

/* One training step on a batch: forward (training mode), mean softmax
 * cross-entropy, backward, SGD. Adds the batch's summed loss and correct count.
 * DN_ENUMERIC when a loss is not finite (nothing is updated then). */
int dn_net_train_step(dn_net *net, const float *x, const uint8_t *y, int B, float lr,
                      float weight_decay, double *loss_sum, size_t *correct, dn_err *err);

/* ---------------------------------------------------------------- training */

typedef struct {
    int epochs;
    int batch_size;
    float lr;
    float weight_decay;
    uint64_t seed;     /* data order and dropout masks */
} dn_fit_opts;

typedef struct {
    int epoch;          /* 1-based */
    double train_loss;  /* mean over the epoch's training passes (dropout on) */
    double train_acc;
    double test_loss;   /* eval mode, whole test set */
    double test_acc;
    double seconds;     /* training + evaluation of this epoch */
    /* With a validation set (a split of the training data held out of
     * training): its loss and accuracy, eval mode. */
    bool has_val;
    double val_loss, val_acc;
} dn_epoch_stats;

typedef struct {
    int epoch;              /* 1-based */
    size_t step;            /* 1-based, within the epoch */
    size_t steps_per_epoch;
    int batch;              /* rows in this step's batch */
    double loss_sum;        /* summed loss of this batch (dropout on) */
    size_t correct;         /* correct predictions in this batch */
    double epoch_loss_sum;  /* summed loss of the epoch so far, this batch included */
    size_t epoch_correct;   /* correct predictions of the epoch so far */
} dn_step_stats;

typedef struct {
    /* After each step; nonzero stops training (DN_ESTOPPED) with the step
     * complete. May be NULL. */
    int (*on_step)(void *user, const dn_step_stats *stats);
    /* After each epoch; nonzero stops training with DN_ESTOPPED. May be NULL. */
    int (*on_epoch)(void *user, const dn_epoch_stats *stats);
    void *user;
} dn_fit_hooks;

void dn_fit_opts_default(dn_fit_opts *o); /* d2l 2020: 10 epochs, 256, lr 0.5 */
int dn_fit(dn_net *net, const dn_dataset *train, const dn_dataset *test,
           const dn_fit_opts *opts, const dn_fit_hooks *hooks, dn_err *err);
/* Mean loss and accuracy over a dataset in eval mode (the net's mode is restored). */
int dn_evaluate(dn_net *net, const dn_dataset *ds, double *loss, double *acc, dn_err *err);
/* The same, and the confusion matrix: confusion[t * C + p] counts examples of
 * true class t predicted as p, C = the network's output width. */
int dn_evaluate_confusion(dn_net *net, const dn_dataset *ds, double *loss, double *acc,
                          size_t *confusion, dn_err *err);
/* DropConnect's inference by moment matching (Wan et al., ICML 2013): at each
 * Linear layer that reads a DropConnect site, each unit's pre-activation is
 * taken as normal with the mean (W v + b) and variance (p/(1-p)) sum_i
 * W_ji^2 v_i^2 of the masked product; K samples of it go through the
 * layer's ReLU (or, at the output, the softmax) and are averaged; every
 * other noise is off. Loss and accuracy of the averaged probabilities over
 * ds. The normals of example e, unit j, sample k are elements
 * (e W + j) K + k of the stream (seed, DN_PURPOSE_DC_SAMPLING + site, 0)
 * (dn_noise_normals): the same seed, the same numbers, for any batch size
 * or thread count. DN_EINVAL when the network has no DropConnect. */
#define DN_DC_SAMPLES_MAX 10000
int dn_evaluate_dropconnect_sampling(dn_net *net, const dn_dataset *ds, int K, uint64_t seed,
                                     double *loss, double *acc, dn_err *err);
/* pred[i] = the predicted class (argmax of the logits, eval mode) of example i
 * of ds, for i < n <= ds->n. */
int dn_predict(dn_net *net, const dn_dataset *ds, size_t n, uint8_t *pred, dn_err *err);

/* ------------------------------------------------- configuration of a run */
/* Training on CSV files instead of Fashion-MNIST (train[0] == 0: not). */
typedef struct {
    char train[1024], test[1024];
    float scale;      /* features / scale; 1 leaves them as they are */
    bool standardize; /* (x - mean) / std with the training set's statistics */
} dn_csv_source;

/* Everything that defines a training run; written to config.json. */
typedef struct {
    char preset[32];
    dn_mlp_spec arch;
    dn_init init;
    dn_fit_opts fit;
    int threads;
    dn_csv_source csv;
    size_t val;           /* training examples held out for validation (0: none) */
    /* How the run draws (not what it computes; dn_config_differs ignores
     * them): kept so that a resumed run draws as it did. */
    bool no_figures;
    float figure_scale;   /* 0 or 1: 640x480 */
    /* activations.csv: statistics of the hidden layers' activations
     * (dn_training_run writes them; they do not change the run's bits). */
    bool track_activations;
    /* The matrix-product backend and the instruction set of its kernels
     * that computed the run ("onednn", "avx512"): read from config.json, ""
     * where it does not say (runs made before it did). dn_config_json
     * writes the backend in use instead. */
    char gemm[16], gemm_isa[16];
    /* Data-parallel training (dn_dp_comm): every batch cut into this many
     * micro-blocks, their gradients summed in one fixed order; 0: plain
     * training (one product over the whole batch). Bits of their own. */
    int micro_blocks;
} dn_config;

/* "d2l-2020": 784-256-256-10, dropout 0.2/0.5, lr 0.5, batch 256, 10 epochs,
 *             weights N(0, 0.01^2), zero biases (the discussion's edition).
 * "d2l":      the same with dropout 0.5/0.5, lr 0.1 and PyTorch's init. */
int dn_preset(const char *name, dn_config *cfg, dn_err *err);
/* Parse "normal:SIGMA" or "pytorch". */
int dn_init_parse(const char *text, dn_init *init, dn_err *err);
/* "normal:0.01" / "pytorch" */
void dn_init_format(dn_init init, char *out, size_t outsz);
/* config.json text (free() it), with library versions and the data directory. */
char *dn_config_json(const dn_config *cfg, const char *data_dir, dn_err *err);
/* Reads back what dn_config_json wrote (unknown fields are ignored, missing
 * or malformed ones are errors naming the field; `what` names the source in
 * messages). data_dir (may be NULL) receives the "data" field if present. */
int dn_config_parse(const char *json, const char *what, dn_config *cfg, char *data_dir,
                    size_t data_dir_size, dn_err *err);
/* NULL when a and b define the same run (architecture, init, training
 * settings, seed, data source); otherwise the name of the first field that
 * differs. Threads are not compared: they do not change the bits. */
const char *dn_config_differs(const dn_config *a, const dn_config *b);
/* NULL when the backend in use (dn_gemm_name, dn_gemm_isa) is the one that
 * computed cfg's run, or cfg does not say; otherwise "gemm" (another
 * backend) or "isa" (its kernels for another instruction set). Either gives
 * other bits than the run had: a resumed run would not be bitwise the run
 * never stopped. */
const char *dn_config_gemm_differs(const dn_config *cfg);
/* Largest seed: 2^53 - 1, so JSON readers keep it exact. */
#define DN_MAX_SEED 9007199254740991ULL

/* A run directory: config.json, then metrics.csv and metrics.jsonl, one row
 * per epoch, flushed as each epoch ends, and steps.csv, rows written by
 * dn_runlog_step (header: epoch,step,steps_per_epoch,examples,train_loss,
 * train_acc); with cfg->track_activations also activations.csv (header:
 * epoch,step,mode,layer,where,mean,var_pooled,var_units). */
/* Directories dropnet writes, by kind. Each kind writes the marker file
 * DN_DIR_MARKER ("dropnet run", "dropnet compare", ...) into its directory
 * before anything else, and is written only into a new or empty directory
 * or one that holds its own kind: never into a directory of the user's (a
 * file there of the same name would be lost) or of another kind. */
typedef enum { DN_DIR_RUN, DN_DIR_COMPARE, DN_DIR_SWEEP, DN_DIR_LAB } dn_dir_kind;
#define DN_DIR_MARKER ".dropnet"
/* "training run", "compare experiment", "sweep experiment", "lab". */
const char *dn_dir_kind_name(dn_dir_kind kind);
/* Claims dir for kind: a path that does not exist is made (with its
 * parents) and marked; an empty directory is marked; a directory marked
 * with kind is accepted as it is (*own = true, when own is not NULL).
 * Anything else (a file, a directory with other entries and no marker, the
 * marker of another kind) is DN_EINVAL, one line naming the directory and
 * what it holds, and nothing is written. */
int dn_dir_claim(const char *dir, dn_dir_kind kind, bool *own, dn_err *err);
/* The kind of dir's marker: 1 (*kind set), 0 when it has none, or minus a
 * dn_status (a marker that cannot be read or is not dropnet's). */
int dn_dir_kind_of(const char *dir, dn_dir_kind *kind, dn_err *err);

typedef struct dn_runlog dn_runlog;
/* dir NULL: runs/<date-time> (made unique). An existing directory that
 * already holds a run is refused, so nothing is overwritten. The log holds an
 * exclusive flock on dir/.lock until dn_runlog_close (or the process ends):
 * a directory another process has open is refused too (DN_EINVAL).
 * config.json is written atomically. */
dn_runlog *dn_runlog_open(const char *dir, const dn_config *cfg, const char *data_dir,
                          dn_err *err);
const char *dn_runlog_dir(const dn_runlog *log);
int dn_runlog_epoch(dn_runlog *log, const dn_epoch_stats *st, dn_err *err);
/* One row of steps.csv: the training loss and accuracy (dropout on) averaged
 * over the steps since the previous row of the same epoch. */
typedef struct {
    int epoch;              /* 1-based */
    size_t step;            /* last step of the interval, 1-based within the epoch */
    size_t steps_per_epoch;
    size_t examples;        /* training examples in the interval */
    double train_loss;
    double train_acc;
} dn_step_point;
int dn_runlog_step(dn_runlog *log, const dn_step_point *p, dn_err *err);
void dn_runlog_close(dn_runlog *log);

/* ------------------------------------------------------------ model files */
/*
 * Models are safetensors files: an 8-byte little-endian header length, a JSON
 * header (per tensor: dtype, shape, data_offsets; "__metadata__": string
 * values), then raw little-endian F32 data. Tensors are named like PyTorch's
 * nn.Sequential state_dict of the same network: "<layer index>.weight"
 * [out, in] and "<layer index>.bias" [out] per Linear layer, so the d2l model
 * has 1.weight [256,784], 1.bias, 4.weight, 4.bias, 7.weight [10,256],
 * 7.bias. The metadata holds the layers ("Flatten,Linear(784,256),ReLU,
 * Dropout(0.2),..."; a noise site is named by its noise: GaussianDropout(P),
 * AdditiveNoise(S), DropConnect(P), UniformNoise(P), at the index Dropout has),
 * how inputs are scaled, the image shape and class names.
 * A file without dropnet's metadata (written from PyTorch) is read too: the
 * layers are inferred from the tensor names and shapes, with dropout
 * probabilities unknown (0; they matter only for training).
 */
typedef struct {
    float input_scale;        /* inputs are divided by it (255 for 8-bit images) */
    float *input_mean;        /* per-input statistics when standardised, else NULL */
    float *input_std;         /* (owned: dn_model_info_free) */
    int input_rows, input_cols; /* image shape (28 x 28), 0 when inputs are not images */
    char classes[4096];       /* class names, comma-separated; "" when unnamed */
    bool dropout_known;       /* false for a file without dropnet's metadata (then the
                               * noise of its Dropout layers is unknown too) */
    char noise[512];          /* the noise of the hidden layers' sites as a --noise list
                               * ("dropout:0.2,gaussian:0.5"), "" when unknown or none */
    bool input_known;         /* false when the file does not say how its inputs are
                               * prepared (then they are taken as pixels / 255) */
} dn_model_info;

void dn_model_info_free(dn_model_info *info);
/* Writes the network's parameters and info to path (temporary file, fsync,
 * rename, fsync of the directory; on failure path is left as it was). Every
 * file the library writes for users goes this way; for tests, the
 * environment variable DROPNET_FAULT_WRITE=NAME[,NAME...] makes writes of
 * files so named fail as on a full disk (see src/files/file.h). */
int dn_model_save(const char *path, const dn_net *net, const dn_model_info *info, dn_err *err);
/* Reads a model file and builds its network for batches of up to max_batch
 * rows (eval mode). Every malformed file is DN_EFORMAT with one line naming
 * the file and the problem. info (may be NULL) receives the metadata. */
dn_net *dn_model_load(const char *path, int max_batch, dn_model_info *info, dn_err *err);
/* Reads a model file into an existing network whose layers must be the
 * file's (same kinds, widths and dropout probabilities). */
int dn_model_read_into(const char *path, dn_net *net, dn_model_info *info, dn_err *err);
/* "Flatten,Linear(784,256),ReLU,Dropout(0.2),...": the layers as text;
 * DN_EINVAL when they do not fit in outsz bytes. */
int dn_net_describe(const dn_net *net, char *out, size_t outsz, dn_err *err);

/* A checkpoint: a model file whose metadata also holds where training stands.
 * Plain SGD keeps no optimiser state; the file says so ("optimizer": "sgd",
 * "optimizer_state": "none"), and an optimiser with state would add its
 * tensors under names of their own. */
typedef struct {
    int epoch;              /* epochs complete */
    size_t step;            /* steps of the next epoch complete */
    size_t steps_per_epoch;
    size_t train_examples;
    uint64_t seed;
    double loss_sum;        /* that epoch's loss sum and correct count so far */
    size_t correct;
    int n_metrics;          /* rows of the epochs complete */
    dn_epoch_stats *metrics;
    char *config;           /* config.json text of the run */
    /* A run that tracks its activations: their sums since the last row of
     * activations.csv, as text (NULL: none). */
    char *activations;
    /* steps.csv: a row every steps_every steps (0: not recorded, a file of
     * an older dropnet), and the training loss sum, correct count and
     * examples of the steps since its last row (a checkpoint may fall
     * between two rows). */
    size_t steps_every;
    double steps_loss_sum;
    size_t steps_correct, steps_examples;
} dn_checkpoint;

int dn_checkpoint_save(const char *path, const dn_net *net, const dn_model_info *info,
                       const dn_checkpoint *ck, dn_err *err);
/* Reads a checkpoint into net (whose layers must match) and ck (free with
 * dn_checkpoint_free). */
int dn_checkpoint_load(const char *path, dn_net *net, dn_model_info *info, dn_checkpoint *ck,
                       dn_err *err);
void dn_checkpoint_free(dn_checkpoint *ck);

/* ------------------------------------------------- data-parallel training */
typedef struct dn_dp_comm dn_dp_comm;
/*
 * Every batch of B rows is cut into K micro-blocks (K a power of two; block
 * b holds rows [b B / K, (b + 1) B / K)). Each block's gradient is computed
 * on its own, with every random draw indexed by the row in the whole batch,
 * and the block gradients (and loss sums) are added in one fixed order: a
 * pairwise tree over the blocks. With `size` ranks (a power of two no larger
 * than K), rank r computes blocks [r K / size, (r + 1) K / size), its
 * subtree, and the ranks combine their subtrees along the same tree
 * (recursive halving, then recursive doubling to share the sum): the result
 * is the same bits for every rank count, one process included. They differ
 * from plain training's, whose products add over the whole batch at once.
 *
 * The library never talks to other processes itself: the program supplies
 * the two ways to (over MPI, say), so the library needs no MPI. Both are
 * called by every rank at the same point, and return a dn_status.
 */
#define DN_MAX_MICRO_BLOCKS 1024
struct dn_dp_comm {
    int rank, size;
    /* Sends send_n bytes to rank peer and receives recv_n bytes from it
     * (peer calls it with the sizes swapped). */
    int (*exchange)(void *ctx, int peer, const void *send, size_t send_n, void *recv,
                    size_t recv_n, dn_err *err);
    /* Rank 0's n bytes at buf into buf on every rank. */
    int (*bcast)(void *ctx, void *buf, size_t n, dn_err *err);
    void *ctx;
    /* Written by the library: seconds in the training steps (computing and
     * adding the gradients, the update) and, of them, in exchange (waiting
     * for the other ranks included), over `steps` steps. */
    double step_seconds, comm_seconds;
    size_t steps;
    /* Set once rank 0 has told the other ranks where training starts (or
     * that it does not). */
    bool started;
};
/* Rank 0 that will not train (an error, a finished run): tells the other
 * ranks, waiting in dn_fit_follow, to return. Does nothing once
 * comm->started. */
int dn_dp_release(dn_dp_comm *comm, dn_err *err);

/* ------------------------------------------------------- crash-safe runs */
/*
 * A training run in a run directory that survives being killed at any
 * instant and resumes exactly. dn_training_open starts a run (a new run
 * directory with config.json) or resumes the interrupted run of a directory
 * (its checkpoint is checked against the run's configuration and data, and
 * its files are brought back to what the checkpoint holds).
 * dn_training_run then trains, writing after every epoch
 * checkpoint.safetensors first and then the epoch's row of metrics.csv and
 * metrics.jsonl (so metrics.csv never holds an epoch that no checkpoint
 * has), rows of steps.csv as it goes, and model.safetensors at the end. A
 * resumed run gives the bits of a run never stopped.
 *
 * Signals are the program's business: it passes a flag (set by its signal
 * handler, say) that the library reads after every step; once it is set,
 * training stops after the current step with a checkpoint (DN_ESTOPPED).
 */
typedef struct {
    const char *dir;       /* run directory; NULL: runs/<date-time> (new runs only) */
    bool resume;           /* continue the interrupted run in dir */
    const char *data_dir;  /* the Fashion-MNIST directory, for config.json (NULL: CSV data) */
    long checkpoint_every; /* also checkpoint every N steps (0: after each epoch only) */
    long log_every;        /* a steps.csv row every N steps (0: five rows per epoch) */
    const volatile sig_atomic_t *stop; /* may be NULL; nonzero: stop after this step */
    /* Resuming: the run's config.json names the matrix-product backend and
     * instruction set that computed it; another (dn_config_gemm_differs) is
     * refused, since the bits would differ, unless gemm_named (the user
     * named the backend) and it is the same backend on another instruction
     * set. */
    bool gemm_named;
    /* on_step: after each step (its steps.csv row and checkpoint written);
     * on_epoch: with each epoch's results, before they are saved; on_saved:
     * after the epoch's checkpoint and metrics row are written. Nonzero stops
     * training (DN_ESTOPPED). Each may be NULL. */
    int (*on_step)(void *user, const dn_step_stats *stats);
    int (*on_epoch)(void *user, const dn_epoch_stats *stats);
    int (*on_saved)(void *user, const dn_epoch_stats *stats);
    void *user;
    /* The validation set when cfg->val > 0 (cfg->val examples, held out of
     * the training set, e.g. by dn_dataset_split): evaluated after every
     * epoch. Kept by pointer. */
    const dn_dataset *val;
    /* With cfg->micro_blocks > 0: the ranks of a data-parallel run, this one
     * rank 0 (NULL: one process). The other ranks run dn_fit_follow. */
    dn_dp_comm *dp;
} dn_training_opts;

typedef struct dn_training dn_training;

/* Where a run stands. */
typedef struct {
    const char *dir;              /* its run directory */
    int epoch;                    /* epochs complete */
    size_t step;                  /* steps of the next epoch complete */
    size_t steps_per_epoch;
    const dn_epoch_stats *metrics; /* the rows of the epochs complete */
    int n_metrics;
    bool stopped;                 /* the stop flag ended dn_training_run (checkpoint written) */
    bool finished;                /* resumed a run that had finished: nothing to do, nothing
                                   * written */
    int extended_from;            /* resumed with more (or fewer) epochs than the run had:
                                   * its epochs before; 0 otherwise */
} dn_training_state;

/* Reads dir/config.json of a run (to resume it: the run's configuration
 * decides what data to load and what network to build). data_dir (may be
 * NULL) receives its "data" field. */
int dn_config_read(const char *dir, dn_config *cfg, char *data_dir, size_t data_dir_size,
                   dn_err *err);
/* Starts or resumes a run of cfg with net (built by dn_net_mlp(&cfg->arch,
 * ...) and reset from cfg's init and seed) on a training set of train_n
 * examples; info is what model files of the run record (kept by pointer).
 * The directory stays locked to this process until dn_training_close.
 * Resuming, cfg is the run's config.json (dn_config_read) with, possibly,
 * another number of epochs: the run is then extended (or its target
 * lowered, never below the epochs done), config.json records the change
 * ("extended": [{"from": 3, "to": 5}, ...]), and it goes on with the bits
 * of a run started with that many epochs (no setting depends on the total).
 * A run that had finished, resumed with the same epochs, is left as it is
 * (state.finished; dn_training_run then does nothing). */
dn_training *dn_training_open(const dn_training_opts *opts, const dn_config *cfg, dn_net *net,
                              const dn_model_info *info, size_t train_n, dn_err *err);
void dn_training_get(const dn_training *t, dn_training_state *state);
/* Trains to the end of the run (test may be NULL), then writes
 * model.safetensors. */
int dn_training_run(dn_training *t, const dn_dataset *train, const dn_dataset *test,
                    dn_err *err);
void dn_training_close(dn_training *t);
/* A rank other than 0 of a data-parallel run of cfg (cfg->micro_blocks >
 * 0): net built by dn_net_mlp(&cfg->arch, ...), train the same training set
 * as rank 0's. Takes rank 0's parameters and starting point, computes its
 * micro-blocks of every step, and writes nothing; returns when rank 0's
 * training ends (DN_ESTOPPED when rank 0 stopped it early), or at once with
 * DN_OK when rank 0 released it (dn_dp_release). */
int dn_fit_follow(dn_net *net, const dn_dataset *train, const dn_config *cfg,
                  dn_dp_comm *comm, dn_err *err);

#ifdef __cplusplus
}
#endif
#endif /* DROPNET_H */
