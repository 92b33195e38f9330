/* Error messages (src/core/error.c): one line, and a long path shortened in
 * its middle so that the reason after it survives the fixed-size buffer. */
#include "helpers.h"
#include "core/internal.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(error, long_path_keeps_the_reason)
{
    char path[1200] = "/home/user";
    while (strlen(path) < 1100)
        strcat(path, "/very-long-directory-name");
    strcat(path, "/run7");
    dn_err err = {0};
    cr_assert_eq(dn_fail(&err, DN_EINVAL, "%s: not empty and not a run directory (it holds "
                         "config.json); use a new or empty directory", path), DN_EINVAL);
    cr_assert_eq(err.code, DN_EINVAL);
    cr_assert_lt(strlen(err.msg), sizeof err.msg);
    cr_assert_gt(strlen(err.msg), sizeof err.msg - 8, "the buffer is used, not wasted");
    cr_assert_eq(strncmp(err.msg, "/home/user/very-long", 20), 0, "%s", err.msg);
    cr_assert(strstr(err.msg, "..."), "%s", err.msg);
    cr_assert(strstr(err.msg, "-directory-name/run7: not empty"), "the path's end stays: %s",
              err.msg);
    cr_assert(strstr(err.msg, "(it holds config.json); use a new or empty directory"),
              "the reason stays whole: %s", err.msg);
}

Test(error, two_paths_both_shortened)
{
    char a[700], b[700];
    memset(a, 'a', sizeof a - 1);
    memset(b, 'b', sizeof b - 1);
    a[0] = b[0] = '/';
    a[sizeof a - 1] = b[sizeof b - 1] = '\0';
    dn_err err = {0};
    dn_fail(&err, DN_EIO, "cannot rename %s to %s: No space left on device", a, b);
    cr_assert_lt(strlen(err.msg), sizeof err.msg);
    cr_assert(strstr(err.msg, "cannot rename /aaa"), "%s", err.msg);
    cr_assert(strstr(err.msg, "bbb: No space left on device"), "%s", err.msg);
    cr_assert(strstr(err.msg, "aaa to /bbb"), "%s", err.msg);
    /* Both paths cut alike: neither loses all to the other. */
    const char *to = strstr(err.msg, " to ");
    size_t la = (size_t)(to - strstr(err.msg, "/a")), lb = strlen(to + 4) - strlen(": No space left on device");
    cr_assert(la == lb || la == lb + 1 || lb == la + 1, "%zu and %zu: %s", la, lb, err.msg);
}

Test(error, short_messages_untouched_and_one_line)
{
    dn_err err = {0};
    dn_fail(&err, DN_EFORMAT, "%s:%d: bad\nvalue", "x.csv", 3);
    cr_assert_str_eq(err.msg, "x.csv:3: bad?value");
    char m[64] = "short message";
    dn_message_fit(m, sizeof m);
    cr_assert_str_eq(m, "short message");
}

/* No word long enough to shorten: cut at the end, on a character boundary,
 * marked with "...". */
Test(error, no_long_word_cut_at_the_end)
{
    char m[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(m, "\xc3\xa9t\xc3\xa9 ");
    dn_message_fit(m, 32);
    cr_assert_lt(strlen(m), 32);
    cr_assert_eq(strcmp(m + strlen(m) - 3, "..."), 0, "%s", m);
    /* Not inside the two-byte é. */
    cr_assert_neq((unsigned char)m[strlen(m) - 4], 0xc3, "%s", m);
}

/* A path of multibyte characters is cut between characters. */
Test(error, cut_between_characters)
{
    char m[2048] = "/";
    for (int i = 0; i < 300; i++)
        strcat(m, "\xc3\xa9");
    strcat(m, ": gone");
    dn_message_fit(m, 100);
    cr_assert_lt(strlen(m), 100);
    const char *dots = strstr(m, "...");
    cr_assert_not_null(dots, "%s", m);
    cr_assert_eq((unsigned char)dots[3], 0xc3, "a whole character after the cut: %s", m);
    cr_assert_eq((unsigned char)dots[-1], 0xa9, "a whole character before the cut: %s", m);
    cr_assert(strstr(m, "\xc3\xa9: gone"), "%s", m);
}
