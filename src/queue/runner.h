/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One queue run: every message in the spool, oldest first, each
 * locked while it is delivered (deliver.h). A message that another
 * process holds (a runner, a submission still delivering, a daemon) is
 * skipped, not waited for: that process is delivering it. Damaged
 * entries are logged and left for the administrator.
 *
 * The MmDeliverRun carries the routes and their SMTP sessions from one
 * message to the next, so a relay sees one connection for the whole
 * run. The messages are taken in batches (MM_QUEUE_BATCH_MAX messages,
 * MM_QUEUE_BATCH_BYTES of bodies, limits.h), held locked together and
 * handed to mm_deliver_messages(), so that the messages of a batch go
 * to a relay pipelined behind each other; each message's -H file is
 * written as soon as that message's results are final, not at the end
 * of the batch or the run, so that a run that dies repeats at most the
 * message whose reply it was reading. A message that is done leaves the
 * queue there and then (its -H is unlinked); its data file and its lock
 * go to the run's remover thread (spool.h: MmSpoolRemover), which frees
 * them while the session goes on and is drained before the run returns.
 *
 * The one-shot modes (-q, -qo, runq) and the daemon's runs call this;
 * it blocks until the run is over.
 */
#pragma once

#include <glib.h>

#include "deliver/deliver.h"

typedef struct {
	guint messages;   /* messages in the queue when the run started */
	guint locked;     /* skipped: held by another process */
	guint completed;  /* delivered or failed for good and removed */
	guint damaged;    /* could not be read: left alone */
	guint errors;     /* could not be brought up to date in the spool */
} MmQueueRunStats;

/* Runs over the queue of the run's configuration once, delivering
 * each message with @run. @stats may be NULL. Returns FALSE only when
 * the queue cannot be listed (an errno-based error); what happens to
 * single messages is in @stats and the log. */
gboolean mm_queue_run(MmDeliverRun *run, MmQueueRunStats *stats, GError **error);

/* The same over the messages whose id contains @id_part (-qI; every
 * message when NULL). The sendmail program runs it with a whole id to
 * get one message delivered that no daemon took. */
gboolean mm_queue_run_matching(MmDeliverRun *run, const char *id_part, MmQueueRunStats *stats,
                               GError **error);
