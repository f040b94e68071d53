/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Message ids ("UIDs"), the names of spool entries. They keep the shape
 * of masqmail 1.0's ids, "TTTTTT-PPP-CC": the time in seconds, the
 * process id and a counter, each in base 62 ("0-9A-Za-z", so that ids
 * compare in the order they were made). Unlike 1.0 they are unique by
 * construction across processes and across many messages a second.
 */
#pragma once

#include <glib.h>

/* Length of the ids made here: 6 + 1 + 4 + 1 + 3. */
#define MM_UID_LEN 15

/* Messages one process can name per second (62^3). Past that it waits
 * for the next second. */
#define MM_UID_PER_SECOND 238328

/* A new id, different from every id this or any other process on the
 * host made or will make (as long as the clock does not go backwards
 * by more than the process lives). Thread-safe. Caller frees. */
char *mm_uid_new(void);

/* The id for the @seq-th message (0 <= @seq < MM_UID_PER_SECOND) of
 * process @pid in second @epoch. Exposed for tests. Caller frees. */
char *mm_uid_format(gint64 epoch, guint pid, guint seq);

/* TRUE when @uid may name a spool entry: 1 to MM_SPOOL_UID_MAX
 * characters of [0-9A-Za-z-], not starting with '-'. Ids from the
 * command line (-Mrm) and from directory listings are checked with
 * this before they become part of a path. */
gboolean mm_uid_is_valid(const char *uid);
