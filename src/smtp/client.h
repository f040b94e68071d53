/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP client: one session with a relay or an MX on a connected
 * socket. It greets (EHLO, HELO when EHLO is refused), starts TLS
 * (STARTTLS or implicit TLS), logs in (AUTH CRAM-MD5, LOGIN, PLAIN)
 * and then carries any number of messages, each to some of its
 * recipients, with a result per recipient.
 *
 * The client knows nothing of routes, the spool or the configuration:
 * the caller fills MmSmtpClientOptions from a route and marks the
 * recipients from the results. Every read has a time limit. The calls
 * block: use them in a delivery process or thread, never in the
 * daemon's main loop.
 *
 * Failures: anything that says "try later" is MM_ERROR_TEMPORARY (a
 * refused or lost connection, a time-out, TLS or AUTH trouble, a 4xx,
 * a malformed reply, and also a 5xx greeting or EHLO: that is the
 * relay's problem, not the message's). Only a 5xx for a recipient or a
 * message fails it.
 */
#pragma once

#include <glib.h>

#include "msg/address.h"
#include "msg/message.h"

typedef enum {
	MM_SMTP_TLS_OFF,           /* never, even when offered */
	MM_SMTP_TLS_OPPORTUNISTIC, /* STARTTLS when the server offers it */
	MM_SMTP_TLS_REQUIRED,      /* STARTTLS or no delivery */
	MM_SMTP_TLS_SMTPS,         /* TLS from the first byte (RFC 8314, port 465) */
} MmSmtpTlsMode;

typedef enum {
	MM_SMTP_AUTH_NONE,
	MM_SMTP_AUTH_CRAM_MD5,
	MM_SMTP_AUTH_LOGIN,
	MM_SMTP_AUTH_PLAIN,
} MmSmtpAuthMech;

/* "off", "opportunistic", "required", "smtps" (any case). FALSE for
 * anything else. */
gboolean mm_smtp_tls_mode_from_string(const char *text, MmSmtpTlsMode *mode);
/* "cram-md5", "login", "plain" (any case), NULL or "" for none. */
gboolean mm_smtp_auth_mech_from_string(const char *text, MmSmtpAuthMech *mech);

/* Everything a session needs to know. Strings are borrowed for the
 * duration of mm_smtp_client_open(). Start from
 * mm_smtp_client_options_init(). */
typedef struct {
	const char *helo_name;     /* NULL: this host's name */
	gboolean correct_helo;     /* the DNS name of our end of the connection instead */
	gboolean instant_helo;     /* EHLO before the greeting arrives */
	gboolean pipelining;       /* use PIPELINING when offered (default TRUE) */
	gboolean chunking;         /* with PIPELINING, BDAT when CHUNKING is offered (default TRUE) */

	MmSmtpTlsMode tls;         /* default MM_SMTP_TLS_OPPORTUNISTIC */
	gboolean tls_verify;       /* check the certificate and the host name (default TRUE) */
	const char *tls_ca_file;   /* NULL: the system trust store */
	const char *tls_cert_file; /* client certificate, or NULL */
	const char *tls_key_file;
	const char *tls_priority;  /* GnuTLS priority string, NULL: the default */
	const char *tls_server_name; /* the name the certificate must show; NULL: the host */

	MmSmtpAuthMech auth;
	const char *auth_login;
	const char *auth_secret;
	/* send PLAIN or LOGIN credentials without TLS to a host that is not
	 * loopback (CRAM-MD5 sends only a keyed hash and needs no TLS) */
	gboolean auth_allow_plaintext;

	/* time limits in seconds, 0 for the default (limits.h, RFC 5321
	 * 4.5.3.2) */
	guint timeout_connect;
	guint timeout_greeting;   /* also EHLO, STARTTLS, AUTH, RSET, QUIT */
	guint timeout_mail;
	guint timeout_rcpt;
	guint timeout_data_init;  /* the 354 after DATA */
	guint timeout_data_block; /* each write of the message */
	guint timeout_final;      /* the reply after the final dot */
} MmSmtpClientOptions;

/* The defaults: pipelining on, TLS opportunistic with verification,
 * no AUTH, default time limits. */
void mm_smtp_client_options_init(MmSmtpClientOptions *opts);

typedef struct MmSmtpClient MmSmtpClient;

/* Connects to @host (a name or an address literal, "[v6]" allowed) on
 * @port, with each address in turn until one answers, and opens the
 * session: greeting, EHLO (HELO), STARTTLS and EHLO again, AUTH.
 * Returns a session to free with mm_smtp_client_close(), or NULL with
 * @error set, always MM_ERROR_TEMPORARY; the message says what
 * happened, with the host, for the log. */
MmSmtpClient *mm_smtp_client_open(const char *host, guint16 port, const MmSmtpClientOptions *opts,
                                  GError **error);

/* As mm_smtp_client_open() on a connected descriptor (a socket or a
 * socketpair to a wrapper command), which the client owns from now on
 * even on failure. @peer names the other end in log lines and, for
 * TLS, is the name the certificate must show; @loopback says whether
 * the other end is this host (credentials may then go in clear). */
MmSmtpClient *mm_smtp_client_open_fd(int fd, const char *peer, gboolean loopback,
                                     const MmSmtpClientOptions *opts, GError **error);

typedef enum {
	MM_SMTP_RCPT_DELIVERED, /* the final reply to the data was 2xx */
	MM_SMTP_RCPT_DEFERRED,  /* try again later */
	MM_SMTP_RCPT_FAILED,    /* a permanent refusal: bounce */
} MmSmtpRcptStatus;

typedef struct {
	MmSmtpRcptStatus status;
	guint code;     /* the reply code that decided, 0 when none came */
	char *reply;    /* the reply as text ("550 5.1.1 ..."), or what
	                 * happened ("451 4.4.2 connection lost ..."); owned */
} MmSmtpRcptResult;

/* Frees what @result holds and zeroes it. */
void mm_smtp_rcpt_result_clear(MmSmtpRcptResult *result);

/* Sends one message to @n of its recipients (their addresses; pipe
 * recipients fail). @message is the message as rendered, header and
 * body, with LF (or CRLF) line ends; the client sends it with CRLF
 * line ends only and dot-stuffed. @results must have room for @n and
 * is filled for every recipient whatever happens (clear each after
 * use):
 *
 *  - DELIVERED only after a 2xx reply to the final dot;
 *  - a refused recipient or message: FAILED for 5xx, DEFERRED for 4xx;
 *  - a message larger than the server's SIZE: FAILED with 552 5.3.4,
 *    and nothing is sent;
 *  - a lost connection or a time-out: DEFERRED. When that happens after
 *    the final dot, the server may have taken the message: deferring
 *    it risks one duplicate but loses nothing.
 *
 * Returns TRUE when the session can carry the next message, FALSE
 * (with @error set, MM_ERROR_TEMPORARY) when it cannot; then only
 * mm_smtp_client_close() is left to call. */
gboolean mm_smtp_client_send(MmSmtpClient *client, const MmAddress *return_path,
                             const MmRecipient *const *rcpts, guint n, GBytes *message,
                             MmSmtpRcptResult *results, GError **error);

/* One message for mm_smtp_client_send_many(): the arguments of
 * mm_smtp_client_send(), all borrowed for the duration of the call. */
typedef struct {
	const MmAddress *return_path;
	const MmRecipient *const *rcpts;
	guint n;
	GBytes *message;
	MmSmtpRcptResult *results; /* room for @n; filled as by mm_smtp_client_send() */
} MmSmtpClientMessage;

/* Sends @n_msgs messages in order, each as mm_smtp_client_send() does,
 * with the same results per recipient whatever happens to the session.
 * With PIPELINING (RFC 2920) a message's MAIL, RCPT... and DATA go out
 * in the same write as the end of the message before, so that each
 * message costs one round trip; with CHUNKING as well (RFC 3030) each
 * message goes out whole as MAIL, RCPT... and BDAT without waiting for
 * a 354. At most one message is ahead of the replies, so that a broken
 * connection defers little. Without PIPELINING each command waits for
 * its reply. Returns as mm_smtp_client_send(): FALSE (with @error,
 * MM_ERROR_TEMPORARY) when the session cannot carry more; the
 * messages it did not reach are deferred. */
gboolean mm_smtp_client_send_many(MmSmtpClient *client, const MmSmtpClientMessage *msgs, guint n_msgs,
                                  GError **error);

/* Called by mm_smtp_client_send_many_notify() with the index of a
 * message as soon as its results are final, while the session goes on
 * with the messages behind it. */
typedef void (*MmSmtpClientDoneFunc)(guint index, gpointer data);

/* As mm_smtp_client_send_many(), and @done (may be NULL) is called once
 * for each message whose results become final during the exchange (a
 * final reply to it, or refusals of all its recipients), in the order
 * they do, so that the caller can record a message's outcome before
 * the session ends: a message that the server took is then marked as
 * soon as its final reply is read. The messages it was not called for
 * by the time this returns have their final results then (deferred
 * when the session broke before their replies). */
gboolean mm_smtp_client_send_many_notify(MmSmtpClient *client, const MmSmtpClientMessage *msgs,
                                         guint n_msgs, MmSmtpClientDoneFunc done, gpointer data,
                                         GError **error);

/* The peer as "host[address]:port" (or the @peer of _open_fd()), for
 * log lines. Owned by the client. */
const char *mm_smtp_client_peer(const MmSmtpClient *client);
/* Whether the session runs over TLS, and a description of it
 * ("TLS1.3 ..."), or NULL; owned by the client. */
const char *mm_smtp_client_tls_info(const MmSmtpClient *client);
/* Whether the server took EHLO (else HELO was used): "esmtp" or
 * "smtp" for log lines. */
gboolean mm_smtp_client_is_esmtp(const MmSmtpClient *client);

/* Says QUIT (when the session is still usable), closes the connection
 * and frees @client. NULL-safe. */
void mm_smtp_client_close(MmSmtpClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSmtpClient, mm_smtp_client_close)
