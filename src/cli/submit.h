/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The two steps of the sendmail command line that need no delivery
 * code (submit.c): queueing the message of standard input, and
 * telling a running daemon about it. masqmail's -bm (deliver_cmd.c)
 * and the sendmail program (sendmail.c) share them.
 */
#pragma once

#include "cli/options.h"
#include "conf/conf.h"
#include "msg/message.h"
#include "queue/spool.h"

/* Reads the message from standard input for the calling user (the
 * sender, -f, -F, -t, -i of @opts), completes it and commits it to the
 * spool, logging "UID <= ..." when it is on disk. With @keep_lock the
 * message is written locked and *@lock_out holds the lock. Returns
 * EX_OK with *@msg_out (when not NULL) the queued message, or the
 * sysexits(3) status of the failure, which is printed on stderr. */
int mm_submit_queue(const MmOptions *opts, const MmConf *conf, gboolean keep_lock, MmMessage **msg_out,
                    MmSpoolLock **lock_out);

/* TRUE when the daemon's control socket is there: a daemon runs, or
 * died and left it (mm_submit_hand_over() tells the two apart). */
gboolean mm_submit_daemon_listens(const MmConf *conf);

/* Tells the running daemon that message @uid is queued: QUEUED on the
 * control socket. The lock *@lock (when held) is let go first, so that
 * the daemon's delivery can take it, unless there is no socket at all.
 * TRUE when the daemon took the message. FALSE when it is this
 * process's to deliver: no socket (*@lock untouched), or a daemon that
 * did not answer or refused (logged: "delivering here"; *@lock is then
 * NULL). When the daemon is dead but its socket is left, a queue run
 * (a restarted daemon's) may take the message in that gap; that is
 * harmless: it delivers under the lock and reads the -H again under
 * it, as the delivery here must too, so no recipient goes twice
 * (tests/integration/crash-handover-window.sh). */
gboolean mm_submit_hand_over(const MmConf *conf, const char *uid, MmSpoolLock **lock);
