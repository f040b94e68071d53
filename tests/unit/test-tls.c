/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of smtp/tls-gnutls.c: our client against our server over a
 * socketpair (both blocking, and the server non-blocking in a poll
 * loop as the daemon runs it), TLS 1.2 and 1.3, certificate
 * verification (CA, system store, wrong name, expired, opportunistic),
 * client certificates, the session description, closing and time
 * limits, a server on a pipe pair, and interoperation with gnutls-serv
 * and gnutls-cli on loopback.
 *
 * The certificates come from tests/lib/make-test-ca.sh, made once into
 * a temporary directory; every test that needs them skips when certtool
 * is missing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "base/error.h"
#include "smtp/tls.h"

#define PRIO_TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define PRIO_TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"
/* no test may hang: every blocking session waits at most this long */
#define WAIT_MS 10000

static char *ca_dir; /* NULL: certtool missing, certificate tests skip */

static char *
pem(const char *name)
{
	return g_strdup_printf("%s/%s.pem", ca_dir, name);
}

static gboolean
need_certs(void)
{
	if (ca_dir == NULL) {
		g_test_skip("certtool (gnutls-bin) is not installed");
		return FALSE;
	}
	return TRUE;
}

static MmTlsCreds *
server_creds(const char *cert, const char *ca, const char *priority)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *c = pem(cert);
	g_autofree char *k = g_strdup_printf("%s/%s-key.pem", ca_dir, cert);
	g_autofree char *a = ca != NULL ? pem(ca) : NULL;
	MmTlsCreds *creds = mm_tls_creds_new_server(c, k, a, priority, &error);

	g_assert_no_error(error);
	g_assert_nonnull(creds);
	return creds;
}

static MmTlsCreds *
client_creds(const char *ca, gboolean verify, const char *cert, const char *priority)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *a = ca != NULL ? pem(ca) : NULL;
	g_autofree char *c = cert != NULL ? pem(cert) : NULL;
	g_autofree char *k = cert != NULL ? g_strdup_printf("%s/%s-key.pem", ca_dir, cert) : NULL;
	MmTlsCreds *creds = mm_tls_creds_new_client(a, verify, c, k, priority, &error);

	g_assert_no_error(error);
	g_assert_nonnull(creds);
	return creds;
}

static void
make_socketpair(int sv[2])
{
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
}

/* Reads from a blocking session until @want bytes or CLOSED. */
static GString *
read_n(MmTls *tls, gsize want, MmTlsStatus *last)
{
	GString *s = g_string_new(NULL);
	char buf[4096];

	while (s->len < want) {
		g_autoptr(GError) error = NULL;
		gsize got = 0;

		*last = mm_tls_read(tls, buf, MIN(sizeof(buf), want - s->len), &got, &error);
		if (*last != MM_TLS_OK) {
			if (*last == MM_TLS_ERROR)
				g_test_message("read: %s", error->message);
			break;
		}
		g_string_append_len(s, buf, (gssize)got);
	}
	return s;
}

static void
write_all(MmTls *tls, const char *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	gsize done = 0;

	while (done < len) {
		gsize n = 0;

		g_assert_cmpint(mm_tls_write(tls, data + done, len - done, &n, &error), ==, MM_TLS_OK);
		g_assert_no_error(error);
		done += n;
	}
}

/* The peer of a test, in a thread of its own: a blocking server that
 * handshakes, answers one line, then reads until the client closes. */
typedef struct {
	MmTlsCreds *creds;
	int fd;
	int out_fd; /* >= 0: a server on the pipe pair fd/out_fd */
	/* results */
	MmTlsStatus handshake;
	char *error;
	char *describe;
	char *subject;
	gboolean verified;
	char *line;
	MmTlsStatus after_close;
	MmTlsStatus again_after_close;
} Peer;

static void
peer_clear(Peer *p)
{
	mm_tls_creds_free(p->creds);
	g_free(p->error);
	g_free(p->describe);
	g_free(p->subject);
	g_free(p->line);
}

static gpointer
blocking_server(gpointer data)
{
	Peer *p = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTls) tls = NULL;
	g_autoptr(GString) line = NULL;
	MmTlsStatus st;
	char buf[64];
	gsize got;

	if (p->out_fd >= 0)
		tls = mm_tls_new_server_fds(p->creds, p->fd, p->out_fd, &error);
	else
		tls = mm_tls_new_server(p->creds, p->fd, &error);
	g_assert_no_error(error);
	mm_tls_set_timeout(tls, WAIT_MS);
	p->handshake = mm_tls_handshake(tls, &error);
	if (p->handshake != MM_TLS_OK) {
		p->error = g_strdup(error->message);
		return NULL;
	}
	p->describe = mm_tls_describe(tls);
	p->subject = mm_tls_peer_cert_subject(tls);
	p->verified = mm_tls_peer_verified(tls);
	line = read_n(tls, strlen("EHLO client.test\r\n"), &st);
	p->line = g_strdup(line->str);
	write_all(tls, "250 ok\r\n", 8);
	p->after_close = mm_tls_read(tls, buf, sizeof(buf), &got, &error);
	g_clear_error(&error);
	p->again_after_close = mm_tls_read(tls, buf, sizeof(buf), &got, &error);
	return NULL;
}

/* The client side of a conversation with blocking_server(). */
static void
client_converse(MmTls *tls)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) reply = NULL;
	MmTlsStatus st = MM_TLS_OK;

	write_all(tls, "EHLO client.test\r\n", strlen("EHLO client.test\r\n"));
	reply = read_n(tls, 8, &st);
	g_assert_cmpstr(reply->str, ==, "250 ok\r\n");
	g_assert_cmpint(mm_tls_bye(tls, &error), ==, MM_TLS_OK);
	g_assert_no_error(error);
}

static void
test_blocking(gconstpointer data)
{
	const char *version = data;
	const char *prio = g_str_equal(version, "TLS1.2") ? PRIO_TLS12 : PRIO_TLS13;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTlsCreds) ccreds = NULL;
	g_autoptr(MmTls) tls = NULL;
	g_autoptr(GRegex) shape = NULL;
	g_autofree char *desc = NULL, *before = NULL, *subject = NULL;
	g_autofree char *prefix = g_strdup_printf("%s:", version);
	Peer p = { .out_fd = -1 };
	GThread *thread;
	int sv[2];

	if (!need_certs())
		return;
	make_socketpair(sv);
	p.creds = server_creds("server", NULL, prio);
	p.fd = sv[1];
	thread = g_thread_new("server", blocking_server, &p);

	ccreds = client_creds("ca", TRUE, NULL, prio);
	tls = mm_tls_new_client(ccreds, sv[0], "localhost", &error);
	g_assert_no_error(error);
	/* the session holds its own reference to the credentials */
	g_clear_pointer(&ccreds, mm_tls_creds_free);
	mm_tls_set_timeout(tls, WAIT_MS);
	before = mm_tls_describe(tls);
	g_assert_cmpstr(before, ==, "none");
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_OK);
	g_assert_no_error(error);
	desc = mm_tls_describe(tls);
	g_test_message("client: %s", desc);
	g_assert_true(g_str_has_prefix(desc, prefix));
	shape = g_regex_new("^TLS1\\.[23]:(ECDHE|DHE)-[A-Z0-9]+:[A-Z0-9-]+(:[A-Z0-9-]+)?$", 0, 0, NULL);
	g_assert_true(g_regex_match(shape, desc, 0, NULL));
	g_assert_true(mm_tls_peer_verified(tls));
	subject = mm_tls_peer_cert_subject(tls);
	g_assert_nonnull(strstr(subject, "CN=localhost"));

	client_converse(tls);
	g_thread_join(thread);
	close(sv[0]);
	close(sv[1]);

	g_assert_cmpint(p.handshake, ==, MM_TLS_OK);
	g_assert_cmpstr(p.describe, ==, desc);
	g_assert_cmpstr(p.line, ==, "EHLO client.test\r\n");
	/* the client's close_notify, and again: reading after close */
	g_assert_cmpint(p.after_close, ==, MM_TLS_CLOSED);
	g_assert_cmpint(p.again_after_close, ==, MM_TLS_CLOSED);
	/* no client certificate was asked for */
	g_assert_null(p.subject);
	g_assert_false(p.verified);
	peer_clear(&p);
}

/* Runs one step of a non-blocking session until it is done, waiting on
 * @fd as the session asks. */
typedef MmTlsStatus (*Step)(MmTls *tls, gpointer data, GError **error);

static MmTlsStatus
drive(MmTls *tls, int fd, Step step, gpointer data, guint *waits)
{
	for (;;) {
		g_autoptr(GError) error = NULL;
		MmTlsStatus st = step(tls, data, &error);
		struct pollfd pfd = { .fd = fd };

		if (st == MM_TLS_ERROR)
			g_test_message("step: %s", error->message);
		if (st != MM_TLS_WANT_READ && st != MM_TLS_WANT_WRITE)
			return st;
		(*waits)++;
		pfd.events = st == MM_TLS_WANT_READ ? POLLIN : POLLOUT;
		g_assert_cmpint(poll(&pfd, 1, WAIT_MS), ==, 1);
	}
}

static MmTlsStatus
step_handshake(MmTls *tls, gpointer data, GError **error)
{
	return mm_tls_handshake(tls, error);
}

typedef struct {
	GString *in;     /* what was read */
	gsize want;
	gsize chunk;     /* read at most this much a call */
	gboolean saw_pending;
	const char *out; /* what to write */
	gsize out_len, out_done;
} Io;

static MmTlsStatus
step_read(MmTls *tls, gpointer data, GError **error)
{
	Io *io = data;
	char buf[4096];

	while (io->in->len < io->want) {
		gsize got = 0;
		MmTlsStatus st = mm_tls_read(tls, buf, MIN(io->chunk, io->want - io->in->len), &got, error);

		if (st != MM_TLS_OK)
			return st;
		g_string_append_len(io->in, buf, (gssize)got);
		if (mm_tls_pending(tls))
			io->saw_pending = TRUE;
	}
	return MM_TLS_OK;
}

static MmTlsStatus
step_write(MmTls *tls, gpointer data, GError **error)
{
	Io *io = data;

	while (io->out_done < io->out_len) {
		gsize n = 0;
		MmTlsStatus st = mm_tls_write(tls, io->out + io->out_done, io->out_len - io->out_done, &n,
		                              error);

		if (st != MM_TLS_OK)
			return st;
		io->out_done += n;
	}
	return MM_TLS_OK;
}

static MmTlsStatus
step_bye(MmTls *tls, gpointer data, GError **error)
{
	return mm_tls_bye(tls, error);
}

#define BIG (512 * 1024)

typedef struct {
	MmTlsCreds *creds;
	int fd;
	char *request; /* sent */
	GString *got;  /* received */
} BlockingClient;

static gpointer
blocking_client(gpointer data)
{
	BlockingClient *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTls) tls = mm_tls_new_client(c->creds, c->fd, "localhost", &error);
	MmTlsStatus st = MM_TLS_OK;

	g_assert_no_error(error);
	mm_tls_set_timeout(tls, WAIT_MS);
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_OK);
	/* one write: several lines arrive in one record */
	write_all(tls, c->request, strlen(c->request));
	c->got = read_n(tls, BIG + 1, &st);
	g_assert_cmpint(st, ==, MM_TLS_CLOSED);
	g_assert_cmpint(mm_tls_bye(tls, &error), ==, MM_TLS_OK);
	return NULL;
}

static void
test_nonblocking(void)
{
	g_autoptr(MmTlsCreds) screds = NULL;
	g_autoptr(MmTls) tls = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) in = g_string_new(NULL);
	g_autofree char *big = NULL;
	BlockingClient c = { 0 };
	Io io = { 0 };
	GThread *thread;
	guint waits = 0;
	int sv[2], small = 4096;

	if (!need_certs())
		return;
	make_socketpair(sv);
	g_assert_cmpint(fcntl(sv[1], F_SETFL, O_NONBLOCK), ==, 0);
	/* a small send buffer, so that the big answer meets a full socket */
	g_assert_cmpint(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), ==, 0);
	c.creds = client_creds("ca", TRUE, NULL, NULL);
	c.fd = sv[0];
	c.request = g_strdup("EHLO client.test\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
	screds = server_creds("server", NULL, NULL);
	tls = mm_tls_new_server(screds, sv[1], &error);
	g_assert_no_error(error);
	/* before the client says anything the server can only wait; later
	 * steps may or may not find their data already there */
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_WANT_READ);
	g_assert_no_error(error);
	thread = g_thread_new("client", blocking_client, &c);
	g_assert_cmpint(drive(tls, sv[1], step_handshake, NULL, &waits), ==, MM_TLS_OK);

	/* small reads: the rest of the record waits in the session */
	io.in = in;
	io.want = strlen(c.request);
	io.chunk = 7;
	g_assert_cmpint(drive(tls, sv[1], step_read, &io, &waits), ==, MM_TLS_OK);
	g_assert_cmpstr(in->str, ==, c.request);
	g_assert_true(io.saw_pending);
	g_assert_false(mm_tls_pending(tls));

	big = g_malloc(BIG + 1);
	for (gsize i = 0; i < BIG; i++)
		big[i] = (char)('a' + i % 26);
	big[BIG] = '\0';
	io.out = big;
	io.out_len = BIG;
	waits = 0;
	g_assert_cmpint(drive(tls, sv[1], step_write, &io, &waits), ==, MM_TLS_OK);
	g_assert_cmpuint(waits, >, 0);
	g_assert_cmpint(drive(tls, sv[1], step_bye, NULL, &waits), ==, MM_TLS_OK);

	g_thread_join(thread);
	g_assert_cmpuint(c.got->len, ==, BIG);
	g_assert_true(memcmp(c.got->str, big, BIG) == 0);
	close(sv[0]);
	close(sv[1]);
	g_string_free(c.got, TRUE);
	g_free(c.request);
	mm_tls_creds_free(c.creds);
}

/* Verification by the client. The server serves @cert; the client
 * trusts @ca (NULL: the system's store) and expects @name. */
static void
test_verify(void)
{
	static const struct {
		const char *label;
		const char *cert, *ca;
		gboolean verify;
		const char *name;
		const char *error; /* NULL: the handshake succeeds */
		gboolean verified;
	} cases[] = {
		{ "ca-name", "server", "ca", TRUE, "localhost", NULL, TRUE },
		{ "ca-ipv4", "server", "ca", TRUE, "127.0.0.1", NULL, TRUE },
		{ "ca-ipv6", "server", "ca", TRUE, "::1", NULL, TRUE },
		{ "ca-name-case", "server", "ca", TRUE, "LocalHost", NULL, TRUE },
		{ "system-store", "server", NULL, TRUE, "localhost", "unknown issuer", FALSE },
		{ "other-ca", "server", "other-ca", TRUE, "localhost", "unknown issuer", FALSE },
		{ "wrong-name", "server", "ca", TRUE, "mail.example.org", "hostname mismatch", FALSE },
		{ "wrong-ip", "server", "ca", TRUE, "127.0.0.2", "hostname mismatch", FALSE },
		{ "expired", "expired", "ca", TRUE, "localhost", "expired", FALSE },
		{ "opportunistic", "server", NULL, FALSE, "localhost", NULL, FALSE },
		{ "opportunistic-expired", "expired", NULL, FALSE, "localhost", NULL, FALSE },
		{ "opportunistic-ca", "server", "ca", FALSE, "localhost", NULL, TRUE },
		{ "opportunistic-ca-wrong-name", "server", "ca", FALSE, "mail.example.org", NULL, FALSE },
	};

	if (!need_certs())
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmTlsCreds) ccreds = NULL;
		g_autoptr(MmTls) tls = NULL;
		Peer p = { .out_fd = -1 };
		GThread *thread;
		MmTlsStatus st;
		int sv[2];

		g_test_message("case %s", cases[i].label);
		make_socketpair(sv);
		p.creds = server_creds(cases[i].cert, NULL, NULL);
		p.fd = sv[1];
		thread = g_thread_new("server", blocking_server, &p);
		ccreds = client_creds(cases[i].ca, cases[i].verify, NULL, NULL);
		tls = mm_tls_new_client(ccreds, sv[0], cases[i].name, &error);
		g_assert_no_error(error);
		mm_tls_set_timeout(tls, WAIT_MS);
		st = mm_tls_handshake(tls, &error);
		if (cases[i].error == NULL) {
			g_assert_no_error(error);
			g_assert_cmpint(st, ==, MM_TLS_OK);
			g_assert_cmpint(mm_tls_peer_verified(tls), ==, cases[i].verified);
			client_converse(tls);
		} else {
			g_assert_cmpint(st, ==, MM_TLS_ERROR);
			g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
			g_test_message("%s", error->message);
			g_assert_true(g_str_has_prefix(error->message, "certificate verification failed: "));
			g_assert_nonnull(strstr(error->message, cases[i].error));
			/* the server notices the client giving up */
			shutdown(sv[0], SHUT_RDWR);
		}
		g_thread_join(thread);
		if (cases[i].error != NULL) {
			g_assert_cmpint(p.handshake, ==, MM_TLS_ERROR);
			g_test_message("server: %s", p.error);
			/* Usually the client's bad-certificate alert; under load the
			 * server may see the connection end first, which is also a
			 * failed handshake. */
			g_assert_true(g_str_has_prefix(p.error, "TLS handshake: "));
		}
		close(sv[0]);
		close(sv[1]);
		peer_clear(&p);
	}
}

static void
test_client_cert(void)
{
	static const struct {
		const char *label;
		const char *server_ca; /* the server asks for certificates */
		const char *client_cert;
		const char *subject; /* substring; NULL: none seen */
		gboolean verified;
	} cases[] = {
		{ "presented", "ca", "client", "CN=client.test", TRUE },
		{ "none", "ca", NULL, NULL, FALSE },
		{ "not-asked", NULL, "client", NULL, FALSE },
		{ "unknown-ca", "other-ca", "client", NULL, FALSE },
	};

	if (!need_certs())
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmTlsCreds) ccreds = NULL;
		g_autoptr(MmTls) tls = NULL;
		Peer p = { .out_fd = -1 };
		GThread *thread;
		int sv[2];

		g_test_message("case %s", cases[i].label);
		make_socketpair(sv);
		p.creds = server_creds("server", cases[i].server_ca, NULL);
		p.fd = sv[1];
		thread = g_thread_new("server", blocking_server, &p);
		ccreds = client_creds("ca", TRUE, cases[i].client_cert, NULL);
		tls = mm_tls_new_client(ccreds, sv[0], "localhost", &error);
		g_assert_no_error(error);
		mm_tls_set_timeout(tls, WAIT_MS);
		g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_OK);
		g_assert_no_error(error);
		client_converse(tls);
		g_thread_join(thread);
		g_assert_cmpint(p.handshake, ==, MM_TLS_OK);
		if (cases[i].subject != NULL)
			g_assert_nonnull(strstr(p.subject != NULL ? p.subject : "", cases[i].subject));
		else
			g_assert_null(p.subject);
		g_assert_cmpint(p.verified, ==, cases[i].verified);
		close(sv[0]);
		close(sv[1]);
		peer_clear(&p);
	}
}

static void
test_creds_errors(void)
{
	static const struct {
		const char *label;
		gboolean server;
		const char *cert, *key, *ca, *priority; /* relative to the CA directory */
		int code;
		const char *message; /* substring; "@" stands for the file's path */
	} cases[] = {
		{ "missing-cert", TRUE, "nothere.pem", "server-key.pem", NULL, NULL, MM_ERROR_NOT_FOUND,
		  "certificate file @" },
		{ "missing-key", TRUE, "server.pem", "nothere.pem", NULL, NULL, MM_ERROR_NOT_FOUND,
		  "key file @" },
		{ "cert-is-dir", TRUE, ".", "server-key.pem", NULL, NULL, MM_ERROR_CONFIG,
		  "not a regular file" },
		{ "key-mismatch", TRUE, "server.pem", "client-key.pem", NULL, NULL, MM_ERROR_CONFIG,
		  "with key @" },
		{ "key-not-pem", TRUE, "server.pem", "junk.pem", NULL, NULL, MM_ERROR_CONFIG, "with key @" },
		{ "key-empty", TRUE, "server.pem", "empty.pem", NULL, NULL, MM_ERROR_CONFIG, "with key @" },
		{ "cert-not-pem", TRUE, "junk.pem", "server-key.pem", NULL, NULL, MM_ERROR_CONFIG,
		  "certificate @" },
		{ "ca-missing", TRUE, "server.pem", "server-key.pem", "nothere.pem", NULL,
		  MM_ERROR_NOT_FOUND, "CA file @" },
		{ "ca-empty", TRUE, "server.pem", "server-key.pem", "junk.pem", NULL, MM_ERROR_CONFIG,
		  "CA file @" },
		{ "bad-priority", TRUE, "server.pem", "server-key.pem", NULL, "NORMAL:+NONSENSE",
		  MM_ERROR_CONFIG, "priority string \"NORMAL:+NONSENSE\": error at \"+NONSENSE\"" },
		{ "client-ca-missing", FALSE, NULL, NULL, "nothere.pem", NULL, MM_ERROR_NOT_FOUND,
		  "CA file @" },
		{ "client-key-missing", FALSE, "client.pem", "nothere.pem", "ca.pem", NULL,
		  MM_ERROR_NOT_FOUND, "key file @" },
		{ "client-bad-priority", FALSE, NULL, NULL, "ca.pem", "SECURE999", MM_ERROR_CONFIG,
		  "priority string" },
	};
	g_autofree char *junk = NULL, *empty = NULL;

	if (!need_certs())
		return;
	junk = g_build_filename(ca_dir, "junk.pem", NULL);
	g_assert_true(g_file_set_contents(junk, "not a certificate\n", -1, NULL));
	empty = g_build_filename(ca_dir, "empty.pem", NULL);
	g_assert_true(g_file_set_contents(empty, "", 0, NULL));
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmTlsCreds) creds = NULL;
		g_autofree char *cert = NULL, *key = NULL, *ca = NULL, *message = NULL;
		const char *failing;
		g_auto(GStrv) parts = NULL;

		g_test_message("case %s", cases[i].label);
		cert = cases[i].cert != NULL ? g_build_filename(ca_dir, cases[i].cert, NULL) : NULL;
		key = cases[i].key != NULL ? g_build_filename(ca_dir, cases[i].key, NULL) : NULL;
		ca = cases[i].ca != NULL ? g_build_filename(ca_dir, cases[i].ca, NULL) : NULL;
		if (cases[i].server)
			creds = mm_tls_creds_new_server(cert, key, ca, cases[i].priority, &error);
		else
			creds = mm_tls_creds_new_client(ca, TRUE, cert, key, cases[i].priority, &error);
		g_assert_null(creds);
		g_assert_error(error, MM_ERROR, cases[i].code);
		g_test_message("%s", error->message);
		/* the file meant is the one that is not fine */
		failing = g_str_has_prefix(cases[i].message, "certificate")  ? cert
		          : g_str_has_prefix(cases[i].message, "CA")         ? ca
		                                                             : key;
		parts = g_strsplit(cases[i].message, "@", 2);
		message = g_strjoinv(failing, parts);
		g_assert_nonnull(strstr(error->message, message));
	}
	g_assert_cmpint(g_unlink(junk), ==, 0);
	g_assert_cmpint(g_unlink(empty), ==, 0);
}

/* A peer that never answers: the handshake ends at the time limit. */
static void
test_timeout(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTlsCreds) ccreds = NULL;
	g_autoptr(MmTls) tls = NULL;
	gint64 start;
	int sv[2];

	if (!need_certs())
		return;
	make_socketpair(sv);
	ccreds = client_creds("ca", TRUE, NULL, NULL);
	tls = mm_tls_new_client(ccreds, sv[0], "localhost", &error);
	mm_tls_set_timeout(tls, 200);
	start = g_get_monotonic_time();
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_ERROR);
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "timed out"));
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 190 * 1000);
	close(sv[0]);
	close(sv[1]);
}

/* Peers that go away: before the handshake, and without close_notify
 * after it. */
static gpointer
vanishing_server(gpointer data)
{
	Peer *p = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTls) tls = mm_tls_new_server(p->creds, p->fd, &error);

	mm_tls_set_timeout(tls, WAIT_MS);
	p->handshake = mm_tls_handshake(tls, &error);
	/* gone, no close_notify */
	shutdown(p->fd, SHUT_RDWR);
	return NULL;
}

static void
test_peer_gone(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTlsCreds) ccreds = NULL;
	g_autoptr(MmTls) tls = NULL;
	g_autoptr(MmTls) tls2 = NULL;
	Peer p = { .out_fd = -1 };
	GThread *thread;
	char buf[16];
	gsize got = 99;
	int sv[2];

	if (!need_certs())
		return;
	ccreds = client_creds("ca", TRUE, NULL, NULL);

	/* closed before the handshake: an error, not a clean close */
	make_socketpair(sv);
	close(sv[1]);
	tls = mm_tls_new_client(ccreds, sv[0], "localhost", &error);
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_ERROR);
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_test_message("%s", error->message);
	g_clear_error(&error);
	close(sv[0]);

	/* closed after it: reads answer CLOSED, again and again */
	make_socketpair(sv);
	p.creds = server_creds("server", NULL, NULL);
	p.fd = sv[1];
	thread = g_thread_new("server", vanishing_server, &p);
	tls2 = mm_tls_new_client(ccreds, sv[0], "localhost", &error);
	mm_tls_set_timeout(tls2, WAIT_MS);
	g_assert_cmpint(mm_tls_handshake(tls2, &error), ==, MM_TLS_OK);
	g_thread_join(thread);
	g_assert_cmpint(p.handshake, ==, MM_TLS_OK);
	g_assert_cmpint(mm_tls_read(tls2, buf, sizeof(buf), &got, &error), ==, MM_TLS_CLOSED);
	g_assert_no_error(error);
	g_assert_cmpuint(got, ==, 0);
	g_assert_cmpint(mm_tls_read(tls2, buf, sizeof(buf), &got, &error), ==, MM_TLS_CLOSED);
	/* writing to a peer that is gone fails; no SIGPIPE ends the test */
	{
		gsize n;
		MmTlsStatus st = MM_TLS_OK;

		for (int i = 0; i < 10 && st == MM_TLS_OK; i++)
			st = mm_tls_write(tls2, "DATA\r\n", 6, &n, &error);
		g_assert_cmpint(st, ==, MM_TLS_ERROR);
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	}
	close(sv[0]);
	close(sv[1]);
	peer_clear(&p);
}

/* The server of `-bs` under a wrapper: stdin and stdout are two pipes.
 * A relay thread joins them to the client's socket. */
typedef struct {
	int sock, to_server, from_server;
} Relay;

static gpointer
relay(gpointer data)
{
	Relay *r = data;
	char buf[4096];

	for (;;) {
		struct pollfd pfd[2] = { { .fd = r->sock, .events = POLLIN },
			                 { .fd = r->from_server, .events = POLLIN } };
		ssize_t n;

		if (poll(pfd, 2, WAIT_MS) <= 0)
			break;
		if (pfd[0].revents) {
			n = read(r->sock, buf, sizeof(buf));
			if (n <= 0 || write(r->to_server, buf, (size_t)n) != n)
				break;
		}
		if (pfd[1].revents) {
			n = read(r->from_server, buf, sizeof(buf));
			if (n <= 0 || write(r->sock, buf, (size_t)n) != n)
				break;
		}
	}
	close(r->to_server);
	return NULL;
}

static void
test_pipe_pair(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTlsCreds) ccreds = NULL;
	g_autoptr(MmTls) tls = NULL;
	Peer p = { 0 };
	Relay r;
	GThread *server, *relay_thread;
	int sv[2], in[2], out[2];

	if (!need_certs())
		return;
	make_socketpair(sv);
	g_assert_cmpint(pipe(in), ==, 0);
	g_assert_cmpint(pipe(out), ==, 0);
	r = (Relay){ .sock = sv[1], .to_server = in[1], .from_server = out[0] };
	p.creds = server_creds("server", NULL, NULL);
	p.fd = in[0];
	p.out_fd = out[1];
	server = g_thread_new("server", blocking_server, &p);
	relay_thread = g_thread_new("relay", relay, &r);

	ccreds = client_creds("ca", TRUE, NULL, NULL);
	tls = mm_tls_new_client(ccreds, sv[0], "localhost", &error);
	mm_tls_set_timeout(tls, WAIT_MS);
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_OK);
	g_assert_no_error(error);
	client_converse(tls);
	g_thread_join(server);
	close(out[1]);
	g_thread_join(relay_thread);
	g_assert_cmpstr(p.line, ==, "EHLO client.test\r\n");
	g_assert_cmpint(p.after_close, ==, MM_TLS_CLOSED);
	close(sv[0]);
	close(sv[1]);
	close(in[0]);
	close(out[0]);
	peer_clear(&p);
}

/* Interoperation with GnuTLS's own programs over loopback TCP. */

static gboolean
have_program(const char *name)
{
	g_autofree char *path = g_find_program_in_path(name);

	return path != NULL;
}

static int
listen_loopback(guint16 *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(listen(fd, 4), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &len), ==, 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
connect_loopback(guint16 port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
		                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_gnutls_serv(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(MmTlsCreds) ccreds = NULL;
	g_autoptr(MmTls) tls = NULL;
	g_autoptr(GString) echo = NULL;
	g_autofree char *cert = NULL, *key = NULL, *port_arg = NULL, *desc = NULL;
	MmTlsStatus st = MM_TLS_OK;
	guint16 port;
	int fd = -1;

	if (!need_certs())
		return;
	if (!have_program("gnutls-serv")) {
		g_test_skip("gnutls-serv (gnutls-bin) is not installed");
		return;
	}
	/* a port that was free a moment ago */
	close(listen_loopback(&port));
	cert = pem("server");
	key = g_strdup_printf("%s/server-key.pem", ca_dir);
	port_arg = g_strdup_printf("--port=%u", port);
	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
	                        &error, "gnutls-serv", "--echo", port_arg, "--x509certfile", cert,
	                        "--x509keyfile", key, NULL);
	g_assert_no_error(error);
	for (int i = 0; i < 100 && fd < 0; i++) {
		fd = connect_loopback(port);
		if (fd < 0)
			g_usleep(50 * 1000);
	}
	g_assert_cmpint(fd, >=, 0);

	ccreds = client_creds("ca", TRUE, NULL, NULL);
	tls = mm_tls_new_client(ccreds, fd, "localhost", &error);
	mm_tls_set_timeout(tls, WAIT_MS);
	g_assert_cmpint(mm_tls_handshake(tls, &error), ==, MM_TLS_OK);
	g_assert_no_error(error);
	desc = mm_tls_describe(tls);
	g_test_message("gnutls-serv: %s", desc);
	g_assert_true(g_str_has_prefix(desc, "TLS1."));
	g_assert_true(mm_tls_peer_verified(tls));
	write_all(tls, "EHLO client.test\r\n", 18);
	/* gnutls-serv echoes lines with its own line end */
	echo = read_n(tls, 17, &st);
	g_assert_cmpstr(echo->str, ==, "EHLO client.test\n");
	g_assert_cmpint(mm_tls_bye(tls, &error), ==, MM_TLS_OK);
	close(fd);
	g_subprocess_force_exit(proc);
	g_subprocess_wait(proc, NULL, NULL);
}

typedef struct {
	int listen_fd;
	MmTlsCreds *creds;
	MmTlsStatus handshake;
	char *error;
	char *subject;
	char *line;
} CliPeer;

static gpointer
server_for_cli(gpointer data)
{
	CliPeer *p = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmTls) tls = NULL;
	g_autoptr(GString) line = NULL;
	MmTlsStatus st;
	struct pollfd pfd = { .fd = p->listen_fd, .events = POLLIN };
	int fd;

	if (poll(&pfd, 1, WAIT_MS) != 1)
		return NULL;
	fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	tls = mm_tls_new_server(p->creds, fd, &error);
	mm_tls_set_timeout(tls, WAIT_MS);
	p->handshake = mm_tls_handshake(tls, &error);
	if (p->handshake != MM_TLS_OK) {
		p->error = g_strdup(error->message);
		close(fd);
		return NULL;
	}
	p->subject = mm_tls_peer_cert_subject(tls);
	write_all(tls, "220 localhost ESMTP\r\n", 21);
	line = read_n(tls, 6, &st);
	p->line = g_strdup(line->str);
	write_all(tls, "221 bye\r\n", 9);
	mm_tls_bye(tls, NULL);
	close(fd);
	return NULL;
}

static void
test_gnutls_cli(gconstpointer data)
{
	gboolean with_cert = GPOINTER_TO_INT(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) out = g_string_new(NULL);
	CliPeer p = { 0 };
	GThread *thread;
	GOutputStream *in;
	GInputStream *from;
	guint16 port;
	char buf[4096];
	gssize n;

	if (!need_certs())
		return;
	if (!have_program("gnutls-cli")) {
		g_test_skip("gnutls-cli (gnutls-bin) is not installed");
		return;
	}
	p.listen_fd = listen_loopback(&port);
	p.creds = server_creds("server", "ca", NULL);
	thread = g_thread_new("server", server_for_cli, &p);

	g_ptr_array_add(argv, g_strdup("gnutls-cli"));
	g_ptr_array_add(argv, g_strdup_printf("--x509cafile=%s/ca.pem", ca_dir));
	if (with_cert) {
		g_ptr_array_add(argv, g_strdup_printf("--x509certfile=%s/client.pem", ca_dir));
		g_ptr_array_add(argv, g_strdup_printf("--x509keyfile=%s/client-key.pem", ca_dir));
	}
	g_ptr_array_add(argv, g_strdup_printf("--port=%u", port));
	g_ptr_array_add(argv, g_strdup("127.0.0.1"));
	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_newv((const char *const *)argv->pdata,
	                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                             G_SUBPROCESS_FLAGS_STDERR_MERGE,
	                         &error);
	g_assert_no_error(error);
	in = g_subprocess_get_stdin_pipe(proc);
	from = g_subprocess_get_stdout_pipe(proc);
	/* stdin stays open until the server has closed the connection:
	 * gnutls-cli would leave at its end before the replies arrived */
	g_assert_true(g_output_stream_write_all(in, "QUIT\r\n", 6, NULL, NULL, &error));
	g_assert_no_error(error);
	while ((n = g_input_stream_read(from, buf, sizeof(buf), NULL, &error)) > 0)
		g_string_append_len(out, buf, n);
	g_assert_no_error(error);
	g_output_stream_close(in, NULL, NULL);
	g_subprocess_wait(proc, NULL, NULL);
	g_thread_join(thread);
	g_test_message("gnutls-cli said:\n%s", out->str);

	g_assert_cmpint(p.handshake, ==, MM_TLS_OK);
	g_assert_nonnull(strstr(out->str, "Handshake was completed"));
	g_assert_nonnull(strstr(out->str, "220 localhost ESMTP"));
	g_assert_nonnull(strstr(out->str, "221 bye"));
	g_assert_cmpstr(p.line, ==, "QUIT\r\n");
	if (with_cert)
		g_assert_nonnull(strstr(p.subject != NULL ? p.subject : "", "CN=client.test"));
	else
		g_assert_null(p.subject);
	close(p.listen_fd);
	mm_tls_creds_free(p.creds);
	g_free(p.error);
	g_free(p.subject);
	g_free(p.line);
}

static void
test_crypto(void)
{
	/* RFC 2202 3, test case 2 */
	static const guint8 expect[MM_TLS_MD5_LEN] = { 0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0,
		                                       0xb5, 0x03, 0xea, 0xa8, 0x6e, 0x31,
		                                       0x0a, 0x5d, 0xb7, 0x38 };
	const char *text = "what do ya want for nothing?";
	guint8 digest[MM_TLS_MD5_LEN];
	guint8 a[16] = { 0 }, b[16] = { 0 };

	g_assert_true(mm_tls_hmac_md5("Jefe", 4, text, strlen(text), digest));
	g_assert_cmpmem(digest, sizeof(digest), expect, sizeof(expect));
	mm_tls_random(a, sizeof(a));
	mm_tls_random(b, sizeof(b));
	g_assert_true(memcmp(a, b, sizeof(a)) != 0);
}

static void
remove_dir(const char *dir)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	g_assert_cmpint(system(cmd), ==, 0);
}

/* Makes the test CA; NULL when certtool is missing. */
static char *
make_ca(void)
{
	g_autoptr(GError) error = NULL;
	const char *top = g_getenv("MM_TOP_SRCDIR");
	g_autofree char *script = g_build_filename(top != NULL ? top : MM_TEST_SRCDIR, "tests", "lib",
	                                           "make-test-ca.sh", NULL);
	g_autofree char *dir = g_dir_make_tmp("mm-tls-XXXXXX", &error);
	const char *argv[] = { "/bin/sh", script, dir, NULL };
	int status = 0;

	g_assert_no_error(error);
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
	             &error);
	g_assert_no_error(error);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		remove_dir(dir);
		return NULL;
	}
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return g_steal_pointer(&dir);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	ca_dir = make_ca();

	g_test_add_data_func("/tls/session/blocking/tls1.2", "TLS1.2", test_blocking);
	g_test_add_data_func("/tls/session/blocking/tls1.3", "TLS1.3", test_blocking);
	g_test_add_func("/tls/session/nonblocking-server", test_nonblocking);
	g_test_add_func("/tls/session/peer-gone", test_peer_gone);
	g_test_add_func("/tls/session/timeout", test_timeout);
	g_test_add_func("/tls/session/pipe-pair", test_pipe_pair);
	g_test_add_func("/tls/verify/server", test_verify);
	g_test_add_func("/tls/verify/client-cert", test_client_cert);
	g_test_add_func("/tls/creds/errors", test_creds_errors);
	g_test_add_func("/tls/crypto/hmac-md5-random", test_crypto);
	g_test_add_func("/tls/interop/gnutls-serv", test_gnutls_serv);
	g_test_add_data_func("/tls/interop/gnutls-cli", GINT_TO_POINTER(FALSE), test_gnutls_cli);
	g_test_add_data_func("/tls/interop/gnutls-cli-client-cert", GINT_TO_POINTER(TRUE),
	                     test_gnutls_cli);
	rc = g_test_run();
	if (ca_dir != NULL)
		remove_dir(ca_dir);
	g_free(ca_dir);
	return rc;
}
