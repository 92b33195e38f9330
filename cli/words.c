/* A shell-like word splitter without expansions (see words.h). */
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

int words_split(const char *name, const char *text, word_list *out, char *msg, size_t msgsz)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    /* Words never hold more characters than the text, and at most one word
     * starts per character: both bounds need no second pass. */
    out->text = malloc(len + strlen(name) + 2);
    out->argv = malloc((len / 2 + 3) * sizeof *out->argv);
    if (!out->text || !out->argv) {
        words_free(out);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    char *w = out->text;
    strcpy(w, name);
    out->argv[out->argc++] = w;
    w += strlen(name) + 1;
    const char *p = text;
    for (;;) {
        while (blank(*p))
            p++;
        if (!*p)
            break;
        char *start = w;
        while (*p && !blank(*p)) {
            if (*p == '\'') {
                const char *close = strchr(p + 1, '\'');
                if (!close) {
                    snprintf(msg, msgsz, "unterminated ' quote in \"%s\"", text);
                    goto fail;
                }
                memcpy(w, p + 1, (size_t)(close - p - 1));
                w += close - p - 1;
                p = close + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    *w++ = *p++;
                }
                if (!*p) {
                    snprintf(msg, msgsz, "unterminated \" quote in \"%s\"", text);
                    goto fail;
                }
                p++;
            } else if (*p == '\\') {
                if (!p[1]) {
                    snprintf(msg, msgsz, "trailing backslash in \"%s\"", text);
                    goto fail;
                }
                *w++ = p[1];
                p += 2;
            } else {
                *w++ = *p++;
            }
        }
        *w++ = '\0';
        out->argv[out->argc++] = start;
    }
    out->argv[out->argc] = NULL;
    return 0;
fail:
    words_free(out);
    return -1;
}

void words_free(word_list *w)
{
    free(w->argv);
    free(w->text);
    memset(w, 0, sizeof *w);
}
