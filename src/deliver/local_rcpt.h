/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * How one local recipient gets its mail: which method (mbox, maildir
 * or the MDA, chosen by mbox_default, mbox_users and mda_users), with
 * whose ids, into which file; and pipe items of aliases. It decides
 * and calls mbox.h, maildir.h and pipe.h; it does not mark recipients
 * or touch the spool (deliver.c does).
 *
 * Whose ids:
 *  - root (effective uid 0) delivers in a child that becomes the
 *    recipient, found with getpwnam(): mbox and maildir with the
 *    user's uid and, when mail_dir is a shared directory of a mail
 *    group (group-writable, not world-writable, as Debian's /var/mail
 *    is: root:mail 2775), with that group so that the mailbox can be
 *    made there; otherwise, and always for the MDA (a command the
 *    administrator chose but which may read user files), with the
 *    user's primary group. A local part that names no user fails.
 *  - Pipe items of aliases never run as root: as the mail user.
 *  - Not root: a delivery runs as the current user when that is whom
 *    it is for, or when run_as_user is set (then, as in masqmail 1.0,
 *    a mailbox need not belong to a known user). Otherwise it is
 *    deferred with "... needs root": nothing is written with the wrong
 *    ids.
 *
 * Maildir (new in this masqmail): mail_dir/USER is a maildir instead
 * of an mbox file when the method is "maildir".
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "msg/address.h"
#include "msg/message.h"

typedef enum {
	MM_LOCAL_METHOD_MBOX,
	MM_LOCAL_METHOD_MAILDIR,
	MM_LOCAL_METHOD_MDA,
} MmLocalMethod;

/* "mbox", "maildir" or "mda"; static. */
const char *mm_local_method_name(MmLocalMethod method);

/* The method for @user: mbox when mbox_users lists it, else the MDA
 * when mda_users lists it, else mbox_default ("mbox", "maildir" or
 * "mda"); user names compare without case, as in masqmail 1.0.
 * FALSE with MM_ERROR_CONFIG for an unknown mbox_default or when the
 * MDA is chosen but mda is not set. */
gboolean mm_local_rcpt_method(const MmConf *conf, const char *user, MmLocalMethod *method,
                              GError **error);

typedef enum {
	MM_LOCAL_IDS_SWITCH,  /* root: a child becomes the target user */
	MM_LOCAL_IDS_CURRENT, /* run with the ids the process has */
	MM_LOCAL_IDS_REFUSE,  /* not allowed: defer */
} MmLocalIds;

/* The rule above as a pure function: @euid is the process's effective
 * uid, @target the uid the delivery is for (or -1 when no user of that
 * name exists). */
MmLocalIds mm_local_rcpt_ids(uid_t euid, uid_t target, gboolean run_as_user);

/* The group a root-made mailbox delivery runs with: the group of
 * @mail_dir when that directory is a shared mail-group directory (see
 * above), else @user_gid. */
gid_t mm_local_rcpt_mailbox_gid(const struct stat *mail_dir, gid_t user_gid);

/* Delivers @msg (body loaded) to the local address @rcpt by the method
 * of its local part, writing Envelope-to: @original (the address the
 * envelope named before aliasing; NULL: @rcpt). On success *@method
 * (may be NULL) says how. Errors: MM_ERROR_FAILED (no such user, a
 * local part that cannot be a mailbox name, an MDA's permanent
 * failure), MM_ERROR_NOT_FOUND (root, and no user of that name) or a
 * temporary code (MM_ERROR_TEMPORARY, MM_ERROR_LOCKED,
 * MM_ERROR_CONFIG for a configuration to fix, MM_ERROR_PERMISSION when
 * the process may not deliver for that user). The message says why. */
gboolean mm_local_rcpt_deliver(const MmConf *conf, const MmMessage *msg, const MmAddress *rcpt,
                               const MmAddress *original, MmLocalMethod *method, GError **error);

/* Runs the pipe item @pipe ("|command ...", from an alias) for @msg as
 * the mail user (when root) with pipe_fromline and pipe_fromhack;
 * @original (may be NULL) gives the environment's LOCAL_PART, USER,
 * DOMAIN and Envelope-to:. Errors as mm_pipe_deliver(), and
 * MM_ERROR_PERMISSION when the process may not run it. */
gboolean mm_local_rcpt_deliver_pipe(const MmConf *conf, const MmMessage *msg, const char *pipe,
                                    const MmAddress *original, GError **error);

/* TRUE when @error means "try again later" for a local delivery:
 * everything but MM_ERROR_FAILED and MM_ERROR_NOT_FOUND. A configuration, lock or permission
 * problem is the administrator's to fix, not a reason to bounce. */
gboolean mm_local_rcpt_error_is_temporary(const GError *error);
