/* A small table read from a CSV file (RFC 4180: quoted fields may hold
 * commas, quotes and line ends): a header row and rows of text fields. */
#ifndef DN_CLI_CSV_TABLE_H
#define DN_CLI_CSV_TABLE_H

#include <stddef.h>

typedef struct {
    int cols, rows;
    char **header;  /* cols names */
    char **cell;    /* rows x cols texts, row-major */
    int *line;      /* the line each row starts on, for messages */
} csv_table;

/* Reads path (at most 64 MiB); a UTF-8 byte-order mark is skipped, blank
 * lines are ignored. 0, or an exit status after a one-line error naming the
 * file, the line and the problem. */
int csv_table_read(const char *path, csv_table *t);
void csv_table_free(csv_table *t);
/* The column named name, or -1. */
int csv_table_column(const csv_table *t, const char *name);

#endif
