/* Softmax cross-entropy, computed through log-sum-exp so large logits
 * neither overflow nor lose the loss to rounding. */
#include "core/internal.h"

#include <math.h>

int dn_argmax(const float *row, int C)
{
    int best = 0;
    for (int j = 1; j < C; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

static float row_max(const float *z, int C)
{
    float m = z[0];
    for (int j = 1; j < C; j++)
        m = z[j] > m ? z[j] : m;
    return m;
}

/* q[j] = exp(z[j] - max z); returns their sum. */
static float exp_row(float *q, const float *z, int C)
{
    float m = row_max(z, C);
    float s = 0.0f;
    for (int j = 0; j < C; j++) {
        q[j] = expf(z[j] - m);
        s += q[j];
    }
    return s;
}

void dn_softmax_xent_forward(float *losses, const float *logits, const uint8_t *labels, int B,
                             int C)
{
    #pragma omp parallel for schedule(static) if ((size_t)B * (size_t)C >= DN_PAR_MIN)
    for (int r = 0; r < B; r++) {
        const float *z = logits + (size_t)r * C;
        float m = row_max(z, C);
        float s = 0.0f;
        for (int j = 0; j < C; j++)
            s += expf(z[j] - m);
        losses[r] = (m - z[labels[r]]) + logf(s);
    }
}

void dn_softmax_xent_backward(float *dlogits, const float *logits, const uint8_t *labels,
                              int B, int C, float scale)
{
    #pragma omp parallel for schedule(static) if ((size_t)B * (size_t)C >= DN_PAR_MIN)
    for (int r = 0; r < B; r++) {
        float *d = dlogits + (size_t)r * C;
        float inv = 1.0f / exp_row(d, logits + (size_t)r * C, C);
        for (int j = 0; j < C; j++)
            d[j] = (d[j] * inv - (j == labels[r] ? 1.0f : 0.0f)) * scale;
    }
}

void dn_softmax_forward(float *probs, const float *logits, int B, int C)
{
    for (int r = 0; r < B; r++) {
        float *q = probs + (size_t)r * C;
        float s = exp_row(q, logits + (size_t)r * C, C);
        for (int j = 0; j < C; j++)
            q[j] /= s;
    }
}
