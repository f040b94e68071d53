/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Accepting a message: turning the text a client handed over into an
 * MmMessage that is complete enough to be queued (the header fields an
 * MTA adds, the recipients of -t, Bcc removed). The only way into the
 * queue is through here and then mm_spool_write().
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "msg/message.h"

typedef enum {
	/* A line with a single "." ends the input and a leading ".." is
	 * unstuffed (the command line without -i/-oi). */
	MM_ACCEPT_DOT_ENDS = 1 << 0,
	/* -t: the addresses of To:, Cc: and Bcc: are added to the recipients. */
	MM_ACCEPT_RCPTS_FROM_HEADERS = 1 << 1,
	/* do_save_envelope_to: an incoming Envelope-to: is kept as X-Orig-Envelope-To:. */
	MM_ACCEPT_SAVE_ENVELOPE_TO = 1 << 2,
} MmAcceptFlags;

typedef struct {
	const char *host_name;  /* qualifies addresses, names this host in Received: */
	gint64 max_msg_size;    /* octets, 0 for no limit */
	guint flags;            /* MmAcceptFlags */
	const char *full_name;  /* -F: display name for a From: we add, may be NULL */
	uid_t uid;              /* the submitting user, for Received: of local mail */
	/* SMTP only, for Received: (RFC 5321 4.4); each may be NULL. With
	 * client_address or helo set the field says "from ... by ...". */
	const char *helo;           /* the name the client gave in HELO/EHLO */
	const char *client_name;    /* the client's host name, when known */
	const char *client_address; /* the client's IP address as text */
	const char *with;           /* RFC 3848 keyword: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA */
	const char *tls_cipher;     /* the TLS session, as the TLS module describes it */
	const char *auth_user;      /* the user name the client authenticated as */
} MmAcceptContext;

/* Reads a message from @fd until end of file (or the lone dot of
 * MM_ACCEPT_DOT_ENDS), CRLF or LF line ends, and splits it into header
 * fields and body into @msg. A final line without a line end is
 * completed. Errors: MM_ERROR_LIMIT beyond max_msg_size (the rest of the
 * input is not read), MM_ERROR_TEMPORARY for a read error, MM_ERROR_PARSE
 * for too many header fields. */
gboolean mm_accept_read_fd(int fd, MmMessage *msg, const MmAcceptContext *ctx, GError **error);

/* Splits complete message text (dot handling already done, LF or CRLF
 * line ends) into header fields and body of @msg. As for 1.0, header
 * fields end at the first empty line or at the first line that is
 * neither a field nor a continuation (then the body starts there). */
gboolean mm_accept_parse_text(MmMessage *msg, const char *text, gsize len, GError **error);

/* Completes @msg for the queue: gives it a uid, applies -t and removes
 * Bcc:, Return-Path: and Envelope-to:, adds From:, To:, Date:,
 * Message-ID: when missing and Received: on top, sets the received time
 * and data size. @msg must have its return path; recipients may come
 * from the arguments or -t. MM_ERROR_PARSE when it ends up without any
 * recipient, or when a -t header does not parse. */
gboolean mm_accept_prepare(MmMessage *msg, const MmAcceptContext *ctx, GError **error);

/* The date as RFC 5322 wants it, for @t (epoch seconds). Caller frees. */
char *mm_accept_rfc5322_date(gint64 t);
