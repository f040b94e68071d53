/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Failure notices (bounces) and delay warnings: new messages from the
 * null sender <> to a message's return path, made from the errmsg_file
 * and warnmsg_file templates (deliver/template.h), and the rule that
 * says when a deferred message is due for a warning or has waited too
 * long.
 *
 * Besides the variables of mda (uid, received_host, ident, return_path,
 * return_path_local, return_path_domain, host_name, package, version)
 * and 1.0's err_msg (the reasons, one per line), a template may use:
 *
 *   ${boundary}       a MIME boundary that occurs nowhere in the
 *                     returned headers or body ("UID/HOST_NAME", as the
 *                     1.0 templates spell it, when that is free);
 *   ${returned_type}  "message/rfc822", or "text/rfc822-headers" when
 *                     the body is longer than MM_BOUNCE_BODY_MAX and
 *                     @msg_body leaves it out (RFC 3462);
 *
 * and, at the start of a line, the lists
 *
 *   @failed_rcpts     each recipient on a line of its own after a tab,
 *                     then its reason indented below it;
 *   @msg_headers      the header fields of the message as queued;
 *   @msg_body         its body (nothing when too long, see above);
 *   @delivery_status  the content of an RFC 3464 message/delivery-status
 *                     part: Reporting-MTA and Arrival-Date, then one
 *                     block per recipient (Final-Recipient, Action,
 *                     Status, Remote-MTA, Diagnostic-Code, and for a
 *                     delay Will-Retry-Until).
 *
 * bounce.c never writes the spool and never logs a failure: it returns
 * the new message, or an error for the caller to decide on.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "msg/message.h"

typedef struct {
	const MmRecipient *rcpt;
	const char *reason;       /* for the sender to read; NULL: the remote reply */
	const char *status;       /* RFC 3463 "5.1.1", or NULL: derived */
	const char *remote_reply; /* the relay's reply, lines joined by "\n"; NULL when local */
	const char *remote_mta;   /* the relay's host name; NULL when local or unknown */
} MmBounceRcpt;

typedef enum {
	MM_BOUNCE_FAILURE, /* errmsg_file, Action: failed, Status 5.x.y */
	MM_BOUNCE_WARNING, /* warnmsg_file, Action: delayed, Status 4.x.y */
} MmBounceKind;

/* TRUE when @msg is itself a notice (its return path is <>). Such a
 * message is never bounced or warned about: a notice that cannot be
 * delivered would otherwise bounce between two mail systems forever. */
gboolean mm_bounce_is_bounce(const MmMessage *msg);

/* The notice of @kind about @msg for the @n (at least one) recipients
 * @rcpts, from the template that @conf names: a complete new message
 * (a new uid, return path <>, the recipient @msg's return path, the
 * header fields of the template with what mm_accept_prepare() adds,
 * and the body) ready for mm_spool_write(). When a template uses
 * @msg_body and @msg has no body loaded, the body is read from
 * conf->spool_dir. Caller frees.
 *
 * Errors: MM_ERROR_FAILED "not bouncing a bounce" when @msg is a notice
 * itself (the caller marks the recipients failed and logs, nothing
 * else); MM_ERROR_CONFIG when the template is missing, unreadable, too
 * long or does not expand; MM_ERROR_TEMPORARY when reading it failed
 * for a passing reason; errors of mm_spool_read() when the body could
 * not be read. */
MmMessage *mm_bounce_new_failure(const MmConf *conf, const MmMessage *msg,
                                 const MmBounceRcpt *rcpts, guint n, GError **error);
MmMessage *mm_bounce_new_warning(const MmConf *conf, const MmMessage *msg,
                                 const MmBounceRcpt *rcpts, guint n, GError **error);

/* The text of a notice: the @len bytes of @template_text (read from
 * @file_name, used in messages) expanded for @msg and @rcpts as
 * mm_bounce_new_failure() and mm_bounce_new_warning() do it, before
 * anything is added to it. @msg must have its body loaded when the
 * template uses @msg_body. Caller frees. Errors as mm_template_expand(),
 * and MM_ERROR_FAILED for a notice about a notice. */
char *mm_bounce_expand(const MmConf *conf, MmBounceKind kind, const char *template_text,
                       gsize len, const char *file_name, const MmMessage *msg,
                       const MmBounceRcpt *rcpts, guint n, GError **error);

/* The RFC 3463 status code of @rcpt in a notice of @kind: rcpt->status
 * when it is a well-formed code; else the enhanced code of the remote
 * reply ("550 5.1.1 ..."), or "X.0.0" without one, where X is the
 * class of @kind (5 for a failure, 4 for a warning) whatever the reply
 * said: a deferred recipient that is given up on has failed for good.
 * Caller frees. */
char *mm_bounce_status(MmBounceKind kind, const MmBounceRcpt *rcpt);

typedef enum {
	MM_DEFER_WAIT, /* keep the message, say nothing */
	MM_DEFER_WARN, /* send a warning, then record the time as TW: */
	MM_DEFER_FAIL, /* give up: fail the recipients still pending */
} MmDeferAction;

/* What to do about a message whose delivery failed for the time being,
 * at @now, given its receive time (TR:) and the time of its last
 * warning (TW:, 0 when never warned), all in epoch seconds, as 1.0
 * decides it:
 *
 *  - FAIL when it has waited max_defer_time or longer;
 *  - WARN when it has waited longer than one of warn_intervals (counted
 *    from the receive time) and the last warning came before that
 *    interval had passed: at most one warning per interval, and after a
 *    long silence (no run for days) only one for all the intervals that
 *    passed meanwhile;
 *  - WAIT otherwise, and when the receive time is unknown (0) or in the
 *    future: without it there is no age to measure, and failing
 *    someone's mail on a guess is worse than keeping it. */
MmDeferAction mm_bounce_defer_action(const MmConf *conf, gint64 received_time,
                                     gint64 warned_time, gint64 now);
