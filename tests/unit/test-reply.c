/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of smtp/reply.c: single and multi-line replies, enhanced status
 * codes, malformed replies, the line length and line count limits, and
 * the mapping of codes to temporary and permanent.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "smtp/reply.h"

typedef struct {
	const char *label;
	const char *input;
	/* expected: 0 for "needs more input", -1 for an error */
	int code;
	int error_code;          /* MmErrorCode when code == -1 */
	const char *enhanced;    /* NULL: none */
	const char *text;        /* mm_smtp_reply_to_string() */
	gsize consumed;          /* 0: the whole input */
} ParseCase;

static const ParseCase parse_cases[] = {
	{ "single", "250 OK\r\n", 250, 0, NULL, "250 OK", 0 },
	{ "single-lf", "250 OK\n", 250, 0, NULL, "250 OK", 0 },
	{ "code-only", "250\r\n", 250, 0, NULL, "250", 0 },
	{ "code-space", "354 \r\n", 354, 0, NULL, "354", 0 },
	{ "enhanced", "550 5.1.1 <x@y>: no such user\r\n", 550, 0, "5.1.1",
	  "550 5.1.1 <x@y>: no such user", 0 },
	{ "enhanced-3-digits", "452 4.5.301 too many\r\n", 452, 0, "4.5.301",
	  "452 4.5.301 too many", 0 },
	{ "enhanced-wrong-class", "550 4.1.1 odd\r\n", 550, 0, NULL, "550 4.1.1 odd", 0 },
	{ "enhanced-4-digits", "550 5.1.1234 odd\r\n", 550, 0, NULL, "550 5.1.1234 odd", 0 },
	{ "enhanced-alone", "250 2.0.0\r\n", 250, 0, "2.0.0", "250 2.0.0", 0 },
	{ "not-enhanced-version", "220 mx 5.0 ESMTP\r\n", 220, 0, NULL, "220 mx 5.0 ESMTP", 0 },
	{ "multi", "250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 250, 0, NULL,
	  "250 mx.example.org / PIPELINING / SIZE 1000", 0 },
	{ "multi-enhanced-first-line", "550-5.7.1 no\r\n550 5.7.1 really\r\n", 550, 0, "5.7.1",
	  "550 5.7.1 no / 5.7.1 really", 0 },
	{ "multi-empty-continuation", "250-\r\n250 x\r\n", 250, 0, NULL, "250 / x", 0 },
	{ "two-replies", "250 one\r\n251 two\r\n", 250, 0, NULL, "250 one", 9 },
	{ "control-chars-replaced", "250 a\033[1mb\tc\r\n", 250, 0, NULL, "250 a?[1mb c", 0 },
	{ "incomplete-line", "250 OK", 0, 0, NULL, NULL, 0 },
	{ "incomplete-multi", "250-a\r\n250-b\r\n", 0, 0, NULL, NULL, 0 },
	{ "empty", "", 0, 0, NULL, NULL, 0 },
	{ "malformed-letters", "abc def\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-short", "25\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-empty-line", "\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-separator", "250:OK\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-1xx", "150 go on\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-6xx", "650 what\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-0xx", "050 what\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-four-digits", "2500 what\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-code-change", "250-a\r\n550 b\r\n", -1, MM_ERROR_PARSE, NULL, NULL, 0 },
	{ "malformed-continuation-text", "250-a\r\nmore text\r\n", -1, MM_ERROR_PARSE, NULL, NULL,
	  0 },
};

static void
test_parse(gconstpointer data)
{
	const ParseCase *c = data;
	g_autoptr(GError) error = NULL;
	gsize consumed = 12345;
	g_autoptr(MmSmtpReply) reply =
		mm_smtp_reply_parse(c->input, strlen(c->input), &consumed, &error);

	if (c->code == -1) {
		g_assert_null(reply);
		g_assert_error(error, MM_ERROR, c->error_code);
		return;
	}
	g_assert_no_error(error);
	if (c->code == 0) {
		g_assert_null(reply);
		g_assert_cmpuint(consumed, ==, 0);
		return;
	}
	g_assert_nonnull(reply);
	g_assert_cmpuint(reply->code, ==, c->code);
	g_assert_cmpstr(reply->enhanced, ==, c->enhanced);
	{
		g_autofree char *text = mm_smtp_reply_to_string(reply);

		g_assert_cmpstr(text, ==, c->text);
	}
	g_assert_cmpuint(consumed, ==, c->consumed ? c->consumed : strlen(c->input));
}

/* A line of exactly @len octets with its CRLF. */
static char *
line_of(const char *prefix, gsize len)
{
	GString *s = g_string_new(prefix);

	while (s->len < len - 2)
		g_string_append_c(s, 'x');
	g_string_append(s, "\r\n");
	g_assert_cmpuint(s->len, ==, len);
	return g_string_free(s, FALSE);
}

static void
test_line_limit(void)
{
	g_autofree char *at = line_of("250 ", MM_SMTP_REPLY_LINE_MAX);
	g_autofree char *over = line_of("250 ", MM_SMTP_REPLY_LINE_MAX + 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSmtpReply) ok = mm_smtp_reply_parse(at, strlen(at), NULL, &error);
	MmSmtpReply *bad;

	g_assert_no_error(error);
	g_assert_nonnull(ok);
	g_assert_cmpuint(strlen(ok->lines[0]), ==, MM_SMTP_REPLY_LINE_MAX - 6);

	bad = mm_smtp_reply_parse(over, strlen(over), NULL, &error);
	g_assert_null(bad);
	g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
	g_clear_error(&error);

	/* a line still without its end: an error as soon as it is too long */
	bad = mm_smtp_reply_parse(over, MM_SMTP_REPLY_LINE_MAX - 2, NULL, &error);
	g_assert_null(bad);
	g_assert_no_error(error);
	bad = mm_smtp_reply_parse(over, MM_SMTP_REPLY_LINE_MAX - 1, NULL, &error);
	g_assert_null(bad);
	g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
}

static void
test_lines_limit(void)
{
	for (int n = MM_SMTP_REPLY_LINES_MAX; n <= MM_SMTP_REPLY_LINES_MAX + 1; n++) {
		GString *s = g_string_new(NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(MmSmtpReply) reply = NULL;

		for (int i = 0; i < n - 1; i++)
			g_string_append_printf(s, "250-line %d\r\n", i);
		g_string_append(s, "250 last\r\n");
		reply = mm_smtp_reply_parse(s->str, s->len, NULL, &error);
		if (n <= MM_SMTP_REPLY_LINES_MAX) {
			g_assert_no_error(error);
			g_assert_cmpuint(g_strv_length(reply->lines), ==, n);
		} else {
			g_assert_null(reply);
			g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
		}
		g_string_free(s, TRUE);
	}
}

/* The parser starts over after an error and after each reply. */
static void
test_parser_reuse(void)
{
	g_autoptr(MmSmtpReplyParser) p = mm_smtp_reply_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSmtpReply) r1 = NULL;
	g_autoptr(MmSmtpReply) r2 = NULL;

	g_assert_null(mm_smtp_reply_parser_feed(p, "250-a", 5, &error));
	g_assert_no_error(error);
	g_assert_null(mm_smtp_reply_parser_feed(p, "251 b", 5, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
	g_clear_error(&error);

	r1 = mm_smtp_reply_parser_feed(p, "421 4.3.2 bye\r", 14, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(r1->code, ==, 421);
	g_assert_cmpstr(r1->enhanced, ==, "4.3.2");
	g_assert_cmpstr(r1->lines[0], ==, "4.3.2 bye");
	g_assert_null(r1->lines[1]);

	g_assert_null(mm_smtp_reply_parser_feed(p, "250-x", 5, &error));
	r2 = mm_smtp_reply_parser_feed(p, "250 y", 5, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(r2->lines), ==, 2);
	g_assert_null(r2->enhanced);
}

typedef struct {
	const char *label;
	guint code;
	MmSmtpReplyKind kind;
	int error_code;
} KindCase;

static const KindCase kind_cases[] = {
	{ "250", 250, MM_SMTP_REPLY_POSITIVE, MM_ERROR_TEMPORARY },
	{ "221", 221, MM_SMTP_REPLY_POSITIVE, MM_ERROR_TEMPORARY },
	{ "354", 354, MM_SMTP_REPLY_INTERMEDIATE, MM_ERROR_TEMPORARY },
	{ "334", 334, MM_SMTP_REPLY_INTERMEDIATE, MM_ERROR_TEMPORARY },
	{ "421", 421, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
	{ "451", 451, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
	{ "452", 452, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
	{ "500", 500, MM_SMTP_REPLY_PERMANENT, MM_ERROR_FAILED },
	{ "550", 550, MM_SMTP_REPLY_PERMANENT, MM_ERROR_FAILED },
	{ "554", 554, MM_SMTP_REPLY_PERMANENT, MM_ERROR_FAILED },
	{ "599", 599, MM_SMTP_REPLY_PERMANENT, MM_ERROR_FAILED },
	{ "0", 0, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
	{ "150", 150, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
	{ "600", 600, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
	{ "999", 999, MM_SMTP_REPLY_TEMPORARY, MM_ERROR_TEMPORARY },
};

static void
test_kind(gconstpointer data)
{
	const KindCase *c = data;
	char *lines[] = { (char *)"text", NULL };
	MmSmtpReply reply = { .code = c->code, .enhanced = NULL, .lines = lines };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(mm_smtp_reply_kind(c->code), ==, c->kind);
	mm_smtp_reply_set_error(&reply, &error, "RCPT TO:<%s>", "a@b");
	g_assert_error(error, MM_ERROR, c->error_code);
	g_assert_true(g_str_has_prefix(error->message, "RCPT TO:<a@b>: "));
	g_assert_true(g_str_has_suffix(error->message, " text"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		g_autofree char *path = g_strdup_printf("/smtp/reply/parse/%s", parse_cases[i].label);

		g_test_add_data_func(path, &parse_cases[i], test_parse);
	}
	g_test_add_func("/smtp/reply/limit/line-length", test_line_limit);
	g_test_add_func("/smtp/reply/limit/line-count", test_lines_limit);
	g_test_add_func("/smtp/reply/parser/reuse", test_parser_reuse);
	for (gsize i = 0; i < G_N_ELEMENTS(kind_cases); i++) {
		g_autofree char *path = g_strdup_printf("/smtp/reply/kind/%s", kind_cases[i].label);

		g_test_add_data_func(path, &kind_cases[i], test_kind);
	}
	return g_test_run();
}
