/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * runner.c owns the order and the locking of a queue run; what
 * happens to a message's recipients is deliver.c's business.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "queue/runner.h"
#include "queue/spool.h"

/* Delivers message @uid if nobody else holds it. */
static void
run_one(MmDeliverRun *run, const char *spool_dir, const char *uid, MmQueueRunStats *stats)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autoptr(MmMessage) msg = NULL;
	MmDeliverReport report;

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
	if (!mm_deliver_message(run, msg, &report, &error)) {
		mm_log(LOG_ERR, "%s", error->message);
		stats->errors++;
		return;
	}
	if (report.removed)
		stats->completed++;
}

gboolean
mm_queue_run(MmDeliverRun *run, MmQueueRunStats *stats, GError **error)
{
	g_autoptr(GPtrArray) uids = NULL;
	MmQueueRunStats scratch;
	const char *spool_dir;

	g_return_val_if_fail(run != NULL, FALSE);
	spool_dir = mm_deliver_run_conf(run)->spool_dir;
	if (stats == NULL)
		stats = &scratch;
	memset(stats, 0, sizeof *stats);

	uids = mm_spool_list_uids(spool_dir, error);
	if (uids == NULL)
		return FALSE;
	stats->messages = uids->len;
	mm_log(LOG_NOTICE, "queue run started: %u message(s)", uids->len);
	/* ids sort by the time they were made: oldest first */
	for (guint i = 0; i < uids->len; i++)
		run_one(run, spool_dir, uids->pdata[i], stats);
	/* what a crash, or a directory that could not be synced after a
	 * message's -H was removed, left behind */
	mm_spool_remove_orphans(spool_dir, g_get_real_time() / G_USEC_PER_SEC, MM_SPOOL_ORPHAN_AGE_SECS);
	mm_log(LOG_NOTICE, "queue run finished: %u completed, %u skipped (locked), %u damaged, %u errors",
	       stats->completed, stats->locked, stats->damaged, stats->errors);
	return TRUE;
}
