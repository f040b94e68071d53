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
 * not be NULL): -D with O_EXCL and -H under a temporary name, both
 * fsynced, then the rename of -H and an fsync of input/ (the batch of
 * one of mm_spool_write_batch()). Creates spool_dir/input when missing.
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

/* One message of mm_spool_write_batch(). */
typedef struct {
	const MmMessage *msg; /* in: as for mm_spool_write(); borrowed */
	gboolean want_lock;   /* in: return its lock, as mm_spool_write_locked() */
	MmSpoolLock *lock;    /* out: with want_lock, the lock when committed */
	GError *error;        /* out: NULL when committed, else why not (errors
	                       * as mm_spool_write()); the caller frees it */
} MmSpoolBatchItem;

/* Writes the @n messages of @items together, each as mm_spool_write()
 * would, but with their disk waits shared: all files are written and
 * their write-back started, then each is fsynced (the journal commit
 * of the first carries the others), then the -H files are renamed into
 * place and input/ is fsynced once for all. A message that fails is
 * removed again and fails alone; when the shared fsync of input/
 * fails, every message of the batch fails. Returns how many were
 * committed. */
guint mm_spool_write_batch(const char *spool_dir, MmSpoolBatchItem *items, guint n);

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

/* Removes message @uid: unlinks -H, then -D, without syncing the
 * directory (a removal lost to a crash means one more delivery, never
 * a loss; and since the lock and the data are on the -D, an -H whose
 * -D is gone is never delivered). The caller holds the message's lock.
 * A missing -H is not an error when the -D exists (a damaged entry is
 * removed whole). MM_ERROR_NOT_FOUND when neither exists; an
 * errno-based error when an unlink fails. */
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

/* As mm_spool_remove(), with the signals that end a process by default
 * (TERM, INT, HUP, QUIT) held back in the calling thread until both
 * unlinks are made: a stop that comes in between (the daemon ends a
 * route run with SIGTERM when its link goes down) then takes effect
 * right after them instead of leaving the -D behind. */
gboolean mm_spool_remove_whole(const char *spool_dir, const char *uid, GError **error);

/* Removal of delivered messages beside the caller's work: a queue run
 * hands each message it is done with to a remover, and its SMTP session
 * goes on while a thread of the remover frees the message's files. The
 * caller makes the decision: mm_spool_remover_remove() unlinks the -H
 * file itself, so that once it returns the message has left the queue
 * (no run lists it, and a crash cannot bring it back short of a power
 * loss, as for mm_spool_remove()). The thread then unlinks the -D file
 * and closes the lock's descriptor; that last close frees the data's
 * inode, which with a file system that discards freed blocks is the
 * expensive part of a removal. Until the thread is done the message
 * stays locked, and what a crash leaves is a -D without -H, an orphan
 * that the next run collects.
 *
 * The thread is started at the first removal. It allocates nothing and
 * takes no lock but the remover's own, so that the process may fork
 * without exec (local deliveries, the remote worker) while it runs.
 * While it runs, SIGTERM, SIGINT, SIGHUP and SIGQUIT, where their
 * action is the default, end the process only after the thread has
 * done every removal handed to it: a run that is stopped leaves no -D
 * behind. One remover at a time in a process. */
typedef struct _MmSpoolRemover MmSpoolRemover;

/* A remover for the messages of @spool_dir (copied). */
MmSpoolRemover *mm_spool_remover_new(const char *spool_dir);

/* Removes the message of *@lock (the caller's lock on it): unlinks its
 * -H file now and hands the -D file and the lock to the thread; on
 * success *@lock is NULL, the remover owns it. A missing -H is not an
 * error (a damaged entry goes whole). When the -H cannot be unlinked,
 * FALSE with an errno-based error, and nothing is handed over: *@lock
 * stays the caller's, the message stays in the queue. Without a thread
 * (none could be started) the removal is made here, as
 * mm_spool_remove_whole(). Waits when MM_SPOOL_REMOVER_PENDING_MAX
 * removals are pending. */
gboolean mm_spool_remover_remove(MmSpoolRemover *rm, MmSpoolLock **lock, GError **error);

/* Waits until every removal handed over is done and ends the thread (a
 * later removal starts it again). FALSE with an errno-based error when
 * some -D files could not be unlinked: they are orphans for the next
 * run (the message says how many, and the first). */
gboolean mm_spool_remover_drain(MmSpoolRemover *rm, GError **error);

/* Drains (errors logged) and frees. NULL-safe. */
void mm_spool_remover_free(MmSpoolRemover *rm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSpoolRemover, mm_spool_remover_free)

/* Ids that have an -H.tmp file, or a -D file but no -H file, locked
 * or not: the candidates for mm_spool_remove_orphan(). Same shape as
 * mm_spool_list_uids(). */
GPtrArray *mm_spool_list_leftovers(const char *spool_dir, GError **error);

/* What mm_spool_remove_orphan() removed */
typedef enum {
	MM_SPOOL_LEFTOVER_DATA = 1 << 0, /* a -D without its -H */
	MM_SPOOL_LEFTOVER_TEMP = 1 << 1, /* an -H.tmp */
} MmSpoolLeftover;

/* Removes what an interrupted write or removal left of message @uid,
 * under the message's lock: its -H.tmp file, and its -D file when there
 * is no -H. A -D holding data goes at once (data is only written under
 * the lock, so nobody is writing it); an empty -D may be a writer's
 * between its create and its lock, and goes only once its mtime is at
 * least @empty_grace seconds before @now (epoch seconds) and not in
 * the future. A committed message (-H and -D) keeps both, and an -H
 * without -D is never removed here (it is a damaged entry). Sets
 * *@removed to the MmSpoolLeftover bits of what went (0: nothing to
 * do). FALSE with MM_ERROR_LOCKED when somebody holds the message,
 * MM_ERROR_PARSE (not an id), or an errno-based error. */
gboolean mm_spool_remove_orphan(const char *spool_dir, const char *uid, gint64 empty_grace,
                                gint64 now, guint *removed, GError **error);
