/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Delivery into a maildir (new in this masqmail; masqmail 1.0 has
 * mbox and MDA only): DIR/tmp, DIR/new and DIR/cur are made when
 * missing (mode 0700), the message is written to tmp/NAME with O_EXCL,
 * fsync'ed, renamed to new/NAME, and new/ is fsync'ed. NAME is
 * "SECONDS.M<microseconds>P<pid>Q<counter>.HOST", unique per host; a
 * '/' or ':' in the host name is written \057 or \072 as the maildir
 * convention asks. The message has Return-path: (and Envelope-to:
 * when given) but no From line and no quoting: maildir needs neither.
 *
 * Like mbox delivery it runs with the recipient's ids; DIR and its
 * subdirectories are opened without following symbolic links and must
 * belong to the delivering user. Failures are MM_ERROR_TEMPORARY.
 */
#pragma once

#include <glib.h>

#include "deliver/pipe.h"
#include "msg/address.h"
#include "msg/message.h"

/* Delivers @msg (body loaded) into the maildir @dir (its parent must
 * exist) as the current user. @envelope_to may be NULL. On success
 * *@name (when not NULL) is the new file's name in new/ (caller
 * frees). */
gboolean mm_maildir_deliver(const char *dir, const MmMessage *msg, const MmAddress *envelope_to,
                            char **name, GError **error);

/* mm_maildir_deliver() in a child process that has become @who first
 * (when root; see MmRunAs). */
gboolean mm_maildir_deliver_as(const MmRunAs *who, const char *dir, const MmMessage *msg,
                               const MmAddress *envelope_to, GError **error);
