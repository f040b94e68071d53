/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Delivering one queued message: what happens to each of its pending
 * recipients, and what the spool says afterwards.
 *
 * For a message (locked by the caller, body loaded):
 *  1. the pending recipients (RT: with ' ') and log_user are expanded
 *     through alias_file and globalias_file, read now; RT:X and RT:F
 *     lines are what earlier runs finished and are not delivered again
 *     (alias.h);
 *  2. local results are delivered (local_rcpt.h: mbox, maildir, MDA,
 *     pipe items); remote results go to the one hand-over point for
 *     routes in deliver.c;
 *  3. an original recipient becomes RT:X when all its results were
 *     delivered and RT:F when its expansion or one of its results
 *     failed for good (a failure notice goes to the return path, unless
 *     the message is itself one); while some result is still deferred
 *     it stays pending, and the results already delivered are written
 *     as extra RT:X lines (RT:F for failed ones) exactly as masqmail
 *     1.0 does, so a later run skips them and a 1.0 spool reads the
 *     same;
 *  4. deferred recipients get a warning at warn_intervals (TW: notes
 *     when) and fail after max_defer_time (bounce.h decides which);
 *  5. the -H file is written back, or the message is removed when
 *     nothing is pending.
 * Failure notices and warnings are queued (durably, before the -H
 * file records the failure: a crash repeats a notice, never loses it)
 * and then delivered like any other message.
 *
 * Log lines, one per recipient and attempt, grep-able:
 *   UID => RESULT <ORIGINAL> with METHOD
 *   UID == RESULT <ORIGINAL> deferred: REASON
 *   UID !! RESULT <ORIGINAL> failed: REASON
 *   UID completed
 * (<ORIGINAL> only when aliasing changed the address.)
 *
 * log_user gets a copy of every message, once: its delivered copy is
 * recorded like an alias result. A copy that fails is logged, never
 * bounced to the sender, and does not keep the message in the queue.
 *
 * Deliveries block: call this from a one-shot mode or a delivery
 * process, never from the daemon's main loop.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "msg/message.h"

/* State shared by the deliveries of one queue run or one submission:
 * the configuration, the clock, what was already said in the log. */
typedef struct MmDeliverRun MmDeliverRun;

/* A new run over @conf (borrowed; must outlive the run). Free with
 * mm_deliver_run_free(). */
MmDeliverRun *mm_deliver_run_new(const MmConf *conf);
void mm_deliver_run_free(MmDeliverRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmDeliverRun, mm_deliver_run_free)

/* The configuration the run was made with (borrowed). */
const MmConf *mm_deliver_run_conf(const MmDeliverRun *run);

/* Fixes "now" (epoch seconds) for the warning and max_defer_time
 * decisions and TW:, for tests; 0 goes back to the clock. */
void mm_deliver_run_set_now(MmDeliverRun *run, gint64 now);

/* What happened to one message. Counts are of recipients after alias
 * expansion (results), for this attempt. */
typedef struct {
	guint delivered;
	guint failed;      /* for good: notified (or the message was a notice) */
	guint deferred;    /* tried, to be tried again */
	guint waiting;     /* remote, not tried: no route took them */
	gboolean removed;  /* nothing was left: the message is gone from the spool */
	gboolean bounced;  /* a failure notice was queued */
	gboolean warned;   /* a warning was queued */
} MmDeliverReport;

/* Delivers @msg, which is in the spool of the run's configuration,
 * read with its body, and locked by the caller (who keeps the lock
 * until this returns). Updates @msg's recipient states and warned
 * time as written to the spool. @report may be NULL.
 *
 * Returns FALSE only when the spool could not be brought up to date
 * (MM_ERROR_TEMPORARY and the like from spool.h): the deliveries made
 * will then be made again by a later run (a duplicate, never a loss).
 * Failing recipients are not errors: see @report and the log. */
gboolean mm_deliver_message(MmDeliverRun *run, MmMessage *msg, MmDeliverReport *report,
                            GError **error);
