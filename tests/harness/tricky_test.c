/* User tests a parser of C would lose: a comment opener inside a string, quotes in
 * comments and character constants, a test made by the user's own macro. Every one of
 * them must run. */
#include "counters.subskel.h"
#include "bpfsubskel_test.h"

static const char *pin_glob = "/sys/fs/bpf/*"; /* where pinned maps live */

SUBSKEL_TEST(counters, after_a_comment_opener_in_a_string)
{
	ASSERT_STREQ(pin_glob + strlen(pin_glob) - 2, "/*", "the string's tail");
}

// a line comment with a "quote and a /* opener
SUBSKEL_TEST(counters, after_a_line_comment)
{
	ASSERT_EQ(*lib->data.generation, 7, "generation");
}

static const char quote = '"';

SUBSKEL_TEST(counters, after_a_quote_character)
{
	ASSERT_EQ(quote, '"', "quote");
}

#define COUNTERS_TEST(name) SUBSKEL_TEST(counters, name)

COUNTERS_TEST(made_by_a_macro) /* the comment that closes the string's "opener": */
{
	ASSERT_OK_PTR(lib->maps.last_len, "last_len map");
}
