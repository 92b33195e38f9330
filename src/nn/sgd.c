#include "core/internal.h"

#include <omp.h>

void dn_sgd_update(float *w, const float *g, size_t n, float lr, float wd)
{
    dn_sgd_job job = {w, g, n, wd};
    #pragma omp parallel if (n >= DN_PAR_MIN)
    dn_sgd_jobs(&job, 1, lr, omp_get_thread_num(), omp_get_num_threads());
}
