/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP server's protocol (RFC 5321 with PIPELINING, 8BITMIME, SIZE,
 * ENHANCEDSTATUSCODES, STARTTLS and AUTH) as a state machine that does
 * no I/O: bytes go in with mm_smtp_session_feed(), replies come out of
 * mm_smtp_session_take_output(), and flags tell the caller to start
 * TLS, to wait before it answers or to close. server.c moves the bytes;
 * a test can run a whole conversation in memory.
 *
 * The session splits its input into lines itself, bounded by the
 * limits of limits.h, because what a line is differs between commands
 * and message text: during DATA only CRLF ends a line cleanly, and only
 * CRLF "." CRLF ends the message. A bare CR or bare LF in the text
 * never ends it (SMTP smuggling); such a message is refused as a whole
 * with 554 5.5.2 once the real end is seen, and nothing of it is queued.
 *
 * A message is committed to the spool (or handed to the configured
 * commit function) before its 250 is produced. With a commit_start
 * function the commit happens later, together with other sessions'
 * messages (group commit): the session then waits for
 * mm_smtp_session_commit_done() before it answers or reads on. While the caller is
 * still looking up the client's name, a complete message waits for it
 * (Received: names the client), and so does the input after it.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "msg/message.h"
#include "smtp/sasl.h"

typedef struct _MmSmtpSession MmSmtpSession;

/* Who is on the other side. Strings are copied. */
typedef struct {
	const char *address;  /* the client's IP address as text; NULL for -bs */
	const char *name;     /* its host name when known, else NULL */
	gboolean name_pending; /* the name is being looked up: mm_smtp_session_set_peer_name() follows */
	gboolean loopback;    /* a loopback connection or a local pipe: AUTH PLAIN/LOGIN without TLS */
	gboolean may_relay;   /* in relay_networks (or -bs): remote recipients allowed */
} MmSmtpPeer;

/* Commits a complete message (uid set, ready for the spool). The
 * default writes it with mm_spool_write() to conf->spool_dir. FALSE
 * with an error: MM_ERROR_TEMPORARY gives 452 4.3.1. */
typedef gboolean (*MmSmtpCommitFunc)(const MmMessage *msg, gpointer user_data, GError **error);
/* Hands a complete message over to be committed later (it is the
 * callee's now); the session waits, neither answering nor acting on
 * input, until the callee calls mm_smtp_session_commit_done() for it,
 * never from within this call. */
typedef void (*MmSmtpCommitStartFunc)(MmSmtpSession *s, MmMessage *msg, gpointer user_data);
/* Called after a message was committed and its 250 produced. */
typedef void (*MmSmtpQueuedFunc)(const char *uid, gpointer user_data);

typedef struct {
	const MmConf *conf;           /* borrowed; must outlive the session */
	const MmSaslSecrets *secrets; /* borrowed; NULL: AUTH is not offered */
	gboolean tls_offered;         /* a certificate is configured: STARTTLS is offered */
	MmSmtpCommitFunc commit;      /* NULL: mm_spool_write() */
	MmSmtpCommitStartFunc commit_start; /* set: commits go there, not to commit */
	MmSmtpQueuedFunc on_queued;   /* may be NULL */
	gpointer user_data;           /* for commit, commit_start and on_queued */
	const char *id;               /* session id for the log, copied; NULL: made up */
} MmSmtpSessionConfig;

/* What the session expects next, for the caller's timers. */
typedef enum {
	MM_SMTP_WAIT_COMMAND, /* smtp_command_timeout */
	MM_SMTP_WAIT_DATA,    /* smtp_data_timeout */
} MmSmtpWait;

/* A new session that has not greeted yet. Free with mm_smtp_session_free(). */
MmSmtpSession *mm_smtp_session_new(const MmSmtpSessionConfig *cfg, const MmSmtpPeer *peer);
void mm_smtp_session_free(MmSmtpSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSmtpSession, mm_smtp_session_free)

/* Produces the greeting: 220, or 421 4.3.2 and close with defer_all.
 * Input fed before the greeting is an early talker: 554 5.5.0, close. */
void mm_smtp_session_greet(MmSmtpSession *s);

/* Takes @len bytes of input. Every complete line is acted on; a partial
 * line is kept (bounded). After the session asked to close or to start
 * TLS, the rest of the input is discarded: nothing the client sent
 * before the TLS handshake may be taken as sent under TLS. */
void mm_smtp_session_feed(MmSmtpSession *s, const char *data, gsize len);

/* The client closed its side: a message in progress is dropped. */
void mm_smtp_session_eof(MmSmtpSession *s);

/* Replies produced since the last call, in order, for one write (a
 * pipelined group gets its replies together). New GString, never NULL
 * (empty when there is nothing to send). */
GString *mm_smtp_session_take_output(MmSmtpSession *s);

/* TRUE once the session is over (QUIT, 421, early talker): send the
 * output, then close. */
gboolean mm_smtp_session_want_close(const MmSmtpSession *s);

/* TRUE after the 220 to STARTTLS: send the output, do the handshake,
 * then call mm_smtp_session_tls_started() (or close on failure). */
gboolean mm_smtp_session_want_starttls(const MmSmtpSession *s);

/* The TLS handshake succeeded; @description names the session for
 * Received: (mm_tls_describe()). The client must say EHLO again. */
void mm_smtp_session_tls_started(MmSmtpSession *s, const char *description);

/* Milliseconds the caller should wait before it sends the output (after
 * a failed AUTH); reading it resets it to 0. */
guint mm_smtp_session_take_delay(MmSmtpSession *s);

MmSmtpWait mm_smtp_session_waiting_for(const MmSmtpSession *s);

/* TRUE between MAIL and the end of the transaction: a daemon that is
 * stopping lets such a session finish. */
gboolean mm_smtp_session_in_transaction(const MmSmtpSession *s);

/* Ends the session with 421: @enhanced and @text describe why
 * ("4.4.2", "timeout"). A message in progress is dropped. */
void mm_smtp_session_abort(MmSmtpSession *s, const char *enhanced, const char *text);

const char *mm_smtp_session_id(const MmSmtpSession *s);

/* Settles the client's name that MmSmtpPeer.name_pending announced:
 * @name is a host name already confirmed by the caller, or NULL when
 * there is none (Received: then says "unknown"). A message that waits
 * for it is committed now (its reply joins the output), and the input
 * held meanwhile is acted on. Copies @name. */
void mm_smtp_session_set_peer_name(MmSmtpSession *s, const char *name);

/* The commit that commit_start was handed @msg for is over: @error
 * NULL when the message is in the queue (250), else why not
 * (MM_ERROR_TEMPORARY gives 452 4.3.1). The reply joins the output,
 * and the input held meanwhile is acted on. */
void mm_smtp_session_commit_done(MmSmtpSession *s, const MmMessage *msg, const GError *error);

/* TRUE while the session waits, for the client's name or for the
 * commit of its message: the caller should read no more input until
 * that is settled (what it feeds meanwhile is held, up to
 * MM_SMTP_HELD_INPUT_MAX). */
gboolean mm_smtp_session_paused(const MmSmtpSession *s);

/* TRUE while a complete message waits for the client's name: the
 * caller should read no more input until mm_smtp_session_set_peer_name()
 * (what it feeds meanwhile is held, up to MM_SMTP_HELD_INPUT_MAX). */
gboolean mm_smtp_session_want_name(const MmSmtpSession *s);
