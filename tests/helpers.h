/* Test helpers: scratch files and small IDX files written by the tests. */
#ifndef DN_TEST_HELPERS_H
#define DN_TEST_HELPERS_H

#include "dropnet.h"
#include "dropnet_experiment.h"

#include <stddef.h>
#include <stdint.h>

/* A fresh directory for this test process; paths inside it. */
const char *tmp_dir(void);
const char *tmp_path(const char *name);
/* Writes bytes to a file (gzip-compressed when gz). */
void write_bytes(const char *path, const void *data, size_t n, int gz);
/* An IDX file: magic 0x0803 (images) or 0x0801 (labels), then the dims. */
size_t idx_header(unsigned char *out, int ndims, const uint32_t *dims);
void write_idx(const char *path, int ndims, const uint32_t *dims, const uint8_t *data, size_t n,
               int gz);
/* Fills a small synthetic dataset: n 28x28 images whose class is learnable. */
void synthetic_dataset(dn_dataset *ds, size_t n, uint64_t seed);

/* Every Linear parameter's gradient of the mean cross-entropy of (x, y), b
 * rows, in the network's current mode and random step, by a
 * backward pass, against central differences of that loss with step h:
 * fails the test on the first |analytic - numeric| above 2e-3 + 1e-2 times
 * the larger of the two. Returns the count checked; *nonzero gets the count
 * of nonzero gradients. */
int check_net_gradients(dn_net *net, const float *x, const uint8_t *y, int b, float h,
                        int *nonzero);

/* The count of leaked blocks LeakSanitizer finds now (it prints them), in
 * the sanitizer build; 0 elsewhere. Criterion's test processes end without
 * the leak check that runs at exit, so the tests of error paths call it. */
int leaks_now(void);

#endif
