#include "core/internal.h"

void dn_sgd_update(float *w, const float *g, size_t n, float lr, float wd)
{
    if (wd == 0.0f) {
        #pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            w[i] -= lr * g[i];
    } else {
        #pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            w[i] -= lr * (g[i] + wd * w[i]);
    }
}
