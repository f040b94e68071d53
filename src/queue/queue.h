/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The queue as the user sees it: the listing of -bp / mailq in
 * masqmail 1.0's format, removal for -Mrm / mailrm, and the removal of
 * what interrupted writes leave behind. Reading and removing go through
 * spool.h; nothing here touches files itself.
 *
 * Listing format (one block per message, oldest first):
 *
 *   UID <= <return-path> size=DS age=AGE host=RH ident=ID
 *                 == <pending recipient>
 *                 => <delivered recipient>
 *                 != <failed recipient>
 *
 * size, age, host and ident appear only when known; AGE is "12s",
 * "3.5m", "2.0h" or "1.5d". An empty queue is "mail queue is empty.".
 */
#pragma once

#include <glib.h>

#include "msg/message.h"

/* Appends the listing of @msg at time @now (epoch seconds) to @out. */
void mm_queue_format_message(const MmMessage *msg, gint64 now, GString *out);

/* The age as 1.0 shows it: seconds up to a minute, then minutes, hours
 * and days with one decimal. Caller frees. */
char *mm_queue_format_age(gint64 seconds);

/* Appends the listing of every readable message in @spool_dir to @out.
 * Damaged entries (see mm_spool_read(); an -H without its -D is one)
 * are not listed; one line per such entry ("UID: damaged spool entry,
 * skipped: why") goes to @problems when non-NULL. The leftovers of
 * interrupted writes (a -D without -H, an -H.tmp) are not messages and
 * are not mentioned: mm_queue_collect_orphans() removes them. Messages
 * that vanish while we list (delivered meanwhile) are skipped quietly.
 * Returns FALSE only when the spool cannot be listed at all (errno-based
 * error). */
gboolean mm_queue_list(const char *spool_dir, gint64 now, GString *out, GString *problems,
                       GError **error);

/* mm_queue_list() at the current time, with the problem lines written
 * to stderr: what mailq prints. */
gboolean mm_queue_print(const char *spool_dir, GString *out, GError **error);

/* Removes message @uid (mailrm, -Mrm). With @owner NULL (a privileged
 * caller) any message goes, damaged ones too. With @owner set (the
 * invoking user's login name) only a message that user submitted
 * locally goes: its ID: must be @owner and it must not have come in
 * over the network, as in 1.0. Takes the message's lock first.
 * Errors: MM_ERROR_PARSE (not a message id), MM_ERROR_NOT_FOUND,
 * MM_ERROR_LOCKED (being delivered), MM_ERROR_PERMISSION (not the
 * owner's), MM_ERROR_CORRUPT (owner check on a damaged entry),
 * MM_ERROR_TEMPORARY (removal not made durable). */
gboolean mm_queue_remove(const char *spool_dir, const char *uid, const char *owner, GError **error);

/* How long an empty -D without its -H is kept before it counts as a
 * leftover: a writer creates the -D and locks it the next moment, and
 * one that is stopped (or suspended with the machine) in between must
 * not lose its file. The clock may jump meanwhile; an hour is far more
 * than the two system calls take. -D files with data and -H.tmp files
 * need no wait (mm_spool_remove_orphan()). */
#define MM_QUEUE_ORPHAN_GRACE_SECS 3600

/* Removes the leftovers of interrupted writes and removals from
 * @spool_dir (mm_spool_remove_orphan() with MM_QUEUE_ORPHAN_GRACE_SECS
 * at time @now, epoch seconds), logging one line per file removed.
 * Messages that are locked are left alone. Failures are logged here:
 * nothing waits on them. Returns the number of files removed. Called
 * at the start of the daemon and of every queue run. */
guint mm_queue_collect_orphans(const char *spool_dir, gint64 now);
