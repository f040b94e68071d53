/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * session.c is the SMTP server's state machine: one table of commands
 * with the states each is allowed in, the session state (greeting,
 * HELO, TLS, AUTH) apart from the transaction (sender, recipients,
 * text). It never reads or writes a descriptor; the only side effect
 * is committing an accepted message (the spool, or the caller's
 * commit function).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "queue/accept.h"
#include "queue/spool.h"
#include "smtp/relay.h"
#include "smtp/session.h"

typedef enum {
	ST_INIT,   /* not greeted yet */
	ST_FRESH,  /* greeted; no HELO/EHLO yet, or again after STARTTLS */
	ST_READY,  /* after HELO/EHLO, no transaction */
	ST_MAIL,   /* MAIL taken; RCPT and DATA may follow */
	ST_DATA,   /* reading the message text */
	ST_AUTH,   /* an AUTH exchange waits for the client's response */
	ST_CLOSED, /* QUIT, 421, early talker: nothing more is read */
} State;

static const char *const state_names[] = { "init", "fresh", "ready", "mail", "data", "auth", "closed" };

#define IN(st) (1u << (st))
#define GREETED (IN(ST_FRESH) | IN(ST_READY) | IN(ST_MAIL))

typedef enum {
	AUTH_PLAIN,
	AUTH_LOGIN_USER,
	AUTH_LOGIN_PASSWORD,
	AUTH_CRAM_MD5,
} AuthStep;

/* What is wrong with a message text; it is refused at its end. */
enum {
	BAD_SIZE = 1 << 0,
	BAD_BARE = 1 << 1,
	BAD_NUL = 1 << 2,
	BAD_LONG = 1 << 3,
	BAD_8BIT = 1 << 4,
};

/* One transaction: MAIL to the end of DATA (or RSET). */
typedef struct {
	MmAddress *sender;
	GPtrArray *rcpts;   /* MmAddress*, the accepted recipients */
	gboolean body_8bit; /* BODY=8BITMIME */
	GByteArray *text;   /* unstuffed text with LF line ends */
	gint64 size;        /* octets as sent, CRLF counted */
	gboolean prev_crlf; /* the last text line ended with CRLF */
	guint bad;
} Tx;

struct _MmSmtpSession {
	MmSmtpSessionConfig cfg;
	char *id;
	MmLocality locality;
	gint64 max_size;

	char *peer_address;
	char *peer_name;
	gboolean name_pending;  /* the caller still looks the name up */
	gboolean waiting_name;  /* a complete message waits for the name */
	gboolean waiting_commit; /* its message is being committed (commit_start) */
	gint64 commit_size;     /* of that message, for the log */
	GByteArray *held;       /* input that came while it waits */
	gboolean loopback;
	gboolean may_relay;

	State state;
	gboolean esmtp;
	char *helo;
	gboolean tls_active;
	char *tls_description;
	char *auth_user;
	guint errors;
	guint auth_failures;
	guint delay_ms;
	gboolean want_close;
	gboolean want_starttls;

	GByteArray *line;      /* the line being read */
	gboolean overlong;     /* discarding the rest of an overlong line */
	gboolean overlong_cr;  /* the last byte discarded was a CR */

	Tx *tx;

	AuthStep auth_step;
	char *auth_login_user;
	char *cram_challenge;

	GString *out;
};

static void
tx_free(Tx *tx)
{
	if (!tx)
		return;
	mm_address_free(tx->sender);
	g_ptr_array_unref(tx->rcpts);
	if (tx->text)
		g_byte_array_unref(tx->text);
	g_free(tx);
}

static void
enter_state(MmSmtpSession *s, State next)
{
	if (s->state != next)
		mm_debug(6, "%s: state %s -> %s", s->id, state_names[s->state], state_names[next]);
	s->state = next;
}

static void
reset_tx(MmSmtpSession *s)
{
	g_clear_pointer(&s->tx, tx_free);
}

/* One reply line. RFC 2034 puts the enhanced code on every reply but
 * the greeting, the answer to HELO/EHLO and the 354 (enh == NULL). */
static void G_GNUC_PRINTF(4, 5)
reply(MmSmtpSession *s, int code, const char *enh, const char *fmt, ...)
{
	va_list ap;

	g_string_append_printf(s->out, "%d ", code);
	if (enh)
		g_string_append_printf(s->out, "%s ", enh);
	va_start(ap, fmt);
	g_string_append_vprintf(s->out, fmt, ap);
	va_end(ap);
	g_string_append(s->out, "\r\n");
}

static void
close_with(MmSmtpSession *s, const char *enh, const char *text)
{
	reply(s, 421, enh, "%s %s, closing connection", s->cfg.conf->host_name, text);
	s->waiting_name = FALSE;
	g_clear_pointer(&s->held, g_byte_array_unref);
	reset_tx(s);
	s->want_close = TRUE;
	enter_state(s, ST_CLOSED);
}

/* A refused command: counted, and too many end the session, so that a
 * client that only sends garbage does not hold a session for long. */
static void G_GNUC_PRINTF(4, 5)
fail(MmSmtpSession *s, int code, const char *enh, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	reply(s, code, enh, "%s", text);
	mm_debug(3, "%s: refused code=%d text=\"%s\"", s->id, code, text);
	if (++s->errors >= (guint)s->cfg.conf->smtp_max_errors) {
		mm_log(LOG_NOTICE, "%s: too many errors=%u, closing", s->id, s->errors);
		close_with(s, "4.7.0", "too many errors");
	}
}

MmSmtpSession *
mm_smtp_session_new(const MmSmtpSessionConfig *cfg, const MmSmtpPeer *peer)
{
	static guint counter;
	MmSmtpSession *s = g_new0(MmSmtpSession, 1);

	g_return_val_if_fail(cfg->conf != NULL, NULL);
	s->cfg = *cfg;
	s->id = cfg->id ? g_strdup(cfg->id) : g_strdup_printf("smtp%d.%u", (int)getpid(), ++counter);
	s->cfg.id = s->id;
	mm_conf_locality(cfg->conf, &s->locality);
	/* Without max_msg_size the spool's own limit still holds: the text
	 * is kept in memory until it is complete. */
	s->max_size = cfg->conf->max_msg_size > 0 ? MIN(cfg->conf->max_msg_size, MM_SPOOL_DATA_MAX)
	                                          : MM_SPOOL_DATA_MAX;
	s->peer_address = g_strdup(peer->address);
	s->peer_name = g_strdup(peer->name);
	s->name_pending = peer->name_pending && !peer->name;
	s->loopback = peer->loopback;
	s->may_relay = peer->may_relay;
	s->line = g_byte_array_new();
	s->out = g_string_new(NULL);
	s->state = ST_INIT;
	return s;
}

void
mm_smtp_session_free(MmSmtpSession *s)
{
	if (!s)
		return;
	reset_tx(s);
	g_free(s->id);
	g_free(s->peer_address);
	g_free(s->peer_name);
	if (s->held)
		g_byte_array_unref(s->held);
	g_free(s->helo);
	g_free(s->tls_description);
	g_free(s->auth_user);
	mm_sasl_free_secret(s->auth_login_user);
	g_free(s->cram_challenge);
	g_byte_array_unref(s->line);
	g_string_free(s->out, TRUE);
	g_free(s);
}

const char *
mm_smtp_session_id(const MmSmtpSession *s)
{
	return s->id;
}

void
mm_smtp_session_greet(MmSmtpSession *s)
{
	if (s->state != ST_INIT)
		return;
	if (s->cfg.conf->defer_all) {
		reply(s, 421, "4.3.2", "%s service not available, try again later", s->cfg.conf->host_name);
		s->want_close = TRUE;
		enter_state(s, ST_CLOSED);
		return;
	}
	reply(s, 220, NULL, "%s ESMTP %s", s->cfg.conf->host_name, PACKAGE_NAME);
	enter_state(s, ST_FRESH);
}

GString *
mm_smtp_session_take_output(MmSmtpSession *s)
{
	GString *out = s->out;
	s->out = g_string_new(NULL);
	return out;
}

gboolean
mm_smtp_session_want_close(const MmSmtpSession *s)
{
	return s->want_close;
}

gboolean
mm_smtp_session_want_starttls(const MmSmtpSession *s)
{
	return s->want_starttls;
}

guint
mm_smtp_session_take_delay(MmSmtpSession *s)
{
	guint d = s->delay_ms;
	s->delay_ms = 0;
	return d;
}

MmSmtpWait
mm_smtp_session_waiting_for(const MmSmtpSession *s)
{
	return s->state == ST_DATA ? MM_SMTP_WAIT_DATA : MM_SMTP_WAIT_COMMAND;
}

gboolean
mm_smtp_session_in_transaction(const MmSmtpSession *s)
{
	return s->state == ST_MAIL || s->state == ST_DATA || s->waiting_name || s->waiting_commit;
}

void
mm_smtp_session_abort(MmSmtpSession *s, const char *enhanced, const char *text)
{
	if (s->state == ST_CLOSED)
		return;
	if (s->tx)
		mm_log(LOG_NOTICE, "%s: transaction dropped: %s", s->id, text);
	close_with(s, enhanced, text);
}

void
mm_smtp_session_eof(MmSmtpSession *s)
{
	if (s->state == ST_CLOSED)
		return;
	if (s->tx)
		mm_log(LOG_NOTICE, "%s: connection lost during the transaction, nothing queued", s->id);
	reset_tx(s);
	s->waiting_name = FALSE;
	g_clear_pointer(&s->held, g_byte_array_unref);
	s->want_close = TRUE;
	enter_state(s, ST_CLOSED);
}

void
mm_smtp_session_tls_started(MmSmtpSession *s, const char *description)
{
	/* RFC 3207 4.2: forget everything the client said before. */
	s->want_starttls = FALSE;
	s->tls_active = TRUE;
	g_free(s->tls_description);
	s->tls_description = g_strdup(description);
	g_clear_pointer(&s->helo, g_free);
	g_clear_pointer(&s->auth_user, g_free);
	s->esmtp = FALSE;
	reset_tx(s);
	g_byte_array_set_size(s->line, 0);
	s->overlong = FALSE;
	enter_state(s, ST_FRESH);
}

/* ---- commands ----------------------------------------------------- */

static gboolean
auth_plaintext_allowed(const MmSmtpSession *s)
{
	return s->tls_active || s->loopback;
}

static gboolean
is_printable_ascii(const char *p)
{
	for (; *p; p++) {
		if ((guchar)*p <= 32 || (guchar)*p >= 127)
			return FALSE;
	}
	return TRUE;
}

static void
set_helo(MmSmtpSession *s, const char *arg, gboolean esmtp)
{
	reset_tx(s);
	g_free(s->helo);
	s->helo = g_strdup(arg);
	s->esmtp = esmtp;
	enter_state(s, ST_READY);
}

static gboolean
check_helo_arg(MmSmtpSession *s, const char *verb, const char *arg)
{
	/* RFC 5321 4.1.1.1: a domain or an address literal; we only need
	 * it to be one word of printable ASCII for Received:. */
	if (arg[0] == '\0' || strchr(arg, ' ') || !is_printable_ascii(arg) || strlen(arg) > MM_DOMAIN_MAX) {
		fail(s, 501, "5.5.4", "%s needs the client's domain name or address", verb);
		return FALSE;
	}
	return TRUE;
}

static void
cmd_helo(MmSmtpSession *s, const char *arg)
{
	if (!check_helo_arg(s, "HELO", arg))
		return;
	set_helo(s, arg, FALSE);
	reply(s, 250, NULL, "%s Hello %s", s->cfg.conf->host_name, arg);
}

static void
cmd_ehlo(MmSmtpSession *s, const char *arg)
{
	GString *o = s->out;

	if (!check_helo_arg(s, "EHLO", arg))
		return;
	set_helo(s, arg, TRUE);
	g_string_append_printf(o, "250-%s Hello %s\r\n", s->cfg.conf->host_name, arg);
	g_string_append(o, "250-PIPELINING\r\n");
	g_string_append(o, "250-8BITMIME\r\n");
	g_string_append_printf(o, "250-SIZE %" G_GINT64_FORMAT "\r\n", s->max_size);
	g_string_append(o, "250-ENHANCEDSTATUSCODES\r\n");
	if (s->cfg.tls_offered && !s->tls_active)
		g_string_append(o, "250-STARTTLS\r\n");
	if (s->cfg.secrets && !s->auth_user)
		g_string_append_printf(o, "250-AUTH %sCRAM-MD5\r\n",
		                       auth_plaintext_allowed(s) ? "PLAIN LOGIN " : "");
	g_string_append(o, "250 HELP\r\n");
}

/* Splits "<path> PARAM PARAM" after "FROM:" / "TO:": the path may hold
 * quoted strings with spaces and '>'. Returns FALSE when it is not
 * terminated. */
static gboolean
split_path(const char *arg, char **path, char **params)
{
	const char *p = arg;
	gboolean quoted = FALSE;

	while (*p == ' ')
		p++;
	if (*p != '<') {
		/* RFC 5321 wants the brackets; a bare address is taken, as 1.0 did */
		const char *end = strchr(p, ' ');
		*path = end ? g_strndup(p, end - p) : g_strdup(p);
		*params = g_strdup(end ? end : "");
		return TRUE;
	}
	for (const char *q = p + 1; *q; q++) {
		if (*q == '\\' && quoted && q[1]) {
			q++;
			continue;
		}
		if (*q == '"')
			quoted = !quoted;
		else if (*q == '>' && !quoted) {
			*path = g_strndup(p, q + 1 - p);
			*params = g_strdup(q + 1);
			return TRUE;
		}
	}
	return FALSE;
}

/* The text after "FROM:" or "TO:", or NULL. */
static const char *
after_keyword(const char *arg, const char *keyword)
{
	gsize n = strlen(keyword);
	if (g_ascii_strncasecmp(arg, keyword, n) != 0)
		return NULL;
	return arg + n;
}

static gboolean
parse_mail_params(MmSmtpSession *s, const char *params, Tx *tx)
{
	g_auto(GStrv) words = g_strsplit(params, " ", -1);

	for (char **w = words; *w; w++) {
		const char *eq;
		if (**w == '\0')
			continue;
		eq = strchr(*w, '=');
		if (!s->esmtp) {
			fail(s, 555, "5.5.4", "MAIL parameters need EHLO");
			return FALSE;
		}
		if (eq && g_ascii_strncasecmp(*w, "SIZE=", 5) == 0) {
			guint64 size;
			if (!g_ascii_string_to_unsigned(eq + 1, 10, 0, G_MAXINT64, &size, NULL)) {
				fail(s, 501, "5.5.4", "malformed SIZE parameter");
				return FALSE;
			}
			if ((gint64)size > s->max_size) {
				fail(s, 552, "5.3.4", "message size exceeds the limit of %" G_GINT64_FORMAT " octets",
				     s->max_size);
				return FALSE;
			}
		} else if (eq && g_ascii_strncasecmp(*w, "BODY=", 5) == 0) {
			if (g_ascii_strcasecmp(eq + 1, "8BITMIME") == 0)
				tx->body_8bit = TRUE;
			else if (g_ascii_strcasecmp(eq + 1, "7BIT") != 0) {
				fail(s, 501, "5.5.4", "unknown BODY type");
				return FALSE;
			}
		} else if (eq && g_ascii_strncasecmp(*w, "AUTH=", 5) == 0 && s->cfg.secrets) {
			/* RFC 4954 5: we do not pass on a submitter identity */
		} else {
			fail(s, 555, "5.5.4", "unsupported MAIL parameter");
			return FALSE;
		}
	}
	return TRUE;
}

static void
cmd_mail(MmSmtpSession *s, const char *arg)
{
	const char *rest = after_keyword(arg, "FROM:");
	g_autofree char *path = NULL;
	g_autofree char *params = NULL;
	g_autoptr(GError) error = NULL;
	Tx *tx;

	if (!rest || !split_path(rest, &path, &params)) {
		fail(s, 501, "5.5.4", "syntax: MAIL FROM:<address>");
		return;
	}
	tx = g_new0(Tx, 1);
	tx->rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_address_free);
	if (!parse_mail_params(s, params, tx)) {
		tx_free(tx);
		return;
	}
	tx->sender = mm_address_parse_path(path, NULL, TRUE, &error);
	if (!tx->sender) {
		tx_free(tx);
		fail(s, 501, "5.1.7", "bad sender address: %s", error->message);
		return;
	}
	reset_tx(s);
	s->tx = tx;
	enter_state(s, ST_MAIL);
	reply(s, 250, "2.1.0", "OK");
}

/* RFC 5321 4.5.1: <Postmaster> without a domain must be accepted. */
static MmAddress *
parse_rcpt(MmSmtpSession *s, const char *path, GError **error)
{
	g_autofree char *bare = g_strdup(path);
	gsize n = strlen(bare);

	if (n >= 2 && bare[0] == '<' && bare[n - 1] == '>') {
		bare[n - 1] = '\0';
		memmove(bare, bare + 1, n - 1);
	}
	if (g_ascii_strcasecmp(bare, "postmaster") == 0)
		return mm_address_new("postmaster", s->cfg.conf->host_name, NULL);
	return mm_address_parse_path(path, NULL, FALSE, error);
}

static void
cmd_rcpt(MmSmtpSession *s, const char *arg)
{
	const char *rest = after_keyword(arg, "TO:");
	g_autofree char *path = NULL;
	g_autofree char *params = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) rcpt = NULL;
	g_autofree char *text = NULL;

	if (!rest || !split_path(rest, &path, &params)) {
		fail(s, 501, "5.5.4", "syntax: RCPT TO:<address>");
		return;
	}
	g_strstrip(params);
	if (params[0] != '\0') {
		fail(s, 555, "5.5.4", "unsupported RCPT parameter");
		return;
	}
	if (s->tx->rcpts->len >= (guint)s->cfg.conf->smtp_max_recipients) {
		/* RFC 5321 4.5.3.1.10: not an error, the client sends the
		 * rest in another transaction */
		reply(s, 452, "4.5.3", "too many recipients");
		return;
	}
	rcpt = parse_rcpt(s, path, &error);
	if (!rcpt) {
		fail(s, 501, "5.1.3", "bad recipient address: %s", error->message);
		return;
	}
	text = mm_address_to_string(rcpt);
	switch (mm_relay_check(&s->locality, s->may_relay || s->auth_user != NULL, s->cfg.conf->do_relay,
	                       s->tx->sender, rcpt)) {
	case MM_RELAY_LOCAL:
	case MM_RELAY_ALLOWED:
		break;
	case MM_RELAY_DENIED:
		mm_log(LOG_NOTICE, "%s: relay denied client=%s rcpt=<%s>", s->id,
		       s->peer_address ? s->peer_address : "stdin", text);
		fail(s, 550, "5.7.1", "<%s>: relaying denied", text);
		return;
	case MM_RELAY_DENIED_SENDER:
		mm_log(LOG_NOTICE, "%s: relay denied (do_relay) client=%s rcpt=<%s>", s->id,
		       s->peer_address ? s->peer_address : "stdin", text);
		fail(s, 550, "5.7.1", "<%s>: no relaying for senders from elsewhere", text);
		return;
	}
	g_ptr_array_add(s->tx->rcpts, g_steal_pointer(&rcpt));
	reply(s, 250, "2.1.5", "OK");
}

static void
cmd_data(MmSmtpSession *s, const char *arg)
{
	if (arg[0] != '\0') {
		fail(s, 501, "5.5.4", "DATA takes no arguments");
		return;
	}
	if (s->tx->rcpts->len == 0) {
		/* RFC 2920 3.1: after a pipelined group whose RCPTs all failed */
		fail(s, 554, "5.5.1", "no valid recipients");
		return;
	}
	s->tx->text = g_byte_array_new();
	s->tx->prev_crlf = TRUE;
	enter_state(s, ST_DATA);
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

static void
cmd_rset(MmSmtpSession *s, const char *arg)
{
	reset_tx(s);
	if (s->state == ST_MAIL)
		enter_state(s, ST_READY);
	reply(s, 250, "2.0.0", "OK");
}

static void
cmd_noop(MmSmtpSession *s, const char *arg)
{
	reply(s, 250, "2.0.0", "OK");
}

static void
cmd_vrfy(MmSmtpSession *s, const char *arg)
{
	/* RFC 5321 3.5.3: neither confirm nor deny which users exist */
	reply(s, 252, "2.5.0", "cannot VRFY user, but will accept the message and try delivery");
}

static void
cmd_expn(MmSmtpSession *s, const char *arg)
{
	fail(s, 502, "5.5.1", "EXPN not available");
}

static void
cmd_help(MmSmtpSession *s, const char *arg)
{
	reply(s, 214, "2.0.0", "commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT%s%s",
	      s->cfg.tls_offered ? " STARTTLS" : "", s->cfg.secrets ? " AUTH" : "");
}

static void
cmd_quit(MmSmtpSession *s, const char *arg)
{
	reply(s, 221, "2.0.0", "%s closing connection", s->cfg.conf->host_name);
	reset_tx(s);
	s->want_close = TRUE;
	enter_state(s, ST_CLOSED);
}

static void
cmd_starttls(MmSmtpSession *s, const char *arg)
{
	if (!s->cfg.tls_offered || s->tls_active) {
		fail(s, 503, "5.5.1", s->tls_active ? "TLS is already active" : "STARTTLS not available");
		return;
	}
	if (arg[0] != '\0') {
		fail(s, 501, "5.5.4", "STARTTLS takes no arguments");
		return;
	}
	reply(s, 220, "2.0.0", "ready to start TLS");
	reset_tx(s);
	s->want_starttls = TRUE;
}

/* ---- AUTH (RFC 4954) -------------------------------------------- */

static void
auth_done(MmSmtpSession *s, const char *mech, const char *user, gboolean ok)
{
	g_clear_pointer(&s->cram_challenge, g_free);
	g_clear_pointer(&s->auth_login_user, mm_sasl_free_secret);
	enter_state(s, ST_READY);
	if (ok) {
		g_free(s->auth_user);
		s->auth_user = g_strdup(user);
		mm_log(LOG_INFO, "%s: authenticated mech=%s user=%s", s->id, mech, user);
		reply(s, 235, "2.7.0", "authentication successful");
		return;
	}
	s->auth_failures++;
	mm_log(LOG_NOTICE, "%s: authentication failed mech=%s user=%s failures=%u", s->id, mech,
	       user ? user : "?", s->auth_failures);
	/* Each failure waits longer before the answer, so that guessing is
	 * slow; a few end the session. */
	s->delay_ms = MM_SMTP_AUTH_FAILURE_DELAY_MS * s->auth_failures;
	reply(s, 535, "5.7.8", "authentication credentials invalid");
	if (s->auth_failures >= MM_SMTP_AUTH_FAILURES_MAX)
		close_with(s, "4.7.0", "too many authentication failures");
}

static void
auth_plain(MmSmtpSession *s, const char *response)
{
	g_autofree char *authzid = NULL;
	g_autofree char *user = NULL;
	g_autoptr(GError) error = NULL;
	char *password = NULL;
	gboolean ok;

	if (!mm_sasl_plain_decode(response, &authzid, &user, &password, &error)) {
		enter_state(s, ST_READY);
		fail(s, 501, "5.5.2", "malformed AUTH PLAIN response");
		return;
	}
	/* we cannot act for another user than the one authenticated */
	ok = (authzid == NULL || strcmp(authzid, user) == 0) &&
	     mm_sasl_secrets_check(s->cfg.secrets, user, password);
	mm_sasl_free_secret(password);
	auth_done(s, "PLAIN", user, ok);
}

static char *
b64_text(MmSmtpSession *s, const char *response)
{
	g_autoptr(GError) error = NULL;
	gsize len;
	char *text = mm_sasl_base64_decode(response, &len, &error);

	if (!text || strlen(text) != len || len > MM_SASL_FIELD_MAX) {
		mm_sasl_free_secret(text);
		enter_state(s, ST_READY);
		g_clear_pointer(&s->auth_login_user, mm_sasl_free_secret);
		g_clear_pointer(&s->cram_challenge, g_free);
		fail(s, 501, "5.5.2", "malformed AUTH response");
		return NULL;
	}
	return text;
}

static void
auth_response(MmSmtpSession *s, const char *response)
{
	if (strcmp(response, "*") == 0) {
		g_clear_pointer(&s->auth_login_user, mm_sasl_free_secret);
		g_clear_pointer(&s->cram_challenge, g_free);
		enter_state(s, ST_READY);
		fail(s, 501, "5.7.0", "authentication cancelled");
		return;
	}
	switch (s->auth_step) {
	case AUTH_PLAIN:
		auth_plain(s, response);
		break;
	case AUTH_LOGIN_USER: {
		char *user = b64_text(s, response);
		if (!user)
			return;
		s->auth_login_user = user;
		s->auth_step = AUTH_LOGIN_PASSWORD;
		reply(s, 334, NULL, "UGFzc3dvcmQ6"); /* "Password:" */
		break;
	}
	case AUTH_LOGIN_PASSWORD: {
		g_autofree char *user = g_strdup(s->auth_login_user);
		char *password = b64_text(s, response);
		gboolean ok;
		if (!password)
			return;
		ok = mm_sasl_secrets_check(s->cfg.secrets, user, password);
		mm_sasl_free_secret(password);
		auth_done(s, "LOGIN", user, ok);
		break;
	}
	case AUTH_CRAM_MD5: {
		g_autofree char *text = b64_text(s, response);
		g_autofree char *user = NULL;
		g_autoptr(GError) error = NULL;
		gboolean ok;
		if (!text)
			return;
		ok = mm_sasl_cram_md5_verify(s->cram_challenge, text, s->cfg.secrets, &user, &error);
		auth_done(s, "CRAM-MD5", user, ok);
		break;
	}
	}
}

static void
cmd_auth(MmSmtpSession *s, const char *arg)
{
	g_auto(GStrv) words = g_strsplit(arg, " ", 3);
	const char *mech = words[0] ? words[0] : "";
	const char *initial = words[0] && words[1] ? words[1] : NULL;

	if (!s->cfg.secrets || !s->esmtp) {
		fail(s, 503, "5.5.1", "AUTH not available");
		return;
	}
	if (s->auth_user) {
		fail(s, 503, "5.5.1", "already authenticated");
		return;
	}
	if (mech[0] == '\0' || (words[1] && words[2])) {
		fail(s, 501, "5.5.4", "syntax: AUTH mechanism [initial-response]");
		return;
	}
	if (g_ascii_strcasecmp(mech, "PLAIN") == 0 || g_ascii_strcasecmp(mech, "LOGIN") == 0) {
		if (!auth_plaintext_allowed(s)) {
			fail(s, 538, "5.7.11", "encryption required for mechanism %s", mech);
			return;
		}
	}
	if (g_ascii_strcasecmp(mech, "PLAIN") == 0) {
		s->auth_step = AUTH_PLAIN;
		if (initial) {
			/* RFC 4954 4: "=" is an empty initial response */
			auth_plain(s, strcmp(initial, "=") == 0 ? "" : initial);
			return;
		}
		enter_state(s, ST_AUTH);
		reply(s, 334, NULL, " ");
	} else if (g_ascii_strcasecmp(mech, "LOGIN") == 0) {
		enter_state(s, ST_AUTH);
		s->auth_step = AUTH_LOGIN_USER;
		if (initial) {
			auth_response(s, initial);
			return;
		}
		reply(s, 334, NULL, "VXNlcm5hbWU6"); /* "Username:" */
	} else if (g_ascii_strcasecmp(mech, "CRAM-MD5") == 0) {
		g_autofree char *b64 = NULL;
		if (initial) {
			fail(s, 501, "5.5.4", "CRAM-MD5 takes no initial response");
			return;
		}
		g_free(s->cram_challenge);
		s->cram_challenge = mm_sasl_cram_md5_challenge(s->cfg.conf->host_name);
		b64 = g_base64_encode((const guchar *)s->cram_challenge, strlen(s->cram_challenge));
		s->auth_step = AUTH_CRAM_MD5;
		enter_state(s, ST_AUTH);
		reply(s, 334, NULL, "%s", b64);
	} else {
		fail(s, 504, "5.5.4", "unknown authentication mechanism");
	}
}

/* ---- the command table ---------------------------------------------- */

typedef struct {
	const char *verb;
	guint states;              /* where it is allowed */
	const char *out_of_order;  /* the 503 text elsewhere */
	void (*run)(MmSmtpSession *s, const char *arg);
} Command;

static const Command commands[] = {
	{ "EHLO", GREETED, NULL, cmd_ehlo },
	{ "HELO", GREETED, NULL, cmd_helo },
	{ "MAIL", IN(ST_READY), NULL, cmd_mail },
	{ "RCPT", IN(ST_MAIL), "need MAIL first", cmd_rcpt },
	{ "DATA", IN(ST_MAIL), "need MAIL and RCPT first", cmd_data },
	{ "RSET", GREETED, NULL, cmd_rset },
	{ "NOOP", GREETED, NULL, cmd_noop },
	{ "VRFY", GREETED, NULL, cmd_vrfy },
	{ "EXPN", GREETED, NULL, cmd_expn },
	{ "HELP", GREETED, NULL, cmd_help },
	{ "QUIT", GREETED, NULL, cmd_quit },
	{ "STARTTLS", IN(ST_FRESH) | IN(ST_READY), "not during a transaction", cmd_starttls },
	{ "AUTH", IN(ST_READY), NULL, cmd_auth },
};

static const char *
out_of_order_text(const MmSmtpSession *s, const Command *c)
{
	if (s->state == ST_FRESH)
		return "send HELO or EHLO first";
	if (s->state == ST_MAIL && (strcmp(c->verb, "MAIL") == 0 || strcmp(c->verb, "AUTH") == 0))
		return strcmp(c->verb, "MAIL") == 0 ? "nested MAIL command" : "not during a transaction";
	return c->out_of_order ? c->out_of_order : "bad sequence of commands";
}

static void
command_line(MmSmtpSession *s, const char *p, gsize n)
{
	g_autofree char *line = NULL;
	const char *arg;
	gsize verb_len;

	/* a command line ends with CRLF; a bare LF is tolerated here, where
	 * it cannot end a message */
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (memchr(p, '\0', n) || memchr(p, '\r', n)) {
		fail(s, 500, "5.5.2", "NUL or CR in command line");
		return;
	}
	line = g_strndup(p, n);
	for (const char *c = line; *c; c++) {
		if ((guchar)*c >= 128) {
			fail(s, 500, "5.5.2", "8-bit characters in command line");
			return;
		}
	}
	verb_len = strcspn(line, " ");
	arg = line + verb_len;
	while (*arg == ' ')
		arg++;
	mm_debug(5, "%s: command %.*s", s->id, (int)verb_len, line);
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
		const Command *c = &commands[i];
		if (strlen(c->verb) != verb_len || g_ascii_strncasecmp(line, c->verb, verb_len) != 0)
			continue;
		if (!(c->states & IN(s->state))) {
			fail(s, 503, "5.5.1", "%s", out_of_order_text(s, c));
			return;
		}
		{
			/* trailing white space is no part of an argument */
			g_autofree char *a = g_strchomp(g_strdup(arg));
			c->run(s, a);
		}
		return;
	}
	fail(s, 500, "5.5.1", "command not recognized");
}

/* ---- message text ---------------------------------------------------- */

static gboolean
has_8bit(const char *p, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if ((guchar)p[i] >= 128)
			return TRUE;
	}
	return FALSE;
}

static gboolean
default_commit(const MmMessage *msg, gpointer user_data, GError **error)
{
	const MmConf *conf = user_data;
	return mm_spool_write(conf->spool_dir, msg, error);
}

static const char *
with_keyword(const MmSmtpSession *s)
{
	/* RFC 3848 */
	if (!s->esmtp)
		return "SMTP";
	if (s->tls_active)
		return s->auth_user ? "ESMTPSA" : "ESMTPS";
	return s->auth_user ? "ESMTPA" : "ESMTP";
}

static void
refuse_text(MmSmtpSession *s, guint bad)
{
	if (bad & BAD_SIZE)
		reply(s, 552, "5.3.4", "message size exceeds the limit of %" G_GINT64_FORMAT " octets", s->max_size);
	else if (bad & BAD_BARE)
		reply(s, 554, "5.5.2", "message refused: bare CR or LF in the text (lines must end with CRLF)");
	else if (bad & BAD_NUL)
		reply(s, 554, "5.6.0", "message refused: NUL character in the text");
	else if (bad & BAD_LONG)
		reply(s, 554, "5.5.2", "message refused: text line longer than %d octets", MM_SMTP_TEXT_LINE_MAX);
	else
		reply(s, 554, "5.6.1", "message refused: 8-bit text without BODY=8BITMIME");
}

/* Answers the commit of @msg: 250, or why not (@error). */
static void
answer_commit(MmSmtpSession *s, const MmMessage *msg, const GError *error)
{
	g_autofree char *sender = NULL;

	if (error) {
		mm_log(LOG_ERR, "%s: message not queued: %s", s->id, error->message);
		if (mm_error_is_temporary(error))
			reply(s, 452, "4.3.1", "insufficient system storage, try again later");
		else
			reply(s, 554, "5.6.0", "message refused: %s", error->message);
		return;
	}
	sender = mm_address_to_string(msg->return_path);
	mm_log(LOG_INFO, "%s: %s queued from=<%s> rcpts=%u size=%" G_GINT64_FORMAT " client=%s%s%s", s->id,
	       msg->uid, sender, msg->rcpts->len, s->commit_size, s->peer_address ? s->peer_address : "stdin",
	       s->auth_user ? " user=" : "", s->auth_user ? s->auth_user : "");
	reply(s, 250, "2.0.0", "OK id=%s", msg->uid);
	if (s->cfg.on_queued)
		s->cfg.on_queued(msg->uid, s->cfg.user_data);
}

/* Commits the complete, well-formed message of the transaction (or
 * hands it to commit_start) and answers it. */
static void
commit_tx(MmSmtpSession *s)
{
	Tx *tx = s->tx;
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	MmAcceptContext ctx = {
		.host_name = s->cfg.conf->host_name,
		.flags = s->cfg.conf->do_save_envelope_to ? MM_ACCEPT_SAVE_ENVELOPE_TO : 0,
		.uid = getuid(),
		.helo = s->helo,
		/* a network client without a confirmed name is "unknown"
		 * (RFC 5321 4.4: the name, when there is one, and the address) */
		.client_name = s->peer_name ? s->peer_name : s->peer_address ? "unknown" : NULL,
		.client_address = s->peer_address,
		.with = with_keyword(s),
		.tls_cipher = s->tls_description,
		.auth_user = s->auth_user,
	};
	MmSmtpCommitFunc commit = s->cfg.commit ? s->cfg.commit : default_commit;
	gpointer commit_data = s->cfg.commit ? s->cfg.user_data : (gpointer)s->cfg.conf;

	msg->return_path = mm_address_copy(tx->sender);
	for (guint i = 0; i < tx->rcpts->len; i++)
		g_ptr_array_add(msg->rcpts, mm_recipient_new(tx->rcpts->pdata[i]));
	msg->protocol = g_strdup(s->esmtp ? "esmtp" : "smtp");
	msg->received_host = g_strdup(s->peer_name ? s->peer_name : s->peer_address);
	if (!mm_accept_parse_text(msg, (const char *)tx->text->data, tx->text->len, &error) ||
	    !mm_accept_prepare(msg, &ctx, &error)) {
		mm_log(LOG_NOTICE, "%s: message refused: %s", s->id, error->message);
		reply(s, 554, "5.6.0", "message refused: %s", error->message);
		reset_tx(s);
		return;
	}
	s->commit_size = tx->size;
	reset_tx(s);
	if (s->cfg.commit_start) {
		s->waiting_commit = TRUE;
		s->cfg.commit_start(s, g_steal_pointer(&msg), s->cfg.user_data);
		return;
	}
	if (!commit(msg, commit_data, &error) && error == NULL)
		g_set_error(&error, MM_ERROR, MM_ERROR_TEMPORARY, "not committed");
	answer_commit(s, msg, error);
}

static void
end_of_data(MmSmtpSession *s)
{
	Tx *tx = s->tx;

	enter_state(s, ST_READY);
	if (tx->bad) {
		mm_log(LOG_NOTICE, "%s: message refused bad=0x%x size=%" G_GINT64_FORMAT, s->id, tx->bad, tx->size);
		refuse_text(s, tx->bad);
		reset_tx(s);
		return;
	}
	if (s->name_pending) {
		/* The caller's lookup ends within MM_SMTP_CLIENT_NAME_MS, by
		 * an answer or by giving up: then the message is committed. */
		mm_debug(3, "%s: message waits for the client's name", s->id);
		s->waiting_name = TRUE;
		return;
	}
	commit_tx(s);
}

void
mm_smtp_session_set_peer_name(MmSmtpSession *s, const char *name)
{
	g_autoptr(GByteArray) held = NULL;

	s->name_pending = FALSE;
	g_free(s->peer_name);
	s->peer_name = g_strdup(name);
	if (!s->waiting_name)
		return;
	s->waiting_name = FALSE;
	commit_tx(s);
	if (s->waiting_commit)
		return;
	held = g_steal_pointer(&s->held);
	if (held)
		mm_smtp_session_feed(s, (const char *)held->data, held->len);
}

void
mm_smtp_session_commit_done(MmSmtpSession *s, const MmMessage *msg, const GError *error)
{
	g_autoptr(GByteArray) held = NULL;

	g_return_if_fail(s->waiting_commit);
	s->waiting_commit = FALSE;
	answer_commit(s, msg, error);
	held = g_steal_pointer(&s->held);
	if (held)
		mm_smtp_session_feed(s, (const char *)held->data, held->len);
}

gboolean
mm_smtp_session_want_name(const MmSmtpSession *s)
{
	return s->waiting_name;
}

gboolean
mm_smtp_session_paused(const MmSmtpSession *s)
{
	return s->waiting_name || s->waiting_commit;
}

/* Input that arrives while the message waits for the client's name or
 * for its commit: pipelined commands after the final dot (RFC 2920),
 * kept for later. */
static void
hold_input(MmSmtpSession *s, const char *data, gsize len)
{
	if (!s->held)
		s->held = g_byte_array_new();
	if (s->held->len + len > MM_SMTP_HELD_INPUT_MAX) {
		mm_log(LOG_NOTICE, "%s: too much input while the message waits", s->id);
		close_with(s, "4.7.0", "too much pipelined input");
		return;
	}
	g_byte_array_append(s->held, (const guint8 *)data, len);
}

/* One line of message text, @n octets up to and including its LF. */
static void
text_line(MmSmtpSession *s, const char *p, gsize n)
{
	Tx *tx = s->tx;
	gboolean crlf = n >= 2 && p[n - 2] == '\r';
	gsize len = n - (crlf ? 2 : 1);

	/* RFC 5321 4.1.1.4: only CRLF "." CRLF ends the text; LF "." LF,
	 * LF "." CRLF and CR "." CR never do (SMTP smuggling). */
	if (crlf && tx->prev_crlf && len == 1 && p[0] == '.') {
		end_of_data(s);
		return;
	}
	tx->prev_crlf = crlf;
	if (!crlf || memchr(p, '\r', len))
		tx->bad |= BAD_BARE;
	if (memchr(p, '\0', len))
		tx->bad |= BAD_NUL;
	if (!tx->body_8bit && has_8bit(p, len))
		tx->bad |= BAD_8BIT;
	/* RFC 5321 4.5.2: a leading dot was doubled by the client */
	if (len > 0 && p[0] == '.') {
		p++;
		len--;
	}
	tx->size += len + 2;
	if (tx->size > s->max_size) {
		/* keep reading to the end, but not keeping */
		tx->bad |= BAD_SIZE;
		g_byte_array_set_size(tx->text, 0);
		return;
	}
	if (!(tx->bad & BAD_SIZE)) {
		g_byte_array_append(tx->text, (const guint8 *)p, len);
		g_byte_array_append(tx->text, (const guint8 *)"\n", 1);
	}
}

/* ---- input ---------------------------------------------------------- */

static gsize
line_max(const MmSmtpSession *s)
{
	switch (s->state) {
	case ST_DATA:
		return MM_SMTP_TEXT_LINE_MAX;
	case ST_AUTH:
		/* the base64 response and its CRLF */
		return MM_SASL_RESPONSE_MAX + 2;
	default:
		return MM_SMTP_COMMAND_LINE_MAX;
	}
}

static void
too_long(MmSmtpSession *s, gboolean ended_crlf)
{
	switch (s->state) {
	case ST_DATA:
		s->tx->bad |= BAD_LONG;
		s->tx->prev_crlf = ended_crlf;
		break;
	case ST_AUTH:
		g_clear_pointer(&s->auth_login_user, mm_sasl_free_secret);
		g_clear_pointer(&s->cram_challenge, g_free);
		enter_state(s, ST_READY);
		fail(s, 500, "5.5.6", "authentication response too long");
		break;
	default:
		fail(s, 500, "5.5.2", "command line longer than %d octets", MM_SMTP_COMMAND_LINE_MAX);
		break;
	}
}

static void
handle_line(MmSmtpSession *s, const char *p, gsize n)
{
	switch (s->state) {
	case ST_DATA:
		text_line(s, p, n);
		break;
	case ST_AUTH: {
		g_autofree char *response = g_strndup(p, n);
		g_strchomp(response);
		auth_response(s, response);
		if (response)
			memset(response, 0, strlen(response));
		break;
	}
	default:
		command_line(s, p, n);
		break;
	}
}

void
mm_smtp_session_feed(MmSmtpSession *s, const char *data, gsize len)
{
	if (s->state == ST_INIT) {
		/* RFC 5321 3.1: the client waits for the greeting */
		mm_log(LOG_NOTICE, "%s: client talked before the greeting", s->id);
		reply(s, 554, "5.5.0", "%s no SMTP service: talking before the greeting", s->cfg.conf->host_name);
		s->want_close = TRUE;
		enter_state(s, ST_CLOSED);
		return;
	}
	while (len > 0) {
		const char *nl;
		gsize take;

		/* After STARTTLS nothing that came before the handshake may be
		 * used (CVE-2011-0411); after the end nothing at all. */
		if (s->want_close || s->want_starttls || s->state == ST_CLOSED)
			return;
		if (s->waiting_name || s->waiting_commit) {
			hold_input(s, data, len);
			return;
		}
		nl = memchr(data, '\n', len);
		take = nl ? (gsize)(nl - data) + 1 : len;
		if (s->overlong) {
			if (nl) {
				gboolean cr = take >= 2 ? data[take - 2] == '\r' : s->overlong_cr;
				s->overlong = FALSE;
				too_long(s, cr);
			} else {
				s->overlong_cr = data[take - 1] == '\r';
			}
		} else if (s->line->len + take > line_max(s)) {
			gboolean cr = take >= 2 ? data[take - 2] == '\r'
			                        : (s->line->len > 0 && s->line->data[s->line->len - 1] == '\r');
			g_byte_array_set_size(s->line, 0);
			if (nl) {
				too_long(s, cr);
			} else {
				s->overlong = TRUE;
				s->overlong_cr = data[take - 1] == '\r';
			}
		} else {
			g_byte_array_append(s->line, (const guint8 *)data, take);
			if (nl) {
				/* the handler may change the state and thus the limit */
				g_autoptr(GByteArray) line = s->line;
				s->line = g_byte_array_new();
				handle_line(s, (const char *)line->data, line->len);
			}
		}
		data += take;
		len -= take;
	}
}
