#include "core/internal.h"

void dn_relu_forward(float *out, const float *inp, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void dn_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dn_keep_or_zero(dout[i], out[i] > 0.0f);
}
