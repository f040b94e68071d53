/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Privileges of the masqmail process. The binary may be installed
 * set-uid or set-gid; anything a caller can choose that changes what
 * the program trusts (-C, --state-dir) makes it give up that privilege
 * first, permanently.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* TRUE when the real user is root, the mail user, or a member of the
 * mail group: those may act for others (-f, -Mrm of others' messages). */
gboolean mm_priv_caller_is_trusted(const char *mail_user, const char *mail_group);

/* TRUE when the effective ids differ from the real ones. */
gboolean mm_priv_is_setid(void);

/* Gives up set-uid/set-gid privilege for good: supplementary groups,
 * gid and uid all become the caller's real ones, and the result is
 * checked. FALSE with an error when any step failed (the caller must
 * then stop). */
gboolean mm_priv_drop_to_caller(GError **error);

/* Becomes @uid/@gid with @user's supplementary groups, for good. */
gboolean mm_priv_become(uid_t uid, gid_t gid, const char *user, GError **error);
