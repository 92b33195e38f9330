/* The data of a training run (Fashion-MNIST or CSV) and the model info that
 * records how its inputs were prepared. */
#ifndef DN_CLI_TRAIN_DATA_H
#define DN_CLI_TRAIN_DATA_H

#include "cli.h"

/* path made absolute when it names an existing file (else left as it is). */
void make_absolute(char *path, size_t size);
/* Info of a model that takes Fashion-MNIST images: pixels / 255, 28 x 28,
 * the ten class names. */
void fmnist_model_info(dn_model_info *info);
/* Loads the run's data: Fashion-MNIST from data_dir, or cfg->csv's files
 * (then cfg->arch.inputs and outputs come from the data, and the features
 * are scaled or standardised as configured, with statistics from the
 * training set only). With cfg->val, that many examples of the training
 * data go to val (a seeded, class-balanced split), the rest to train;
 * otherwise val is empty. */
int load_run_data(dn_config *cfg, const char *data_dir, dn_dataset *train, dn_dataset *val,
                  dn_dataset *test, dn_model_info *info, dn_err *err);

/* One-line warnings about settings that train but cannot learn: a dropout
 * probability of 1 (every unit dropped, later layers see zeros), training
 * data of one class. */
void train_data_warnings(const dn_config *cfg, const dn_dataset *train);

#endif
