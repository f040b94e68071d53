/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * deliver_cmd.c: the delivering half of masqmail's sendmail command
 * line (-bm). submit.c queues the message; then, unless -odq or
 * do_queue say to queue only, it goes to the running daemon or,
 * without one, is delivered at once (deliver.h) under the lock it was
 * written with. The sendmail program (sendmail.c) has no delivery of
 * its own: it runs masqmail for the cases that end here.
 */
#include "config.h"

#include <errno.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/submit.h"
#include "deliver/deliver.h"
#include "queue/spool.h"

/* The message is queued and locked: deliver it now, in the
 * foreground. Whatever happens, it is accepted; what is not delivered
 * waits in the queue for the next run. */
static void
deliver_now(const MmConf *conf, MmMessage *msg)
{
	g_autoptr(MmDeliverRun) run = mm_deliver_run_new(conf);
	g_autoptr(GError) error = NULL;

	if (!mm_deliver_message(run, msg, NULL, &error))
		mm_log(LOG_ERR, "%s", error->message);
}

/* -odb: a child delivers while the caller gets its exit status at once.
 * The child inherits the message's lock (an OFD lock stays with the
 * open file, not with the process that took it). When the fork fails
 * the message is still queued, so only the delivery waits. */
static void
deliver_in_background(const MmConf *conf, MmMessage *msg)
{
	pid_t pid = fork();

	if (pid < 0) {
		mm_log(LOG_WARNING, "%s: cannot fork to deliver in the background (%s); it stays queued",
		       msg->uid, g_strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	setsid();
	mm_fs_stdio_to_null(TRUE);
	mm_log_set_stderr(FALSE);
	deliver_now(conf, msg);
	_exit(EX_OK);
}

/* Tells a running daemon that message *@msg is queued
 * (mm_submit_hand_over()). TRUE when nothing is left to do here: the
 * daemon took the message, or somebody else (a delivery, a queue run)
 * holds it now. FALSE: deliver here, under *@lock, the message as
 * *@msg has it; when the lock was let go meanwhile, *@msg is read from
 * the spool again, as another process may have delivered some of it. */
static gboolean
hand_over(const MmConf *conf, MmMessage **msg, MmSpoolLock **lock)
{
	g_autofree char *uid = g_strdup((*msg)->uid);
	g_autoptr(GError) error = NULL;
	MmMessage *again;

	if (mm_submit_hand_over(conf, uid, lock))
		return TRUE;
	if (*lock)
		return FALSE;
	*lock = mm_spool_lock(conf->spool_dir, uid, &error);
	if (!*lock) {
		if (!g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED) &&
		    !g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND))
			mm_log(LOG_WARNING, "%s: cannot lock it again (%s); it stays queued", uid, error->message);
		return TRUE;
	}
	again = mm_spool_read(conf->spool_dir, uid, TRUE, &error);
	if (!again) {
		mm_log(LOG_WARNING, "%s: cannot read it again (%s); it stays queued", uid, error->message);
		return TRUE;
	}
	mm_message_free(*msg);
	*msg = again;
	return FALSE;
}


int
mm_cmd_accept(const MmOptions *opts, const MmConf *conf)
{
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	const gboolean queue_only = opts->queue_only || conf->do_queue;
	/* Keep the lock from the moment the message is visible until it
	 * is delivered, so that no queue run takes it meanwhile. */
	int status = mm_submit_queue(opts, conf, !queue_only, &msg, &lock);

	if (status != EX_OK || queue_only)
		return status;
	if (hand_over(conf, &msg, &lock))
		return EX_OK;
	if (opts->background)
		deliver_in_background(conf, msg);
	else
		deliver_now(conf, msg);
	return EX_OK;
}
