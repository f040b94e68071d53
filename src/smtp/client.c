/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP client session (RFC 5321, with PIPELINING RFC 2920, CHUNKING
 * RFC 3030, SIZE RFC 1870, 8BITMIME RFC 6152, STARTTLS RFC 3207,
 * implicit TLS RFC 8314 and AUTH RFC 4954). See client.h for what it promises.
 *
 * Writes are grouped: a pipelined MAIL/RCPT.../DATA group is one write
 * and a message goes out in large blocks with its final dot, so that no
 * small segment waits for a delayed ACK. Reads go through one bounded
 * buffer and the reply parser; every wait has the time limit of its
 * stage. Once anything goes wrong with the connection itself (time-out,
 * lost, malformed reply, 421) the session is marked broken and is not
 * used again.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "smtp/client.h"
#include "smtp/connect.h"
#include "smtp/reply.h"
#include "smtp/sasl.h"
#include "smtp/tls.h"

/* how much of a message is converted (CRLF, dot-stuffing) and written at once */
#define BODY_BLOCK (128 * 1024)

struct MmSmtpClient {
	int fd;
	MmTls *tls;
	char *peer;
	char *tls_info;
	gboolean loopback;
	gboolean broken;     /* the connection cannot be used any more */
	guint sock_timeout;  /* seconds the socket's time limits are set to; 0: not yet */
	gboolean dirty;      /* a transaction was begun and not finished: RSET first */

	/* from the options */
	gboolean use_pipelining;
	gboolean use_chunking;
	guint t_greeting, t_mail, t_rcpt, t_data_init, t_data_block, t_final;

	/* what the last EHLO said */
	gboolean esmtp;
	gboolean has_pipelining;
	gboolean has_size;
	guint64 size_max;    /* 0: no limit given */
	gboolean has_8bitmime;
	gboolean has_starttls;
	gboolean has_chunking;
	char **auth_mechs;   /* NULL: no AUTH offered */

	MmSmtpReplyParser *parser;
	char buf[MM_SMTP_REPLY_LINE_MAX * 8];
	gsize start, end;
};

gboolean
mm_smtp_tls_mode_from_string(const char *text, MmSmtpTlsMode *mode)
{
	static const struct {
		const char *name;
		MmSmtpTlsMode mode;
	} names[] = {
		{ "off", MM_SMTP_TLS_OFF },
		{ "opportunistic", MM_SMTP_TLS_OPPORTUNISTIC },
		{ "required", MM_SMTP_TLS_REQUIRED },
		{ "smtps", MM_SMTP_TLS_SMTPS },
	};

	for (gsize i = 0; text != NULL && i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(text, names[i].name) == 0) {
			*mode = names[i].mode;
			return TRUE;
		}
	return FALSE;
}

gboolean
mm_smtp_auth_mech_from_string(const char *text, MmSmtpAuthMech *mech)
{
	if (text == NULL || *text == '\0')
		*mech = MM_SMTP_AUTH_NONE;
	else if (g_ascii_strcasecmp(text, "cram-md5") == 0)
		*mech = MM_SMTP_AUTH_CRAM_MD5;
	else if (g_ascii_strcasecmp(text, "login") == 0)
		*mech = MM_SMTP_AUTH_LOGIN;
	else if (g_ascii_strcasecmp(text, "plain") == 0)
		*mech = MM_SMTP_AUTH_PLAIN;
	else
		return FALSE;
	return TRUE;
}

void
mm_smtp_client_options_init(MmSmtpClientOptions *opts)
{
	*opts = (MmSmtpClientOptions){
		.pipelining = TRUE,
		.chunking = TRUE,
		.tls = MM_SMTP_TLS_OPPORTUNISTIC,
		.tls_verify = TRUE,
		.auth = MM_SMTP_AUTH_NONE,
	};
}

void
mm_smtp_rcpt_result_clear(MmSmtpRcptResult *result)
{
	g_free(result->reply);
	*result = (MmSmtpRcptResult){ 0 };
}

const char *
mm_smtp_client_peer(const MmSmtpClient *c)
{
	return c->peer;
}

const char *
mm_smtp_client_tls_info(const MmSmtpClient *c)
{
	return c->tls_info;
}

gboolean
mm_smtp_client_is_esmtp(const MmSmtpClient *c)
{
	return c->esmtp;
}

/* ---- I/O ---- */

/* Time limits for both plain and TLS I/O: the socket options cut a
 * blocking send() of a large block that the peer stops reading. */
static void
set_socket_timeout(MmSmtpClient *c, guint secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };

	/* two system calls a message in a long queue run otherwise */
	if (secs == c->sock_timeout)
		return;
	c->sock_timeout = secs;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Marks the session unusable and sets @error (always temporary). */
static gboolean
fail_conn(MmSmtpClient *c, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
fail_conn(MmSmtpClient *c, GError **error, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *what = NULL;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	c->broken = TRUE;
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s: %s", c->peer, what);
	return FALSE;
}

static gboolean
send_data(MmSmtpClient *c, const char *data, gsize len, guint timeout, GError **error)
{
	gsize done = 0;

	if (c->broken)
		return fail_conn(c, error, "connection already lost");
	set_socket_timeout(c, timeout);
	if (c->tls != NULL) {
		mm_tls_set_timeout(c->tls, timeout * 1000);
		while (done < len) {
			g_autoptr(GError) local = NULL;
			gsize n = 0;
			MmTlsStatus st = mm_tls_write(c->tls, data + done, len - done, &n, &local);

			if (st != MM_TLS_OK)
				return fail_conn(c, error, "%s",
				                 local ? local->message : "TLS write: connection closed");
			done += n;
		}
		return TRUE;
	}
	while (done < len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		ssize_t n;
		int r = poll(&pfd, 1, (int)timeout * 1000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return fail_conn(c, error, "time-out after %u seconds while sending", timeout);
		if (r < 0)
			return fail_conn(c, error, "poll: %s", g_strerror(errno));
		n = send(c->fd, data + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(c->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return fail_conn(c, error, "time-out after %u seconds while sending", timeout);
		if (n < 0)
			return fail_conn(c, error, "write: %s", g_strerror(errno));
		done += (gsize)n;
	}
	return TRUE;
}

static gboolean
send_cmd(MmSmtpClient *c, const char *cmd, guint timeout, GError **error)
{
	g_autofree char *line = g_strdup_printf("%s\r\n", cmd);

	mm_debug(4, "smtp %s >> %s", c->peer, cmd);
	return send_data(c, line, strlen(line), timeout, error);
}

/* Reads more into the buffer before @deadline (monotonic time). */
static gboolean
fill(MmSmtpClient *c, gint64 deadline, guint timeout, GError **error)
{
	gsize got = 0;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	for (;;) {
		gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;

		if (left_ms <= 0)
			return fail_conn(c, error, "no reply within %u seconds", timeout);
		if (c->tls != NULL) {
			g_autoptr(GError) local = NULL;
			MmTlsStatus st;

			mm_tls_set_timeout(c->tls, (guint)left_ms);
			set_socket_timeout(c, (guint)(left_ms / 1000) + 1);
			st = mm_tls_read(c->tls, c->buf + c->end, sizeof c->buf - c->end, &got, &local);
			/* a record without application data (a TLS 1.3 session
			 * ticket) or the socket's own time limit: try again
			 * until the deadline */
			if (st == MM_TLS_WANT_READ || st == MM_TLS_WANT_WRITE)
				continue;
			if (st == MM_TLS_CLOSED)
				return fail_conn(c, error, "connection closed by the server");
			if (st != MM_TLS_OK)
				return fail_conn(c, error, "%s", local ? local->message : "TLS read failed");
		} else {
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
			int r = poll(&pfd, 1, (int)MIN(left_ms, G_MAXINT));
			ssize_t n;

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return fail_conn(c, error, "poll: %s", g_strerror(errno));
			if (r == 0)
				continue; /* the deadline check above reports it */
			n = read(c->fd, c->buf + c->end, sizeof c->buf - c->end);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0)
				return fail_conn(c, error, "read: %s", g_strerror(errno));
			if (n == 0)
				return fail_conn(c, error, "connection closed by the server");
			got = (gsize)n;
		}
		if (got > 0)
			break;
	}
	c->end += got;
	return TRUE;
}

/* Reads one reply within @timeout seconds. A malformed or overlong
 * reply, a time-out and a lost connection break the session. */
static MmSmtpReply *
read_reply(MmSmtpClient *c, guint timeout, const char *what, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;

	if (c->broken) {
		fail_conn(c, error, "connection already lost");
		return NULL;
	}
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
		g_autoptr(GError) local = NULL;
		MmSmtpReply *reply;

		if (nl == NULL) {
			if (c->end - c->start >= MM_SMTP_REPLY_LINE_MAX) {
				fail_conn(c, error, "reply to %s: line longer than %d octets", what,
				          MM_SMTP_REPLY_LINE_MAX);
				return NULL;
			}
			if (!fill(c, deadline, timeout, &local)) {
				g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s (waiting for the reply to %s)",
				            local->message, what);
				return NULL;
			}
			continue;
		}
		reply = mm_smtp_reply_parser_feed(c->parser, c->buf + c->start,
		                                  (gsize)(nl - (c->buf + c->start)), &local);
		c->start = (gsize)(nl + 1 - c->buf);
		if (local != NULL) {
			fail_conn(c, error, "reply to %s: %s", what, local->message);
			return NULL;
		}
		if (reply != NULL) {
			mm_debug(4, "smtp %s << %03u%s%s", c->peer, reply->code, *reply->lines[0] ? " " : "",
			         reply->lines[0]);
			return reply;
		}
	}
}

/* ---- session set-up ---- */

static void
parse_ehlo(MmSmtpClient *c, const MmSmtpReply *reply)
{
	c->has_pipelining = c->has_size = c->has_8bitmime = c->has_starttls = FALSE;
	c->has_chunking = FALSE;
	c->size_max = 0;
	g_clear_pointer(&c->auth_mechs, g_strfreev);

	/* the first line is the server's name and greeting text */
	for (char **l = reply->lines + 1; *l != NULL; l++) {
		g_auto(GStrv) words = g_strsplit_set(*l, " =", -1);

		if (words[0] == NULL)
			continue;
		if (g_ascii_strcasecmp(words[0], "PIPELINING") == 0) {
			c->has_pipelining = TRUE;
		} else if (g_ascii_strcasecmp(words[0], "SIZE") == 0) {
			guint64 n = 0;

			c->has_size = TRUE;
			if (words[1] != NULL && g_ascii_string_to_unsigned(words[1], 10, 0, G_MAXUINT64, &n, NULL))
				c->size_max = n;
		} else if (g_ascii_strcasecmp(words[0], "CHUNKING") == 0) {
			c->has_chunking = TRUE;
		} else if (g_ascii_strcasecmp(words[0], "8BITMIME") == 0) {
			c->has_8bitmime = TRUE;
		} else if (g_ascii_strcasecmp(words[0], "STARTTLS") == 0) {
			c->has_starttls = TRUE;
		} else if (g_ascii_strcasecmp(words[0], "AUTH") == 0) {
			/* "AUTH=LOGIN" of old servers splits the same way */
			GStrvBuilder *b = g_strv_builder_new();

			if (c->auth_mechs != NULL)
				g_strv_builder_addv(b, (const char **)c->auth_mechs);
			for (char **w = words + 1; *w != NULL; w++)
				if (**w != '\0')
					g_strv_builder_add(b, *w);
			g_clear_pointer(&c->auth_mechs, g_strfreev);
			c->auth_mechs = g_strv_builder_end(b);
			g_strv_builder_unref(b);
		}
	}
}

/* EHLO, and HELO when the server does not know EHLO. */
static gboolean
greet(MmSmtpClient *c, const char *helo_name, gboolean ehlo_sent, GError **error)
{
	g_autofree char *ehlo = g_strdup_printf("EHLO %s", helo_name);
	g_autofree char *helo = g_strdup_printf("HELO %s", helo_name);
	g_autoptr(MmSmtpReply) reply = NULL;

	if (!ehlo_sent && !send_cmd(c, ehlo, c->t_greeting, error))
		return FALSE;
	reply = read_reply(c, c->t_greeting, "EHLO", error);
	if (reply == NULL)
		return FALSE;
	if (mm_smtp_reply_kind(reply->code) == MM_SMTP_REPLY_POSITIVE) {
		c->esmtp = TRUE;
		parse_ehlo(c, reply);
		return TRUE;
	}
	if (mm_smtp_reply_kind(reply->code) != MM_SMTP_REPLY_PERMANENT || reply->code == 554) {
		g_autofree char *text = mm_smtp_reply_to_string(reply);

		return fail_conn(c, error, "EHLO refused: %s", text);
	}
	g_clear_pointer(&reply, mm_smtp_reply_free);
	if (!send_cmd(c, helo, c->t_greeting, error))
		return FALSE;
	reply = read_reply(c, c->t_greeting, "HELO", error);
	if (reply == NULL)
		return FALSE;
	if (mm_smtp_reply_kind(reply->code) != MM_SMTP_REPLY_POSITIVE) {
		g_autofree char *text = mm_smtp_reply_to_string(reply);

		return fail_conn(c, error, "HELO refused: %s", text);
	}
	c->esmtp = FALSE;
	parse_ehlo(c, reply); /* clears what an earlier EHLO said */
	return TRUE;
}

static gboolean
start_tls(MmSmtpClient *c, const MmSmtpClientOptions *opts, const char *server_name,
          GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(MmTlsCreds) creds = NULL;

	creds = mm_tls_creds_new_client(opts->tls_ca_file, opts->tls_verify, opts->tls_cert_file,
	                                opts->tls_key_file, opts->tls_priority, &local);
	if (creds == NULL)
		return fail_conn(c, error, "TLS: %s", local->message);
	c->tls = mm_tls_new_client(creds, c->fd, server_name, &local);
	if (c->tls == NULL)
		return fail_conn(c, error, "TLS: %s", local->message);
	mm_tls_set_timeout(c->tls, c->t_greeting * 1000);
	set_socket_timeout(c, c->t_greeting);
	if (mm_tls_handshake(c->tls, &local) != MM_TLS_OK)
		return fail_conn(c, error, "TLS handshake failed: %s",
		                 local ? local->message : "connection closed");
	c->tls_info = mm_tls_describe(c->tls);
	mm_debug(3, "smtp %s tls=%s", c->peer, c->tls_info);
	return TRUE;
}

static gboolean
starttls(MmSmtpClient *c, const MmSmtpClientOptions *opts, const char *server_name,
         const char *helo_name, GError **error)
{
	g_autoptr(MmSmtpReply) reply = NULL;

	if (opts->tls == MM_SMTP_TLS_OFF || opts->tls == MM_SMTP_TLS_SMTPS)
		return TRUE;
	if (!c->has_starttls) {
		if (opts->tls == MM_SMTP_TLS_REQUIRED)
			return fail_conn(c, error, "TLS is required but the server does not offer STARTTLS");
		return TRUE;
	}
	if (!send_cmd(c, "STARTTLS", c->t_greeting, error))
		return FALSE;
	reply = read_reply(c, c->t_greeting, "STARTTLS", error);
	if (reply == NULL)
		return FALSE;
	if (reply->code != 220) {
		g_autofree char *text = mm_smtp_reply_to_string(reply);

		if (opts->tls == MM_SMTP_TLS_REQUIRED || reply->code == 421)
			return fail_conn(c, error, "STARTTLS refused: %s", text);
		mm_log(LOG_NOTICE, "smtp %s STARTTLS refused, going on without TLS: %s", c->peer, text);
		return TRUE;
	}
	/* RFC 3207 5: what came before the handshake is not to be
	 * trusted; a server that pipelined it may be an attacker's
	 * injection */
	if (c->end > c->start)
		mm_debug(3, "smtp %s discards %zu octets sent before the TLS handshake", c->peer,
		         c->end - c->start);
	c->start = c->end = 0;
	mm_smtp_reply_parser_free(c->parser);
	c->parser = mm_smtp_reply_parser_new();
	if (!start_tls(c, opts, server_name, error))
		return FALSE;
	return greet(c, helo_name, FALSE, error);
}

static gboolean
offers_mech(MmSmtpClient *c, const char *mech)
{
	for (char **m = c->auth_mechs; m != NULL && *m != NULL; m++)
		if (g_ascii_strcasecmp(*m, mech) == 0)
			return TRUE;
	return FALSE;
}

/* One step of an AUTH exchange: sends @line (not logged: it holds
 * credentials) and reads the reply. */
static MmSmtpReply *
auth_step(MmSmtpClient *c, const char *line, GError **error)
{
	char *full = g_strdup_printf("%s\r\n", line);
	gboolean ok;

	mm_debug(4, "smtp %s >> (credentials)", c->peer);
	ok = send_data(c, full, strlen(full), c->t_greeting, error);
	mm_sasl_free_secret(full);
	if (!ok)
		return NULL;
	return read_reply(c, c->t_greeting, "AUTH", error);
}

static gboolean
auth_failed(MmSmtpClient *c, const MmSmtpReply *reply, const char *mech, GError **error)
{
	g_autofree char *text = mm_smtp_reply_to_string(reply);

	return fail_conn(c, error, "AUTH %s failed: %s", mech, text);
}

static gboolean
authenticate(MmSmtpClient *c, const MmSmtpClientOptions *opts, GError **error)
{
	static const char *const names[] = {
		[MM_SMTP_AUTH_CRAM_MD5] = "CRAM-MD5",
		[MM_SMTP_AUTH_LOGIN] = "LOGIN",
		[MM_SMTP_AUTH_PLAIN] = "PLAIN",
	};
	const char *mech;
	const char *login = opts->auth_login ? opts->auth_login : "";
	const char *secret = opts->auth_secret ? opts->auth_secret : "";
	g_autoptr(MmSmtpReply) reply = NULL;

	if (opts->auth == MM_SMTP_AUTH_NONE)
		return TRUE;
	mech = names[opts->auth];
	/* PLAIN and LOGIN carry the password itself; CRAM-MD5 only a keyed
	 * hash of it, and 1.0 used it on connections without TLS, so only
	 * the first two wait for auth_allow_plaintext (masqmail.route(5)) */
	if (opts->auth != MM_SMTP_AUTH_CRAM_MD5 && c->tls == NULL && !c->loopback &&
	    !opts->auth_allow_plaintext)
		return fail_conn(c, error,
		                 "refusing to send AUTH %s credentials without TLS (set tls, or "
		                 "auth_allow_plaintext to allow it)",
		                 mech);
	/* going on without a login would have the relay refuse the mail
	 * with 5xx, and the mail would bounce for a local setup problem */
	if (!offers_mech(c, mech))
		return fail_conn(c, error, "the server does not offer AUTH %s", mech);

	switch (opts->auth) {
	case MM_SMTP_AUTH_PLAIN: {
		char *resp = mm_sasl_plain_encode(login, secret);
		char *line = g_strdup_printf("AUTH PLAIN %s", resp);

		mm_sasl_free_secret(resp);
		reply = auth_step(c, line, error);
		mm_sasl_free_secret(line);
		break;
	}
	case MM_SMTP_AUTH_LOGIN: {
		g_autofree char *user64 = g_base64_encode((const guchar *)login, strlen(login));
		char *pass64 = NULL;

		if (!send_cmd(c, "AUTH LOGIN", c->t_greeting, error))
			return FALSE;
		reply = read_reply(c, c->t_greeting, "AUTH", error);
		if (reply == NULL)
			return FALSE;
		if (reply->code != 334)
			return auth_failed(c, reply, mech, error);
		g_clear_pointer(&reply, mm_smtp_reply_free);
		reply = auth_step(c, user64, error);
		if (reply == NULL)
			return FALSE;
		if (reply->code != 334)
			return auth_failed(c, reply, mech, error);
		g_clear_pointer(&reply, mm_smtp_reply_free);
		pass64 = g_base64_encode((const guchar *)secret, strlen(secret));
		reply = auth_step(c, pass64, error);
		mm_sasl_free_secret(pass64);
		break;
	}
	case MM_SMTP_AUTH_CRAM_MD5: {
		g_autofree char *challenge = NULL;
		char *answer = NULL;
		char *resp = NULL;
		gsize clen = 0;

		if (!send_cmd(c, "AUTH CRAM-MD5", c->t_greeting, error))
			return FALSE;
		reply = read_reply(c, c->t_greeting, "AUTH", error);
		if (reply == NULL)
			return FALSE;
		if (reply->code != 334)
			return auth_failed(c, reply, mech, error);
		challenge = mm_sasl_base64_decode(reply->lines[0], &clen, NULL);
		g_clear_pointer(&reply, mm_smtp_reply_free);
		if (challenge == NULL)
			return fail_conn(c, error, "AUTH CRAM-MD5: the server's challenge is not base64");
		answer = mm_sasl_cram_md5_response(login, secret, challenge);
		if (answer == NULL)
			return fail_conn(c, error, "AUTH CRAM-MD5: HMAC-MD5 is not available");
		resp = g_base64_encode((const guchar *)answer, strlen(answer));
		mm_sasl_free_secret(answer);
		reply = auth_step(c, resp, error);
		mm_sasl_free_secret(resp);
		break;
	}
	case MM_SMTP_AUTH_NONE:
		g_assert_not_reached();
	}
	if (reply == NULL)
		return FALSE;
	if (mm_smtp_reply_kind(reply->code) != MM_SMTP_REPLY_POSITIVE)
		return auth_failed(c, reply, mech, error);
	mm_debug(3, "smtp %s auth=%s user=%s", c->peer, mech, login);
	return TRUE;
}

/* The name of our end of the connection in DNS, or the address in
 * brackets (RFC 5321 4.1.3), for servers that insist on it. */
static char *
correct_helo_name(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[NI_MAXHOST];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return NULL;
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NAMEREQD) == 0)
		return g_strdup(host);
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0)
		return NULL;
	return ss.ss_family == AF_INET6 ? g_strdup_printf("[IPv6:%s]", host)
	                                : g_strdup_printf("[%s]", host);
}

static guint
or_default(guint value, guint def)
{
	return value != 0 ? value : def;
}

MmSmtpClient *
mm_smtp_client_open_fd(int fd, const char *peer, gboolean loopback, const MmSmtpClientOptions *opts,
                       GError **error)
{
	g_autoptr(MmSmtpClient) c = g_new0(MmSmtpClient, 1);
	g_autofree char *helo_name = NULL;
	g_autofree char *server_name = NULL;
	gboolean ehlo_sent = FALSE;

	c->fd = fd;
	c->peer = g_strdup(peer ? peer : "?");
	c->loopback = loopback;
	c->parser = mm_smtp_reply_parser_new();
	c->use_pipelining = opts->pipelining;
	c->use_chunking = opts->chunking;
	c->t_greeting = or_default(opts->timeout_greeting, MM_SMTP_CLIENT_TIMEOUT_GREETING);
	c->t_mail = or_default(opts->timeout_mail, MM_SMTP_CLIENT_TIMEOUT_MAIL);
	c->t_rcpt = or_default(opts->timeout_rcpt, MM_SMTP_CLIENT_TIMEOUT_RCPT);
	c->t_data_init = or_default(opts->timeout_data_init, MM_SMTP_CLIENT_TIMEOUT_DATA_INIT);
	c->t_data_block = or_default(opts->timeout_data_block, MM_SMTP_CLIENT_TIMEOUT_DATA_BLOCK);
	c->t_final = or_default(opts->timeout_final, MM_SMTP_CLIENT_TIMEOUT_FINAL);

	if (opts->tls_server_name != NULL) {
		server_name = g_strdup(opts->tls_server_name);
	} else if (peer != NULL) {
		/* the host part of "host[address]:port" or "host" */
		server_name = g_strndup(peer, strcspn(peer, "["));
		if (*server_name == '\0') {
			g_free(server_name);
			server_name = NULL;
		}
	}

	if (opts->correct_helo)
		helo_name = correct_helo_name(fd);
	if (helo_name == NULL)
		helo_name = g_strdup(opts->helo_name ? opts->helo_name : g_get_host_name());

	if (opts->tls == MM_SMTP_TLS_SMTPS && !start_tls(c, opts, server_name, error))
		return NULL;

	if (opts->instant_helo) {
		g_autofree char *ehlo = g_strdup_printf("EHLO %s", helo_name);

		if (!send_cmd(c, ehlo, c->t_greeting, error))
			return NULL;
		ehlo_sent = TRUE;
	}
	{
		g_autoptr(MmSmtpReply) reply = NULL;

		/* with instant_helo the first reply is the greeting when one
		 * came (220), else already the reply to EHLO */
		reply = read_reply(c, c->t_greeting, ehlo_sent ? "EHLO" : "the greeting", error);
		if (reply == NULL)
			return NULL;
		if (ehlo_sent && reply->code != 220 &&
		    mm_smtp_reply_kind(reply->code) == MM_SMTP_REPLY_POSITIVE) {
			c->esmtp = TRUE;
			parse_ehlo(c, reply);
		} else if (mm_smtp_reply_kind(reply->code) != MM_SMTP_REPLY_POSITIVE) {
			g_autofree char *text = mm_smtp_reply_to_string(reply);

			fail_conn(c, error, "greeting: %s", text);
			return NULL;
		} else if (!greet(c, helo_name, ehlo_sent, error)) {
			return NULL;
		}
	}
	mm_debug(3, "smtp %s esmtp=%d pipelining=%d chunking=%d size=%" G_GUINT64_FORMAT
	         " 8bitmime=%d starttls=%d",
	         c->peer, c->esmtp, c->has_pipelining, c->has_chunking, c->size_max, c->has_8bitmime,
	         c->has_starttls);

	if (!starttls(c, opts, server_name, helo_name, error))
		return NULL;
	if (!authenticate(c, opts, error))
		return NULL;
	return g_steal_pointer(&c);
}

MmSmtpClient *
mm_smtp_client_open(const char *host, guint16 port, const MmSmtpClientOptions *opts, GError **error)
{
	g_autofree char *peer = NULL;
	gboolean loopback = FALSE;
	int fd = mm_smtp_connect(host, port, opts->timeout_connect, &peer, &loopback, error);

	if (fd < 0)
		return NULL;
	return mm_smtp_client_open_fd(fd, peer, loopback, opts, error);
}

void
mm_smtp_client_close(MmSmtpClient *c)
{
	if (c == NULL)
		return;
	if (!c->broken && c->fd >= 0) {
		g_autoptr(GError) error = NULL;

		if (send_cmd(c, "QUIT", MM_SMTP_CLIENT_TIMEOUT_QUIT, &error)) {
			g_autoptr(MmSmtpReply) reply = read_reply(c, MM_SMTP_CLIENT_TIMEOUT_QUIT, "QUIT", &error);
		}
		if (error != NULL)
			mm_debug(3, "smtp %s QUIT: %s", c->peer, error->message);
	}
	if (c->tls != NULL) {
		if (!c->broken)
			mm_tls_bye(c->tls, NULL);
		mm_tls_free(c->tls);
	}
	if (c->fd >= 0)
		close(c->fd);
	mm_smtp_reply_parser_free(c->parser);
	g_strfreev(c->auth_mechs);
	g_free(c->tls_info);
	g_free(c->peer);
	g_free(c);
}

/* ---- messages ---- */

/* The size of @data as sent, CRLF line ends, without the dot-stuffing
 * (RFC 1870 4) and the final dot; and whether it has 8-bit octets. */
static guint64
wire_size(const guchar *data, gsize len, gboolean *eight_bit)
{
	guint64 size = 0;
	gboolean line_start = TRUE;

	*eight_bit = FALSE;
	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			i++;
		if (data[i] == '\r' || data[i] == '\n') {
			size += 2;
			line_start = TRUE;
			continue;
		}
		if (data[i] & 0x80)
			*eight_bit = TRUE;
		size++;
		line_start = FALSE;
	}
	if (!line_start)
		size += 2;
	return size;
}

static void
set_result(MmSmtpRcptResult *r, MmSmtpRcptStatus status, guint code, char *reply)
{
	g_free(r->reply);
	r->status = status;
	r->code = code;
	r->reply = reply;
}

/* The result a reply gives a recipient: 2xx delivered, 5xx failed,
 * anything else deferred. */
static void
result_from_reply(MmSmtpRcptResult *r, const MmSmtpReply *reply)
{
	MmSmtpRcptStatus st;

	switch (mm_smtp_reply_kind(reply->code)) {
	case MM_SMTP_REPLY_POSITIVE:
		st = MM_SMTP_RCPT_DELIVERED;
		break;
	case MM_SMTP_REPLY_PERMANENT:
		st = MM_SMTP_RCPT_FAILED;
		break;
	default:
		st = MM_SMTP_RCPT_DEFERRED;
		break;
	}
	set_result(r, st, reply->code, mm_smtp_reply_to_string(reply));
}

/* Every recipient still open (@open[i]) is deferred with @why. */
static void
defer_open(MmSmtpRcptResult *results, const gboolean *open, guint n, guint code, const char *why)
{
	for (guint i = 0; i < n; i++)
		if (open[i])
			set_result(&results[i], MM_SMTP_RCPT_DEFERRED, code, g_strdup(why));
}

/* ---- transactions ----
 *
 * Every command that goes out leaves an Expect behind, in order, and
 * every reply that comes in is taken by the oldest one: so a reply is
 * matched to its command, its message and its recipient however many
 * messages' commands were in one write. Output is gathered in one
 * buffer and written when the client has to wait for a reply (or the
 * buffer holds a block), so that the end of one message and the
 * commands of the next go out together.
 */

/* One message of a mm_smtp_client_send_many() call. */
typedef struct {
	const MmSmtpClientMessage *m;
	const guchar *data;
	gsize len;
	guint64 size;            /* as sent, without dot-stuffing */
	gboolean eight_bit;
	gboolean *open;          /* per recipient: no final result yet */
	guint n_sent;            /* recipients to send a RCPT for */
	guint accepted;          /* RCPTs taken */
	MmSmtpReply *mail_reply; /* owned */
	gboolean go;             /* there is something to send */
	gboolean body_sent;      /* the final dot or last chunk went out */
} Tx;

typedef enum {
	EXP_RSET,
	EXP_MAIL,
	EXP_RCPT,
	EXP_DATA,
	EXP_DOT,       /* the final dot of a message */
	EXP_EMPTY_DOT, /* the dot that ends a DATA without recipients */
	EXP_CHUNK,     /* a BDAT that is not the last */
	EXP_LAST,      /* BDAT ... LAST */
} ExpKind;

typedef struct {
	ExpKind kind;
	guint tx;
	guint rcpt;
} Expect;

typedef struct {
	MmSmtpClient *c;
	Tx *txs;
	guint n_txs;
	GByteArray *out;  /* to write before the next wait */
	GArray *expect;   /* Expect, in the order of the commands */
	guint head;       /* the next reply is for expect[head] */
	gboolean closing; /* a 421 came */
	MmSmtpClientDoneFunc done; /* told of each message whose results are final */
	gpointer done_data;
	gboolean *told;   /* per message: done was called */
} Pipe;

/* Tells the caller that message @k has its final results, once, as
 * soon as no recipient of it waits for a reply any more. */
static void
tell_done(Pipe *p, guint k)
{
	Tx *tx = &p->txs[k];

	if (p->done == NULL || p->told[k])
		return;
	for (guint i = 0; i < tx->m->n; i++)
		if (tx->open[i])
			return;
	p->told[k] = TRUE;
	p->done(k, p->done_data);
}

static void
expect(Pipe *p, ExpKind kind, guint tx, guint rcpt)
{
	Expect e = { kind, tx, rcpt };

	g_array_append_val(p->expect, e);
}

static void
out_cmd(Pipe *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
out_cmd(Pipe *p, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *line = NULL;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	mm_debug(4, "smtp %s >> %s", p->c->peer, line);
	g_byte_array_append(p->out, (const guint8 *)line, (guint)strlen(line));
	g_byte_array_append(p->out, (const guint8 *)"\r\n", 2);
}

static gboolean
flush_out(Pipe *p, GError **error)
{
	gboolean ok;

	if (p->out->len == 0)
		return TRUE;
	ok = send_data(p->c, (const char *)p->out->data, p->out->len, p->c->t_data_block, error);
	g_byte_array_set_size(p->out, 0);
	return ok;
}

/* Converts @data from *@pos to CRLF line ends (a lone CR or LF counts
 * as a line end too: a dot after one must not end the data early
 * anywhere), dot-stuffed when @stuff (RFC 5321 4.5.2), into @out until
 * it holds @limit octets or the data ends; a last line without its
 * end gets one. */
static void
convert(GByteArray *out, const guchar *data, gsize len, gsize *pos, gboolean stuff, gsize limit)
{
	gsize i = *pos;

	while (i < len && out->len < limit) {
		guchar ch = data[i];
		gboolean line_start = i == 0 || data[i - 1] == '\n' || data[i - 1] == '\r';

		if (stuff && line_start && ch == '.')
			g_byte_array_append(out, (const guint8 *)".", 1);
		if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
		} else {
			g_byte_array_append(out, &ch, 1);
		}
		i++;
	}
	if (i == len && len > 0 && data[len - 1] != '\n' && data[len - 1] != '\r' && *pos < len)
		g_byte_array_append(out, (const guint8 *)"\r\n", 2);
	*pos = i;
}

/* The message after DATA's 354: its text and the final dot. Full
 * blocks are written as they fill up; the rest stays in the buffer to
 * go out with what follows. */
static gboolean
out_body(Pipe *p, guint k, GError **error)
{
	Tx *tx = &p->txs[k];
	gsize pos = 0;

	while (pos < tx->len) {
		convert(p->out, tx->data, tx->len, &pos, TRUE, BODY_BLOCK);
		if (p->out->len >= BODY_BLOCK && !flush_out(p, error))
			return FALSE;
	}
	g_byte_array_append(p->out, (const guint8 *)".\r\n", 3);
	mm_debug(4, "smtp %s >> (message, %zu octets) .", p->c->peer, tx->len);
	expect(p, EXP_DOT, k, 0);
	tx->body_sent = TRUE;
	return TRUE;
}

/* The message as BDAT chunks (RFC 3030): no dot-stuffing, no final dot,
 * the last chunk says LAST. */
static gboolean
out_chunks(Pipe *p, guint k, GError **error)
{
	Tx *tx = &p->txs[k];
	g_autoptr(GByteArray) chunk = g_byte_array_sized_new(BODY_BLOCK + 8);
	gsize pos = 0;

	do {
		gboolean last;

		g_byte_array_set_size(chunk, 0);
		convert(chunk, tx->data, tx->len, &pos, FALSE, BODY_BLOCK);
		last = pos >= tx->len;
		out_cmd(p, "BDAT %u%s", chunk->len, last ? " LAST" : "");
		g_byte_array_append(p->out, chunk->data, chunk->len);
		expect(p, last ? EXP_LAST : EXP_CHUNK, k, 0);
		if (p->out->len >= BODY_BLOCK && !flush_out(p, error))
			return FALSE;
	} while (pos < tx->len);
	tx->body_sent = TRUE;
	return TRUE;
}

/* RCPT for recipient @i of transaction @k, and its place in the
 * replies. */
static void
out_rcpt(Pipe *p, guint k, guint i)
{
	g_autofree char *path = mm_address_to_path(p->txs[k].m->rcpts[i]->address);

	out_cmd(p, "RCPT TO:%s", path);
	expect(p, EXP_RCPT, k, i);
}

/* [RSET] MAIL and, when @rcpts, a RCPT for each recipient. */
static void
out_envelope(Pipe *p, guint k, gboolean rcpts)
{
	MmSmtpClient *c = p->c;
	Tx *tx = &p->txs[k];
	g_autofree char *rp = mm_address_to_path(tx->m->return_path);
	g_autoptr(GString) mail = g_string_new(NULL);

	if (c->dirty) {
		out_cmd(p, "RSET");
		expect(p, EXP_RSET, k, 0);
	}
	g_string_printf(mail, "MAIL FROM:%s", rp);
	if (c->has_size)
		g_string_append_printf(mail, " SIZE=%" G_GUINT64_FORMAT, tx->size);
	if (c->has_8bitmime && tx->eight_bit)
		g_string_append(mail, " BODY=8BITMIME");
	out_cmd(p, "%s", mail->str);
	expect(p, EXP_MAIL, k, 0);
	c->dirty = TRUE;
	for (guint i = 0; rcpts && i < tx->m->n; i++) {
		if (tx->open[i])
			out_rcpt(p, k, i);
	}
}

static guint
reply_timeout(const MmSmtpClient *c, ExpKind kind)
{
	switch (kind) {
	case EXP_RSET:
		return c->t_greeting;
	case EXP_MAIL:
		return c->t_mail;
	case EXP_RCPT:
		return c->t_rcpt;
	case EXP_DATA:
		return c->t_data_init;
	default:
		return c->t_final;
	}
}

static const char *const exp_names[] = { "RSET", "MAIL", "RCPT", "DATA", "the final dot",
	                                 "the final dot", "BDAT", "BDAT LAST" };

/* Writes what is gathered and takes the reply of the oldest command
 * still waiting for one. The reply to DATA goes to @data_reply (the
 * caller decides what follows); every other one is applied here. */
static gboolean
read_one(Pipe *p, MmSmtpReply **data_reply, GError **error)
{
	MmSmtpClient *c = p->c;
	Expect e;
	Tx *tx;
	MmSmtpRcptResult *results;
	g_autoptr(MmSmtpReply) reply = NULL;

	g_assert(p->head < p->expect->len);
	if (!flush_out(p, error))
		return FALSE;
	e = g_array_index(p->expect, Expect, p->head);
	reply = read_reply(c, reply_timeout(c, e.kind), exp_names[e.kind], error);
	if (reply == NULL)
		return FALSE;
	p->head++;
	tx = &p->txs[e.tx];
	results = tx->m->results;
	if (reply->code == 421)
		p->closing = TRUE;
	switch (e.kind) {
	case EXP_RSET:
	case EXP_EMPTY_DOT:
		break;
	case EXP_MAIL:
		tx->mail_reply = g_steal_pointer(&reply);
		break;
	case EXP_RCPT:
		/* after a refused MAIL the RCPT replies are 503s that say
		 * nothing about the recipients */
		result_from_reply(&results[e.rcpt],
		                  mm_smtp_reply_kind(tx->mail_reply->code) == MM_SMTP_REPLY_POSITIVE
		                          ? reply
		                          : tx->mail_reply);
		if (results[e.rcpt].status == MM_SMTP_RCPT_DELIVERED) {
			results[e.rcpt].status = MM_SMTP_RCPT_DEFERRED;
			tx->accepted++;
		} else {
			tx->open[e.rcpt] = FALSE;
		}
		break;
	case EXP_DATA:
		*data_reply = g_steal_pointer(&reply);
		break;
	case EXP_CHUNK:
		/* a refused chunk decides; the server drops the rest */
		if (mm_smtp_reply_kind(reply->code) == MM_SMTP_REPLY_POSITIVE)
			break;
		G_GNUC_FALLTHROUGH;
	case EXP_DOT:
	case EXP_LAST:
		for (guint i = 0; i < tx->m->n; i++)
			if (tx->open[i]) {
				result_from_reply(&results[i], reply);
				tx->open[i] = FALSE;
			}
		/* a refused BDAT may leave the transaction open; a taken one
		 * ends it, and so does the final dot whatever its reply */
		if (e.kind == EXP_LAST && mm_smtp_reply_kind(reply->code) == MM_SMTP_REPLY_POSITIVE &&
		    p->head == p->expect->len)
			c->dirty = FALSE;
		break;
	}
	tell_done(p, e.tx);
	return TRUE;
}

/* Reads replies until at most @left commands wait for one. */
static gboolean
drain(Pipe *p, guint left, GError **error)
{
	while (p->expect->len - p->head > left && !p->closing)
		if (!read_one(p, NULL, error))
			return FALSE;
	return TRUE;
}

/* What a recipient still open at the end gets: the connection broke
 * (@why), or the server said 421. */
static void
defer_all_open(Pipe *p, const char *why, gboolean closing)
{
	for (guint k = 0; k < p->n_txs; k++) {
		Tx *tx = &p->txs[k];
		g_autofree char *text = NULL;

		if (closing)
			text = g_strdup("421 4.4.2 the server closes the connection");
		else if (tx->body_sent)
			/* RFC 1047: the server may have the message; sending it
			 * again risks a duplicate, dropping it risks a loss */
			text = g_strdup_printf("451 4.4.2 no reply after the message was sent (%s); it will "
			                       "be sent again and may arrive twice",
			                       why);
		else
			text = g_strdup_printf("451 4.4.2 %s", why);
		defer_open(tx->m->results, tx->open, tx->m->n, closing ? 421 : 451, text);
	}
}

/* Fills @tx for message @m and the results that are known before
 * anything is sent: a pipe is no SMTP recipient, a message over the
 * server's SIZE fails. */
static void
tx_prepare(MmSmtpClient *c, Tx *tx, const MmSmtpClientMessage *m)
{
	tx->m = m;
	tx->data = g_bytes_get_data(m->message, &tx->len);
	tx->size = wire_size(tx->data, tx->len, &tx->eight_bit);
	tx->open = g_new0(gboolean, m->n);
	for (guint i = 0; i < m->n; i++) {
		m->results[i] = (MmSmtpRcptResult){ MM_SMTP_RCPT_DEFERRED, 0, NULL };
		if (m->rcpts[i]->address == NULL) {
			set_result(&m->results[i], MM_SMTP_RCPT_FAILED, 550,
			           g_strdup("550 5.1.3 a pipe is no address for SMTP"));
			continue;
		}
		tx->open[i] = TRUE;
		tx->n_sent++;
	}
	if (tx->n_sent > 0 && c->has_size && c->size_max > 0 && tx->size > c->size_max) {
		for (guint i = 0; i < m->n; i++)
			if (tx->open[i]) {
				set_result(&m->results[i], MM_SMTP_RCPT_FAILED, 552,
				           g_strdup_printf("552 5.3.4 message size %" G_GUINT64_FORMAT
				                           " exceeds the limit of %" G_GUINT64_FORMAT " of %s",
				                           tx->size, c->size_max, c->peer));
				tx->open[i] = FALSE;
			}
		return;
	}
	tx->go = tx->n_sent > 0;
}

/* What the reply to DATA means for message @k: go on with the text
 * after a 354, else it decides for the recipients still open. */
static gboolean
after_data(Pipe *p, guint k, const MmSmtpReply *data_reply, GError **error)
{
	Tx *tx = &p->txs[k];

	if (data_reply->code == 354 && tx->accepted == 0) {
		/* RFC 2920 3.1: the server took DATA without a recipient;
		 * end the empty message (the transaction stays dirty) */
		g_byte_array_append(p->out, (const guint8 *)".\r\n", 3);
		expect(p, EXP_EMPTY_DOT, k, 0);
		return TRUE;
	}
	if (data_reply->code == 354) {
		/* the transaction ends with the dot, whatever the reply */
		p->c->dirty = FALSE;
		return out_body(p, k, error);
	}
	for (guint i = 0; i < tx->m->n; i++)
		if (tx->open[i]) {
			result_from_reply(&tx->m->results[i], data_reply);
			if (tx->m->results[i].status == MM_SMTP_RCPT_DELIVERED)
				/* 2xx where 354 belongs: nothing was sent */
				tx->m->results[i].status = MM_SMTP_RCPT_DEFERRED;
			tx->open[i] = FALSE;
		}
	tell_done(p, k);
	return TRUE;
}

/* Message @k without PIPELINING: each command waits for its reply. */
static gboolean
send_lockstep(Pipe *p, guint k, GError **error)
{
	Tx *tx = &p->txs[k];
	g_autoptr(MmSmtpReply) data_reply = NULL;

	out_envelope(p, k, FALSE);
	if (!drain(p, 0, error))
		return FALSE;
	if (p->closing)
		return TRUE;
	if (mm_smtp_reply_kind(tx->mail_reply->code) != MM_SMTP_REPLY_POSITIVE) {
		for (guint i = 0; i < tx->m->n; i++)
			if (tx->open[i]) {
				result_from_reply(&tx->m->results[i], tx->mail_reply);
				tx->open[i] = FALSE;
			}
		return TRUE;
	}
	for (guint i = 0; i < tx->m->n; i++) {
		if (!tx->open[i])
			continue;
		out_rcpt(p, k, i);
		if (!drain(p, 0, error))
			return FALSE;
		if (p->closing)
			return TRUE;
	}
	if (tx->accepted == 0)
		return TRUE;
	out_cmd(p, "DATA");
	expect(p, EXP_DATA, k, 0);
	if (!read_one(p, &data_reply, error))
		return FALSE;
	if (p->closing)
		return TRUE;
	return after_data(p, k, data_reply, error) && drain(p, 0, error);
}

/* Message @k with PIPELINING and DATA: MAIL, RCPTs and DATA go out
 * with the end of the message before (one write), then the replies up
 * to DATA's are read, the previous message's final one among them;
 * the text follows the 354 and waits in the buffer for the next
 * message's commands. One round trip per message. */
static gboolean
send_pipelined(Pipe *p, guint k, GError **error)
{
	g_autoptr(MmSmtpReply) data_reply = NULL;

	out_envelope(p, k, TRUE);
	out_cmd(p, "DATA");
	expect(p, EXP_DATA, k, 0);
	while (data_reply == NULL && !p->closing)
		if (!read_one(p, &data_reply, error))
			return FALSE;
	if (p->closing)
		return TRUE;
	return after_data(p, k, data_reply, error);
}

/* Message @k with PIPELINING and CHUNKING: MAIL, RCPTs and the text as
 * BDAT go out without waiting for anything; before that, the replies
 * of all but the message just before are read, so that one message at
 * most is ahead of the replies. A message sent while the one before
 * waits for its outcome begins with RSET: a refused BDAT may have left
 * that transaction open. */
static gboolean
send_chunked(Pipe *p, guint k, guint prev, GError **error)
{
	while (p->head < p->expect->len && g_array_index(p->expect, Expect, p->head).tx < prev &&
	       !p->closing)
		if (!read_one(p, NULL, error))
			return FALSE;
	if (p->closing)
		return TRUE;
	if (p->head < p->expect->len)
		p->c->dirty = TRUE;
	out_envelope(p, k, TRUE);
	return out_chunks(p, k, error);
}

gboolean
mm_smtp_client_send_many(MmSmtpClient *c, const MmSmtpClientMessage *msgs, guint n_msgs,
                         GError **error)
{
	return mm_smtp_client_send_many_notify(c, msgs, n_msgs, NULL, NULL, error);
}

gboolean
mm_smtp_client_send_many_notify(MmSmtpClient *c, const MmSmtpClientMessage *msgs, guint n_msgs,
                                MmSmtpClientDoneFunc done, gpointer done_data, GError **error)
{
	g_autofree Tx *txs = g_new0(Tx, n_msgs);
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GArray) expects = g_array_new(FALSE, FALSE, sizeof(Expect));
	g_autoptr(GError) local = NULL;
	g_autofree gboolean *told = g_new0(gboolean, MAX(n_msgs, 1));
	Pipe p = { c, txs, n_msgs, out, expects, 0, FALSE, done, done_data, told };
	gboolean pipelining = c->use_pipelining && c->has_pipelining;
	gboolean chunking = pipelining && c->use_chunking && c->has_chunking;
	gboolean ok = TRUE;
	guint prev = 0;

	for (guint k = 0; k < n_msgs; k++)
		tx_prepare(c, &txs[k], &msgs[k]);
	if (c->broken) {
		ok = fail_conn(c, &local, "connection already lost");
	} else {
		for (guint k = 0; k < n_msgs && ok && !p.closing; k++) {
			if (!txs[k].go)
				continue;
			if (chunking)
				ok = send_chunked(&p, k, prev, &local);
			else if (pipelining)
				ok = send_pipelined(&p, k, &local);
			else
				ok = send_lockstep(&p, k, &local);
			prev = k;
		}
		if (ok && !p.closing)
			ok = drain(&p, 0, &local);
	}
	if (!ok) {
		defer_all_open(&p, local->message, FALSE);
		g_propagate_error(error, g_steal_pointer(&local));
	} else if (p.closing) {
		/* 421: the server closes the connection (RFC 5321 3.8) */
		defer_all_open(&p, NULL, TRUE);
		ok = fail_conn(c, error, "the server closes the connection (421)");
	}
	for (guint k = 0; k < n_msgs; k++) {
		g_free(txs[k].open);
		g_clear_pointer(&txs[k].mail_reply, mm_smtp_reply_free);
	}
	return ok;
}

gboolean
mm_smtp_client_send(MmSmtpClient *c, const MmAddress *return_path, const MmRecipient *const *rcpts,
                    guint n, GBytes *message, MmSmtpRcptResult *results, GError **error)
{
	MmSmtpClientMessage m = { return_path, rcpts, n, message, results };

	return mm_smtp_client_send_many(c, &m, 1, error);
}
