/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Dot-locks: FILE.lock beside a mailbox FILE, the lock that mail
 * readers (mutt, mailx, procmail, Python's mailbox) check. The lock
 * file holds the pid of its owner. A lock older than
 * MM_DOTLOCK_STALE_SECS whose owner no longer runs (or that names no
 * pid) is taken as left over from a crash and removed.
 */
#pragma once

#include <glib.h>

typedef struct MmDotlock MmDotlock;

/* Creates @file.lock (O_EXCL, O_NOFOLLOW, mode 0600), trying again
 * every 100 ms for up to @timeout_ms. Returns the held lock, or NULL
 * with MM_ERROR_LOCKED (someone else holds it; the message says who) or
 * MM_ERROR_TEMPORARY (the lock cannot be made, e.g. the directory is
 * not writable). */
MmDotlock *mm_dotlock_acquire(const char *file, guint timeout_ms, GError **error);

/* The path of the lock file (owned by @lock). */
const char *mm_dotlock_path(const MmDotlock *lock);

/* Removes the lock file and frees @lock. NULL is allowed. */
void mm_dotlock_release(MmDotlock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmDotlock, mm_dotlock_release)
