/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of session.c: whole SMTP conversations in memory. Each case is
 * the client's input and the reply codes (with enhanced codes) the
 * server must give, and how many messages end up committed. Every case
 * runs twice: the input in one piece (a pipelining client) and byte by
 * byte (the slowest network), which must give the same replies.
 *
 * The client's name in Received: is tested twice: the session alone,
 * given the name late or not at all, and server.c's lookup through a
 * loopback connection with a resolver of the test's making (and the
 * system's own, for 127.0.0.1).
 */
#include "config.h"

#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "queue/spool.h"
#include "smtp/sasl.h"
#include "smtp/server.h"
#include "smtp/session.h"

#define BASE_CONF                                                 \
	"host_name = mx.example.org\n"                                 \
	"local_hosts = \"localhost;mx.example.org;example.org\"\n"

typedef enum {
	PEER_OUTSIDE,  /* 192.0.2.7: not in the relay networks */
	PEER_LAN,      /* 192.168.1.5: in the relay networks */
	PEER_LOOPBACK, /* 127.0.0.1 */
	PEER_PIPE,     /* -bs */
} PeerKind;

enum {
	TLS = 1 << 0,         /* a certificate is configured */
	AUTH = 1 << 1,        /* a secrets file is configured */
	EARLY = 1 << 2,       /* the client talks before the greeting */
	WHOLE_ONLY = 1 << 3,  /* only in one piece (what is discarded depends on it) */
	DISK_FULL = 1 << 4,   /* the first commit fails with ENOSPC */
};

#define MAX_CHUNKS 6

typedef struct {
	const char *label;
	const char *conf;                 /* lines after BASE_CONF */
	PeerKind peer;
	guint flags;
	const char *chunks[MAX_CHUNKS];   /* what the client sends, read by read */
	const char *replies;              /* "220 250/2.1.0 ..." */
	guint queued;
} Conversation;

typedef struct {
	char *dir;
	char *secrets_path;
	MmSaslSecrets *secrets;
	GPtrArray *committed; /* MmMessage* copies of what was committed */
	guint commits_to_fail;
	GPtrArray *queued;    /* char* uids from on_queued */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("test-session-XXXXXX", &error);
	g_assert_no_error(error);
	f->secrets_path = g_build_filename(f->dir, "secrets", NULL);
	g_assert_true(g_file_set_contents(f->secrets_path, "alice:wonderland\nbob:b0b secret\n", -1, &error));
	g_assert_no_errno(g_chmod(f->secrets_path, 0600));
	f->secrets = mm_sasl_secrets_read(f->secrets_path, &error);
	g_assert_no_error(error);
	f->committed = g_ptr_array_new_with_free_func((GDestroyNotify)mm_message_free);
	f->queued = g_ptr_array_new_with_free_func(g_free);
}


static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	mm_test_remove_tree(f->dir);
	g_free(f->dir);
	g_free(f->secrets_path);
	mm_sasl_secrets_free(f->secrets);
	g_ptr_array_unref(f->committed);
	g_ptr_array_unref(f->queued);
}

static MmMessage *
copy_message(const MmMessage *m)
{
	MmMessage *c = mm_message_new();
	c->uid = g_strdup(m->uid);
	c->return_path = mm_address_copy(m->return_path);
	for (guint i = 0; i < m->rcpts->len; i++)
		g_ptr_array_add(c->rcpts, mm_recipient_new(((MmRecipient *)m->rcpts->pdata[i])->address));
	for (guint i = 0; i < m->headers->len; i++)
		g_ptr_array_add(c->headers, mm_header_copy(m->headers->pdata[i]));
	c->body = g_bytes_ref(m->body);
	c->received_host = g_strdup(m->received_host);
	c->protocol = g_strdup(m->protocol);
	return c;
}

static gboolean
test_commit(const MmMessage *msg, gpointer user_data, GError **error)
{
	Fixture *f = user_data;
	if (f->commits_to_fail > 0) {
		f->commits_to_fail--;
		mm_error_set_errno(error, ENOSPC, "writing the spool");
		return FALSE;
	}
	g_ptr_array_add(f->committed, copy_message(msg));
	return TRUE;
}

static void
test_on_queued(const char *uid, gpointer user_data)
{
	Fixture *f = user_data;
	g_ptr_array_add(f->queued, g_strdup(uid));
}

static MmConf *
load_conf(const char *extra)
{
	g_autofree char *text = g_strconcat(BASE_CONF, extra ? extra : "", NULL);
	g_autoptr(GError) error = NULL;
	MmConf *conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_assert_no_error(error);
	return conf;
}

static MmSmtpPeer
peer_of(PeerKind kind)
{
	switch (kind) {
	case PEER_OUTSIDE:
		return (MmSmtpPeer){ .address = "192.0.2.7" };
	case PEER_LAN:
		return (MmSmtpPeer){ .address = "192.168.1.5", .may_relay = TRUE };
	case PEER_LOOPBACK:
		return (MmSmtpPeer){ .address = "127.0.0.1", .loopback = TRUE, .may_relay = TRUE };
	case PEER_PIPE:
	default:
		return (MmSmtpPeer){ .loopback = TRUE, .may_relay = TRUE };
	}
}

static MmSmtpSession *
new_session(Fixture *f, const MmConf *conf, PeerKind kind, guint flags)
{
	MmSmtpPeer peer = peer_of(kind);
	MmSmtpSessionConfig cfg = {
		.conf = conf,
		.secrets = (flags & AUTH) ? f->secrets : NULL,
		.tls_offered = (flags & TLS) != 0,
		.commit = test_commit,
		.on_queued = test_on_queued,
		.user_data = f,
		.id = "test",
	};
	return mm_smtp_session_new(&cfg, &peer);
}

/* "250-a\r\n250 b\r\n354 go\r\n" -> "250 354": the last line of each
 * reply, its code and its enhanced code when it has one. */
static void
append_codes(GString *codes, const char *output)
{
	g_auto(GStrv) lines = g_strsplit(output, "\r\n", -1);

	for (char **l = lines; *l; l++) {
		const char *p = *l;
		if (strlen(p) < 3 || p[3] == '-')
			continue;
		if (codes->len)
			g_string_append_c(codes, ' ');
		g_string_append_len(codes, p, 3);
		if (p[3] == ' ' && g_ascii_isdigit(p[4]) && p[5] == '.') {
			gsize n = strcspn(p + 4, " ");
			g_string_append_c(codes, '/');
			g_string_append_len(codes, p + 4, n);
		}
	}
}

static void
drain(MmSmtpSession *s, GString *codes, GString *all)
{
	GString *out = mm_smtp_session_take_output(s);
	append_codes(codes, out->str);
	if (all)
		g_string_append(all, out->str);
	g_string_free(out, TRUE);
	if (mm_smtp_session_want_starttls(s))
		mm_smtp_session_tls_started(s, "TLS1.3:ECDHE-X25519:AES-256-GCM");
}

/* Runs @chunks through a session; returns the reply codes. */
static char *
converse(Fixture *f, const MmConf *conf, PeerKind kind, guint flags, const char *const *chunks,
         gboolean bytewise, GString *all)
{
	g_autoptr(MmSmtpSession) s = new_session(f, conf, kind, flags);
	GString *codes = g_string_new(NULL);

	f->commits_to_fail = (flags & DISK_FULL) ? 1 : 0;
	if (!(flags & EARLY))
		mm_smtp_session_greet(s);
	drain(s, codes, all);
	for (guint i = 0; i < MAX_CHUNKS && chunks[i]; i++) {
		gsize len = strlen(chunks[i]);
		if (!bytewise) {
			mm_smtp_session_feed(s, chunks[i], len);
			drain(s, codes, all);
		} else {
			for (gsize j = 0; j < len; j++) {
				mm_smtp_session_feed(s, chunks[i] + j, 1);
				drain(s, codes, all);
			}
		}
		if (mm_smtp_session_want_close(s))
			break;
	}
	return g_string_free(codes, FALSE);
}

#define EHLO "EHLO client.example\r\n"
#define MSG "Subject: test\r\n\r\nhello\r\n.\r\n"
#define OUTSIDE_TO(rcpt) EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<" rcpt ">\r\nQUIT\r\n"

static const Conversation conversations[] = {
	/* the protocol */
	{ "basic/helo", NULL, PEER_OUTSIDE, 0,
	  { "HELO client.example\r\n", "MAIL FROM:<a@sender.example>\r\n", "RCPT TO:<u@example.org>\r\n",
	    "DATA\r\n", MSG, "QUIT\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0 221/2.0.0", 1 },
	{ "basic/ehlo-pipelined", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nRCPT TO:<v@example.org>\r\nDATA\r\n",
	    MSG "QUIT\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 250/2.1.5 354 250/2.0.0 221/2.0.0", 1 },
	{ "basic/two-transactions", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n", MSG,
	    "MAIL FROM:<b@sender.example>\r\nRCPT TO:<v@example.org>\r\nDATA\r\n", MSG "QUIT\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0 250/2.1.0 250/2.1.5 354 250/2.0.0 221/2.0.0", 2 },
	{ "basic/lower-case-verbs", NULL, PEER_OUTSIDE, 0,
	  { "ehlo client.example\r\nmail from:<a@sender.example>\r\nrcpt to:<u@example.org>\r\ndata\r\n",
	    MSG "quit\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0 221/2.0.0", 1 },
	{ "basic/rset-noop-vrfy-help", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRSET\r\nRCPT TO:<u@example.org>\r\nNOOP\r\n"
	         "VRFY root\r\nHELP\r\nEXPN staff\r\nQUIT\r\n" },
	  "220 250 250/2.1.0 250/2.0.0 503/5.5.1 250/2.0.0 252/2.5.0 214/2.0.0 502/5.5.1 221/2.0.0", 0 },
	{ "basic/null-sender", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n", MSG },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },
	{ "basic/postmaster-unqualified", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n", MSG },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },
	{ "basic/bare-lf-commands", NULL, PEER_PIPE, 0,
	  { "EHLO client.example\nMAIL FROM:<a@sender.example>\nQUIT\n" }, "220 250 250/2.1.0 221/2.0.0", 0 },
	{ "basic/dot-stuffing", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: dots\r\n\r\n..leading\r\n...\r\n.\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },
	{ "basic/eight-bit-declared", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example> BODY=8BITMIME\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f\x65\r\n.\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },
	{ "basic/size-within", "max_msg_size = 1000\n", PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example> SIZE=900\r\nRCPT TO:<u@example.org>\r\nDATA\r\n", MSG },
	  "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },

	/* commands out of order and malformed */
	{ "sequence/mail-before-helo", NULL, PEER_OUTSIDE, 0,
	  { "MAIL FROM:<a@sender.example>\r\nQUIT\r\n" }, "220 503/5.5.1 221/2.0.0", 0 },
	{ "sequence/rcpt-before-mail", NULL, PEER_OUTSIDE, 0,
	  { EHLO "RCPT TO:<u@example.org>\r\nDATA\r\n" }, "220 250 503/5.5.1 503/5.5.1", 0 },
	{ "sequence/nested-mail", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nMAIL FROM:<b@sender.example>\r\n" },
	  "220 250 250/2.1.0 503/5.5.1", 0 },
	{ "sequence/data-without-rcpt", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nDATA\r\n" }, "220 250 250/2.1.0 554/5.5.1", 0 },
	{ "syntax/helo-without-domain", NULL, PEER_OUTSIDE, 0,
	  { "HELO\r\nEHLO \r\n" }, "220 501/5.5.4 501/5.5.4", 0 },
	{ "syntax/unknown-command", NULL, PEER_OUTSIDE, 0, { "FOO bar\r\n" }, "220 500/5.5.1", 0 },
	{ "syntax/mail-keyword", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL TO:<a@sender.example>\r\nMAIL FROM:<a@sender.example\r\n" },
	  "220 250 501/5.5.4 501/5.5.4", 0 },
	{ "syntax/bad-sender", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@@sender.example>\r\nMAIL FROM:<a b@sender.example>\r\n" },
	  "220 250 501/5.1.7 501/5.1.7", 0 },
	{ "syntax/bad-recipient", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@@example.org>\r\nRCPT TO:<u>\r\n"
	         "RCPT TO:<>\r\n" },
	  "220 250 250/2.1.0 501/5.1.3 501/5.1.3 501/5.1.3", 0 },
	{ "syntax/unknown-mail-parameter", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example> FOO=1\r\nMAIL FROM:<a@sender.example> BODY=BINARYMIME\r\n"
	         "MAIL FROM:<a@sender.example> SIZE=big\r\n" },
	  "220 250 555/5.5.4 501/5.5.4 501/5.5.4", 0 },
	{ "syntax/mail-parameter-after-helo", NULL, PEER_OUTSIDE, 0,
	  { "HELO client.example\r\nMAIL FROM:<a@sender.example> SIZE=10\r\n" }, "220 250 555/5.5.4", 0 },
	{ "syntax/rcpt-parameter", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org> NOTIFY=NEVER\r\n" },
	  "220 250 250/2.1.0 555/5.5.4", 0 },
	{ "syntax/data-argument", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA now\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 501/5.5.4", 0 },
	{ "syntax/eight-bit-in-command", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<j\xc3\xb6rg@sender.example>\r\n" }, "220 250 500/5.5.2", 0 },
	{ "syntax/source-route-local", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<@mx.example.org:u@example.org>\r\n" },
	  "220 250 250/2.1.0 250/2.1.5", 0 },
	{ "syntax/source-route-malformed", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<@mx.example.org,u@example.org>\r\n" },
	  "220 250 250/2.1.0 501/5.1.3", 0 },

	/* limits */
	{ "limit/size-at-mail", "max_msg_size = 1000\n", PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example> SIZE=1001\r\n" }, "220 250 552/5.3.4", 0 },
	{ "limit/size-during-data", "max_msg_size = 40\n", PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: a message that is too large\r\n\r\nfor the limit of forty octets\r\n.\r\n", "QUIT\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 552/5.3.4 221/2.0.0", 0 },
	{ "limit/too-many-errors", "smtp_max_errors = 3\n", PEER_OUTSIDE, 0,
	  { "FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n" }, "220 500/5.5.1 500/5.5.1 500/5.5.1 421/4.7.0", 0 },
	{ "limit/early-talker", NULL, PEER_OUTSIDE, EARLY,
	  { "EHLO client.example\r\n", "QUIT\r\n" }, "554/5.5.0", 0 },
	{ "limit/defer-all", "defer_all = true\n", PEER_OUTSIDE, 0, { EHLO }, "421/4.3.2", 0 },
	{ "limit/disk-full", NULL, PEER_OUTSIDE, DISK_FULL,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n", MSG,
	    "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n", MSG },
	  "220 250 250/2.1.0 250/2.1.5 354 452/4.3.1 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },

	/* the end of the text and bad text (SMTP smuggling, CVE-2023-51764..6) */
#define SMUGGLE(label, text)                                                                         \
	{ "smuggling/" label, NULL, PEER_OUTSIDE, 0,                                                  \
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",               \
	    "Subject: x\r\n\r\nfirst" text "MAIL FROM:<evil@sender.example>\r\nRCPT TO:<v@example.org>\r\n" \
	    "DATA\r\nsmuggled\r\n.\r\n",                                                               \
	    "QUIT\r\n" },                                                                            \
	  "220 250 250/2.1.0 250/2.1.5 354 554/5.5.2 221/2.0.0", 0 }
	SMUGGLE("lf-dot-lf", "\n.\n"),
	SMUGGLE("lf-dot-crlf", "\n.\r\n"),
	SMUGGLE("crlf-dot-lf", "\r\n.\n"),
	SMUGGLE("cr-dot-cr", "\r.\r"),
	SMUGGLE("cr-dot-crlf", "\r.\r\n"),
	SMUGGLE("crlf-dot-cr", "\r\n.\r"),
	SMUGGLE("lf-dot-cr-lf", "\n.\r\n"),
	{ "text/bare-lf-inside", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: x\r\n\r\na\nb\r\n.\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 554/5.5.2", 0 },
	{ "text/bare-cr-inside", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: x\r\n\r\na\rb\r\n.\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 554/5.5.2", 0 },
	{ "text/eight-bit-undeclared", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f\x65\r\n.\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 554/5.6.1", 0 },
	{ "text/eight-bit-after-helo", NULL, PEER_OUTSIDE, 0,
	  { "HELO client.example\r\nMAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
	    "Subject: x\r\n\r\n\xff\r\n.\r\n" },
	  "220 250 250/2.1.0 250/2.1.5 354 554/5.6.1", 0 },

	/* relay control: the recipient from outside the relay networks */
	{ "relay/outside-local", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u@example.org") },
	  "220 250 250/2.1.0 250/2.1.5 221/2.0.0", 0 },
	{ "relay/outside-local-upper-case", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("U@EXAMPLE.ORG") },
	  "220 250 250/2.1.0 250/2.1.5 221/2.0.0", 0 },
	{ "relay/outside-localhost", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u@localhost") },
	  "220 250 250/2.1.0 250/2.1.5 221/2.0.0", 0 },
	{ "relay/outside-remote", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u@remote.example") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-remote-upper-case", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("U@REMOTE.EXAMPLE") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-percent", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u%remote.example@example.org") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-percent-upper-case", NULL, PEER_OUTSIDE, 0,
	  { OUTSIDE_TO("U%REMOTE.EXAMPLE@EXAMPLE.ORG") }, "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-quoted-at", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("\"u@remote.example\"@example.org") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-bang", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("remote.example!u@example.org") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-source-route", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("@example.org:u@remote.example") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-double-at", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u@remote.example@example.org") },
	  "220 250 250/2.1.0 501/5.1.3 221/2.0.0", 0 },
	{ "relay/outside-ip-literal", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u@[192.0.2.1]") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-ipv6-literal", NULL, PEER_OUTSIDE, 0, { OUTSIDE_TO("u@[IPv6:2001:db8::1]") },
	  "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	{ "relay/outside-not-local-address", "not_local_addresses = \"eric@example.org\"\n", PEER_OUTSIDE, 0,
	  { OUTSIDE_TO("eric@example.org") }, "220 250 250/2.1.0 550/5.7.1 221/2.0.0", 0 },
	/* from inside */
	{ "relay/lan-remote", NULL, PEER_LAN, 0, { OUTSIDE_TO("u@remote.example") },
	  "220 250 250/2.1.0 250/2.1.5 221/2.0.0", 0 },
	{ "relay/lan-percent", NULL, PEER_LAN, 0, { OUTSIDE_TO("u%remote.example@example.org") },
	  "220 250 250/2.1.0 250/2.1.5 221/2.0.0", 0 },
	{ "relay/pipe-remote", NULL, PEER_PIPE, 0, { OUTSIDE_TO("u@remote.example") },
	  "220 250 250/2.1.0 250/2.1.5 221/2.0.0", 0 },
	/* do_relay = false keeps 1.0's meaning, for every client */
	{ "relay/do-relay-false-remote-sender", "do_relay = false\n", PEER_LAN, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@remote.example>\r\nRCPT TO:<u@example.org>\r\n" },
	  "220 250 250/2.1.0 550/5.7.1 250/2.1.5", 0 },
	{ "relay/do-relay-false-local-sender", "do_relay = false\n", PEER_LAN, 0,
	  { EHLO "MAIL FROM:<a@example.org>\r\nRCPT TO:<u@remote.example>\r\n" },
	  "220 250 250/2.1.0 250/2.1.5", 0 },
	/* RFC 2920: the replies of a group in order, a refused RCPT in between */
	{ "pipelining/refused-rcpt-in-group", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<x@remote.example>\r\nRCPT TO:<u@example.org>\r\n"
	         "DATA\r\n",
	    MSG },
	  "220 250 250/2.1.0 550/5.7.1 250/2.1.5 354 250/2.0.0", 1 },
	{ "pipelining/all-rcpts-refused", NULL, PEER_OUTSIDE, 0,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nRSET\r\n" },
	  "220 250 250/2.1.0 550/5.7.1 554/5.5.1 250/2.0.0", 0 },

	/* STARTTLS */
	{ "tls/not-offered", NULL, PEER_OUTSIDE, 0, { EHLO "STARTTLS\r\n" }, "220 250 503/5.5.1", 0 },
	{ "tls/argument", NULL, PEER_OUTSIDE, TLS, { EHLO "STARTTLS now\r\n" }, "220 250 501/5.5.4", 0 },
	{ "tls/restart-from-ehlo", NULL, PEER_OUTSIDE, TLS,
	  { EHLO "STARTTLS\r\n", "MAIL FROM:<a@sender.example>\r\n", EHLO "STARTTLS\r\n" },
	  "220 250 220/2.0.0 503/5.5.1 250 503/5.5.1", 0 },
	/* CVE-2011-0411: what came with STARTTLS is thrown away */
	{ "tls/injected-commands-discarded", NULL, PEER_OUTSIDE, TLS | WHOLE_ONLY,
	  { EHLO "STARTTLS\r\nMAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\n",
	    EHLO "MAIL FROM:<a@sender.example>\r\n" },
	  "220 250 220/2.0.0 250 250/2.1.0", 0 },
	{ "tls/not-in-transaction", NULL, PEER_OUTSIDE, TLS,
	  { EHLO "MAIL FROM:<a@sender.example>\r\nSTARTTLS\r\n" }, "220 250 250/2.1.0 503/5.5.1", 0 },

	/* AUTH: alice:wonderland; "AGFsaWNlAHdvbmRlcmxhbmQ=" is PLAIN for it */
	{ "auth/plain-needs-tls", NULL, PEER_OUTSIDE, AUTH,
	  { EHLO "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\nAUTH LOGIN\r\n" }, "220 250 538/5.7.11 538/5.7.11", 0 },
	{ "auth/plain-on-loopback", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\nAUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" },
	  "220 250 235/2.7.0 503/5.5.1", 0 },
	{ "auth/plain-under-tls-relays", NULL, PEER_OUTSIDE, AUTH | TLS,
	  { EHLO "STARTTLS\r\n", EHLO "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n",
	    "MAIL FROM:<alice@example.org>\r\nRCPT TO:<u@remote.example>\r\nDATA\r\n", MSG },
	  "220 250 220/2.0.0 250 235/2.7.0 250/2.1.0 250/2.1.5 354 250/2.0.0", 1 },
	{ "auth/plain-two-steps", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH PLAIN\r\n", "AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" }, "220 250 334 235/2.7.0", 0 },
	/* "AGFsaWNlAHdyb25n" is alice with the password "wrong" */
	{ "auth/plain-wrong", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH PLAIN AGFsaWNlAHdyb25n\r\n" }, "220 250 535/5.7.8", 0 },
	{ "auth/failures-close", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH PLAIN AGFsaWNlAHdyb25n\r\nAUTH PLAIN AGFsaWNlAHdyb25n\r\nAUTH PLAIN AGFsaWNlAHdyb25n\r\n"
	         "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" },
	  "220 250 535/5.7.8 535/5.7.8 535/5.7.8 421/4.7.0", 0 },
	{ "auth/plain-other-authzid", NULL, PEER_LOOPBACK, AUTH,
	  /* "bob\0alice\0wonderland" */
	  { EHLO "AUTH PLAIN Ym9iAGFsaWNlAHdvbmRlcmxhbmQ=\r\n" }, "220 250 535/5.7.8", 0 },
	{ "auth/plain-bad-base64", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH PLAIN !!!\r\n" }, "220 250 501/5.5.2", 0 },
	{ "auth/login", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH LOGIN\r\n", "YWxpY2U=\r\n", "d29uZGVybGFuZA==\r\n" }, "220 250 334 334 235/2.7.0", 0 },
	{ "auth/login-initial-response", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH LOGIN YWxpY2U=\r\n", "d29uZGVybGFuZA==\r\n" }, "220 250 334 235/2.7.0", 0 },
	{ "auth/cancelled", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH LOGIN\r\n", "*\r\n", "NOOP\r\n" }, "220 250 334 501/5.7.0 250/2.0.0", 0 },
	{ "auth/unknown-mechanism", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "AUTH GSSAPI\r\n" }, "220 250 504/5.5.4", 0 },
	{ "auth/not-configured", NULL, PEER_LOOPBACK, 0,
	  { EHLO "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" }, "220 250 503/5.5.1", 0 },
	{ "auth/before-ehlo", NULL, PEER_LOOPBACK, AUTH,
	  { "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" }, "220 503/5.5.1", 0 },
	{ "auth/in-transaction", NULL, PEER_LOOPBACK, AUTH,
	  { EHLO "MAIL FROM:<a@example.org>\r\nAUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n" },
	  "220 250 250/2.1.0 503/5.5.1", 0 },
};

static void
test_conversation(Fixture *f, gconstpointer data)
{
	const Conversation *c = data;
	g_autoptr(MmConf) conf = load_conf(c->conf);

	for (int bytewise = 0; bytewise <= 1; bytewise++) {
		g_autofree char *codes = NULL;
		if (bytewise && (c->flags & WHOLE_ONLY))
			break;
		g_ptr_array_set_size(f->committed, 0);
		g_ptr_array_set_size(f->queued, 0);
		codes = converse(f, conf, c->peer, c->flags, c->chunks, bytewise, NULL);
		g_test_message("%s: %s", bytewise ? "byte by byte" : "in one piece", codes);
		g_assert_cmpstr(codes, ==, c->replies);
		g_assert_cmpuint(f->committed->len, ==, c->queued);
		g_assert_cmpuint(f->queued->len, ==, c->queued);
	}
}

/* ---- tests that need more than a table row ------------------------------- */

static char *
body_of(const MmMessage *m)
{
	gsize n;
	const char *p = g_bytes_get_data(m->body, &n);
	return g_strndup(p ? p : "", n);
}

static const char *
header_value(const MmMessage *m, const char *name)
{
	gsize n = strlen(name);
	for (guint i = 0; i < m->headers->len; i++) {
		const char *t = ((MmHeader *)m->headers->pdata[i])->text;
		if (g_ascii_strncasecmp(t, name, n) == 0 && t[n] == ':')
			return t;
	}
	return NULL;
}

static void
test_message_content(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	const char *chunks[] = { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
		                 "Subject: dots\r\n\r\n..leading\r\nline\r\n.\r\n", NULL };
	g_autofree char *codes = converse(f, conf, PEER_OUTSIDE, 0, chunks, FALSE, NULL);
	MmMessage *m;
	g_autofree char *body = NULL;
	const char *received;

	g_assert_cmpstr(codes, ==, "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0");
	g_assert_cmpuint(f->committed->len, ==, 1);
	m = f->committed->pdata[0];
	body = body_of(m);
	g_assert_cmpstr(body, ==, ".leading\nline\n");
	g_assert_cmpstr(m->protocol, ==, "esmtp");
	g_assert_cmpstr(m->received_host, ==, "192.0.2.7");
	received = header_value(m, "Received");
	g_assert_nonnull(received);
	g_assert_nonnull(strstr(received, "from client.example (unknown [192.0.2.7])"));
	g_assert_nonnull(strstr(received, "by mx.example.org with ESMTP"));
	g_assert_nonnull(header_value(m, "Message-ID"));
	g_assert_cmpstr(((MmHeader *)m->headers->pdata[0])->text, ==, received);
	g_assert_cmpstr(f->queued->pdata[0], ==, m->uid);
}

static void
test_received_tls_auth(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	const char *chunks[] = { EHLO "STARTTLS\r\n", EHLO "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n",
		                 "MAIL FROM:<alice@example.org>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n", MSG, NULL };
	g_autofree char *codes = converse(f, conf, PEER_OUTSIDE, TLS | AUTH, chunks, FALSE, NULL);
	const char *received;

	g_assert_cmpstr(codes, ==, "220 250 220/2.0.0 250 235/2.7.0 250/2.1.0 250/2.1.5 354 250/2.0.0");
	received = header_value(f->committed->pdata[0], "Received");
	g_assert_nonnull(strstr(received, "with ESMTPSA"));
	g_assert_nonnull(strstr(received, "TLS1.3:ECDHE-X25519:AES-256-GCM"));
	g_assert_nonnull(strstr(received, "authenticated as alice"));
}

static void
test_ehlo_keywords(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf("max_msg_size = 5000\n");
	const char *chunks[] = { EHLO, "STARTTLS\r\n", EHLO, NULL };
	g_autoptr(GString) all = g_string_new(NULL);
	g_autofree char *codes = converse(f, conf, PEER_OUTSIDE, TLS | AUTH, chunks, FALSE, all);
	g_auto(GStrv) parts = NULL;

	g_assert_cmpstr(codes, ==, "220 250 220/2.0.0 250");
	parts = g_strsplit(all->str, "220 2.0.0", 2);
	/* before TLS: STARTTLS, and of AUTH only CRAM-MD5 (no plain text) */
	for (int i = 0; i < 2; i++) {
		g_assert_nonnull(strstr(parts[i], "250-PIPELINING\r\n"));
		g_assert_nonnull(strstr(parts[i], "250-8BITMIME\r\n"));
		g_assert_nonnull(strstr(parts[i], "250-SIZE 5000\r\n"));
		g_assert_nonnull(strstr(parts[i], "250-ENHANCEDSTATUSCODES\r\n"));
	}
	g_assert_nonnull(strstr(parts[0], "250-STARTTLS\r\n"));
	g_assert_nonnull(strstr(parts[0], "250-AUTH CRAM-MD5\r\n"));
	g_assert_null(strstr(parts[1], "STARTTLS"));
	g_assert_nonnull(strstr(parts[1], "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"));
}

static void
test_auth_cram_md5(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(MmSmtpSession) s = new_session(f, conf, PEER_OUTSIDE, AUTH);
	GString *out;
	g_autofree char *challenge = NULL;
	g_autofree char *response = NULL;
	g_autofree char *b64 = NULL;
	g_autofree char *line = NULL;
	gsize n;

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, EHLO "AUTH CRAM-MD5\r\n", strlen(EHLO "AUTH CRAM-MD5\r\n"));
	out = mm_smtp_session_take_output(s);
	{
		const char *p = strstr(out->str, "\r\n334 ");
		g_assert_nonnull(p);
		p += 6;
		g_autofree char *enc = g_strndup(p, strcspn(p, "\r"));
		challenge = (char *)g_base64_decode(enc, &n);
		challenge = g_realloc(challenge, n + 1);
		challenge[n] = '\0';
	}
	g_string_free(out, TRUE);
	g_assert_true(g_str_has_prefix(challenge, "<") && g_str_has_suffix(challenge, "@mx.example.org>"));
	response = mm_sasl_cram_md5_response("bob", "b0b secret", challenge);
	b64 = g_base64_encode((const guchar *)response, strlen(response));
	line = g_strdup_printf("%s\r\nMAIL FROM:<b@example.org>\r\nRCPT TO:<u@remote.example>\r\n", b64);
	mm_smtp_session_feed(s, line, strlen(line));
	out = mm_smtp_session_take_output(s);
	g_assert_cmpstr(out->str, ==, "235 2.7.0 authentication successful\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n");
	g_string_free(out, TRUE);
}

static void
test_auth_failure_delay(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(MmSmtpSession) s = new_session(f, conf, PEER_LOOPBACK, AUTH);
	const char *wrong = "AUTH PLAIN AGFsaWNlAHdyb25n\r\n";

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, EHLO, strlen(EHLO));
	g_assert_cmpuint(mm_smtp_session_take_delay(s), ==, 0);
	mm_smtp_session_feed(s, wrong, strlen(wrong));
	g_assert_cmpuint(mm_smtp_session_take_delay(s), ==, MM_SMTP_AUTH_FAILURE_DELAY_MS);
	g_assert_cmpuint(mm_smtp_session_take_delay(s), ==, 0);
	mm_smtp_session_feed(s, wrong, strlen(wrong));
	g_assert_cmpuint(mm_smtp_session_take_delay(s), ==, 2 * MM_SMTP_AUTH_FAILURE_DELAY_MS);
	g_string_free(mm_smtp_session_take_output(s), TRUE);
}

/* A command line of exactly the limit (CRLF included) is taken, one
 * octet more is refused. */
static void
test_limit_command_line(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);

	for (int over = 0; over <= 1; over++) {
		g_autoptr(GString) in = g_string_new("NOOP ");
		g_autofree char *codes = NULL;
		while (in->len < MM_SMTP_COMMAND_LINE_MAX - 2 + (gsize)over)
			g_string_append_c(in, 'x');
		g_string_append(in, "\r\nNOOP\r\n");
		{
			const char *chunks[] = { in->str, NULL };
			for (int bytewise = 0; bytewise <= 1; bytewise++) {
				g_free(codes);
				codes = converse(f, conf, PEER_OUTSIDE, 0, chunks, bytewise, NULL);
				g_assert_cmpstr(codes, ==, over ? "220 500/5.5.2 250/2.0.0" : "220 250/2.0.0 250/2.0.0");
			}
		}
	}
}

static void
test_limit_text_line(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);

	for (int over = 0; over <= 1; over++) {
		g_autoptr(GString) text = g_string_new("Subject: long\r\n\r\n");
		g_autofree char *line = g_strnfill(MM_SMTP_TEXT_LINE_MAX - 2 + over, 'y');
		g_string_append_printf(text, "%s\r\n.\r\n", line);
		const char *chunks[] = { EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n",
			                 text->str, "NOOP\r\n", NULL };
		for (int bytewise = 0; bytewise <= 1; bytewise++) {
			g_autofree char *codes = NULL;
			g_ptr_array_set_size(f->committed, 0);
			codes = converse(f, conf, PEER_OUTSIDE, 0, chunks, bytewise, NULL);
			g_assert_cmpstr(codes, ==,
			                over ? "220 250 250/2.1.0 250/2.1.5 354 554/5.5.2 250/2.0.0"
			                     : "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0 250/2.0.0");
			g_assert_cmpuint(f->committed->len, ==, over ? 0 : 1);
		}
	}
}

/* smtp_max_recipients (at least 100) accepted, the next gets 452 and
 * the message goes to those accepted. */
static void
test_limit_recipients(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(GString) in = g_string_new(EHLO "MAIL FROM:<a@sender.example>\r\n");
	g_autoptr(GString) expected = g_string_new("220 250 250/2.1.0");
	g_autofree char *codes = NULL;
	const char *chunks[] = { NULL, MSG, NULL };

	for (int i = 0; i <= MM_RECIPIENTS_DEFAULT; i++) {
		g_string_append_printf(in, "RCPT TO:<u%d@example.org>\r\n", i);
		g_string_append(expected, i < MM_RECIPIENTS_DEFAULT ? " 250/2.1.5" : " 452/4.5.3");
	}
	g_string_append(in, "DATA\r\n");
	g_string_append(expected, " 354 250/2.0.0");
	chunks[0] = in->str;
	codes = converse(f, conf, PEER_OUTSIDE, 0, chunks, FALSE, NULL);
	g_assert_cmpstr(codes, ==, expected->str);
	g_assert_cmpuint(((MmMessage *)f->committed->pdata[0])->rcpts->len, ==, MM_RECIPIENTS_DEFAULT);
}

/* A pipelined group gets all its replies in one piece of output. */
static void
test_pipelining_one_write(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(MmSmtpSession) s = new_session(f, conf, PEER_OUTSIDE, 0);
	const char *group = "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\n"
	                    "RCPT TO:<x@remote.example>\r\nDATA\r\n";
	GString *out;

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, EHLO, strlen(EHLO));
	g_string_free(mm_smtp_session_take_output(s), TRUE);
	mm_smtp_session_feed(s, group, strlen(group));
	out = mm_smtp_session_take_output(s);
	g_assert_cmpstr(out->str, ==,
	                "250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.7.1 <x@remote.example>: relaying denied\r\n"
	                "354 End data with <CR><LF>.<CR><LF>\r\n");
	g_string_free(out, TRUE);
	g_assert_cmpint(mm_smtp_session_waiting_for(s), ==, MM_SMTP_WAIT_DATA);
	g_assert_true(mm_smtp_session_in_transaction(s));
}

static void
test_abort(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(MmSmtpSession) s = new_session(f, conf, PEER_OUTSIDE, 0);
	const char *in = EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\nSubject: x\r\n";
	GString *out;

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, in, strlen(in));
	g_string_free(mm_smtp_session_take_output(s), TRUE);
	mm_smtp_session_abort(s, "4.4.2", "timeout");
	out = mm_smtp_session_take_output(s);
	g_assert_true(g_str_has_prefix(out->str, "421 4.4.2 "));
	g_string_free(out, TRUE);
	g_assert_true(mm_smtp_session_want_close(s));
	mm_smtp_session_feed(s, ".\r\n", 3);
	g_assert_cmpuint(f->committed->len, ==, 0);
}

/* NUL bytes: a command is refused, a message text is refused whole. */
static void
test_nul(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(MmSmtpSession) s = new_session(f, conf, PEER_OUTSIDE, 0);
	static const char in[] = EHLO "NOOP \0x\r\nMAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\n"
	                               "DATA\r\nSubject: x\r\n\r\na\0b\r\n.\r\nQUIT\r\n";
	g_autoptr(GString) codes = g_string_new(NULL);

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, in, sizeof in - 1);
	drain(s, codes, NULL);
	g_assert_cmpstr(codes->str, ==, "220 250 500/5.5.2 250/2.1.0 250/2.1.5 354 554/5.6.0 221/2.0.0");
	g_assert_cmpuint(f->committed->len, ==, 0);
}

/* With the default commit the message is in the spool, once. */
static void
test_spool_commit(Fixture *f, gconstpointer data)
{
	g_autofree char *spool = g_build_filename(f->dir, "spool", NULL);
	g_autofree char *extra = g_strdup_printf("spool_dir = \"%s\"\n", spool);
	g_autoptr(MmConf) conf = load_conf(extra);
	MmSmtpPeer peer = peer_of(PEER_LAN);
	MmSmtpSessionConfig cfg = { .conf = conf };
	g_autoptr(MmSmtpSession) s = mm_smtp_session_new(&cfg, &peer);
	const char *in = EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\n"
	                      "RCPT TO:<v@remote.example>\r\nDATA\r\n" MSG;
	g_autoptr(GPtrArray) uids = NULL;
	g_autoptr(MmMessage) m = NULL;
	g_autoptr(GError) error = NULL;
	GString *out;

	g_assert_no_errno(g_mkdir(spool, 0700));
	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, in, strlen(in));
	out = mm_smtp_session_take_output(s);
	g_assert_nonnull(strstr(out->str, "\r\n250 2.0.0 OK id="));
	g_string_free(out, TRUE);
	uids = mm_spool_list_uids(spool, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(uids->len, ==, 1);
	m = mm_spool_read(spool, uids->pdata[0], TRUE, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(m->rcpts->len, ==, 2);
	g_assert_cmpstr(m->received_host, ==, "192.168.1.5");
	g_assert_cmpstr(m->protocol, ==, "esmtp");
}

/* An unwritable spool: 452 4.3.1, nothing in it, the session goes on. */
static void
test_spool_unwritable(Fixture *f, gconstpointer data)
{
	g_autofree char *spool = g_build_filename(f->dir, "no", "such", "spool", NULL);
	g_autofree char *extra = g_strdup_printf("spool_dir = \"%s\"\n", spool);
	g_autoptr(MmConf) conf = load_conf(extra);
	MmSmtpPeer peer = peer_of(PEER_LAN);
	MmSmtpSessionConfig cfg = { .conf = conf };
	g_autoptr(MmSmtpSession) s = mm_smtp_session_new(&cfg, &peer);
	const char *in = EHLO "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n" MSG "NOOP\r\n";
	GString *out;

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, in, strlen(in));
	out = mm_smtp_session_take_output(s);
	g_assert_nonnull(strstr(out->str, "\r\n452 4.3.1 "));
	g_assert_true(g_str_has_suffix(out->str, "250 2.0.0 OK\r\n"));
	g_string_free(out, TRUE);
	g_assert_false(g_file_test(spool, G_FILE_TEST_EXISTS));
}

/* ---- the client's name ------------------------------------------------ */

#define TX "MAIL FROM:<a@sender.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n"

typedef struct {
	const char *label;
	PeerKind peer;
	const char *name;        /* known at the start */
	gboolean pending;        /* looked up while the session runs */
	gboolean settle_early;   /* the answer comes before the message ends */
	const char *settled;     /* the answer */
	const char *received;    /* in Received: */
} NameCase;

static const NameCase name_cases[] = {
	{ "known", PEER_OUTSIDE, "client.lan", FALSE, FALSE, NULL, "from client.example (client.lan [192.0.2.7])" },
	{ "none", PEER_OUTSIDE, NULL, FALSE, FALSE, NULL, "from client.example (unknown [192.0.2.7])" },
	{ "pipe", PEER_PIPE, NULL, FALSE, FALSE, NULL, "from client.example\n\tby mx.example.org" },
	{ "late-name", PEER_OUTSIDE, NULL, TRUE, FALSE, "mx.sender.example",
	  "from client.example (mx.sender.example [192.0.2.7])" },
	{ "late-none", PEER_OUTSIDE, NULL, TRUE, FALSE, NULL, "from client.example (unknown [192.0.2.7])" },
	{ "early-name", PEER_OUTSIDE, NULL, TRUE, TRUE, "mx.sender.example",
	  "from client.example (mx.sender.example [192.0.2.7])" },
};

/* A message complete before its client's name is known waits for it,
 * and so do the commands pipelined after it; then both are answered in
 * order. */
static void
test_name(Fixture *f, gconstpointer data)
{
	const NameCase *nc = data;
	g_autoptr(MmConf) conf = load_conf(NULL);
	MmSmtpPeer peer = peer_of(nc->peer);
	MmSmtpSessionConfig cfg = { .conf = conf, .commit = test_commit, .user_data = f, .id = "test" };
	g_autoptr(MmSmtpSession) s = NULL;
	g_autoptr(GString) codes = g_string_new(NULL);
	const char *in = TX MSG "NOOP\r\nQUIT\r\n";
	const char *received;

	peer.name = nc->name;
	peer.name_pending = nc->pending;
	s = mm_smtp_session_new(&cfg, &peer);
	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, EHLO, strlen(EHLO));
	if (nc->settle_early)
		mm_smtp_session_set_peer_name(s, nc->settled);
	mm_smtp_session_feed(s, in, strlen(in));
	drain(s, codes, NULL);
	if (nc->pending && !nc->settle_early) {
		g_assert_cmpstr(codes->str, ==, "220 250 250/2.1.0 250/2.1.5 354");
		g_assert_true(mm_smtp_session_want_name(s));
		g_assert_true(mm_smtp_session_in_transaction(s));
		g_assert_cmpuint(f->committed->len, ==, 0);
		mm_smtp_session_set_peer_name(s, nc->settled);
		drain(s, codes, NULL);
	}
	g_assert_false(mm_smtp_session_want_name(s));
	g_assert_cmpstr(codes->str, ==, "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0 250/2.0.0 221/2.0.0");
	g_assert_true(mm_smtp_session_want_close(s));
	g_assert_cmpuint(f->committed->len, ==, 1);
	received = header_value(f->committed->pdata[0], "Received");
	g_assert_nonnull(received);
	g_test_message("%s", received);
	g_assert_nonnull(strstr(received, nc->received));
}

/* The client gives up before the name comes: nothing is committed, then
 * or later. */
static void
test_name_eof(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	MmSmtpPeer peer = peer_of(PEER_OUTSIDE);
	MmSmtpSessionConfig cfg = { .conf = conf, .commit = test_commit, .user_data = f, .id = "test" };
	g_autoptr(MmSmtpSession) s = NULL;
	const char *in = EHLO TX MSG;

	peer.name_pending = TRUE;
	s = mm_smtp_session_new(&cfg, &peer);
	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, in, strlen(in));
	g_assert_true(mm_smtp_session_want_name(s));
	mm_smtp_session_eof(s);
	g_assert_false(mm_smtp_session_want_name(s));
	mm_smtp_session_set_peer_name(s, "late.example");
	g_assert_cmpuint(f->committed->len, ==, 0);
	g_string_free(mm_smtp_session_take_output(s), TRUE);
}

/* Input held while the message waits is bounded: one octet beyond
 * MM_SMTP_HELD_INPUT_MAX ends the session with 421, and the message,
 * never acknowledged, is not committed. */
static void
test_name_held_limit(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	MmSmtpPeer peer = peer_of(PEER_OUTSIDE);
	MmSmtpSessionConfig cfg = { .conf = conf, .commit = test_commit, .user_data = f, .id = "test" };
	g_autoptr(MmSmtpSession) s = NULL;
	g_autoptr(GString) codes = g_string_new(NULL);
	g_autofree char *fill = g_strnfill(MM_SMTP_HELD_INPUT_MAX, 'x');
	const char *in = EHLO TX MSG;

	peer.name_pending = TRUE;
	s = mm_smtp_session_new(&cfg, &peer);
	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, in, strlen(in));
	mm_smtp_session_feed(s, fill, MM_SMTP_HELD_INPUT_MAX);
	drain(s, codes, NULL);
	g_assert_cmpstr(codes->str, ==, "220 250 250/2.1.0 250/2.1.5 354");
	g_assert_false(mm_smtp_session_want_close(s));
	mm_smtp_session_feed(s, "x", 1);
	drain(s, codes, NULL);
	g_assert_cmpstr(codes->str, ==, "220 250 250/2.1.0 250/2.1.5 354 421/4.7.0");
	g_assert_true(mm_smtp_session_want_close(s));
	mm_smtp_session_set_peer_name(s, "late.example");
	g_assert_cmpuint(f->committed->len, ==, 0);
}

/* ---- server.c's lookup, with a resolver of the test's making ---------- */

typedef enum {
	FAKE_ANSWER,   /* the configured answer */
	FAKE_NONE,     /* G_RESOLVER_ERROR_NOT_FOUND */
	FAKE_SILENT,   /* no answer until cancelled */
} FakeMode;

#define FAKE_TYPE_RESOLVER (fake_resolver_get_type())
G_DECLARE_FINAL_TYPE(FakeResolver, fake_resolver, FAKE, RESOLVER, GResolver)

struct _FakeResolver {
	GResolver parent;
	FakeMode reverse;
	const char *ptr;       /* the reverse answer */
	FakeMode forward;
	const char *address;   /* the forward answer */
	guint reverse_calls, forward_calls;
};

G_DEFINE_TYPE(FakeResolver, fake_resolver, G_TYPE_RESOLVER)

static gboolean
fake_on_cancelled(GCancellable *cancellable, gpointer data)
{
	GTask *task = data;
	g_task_return_error_if_cancelled(task);
	return G_SOURCE_REMOVE;
}

/* A silent lookup answers only its cancellation, as GResolver's own
 * do, from the main loop. */
static void
fake_stay_silent(GTask *task, GCancellable *cancellable)
{
	GSource *src;

	g_assert_nonnull(cancellable);
	src = g_cancellable_source_new(cancellable);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))fake_on_cancelled, g_object_ref(task),
	                      g_object_unref);
	g_source_attach(src, g_main_context_get_thread_default());
	g_source_unref(src);
}

static void
fake_by_address_async(GResolver *resolver, GInetAddress *address, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
	FakeResolver *self = FAKE_RESOLVER(resolver);
	g_autoptr(GTask) task = g_task_new(resolver, cancellable, callback, user_data);

	self->reverse_calls++;
	if (self->reverse == FAKE_ANSWER)
		g_task_return_pointer(task, g_strdup(self->ptr), g_free);
	else if (self->reverse == FAKE_NONE)
		g_task_return_new_error(task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no PTR record");
	else
		fake_stay_silent(task, cancellable);
}

static char *
fake_by_address_finish(GResolver *resolver, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void
fake_by_name_async(GResolver *resolver, const char *hostname, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
	FakeResolver *self = FAKE_RESOLVER(resolver);
	g_autoptr(GTask) task = g_task_new(resolver, cancellable, callback, user_data);

	self->forward_calls++;
	g_assert_cmpstr(hostname, ==, self->ptr);
	if (self->forward == FAKE_ANSWER) {
		GList *l = g_list_prepend(NULL, g_inet_address_new_from_string(self->address));
		g_task_return_pointer(task, l, (GDestroyNotify)g_resolver_free_addresses);
	} else if (self->forward == FAKE_NONE) {
		g_task_return_new_error(task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no A record");
	} else {
		fake_stay_silent(task, cancellable);
	}
}

static GList *
fake_by_name_finish(GResolver *resolver, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void
fake_resolver_class_init(FakeResolverClass *klass)
{
	GResolverClass *rc = G_RESOLVER_CLASS(klass);
	rc->lookup_by_address_async = fake_by_address_async;
	rc->lookup_by_address_finish = fake_by_address_finish;
	rc->lookup_by_name_async = fake_by_name_async;
	rc->lookup_by_name_finish = fake_by_name_finish;
}

static void
fake_resolver_init(FakeResolver *self)
{
}

typedef struct {
	const char *label;
	gboolean real;          /* the system's resolver, not a fake */
	FakeMode reverse;
	const char *ptr;
	FakeMode forward;
	const char *address;
	guint forward_calls;
	const char *name;       /* in Received: */
	gboolean waits;         /* the 250 comes only after the lookup's limit */
} ServerNameCase;

/* the lookup's limit in these tests */
#define NAME_MS 400

static const ServerNameCase server_name_cases[] = {
	{ "confirmed", FALSE, FAKE_ANSWER, "mx.sender.example", FAKE_ANSWER, "127.0.0.1", 1, "mx.sender.example", FALSE },
	{ "not-confirmed", FALSE, FAKE_ANSWER, "mx.sender.example", FAKE_ANSWER, "192.0.2.1", 1, "unknown", FALSE },
	{ "no-forward", FALSE, FAKE_ANSWER, "mx.sender.example", FAKE_NONE, NULL, 1, "unknown", FALSE },
	{ "no-ptr", FALSE, FAKE_NONE, NULL, FAKE_NONE, NULL, 0, "unknown", FALSE },
	/* an address as PTR would confirm itself */
	{ "numeric-ptr", FALSE, FAKE_ANSWER, "127.0.0.1", FAKE_ANSWER, "127.0.0.1", 0, "unknown", FALSE },
	{ "bad-ptr", FALSE, FAKE_ANSWER, "mx sender;example", FAKE_ANSWER, "127.0.0.1", 0, "unknown", FALSE },
	{ "reverse-never-answers", FALSE, FAKE_SILENT, NULL, FAKE_NONE, NULL, 0, "unknown", TRUE },
	{ "forward-never-answers", FALSE, FAKE_ANSWER, "mx.sender.example", FAKE_SILENT, NULL, 1, "unknown", TRUE },
	{ "system-localhost", TRUE, 0, NULL, 0, NULL, 0, "localhost", FALSE },
};

typedef struct {
	GMainContext *ctx;
	int fd;
	GString *in;
	gint64 start;
} Client;

/* The final line of the next reply, and when it came (ms after the
 * connection). The server runs in the same thread: its context is
 * iterated while the client waits. */
static char *
client_reply(Client *cl, gint64 *at_ms)
{
	gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

	for (;;) {
		char buf[1024];
		ssize_t r;
		char *nl;

		while ((nl = strstr(cl->in->str, "\r\n"))) {
			g_autofree char *line = g_strndup(cl->in->str, (gsize)(nl - cl->in->str));
			g_string_erase(cl->in, 0, nl - cl->in->str + 2);
			if (strlen(line) >= 4 && line[3] == ' ') {
				if (at_ms)
					*at_ms = (g_get_monotonic_time() - cl->start) / 1000;
				return g_steal_pointer(&line);
			}
		}
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		while (g_main_context_iteration(cl->ctx, FALSE))
			;
		r = recv(cl->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r > 0)
			g_string_append_len(cl->in, buf, r);
		else if (r == 0)
			g_error("the server closed the connection");
		else
			g_usleep(2000);
	}
}

static void
client_send(Client *cl, const char *text)
{
	g_assert_cmpint(send(cl->fd, text, strlen(text), MSG_NOSIGNAL), ==, (gssize)strlen(text));
}

static void
client_expect(Client *cl, const char *prefix, gint64 *at_ms)
{
	g_autofree char *line = client_reply(cl, at_ms);
	if (!g_str_has_prefix(line, prefix))
		g_error("expected %s, got \"%s\"", prefix, line);
}

/* A loopback TCP connection: the server's end in @server_fd. */
static int
loopback_pair(int *server_fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(l, >=, 0);
	g_assert_cmpint(c, >=, 0);
	g_assert_no_errno(bind(l, (struct sockaddr *)&a, sizeof a));
	g_assert_no_errno(listen(l, 1));
	g_assert_no_errno(getsockname(l, (struct sockaddr *)&a, &len));
	g_assert_no_errno(connect(c, (struct sockaddr *)&a, sizeof a));
	*server_fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	g_assert_cmpint(*server_fd, >=, 0);
	close(l);
	return c;
}

static void
on_server_queued(const char *uid, gpointer user_data)
{
	Fixture *f = user_data;
	g_ptr_array_add(f->queued, g_strdup(uid));
}

/* A whole session through server.c from 127.0.0.1, the message sent as
 * soon as the greeting is there: Received: has the name the lookup
 * confirmed, or "unknown"; a lookup that does not answer holds the
 * message no longer than the limit and the greeting not at all. */
static void
test_server_name(Fixture *f, gconstpointer data)
{
	const ServerNameCase *nc = data;
	g_autofree char *spool = g_build_filename(f->dir, "spool", NULL);
	g_autofree char *extra = g_strdup_printf("spool_dir = \"%s\"\n", spool);
	g_autoptr(MmConf) conf = load_conf(extra);
	g_autoptr(FakeResolver) fake = NULL;
	g_autoptr(GMainContext) ctx = g_main_context_new();
	g_autoptr(MmMessage) m = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) in = g_string_new(NULL);
	MmSmtpServerConfig cfg = {
		.conf = conf,
		.on_queued = on_server_queued,
		.user_data = f,
		.context = ctx,
		.name_lookup_ms = NAME_MS,
	};
	MmSmtpServer *srv;
	Client cl = { .ctx = ctx, .in = in };
	gint64 greeted, queued;
	int server_fd;
	const char *received;
	g_autofree char *expect = g_strdup_printf("from client.example (%s [127.0.0.1])", nc->name);

	if (nc->real) {
		g_autoptr(GResolver) sys = g_resolver_get_default();
		g_autoptr(GInetAddress) lo = g_inet_address_new_from_string("127.0.0.1");
		g_autofree char *name = g_resolver_lookup_by_address(sys, lo, NULL, NULL);
		if (g_strcmp0(name, "localhost") != 0) {
			g_test_skip("the system does not call 127.0.0.1 localhost");
			return;
		}
		/* the system's resolver may be slow: the name must come before
		 * the limit, here the real one */
		cfg.name_lookup_ms = 0;
	} else {
		fake = g_object_new(FAKE_TYPE_RESOLVER, NULL);
		fake->reverse = nc->reverse;
		fake->ptr = nc->ptr;
		fake->forward = nc->forward;
		fake->address = nc->address;
		cfg.resolver = G_RESOLVER(fake);
	}
	g_assert_no_errno(g_mkdir(spool, 0700));
	srv = mm_smtp_server_new(&cfg);
	cl.fd = loopback_pair(&server_fd);
	cl.start = g_get_monotonic_time();
	mm_smtp_server_add_connection(srv, server_fd);
	client_expect(&cl, "220 ", &greeted);
	client_send(&cl, EHLO TX MSG "QUIT\r\n");
	client_expect(&cl, "250 ", NULL);
	client_expect(&cl, "250 2.1.0", NULL);
	client_expect(&cl, "250 2.1.5", NULL);
	client_expect(&cl, "354 ", NULL);
	client_expect(&cl, "250 2.0.0", &queued);
	client_expect(&cl, "221 2.0.0", NULL);
	g_test_message("greeting after %" G_GINT64_FORMAT " ms, 250 after %" G_GINT64_FORMAT " ms", greeted,
	               queued);
	g_assert_cmpint(greeted, <, NAME_MS);
	if (nc->waits)
		g_assert_cmpint(queued, >=, NAME_MS - 50);
	else if (!nc->real)
		g_assert_cmpint(queued, <, NAME_MS);
	if (fake) {
		g_assert_cmpuint(fake->reverse_calls, ==, 1);
		g_assert_cmpuint(fake->forward_calls, ==, nc->forward_calls);
	}

	g_assert_cmpuint(f->queued->len, ==, 1);
	m = mm_spool_read(spool, f->queued->pdata[0], TRUE, &error);
	g_assert_no_error(error);
	received = header_value(m, "Received");
	g_assert_nonnull(received);
	g_test_message("%s", received);
	g_assert_nonnull(strstr(received, expect));

	close(cl.fd);
	/* the connection ends and the cancelled lookups call back */
	while (mm_smtp_server_n_sessions(srv) > 0)
		g_main_context_iteration(ctx, TRUE);
	mm_smtp_server_free(srv);
	while (g_main_context_iteration(ctx, FALSE))
		;
}

/* The client leaves while its name is still looked up: the lookup is
 * cancelled and its late callback harms nothing. */
static void
test_server_name_client_leaves(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	g_autoptr(FakeResolver) fake = g_object_new(FAKE_TYPE_RESOLVER, NULL);
	g_autoptr(GMainContext) ctx = g_main_context_new();
	g_autoptr(GString) in = g_string_new(NULL);
	MmSmtpServerConfig cfg = {
		.conf = conf,
		.context = ctx,
		.resolver = G_RESOLVER(fake),
		.name_lookup_ms = 60 * 1000,
	};
	MmSmtpServer *srv;
	Client cl = { .ctx = ctx, .in = in };
	int server_fd;

	fake->reverse = FAKE_SILENT;
	srv = mm_smtp_server_new(&cfg);
	cl.fd = loopback_pair(&server_fd);
	cl.start = g_get_monotonic_time();
	mm_smtp_server_add_connection(srv, server_fd);
	client_expect(&cl, "220 ", NULL);
	client_send(&cl, "QUIT\r\n");
	client_expect(&cl, "221 ", NULL);
	close(cl.fd);
	while (mm_smtp_server_n_sessions(srv) > 0)
		g_main_context_iteration(ctx, TRUE);
	g_assert_cmpuint(fake->reverse_calls, ==, 1);
	mm_smtp_server_free(srv);
	while (g_main_context_iteration(ctx, FALSE))
		;
}

/* Group commit, as the session sees it: the message is handed over and
 * nothing is answered until its commit is done; what the client
 * pipelined after the final dot waits too and is acted on afterwards.
 * A failed commit is 452 4.3.1 for this session. */
typedef struct {
	GPtrArray *msgs; /* MmMessage*, handed over */
} Handed;

static void
hand_over(MmSmtpSession *s, MmMessage *msg, gpointer user_data)
{
	Handed *h = user_data;
	g_ptr_array_add(h->msgs, msg);
}

static void
test_commit_later(Fixture *f, gconstpointer data)
{
	g_autoptr(MmConf) conf = load_conf(NULL);
	Handed h = { .msgs = g_ptr_array_new_with_free_func((GDestroyNotify)mm_message_free) };
	MmSmtpPeer peer = peer_of(PEER_OUTSIDE);
	MmSmtpSessionConfig cfg = {
		.conf = conf,
		.commit_start = hand_over,
		.user_data = &h,
		.id = "test",
	};
	g_autoptr(MmSmtpSession) s = mm_smtp_session_new(&cfg, &peer);
	g_autoptr(GString) codes = g_string_new(NULL);
	g_autoptr(GError) full = NULL;

	mm_smtp_session_greet(s);
	mm_smtp_session_feed(s, EHLO TX MSG TX MSG "QUIT\r\n", strlen(EHLO TX MSG TX MSG "QUIT\r\n"));
	drain(s, codes, NULL);
	/* the first message is out, its 250 and the rest wait */
	g_assert_cmpstr(codes->str, ==, "220 250 250/2.1.0 250/2.1.5 354");
	g_assert_cmpuint(h.msgs->len, ==, 1);
	g_assert_true(mm_smtp_session_paused(s));
	g_assert_false(mm_smtp_session_want_name(s));
	g_assert_true(mm_smtp_session_in_transaction(s));
	g_assert_false(mm_smtp_session_want_close(s));

	mm_smtp_session_commit_done(s, h.msgs->pdata[0], NULL);
	g_string_truncate(codes, 0);
	drain(s, codes, NULL);
	/* the second message waits in turn */
	g_assert_cmpstr(codes->str, ==, "250/2.0.0 250/2.1.0 250/2.1.5 354");
	g_assert_cmpuint(h.msgs->len, ==, 2);
	g_assert_true(mm_smtp_session_paused(s));

	mm_error_set_errno(&full, ENOSPC, "writing the spool");
	mm_smtp_session_commit_done(s, h.msgs->pdata[1], full);
	g_string_truncate(codes, 0);
	drain(s, codes, NULL);
	g_assert_cmpstr(codes->str, ==, "452/4.3.1 221/2.0.0");
	g_assert_false(mm_smtp_session_paused(s));
	g_assert_true(mm_smtp_session_want_close(s));
	g_ptr_array_unref(h.msgs);
}

/* Three sessions of server.c end their DATA at the same time and are
 * committed together; the middle one's message is too big for the
 * file size limit of the process, so its write fails: that session
 * gets 452, the other two 250, and each 250 names a message that is
 * in the spool by the time the client reads it. In a subprocess, for
 * the limit. */
static void
test_server_batch(Fixture *f, gconstpointer data)
{
	g_autofree char *spool = g_build_filename(f->dir, "spool", NULL);
	g_autofree char *extra = g_strdup_printf("spool_dir = \"%s\"\n", spool);
	g_autoptr(MmConf) conf = NULL;
	g_autoptr(FakeResolver) fake = NULL;
	g_autoptr(GMainContext) ctx = NULL;
	g_autoptr(GString) big = NULL;
	MmSmtpServerConfig cfg = { 0 };
	MmSmtpServer *srv;
	Client cl[3];
	struct rlimit rl = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}
	conf = load_conf(extra);
	fake = g_object_new(FAKE_TYPE_RESOLVER, NULL);
	ctx = g_main_context_new();
	fake->reverse = FAKE_NONE;
	cfg = (MmSmtpServerConfig){
		.conf = conf,
		.on_queued = on_server_queued,
		.user_data = f,
		.context = ctx,
		.resolver = G_RESOLVER(fake),
	};
	big = g_string_new(TX "Subject: big\r\n\r\n");
	for (int i = 0; i < 100; i++)
		g_string_append(big, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
	g_string_append(big, ".\r\n");

	signal(SIGXFSZ, SIG_IGN);
	g_assert_no_errno(setrlimit(RLIMIT_FSIZE, &rl));
	g_assert_no_errno(g_mkdir(spool, 0700));
	srv = mm_smtp_server_new(&cfg);
	for (int i = 0; i < 3; i++) {
		int server_fd;

		cl[i] = (Client){ .ctx = ctx, .in = g_string_new(NULL) };
		cl[i].fd = loopback_pair(&server_fd);
		cl[i].start = g_get_monotonic_time();
		mm_smtp_server_add_connection(srv, server_fd);
		client_expect(&cl[i], "220 ", NULL);
		client_send(&cl[i], EHLO);
		client_expect(&cl[i], "250 ", NULL);
	}
	/* all three final dots are there before the server reads any */
	for (int i = 0; i < 3; i++)
		client_send(&cl[i], i == 1 ? big->str : TX MSG);
	for (int i = 0; i < 3; i++) {
		g_autofree char *line = NULL;

		client_expect(&cl[i], "250 2.1.0", NULL);
		client_expect(&cl[i], "250 2.1.5", NULL);
		client_expect(&cl[i], "354 ", NULL);
		line = client_reply(&cl[i], NULL);
		g_test_message("session %d: %s", i, line);
		if (i == 1) {
			g_assert_true(g_str_has_prefix(line, "452 4.3.1 "));
		} else {
			const char *id = strstr(line, "id=");
			g_autofree char *h = NULL;

			g_assert_true(g_str_has_prefix(line, "250 2.0.0 "));
			g_assert_nonnull(id);
			h = g_strdup_printf("%s/input/%s-H", spool, id + 3);
			g_assert_true(g_file_test(h, G_FILE_TEST_IS_REGULAR));
		}
	}
	g_assert_cmpuint(f->queued->len, ==, 2);
	for (int i = 0; i < 3; i++) {
		close(cl[i].fd);
		g_string_free(cl[i].in, TRUE);
	}
	while (mm_smtp_server_n_sessions(srv) > 0)
		g_main_context_iteration(ctx, TRUE);
	mm_smtp_server_free(srv);
	while (g_main_context_iteration(ctx, FALSE))
		;
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(conversations); i++) {
		g_autofree char *path = g_strdup_printf("/session/%s", conversations[i].label);
		g_test_add(path, Fixture, &conversations[i], fixture_setup, test_conversation, fixture_teardown);
	}
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/session/message/content", test_message_content);
	ADD("/session/message/received-tls-auth", test_received_tls_auth);
	ADD("/session/ehlo/keywords", test_ehlo_keywords);
	ADD("/session/auth/cram-md5", test_auth_cram_md5);
	ADD("/session/auth/failure-delay", test_auth_failure_delay);
	ADD("/session/limit/command-line", test_limit_command_line);
	ADD("/session/limit/text-line", test_limit_text_line);
	ADD("/session/limit/recipients", test_limit_recipients);
	ADD("/session/pipelining/one-write", test_pipelining_one_write);
	ADD("/session/abort/timeout", test_abort);
	ADD("/session/text/nul", test_nul);
	ADD("/session/spool/commit", test_spool_commit);
	ADD("/session/spool/unwritable", test_spool_unwritable);
	for (gsize i = 0; i < G_N_ELEMENTS(name_cases); i++) {
		g_autofree char *path = g_strdup_printf("/session/name/%s", name_cases[i].label);
		g_test_add(path, Fixture, &name_cases[i], fixture_setup, test_name, fixture_teardown);
	}
	ADD("/session/name/eof-while-waiting", test_name_eof);
	ADD("/session/name/held-input-limit", test_name_held_limit);
	for (gsize i = 0; i < G_N_ELEMENTS(server_name_cases); i++) {
		g_autofree char *path = g_strdup_printf("/server/name/%s", server_name_cases[i].label);
		g_test_add(path, Fixture, &server_name_cases[i], fixture_setup, test_server_name, fixture_teardown);
	}
	ADD("/server/name/client-leaves", test_server_name_client_leaves);
	ADD("/server/group-commit", test_server_batch);
	ADD("/session/commit-later", test_commit_later);
	return g_test_run();
}
