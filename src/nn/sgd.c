#include "core/internal.h"

#include <omp.h>

void dn_sgd_update(float *w, const float *g, size_t n, float lr, float wd)
{
    #pragma omp parallel if (n >= DN_PAR_MIN)
    {
        size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        dn_sgd_range(w, g, n * t / nt, n * (t + 1) / nt, lr, wd);
    }
}
