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
 *     pipe items); remote results go through the run's routes
 *     (remote.h), from the one hand-over point in deliver.c;
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
 *   UID => RESULT <ORIGINAL> with METHOD          (local)
 *   UID => RESULT <ORIGINAL> route=NAME host=HOST (remote; no host= for
 *                                                  a pipe route)
 *   UID == RESULT <ORIGINAL> deferred: REASON
 *   UID !! RESULT <ORIGINAL> failed: REASON
 *   UID completed
 * (<ORIGINAL> only when aliasing changed the address.) A remote
 * recipient that no route took waits silently: that is the normal
 * state of mail while offline.
 *
 * Remote results: delivered only after the relay's final 2xx to the
 * message (the SMTP client guarantees it); a 5xx fails the recipient
 * and its notice carries the relay's reply (Remote-MTA and
 * Diagnostic-Code of RFC 3464); everything else defers, with warnings
 * and max_defer_time as for local deferrals.
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
#include "deliver/online.h"
#include "msg/message.h"
#include "queue/spool.h"

/* State shared by the deliveries of one queue run or one submission:
 * the configuration, the clock, what was already said in the log, and
 * the routes with their open SMTP sessions, so that one connection to
 * a host carries every message of the run that goes there. */
typedef struct MmDeliverRun MmDeliverRun;

/* A new run over @conf (borrowed; must outlive the run): local
 * deliveries, and remote ones through the routes that
 * mm_online_routes() gives without a request (the permanent routes,
 * then the connection online_query names), found when the first
 * remote recipient comes up; when they cannot be found that is logged
 * once and the remote recipients wait. Free with mm_deliver_run_free(),
 * which ends the run's SMTP sessions (QUIT) and its remote worker. */
MmDeliverRun *mm_deliver_run_new(const MmConf *conf);
void mm_deliver_run_free(MmDeliverRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmDeliverRun, mm_deliver_run_free)

/* The configuration the run was made with (borrowed). */
const MmConf *mm_deliver_run_conf(const MmDeliverRun *run);

/* Remote recipients go through @routes (MmRoute*, in the order to
 * try; the run takes a reference). An empty array means nothing is
 * online: remote recipients wait. Call it before the first delivery;
 * sessions opened before are ended. */
void mm_deliver_run_set_routes(MmDeliverRun *run, GPtrArray *routes);

/* The routes of mm_online_routes(@req) for the run, as
 * mm_deliver_run_set_routes(). An online_query that cannot be started
 * is logged and counts as offline (the permanent routes stay): a
 * helper that is missing for a while must not hold back the rest.
 * FALSE with the other errors of mm_online_routes(): MM_ERROR_NOT_FOUND
 * when @req->only is no query_routes name, MM_ERROR_CONFIG for a route
 * file that does not load or an online_query that is no command. */
gboolean mm_deliver_run_use_online(MmDeliverRun *run, const MmOnlineRequest *req, GError **error);

/* Where remote deliveries run. The code that reads the relays'
 * replies never runs as root: a root process hands them to one worker
 * process per run, which becomes the mail user (MM_USER, MM_GROUP) for
 * good before it opens a connection and keeps the run's sessions
 * (remote_worker.h). When the worker cannot be started, or dies, or
 * misbehaves, the remote recipients it did not answer for are
 * deferred: never delivered as root instead. */
typedef enum {
	MM_DELIVER_WORKER_AUTO,     /* a worker when root and not run_as_user (the default) */
	MM_DELIVER_WORKER_OFF,      /* in this process */
	MM_DELIVER_WORKER_ON,       /* a worker as the mail user, whoever we are (fails
	                             * unless root) */
	MM_DELIVER_WORKER_SAME_IDS, /* a worker that keeps our ids: the worker path
	                             * without root, for the daemon's deliveries
	                             * with run_as_user and for tests */
} MmDeliverWorker;

/* A worker is also what lets a process stop its transfers at once when
 * a link goes down (mm_remote_worker_link_down(), from a signal
 * handler): the worker is killed, the recipients it did not finish are
 * deferred, and the rest of the delivery (local results, the -H file)
 * goes on as usual. Deliveries in this process cannot be stopped so;
 * they only try nothing more after it. */

/* Call it before the first delivery. */
void mm_deliver_run_set_worker(MmDeliverRun *run, MmDeliverWorker mode);

/* Messages that are done go through @remover (borrowed; NULL, the
 * default: removed in place, mm_spool_remove_whole()) when their
 * caller gave their locks to mm_deliver_messages(): a queue run's
 * session then goes on while the files are freed (spool.h). */
void mm_deliver_run_set_remover(MmDeliverRun *run, MmSpoolRemover *remover);

/* With FALSE, local results (mailboxes, MDAs, pipes, log_user's copy)
 * are not tried and stay pending: -qo sends remote mail only, as 1.0
 * does. TRUE by default. */
void mm_deliver_run_set_local(MmDeliverRun *run, gboolean deliver_local);

/* Fixes "now" (epoch seconds) for the warning and max_defer_time
 * decisions and TW:, for tests; 0 goes back to the clock. */
void mm_deliver_run_set_now(MmDeliverRun *run, gint64 now);

/* What happened to one message. Counts are of recipients after alias
 * expansion (results), for this attempt. */
typedef struct {
	guint delivered;
	guint failed;      /* for good: notified (or the message was a notice) */
	guint deferred;    /* tried, to be tried again */
	guint waiting;     /* not tried: no route took them (or local
	                    * ones in a run without local deliveries) */
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

/* Delivers @n messages as mm_deliver_message() does each, but hands
 * the remote recipients of all of them to the routes at once
 * (deliver_remote() in deliver.c; remote.h): the messages that go
 * through the same route to the same host share one session, each
 * message's commands pipelined behind the previous one's end. Local
 * results, the new states, notices and the spool stay per message: a
 * message's -H file is written (or the message removed) as soon as its
 * own remote results are final, while the session goes on with the
 * messages behind it, so that a run that dies leaves each message
 * either marked or untouched. Failure notices queued on the way are
 * delivered after the batch. @reports (room for @n, or NULL) and @errors (room for @n
 * GError*, each NULL on entry, or NULL) are per message, as the
 * report and error of mm_deliver_message(). @locks (room for @n, or
 * NULL) are the messages' locks, which the caller holds: with a
 * remover (mm_deliver_run_set_remover()) a message that is removed
 * goes to it with its lock, and its slot becomes NULL. Returns the
 * number of messages whose spool could not be brought up to date. */
guint mm_deliver_messages(MmDeliverRun *run, MmMessage *const *msgs, MmSpoolLock **locks, guint n,
                          MmDeliverReport *reports, GError **errors);
