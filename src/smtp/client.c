/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP client session (RFC 5321, with PIPELINING RFC 2920, SIZE RFC
 * 1870, 8BITMIME RFC 6152, STARTTLS RFC 3207, implicit TLS RFC 8314 and
 * AUTH RFC 4954). See client.h for what it promises.
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
	gboolean dirty;      /* a transaction was begun and not finished: RSET first */

	/* from the options */
	gboolean use_pipelining;
	guint t_greeting, t_mail, t_rcpt, t_data_init, t_data_block, t_final;

	/* what the last EHLO said */
	gboolean esmtp;
	gboolean has_pipelining;
	gboolean has_size;
	guint64 size_max;    /* 0: no limit given */
	gboolean has_8bitmime;
	gboolean has_starttls;
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
	mm_debug(3, "smtp %s esmtp=%d pipelining=%d size=%" G_GUINT64_FORMAT " 8bitmime=%d starttls=%d",
	         c->peer, c->esmtp, c->has_pipelining, c->size_max, c->has_8bitmime, c->has_starttls);

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

/* Sends @data with CRLF line ends, dot-stuffed (RFC 5321 4.5.2), then
 * the final dot, in blocks of BODY_BLOCK. A lone CR counts as a line
 * end too: a bare CR or LF is what some servers take for a line end,
 * and a dot after one must not end the data early anywhere. */
static gboolean
send_body(MmSmtpClient *c, const guchar *data, gsize len, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_sized_new(BODY_BLOCK + 8);
	gboolean line_start = TRUE;

	for (gsize i = 0; i < len; i++) {
		guchar ch = data[i];

		if (line_start && ch == '.')
			g_byte_array_append(out, (const guint8 *)".", 1);
		if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
			line_start = TRUE;
		} else {
			g_byte_array_append(out, &ch, 1);
			line_start = FALSE;
		}
		if (out->len >= BODY_BLOCK) {
			if (!send_data(c, (const char *)out->data, out->len, c->t_data_block, error))
				return FALSE;
			g_byte_array_set_size(out, 0);
		}
	}
	if (!line_start)
		g_byte_array_append(out, (const guint8 *)"\r\n", 2);
	g_byte_array_append(out, (const guint8 *)".\r\n", 3);
	mm_debug(4, "smtp %s >> (message, %zu octets) .", c->peer, len);
	return send_data(c, (const char *)out->data, out->len, c->t_data_block, error);
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

gboolean
mm_smtp_client_send(MmSmtpClient *c, const MmAddress *return_path, const MmRecipient *const *rcpts,
                    guint n, GBytes *message, MmSmtpRcptResult *results, GError **error)
{
	gsize len = 0;
	const guchar *data = g_bytes_get_data(message, &len);
	gboolean eight_bit = FALSE;
	guint64 size = wire_size(data, len, &eight_bit);
	g_autofree gboolean *open = g_new0(gboolean, n);   /* waiting for a final result */
	g_autofree gboolean *sent = g_new0(gboolean, n);   /* a RCPT was sent */
	g_autoptr(GString) group = g_string_new(NULL);
	g_autoptr(GString) mail = g_string_new(NULL);
	g_autoptr(GError) local = NULL;
	g_autoptr(MmSmtpReply) mail_reply = NULL;
	g_autoptr(MmSmtpReply) data_reply = NULL;
	g_autofree char *rp = mm_address_to_path(return_path);
	gboolean pipelining = c->use_pipelining && c->has_pipelining;
	gboolean rset = c->dirty;
	guint accepted = 0;
	guint n_sent = 0;

	for (guint i = 0; i < n; i++) {
		results[i] = (MmSmtpRcptResult){ MM_SMTP_RCPT_DEFERRED, 0, NULL };
		if (rcpts[i]->address == NULL) {
			set_result(&results[i], MM_SMTP_RCPT_FAILED, 550,
			           g_strdup("550 5.1.3 a pipe is no address for SMTP"));
			continue;
		}
		open[i] = sent[i] = TRUE;
		n_sent++;
	}
	if (c->broken) {
		defer_open(results, open, n, 451, "451 4.4.2 connection lost");
		return fail_conn(c, error, "connection already lost");
	}
	if (n_sent == 0)
		return TRUE;
	if (c->has_size && c->size_max > 0 && size > c->size_max) {
		for (guint i = 0; i < n; i++)
			if (open[i])
				set_result(&results[i], MM_SMTP_RCPT_FAILED, 552,
				           g_strdup_printf("552 5.3.4 message size %" G_GUINT64_FORMAT
				                           " exceeds the limit of %" G_GUINT64_FORMAT " of %s",
				                           size, c->size_max, c->peer));
		return TRUE;
	}

	g_string_append_printf(mail, "MAIL FROM:%s", rp);
	if (c->has_size)
		g_string_append_printf(mail, " SIZE=%" G_GUINT64_FORMAT, size);
	if (c->has_8bitmime && eight_bit)
		g_string_append(mail, " BODY=8BITMIME");
	c->dirty = TRUE;

	if (pipelining) {
		/* the group: [RSET] MAIL RCPT... DATA, in one write */
		if (rset)
			g_string_append(group, "RSET\r\n");
		g_string_append_printf(group, "%s\r\n", mail->str);
		for (guint i = 0; i < n; i++) {
			g_autofree char *path = NULL;

			if (!sent[i])
				continue;
			path = mm_address_to_path(rcpts[i]->address);
			g_string_append_printf(group, "RCPT TO:%s\r\n", path);
		}
		g_string_append(group, "DATA\r\n");
		mm_debug(4, "smtp %s >> %s", c->peer, group->str);
		if (!send_data(c, group->str, group->len, c->t_mail, &local))
			goto lost;
		if (rset) {
			g_autoptr(MmSmtpReply) r = read_reply(c, c->t_greeting, "RSET", &local);

			if (r == NULL)
				goto lost;
		}
		mail_reply = read_reply(c, c->t_mail, "MAIL", &local);
		if (mail_reply == NULL)
			goto lost;
		for (guint i = 0; i < n; i++) {
			g_autoptr(MmSmtpReply) r = NULL;

			if (!sent[i])
				continue;
			r = read_reply(c, c->t_rcpt, "RCPT", &local);
			if (r == NULL)
				goto lost;
			/* after a refused MAIL the RCPT replies are 503s that
			 * say nothing about the recipients */
			result_from_reply(&results[i], mm_smtp_reply_kind(mail_reply->code) ==
			                                               MM_SMTP_REPLY_POSITIVE
			                                       ? r
			                                       : mail_reply);
			if (results[i].status == MM_SMTP_RCPT_DELIVERED) {
				results[i].status = MM_SMTP_RCPT_DEFERRED;
				accepted++;
			} else {
				open[i] = FALSE;
			}
		}
		data_reply = read_reply(c, c->t_data_init, "DATA", &local);
		if (data_reply == NULL)
			goto lost;
		if (data_reply->code == 354 && accepted == 0) {
			/* RFC 2920 3.1: the server took DATA without a
			 * recipient; end the empty message */
			g_autoptr(MmSmtpReply) r = NULL;

			if (!send_data(c, ".\r\n", 3, c->t_data_block, &local))
				goto lost;
			r = read_reply(c, c->t_final, "the final dot", &local);
			if (r == NULL)
				goto lost;
		}
	} else {
		if (rset) {
			g_autoptr(MmSmtpReply) r = NULL;

			mm_debug(4, "smtp %s >> RSET", c->peer);
			if (!send_data(c, "RSET\r\n", 6, c->t_greeting, &local))
				goto lost;
			r = read_reply(c, c->t_greeting, "RSET", &local);
			if (r == NULL)
				goto lost;
		}
		if (!send_cmd(c, mail->str, c->t_mail, &local))
			goto lost;
		mail_reply = read_reply(c, c->t_mail, "MAIL", &local);
		if (mail_reply == NULL)
			goto lost;
		for (guint i = 0; i < n; i++) {
			g_autofree char *cmd = NULL;
			g_autofree char *path = NULL;
			g_autoptr(MmSmtpReply) r = NULL;

			if (!sent[i])
				continue;
			if (mm_smtp_reply_kind(mail_reply->code) != MM_SMTP_REPLY_POSITIVE) {
				result_from_reply(&results[i], mail_reply);
				open[i] = FALSE;
				continue;
			}
			path = mm_address_to_path(rcpts[i]->address);
			cmd = g_strdup_printf("RCPT TO:%s", path);
			if (!send_cmd(c, cmd, c->t_rcpt, &local))
				goto lost;
			r = read_reply(c, c->t_rcpt, "RCPT", &local);
			if (r == NULL)
				goto lost;
			if (r->code == 421) {
				result_from_reply(&results[i], r);
				open[i] = FALSE;
				goto closing;
			}
			result_from_reply(&results[i], r);
			if (results[i].status == MM_SMTP_RCPT_DELIVERED) {
				results[i].status = MM_SMTP_RCPT_DEFERRED;
				accepted++;
			} else {
				open[i] = FALSE;
			}
		}
		if (accepted > 0) {
			if (!send_cmd(c, "DATA", c->t_data_init, &local))
				goto lost;
			data_reply = read_reply(c, c->t_data_init, "DATA", &local);
			if (data_reply == NULL)
				goto lost;
		}
	}
	if (mail_reply->code == 421 || (data_reply != NULL && data_reply->code == 421))
		goto closing;
	if (accepted == 0)
		return TRUE;
	if (data_reply->code != 354) {
		for (guint i = 0; i < n; i++)
			if (open[i]) {
				result_from_reply(&results[i], data_reply);
				if (results[i].status == MM_SMTP_RCPT_DELIVERED)
					/* 2xx where 354 belongs: nothing was sent */
					results[i].status = MM_SMTP_RCPT_DEFERRED;
				open[i] = FALSE;
			}
		return TRUE;
	}

	if (!send_body(c, data, len, &local))
		goto lost;
	{
		g_autoptr(MmSmtpReply) r = read_reply(c, c->t_final, "the final dot", &local);

		if (r == NULL) {
			/* RFC 1047: the server may have the message; sending it
			 * again risks a duplicate, dropping it risks a loss */
			g_autofree char *why = g_strdup_printf(
				"451 4.4.2 no reply after the message was sent (%s); it will be sent "
				"again and may arrive twice",
				local->message);

			defer_open(results, open, n, 451, why);
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		for (guint i = 0; i < n; i++)
			if (open[i]) {
				result_from_reply(&results[i], r);
				open[i] = FALSE;
			}
		c->dirty = FALSE;
		if (r->code == 421)
			return fail_conn(c, error, "the server closes the connection (421)");
	}
	return TRUE;

lost: {
	g_autofree char *why = g_strdup_printf("451 4.4.2 %s", local->message);

	defer_open(results, open, n, 451, why);
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}
closing:
	/* 421: the server closes the connection (RFC 5321 3.8) */
	defer_open(results, open, n, 421, "421 4.4.2 the server closes the connection");
	return fail_conn(c, error, "the server closes the connection (421)");
}
