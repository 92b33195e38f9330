/* The d2l model "from scratch": parameters, the forward pass, the backward
 * pass and SGD written out by hand with dropnet's layer functions, the way
 * d2l's from-scratch section does. For the same seed it prints exactly what
 * examples/concise.c prints. */
#include "common.h"

#include <math.h>

enum { IN = 784, H1 = 256, H2 = 256, OUT = 10, BATCH = 256 };
static const float P1 = 0.2f, P2 = 0.5f, LR = 0.5f, SIGMA = 0.01f;

/* Weights N(0, SIGMA^2) from the init stream of Linear layer j; zero biases. */
static void init_linear(float *w, float *b, int in, int out, int j, unsigned long long seed)
{
    dn_stream s = {seed, DN_PURPOSE_INIT, (uint32_t)(2 * j)};
    for (size_t k = 0; k < (size_t)in * (size_t)out; k++)
        w[k] = (float)(SIGMA * dn_normal(s, k));
    memset(b, 0, (size_t)out * sizeof *b);
}

static float *falloc(size_t n) { return calloc(n, sizeof(float)); }

int main(int argc, char **argv)
{
    example_opts o;
    dn_dataset train, test;
    if (example_start(argc, argv, &o, &train, &test))
        return 2;
    const int R = EXAMPLE_EVAL_BLOCK; /* rows of every buffer */
    float *W1 = falloc(H1 * IN), *b1 = falloc(H1), *W2 = falloc(H2 * H1), *b2 = falloc(H2);
    float *W3 = falloc(OUT * H2), *b3 = falloc(OUT);
    float *dW1 = falloc(H1 * IN), *db1 = falloc(H1), *dW2 = falloc(H2 * H1), *db2 = falloc(H2);
    float *dW3 = falloc(OUT * H2), *db3 = falloc(OUT);
    float *X = falloc((size_t)R * IN), *Z1 = falloc((size_t)R * H1), *A1 = falloc((size_t)R * H1);
    float *D1 = falloc((size_t)R * H1), *Z2 = falloc((size_t)R * H2), *A2 = falloc((size_t)R * H2);
    float *D2 = falloc((size_t)R * H2), *O = falloc((size_t)R * OUT), *dO = falloc((size_t)R * OUT);
    float *g1 = falloc((size_t)R * H1), *g2 = falloc((size_t)R * H1), *loss = falloc(R);
    uint8_t *M1 = malloc((size_t)R * H1), *M2 = malloc((size_t)R * H2), *y = malloc(R);
    uint32_t *perm = malloc(train.n * sizeof *perm), *idx = malloc(R * sizeof *idx);
    if (!W1 || !b1 || !W2 || !b2 || !W3 || !b3 || !dW1 || !db1 || !dW2 || !db2 || !dW3 ||
        !db3 || !X || !Z1 || !A1 || !D1 || !Z2 || !A2 || !D2 || !O || !dO || !g1 || !g2 ||
        !loss || !M1 || !M2 || !y || !perm || !idx) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    init_linear(W1, b1, IN, H1, 0, o.seed);
    init_linear(W2, b2, H1, H2, 1, o.seed);
    init_linear(W3, b3, H2, OUT, 2, o.seed);

    size_t steps = (train.n + BATCH - 1) / BATCH;
    for (int e = 0; e < o.epochs; e++) {
        dn_shuffle(perm, (uint32_t)train.n, o.seed, (uint32_t)e);
        double lsum = 0.0;
        size_t correct = 0;
        for (size_t s = 0; s < steps; s++) {
            size_t lo = s * BATCH;
            int B = (int)(train.n - lo < BATCH ? train.n - lo : BATCH);
            uint32_t step = (uint32_t)((size_t)e * steps + s);
            dn_batch_images(X, &train, perm + lo, (size_t)B);
            for (int r = 0; r < B; r++)
                y[r] = train.labels[perm[lo + (size_t)r]];
            /* forward: dropout after each hidden ReLU, training mode */
            dn_linear_forward(Z1, X, W1, b1, B, IN, H1);
            dn_relu_forward(A1, Z1, (size_t)B * H1);
            dn_dropout_forward(D1, M1, A1, (size_t)B * H1, P1,
                               dn_dropout_stream(o.seed, 1, step), NULL);
            dn_linear_forward(Z2, D1, W2, b2, B, H1, H2);
            dn_relu_forward(A2, Z2, (size_t)B * H2);
            dn_dropout_forward(D2, M2, A2, (size_t)B * H2, P2,
                               dn_dropout_stream(o.seed, 2, step), NULL);
            dn_linear_forward(O, D2, W3, b3, B, H2, OUT);
            dn_softmax_xent_forward(loss, O, y, B, OUT);
            for (int r = 0; r < B; r++) {
                lsum += loss[r];
                correct += dn_argmax(O + (size_t)r * OUT, OUT) == y[r];
            }
            /* backward: the same masks, mean loss over the batch */
            dn_softmax_xent_backward(dO, O, y, B, OUT, 1.0f / (float)B);
            dn_linear_backward(g1, dW3, db3, dO, D2, W3, B, H2, OUT);
            dn_dropout_backward(g2, g1, M2, (size_t)B * H2, P2);
            dn_relu_backward(g1, g2, A2, (size_t)B * H2);
            dn_linear_backward(g2, dW2, db2, g1, D1, W2, B, H1, H2);
            dn_dropout_backward(g1, g2, M1, (size_t)B * H1, P1);
            dn_relu_backward(g2, g1, A1, (size_t)B * H1);
            dn_linear_backward(NULL, dW1, db1, g2, X, W1, B, IN, H1);
            dn_sgd_update(W1, dW1, (size_t)H1 * IN, LR, 0.0f);
            dn_sgd_update(b1, db1, H1, LR, 0.0f);
            dn_sgd_update(W2, dW2, (size_t)H2 * H1, LR, 0.0f);
            dn_sgd_update(b2, db2, H2, LR, 0.0f);
            dn_sgd_update(W3, dW3, (size_t)OUT * H2, LR, 0.0f);
            dn_sgd_update(b3, db3, OUT, LR, 0.0f);
        }
        /* evaluation: no dropout at all */
        double vsum = 0.0;
        size_t vcorrect = 0;
        for (size_t lo = 0; lo < test.n; lo += R) {
            int B = (int)(test.n - lo < (size_t)R ? test.n - lo : (size_t)R);
            for (int r = 0; r < B; r++)
                idx[r] = (uint32_t)(lo + (size_t)r);
            dn_batch_images(X, &test, idx, (size_t)B);
            dn_linear_forward(Z1, X, W1, b1, B, IN, H1);
            dn_relu_forward(A1, Z1, (size_t)B * H1);
            dn_linear_forward(Z2, A1, W2, b2, B, H1, H2);
            dn_relu_forward(A2, Z2, (size_t)B * H2);
            dn_linear_forward(O, A2, W3, b3, B, H2, OUT);
            dn_softmax_xent_forward(loss, O, test.labels + lo, B, OUT);
            for (int r = 0; r < B; r++) {
                vsum += loss[r];
                vcorrect += dn_argmax(O + (size_t)r * OUT, OUT) == test.labels[lo + (size_t)r];
            }
        }
        example_print(e + 1, lsum / (double)train.n, (double)correct / (double)train.n,
                      vsum / (double)test.n, (double)vcorrect / (double)test.n);
    }
    free(W1); free(b1); free(W2); free(b2); free(W3); free(b3);
    free(dW1); free(db1); free(dW2); free(db2); free(dW3); free(db3);
    free(X); free(Z1); free(A1); free(D1); free(Z2); free(A2); free(D2); free(O); free(dO);
    free(g1); free(g2); free(loss); free(M1); free(M2); free(y); free(perm); free(idx);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    return 0;
}
