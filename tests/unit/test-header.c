/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of msg/header.c: single fields (text kept byte for byte,
 * CRLF turned into LF, field-name validity, unfolding), header ids,
 * whole header blocks and the limits of limits.h.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "msg/header.h"

/* --- single fields ------------------------------------------------------ */

typedef struct {
	const char *label;
	const char *input;
	gsize len;           /* 0: strlen(input) */
	const char *text;    /* expected stored text, NULL when an error is expected */
	const char *name;
	const char *value;   /* expected mm_header_value_unfolded() */
	MmHeaderId id;
} FieldCase;

static const FieldCase field_cases[] = {
	{ "simple", "Subject: hello", 0, "Subject: hello\n", "Subject", "hello", MM_HDR_SUBJECT },
	{ "with-lf", "Subject: hello\n", 0, "Subject: hello\n", "Subject", "hello", MM_HDR_SUBJECT },
	{ "crlf", "Subject: hello\r\n", 0, "Subject: hello\n", "Subject", "hello", MM_HDR_SUBJECT },
	{ "folded", "Subject: a\n b\n\tc\n", 0, "Subject: a\n b\n\tc\n", "Subject", "a b\tc", MM_HDR_SUBJECT },
	{ "folded-crlf", "To: a@x.org,\r\n b@y.org\r\n", 0, "To: a@x.org,\n b@y.org\n", "To", "a@x.org, b@y.org", MM_HDR_TO },
	{ "folded-mixed-ends", "To: a,\r\n b,\n c\r\n", 0, "To: a,\n b,\n c\n", "To", "a, b, c", MM_HDR_TO },
	{ "no-space-after-colon", "Subject:x", 0, "Subject:x\n", "Subject", "x", MM_HDR_SUBJECT },
	{ "empty-value", "Subject:", 0, "Subject:\n", "Subject", "", MM_HDR_SUBJECT },
	{ "only-white-space-value", "Subject:   \n", 0, "Subject:   \n", "Subject", "", MM_HDR_SUBJECT },
	{ "trailing-space-kept", "Subject: x  \n", 0, "Subject: x  \n", "Subject", "x", MM_HDR_SUBJECT },
	{ "many-spaces-kept", "Subject:    spaced   out", 0, "Subject:    spaced   out\n", "Subject", "spaced   out", MM_HDR_SUBJECT },
	{ "lone-cr-kept", "X-A: a\rb", 0, "X-A: a\rb\n", "X-A", "a\rb", MM_HDR_OTHER },
	{ "crs-before-line-end", "X-A: a\r\r\n", 0, "X-A: a\n", "X-A", "a", MM_HDR_OTHER },
	{ "cr-at-end", "X-A: a\r", 0, "X-A: a\n", "X-A", "a", MM_HDR_OTHER },
	{ "crs-before-folding", "X-A: a\r\r\n b\r\n", 0, "X-A: a\n b\n", "X-A", "a b", MM_HDR_OTHER },
	{ "8bit-value", "Subject: J\303\266rg", 0, "Subject: J\303\266rg\n", "Subject", "J\303\266rg", MM_HDR_SUBJECT },
	{ "colon-in-value", "Subject: Re: x", 0, "Subject: Re: x\n", "Subject", "Re: x", MM_HDR_SUBJECT },
	{ "space-before-colon", "Subject : x", 0, "Subject : x\n", "Subject", "x", MM_HDR_SUBJECT },
	{ "tab-before-colon", "To\t: a@x.org", 0, "To\t: a@x.org\n", "To", "a@x.org", MM_HDR_TO },
	{ "lower-case-name", "message-id: <1@x>", 0, "message-id: <1@x>\n", "message-id", "<1@x>", MM_HDR_MESSAGE_ID },
	{ "upper-case-name", "RESENT-BCC: a@x", 0, "RESENT-BCC: a@x\n", "RESENT-BCC", "a@x", MM_HDR_RESENT_BCC },
	{ "unknown-name", "X-Mailer: foo", 0, "X-Mailer: foo\n", "X-Mailer", "foo", MM_HDR_OTHER },
	{ "longer-than-known", "Received-SPF: pass", 0, "Received-SPF: pass\n", "Received-SPF", "pass", MM_HDR_OTHER },
	{ "prefix-of-known", "Re: x", 0, "Re: x\n", "Re", "x", MM_HDR_OTHER },
	{ "ftext-specials", "X-!#$%&'*+.^_`|~: v", 0, "X-!#$%&'*+.^_`|~: v\n", "X-!#$%&'*+.^_`|~", "v", MM_HDR_OTHER },
	{ "one-char-name", "X: v", 0, "X: v\n", "X", "v", MM_HDR_OTHER },
	{ "received", "Received: from a\n\tby b;\n Mon, 1 Jan 2024 00:00:00 +0000\n", 0,
	  "Received: from a\n\tby b;\n Mon, 1 Jan 2024 00:00:00 +0000\n", "Received",
	  "from a\tby b; Mon, 1 Jan 2024 00:00:00 +0000", MM_HDR_RECEIVED },

	/* not a field */
	{ "empty", "", 0, NULL, NULL, NULL, 0 },
	{ "no-colon", "Subject hello", 0, NULL, NULL, NULL, 0 },
	{ "empty-name", ": value", 0, NULL, NULL, NULL, 0 },
	{ "space-in-name", "Sub ject: x", 0, NULL, NULL, NULL, 0 },
	{ "leading-space", " Subject: x", 0, NULL, NULL, NULL, 0 },
	{ "control-in-name", "Sub\001ject: x", 0, NULL, NULL, NULL, 0 },
	{ "del-in-name", "Sub\177ject: x", 0, NULL, NULL, NULL, 0 },
	{ "8bit-in-name", "S\303\274bject: x", 0, NULL, NULL, NULL, 0 },
	{ "nul-in-value", "Subject: a\0b", 12, NULL, NULL, NULL, 0 },
	{ "two-fields", "A: b\nC: d\n", 0, NULL, NULL, NULL, 0 },
	{ "two-fields-crlf", "A: b\r\nC: d\r\n", 0, NULL, NULL, NULL, 0 },
	{ "empty-line-inside", "A: b\n\n c\n", 0, NULL, NULL, NULL, 0 },
	{ "mbox-from-line", "From user@x.org Mon Jan  1 00:00:00 2024", 0, NULL, NULL, NULL, 0 },
	{ "only-newline", "\n", 0, NULL, NULL, NULL, 0 },
};

static void
check_field_case(gconstpointer data)
{
	const FieldCase *c = data;
	gsize len = c->len ? c->len : strlen(c->input);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmHeader) hdr = mm_header_parse(c->input, len, &error);

	if (c->text == NULL) {
		g_assert_null(hdr);
		g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
		return;
	}
	g_assert_no_error(error);
	g_assert_nonnull(hdr);
	g_assert_cmpstr(hdr->text, ==, c->text);
	g_assert_cmpint(hdr->id, ==, c->id);
	{
		g_autofree char *name = mm_header_name(hdr);
		g_autofree char *value = mm_header_value_unfolded(hdr);

		g_assert_cmpstr(name, ==, c->name);
		g_assert_cmpuint(hdr->name_len, ==, strlen(c->name));
		g_assert_cmpint(hdr->text[hdr->value_off - 1], ==, ':');
		g_assert_cmpstr(value, ==, c->value);
		g_assert_true(mm_header_is(hdr, c->name));
	}
	/* what is stored parses back to itself */
	{
		g_autoptr(MmHeader) again = mm_header_parse(hdr->text, strlen(hdr->text), &error);

		g_assert_no_error(error);
		g_assert_cmpstr(again->text, ==, hdr->text);
		g_assert_cmpuint(again->value_off, ==, hdr->value_off);
	}
}

typedef struct {
	const char *label;
	gsize len;
	gboolean ok;
} SizeCase;

static const SizeCase size_cases[] = {
	{ "at-limit", MM_HEADER_MAX, TRUE },
	{ "over-limit", MM_HEADER_MAX + 1, FALSE },
	{ "far-over-limit", 4 * MM_HEADER_MAX, FALSE },
};

/* A folded field of exactly @len bytes, lines of 78 characters. */
static char *
make_field(gsize len)
{
	GString *s = g_string_new("X-Long: ");

	while (s->len < len) {
		if (s->len % 79 == 78 && s->len + 2 < len)
			g_string_append(s, "\n ");
		else
			g_string_append_c(s, 'x');
	}
	g_string_truncate(s, len);
	if (s->str[len - 1] == '\n')
		s->str[len - 1] = 'x';
	return g_string_free(s, FALSE);
}

static void
check_size_case(gconstpointer data)
{
	const SizeCase *c = data;
	g_autofree char *text = make_field(c->len);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmHeader) hdr = mm_header_parse(text, c->len, &error);

	if (c->ok) {
		g_assert_no_error(error);
		g_assert_cmpuint(strlen(hdr->text), ==, c->len + 1);
	} else {
		g_assert_null(hdr);
		g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
	}
}

/* --- ids, construction, the small accessors ----------------------------- */

typedef struct {
	const char *name;
	MmHeaderId id;
} IdCase;

static const IdCase id_cases[] = {
	{ "From", MM_HDR_FROM },
	{ "Sender", MM_HDR_SENDER },
	{ "To", MM_HDR_TO },
	{ "Cc", MM_HDR_CC },
	{ "Bcc", MM_HDR_BCC },
	{ "Date", MM_HDR_DATE },
	{ "Message-ID", MM_HDR_MESSAGE_ID },
	{ "Reply-To", MM_HDR_REPLY_TO },
	{ "Subject", MM_HDR_SUBJECT },
	{ "Return-Path", MM_HDR_RETURN_PATH },
	{ "Envelope-To", MM_HDR_ENVELOPE_TO },
	{ "Received", MM_HDR_RECEIVED },
	{ "Mail-Followup-To", MM_HDR_MAIL_FOLLOWUP_TO },
	{ "Resent-From", MM_HDR_RESENT_FROM },
	{ "Resent-To", MM_HDR_RESENT_TO },
	{ "Resent-Cc", MM_HDR_RESENT_CC },
	{ "Resent-Bcc", MM_HDR_RESENT_BCC },
	{ "X-Mailer", MM_HDR_OTHER },
	{ "Froms", MM_HDR_OTHER },
	{ "Fro", MM_HDR_OTHER },
	{ "Resent", MM_HDR_OTHER },
	{ "", MM_HDR_OTHER },
};

static void
test_id_for_name(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(id_cases); i++) {
		const IdCase *c = &id_cases[i];
		g_autofree char *upper = g_ascii_strup(c->name, -1);
		g_autofree char *lower = g_ascii_strdown(c->name, -1);
		g_autofree char *longer = g_strconcat(c->name, ": value", NULL);

		g_test_message("name %s", c->name);
		g_assert_cmpint(mm_header_id_for_name(c->name, strlen(c->name)), ==, c->id);
		g_assert_cmpint(mm_header_id_for_name(upper, strlen(upper)), ==, c->id);
		g_assert_cmpint(mm_header_id_for_name(lower, strlen(lower)), ==, c->id);
		/* only @len bytes count */
		g_assert_cmpint(mm_header_id_for_name(longer, strlen(c->name)), ==, c->id);
	}
}

typedef struct {
	const char *label;
	const char *name;
	const char *value;
	const char *text;
	const char *unfolded;
	MmHeaderId id;
} NewCase;

static const NewCase new_cases[] = {
	{ "plain", "Subject", "hi", "Subject: hi\n", "hi", MM_HDR_SUBJECT },
	{ "value-with-newline", "To", "a@x.org\n", "To: a@x.org\n", "a@x.org", MM_HDR_TO },
	{ "folded-value", "Received", "from a\n\tby b", "Received: from a\n\tby b\n", "from a\tby b", MM_HDR_RECEIVED },
	{ "empty-value", "X-Empty", "", "X-Empty: \n", "", MM_HDR_OTHER },
	{ "case-of-name-kept", "return-path", "<>", "return-path: <>\n", "<>", MM_HDR_RETURN_PATH },
};

static void
check_new_case(gconstpointer data)
{
	const NewCase *c = data;
	g_autoptr(MmHeader) hdr = mm_header_new(c->name, c->value);
	g_autoptr(MmHeader) copy = mm_header_copy(hdr);
	g_autofree char *name = mm_header_name(hdr);
	g_autofree char *value = mm_header_value_unfolded(hdr);

	g_assert_cmpstr(hdr->text, ==, c->text);
	g_assert_cmpint(hdr->id, ==, c->id);
	g_assert_cmpstr(name, ==, c->name);
	g_assert_cmpstr(value, ==, c->unfolded);
	g_assert_true(copy->text != hdr->text);
	g_assert_cmpstr(copy->text, ==, hdr->text);
	g_assert_cmpint(copy->id, ==, hdr->id);
	g_assert_cmpuint(copy->name_len, ==, hdr->name_len);
	g_assert_cmpuint(copy->value_off, ==, hdr->value_off);
}

static void
test_is(void)
{
	g_autoptr(MmHeader) hdr = mm_header_new("Reply-To", "a@x.org");

	g_assert_true(mm_header_is(hdr, "Reply-To"));
	g_assert_true(mm_header_is(hdr, "reply-to"));
	g_assert_true(mm_header_is(hdr, "REPLY-TO"));
	g_assert_false(mm_header_is(hdr, "Reply"));
	g_assert_false(mm_header_is(hdr, "Reply-To2"));
	g_assert_false(mm_header_is(hdr, ""));
	mm_header_free(NULL);
}

/* --- header blocks ------------------------------------------------------- */

typedef struct {
	const char *label;
	const char *input;
	/* the stored texts joined by "|"; "" for none; NULL for an error */
	const char *expected;
	int code;
} BlockCase;

static const BlockCase block_cases[] = {
	{ "two-fields", "A: 1\nB: 2\n", "A: 1\n|B: 2\n", 0 },
	{ "crlf", "A: 1\r\nB: 2\r\n", "A: 1\n|B: 2\n", 0 },
	{ "folded", "A: 1\n 2\nB: 3\n", "A: 1\n 2\n|B: 3\n", 0 },
	{ "folded-crlf", "A: 1\r\n\t2\r\nB: 3\r\n", "A: 1\n\t2\n|B: 3\n", 0 },
	{ "folded-last", "A: 1\nB: 2\n 3\n", "A: 1\n|B: 2\n 3\n", 0 },
	{ "white-space-only-continuation", "A: 1\n \nB: 2\n", "A: 1\n \n|B: 2\n", 0 },
	{ "stops-at-empty-line", "A: 1\n\nB: body\n", "A: 1\n", 0 },
	{ "stops-at-empty-crlf-line", "A: 1\r\n\r\nB: body\r\n", "A: 1\n", 0 },
	{ "no-final-newline", "A: 1\nB: 2", "A: 1\n|B: 2\n", 0 },
	{ "no-final-newline-folded", "A: 1\n 2", "A: 1\n 2\n", 0 },
	{ "empty", "", "", 0 },
	{ "only-empty-line", "\n", "", 0 },
	{ "real-message",
	  "Received: from a by b;\n\tMon, 1 Jan 2024 00:00:00 +0000\n"
	  "From: \"A\" <a@x.org>\nTo: b@y.org,\n  c@z.org\nSubject: hi\n",
	  "Received: from a by b;\n\tMon, 1 Jan 2024 00:00:00 +0000\n|From: \"A\" <a@x.org>\n"
	  "|To: b@y.org,\n  c@z.org\n|Subject: hi\n", 0 },
	{ "continuation-first", " x\nA: 1\n", NULL, MM_ERROR_PARSE },
	{ "garbage-line", "A: 1\nnot a header\n", NULL, MM_ERROR_PARSE },
	{ "mbox-from-line", "From a@x.org Mon Jan  1 00:00:00 2024\nA: 1\n", NULL, MM_ERROR_PARSE },
	{ "bad-name", "A: 1\nB C: 2\n", NULL, MM_ERROR_PARSE },
};

static void
check_block_case(gconstpointer data)
{
	const BlockCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = mm_header_parse_block(c->input, strlen(c->input), &error);
	g_autoptr(GString) got = NULL;

	if (c->expected == NULL) {
		g_assert_null(headers);
		g_assert_error(error, MM_ERROR, c->code);
		return;
	}
	g_assert_no_error(error);
	got = g_string_new(NULL);
	for (guint i = 0; i < headers->len; i++) {
		const MmHeader *hdr = g_ptr_array_index(headers, i);

		if (i > 0)
			g_string_append_c(got, '|');
		g_string_append(got, hdr->text);
	}
	g_assert_cmpstr(got->str, ==, c->expected);
}

/* A header block with LF line ends comes out again byte for byte. */
static void
test_block_byte_for_byte(void)
{
	static const char block[] =
		"Received: from host.example (host.example [10.0.0.1])\n"
		"\tby relay.example with esmtp id 1a2b-3c;\n"
		"        Mon, 01 Jan 2024 00:00:00 +0100 (CET)\n"
		"From:   \"Odd  Spacing\"  <a@x.org>  \n"
		"subject:no space\n"
		"X-Weird : spaced colon\n"
		"To: a@x.org, (comment)\n"
		"\t b@y.org\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = mm_header_parse_block(block, strlen(block), &error);
	g_autoptr(GString) joined = g_string_new(NULL);

	g_assert_no_error(error);
	g_assert_cmpuint(headers->len, ==, 5);
	for (guint i = 0; i < headers->len; i++)
		g_string_append(joined, ((MmHeader *)g_ptr_array_index(headers, i))->text);
	g_assert_cmpstr(joined->str, ==, block);
	g_assert_cmpint(((MmHeader *)g_ptr_array_index(headers, 2))->id, ==, MM_HDR_SUBJECT);
}

static void
test_block_count_limit(void)
{
	g_autoptr(GString) block = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = NULL;

	for (int i = 0; i < MM_HEADERS_COUNT_MAX; i++)
		g_string_append_printf(block, "X-N: %d\n", i);
	headers = mm_header_parse_block(block->str, block->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(headers->len, ==, MM_HEADERS_COUNT_MAX);
	g_clear_pointer(&headers, g_ptr_array_unref);

	g_string_append(block, "X-N: one too many\n");
	headers = mm_header_parse_block(block->str, block->len, &error);
	g_assert_null(headers);
	g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
}

static void
test_block_field_limit(void)
{
	g_autofree char *field = make_field(MM_HEADER_MAX + 1);
	g_autofree char *block = g_strconcat("A: 1\n", field, "\nB: 2\n", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = mm_header_parse_block(block, strlen(block), &error);

	g_assert_null(headers);
	g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
}

static void
test_find(void)
{
	static const char block[] = "To: a@x.org\nCc: c@x.org\nTO: b@x.org\nSubject: s\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = mm_header_parse_block(block, strlen(block), &error);
	MmHeader *to;

	g_assert_no_error(error);
	to = mm_header_find(headers, MM_HDR_TO);
	g_assert_nonnull(to);
	g_assert_cmpstr(to->text, ==, "To: a@x.org\n");
	g_assert_true(mm_header_find(headers, MM_HDR_SUBJECT) == g_ptr_array_index(headers, 3));
	g_assert_null(mm_header_find(headers, MM_HDR_BCC));
	g_assert_null(mm_header_find(headers, MM_HDR_OTHER));
}

#define ADD_TABLE(prefix, table, func)                                          \
	for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {                       \
		g_autofree char *name = g_strconcat(prefix, table[i].label, NULL); \
		g_test_add_data_func(name, &table[i], func);                    \
	}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	ADD_TABLE("/header/parse/", field_cases, check_field_case);
	ADD_TABLE("/header/parse/limit/", size_cases, check_size_case);
	g_test_add_func("/header/id-for-name", test_id_for_name);
	ADD_TABLE("/header/new/", new_cases, check_new_case);
	g_test_add_func("/header/is", test_is);
	ADD_TABLE("/header/block/", block_cases, check_block_case);
	g_test_add_func("/header/block/byte-for-byte", test_block_byte_for_byte);
	g_test_add_func("/header/block/limit/count", test_block_count_limit);
	g_test_add_func("/header/block/limit/field", test_block_field_limit);
	g_test_add_func("/header/find", test_find);

	return g_test_run();
}
