/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The spool: masqmail 1.0's on-disk format, two files per message in
 * spool_dir/input/:
 *
 *   UID-H   the UID on the first line; the envelope ("MF:<path>", one
 *           "RT:" line per recipient with its state character ' ', 'X'
 *           or 'F', "PR:", "RH:", "ID:", "DS: n", "TR: n", "TW: n" and
 *           any key we do not know, kept); an empty line; each header
 *           field as "HD:" + its text, continuation lines as they are.
 *   UID-D   the UID on the first line, then the body.
 *
 * spool.c is the only code that creates, renames or unlinks files in
 * the spool. Writing is durable (the -D file, the -H file and the
 * directory are fsynced before success is reported) and the rename of
 * the -H file is the commit. Reading treats the files as hostile.
 *
 * Locks: a message is locked by an open-file-description lock on its
 * -D file, which is never rewritten, so the lock survives rewrites of
 * -H and is released when the holder closes it or dies. Locks exclude
 * each other between processes and between two lockers in one process.
 */
#pragma once

#include <glib.h>

#include "msg/message.h"

typedef struct _MmSpoolLock MmSpoolLock;

/* A new message id (mm_uid_new()). Caller frees. */
char *mm_spool_new_uid(void);

/* Writes a new message @msg (uid, envelope, headers, body; body must
 * not be NULL): -D with O_EXCL, fsync; -H under a temporary name,
 * fsync, rename, fsync of input/. Creates spool_dir/input when missing.
 * On failure nothing of the message is left in the spool, and the error
 * is MM_ERROR_TEMPORARY (whatever the cause: the message was not
 * accepted and may be offered again), or MM_ERROR_PARSE when @msg holds
 * something the format cannot carry (a line break in a value, a header
 * continuation line not starting with white space, an overlong line). */
gboolean mm_spool_write(const char *spool_dir, const MmMessage *msg, GError **error);

/* As mm_spool_write(), and on success returns the message's lock in
 * @lock, taken before the message became visible, so that no queue run
 * can pick it up before the caller has tried to deliver it. */
gboolean mm_spool_write_locked(const char *spool_dir, const MmMessage *msg, MmSpoolLock **lock,
                               GError **error);

/* Replaces the -H file of an existing message (recipient states, TW:)
 * atomically: temporary file, fsync, rename, fsync of the directory.
 * The caller holds the message's lock. Errors as mm_spool_write(),
 * and MM_ERROR_NOT_FOUND when the message has no -D file. */
gboolean mm_spool_write_header(const char *spool_dir, const MmMessage *msg, GError **error);

/* Reads message @uid. The body is read only when @with_body; the -D
 * file is checked either way. Returns a new message (caller frees), or
 * NULL with MM_ERROR_NOT_FOUND (no -H file), MM_ERROR_CORRUPT (a damaged
 * entry: missing -D, wrong UID line, missing MF:, unknown state, bad
 * address, NUL byte, overlong or unterminated line, too many
 * recipients, ...; the message says what and where), MM_ERROR_PARSE
 * (@uid is not a valid id) or an errno-based error. CRLF line ends and
 * addresses without angle brackets are accepted. */
MmMessage *mm_spool_read(const char *spool_dir, const char *uid, gboolean with_body, GError **error);

/* The text of @msg's -H file, as mm_spool_write() would write it: a
 * message handed to another process travels in the spool's own
 * format. Returns new bytes, or NULL with MM_ERROR_PARSE as
 * mm_spool_write(). */
GBytes *mm_spool_format_envelope(const MmMessage *msg, GError **error);

/* Parses @envelope, the text of an -H file (its first line the
 * message id), with the checks and limits of mm_spool_read(); @what
 * names the input in error messages. @body (NULL: none; at most
 * MM_SPOOL_DATA_MAX bytes) becomes the message's body as it is, with
 * no line ends changed. Returns a new message (caller frees), or NULL
 * with MM_ERROR_CORRUPT (what is wrong and on which line) or an
 * error of mm_spool_read(). */
MmMessage *mm_spool_parse_envelope(GBytes *envelope, GBytes *body, const char *what, GError **error);

/* Removes message @uid: unlinks -H, fsyncs the directory, then unlinks
 * -D (a crash in between leaves an orphan -D, never an -H without data).
 * The caller holds the message's lock. A missing -H is not an error when
 * the -D exists (a damaged entry is removed whole). MM_ERROR_NOT_FOUND
 * when neither exists; MM_ERROR_TEMPORARY when the removal could not be
 * made durable. */
gboolean mm_spool_remove(const char *spool_dir, const char *uid, GError **error);

/* Locks message @uid without waiting. Returns the lock (free with
 * mm_spool_unlock()), or NULL with MM_ERROR_LOCKED (held by somebody
 * else), MM_ERROR_NOT_FOUND (no such message, or it was removed while
 * we waited for the lock) or an errno-based error. */
MmSpoolLock *mm_spool_lock(const char *spool_dir, const char *uid, GError **error);
const char *mm_spool_lock_uid(const MmSpoolLock *lock);
/* Releases the lock. NULL-safe. */
void mm_spool_unlock(MmSpoolLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSpoolLock, mm_spool_unlock)

/* TRUE when some open file description holds the lock of @uid (a
 * message being written or worked on). FALSE when free or missing. */
gboolean mm_spool_is_locked(const char *spool_dir, const char *uid);

/* The ids of the committed messages (those with an -H file), oldest
 * first (ids sort by the time they were made). A missing input
 * directory is an empty spool. Names that are not ids are ignored.
 * Returns a GPtrArray of char* (freeing it frees them), or NULL with
 * an errno-based error. */
GPtrArray *mm_spool_list_uids(const char *spool_dir, GError **error);

/* Ids that have a -D file but no -H file and are not locked: what a
 * crash while writing or removing leaves behind. Same shape as
 * mm_spool_list_uids(). */
GPtrArray *mm_spool_list_orphans(const char *spool_dir, GError **error);

/* Removes the orphans (see above) whose data file was last written
 * more than @min_age seconds before @now, each under its lock and after
 * checking again that it has no -H: a message that lost its -H when it
 * was completed and the spool directory could not be synced, or whose
 * writer crashed. Each removal is logged. Returns how many were
 * removed; an orphan that cannot be removed now is left for the next
 * run (logged). */
guint mm_spool_remove_orphans(const char *spool_dir, gint64 now, gint64 min_age);
