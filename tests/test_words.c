/* The option-string splitter of compare's --a and --b (cli/words.c). */
#include "words.h"

#include <criterion/criterion.h>
#include <string.h>

static void expect(const char *text, int n, const char *const *want)
{
    word_list w;
    char msg[200];
    cr_assert_eq(words_split("--a", text, &w, msg, sizeof msg), 0, "%s: %s", text, msg);
    cr_assert_eq(w.argc, n + 1, "%s: %d words", text, w.argc - 1);
    cr_assert_str_eq(w.argv[0], "--a");
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(w.argv[i + 1], want[i], "%s: word %d", text, i + 1);
    cr_assert_null(w.argv[n + 1]);
    words_free(&w);
}

Test(words, blanks_separate_words)
{
    expect("", 0, NULL);
    expect("   \t\n ", 0, NULL);
    expect("--dropout 0.2,0.5", 2, (const char *[]){"--dropout", "0.2,0.5"});
    expect("  --lr\t0.1 \n--epochs=3  ", 3, (const char *[]){"--lr", "0.1", "--epochs=3"});
    expect("a b c d e f g", 7, (const char *[]){"a", "b", "c", "d", "e", "f", "g"});
}

Test(words, quotes_and_backslashes)
{
    expect("--train 'my data/train set.csv'", 2,
           (const char *[]){"--train", "my data/train set.csv"});
    expect("--train \"a b\"", 2, (const char *[]){"--train", "a b"});
    expect("--x 'it''s'", 2, (const char *[]){"--x", "its"});
    expect("\"a\"'b'c", 1, (const char *[]){"abc"});
    expect("'' x", 2, (const char *[]){"", "x"});
    expect("'a \\ b'", 1, (const char *[]){"a \\ b"}); /* literal in single quotes */
    expect("\"say \\\"hi\\\" \\\\ \\n\"", 1, (const char *[]){"say \"hi\" \\ \\n"});
    expect("a\\ b c", 2, (const char *[]){"a b", "c"});
    expect("'\"'", 1, (const char *[]){"\""});
}

Test(words, errors)
{
    word_list w;
    char msg[200];
    cr_assert_eq(words_split("--a", "--train 'x", &w, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "unterminated ' quote"), "%s", msg);
    cr_assert_null(w.argv);
    cr_assert_eq(words_split("--a", "\"abc", &w, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "unterminated \" quote"), "%s", msg);
    cr_assert_eq(words_split("--a", "abc\\", &w, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "trailing backslash"), "%s", msg);
}
