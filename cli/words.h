/* Splitting an option string such as "--dropout 0.5,0.2 --train 'my data.csv'"
 * into words, for compare's --a and --b. */
#ifndef DN_CLI_WORDS_H
#define DN_CLI_WORDS_H

#include <stddef.h>

typedef struct {
    int argc;    /* words, argv[0] included */
    char **argv; /* argv[argc] is NULL */
    char *text;  /* storage of the words */
} word_list;

/* Splits text as a POSIX shell splits a simple command, without any
 * expansion: blanks (space, tab, newline) separate words; inside '...'
 * every character is literal; inside "..." a backslash escapes only " and
 * \; elsewhere a backslash makes the next character literal. Quotes join
 * with what touches them ("a"'b'c is one word abc); '' is an empty word.
 * argv[0] becomes name. Returns 0, or -1 with a message in msg (an
 * unterminated quote, a trailing backslash, no memory). */
int words_split(const char *name, const char *text, word_list *out, char *msg, size_t msgsz);
void words_free(word_list *w);

#endif
