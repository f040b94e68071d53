/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of accept.c: reading the command line's input, splitting header
 * and body, and completing a message for the queue.
 */
#include "config.h"

#include <time.h>

#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "queue/accept.h"

static MmAcceptContext
context(guint flags)
{
	return (MmAcceptContext){ .host_name = "host.example", .flags = flags, .uid = 1000 };
}

/* Feeds @input through a pipe into mm_accept_read_fd(). */
static MmMessage *
read_input(const char *input, gsize len, const MmAcceptContext *ctx, GError **error)
{
	int fds[2];
	g_autoptr(MmMessage) msg = mm_message_new();
	gboolean ok;

	g_assert_no_errno(pipe(fds));
	/* small inputs only: they fit into the pipe buffer */
	g_assert_cmpint(write(fds[1], input, len), ==, (gssize)len);
	close(fds[1]);
	ok = mm_accept_read_fd(fds[0], msg, ctx, error);
	close(fds[0]);
	return ok ? g_steal_pointer(&msg) : NULL;
}

static char *
body_of(const MmMessage *msg)
{
	gsize n;
	const char *p = g_bytes_get_data(msg->body, &n);
	return g_strndup(p ? p : "", n);
}

static char *
headers_of(const MmMessage *msg)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < msg->headers->len; i++)
		g_string_append(s, ((MmHeader *)msg->headers->pdata[i])->text);
	return g_string_free(s, FALSE);
}

typedef struct {
	const char *label;
	const char *input;
	guint flags;
	const char *headers;
	const char *body;
} ReadCase;

static const ReadCase read_cases[] = {
	{ "plain", "Subject: a\n\nbody\n", 0, "Subject: a\n", "body\n" },
	{ "crlf", "Subject: a\r\n\r\nline 1\r\nline 2\r\n", 0, "Subject: a\n", "line 1\nline 2\n" },
	{ "folded", "Subject: a\n b\nTo: x@y\n\nz\n", 0, "Subject: a\n b\nTo: x@y\n", "z\n" },
	{ "no-empty-line", "Subject: a\nnot a header line\nmore\n", 0, "Subject: a\n",
	  "not a header line\nmore\n" },
	{ "no-header", "just text\n", 0, "", "just text\n" },
	{ "from-line-dropped", "From someone Mon Jan  1 00:00:00 2001\nSubject: a\n\nb\n", 0, "Subject: a\n",
	  "b\n" },
	{ "dot-ends", "Subject: a\n\nbody\n.\nafter\n", MM_ACCEPT_DOT_ENDS, "Subject: a\n", "body\n" },
	{ "dot-ends-crlf", "Subject: a\r\n\r\nbody\r\n.\r\nafter\r\n", MM_ACCEPT_DOT_ENDS, "Subject: a\n",
	  "body\n" },
	{ "dot-unstuffed", "S: a\n\n..x\n...\n.\n", MM_ACCEPT_DOT_ENDS, "S: a\n", ".x\n..\n" },
	{ "dot-kept-with-i", "S: a\n\nbody\n.\n..x\n", 0, "S: a\n", "body\n.\n..x\n" },
	{ "eof-ends-without-dot", "S: a\n\nbody\n", MM_ACCEPT_DOT_ENDS, "S: a\n", "body\n" },
	{ "last-line-completed", "S: a\n\nno newline", 0, "S: a\n", "no newline\n" },
	{ "eight-bit", "S: a\n\n\xc3\xa4\xff\x01\n", 0, "S: a\n", "\xc3\xa4\xff\x01\n" },
	{ "lone-cr-kept", "S: a\n\na\rb\n", 0, "S: a\n", "a\rb\n" },
	{ "empty-body", "S: a\n\n", 0, "S: a\n", "" },
};

static void
test_read(gconstpointer data)
{
	const ReadCase *c = data;
	MmAcceptContext ctx = context(c->flags);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) msg = read_input(c->input, strlen(c->input), &ctx, &error);
	g_autofree char *headers = NULL;
	g_autofree char *body = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(msg);
	headers = headers_of(msg);
	body = body_of(msg);
	g_assert_cmpstr(headers, ==, c->headers);
	g_assert_cmpstr(body, ==, c->body);
}

static void
test_read_long_line(void)
{
	/* lines over 998 octets are kept whole, not cut or folded */
	g_autofree char *line = g_strnfill(5000, 'x');
	g_autofree char *input = g_strdup_printf("S: a\n\n%s\n", line);
	g_autofree char *expected = g_strdup_printf("%s\n", line);
	MmAcceptContext ctx = context(0);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) msg = read_input(input, strlen(input), &ctx, &error);
	g_autofree char *body = NULL;

	g_assert_no_error(error);
	body = body_of(msg);
	g_assert_cmpstr(body, ==, expected);
}

static void
test_read_size_limit(void)
{
	MmAcceptContext ctx = context(0);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) msg = NULL;

	ctx.max_msg_size = 10;
	msg = read_input("S: a\n\n0123456789\n", 17, &ctx, &error);
	g_assert_null(msg);
	g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);

	g_clear_error(&error);
	ctx.max_msg_size = 100;
	msg = read_input("S: a\n\n0123456789\n", 17, &ctx, &error);
	g_assert_no_error(error);
	g_assert_nonnull(msg);
}

static void
test_read_error(void)
{
	MmAcceptContext ctx = context(0);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) msg = mm_message_new();

	/* a descriptor open for writing only cannot be read: a read error,
	 * which must never become a message */
	int fds[2];
	g_assert_no_errno(pipe(fds));
	g_assert_false(mm_accept_read_fd(fds[1], msg, &ctx, &error));
	g_assert_nonnull(error);
	close(fds[0]);
	close(fds[1]);
}

/* A message as the command line makes it, ready for prepare. */
static MmMessage *
message_with(const char *text, const char *const *rcpts)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(mm_accept_parse_text(msg, text, strlen(text), &error));
	g_assert_no_error(error);
	msg->return_path = mm_address_new("me", "host.example", NULL);
	for (; rcpts && *rcpts; rcpts++) {
		g_autoptr(MmAddress) a = mm_address_parse_path(*rcpts, "host.example", FALSE, &error);
		g_assert_no_error(error);
		g_ptr_array_add(msg->rcpts, mm_recipient_new(a));
	}
	return g_steal_pointer(&msg);
}

static char *
rcpt_list(const MmMessage *msg)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < msg->rcpts->len; i++) {
		g_autofree char *a = mm_address_to_string(((MmRecipient *)msg->rcpts->pdata[i])->address);
		g_string_append_printf(s, "%s%s", i ? "," : "", a);
	}
	return g_string_free(s, FALSE);
}

static void
test_prepare_adds_headers(void)
{
	const char *rcpts[] = { "you@remote.example", NULL };
	g_autoptr(MmMessage) msg = message_with("Subject: s\n\nb\n", rcpts);
	MmAcceptContext ctx = context(0);
	g_autoptr(GError) error = NULL;
	g_autofree char *h = NULL;
	g_autofree char *msgid = NULL;

	ctx.full_name = "A \"quoted\" Name";
	g_assert_true(mm_accept_prepare(msg, &ctx, &error));
	g_assert_no_error(error);
	h = headers_of(msg);
	g_assert_true(g_str_has_prefix(h, "Received: by host.example (masqmail "));
	g_assert_nonnull(strstr(h, "from userid 1000)\n\tid "));
	g_assert_nonnull(strstr(h, "\n\tfor <you@remote.example>; "));
	g_assert_nonnull(strstr(h, "From: \"A \\\"quoted\\\" Name\" <me@host.example>\n"));
	g_assert_nonnull(strstr(h, "To: undisclosed-recipients:;\n"));
	g_assert_nonnull(strstr(h, "\nDate: "));
	msgid = g_strdup_printf("Message-ID: <%s@host.example>\n", msg->uid);
	g_assert_nonnull(strstr(h, msgid));
	g_assert_cmpstr(msg->protocol, ==, "local");
	g_assert_cmpint(msg->received_time, >, 0);
	g_assert_cmpint(msg->data_size, ==, (gint64)(strlen(h) + 2));
}

static void
test_prepare_keeps_existing(void)
{
	const char *rcpts[] = { "a@x.example", "b@x.example", NULL };
	const char *text = "From: Someone <s@x.example>\nTo: a@x.example\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n"
	                   "Message-ID: <given@x>\n\nb\n";
	g_autoptr(MmMessage) msg = message_with(text, rcpts);
	MmAcceptContext ctx = context(0);
	g_autoptr(GError) error = NULL;
	g_autofree char *h = NULL;

	g_assert_true(mm_accept_prepare(msg, &ctx, &error));
	h = headers_of(msg);
	/* only Received: is new; with two recipients it names none */
	g_assert_cmpuint(msg->headers->len, ==, 5);
	g_assert_null(strstr(h, "\tfor <"));
	g_assert_null(strstr(h, "undisclosed"));
	g_assert_nonnull(strstr(h, "Message-ID: <given@x>\n"));
	g_assert_null(strstr(h, "Message-ID: <" /* ours */ "1"));
}

static void
test_prepare_t_option(void)
{
	const char *rcpts[] = { "arg@x.example", NULL };
	const char *text = "To: One <one@x.example>, two\nCc: three@y.example\nBcc: secret@z.example\n"
	                   "Return-Path: <forged@evil.example>\nSubject: s\n\nb\n";
	g_autoptr(MmMessage) msg = message_with(text, rcpts);
	MmAcceptContext ctx = context(MM_ACCEPT_RCPTS_FROM_HEADERS);
	g_autoptr(GError) error = NULL;
	g_autofree char *h = NULL;
	g_autofree char *list = NULL;

	g_assert_true(mm_accept_prepare(msg, &ctx, &error));
	g_assert_no_error(error);
	list = rcpt_list(msg);
	g_assert_cmpstr(list, ==, "arg@x.example,one@x.example,two@host.example,three@y.example,secret@z.example");
	h = headers_of(msg);
	g_assert_null(strstr(h, "Bcc:"));
	g_assert_null(strstr(h, "secret"));
	g_assert_null(strstr(h, "Return-Path:"));
	g_assert_nonnull(strstr(h, "To: One <one@x.example>, two\n"));
}

static void
test_prepare_bcc_removed_without_t(void)
{
	const char *rcpts[] = { "a@x.example", NULL };
	g_autoptr(MmMessage) msg = message_with("Bcc: hidden@x.example\nSubject: s\n\nb\n", rcpts);
	MmAcceptContext ctx = context(0);
	g_autoptr(GError) error = NULL;
	g_autofree char *list = NULL;
	g_autofree char *h = NULL;

	g_assert_true(mm_accept_prepare(msg, &ctx, &error));
	list = rcpt_list(msg);
	g_assert_cmpstr(list, ==, "a@x.example");
	h = headers_of(msg);
	g_assert_null(strstr(h, "hidden"));
}

static void
test_prepare_envelope_to(void)
{
	const char *rcpts[] = { "a@x.example", NULL };
	MmAcceptContext ctx = context(MM_ACCEPT_SAVE_ENVELOPE_TO);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) saved = message_with("Envelope-to: old@x\nS: s\n\nb\n", rcpts);
	g_autoptr(MmMessage) dropped = message_with("Envelope-to: old@x\nS: s\n\nb\n", rcpts);
	g_autofree char *h1 = NULL;
	g_autofree char *h2 = NULL;

	g_assert_true(mm_accept_prepare(saved, &ctx, &error));
	h1 = headers_of(saved);
	g_assert_nonnull(strstr(h1, "X-Orig-Envelope-To: old@x\n"));
	g_assert_null(strstr(h1, "\nEnvelope-to:"));
	ctx = context(0);
	g_assert_true(mm_accept_prepare(dropped, &ctx, &error));
	h2 = headers_of(dropped);
	g_assert_null(strstr(h2, "old@x"));
}

static void
test_prepare_no_recipients(void)
{
	g_autoptr(MmMessage) msg = message_with("To: undisclosed-recipients:;\n\nb\n", NULL);
	MmAcceptContext ctx = context(MM_ACCEPT_RCPTS_FROM_HEADERS);
	g_autoptr(GError) error = NULL;

	g_assert_false(mm_accept_prepare(msg, &ctx, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
}

static void
test_prepare_bad_t_header(void)
{
	g_autoptr(MmMessage) msg = message_with("To: <unbalanced@x\n\nb\n", NULL);
	MmAcceptContext ctx = context(MM_ACCEPT_RCPTS_FROM_HEADERS);
	g_autoptr(GError) error = NULL;

	g_assert_false(mm_accept_prepare(msg, &ctx, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
	g_assert_nonnull(strstr(error->message, "To"));
}

static void
test_date_format(void)
{
	g_autofree char *d = mm_accept_rfc5322_date(0);
	g_autoptr(GRegex) re = g_regex_new("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
	                                   "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
	                                   "[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$",
	                                   0, 0, NULL);
	g_assert_true(g_regex_match(re, d, 0, NULL));
}

/* The fields themselves, in UTC (main() sets TZ): a Thursday, a
 * Sunday (the first day of struct tm's week) and a Tuesday. */
static void
test_date_values(void)
{
	static const struct {
		gint64 t;
		const char *date;
	} cases[] = {
		{ 0, "Thu, 1 Jan 1970 00:00:00 +0000" },
		{ 1699747200, "Sun, 12 Nov 2023 00:00:00 +0000" },
		{ 1700000000, "Tue, 14 Nov 2023 22:13:20 +0000" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *d = mm_accept_rfc5322_date(cases[i].t);
		g_assert_cmpstr(d, ==, cases[i].date);
	}
}

int
main(int argc, char **argv)
{
	/* the dates of /accept/date-values are UTC */
	g_setenv("TZ", "UTC", TRUE);
	tzset();
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(read_cases); i++) {
		g_autofree char *path = g_strdup_printf("/accept/read/%s", read_cases[i].label);
		g_test_add_data_func(path, &read_cases[i], test_read);
	}
	g_test_add_func("/accept/read/long-line", test_read_long_line);
	g_test_add_func("/accept/read/size-limit", test_read_size_limit);
	g_test_add_func("/accept/read/read-error", test_read_error);
	g_test_add_func("/accept/prepare/adds-headers", test_prepare_adds_headers);
	g_test_add_func("/accept/prepare/keeps-existing", test_prepare_keeps_existing);
	g_test_add_func("/accept/prepare/t-option", test_prepare_t_option);
	g_test_add_func("/accept/prepare/bcc-removed-without-t", test_prepare_bcc_removed_without_t);
	g_test_add_func("/accept/prepare/envelope-to", test_prepare_envelope_to);
	g_test_add_func("/accept/prepare/no-recipients", test_prepare_no_recipients);
	g_test_add_func("/accept/prepare/bad-t-header", test_prepare_bad_t_header);
	g_test_add_func("/accept/date-format", test_date_format);
	g_test_add_func("/accept/date-values", test_date_values);
	return g_test_run();
}
