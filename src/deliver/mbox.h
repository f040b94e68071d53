/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Delivery into an mbox file, mail_dir/USER, as masqmail 1.0 writes it
 * (see render.h for the format: From line, mboxo ">From " quoting, an
 * empty line after each message).
 *
 * The delivery runs with the recipient's ids (mm_mbox_deliver_as()
 * forks and switches when root), so the kernel checks what it may
 * write; on top of that the mailbox is opened without following
 * symbolic links and must be a regular file with one link, owned by
 * the delivering user. A new mailbox is made with O_EXCL, mode 0600.
 * It is locked with FILE.lock (dotlock.h) and an fcntl() write lock,
 * the message is appended, fsync'ed, and on any failure the file is
 * cut back to its old size.
 *
 * Every failure is MM_ERROR_TEMPORARY or MM_ERROR_LOCKED (the message
 * is deferred: a mailbox an administrator can repair is no reason to
 * bounce) except a user name that cannot be a file name,
 * MM_ERROR_FAILED.
 */
#pragma once

#include <glib.h>

#include "deliver/pipe.h"
#include "deliver/render.h"
#include "msg/address.h"
#include "msg/message.h"

typedef struct {
	/* the recipient as the envelope named it, for Envelope-to:; NULL
	 * leaves that header out */
	const MmAddress *envelope_to;
	/* how long to wait for each of the two locks; 0:
	 * MM_MBOX_LOCK_WAIT_SECS seconds */
	guint lock_timeout_ms;
	/* the From line's date; 0 for now */
	gint64 from_time;
} MmMboxOptions;

/* mail_dir/USER, or NULL with MM_ERROR_FAILED when @user cannot be a
 * mailbox name (empty, '/', a leading '.', control characters). */
char *mm_mbox_path(const char *mail_dir, const char *user, GError **error);

/* Appends @msg (body loaded) to the mbox @path as the current user;
 * @opts may be NULL. See above for the checks and errors. */
gboolean mm_mbox_deliver(const char *path, const MmMessage *msg, const MmMboxOptions *opts,
                         GError **error);

/* mm_mbox_deliver() in a child process that has become @who first
 * (when root; see MmRunAs). */
gboolean mm_mbox_deliver_as(const MmRunAs *who, const char *path, const MmMessage *msg,
                            const MmMboxOptions *opts, GError **error);
