/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of smtp/client.c against a scripted server on the other end of
 * a socketpair: what the client sends byte for byte (CRLF, dot-stuffing,
 * one write per pipelined group and per message), how it reads every
 * kind of reply (per recipient, per stage, malformed, overlong, none at
 * all) and what results and errors come out. The real servers
 * (smtp-sink, aiosmtpd, TLS) are in tests/integration/smtpc-*.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "smtp/client.h"

/* a reply that closes the connection instead, and one that never comes */
#define CLOSE "CLOSE"
#define SILENT "SILENT"

typedef struct {
	const char *prefix; /* of the client's line; "." is the end of the data */
	const char *reply;  /* raw, with CRLFs */
} Reply;

#define MAX_REPLIES 6

typedef struct {
	int fd;
	const char *greeting;
	const Reply *replies;
	GString *raw;        /* everything the client sent */
	GString *data;       /* the lines of the message, as sent (stuffed) */
	GPtrArray *chunks;   /* what each read() got */
	GPtrArray *messages; /* each message's text as the server took it */
	int seen[MAX_REPLIES]; /* lines that matched each "N:PREFIX" so far */
	GThread *thread;
} Server;

/* A prefix "N:TEXT" takes only the Nth line that begins with TEXT. */
static const char *
reply_for(Server *s, const char *line)
{
	const char *found = NULL;

	for (int i = 0; s->replies != NULL && i < MAX_REPLIES && s->replies[i].prefix != NULL; i++) {
		const char *prefix = s->replies[i].prefix;

		if (g_ascii_isdigit(prefix[0]) && prefix[1] == ':') {
			if (g_str_has_prefix(line, prefix + 2) && ++s->seen[i] == prefix[0] - '0' &&
			    found == NULL)
				found = s->replies[i].reply;
			continue;
		}
		if (found == NULL && g_str_has_prefix(line, prefix))
			found = s->replies[i].reply;
	}
	if (found != NULL)
		return found;
	if (g_str_has_prefix(line, "EHLO"))
		return "250-fake.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n";
	if (g_str_has_prefix(line, "HELO"))
		return "250 fake.example\r\n";
	if (g_str_has_prefix(line, "MAIL") || g_str_has_prefix(line, "RSET"))
		return "250 2.1.0 ok\r\n";
	if (g_str_has_prefix(line, "RCPT"))
		return "250 2.1.5 ok\r\n";
	if (g_str_has_prefix(line, "DATA"))
		return "354 go ahead\r\n";
	if (strcmp(line, ".") == 0 || g_str_has_prefix(line, "BDAT"))
		return "250 2.0.0 queued\r\n";
	if (g_str_has_prefix(line, "QUIT"))
		return "221 2.0.0 bye\r\n";
	return "500 5.5.1 what?\r\n";
}

static gpointer
server_main(gpointer data)
{
	Server *s = data;
	g_autoptr(GString) in = g_string_new(NULL);
	gboolean in_data = FALSE;
	gsize message_start = 0;
	char buf[65536];

	if (s->greeting != NULL && *s->greeting != '\0' &&
	    write(s->fd, s->greeting, strlen(s->greeting)) < 0)
		goto out;
	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = strstr(in->str, "\r\n")) != NULL) {
			g_autofree char *line = g_strndup(in->str, (gsize)(nl - in->str));
			const char *reply;

			guint64 chunk = 0;

			if (!in_data && g_str_has_prefix(line, "BDAT ")) {
				/* the chunk follows the command line: wait for all of it */
				chunk = g_ascii_strtoull(line + 5, NULL, 10);
				if (in->len < (gsize)(nl + 2 - in->str) + chunk)
					goto more;
				g_string_erase(in, 0, nl + 2 - in->str);
				g_string_append_len(s->data, in->str, (gssize)chunk);
				g_string_erase(in, 0, (gssize)chunk);
				if (g_str_has_suffix(line, " LAST")) {
					g_ptr_array_add(s->messages,
					                g_strndup(s->data->str + message_start, s->data->len - message_start));
					message_start = s->data->len;
				}
			} else {
				g_string_erase(in, 0, nl + 2 - in->str);
			}
			if (in_data && strcmp(line, ".") != 0) {
				g_string_append_printf(s->data, "%s\r\n", line);
				continue;
			}
			if (in_data) {
				g_ptr_array_add(s->messages,
				                g_strndup(s->data->str + message_start, s->data->len - message_start));
				message_start = s->data->len;
			}
			in_data = FALSE;
			reply = reply_for(s, line);
			if (strcmp(reply, CLOSE) == 0)
				goto out;
			if (strcmp(reply, SILENT) == 0)
				continue;
			if (write(s->fd, reply, strlen(reply)) < 0)
				goto out;
			if (g_str_has_prefix(line, "DATA") && g_str_has_prefix(reply, "354"))
				in_data = TRUE;
			if (g_str_has_prefix(line, "QUIT"))
				goto out;
		}
	more:
		n = read(s->fd, buf, sizeof buf);
		if (n <= 0)
			break;
		g_ptr_array_add(s->chunks, g_strndup(buf, (gsize)n));
		g_string_append_len(s->raw, buf, n);
		g_string_append_len(in, buf, n);
	}
out:
	close(s->fd);
	return NULL;
}

/* Starts a server; returns the client's end. */
static int
server_start(Server *s, const char *greeting, const Reply *replies)
{
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	s->fd = sv[1];
	s->greeting = greeting != NULL ? greeting : "220 fake.example ESMTP\r\n";
	s->replies = replies;
	s->raw = g_string_new(NULL);
	s->data = g_string_new(NULL);
	s->chunks = g_ptr_array_new_with_free_func(g_free);
	s->messages = g_ptr_array_new_with_free_func(g_free);
	s->thread = g_thread_new("server", server_main, s);
	return sv[0];
}

static void
server_free(Server *s)
{
	g_string_free(s->raw, TRUE);
	g_string_free(s->data, TRUE);
	g_ptr_array_unref(s->chunks);
	g_ptr_array_unref(s->messages);
}

static gboolean
got_chunk(Server *s, const char *chunk)
{
	for (guint i = 0; i < s->chunks->len; i++)
		if (strcmp(s->chunks->pdata[i], chunk) == 0)
			return TRUE;
	return FALSE;
}

static void
options(MmSmtpClientOptions *opts)
{
	mm_smtp_client_options_init(opts);
	opts->helo_name = "client.example";
	opts->tls = MM_SMTP_TLS_OFF;
	opts->timeout_greeting = opts->timeout_mail = opts->timeout_rcpt = 2;
	opts->timeout_data_init = opts->timeout_data_block = opts->timeout_final = 2;
}

/* ---- sending ---- */

typedef struct {
	const char *label;
	gboolean no_pipelining;
	Reply replies[MAX_REPLIES];
	const char *message;      /* NULL: a short default */
	const char *rcpts[4];
	const char *statuses;     /* per recipient: D delivered, T deferred, F failed */
	const char *codes;        /* the codes, space-separated, or NULL */
	gboolean send_ok;
	const char *wire;         /* a text the client must have sent, or NULL */
	const char *not_wire;     /* a text it must not have sent, or NULL */
	const char *data;         /* the data as the server got it (stuffed), or NULL */
} SendCase;

static const SendCase send_cases[] = {
	{ "all-delivered", FALSE, { { NULL } }, NULL, { "a@example.org", "b@example.org" },
	  "DD", "250 250", TRUE,
	  "MAIL FROM:<s@example.net>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
	  NULL, NULL },
	{ "per-recipient", FALSE,
	  { { "RCPT TO:<b@", "450 4.2.1 mailbox busy\r\n" }, { "RCPT TO:<c@", "550 5.1.1 no such user\r\n" } },
	  NULL, { "a@example.org", "b@example.org", "c@example.org" }, "DTF", "250 450 550", TRUE, NULL,
	  NULL, NULL },
	{ "per-recipient-no-pipelining", TRUE,
	  { { "RCPT TO:<b@", "450 4.2.1 mailbox busy\r\n" }, { "RCPT TO:<c@", "550 5.1.1 no such user\r\n" } },
	  NULL, { "a@example.org", "b@example.org", "c@example.org" }, "DTF", "250 450 550", TRUE,
	  "MAIL FROM:<s@example.net>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT "
	  "TO:<c@example.org>\r\nDATA\r\n",
	  NULL, NULL },
	{ "all-refused", FALSE,
	  { { "RCPT", "550 5.1.1 no\r\n" }, { "DATA", "554 5.5.1 no valid recipients\r\n" } }, NULL,
	  { "a@example.org", "b@example.org" }, "FF", "550 550", TRUE, NULL, "Subject", NULL },
	{ "all-refused-no-pipelining", TRUE, { { "RCPT", "550 5.1.1 no\r\n" } }, NULL,
	  { "a@example.org", "b@example.org" }, "FF", "550 550", TRUE, NULL, "DATA", NULL },
	{ "mail-4xx", FALSE,
	  { { "MAIL", "451 4.3.0 try later\r\n" }, { "RCPT", "503 5.5.1 no MAIL\r\n" },
	    { "DATA", "503 5.5.1 no MAIL\r\n" } },
	  NULL, { "a@example.org", "b@example.org" }, "TT", "451 451", TRUE, NULL, NULL, NULL },
	{ "mail-5xx-no-pipelining", TRUE, { { "MAIL", "553 5.1.8 bad sender\r\n" } }, NULL,
	  { "a@example.org", "b@example.org" }, "FF", "553 553", TRUE, NULL, "RCPT", NULL },
	{ "data-5xx", FALSE, { { "DATA", "554 5.3.0 no data today\r\n" } }, NULL,
	  { "a@example.org" }, "F", "554", TRUE, NULL, "Subject", NULL },
	{ "final-4xx", FALSE, { { ".", "452 4.3.1 disk full\r\n" } }, NULL,
	  { "a@example.org", "b@example.org" }, "TT", "452 452", TRUE, NULL, NULL, NULL },
	{ "final-5xx", FALSE, { { ".", "552 5.3.4 too big\r\n" } }, NULL,
	  { "a@example.org", "b@example.org" }, "FF", "552 552", TRUE, NULL, NULL, NULL },
	{ "final-5xx-one-refused-before", FALSE,
	  { { "RCPT TO:<b@", "550 5.1.1 no\r\n" }, { ".", "451 4.3.0 later\r\n" } }, NULL,
	  { "a@example.org", "b@example.org" }, "TF", "451 550", TRUE, NULL, NULL, NULL },
	{ "closed-after-dot", FALSE, { { ".", CLOSE } }, NULL,
	  { "a@example.org", "b@example.org" }, "TT", "451 451", FALSE, NULL, NULL, NULL },
	{ "silent-after-dot", FALSE, { { ".", SILENT } }, NULL, { "a@example.org" }, "T", "451",
	  FALSE, NULL, NULL, NULL },
	{ "closed-after-rcpt", TRUE, { { "RCPT TO:<b@", CLOSE } }, NULL,
	  { "a@example.org", "b@example.org" }, "TT", "451 451", FALSE, NULL, NULL, NULL },
	{ "rcpt-421", TRUE, { { "RCPT TO:<b@", "421 4.3.2 shutting down\r\n" } }, NULL,
	  { "a@example.org", "b@example.org", "c@example.org" }, "TTT", NULL, FALSE, NULL, NULL,
	  NULL },
	{ "malformed-mail-reply", FALSE, { { "MAIL", "hello there\r\n" } }, NULL,
	  { "a@example.org" }, "T", "451", FALSE, NULL, NULL, NULL },
	{ "overlong-rcpt-reply", TRUE,
	  { { "RCPT",
	      "250 "
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "\r\n" } },
	  NULL, { "a@example.org" }, "T", "451", FALSE, NULL, NULL, NULL },
	{ "size-over-limit", FALSE, { { "EHLO", "250-fake\r\n250-PIPELINING\r\n250 SIZE 20\r\n" } },
	  NULL, { "a@example.org", "b@example.org" }, "FF", "552 552", TRUE, NULL, "MAIL", NULL },
	{ "size-announced", FALSE, { { "EHLO", "250-fake\r\n250 SIZE 1000\r\n" } }, "a\nb\n",
	  { "a@example.org" }, "D", "250", TRUE, "MAIL FROM:<s@example.net> SIZE=6\r\n", NULL,
	  "a\r\nb\r\n" },
	{ "8bit-announced", FALSE, { { "EHLO", "250-fake\r\n250 8BITMIME\r\n" } }, "caf\xc3\xa9\n",
	  { "a@example.org" }, "D", "250", TRUE, "MAIL FROM:<s@example.net> BODY=8BITMIME\r\n", NULL,
	  NULL },
	{ "8bit-not-when-7bit", FALSE, { { "EHLO", "250-fake\r\n250 8BITMIME\r\n" } }, "cafe\n",
	  { "a@example.org" }, "D", "250", TRUE, NULL, "BODY=", NULL },
	{ "dot-stuffing-and-crlf", FALSE, { { NULL } },
	  "Subject: dots\n\n.a\n..b\nc\r\nd\n.\n\n. \nlone\rcr\nlast",
	  { "a@example.org" }, "D", "250", TRUE, NULL, NULL,
	  "Subject: dots\r\n\r\n..a\r\n...b\r\nc\r\nd\r\n..\r\n\r\n.. \r\nlone\r\ncr\r\nlast\r\n" },
	{ "dot-first-line", FALSE, { { NULL } }, ".\n", { "a@example.org" }, "D", "250", TRUE,
	  NULL, NULL, "..\r\n" },
	{ "empty-message", FALSE, { { NULL } }, "", { "a@example.org" }, "D", "250", TRUE, NULL,
	  NULL, "" },
};

static void
test_send(gconstpointer data)
{
	const SendCase *c = data;
	Server s = { 0 };
	MmSmtpClientOptions opts;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSmtpClient) client = NULL;
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	g_autoptr(MmAddress) rp = mm_address_new("s", "example.net", NULL);
	const char *msg = c->message ? c->message : "Subject: test\n\nhello\n";
	g_autoptr(GBytes) bytes = g_bytes_new_static(msg, strlen(msg));
	g_autoptr(GString) codes = g_string_new(NULL);
	MmSmtpRcptResult results[4] = { { 0 } };
	gboolean ok;
	int fd = server_start(&s, NULL, c->replies);

	options(&opts);
	opts.pipelining = !c->no_pipelining;
	client = mm_smtp_client_open_fd(fd, "fake.example", TRUE, &opts, &error);
	g_assert_no_error(error);
	g_assert_nonnull(client);

	for (int i = 0; c->rcpts[i] != NULL; i++) {
		g_autoptr(MmAddress) a = mm_address_parse_path(c->rcpts[i], NULL, FALSE, &error);

		g_assert_no_error(error);
		g_ptr_array_add(rcpts, mm_recipient_new(a));
	}
	ok = mm_smtp_client_send(client, rp, (const MmRecipient *const *)rcpts->pdata, rcpts->len,
	                         bytes, results, &error);
	if (c->send_ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
	} else {
		g_assert_false(ok);
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	}
	for (guint i = 0; i < rcpts->len; i++) {
		char st = results[i].status == MM_SMTP_RCPT_DELIVERED  ? 'D'
		          : results[i].status == MM_SMTP_RCPT_DEFERRED ? 'T'
		                                                       : 'F';

		g_assert_nonnull(results[i].reply);
		if (st != c->statuses[i])
			g_error("recipient %u: %c, expected %c (%s)", i, st, c->statuses[i], results[i].reply);
		g_string_append_printf(codes, "%s%u", i ? " " : "", results[i].code);
		/* the text begins with the code that decided */
		if (results[i].code != 0) {
			g_autofree char *code = g_strdup_printf("%u ", results[i].code);

			g_assert_true(g_str_has_prefix(results[i].reply, code));
		}
	}
	if (c->codes != NULL)
		g_assert_cmpstr(codes->str, ==, c->codes);
	g_clear_pointer(&client, mm_smtp_client_close);
	g_thread_join(s.thread);
	if (c->wire != NULL)
		g_assert_nonnull(strstr(s.raw->str, c->wire));
	/* a pipelined group arrives in one piece: it was one write */
	if (c->wire != NULL && !c->no_pipelining && g_str_has_suffix(c->wire, "DATA\r\n"))
		g_assert_true(got_chunk(&s, c->wire));
	if (c->not_wire != NULL)
		g_assert_null(strstr(s.raw->str, c->not_wire));
	if (c->data != NULL)
		g_assert_cmpstr(s.data->str, ==, c->data);
	/* only CRLF line ends went out */
	for (gsize i = 0; i < s.raw->len; i++)
		if (s.raw->str[i] == '\n')
			g_assert_true(i > 0 && s.raw->str[i - 1] == '\r');
	for (guint i = 0; i < rcpts->len; i++)
		mm_smtp_rcpt_result_clear(&results[i]);
	server_free(&s);
}

/* A message goes out in one write with its final dot, and several
 * messages share one session; after an aborted transaction the next
 * one starts with RSET. */
static void
test_session_reuse(void)
{
	static const Reply replies[] = {
		{ "RCPT TO:<bad@", "550 5.1.1 no\r\n" },
		{ "DATA", "354 go\r\n" },
		{ NULL },
	};
	Server s = { 0 };
	MmSmtpClientOptions opts;
	g_autoptr(GError) error = NULL;
	MmSmtpClient *client;
	g_autoptr(MmAddress) rp = mm_address_new("s", "example.net", NULL);
	g_autoptr(MmAddress) good = mm_address_new("a", "example.org", NULL);
	g_autoptr(MmAddress) bad = mm_address_new("bad", "example.org", NULL);
	g_autoptr(MmRecipient) rgood = mm_recipient_new(good);
	g_autoptr(MmRecipient) rbad = mm_recipient_new(bad);
	g_autoptr(GString) big = g_string_new("Subject: big\n\n");
	g_autoptr(GBytes) msg = NULL;
	g_auto(GStrv) rsets = NULL;
	int fd = server_start(&s, NULL, replies);

	while (big->len < 60000)
		g_string_append(big, "0123456789 0123456789 0123456789 0123456789 0123456789\n");
	msg = g_bytes_new(big->str, big->len);
	options(&opts);
	client = mm_smtp_client_open_fd(fd, "fake.example", TRUE, &opts, &error);
	g_assert_no_error(error);

	for (int round = 0; round < 3; round++) {
		const MmRecipient *list[1] = { round == 1 ? rbad : rgood };
		MmSmtpRcptResult res[1];

		g_assert_true(mm_smtp_client_send(client, rp, list, 1, msg, res, &error));
		g_assert_no_error(error);
		g_assert_cmpint(res[0].status, ==, round == 1 ? MM_SMTP_RCPT_FAILED : MM_SMTP_RCPT_DELIVERED);
		mm_smtp_rcpt_result_clear(&res[0]);
	}
	mm_smtp_client_close(client);
	g_thread_join(s.thread);

	/* round 1 was refused (and its DATA answered 354: ended with a
	 * lone dot), so round 2 begins with RSET; round 0 did not need one */
	g_assert_true(g_str_has_prefix(strstr(s.raw->str, "MAIL"), "MAIL FROM:<s@example.net>\r\nRCPT TO:<a@"));
	g_assert_nonnull(strstr(s.raw->str, "RSET\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n"));
	rsets = g_strsplit(s.raw->str, "RSET", -1);
	g_assert_cmpuint(g_strv_length(rsets), ==, 2);
	/* the whole message in one write, final dot included */
	{
		guint whole = 0;

		for (guint i = 0; i < s.chunks->len; i++) {
			const char *ch = s.chunks->pdata[i];

			if (g_str_has_prefix(ch, "Subject: big\r\n") && g_str_has_suffix(ch, "\r\n.\r\n"))
				whole++;
		}
		g_assert_cmpuint(whole, ==, 2);
	}
	g_assert_true(g_str_has_suffix(s.raw->str, "QUIT\r\n"));
	server_free(&s);
}

/* ---- several messages in one call ---- */

/* Three messages: s0 -> m0a; s1 -> m1a, m1b; s2 -> m2a. The results
 * are written per message, space-separated, as in SendCase. Each case
 * runs with DATA and with BDAT (CHUNKING offered): a prefix "DOT"
 * stands for the end of a message, "." with DATA and "BDAT" with BDAT,
 * so that one table covers both. */
typedef struct {
	const char *label;
	gboolean no_pipelining;
	Reply replies[MAX_REPLIES];
	const char *statuses;
	gboolean send_ok;
} ManyCase;

static const ManyCase many_cases[] = {
	{ "all-delivered", FALSE, { { NULL } }, "D DD D", TRUE },
	{ "mail-5xx-second", FALSE, { { "MAIL FROM:<s1@", "553 5.1.8 bad sender\r\n" } }, "D FF D", TRUE },
	{ "mail-4xx-second", FALSE, { { "MAIL FROM:<s1@", "451 4.3.0 later\r\n" } }, "D TT D", TRUE },
	{ "rcpt-5xx-one-of-second", FALSE, { { "RCPT TO:<m1b@", "550 5.1.1 no\r\n" } }, "D DF D", TRUE },
	{ "rcpt-all-refused-second", FALSE,
	  { { "RCPT TO:<m1", "550 5.1.1 no\r\n" }, { "2:BDAT", "554 5.5.1 no valid recipients\r\n" } },
	  "D FF D", TRUE },
	{ "rcpt-all-refused-first", FALSE,
	  { { "RCPT TO:<m0", "550 5.1.1 no\r\n" }, { "1:BDAT", "554 5.5.1 no valid recipients\r\n" } },
	  "F DD D", TRUE },
	{ "data-5xx-second", FALSE,
	  { { "2:DATA", "554 5.3.0 no data today\r\n" }, { "2:BDAT", "554 5.3.0 no data today\r\n" } },
	  "D FF D", TRUE },
	{ "final-4xx-second", FALSE, { { "2:DOT", "452 4.3.1 disk full\r\n" } }, "D TT D", TRUE },
	{ "final-5xx-first", FALSE, { { "1:DOT", "552 5.3.4 too big\r\n" } }, "F DD D", TRUE },
	{ "final-5xx-last", FALSE, { { "3:DOT", "552 5.3.4 too big\r\n" } }, "D DD F", TRUE },
	{ "rcpt-421-second", FALSE, { { "RCPT TO:<m1a@", "421 4.3.2 shutting down\r\n" } }, "D TT T",
	  FALSE },
	{ "final-421-first", FALSE, { { "1:DOT", "421 4.3.2 shutting down\r\n" } }, "T TT T", FALSE },
	{ "closed-after-second", FALSE, { { "2:DOT", CLOSE } }, "D TT T", FALSE },
	{ "closed-at-third-mail", FALSE, { { "MAIL FROM:<s2@", CLOSE } }, "D DD T", FALSE },
	{ "silent-after-last", FALSE, { { "3:DOT", SILENT } }, "D DD T", FALSE },
	{ "lockstep-all-delivered", TRUE, { { NULL } }, "D DD D", TRUE },
	{ "lockstep-mail-5xx-second", TRUE, { { "MAIL FROM:<s1@", "553 5.1.8 bad sender\r\n" } },
	  "D FF D", TRUE },
	{ "lockstep-rcpt-421", TRUE, { { "RCPT TO:<m1b@", "421 4.3.2 shutting down\r\n" } }, "D TT T",
	  FALSE },
};

typedef struct {
	const ManyCase *c;
	gboolean chunking;
} ManyRun;

static void
test_many(gconstpointer data)
{
	const ManyRun *run = data;
	const ManyCase *c = run->c;
	static const char *const rcpt_names[3][2] = { { "m0a", NULL }, { "m1a", "m1b" }, { "m2a", NULL } };
	Reply replies[MAX_REPLIES] = { { NULL } };
	g_autofree char *dot_prefix[MAX_REPLIES] = { NULL };
	Server s = { 0 };
	MmSmtpClientOptions opts;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSmtpClient) client = NULL;
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *rcpts[3];
	MmAddress *rps[3];
	GBytes *bodies[3];
	MmSmtpRcptResult results[3][2] = { { { 0 } } };
	MmSmtpClientMessage msgs[3];
	g_autoptr(GString) got = g_string_new(NULL);
	g_autoptr(GString) expected_texts = g_string_new(NULL);
	gboolean ok;
	int fd;

	/* the case's replies for this way of sending */
	for (int i = 0, j = 0; i < MAX_REPLIES && c->replies[i].prefix != NULL; i++) {
		const char *p = c->replies[i].prefix;
		gboolean bdat_only = strstr(p, "BDAT") != NULL;
		gboolean data_only = strstr(p, "DATA") != NULL;

		if ((run->chunking && data_only) || (!run->chunking && bdat_only))
			continue;
		replies[j] = c->replies[i];
		if (g_str_has_suffix(p, "DOT")) {
			dot_prefix[j] = g_strdup_printf("%.*s%s", (int)(strlen(p) - 3), p,
			                                run->chunking ? "BDAT" : ".");
			replies[j].prefix = dot_prefix[j];
		}
		j++;
	}
	if (run->chunking) {
		/* EHLO's entry goes last: the case's own come first */
		for (int i = 0; i < MAX_REPLIES; i++)
			if (replies[i].prefix == NULL) {
				replies[i].prefix = "EHLO";
				replies[i].reply = "250-fake.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
				break;
			}
	}
	fd = server_start(&s, NULL, replies);
	options(&opts);
	opts.pipelining = !c->no_pipelining;
	client = mm_smtp_client_open_fd(fd, "fake.example", TRUE, &opts, &error);
	g_assert_no_error(error);

	for (int k = 0; k < 3; k++) {
		char *text = g_strdup_printf("Subject: m%d\n\n.line %d\nbody of message %d\n", k, k, k);

		g_ptr_array_add(keep, text);
		rps[k] = mm_address_new(k == 0 ? "s0" : k == 1 ? "s1" : "s2", "example.net", NULL);
		rcpts[k] = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
		for (int i = 0; i < 2 && rcpt_names[k][i] != NULL; i++) {
			g_autoptr(MmAddress) a = mm_address_new(rcpt_names[k][i], "example.org", NULL);

			g_ptr_array_add(rcpts[k], mm_recipient_new(a));
		}
		bodies[k] = g_bytes_new_static(text, strlen(text));
		msgs[k] = (MmSmtpClientMessage){ rps[k], (const MmRecipient *const *)rcpts[k]->pdata,
			                         rcpts[k]->len, bodies[k], results[k] };
	}
	ok = mm_smtp_client_send_many(client, msgs, 3, &error);
	if (c->send_ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
	} else {
		g_assert_false(ok);
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	}
	for (int k = 0; k < 3; k++) {
		gboolean delivered = TRUE;

		for (guint i = 0; i < rcpts[k]->len; i++) {
			MmSmtpRcptResult *r = &results[k][i];

			g_assert_nonnull(r->reply);
			g_string_append_c(got, r->status == MM_SMTP_RCPT_DELIVERED  ? 'D'
			                       : r->status == MM_SMTP_RCPT_DEFERRED ? 'T'
			                                                            : 'F');
			delivered = delivered && r->status == MM_SMTP_RCPT_DELIVERED;
			g_test_message("message %d recipient %u: %s", k, i, r->reply);
		}
		g_string_append_c(got, k < 2 ? ' ' : '\0');
		/* as the server keeps it: CRLF, dot-stuffed after DATA */
		if (delivered)
			g_string_append_printf(expected_texts, "Subject: m%d\r\n\r\n%s.line %d\r\nbody of "
			                       "message %d\r\n\001",
			                       k, run->chunking ? "" : ".", k, k);
	}
	g_assert_cmpstr(got->str, ==, c->statuses);
	g_clear_pointer(&client, mm_smtp_client_close);
	g_thread_join(s.thread);

	/* every delivered message reached the server once and intact */
	{
		g_auto(GStrv) wanted = g_strsplit(expected_texts->str, "\001", -1);

		for (int w = 0; wanted[w] != NULL; w++) {
			guint times = 0;

			if (*wanted[w] == '\0')
				continue;
			for (guint i = 0; i < s.messages->len; i++)
				times += strcmp(s.messages->pdata[i], wanted[w]) == 0;
			if (times != 1)
				g_error("\"%s\" taken %u times", wanted[w], times);
		}
	}
	if (c->no_pipelining) {
		g_assert_null(strstr(s.raw->str, "BDAT"));
	} else if (run->chunking) {
		g_assert_null(strstr(s.raw->str, "DATA\r\n"));
		g_assert_nonnull(strstr(s.raw->str, " LAST\r\nSubject: m0\r\n"));
	} else if (strcmp(c->label, "all-delivered") == 0) {
		/* the end of a message and the next one's commands: one write */
		gboolean together = FALSE;

		for (guint i = 0; i < s.chunks->len; i++)
			together = together || strstr(s.chunks->pdata[i],
			                              "\r\n.\r\nMAIL FROM:<s1@example.net>\r\nRCPT TO:<m1a@example.org>\r\n"
			                              "RCPT TO:<m1b@example.org>\r\nDATA\r\n") != NULL;
		g_assert_true(together);
	}
	for (int k = 0; k < 3; k++) {
		for (guint i = 0; i < rcpts[k]->len; i++)
			mm_smtp_rcpt_result_clear(&results[k][i]);
		g_ptr_array_unref(rcpts[k]);
		mm_address_free(rps[k]);
		g_bytes_unref(bodies[k]);
	}
	server_free(&s);
}

/* ---- opening ---- */

typedef struct {
	const char *label;
	const char *greeting;   /* NULL: default; "": none */
	Reply replies[MAX_REPLIES];
	gboolean instant_helo;
	gboolean loopback;
	MmSmtpTlsMode tls;
	MmSmtpAuthMech auth;
	gboolean allow_plaintext;
	gboolean open_ok;
	gboolean esmtp;
	const char *error_part;  /* in the error message */
	const char *wire;        /* sent by the client */
	const char *not_wire;
} OpenCase;

static const OpenCase open_cases[] = {
	{ "plain", NULL, { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE, FALSE, TRUE, TRUE,
	  NULL, "EHLO client.example\r\n", "HELO" },
	{ "greeting-554", "554 5.3.2 go away\r\n", { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_OFF,
	  MM_SMTP_AUTH_NONE, FALSE, FALSE, FALSE, "554 5.3.2 go away", NULL, "EHLO" },
	{ "greeting-421", "421 4.3.2 busy\r\n", { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_OFF,
	  MM_SMTP_AUTH_NONE, FALSE, FALSE, FALSE, "421", NULL, "EHLO" },
	{ "greeting-malformed", "hello\r\n", { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_OFF,
	  MM_SMTP_AUTH_NONE, FALSE, FALSE, FALSE, "malformed", NULL, "EHLO" },
	{ "greeting-multiline", "220-fake.example\r\n220-more\r\n220 ESMTP\r\n", { { NULL } }, FALSE,
	  TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE, FALSE, TRUE, TRUE, NULL, "EHLO", NULL },
	{ "ehlo-502-helo", NULL, { { "EHLO", "502 5.5.1 what?\r\n" } }, FALSE, TRUE, MM_SMTP_TLS_OFF,
	  MM_SMTP_AUTH_NONE, FALSE, TRUE, FALSE, NULL, "EHLO client.example\r\nHELO client.example\r\n",
	  NULL },
	{ "ehlo-421", NULL, { { "EHLO", "421 4.7.0 no\r\n" } }, FALSE, TRUE, MM_SMTP_TLS_OFF,
	  MM_SMTP_AUTH_NONE, FALSE, FALSE, FALSE, "EHLO refused: 421", NULL, "HELO" },
	{ "ehlo-and-helo-5xx", NULL, { { "EHLO", "500 no\r\n" }, { "HELO", "550 no\r\n" } }, FALSE,
	  TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE, FALSE, FALSE, FALSE, "HELO refused: 550", NULL,
	  NULL },
	{ "ehlo-silent", NULL, { { "EHLO", SILENT } }, FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE,
	  FALSE, FALSE, FALSE, "no reply within", NULL, NULL },
	{ "instant-helo", NULL, { { NULL } }, TRUE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE, FALSE,
	  TRUE, TRUE, NULL, NULL, NULL },
	{ "instant-helo-no-greeting", "", { { NULL } }, TRUE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE,
	  FALSE, TRUE, TRUE, NULL, NULL, NULL },
	{ "tls-required-not-offered", NULL, { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_REQUIRED,
	  MM_SMTP_AUTH_NONE, FALSE, FALSE, TRUE, "does not offer STARTTLS", NULL, "STARTTLS" },
	{ "tls-opportunistic-not-offered", NULL, { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_OPPORTUNISTIC,
	  MM_SMTP_AUTH_NONE, FALSE, TRUE, TRUE, NULL, NULL, "STARTTLS" },
	{ "tls-opportunistic-refused", NULL,
	  { { "EHLO", "250-fake\r\n250 STARTTLS\r\n" }, { "STARTTLS", "454 4.7.0 no TLS today\r\n" } },
	  FALSE, TRUE, MM_SMTP_TLS_OPPORTUNISTIC, MM_SMTP_AUTH_NONE, FALSE, TRUE, TRUE, NULL,
	  "STARTTLS\r\n", NULL },
	{ "tls-required-refused", NULL,
	  { { "EHLO", "250-fake\r\n250 STARTTLS\r\n" }, { "STARTTLS", "454 4.7.0 no TLS today\r\n" } },
	  FALSE, TRUE, MM_SMTP_TLS_REQUIRED, MM_SMTP_AUTH_NONE, FALSE, FALSE, TRUE, "STARTTLS refused",
	  "STARTTLS\r\n", NULL },
	{ "tls-off-offered", NULL, { { "EHLO", "250-fake\r\n250 STARTTLS\r\n" } }, FALSE, TRUE,
	  MM_SMTP_TLS_OFF, MM_SMTP_AUTH_NONE, FALSE, TRUE, TRUE, NULL, NULL, "STARTTLS" },
	{ "auth-plain-loopback", NULL,
	  { { "EHLO", "250-fake\r\n250 AUTH LOGIN PLAIN\r\n" }, { "AUTH PLAIN", "235 2.7.0 ok\r\n" } },
	  FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_PLAIN, FALSE, TRUE, TRUE, NULL,
	  "AUTH PLAIN AHUAcw==\r\n", NULL },
	{ "auth-login-old-syntax", NULL,
	  { { "EHLO", "250-fake\r\n250 AUTH=LOGIN\r\n" }, { "AUTH LOGIN", "334 VXNlcm5hbWU6\r\n" },
	    { "dQ==", "334 UGFzc3dvcmQ6\r\n" }, { "cw==", "235 2.7.0 ok\r\n" } },
	  FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_LOGIN, FALSE, TRUE, TRUE, NULL,
	  "AUTH LOGIN\r\ndQ==\r\ncw==\r\n", NULL },
	{ "auth-cram-md5", NULL,
	  /* RFC 2195's example: tim, tanstaaftanstaaf */
	  { { "EHLO", "250-fake\r\n250 AUTH CRAM-MD5\r\n" },
	    { "AUTH CRAM-MD5", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n" },
	    { "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", "235 2.7.0 ok\r\n" } },
	  FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_CRAM_MD5, FALSE, TRUE, TRUE, NULL,
	  "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n", NULL },
	{ "auth-refused", NULL,
	  { { "EHLO", "250-fake\r\n250 AUTH PLAIN\r\n" }, { "AUTH PLAIN", "535 5.7.8 bad credentials\r\n" } },
	  FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_PLAIN, FALSE, FALSE, TRUE, "535 5.7.8", NULL, NULL },
	{ "auth-not-offered", NULL, { { NULL } }, FALSE, TRUE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_PLAIN,
	  FALSE, FALSE, TRUE, "does not offer AUTH PLAIN", NULL, "AUTH" },
	{ "auth-mech-not-offered", NULL, { { "EHLO", "250-fake\r\n250 AUTH LOGIN\r\n" } }, FALSE, TRUE,
	  MM_SMTP_TLS_OFF, MM_SMTP_AUTH_CRAM_MD5, FALSE, FALSE, TRUE, "does not offer AUTH CRAM-MD5",
	  NULL, "AUTH" },
	{ "auth-cleartext-refused", NULL, { { "EHLO", "250-fake\r\n250 AUTH PLAIN\r\n" } }, FALSE,
	  FALSE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_PLAIN, FALSE, FALSE, TRUE, "without TLS", NULL, "AUTH" },
	{ "auth-cleartext-login-refused", NULL, { { "EHLO", "250-fake\r\n250 AUTH LOGIN\r\n" } }, FALSE,
	  FALSE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_LOGIN, FALSE, FALSE, TRUE, "without TLS", NULL, "AUTH" },
	{ "auth-cleartext-cram-md5", NULL,
	  /* CRAM-MD5 sends a keyed hash, not the secret: no TLS needed */
	  { { "EHLO", "250-fake\r\n250 AUTH CRAM-MD5\r\n" },
	    { "AUTH CRAM-MD5", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n" },
	    { "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", "235 2.7.0 ok\r\n" } },
	  FALSE, FALSE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_CRAM_MD5, FALSE, TRUE, TRUE, NULL,
	  "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n", NULL },
	{ "auth-cleartext-allowed", NULL,
	  { { "EHLO", "250-fake\r\n250 AUTH PLAIN\r\n" }, { "AUTH PLAIN", "235 2.7.0 ok\r\n" } }, FALSE,
	  FALSE, MM_SMTP_TLS_OFF, MM_SMTP_AUTH_PLAIN, TRUE, TRUE, TRUE, NULL, "AUTH PLAIN", NULL },
};

static void
test_open(gconstpointer data)
{
	const OpenCase *c = data;
	Server s = { 0 };
	MmSmtpClientOptions opts;
	g_autoptr(GError) error = NULL;
	MmSmtpClient *client;
	int fd = server_start(&s, c->greeting, c->replies);

	options(&opts);
	opts.timeout_greeting = 1;
	opts.instant_helo = c->instant_helo;
	opts.tls = c->tls;
	opts.auth = c->auth;
	opts.auth_login = c->auth == MM_SMTP_AUTH_CRAM_MD5 ? "tim" : "u";
	opts.auth_secret = c->auth == MM_SMTP_AUTH_CRAM_MD5 ? "tanstaaftanstaaf" : "s";
	opts.auth_allow_plaintext = c->allow_plaintext;
	client = mm_smtp_client_open_fd(fd, "fake.example", c->loopback, &opts, &error);
	if (c->open_ok) {
		g_assert_no_error(error);
		g_assert_nonnull(client);
		g_assert_cmpint(mm_smtp_client_is_esmtp(client), ==, c->esmtp);
		g_assert_cmpstr(mm_smtp_client_peer(client), ==, "fake.example");
		g_assert_null(mm_smtp_client_tls_info(client));
	} else {
		g_assert_null(client);
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
		g_assert_true(g_str_has_prefix(error->message, "fake.example: "));
		if (strstr(error->message, c->error_part) == NULL)
			g_error("\"%s\" not in \"%s\"", c->error_part, error->message);
	}
	mm_smtp_client_close(client);
	g_thread_join(s.thread);
	if (c->instant_helo)
		g_assert_true(g_str_has_prefix(s.raw->str, "EHLO client.example\r\n"));
	if (c->wire != NULL && strstr(s.raw->str, c->wire) == NULL)
		g_error("\"%s\" not sent: \"%s\"", c->wire, s.raw->str);
	if (c->not_wire != NULL)
		g_assert_null(strstr(s.raw->str, c->not_wire));
	if (c->open_ok)
		g_assert_true(g_str_has_suffix(s.raw->str, "QUIT\r\n"));
	server_free(&s);
}

/* After STARTTLS the client drops what the server sent with the 220
 * (RFC 3207 5): here the handshake then fails against a server that
 * speaks no TLS, and what was injected must not have been read as a
 * reply. */
static void
test_starttls_discards(void)
{
	static const Reply replies[] = {
		{ "EHLO", "250-fake\r\n250 STARTTLS\r\n" },
		{ "STARTTLS", "220 2.0.0 ready\r\n250 injected\r\n" },
		{ NULL },
	};
	Server s = { 0 };
	MmSmtpClientOptions opts;
	g_autoptr(GError) error = NULL;
	MmSmtpClient *client;
	int fd = server_start(&s, NULL, replies);

	options(&opts);
	opts.timeout_greeting = 1;
	opts.tls = MM_SMTP_TLS_OPPORTUNISTIC;
	client = mm_smtp_client_open_fd(fd, "fake.example", TRUE, &opts, &error);
	g_assert_null(client);
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "TLS"));
	/* the server thread ends when the client closes */
	g_thread_join(s.thread);
	g_assert_null(strstr(s.raw->str, "MAIL"));
	server_free(&s);
}

typedef struct {
	const char *label;
	const char *text;
	gboolean ok;
	int value;
} ModeCase;

static const ModeCase mode_cases[] = {
	{ "off", "off", TRUE, MM_SMTP_TLS_OFF },
	{ "opportunistic", "Opportunistic", TRUE, MM_SMTP_TLS_OPPORTUNISTIC },
	{ "required", "REQUIRED", TRUE, MM_SMTP_TLS_REQUIRED },
	{ "smtps", "smtps", TRUE, MM_SMTP_TLS_SMTPS },
	{ "bad", "starttls", FALSE, 0 },
	{ "null", NULL, FALSE, 0 },
};

static const ModeCase mech_cases[] = {
	{ "none", NULL, TRUE, MM_SMTP_AUTH_NONE },
	{ "empty", "", TRUE, MM_SMTP_AUTH_NONE },
	{ "cram-md5", "CRAM-MD5", TRUE, MM_SMTP_AUTH_CRAM_MD5 },
	{ "login", "login", TRUE, MM_SMTP_AUTH_LOGIN },
	{ "plain", "Plain", TRUE, MM_SMTP_AUTH_PLAIN },
	{ "bad", "digest-md5", FALSE, 0 },
};

static void
test_names(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(mode_cases); i++) {
		MmSmtpTlsMode m = 99;

		g_assert_cmpint(mm_smtp_tls_mode_from_string(mode_cases[i].text, &m), ==, mode_cases[i].ok);
		if (mode_cases[i].ok)
			g_assert_cmpint(m, ==, mode_cases[i].value);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(mech_cases); i++) {
		MmSmtpAuthMech m = 99;

		g_assert_cmpint(mm_smtp_auth_mech_from_string(mech_cases[i].text, &m), ==, mech_cases[i].ok);
		if (mech_cases[i].ok)
			g_assert_cmpint(m, ==, mech_cases[i].value);
	}
}

static void
test_connect_refused(void)
{
	MmSmtpClientOptions opts;
	g_autoptr(GError) error = NULL;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	MmSmtpClient *client;

	/* a port that was just free: nobody listens on it */
	g_assert_cmpint(bind(s, (struct sockaddr *)&sin, sizeof sin), ==, 0);
	g_assert_cmpint(getsockname(s, (struct sockaddr *)&sin, &len), ==, 0);
	close(s);
	options(&opts);
	client = mm_smtp_client_open("127.0.0.1", ntohs(sin.sin_port), &opts, &error);
	g_assert_null(client);
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "refused"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* the scripted server may answer a client that has already gone */
	signal(SIGPIPE, SIG_IGN);
	for (gsize i = 0; i < G_N_ELEMENTS(send_cases); i++) {
		g_autofree char *path = g_strdup_printf("/smtp/client/send/%s", send_cases[i].label);

		g_test_add_data_func(path, &send_cases[i], test_send);
	}
	g_test_add_func("/smtp/client/send/session-reuse", test_session_reuse);
	for (gsize i = 0; i < G_N_ELEMENTS(many_cases); i++) {
		for (int chunking = 0; chunking < 2; chunking++) {
			static ManyRun runs[G_N_ELEMENTS(many_cases)][2];
			g_autofree char *path = NULL;

			if (chunking && many_cases[i].no_pipelining)
				continue;
			runs[i][chunking] = (ManyRun){ &many_cases[i], chunking };
			path = g_strdup_printf("/smtp/client/many/%s/%s", chunking ? "bdat" : "data",
			                       many_cases[i].label);
			g_test_add_data_func(path, &runs[i][chunking], test_many);
		}
	}
	for (gsize i = 0; i < G_N_ELEMENTS(open_cases); i++) {
		g_autofree char *path = g_strdup_printf("/smtp/client/open/%s", open_cases[i].label);

		g_test_add_data_func(path, &open_cases[i], test_open);
	}
	g_test_add_func("/smtp/client/open/starttls-discards-injection", test_starttls_discards);
	g_test_add_func("/smtp/client/open/connect-refused", test_connect_refused);
	g_test_add_func("/smtp/client/names", test_names);
	return g_test_run();
}
