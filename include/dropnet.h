/*
 * dropnet.h — the whole public API of libdropnet.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

const char *dn_status_name(dn_status code);
/* Makes a message fit size bytes (with its NUL): its longest words (paths)
 * lose their middle to "..." first, so the reason after them stays whole. */
void dn_message_fit(char *msg, size_t size);
const char *dn_version(void);
/* Name and version of the CBLAS in use, e.g. "BLIS 0.9.0". */
const char *dn_blas_info(void);

/* NULL, or the value of OPENBLAS_CORETYPE that would give OpenBLAS fitting
 * kernels where it fell back to its generic ones (it reads the variable only
 * when it loads, so a program must set it and restart itself). */
const char *dn_blas_better_coretype(void);

/* Threads for our own loops and for the BLAS (one OpenMP pool for both).
 * n = 0 means one per available core. Returns the count now in effect. */
int dn_set_threads(int n);
int dn_get_threads(void);
/* Seconds from a monotonic clock (for timing epochs). */
double dn_now(void);

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
    DN_PURPOSE_DROPOUT = 0x100 /* + site: the number of Linear layers before it */
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
int dn_dropout_layer(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                     dn_stream s, dn_err *err);
/* dinp = dout * mask / (1 - p); zeros when p = 1. */
void dn_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n,
                         float p);
/* The keep threshold for p: U > p  <=>  (u32 >> 8) > threshold. */
uint32_t dn_dropout_threshold(float p);

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
    float p;           /* dropout probability (DN_LAYER_DROPOUT) */
    int site;          /* dropout site: Linear layers before it */
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
    float dropout[DN_MAX_HIDDEN];
    float input_dropout;
} dn_mlp_spec;
dn_net *dn_net_mlp(const dn_mlp_spec *spec, int max_batch, dn_err *err);

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

int dn_net_num_layers(const dn_net *net);
int dn_net_layer(const dn_net *net, int i, dn_layer_info *info);
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
 * valid until the next forward. */
const float *dn_net_forward(dn_net *net, const float *x, int B);
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
    int start_epoch;   /* 0 for a fresh run */
    /* Resuming inside an epoch: steps of start_epoch already done, and that
     * epoch's training loss sum and correct count so far. The random streams
     * are functions of (seed, epoch, step), so a resumed run repeats the bits
     * of an uninterrupted one. 0 for a fresh run. */
    size_t start_step;
    double start_loss_sum;
    size_t start_correct;
} dn_fit_opts;

typedef struct {
    int epoch;          /* 1-based */
    double train_loss;  /* mean over the epoch's training passes (dropout on) */
    double train_acc;
    double test_loss;   /* eval mode, whole test set */
    double test_acc;
    double seconds;     /* training + evaluation of this epoch */
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
/* pred[i] = the predicted class (argmax of the logits, eval mode) of example i
 * of ds, for i < n <= ds->n. */
int dn_predict(dn_net *net, const dn_dataset *ds, size_t n, uint8_t *pred, dn_err *err);

/* ------------------------------------------------------------ run configs */
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
} dn_run_config;

/* "d2l-2020": 784-256-256-10, dropout 0.2/0.5, lr 0.5, batch 256, 10 epochs,
 *             weights N(0, 0.01^2), zero biases (the discussion's edition).
 * "d2l":      the same with dropout 0.5/0.5, lr 0.1 and PyTorch's init. */
int dn_preset(const char *name, dn_run_config *cfg, dn_err *err);
/* Parse "normal:SIGMA" or "pytorch". */
int dn_init_parse(const char *text, dn_init *init, dn_err *err);
/* "normal:0.01" / "pytorch" */
void dn_init_format(dn_init init, char *out, size_t outsz);
/* config.json text (free() it), with library versions and the data directory. */
char *dn_config_json(const dn_run_config *cfg, const char *data_dir, dn_err *err);
/* Reads back what dn_config_json wrote (unknown fields are ignored, missing
 * or malformed ones are errors naming the field; `what` names the source in
 * messages). data_dir (may be NULL) receives the "data" field if present. */
int dn_config_parse(const char *json, const char *what, dn_run_config *cfg, char *data_dir,
                    size_t data_dir_size, dn_err *err);
/* NULL when a and b define the same run (architecture, init, training
 * settings, seed, data source); otherwise the name of the first field that
 * differs. Threads are not compared: they do not change the bits with BLIS. */
const char *dn_config_differs(const dn_run_config *a, const dn_run_config *b);
/* Largest seed: 2^53 - 1, so JSON readers keep it exact. */
#define DN_MAX_SEED 9007199254740991ULL

/* A run directory: config.json, then metrics.csv and metrics.jsonl, one row
 * per epoch, flushed as each epoch ends, and steps.csv, rows written by
 * dn_runlog_step (header: epoch,step,steps_per_epoch,examples,train_loss,
 * train_acc). */
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
dn_runlog *dn_runlog_open(const char *dir, const dn_run_config *cfg, const char *data_dir,
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
/* Reopens the run directory dir of an interrupted run (taking its lock, as
 * dn_runlog_open): temporary files a killed process left are removed,
 * metrics.csv and metrics.jsonl are rewritten (atomically) to hold exactly
 * rows[0..n), the epochs its checkpoint has, steps.csv to hold its rows up to
 * step `step` of epoch n + 1, and further rows are appended. */
dn_runlog *dn_runlog_resume(const char *dir, const dn_epoch_stats *rows, int n, size_t step,
                            dn_err *err);

/* ------------------------------------------------------------ model files */
/*
 * Models are safetensors files: an 8-byte little-endian header length, a JSON
 * header (per tensor: dtype, shape, data_offsets; "__metadata__": string
 * values), then raw little-endian F32 data. Tensors are named like PyTorch's
 * nn.Sequential state_dict of the same network: "<layer index>.weight"
 * [out, in] and "<layer index>.bias" [out] per Linear layer, so the d2l model
 * has 1.weight [256,784], 1.bias, 4.weight, 4.bias, 7.weight [10,256],
 * 7.bias. The metadata holds the layers ("Flatten,Linear(784,256),ReLU,
 * Dropout(0.2),..."), how inputs are scaled, the image shape and class names.
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
    bool dropout_known;       /* false for a file without dropnet's metadata */
    bool input_known;         /* false when the file does not say how its inputs are
                               * prepared (then they are taken as pixels / 255) */
} dn_model_info;

/* Largest header the reader accepts (a model's header is a few kB). */
#define DN_SAFETENSORS_MAX_HEADER (100u << 20)

void dn_model_info_free(dn_model_info *info);
/* Writes the network's parameters and info to path (temporary file, fsync,
 * rename, fsync of the directory; on failure path is left as it was). Every
 * file the library writes for users goes this way; for tests, the
 * environment variable DROPNET_FAULT_WRITE=NAME[,NAME...] makes writes of
 * files so named fail as on a full disk (see src/io/file.h). */
int dn_model_save(const char *path, const dn_net *net, const dn_model_info *info, dn_err *err);
/* Reads a model file and builds its network for batches of up to max_batch
 * rows (eval mode). Every malformed file is DN_EFORMAT with one line naming
 * the file and the problem. info (may be NULL) receives the metadata. */
dn_net *dn_model_load(const char *path, int max_batch, dn_model_info *info, dn_err *err);
/* Reads a model file into an existing network whose layers must be the
 * file's (same kinds, widths and dropout probabilities). */
int dn_model_read_into(const char *path, dn_net *net, dn_model_info *info, dn_err *err);
/* "Flatten,Linear(784,256),ReLU,Dropout(0.2),...": the layers as text. */
int dn_net_describe(const dn_net *net, char *out, size_t outsz);

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
} dn_checkpoint;

int dn_checkpoint_save(const char *path, const dn_net *net, const dn_model_info *info,
                       const dn_checkpoint *ck, dn_err *err);
/* Reads a checkpoint into net (whose layers must match) and ck (free with
 * dn_checkpoint_free). */
int dn_checkpoint_load(const char *path, dn_net *net, dn_model_info *info, dn_checkpoint *ck,
                       dn_err *err);
void dn_checkpoint_free(dn_checkpoint *ck);

/* ----------------------------------------------------------- metrics files */
/*
 * Strict readers of what dn_runlog writes. Any defect (a wrong header, a row
 * with the wrong number of fields, a field that is not a number or out of
 * range, epochs or steps that do not increase, a last row without its end of
 * line: a truncated file) is DN_EFORMAT with "PATH:LINE: problem".
 */
typedef enum {
    DN_METRIC_TRAIN_LOSS,
    DN_METRIC_TRAIN_ACC,
    DN_METRIC_TEST_LOSS,
    DN_METRIC_TEST_ACC,
    DN_METRIC_GAP,
    DN_METRIC_SECONDS,
    DN_METRIC_VAL_LOSS, /* a run trained with a validation split (--val) only */
    DN_METRIC_VAL_ACC,
    DN_METRIC_COUNT
} dn_metric;

/* "train_loss", ... as in the header of metrics.csv. */
const char *dn_metric_name(dn_metric m);
int dn_metric_parse(const char *name, dn_metric *m, dn_err *err);

/* metrics.csv: one row per epoch. col[m][i] is metric m of row i. */
typedef struct {
    size_t n;
    int *epoch;
    double *col[DN_METRIC_COUNT]; /* val_loss, val_acc: NaN without has_val */
    bool has_val;                 /* the file has the columns val_loss, val_acc */
} dn_metrics;
int dn_metrics_read(const char *path, dn_metrics *out, dn_err *err);
void dn_metrics_free(dn_metrics *m);

/* steps.csv: the rows written by dn_runlog_step. */
typedef struct {
    size_t n;
    dn_step_point *rows;
} dn_steps;
int dn_steps_read(const char *path, dn_steps *out, dn_err *err);
void dn_steps_free(dn_steps *s);
/* Where a row lies on the epoch axis: epoch - 1 + step / steps_per_epoch. */
double dn_step_progress(const dn_step_point *p);

/* A run directory read back from its files alone. */
typedef struct {
    char dir[1024];
    dn_run_config cfg;
    dn_metrics metrics;
    dn_steps steps; /* n = 0 when the run has no steps.csv */
} dn_run;
/* Reads dir/config.json, dir/metrics.csv and, when present, dir/steps.csv. */
int dn_run_load(const char *dir, dn_run *run, dn_err *err);
void dn_run_free(dn_run *run);

#define DN_LABEL_MAX 128
/* labels[i]: the settings in which run i differs from the others, e.g.
 * "dropout 0.2,0.5" (threads, data and versions do not count); the run
 * directory's last component when nothing differs. common (may be NULL):
 * the settings all runs share, e.g. "MLP 784-256-256-10 | lr 0.5 | ...". */
void dn_run_labels(const dn_run *runs, int n, char (*labels)[DN_LABEL_MAX], char *common,
                   size_t common_size);

/* ------------------------------------------------------------- statistics */
/*
 * What experiments over several seeds need: intervals of means, paired and
 * unpaired comparisons. Distributions come from GSL. Values must be finite
 * (DN_EINVAL otherwise); level is the confidence level, e.g. 0.95.
 */

/* Quantile p of Student's t distribution with df degrees of freedom; NaN
 * unless 0 < p < 1 and df > 0. */
double dn_t_quantile(double p, double df);
/* Two-sided p-value of a t statistic: P(|T| >= |t|), T ~ t(df). */
double dn_t_pvalue(double t, double df);

typedef struct {
    int n;
    double mean;
    double sd;     /* sample standard deviation (divisor n - 1); NaN for n = 1 */
    double lo, hi; /* mean -+ t((1 + level) / 2, n - 1) sd / sqrt(n); NaN for n = 1 */
} dn_interval;
int dn_mean_interval(const double *x, int n, double level, dn_interval *out, dn_err *err);

/*
 * Wilcoxon's signed-rank test of differences d. Zero differences are
 * dropped (Wilcoxon's rule); tied magnitudes get their mean rank. Magnitudes
 * within 1e-9 of the largest one of each other count as equal (and as zero
 * near 0), so differences of rounded numbers such as accuracies are not told
 * apart by rounding noise. The p-values come from the exact distribution of
 * the statistic when fewer than 50 differences remain and none are tied;
 * otherwise from the normal approximation with the tie correction of the
 * variance and a continuity correction of 1/2. No difference left: p = 1.
 */
typedef struct {
    int n;          /* nonzero differences */
    double w_plus;  /* sum of the ranks of the positive differences */
    int exact;      /* 1: exact distribution; 0: normal approximation */
    double p;       /* two-sided */
    double p_greater; /* one-sided, against differences tending to be positive */
    double p_less;    /* one-sided, against differences tending to be negative */
} dn_wilcoxon;
int dn_wilcoxon_signed_rank(const double *d, int n, dn_wilcoxon *out, dn_err *err);

/*
 * Paired comparison of b against a (b[i] - a[i]): the interval of the mean
 * difference, the paired t-test (two-sided; t = mean / (sd / sqrt(n)), n - 1
 * degrees of freedom) and the Wilcoxon signed-rank test. Differences that
 * are all equal: t = 0 and p = 1 when they are 0, t = +-inf and p = 0
 * otherwise. n = 1: t, p_t and the interval are NaN.
 */
typedef struct {
    int n;
    dn_interval diff;
    double t, p_t;
    dn_wilcoxon wilcoxon;
} dn_paired;
int dn_paired_compare(const double *a, const double *b, int n, double level, dn_paired *out,
                      dn_err *err);

/* Unpaired comparison of b against a: mean(b) - mean(a), its interval and
 * Welch's t-test (two-sided; Welch-Satterthwaite degrees of freedom). Needs
 * at least 2 values on each side. */
typedef struct {
    double diff;
    double lo, hi;
    double t, df, p;
} dn_welch;
int dn_welch_compare(const double *a, int na, const double *b, int nb, double level,
                     dn_welch *out, dn_err *err);

/* ---------------------------------------------------------------- figures */
/*
 * Figures are drawn with PLplot's cairo driver: PNG (pngcairo) or SVG
 * (svgcairo), chosen by the file name's extension. Size 640x480 pixels times
 * scale (1 to 4; 2 for high-density screens). Files are written to a
 * temporary file in the same directory and renamed into place. A missing
 * driver is DN_EUNAVAILABLE. PLplot keeps global state: figures are drawn
 * one at a time (calls from several threads wait for each other).
 */

/* DN_OK when both cairo devices are installed. */
int dn_plot_available(dn_err *err);

/*
 * Metrics of one or more runs against epochs; metrics NULL (n_metrics 0):
 * training and test loss and accuracy. Losses, accuracies, the gap and the
 * seconds get a panel each (stacked, sharing the epoch axis). Training
 * metrics are drawn at the resolution of steps.csv when the run has one.
 * One run: training solid, test dashed with markers, titled with the run's
 * settings. Several runs: a colour and a marker shape per run, legend entries
 * from dn_run_labels, title from the settings they share. Markers stay at
 * least 12 pixels apart (every k-th epoch of long runs). A series is one
 * path in the SVG up to 250 points; PLplot draws longer ones in pieces that
 * share their end points.
 */
int dn_plot_curves(const char *path, const dn_run *runs, int n_runs, const dn_metric *metrics,
                   int n_metrics, double scale, dn_err *err);

/* Examples 0..n-1 of ds (n <= 18) in a grid of 6 columns with their true and
 * predicted class names; misclassified ones get a red caption and a red
 * frame. class_names has ds->classes entries (NULL: dn_fmnist_classes). */
#define DN_PLOT_GRID_MAX 18
int dn_plot_predictions(const char *path, const dn_dataset *ds, const uint8_t *pred, int n,
                        const char *const *class_names, const char *title, double scale,
                        dn_err *err);
/* The pixel rectangle {x0, y0, x1, y1} (origin top left, x1 and y1
 * exclusive) of example i's image in that figure; the frame surrounds it. */
void dn_plot_predictions_cell(int i, int n, double scale, int rect[4]);

/* ------------------------------------------------- figures of experiments */

/* A curve with its confidence band: y[i], within [lo[i], hi[i]], at x[i].
 * lo and hi may be NULL (no band) or hold NaN (no band at that point). */
typedef struct {
    const char *label;
    int n;
    const double *x, *y, *lo, *hi;
} dn_band;

typedef struct {
    const char *ylabel;
    const dn_band *bands; /* 1 to 4; band k has the same colour, marker and line in
                           * every panel, and the legend names the first panel's */
    int n_bands;
    bool zero_line;       /* a dashed line at y = 0 */
} dn_band_panel;

/* Panels of curves with shaded bands against x: 1 or 2 panels stacked, 3 or
 * 4 in two columns. title: one line, or two separated by a newline. */
int dn_plot_bands(const char *path, const dn_band_panel *panels, int n_panels, const char *title,
                  const char *xlabel, double scale, dn_err *err);

/* Pairs (a[i], b[i]), e.g. one configuration against another per seed. Left:
 * a line from a[i] to b[i] per pair, blue where b is higher, vermillion where
 * lower, grey where equal. Right: the differences b[i] - a[i] at x[i], their
 * mean and its 95 % interval (shaded), and 0 (dashed). */
typedef struct {
    int n;                     /* 1 to 1000 */
    const double *a, *b;
    const double *x;           /* NULL: 1..n */
    const char *label_a, *label_b;
    const char *ylabel;        /* of a and b */
    const char *dlabel;        /* of the differences (NULL: "B - A") */
    const char *xlabel;        /* of x, e.g. "seed" */
    const char *title;         /* one line, or two separated by a newline */
} dn_paired_fig;
int dn_plot_paired(const char *path, const dn_paired_fig *fig, double scale, dn_err *err);

/* A grid of nx x ny cells coloured by value (viridis: dark is low, yellow
 * high), each with its value written in it, and a colour bar. */
typedef struct {
    int nx, ny;                 /* 1 to 32 each */
    const double *z;            /* ny rows of nx, row 0 at the bottom; NaN: no value (grey) */
    const char *const *xticks;  /* nx labels of the columns */
    const char *const *yticks;  /* ny labels of the rows */
    const char *xlabel, *ylabel, *zlabel;
    const char *title;
    const char *note;           /* a smaller line under the title (may be NULL) */
    int best;                   /* cell y * nx + x framed thick; -1: none */
    const unsigned char *marked; /* nx * ny flags: cells framed thin (may be NULL) */
    int decimals;               /* of the values written in the cells, 0 to 6 */
} dn_heatmap;
int dn_plot_heatmap(const char *path, const dn_heatmap *h, double scale, dn_err *err);
/* The pixel rectangle {x0, y0, x1, y1} (origin top left, x1 and y1
 * exclusive) of cell (x, y) in that figure. */
void dn_plot_heatmap_cell(const dn_heatmap *h, int x, int y, double scale, int rect[4]);



#ifdef __cplusplus
}
#endif
#endif /* DROPNET_H */
