/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * runner.c owns the order, the locking and the batches of a queue
 * run; what happens to a message's recipients is deliver.c's business.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "queue/queue.h"
#include "queue/runner.h"
#include "queue/spool.h"

/* Messages locked and read, waiting to be delivered together. */
typedef struct {
	GPtrArray *msgs;   /* MmMessage* */
	GPtrArray *locks;  /* MmSpoolLock*, one per message */
	gsize bytes;       /* their bodies */
} Batch;

/* Delivers the batch (deliver.h: their remote recipients share the
 * sessions) and lets its messages go. */
static void
batch_flush(MmDeliverRun *run, Batch *b, MmQueueRunStats *stats)
{
	guint n = b->msgs->len;
	g_autofree MmDeliverReport *reports = NULL;
	g_autofree GError **errors = NULL;

	if (n == 0)
		return;
	reports = g_new0(MmDeliverReport, n);
	errors = g_new0(GError *, n);
	mm_deliver_messages(run, (MmMessage *const *)b->msgs->pdata, (MmSpoolLock **)b->locks->pdata, n,
	                    reports, errors);
	for (guint i = 0; i < n; i++) {
		if (errors[i] != NULL) {
			mm_log(LOG_ERR, "%s", errors[i]->message);
			stats->errors++;
			g_clear_error(&errors[i]);
		} else if (reports[i].removed) {
			stats->completed++;
		}
	}
	/* the locks go after the spool says what happened; those of
	 * removed messages went to the remover (NULL here) */
	g_ptr_array_set_size(b->msgs, 0);
	g_ptr_array_set_size(b->locks, 0);
	b->bytes = 0;
}

/* Locks and reads message @uid into @b if nobody else holds it,
 * delivering the batch first when the message would not fit. */
static void
take_one(MmDeliverRun *run, Batch *b, const char *spool_dir, const char *uid, MmQueueRunStats *stats)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autoptr(MmMessage) msg = NULL;
	gsize size;

	lock = mm_spool_lock(spool_dir, uid, &error);
	if (lock == NULL) {
		if (g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED)) {
			mm_debug(1, "%s is locked: skipped", uid);
			stats->locked++;
		} else if (!g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND)) {
			/* gone meanwhile is normal; anything else is not */
			mm_log(LOG_ERR, "%s: cannot lock: %s", uid, error->message);
			stats->errors++;
		}
		return;
	}
	/* read under the lock: the one who held it before may have
	 * changed the -H file or removed the message */
	msg = mm_spool_read(spool_dir, uid, TRUE, &error);
	if (msg == NULL) {
		if (g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND))
			return;
		mm_log(LOG_ERR, "%s: cannot read: %s", uid, error->message);
		stats->damaged++;
		return;
	}
	size = g_bytes_get_size(msg->body);
	if (b->msgs->len > 0 && b->bytes + size > MM_QUEUE_BATCH_BYTES)
		batch_flush(run, b, stats);
	g_ptr_array_add(b->msgs, g_steal_pointer(&msg));
	g_ptr_array_add(b->locks, g_steal_pointer(&lock));
	b->bytes += size;
	if (b->msgs->len >= MM_QUEUE_BATCH_MAX || b->bytes >= MM_QUEUE_BATCH_BYTES)
		batch_flush(run, b, stats);
}

gboolean
mm_queue_run(MmDeliverRun *run, MmQueueRunStats *stats, GError **error)
{
	return mm_queue_run_matching(run, NULL, stats, error);
}

gboolean
mm_queue_run_matching(MmDeliverRun *run, const char *id_part, MmQueueRunStats *stats, GError **error)
{
	g_autoptr(GPtrArray) uids = NULL;
	MmQueueRunStats scratch;
	const char *spool_dir;
	Batch batch = { 0 };
	g_autoptr(MmSpoolRemover) remover = NULL;
	g_autoptr(GError) drain_error = NULL;

	g_return_val_if_fail(run != NULL, FALSE);
	spool_dir = mm_deliver_run_conf(run)->spool_dir;
	if (stats == NULL)
		stats = &scratch;
	memset(stats, 0, sizeof *stats);

	mm_queue_collect_orphans(spool_dir, g_get_real_time() / G_USEC_PER_SEC);
	uids = mm_spool_list_uids(spool_dir, error);
	if (uids == NULL)
		return FALSE;
	if (id_part) {
		GPtrArray *all = g_steal_pointer(&uids);

		uids = g_ptr_array_new_with_free_func(g_free);
		for (guint i = 0; i < all->len; i++) {
			if (strstr(all->pdata[i], id_part))
				g_ptr_array_add(uids, g_strdup(all->pdata[i]));
		}
		g_ptr_array_unref(all);
	}
	stats->messages = uids->len;
	batch.msgs = g_ptr_array_new_with_free_func((GDestroyNotify)mm_message_free);
	batch.locks = g_ptr_array_new_with_free_func((GDestroyNotify)mm_spool_unlock);
	/* delivered messages are freed beside the sessions (spool.h) */
	remover = mm_spool_remover_new(spool_dir);
	mm_deliver_run_set_remover(run, remover);
	mm_log(LOG_NOTICE, "queue run started: %u message(s)", uids->len);
	/* ids sort by the time they were made: oldest first */
	for (guint i = 0; i < uids->len; i++)
		take_one(run, &batch, spool_dir, uids->pdata[i], stats);
	batch_flush(run, &batch, stats);
	g_ptr_array_unref(batch.msgs);
	g_ptr_array_unref(batch.locks);
	/* every removal done before the run says it is over */
	mm_deliver_run_set_remover(run, NULL);
	if (!mm_spool_remover_drain(remover, &drain_error)) {
		mm_log(LOG_ERR, "%s", drain_error->message);
		stats->errors++;
	}
	mm_log(LOG_NOTICE, "queue run finished: %u completed, %u skipped (locked), %u damaged, %u errors",
	       stats->completed, stats->locked, stats->damaged, stats->errors);
	return TRUE;
}
