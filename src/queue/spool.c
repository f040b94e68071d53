/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The spool (see spool.h): the only code that creates, renames or
 * unlinks files in spool_dir/input. Messages are written so that a
 * crash at any point leaves either the complete message or nothing but
 * an orphan -D file; files are read as hostile input, bounded by the
 * limits of limits.h, and a damaged entry is reported, never "repaired"
 * or deleted here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "base/log.h"
#include "queue/spool.h"
#include "queue/uid.h"

#define SPOOL_FILE_MODE 0640
#define SPOOL_DIR_MODE 0750
/* envelope keys we do not know are kept if they look like keys */
#define SPOOL_KEY_MAX 32

struct _MmSpoolLock {
	int fd; /* the -D file; the lock lives as long as this descriptor */
	char *uid;
};

char *
mm_spool_new_uid(void)
{
	return mm_uid_new();
}

static char *
input_dir(const char *spool_dir)
{
	return g_build_filename(spool_dir, "input", NULL);
}

static char *
entry_path(const char *spool_dir, const char *uid, const char *suffix)
{
	g_autofree char *name = g_strconcat(uid, suffix, NULL);

	return g_build_filename(spool_dir, "input", name, NULL);
}

static gboolean
check_uid(const char *uid, GError **error)
{
	if (mm_uid_is_valid(uid))
		return TRUE;
	g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "invalid message id \"%.*s\"",
	            MM_SPOOL_UID_MAX, uid ? uid : "");
	return FALSE;
}

/* ------------------------------------------------------------------ */
/* Locks                                                               */

/* Takes the lock of the open -D file @fd without waiting. Sets errno
 * (EAGAIN when somebody else holds it) on failure. */
static gboolean
lock_fd(int fd)
{
#ifdef F_OFD_SETLK
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	return fcntl(fd, F_OFD_SETLK, &fl) == 0;
#else
	/* flock() locks belong to the open file description as well */
	return flock(fd, LOCK_EX | LOCK_NB) == 0;
#endif
}

static gboolean
errno_is_held(int errnum)
{
	return errnum == EAGAIN || errnum == EACCES || errnum == EWOULDBLOCK;
}

MmSpoolLock *
mm_spool_lock(const char *spool_dir, const char *uid, GError **error)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) local = NULL;
	struct stat st_fd, st_path;
	MmSpoolLock *lock;
	int fd;

	if (!check_uid(uid, error))
		return NULL;
	path = entry_path(spool_dir, uid, "-D");
	fd = mm_fs_open(path, O_RDWR, 0, &local);
	if (fd < 0) {
		if (g_error_matches(local, MM_ERROR, MM_ERROR_NOT_FOUND))
			g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "message %s: not in the queue", uid);
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (!lock_fd(fd)) {
		int saved = errno;

		close(fd);
		if (errno_is_held(saved))
			g_set_error(error, MM_ERROR, MM_ERROR_LOCKED, "message %s: locked by another process", uid);
		else
			mm_error_set_errno(error, saved, "lock %s", path);
		return NULL;
	}
	/* The previous holder may have removed the message between our
	 * open and our lock: then we hold the lock of a deleted file. */
	if (fstat(fd, &st_fd) != 0 || stat(path, &st_path) != 0 || st_fd.st_dev != st_path.st_dev ||
	    st_fd.st_ino != st_path.st_ino) {
		close(fd);
		g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "message %s: removed", uid);
		return NULL;
	}
	lock = g_new0(MmSpoolLock, 1);
	lock->fd = fd;
	lock->uid = g_strdup(uid);
	return lock;
}

const char *
mm_spool_lock_uid(const MmSpoolLock *lock)
{
	return lock->uid;
}

void
mm_spool_unlock(MmSpoolLock *lock)
{
	if (lock == NULL)
		return;
	/* closing the only descriptor of the description releases the lock */
	if (lock->fd >= 0)
		close(lock->fd);
	g_free(lock->uid);
	g_free(lock);
}

gboolean
mm_spool_is_locked(const char *spool_dir, const char *uid)
{
	g_autofree char *path = NULL;
	gboolean held = FALSE;
	int fd;

	if (!mm_uid_is_valid(uid))
		return FALSE;
	path = entry_path(spool_dir, uid, "-D");
	fd = mm_fs_open(path, O_RDONLY, 0, NULL);
	if (fd < 0)
		return FALSE;
#ifdef F_OFD_GETLK
	{
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

		held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	}
#else
	if (flock(fd, LOCK_SH | LOCK_NB) != 0)
		held = errno_is_held(errno);
#endif
	close(fd);
	return held;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

static gboolean
key_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* Length of the key of an envelope line "KEY:...", 0 if it has none. */
static gsize
envelope_key_len(const char *line)
{
	gsize n = 0;

	while (n <= SPOOL_KEY_MAX && key_char(line[n]))
		n++;
	return (n > 0 && n <= SPOOL_KEY_MAX && line[n] == ':') ? n : 0;
}

static const char *const known_keys[] = { "MF", "RT", "PR", "RH", "ID", "DS", "TR", "TW" };

static gboolean
is_known_key(const char *line, gsize key_len)
{
	for (gsize i = 0; i < G_N_ELEMENTS(known_keys); i++)
		if (key_len == 2 && g_ascii_strncasecmp(line, known_keys[i], 2) == 0)
			return TRUE;
	return FALSE;
}

/* A value that goes on one envelope line: no line breaks, bounded. */
static gboolean
check_value(const char *what, const char *value, gsize prefix_len, GError **error)
{
	gsize len = strlen(value);

	if (strpbrk(value, "\r\n") != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "%s contains a line break", what);
		return FALSE;
	}
	if (prefix_len + len + 1 > MM_SPOOL_LINE_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "%s is longer than a spool line (%d)", what,
		            MM_SPOOL_LINE_MAX);
		return FALSE;
	}
	return TRUE;
}

/* A header field's text: lines ending in LF, every line after the first
 * a continuation (starting with white space), so that the reader splits
 * the fields exactly as they were. */
static gboolean
check_header_text(const char *text, GError **error)
{
	const char *line = text;
	gsize len = strlen(text);

	if (len == 0 || text[len - 1] != '\n' || strchr(text, '\r') != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "header field not made of LF-terminated lines");
		return FALSE;
	}
	while (*line != '\0') {
		const char *end = strchr(line, '\n');

		if (line != text && *line != ' ' && *line != '\t') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "header field has a line that is not a continuation");
			return FALSE;
		}
		if ((gsize)(end - line) + 4 > MM_SPOOL_LINE_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "header line longer than a spool line (%d)",
			            MM_SPOOL_LINE_MAX);
			return FALSE;
		}
		line = end + 1;
	}
	return TRUE;
}

static gboolean
format_rcpt(GString *out, const MmRecipient *rcpt, GError **error)
{
	g_autofree char *path = NULL;
	const char *what;

	if (rcpt->state != MM_RCPT_PENDING && rcpt->state != MM_RCPT_DELIVERED &&
	    rcpt->state != MM_RCPT_FAILED) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "recipient with unknown state %d", rcpt->state);
		return FALSE;
	}
	if (rcpt->pipe != NULL) {
		if (rcpt->pipe[0] != '|') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "pipe recipient not starting with '|'");
			return FALSE;
		}
		what = rcpt->pipe;
	} else if (rcpt->address != NULL && !mm_address_is_null(rcpt->address)) {
		path = mm_address_to_path(rcpt->address);
		what = path;
	} else {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "recipient without address");
		return FALSE;
	}
	if (!check_value("recipient", what, 4, error))
		return FALSE;
	g_string_append_printf(out, "RT:%c%s\n", (char)rcpt->state, what);
	return TRUE;
}

/* The text of the -H file, or NULL with MM_ERROR_PARSE when @msg holds
 * something the format cannot carry. Checked before any file exists. */
static GString *
format_header_file(const MmMessage *msg, GError **error)
{
	g_autoptr(GString) out = g_string_sized_new(4096);
	g_autofree char *rp = NULL;

	if (!check_uid(msg->uid, error))
		return NULL;
	if (msg->return_path == NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "message %s has no return path", msg->uid);
		return NULL;
	}
	if (msg->rcpts->len > MM_SPOOL_RECIPIENTS_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "message %s has more than %d recipients",
		            msg->uid, MM_SPOOL_RECIPIENTS_MAX);
		return NULL;
	}
	if (msg->headers->len > MM_HEADERS_COUNT_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "message %s has more than %d header fields",
		            msg->uid, MM_HEADERS_COUNT_MAX);
		return NULL;
	}

	g_string_append_printf(out, "%s\n", msg->uid);
	rp = mm_address_to_path(msg->return_path);
	if (!check_value("return path", rp, 3, error))
		return NULL;
	g_string_append_printf(out, "MF:%s\n", rp);
	for (guint i = 0; i < msg->rcpts->len; i++)
		if (!format_rcpt(out, g_ptr_array_index(msg->rcpts, i), error))
			return NULL;
	if (msg->protocol != NULL) {
		if (!check_value("protocol", msg->protocol, 3, error))
			return NULL;
		g_string_append_printf(out, "PR:%s\n", msg->protocol);
	}
	if (msg->received_host != NULL) {
		if (!check_value("received host", msg->received_host, 3, error))
			return NULL;
		g_string_append_printf(out, "RH:%s\n", msg->received_host);
	}
	if (msg->ident != NULL) {
		if (!check_value("ident", msg->ident, 3, error))
			return NULL;
		g_string_append_printf(out, "ID:%s\n", msg->ident);
	}
	if (msg->data_size >= 0)
		g_string_append_printf(out, "DS: %" G_GINT64_FORMAT "\n", msg->data_size);
	if (msg->received_time > 0)
		g_string_append_printf(out, "TR: %" G_GINT64_FORMAT "\n", msg->received_time);
	if (msg->warned_time > 0)
		g_string_append_printf(out, "TW: %" G_GINT64_FORMAT "\n", msg->warned_time);
	for (guint i = 0; msg->extra != NULL && i < msg->extra->len; i++) {
		const char *line = g_ptr_array_index(msg->extra, i);
		gsize key_len = envelope_key_len(line);

		if (key_len == 0 || is_known_key(line, key_len)) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "kept envelope line is not an unknown key");
			return NULL;
		}
		if (!check_value("kept envelope line", line, 0, error))
			return NULL;
		g_string_append_printf(out, "%s\n", line);
	}
	g_string_append_c(out, '\n');
	for (guint i = 0; i < msg->headers->len; i++) {
		const MmHeader *hdr = g_ptr_array_index(msg->headers, i);

		if (!check_header_text(hdr->text, error))
			return NULL;
		g_string_append_printf(out, "HD:%s", hdr->text);
	}
	return g_steal_pointer(&out);
}

/* Any failure to make a message durable means "not accepted, offer it
 * again later", whatever the errno was. */
static void
make_temporary(GError **error)
{
	if (error != NULL && *error != NULL && (*error)->domain == MM_ERROR &&
	    (*error)->code != MM_ERROR_PARSE)
		(*error)->code = MM_ERROR_TEMPORARY;
}

static gboolean
ensure_input_dir(const char *spool_dir, const char *dir, GError **error)
{
	struct stat st;

	if (lstat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return TRUE;
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s is not a directory", dir);
		return FALSE;
	}
	if (errno != ENOENT) {
		mm_error_set_errno(error, errno, "stat %s", dir);
		return FALSE;
	}
	if (mkdir(dir, SPOOL_DIR_MODE) != 0 && errno != EEXIST) {
		mm_error_set_errno(error, errno, "mkdir %s", dir);
		return FALSE;
	}
	return mm_fs_fsync_dir(spool_dir, error);
}

/* A message of a batch on its way into the spool. */
typedef struct {
	MmSpoolBatchItem *item;
	GString *header;  /* the -H text; NULL once the message failed */
	char *d_name;
	char *h_name;
	char *h_tmp;
	char *d_path;     /* for messages */
	char *h_tmp_path;
	int d_fd;
	int h_fd;
	gboolean h_made;  /* the temporary -H exists */
	gboolean renamed; /* the -H is in place */
} Pending;

static void
pending_clear(Pending *p)
{
	if (p->header)
		g_string_free(p->header, TRUE);
	g_free(p->d_name);
	g_free(p->h_name);
	g_free(p->h_tmp);
	g_free(p->d_path);
	g_free(p->h_tmp_path);
	if (p->h_fd >= 0)
		close(p->h_fd);
	if (p->d_fd >= 0)
		close(p->d_fd);
}

/* Takes the message out of the batch with @error (taken over), and
 * removes what was made of it: -H first, so that there is never an
 * envelope without its data. The caller's fsync of input/ makes the
 * removal durable, best effort: the failure is reported either way. */
static void
pending_fail(int dir_fd, Pending *p, GError *error)
{
	if (p->renamed)
		unlinkat(dir_fd, p->h_name, 0);
	else if (p->h_made)
		unlinkat(dir_fd, p->h_tmp, 0);
	if (p->d_fd >= 0) {
		unlinkat(dir_fd, p->d_name, 0);
		close(p->d_fd);
		p->d_fd = -1;
	}
	if (p->h_fd >= 0) {
		close(p->h_fd);
		p->h_fd = -1;
	}
	p->renamed = p->h_made = FALSE;
	if (p->header) {
		g_string_free(p->header, TRUE);
		p->header = NULL;
	}
	p->item->error = error;
	make_temporary(&p->item->error);
}

/* Creates and writes both files of @p and starts their write-back. */
static gboolean
pending_write(int dir_fd, Pending *p, GError **error)
{
	const MmMessage *msg = p->item->msg;
	g_autofree char *uid_line = g_strconcat(msg->uid, "\n", NULL);
	struct iovec iov[2];
	gsize body_len = 0;

	p->d_fd = mm_fs_create_at(dir_fd, p->d_name, O_RDWR | O_EXCL, SPOOL_FILE_MODE, error);
	if (p->d_fd < 0)
		return FALSE;
	/* Locked from the start, so that nobody takes the -D for an orphan
	 * and no queue run sees the message before the caller is done. */
	if (!lock_fd(p->d_fd)) {
		mm_error_set_errno(error, errno, "lock %s", p->d_path);
		return FALSE;
	}
	iov[0].iov_base = uid_line;
	iov[0].iov_len = strlen(uid_line);
	iov[1].iov_base = (void *)g_bytes_get_data(msg->body, &body_len);
	iov[1].iov_len = body_len;
	if (!mm_fs_writev_all(p->d_fd, iov, 2, p->d_path, error))
		return FALSE;
	mm_fs_start_writeback(p->d_fd);

	/* The -H goes to a temporary name and is renamed only once it is on
	 * disk: 1.0's format has no end mark, so an -H cut short by a crash
	 * at a line boundary would read as a whole message with fewer
	 * recipients or header fields. O_TRUNC: a crash may have left one. */
	p->h_fd = mm_fs_create_at(dir_fd, p->h_tmp, O_WRONLY | O_TRUNC, SPOOL_FILE_MODE, error);
	if (p->h_fd < 0)
		return FALSE;
	p->h_made = TRUE;
	if (!mm_fs_write_all(p->h_fd, p->header->str, p->header->len, p->h_tmp_path, error))
		return FALSE;
	mm_fs_start_writeback(p->h_fd);
	return TRUE;
}

/* Both files of @p on disk; the -H descriptor is closed. */
static gboolean
pending_sync(Pending *p, GError **error)
{
	int h_fd = p->h_fd;

	if (!mm_fs_fsync(p->d_fd, p->d_path, error) || !mm_fs_fsync(p->h_fd, p->h_tmp_path, error))
		return FALSE;
	p->h_fd = -1;
	return mm_fs_close(h_fd, p->h_tmp_path, error);
}

/* The commit of one message: its -H under its real name, never over
 * another (a leftover -H of a damaged entry is not overwritten). */
static gboolean
pending_rename(int dir_fd, Pending *p, GError **error)
{
	int r;

#ifdef RENAME_NOREPLACE
	r = renameat2(dir_fd, p->h_tmp, dir_fd, p->h_name, RENAME_NOREPLACE);
	if (r != 0 && (errno == EINVAL || errno == ENOSYS))
#endif
	{
		struct stat st;

		if (fstatat(dir_fd, p->h_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			r = -1;
			errno = EEXIST;
		} else {
			r = renameat(dir_fd, p->h_tmp, dir_fd, p->h_name);
		}
	}
	if (r != 0) {
		if (errno == EEXIST)
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "message id %s is in use",
			            p->item->msg->uid);
		else
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "rename to %s-H: %s",
			            p->item->msg->uid, g_strerror(errno));
		return FALSE;
	}
	p->renamed = TRUE;
	p->h_made = FALSE;
	return TRUE;
}

guint
mm_spool_write_batch(const char *spool_dir, MmSpoolBatchItem *items, guint n)
{
	g_autofree char *dir = input_dir(spool_dir);
	g_autofree Pending *ps = g_new0(Pending, MAX(n, 1));
	g_autoptr(GError) shared = NULL;
	gboolean any_failed = FALSE;
	guint committed = 0, renamed = 0;
	int dir_fd = -1;

	for (guint i = 0; i < n; i++) {
		Pending *p = &ps[i];
		const MmMessage *msg = items[i].msg;

		g_return_val_if_fail(msg != NULL && msg->body != NULL, 0);
		p->item = &items[i];
		p->item->error = NULL;
		p->item->lock = NULL;
		p->d_fd = p->h_fd = -1;
		p->header = format_header_file(msg, &p->item->error);
		if (p->header == NULL)
			continue;
		p->d_name = g_strconcat(msg->uid, "-D", NULL);
		p->h_name = g_strconcat(msg->uid, "-H", NULL);
		p->h_tmp = g_strconcat(msg->uid, "-H.tmp", NULL);
		p->d_path = g_build_filename(dir, p->d_name, NULL);
		p->h_tmp_path = g_build_filename(dir, p->h_tmp, NULL);
	}

	if (ensure_input_dir(spool_dir, dir, &shared))
		dir_fd = mm_fs_open(dir, O_RDONLY | O_DIRECTORY, 0, &shared);
	if (dir_fd < 0) {
		for (guint i = 0; i < n; i++)
			if (ps[i].header)
				pending_fail(dir_fd, &ps[i], g_error_copy(shared));
		goto out;
	}

	/* All files written and their write-back started first, so that
	 * the fsyncs below mostly wait for the same disk writes and the
	 * same journal commit. */
	for (guint i = 0; i < n; i++) {
		GError *error = NULL;

		if (ps[i].header && !pending_write(dir_fd, &ps[i], &error)) {
			pending_fail(dir_fd, &ps[i], error);
			any_failed = TRUE;
		}
	}
	for (guint i = 0; i < n; i++) {
		GError *error = NULL;

		if (ps[i].header && !pending_sync(&ps[i], &error)) {
			pending_fail(dir_fd, &ps[i], error);
			any_failed = TRUE;
		}
	}
	for (guint i = 0; i < n; i++) {
		GError *error = NULL;

		if (!ps[i].header)
			continue;
		if (pending_rename(dir_fd, &ps[i], &error)) {
			renamed++;
		} else {
			pending_fail(dir_fd, &ps[i], error);
			any_failed = TRUE;
		}
	}
	/* One fsync of input/ makes every rename of the batch durable. */
	if (renamed > 0 && !mm_fs_fsync_dir_fd(dir_fd, dir, &shared)) {
		for (guint i = 0; i < n; i++)
			if (ps[i].header)
				pending_fail(dir_fd, &ps[i], g_error_copy(shared));
		any_failed = TRUE;
	}
	for (guint i = 0; i < n; i++) {
		Pending *p = &ps[i];
		GError *error = NULL;
		int d_fd = p->d_fd;

		if (!p->header)
			continue;
		if (p->item->want_lock) {
			MmSpoolLock *lock = g_new0(MmSpoolLock, 1);

			lock->fd = d_fd;
			lock->uid = g_strdup(p->item->msg->uid);
			p->item->lock = lock;
			p->d_fd = -1;
		} else {
			p->d_fd = -1;
			if (!mm_fs_close(d_fd, p->d_path, &error)) {
				pending_fail(dir_fd, p, error);
				any_failed = TRUE;
				continue;
			}
		}
		committed++;
		mm_debug(3, "%s: spooled rcpts=%u size=%" G_GSIZE_FORMAT, p->item->msg->uid,
		         p->item->msg->rcpts->len, g_bytes_get_size(p->item->msg->body));
	}
	/* best effort, for the removals of the messages that failed */
	if (any_failed)
		mm_fs_fsync_dir_fd(dir_fd, dir, NULL);

out:
	for (guint i = 0; i < n; i++)
		pending_clear(&ps[i]);
	if (dir_fd >= 0)
		close(dir_fd);
	return committed;
}

static gboolean
spool_write(const char *spool_dir, const MmMessage *msg, MmSpoolLock **lock_out, GError **error)
{
	MmSpoolBatchItem item = { .msg = msg, .want_lock = lock_out != NULL };

	if (mm_spool_write_batch(spool_dir, &item, 1) == 1) {
		if (lock_out)
			*lock_out = item.lock;
		return TRUE;
	}
	g_propagate_error(error, item.error);
	return FALSE;
}

gboolean
mm_spool_write(const char *spool_dir, const MmMessage *msg, GError **error)
{
	return spool_write(spool_dir, msg, NULL, error);
}

gboolean
mm_spool_write_locked(const char *spool_dir, const MmMessage *msg, MmSpoolLock **lock,
                      GError **error)
{
	g_return_val_if_fail(lock != NULL, FALSE);
	return spool_write(spool_dir, msg, lock, error);
}

gboolean
mm_spool_write_header(const char *spool_dir, const MmMessage *msg, GError **error)
{
	g_autoptr(GString) header = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *d_path = NULL;
	g_autofree char *h_name = NULL;
	g_autofree char *h_tmp = NULL;
	struct stat st;

	header = format_header_file(msg, error);
	if (header == NULL)
		return FALSE;
	dir = input_dir(spool_dir);
	d_path = entry_path(spool_dir, msg->uid, "-D");
	if (lstat(d_path, &st) != 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "message %s: no data file", msg->uid);
		return FALSE;
	}
	h_name = g_strconcat(msg->uid, "-H", NULL);
	h_tmp = g_strconcat(msg->uid, "-H.tmp", NULL);
	if (!mm_fs_replace(dir, h_name, h_tmp, header->str, header->len, SPOOL_FILE_MODE, error)) {
		make_temporary(error);
		return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------------------ */
/* Removing                                                            */

gboolean
mm_spool_remove(const char *spool_dir, const char *uid, GError **error)
{
	g_autofree char *h_path = NULL;
	g_autofree char *d_path = NULL;
	gboolean had_h = TRUE, had_d = TRUE;

	if (!check_uid(uid, error))
		return FALSE;
	h_path = entry_path(spool_dir, uid, "-H");
	d_path = entry_path(spool_dir, uid, "-D");

	/* No directory fsync: an unlink that a power loss undoes brings a
	 * delivered message back for one more delivery (a duplicate, as
	 * every MTA risks; Postfix does not sync its removals either),
	 * and two syncs per message were most of a queue run's time. The
	 * order still matters: -H first, so that what comes back is at
	 * worst an -D without -H (an orphan) or both. An -H whose -D is
	 * gone is never worked on: the lock and the data are on the -D. */
	if (unlink(h_path) != 0) {
		if (errno != ENOENT) {
			mm_error_set_errno(error, errno, "unlink %s", h_path);
			return FALSE;
		}
		had_h = FALSE;
	}
	if (unlink(d_path) != 0) {
		if (errno != ENOENT) {
			mm_error_set_errno(error, errno, "unlink %s", d_path);
			return FALSE;
		}
		had_d = FALSE;
	}
	if (!had_h && !had_d) {
		g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "message %s: not in the queue", uid);
		return FALSE;
	}
	mm_debug(3, "%s: removed from spool", uid);
	return TRUE;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/* Reads lines from a spool file, or from its text in memory (fd -1),
 * with every line bounded. */
typedef struct {
	int fd;
	const char *mem;    /* the text when fd is -1 */
	gsize mem_len, mem_pos;
	const char *path;
	guint lineno;
	gsize pos, len;
	gboolean eof;
	char buf[8192];
} LineReader;

static void
set_corrupt(GError **error, const LineReader *r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
set_corrupt(GError **error, const LineReader *r, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "%s:%u: %s", r->path, r->lineno, what);
}

/* The next line into @line, without its LF (or CRLF). Returns 1 for a
 * line, 0 at the end of the file, -1 with an error: MM_ERROR_CORRUPT
 * for a NUL byte, a line longer than MM_SPOOL_LINE_MAX (line end
 * included) or a last line without LF (a truncated file). */
static int
reader_next(LineReader *r, GString *line, GError **error)
{
	g_string_truncate(line, 0);
	r->lineno++;
	for (;;) {
		const char *start, *nl;
		gsize avail, take;

		if (r->pos == r->len) {
			ssize_t n;

			if (r->eof)
				break;
			if (r->fd < 0) {
				n = (ssize_t)MIN(sizeof r->buf, r->mem_len - r->mem_pos);
				/* Empty bytes have no data pointer at all: no
				 * arithmetic on it, and memcpy() wants a real one. */
				if (n > 0)
					memcpy(r->buf, r->mem + r->mem_pos, (gsize)n);
				r->mem_pos += (gsize)n;
			} else {
				do {
					n = read(r->fd, r->buf, sizeof r->buf);
				} while (n < 0 && errno == EINTR);
			}
			if (n < 0) {
				mm_error_set_errno(error, errno, "read %s", r->path);
				return -1;
			}
			r->pos = 0;
			r->len = (gsize)n;
			if (n == 0) {
				r->eof = TRUE;
				break;
			}
		}
		start = r->buf + r->pos;
		avail = r->len - r->pos;
		nl = memchr(start, '\n', avail);
		take = nl ? (gsize)(nl - start) : avail;
		if (memchr(start, '\0', take) != NULL) {
			set_corrupt(error, r, "NUL byte");
			return -1;
		}
		if (line->len + take + 1 > MM_SPOOL_LINE_MAX) {
			set_corrupt(error, r, "line longer than %d bytes", MM_SPOOL_LINE_MAX);
			return -1;
		}
		g_string_append_len(line, start, (gssize)take);
		r->pos += take;
		if (nl != NULL) {
			r->pos++;
			if (line->len > 0 && line->str[line->len - 1] == '\r')
				g_string_truncate(line, line->len - 1);
			return 1;
		}
	}
	if (line->len > 0) {
		set_corrupt(error, r, "truncated (last line has no line end)");
		return -1;
	}
	return 0;
}

/* Parses an address as an envelope line holds it; bracket-less paths
 * are accepted, unqualified ones are not (1.0 qualified before
 * spooling). */
static MmAddress *
parse_spool_path(LineReader *r, const char *text, gboolean allow_null, GError **error)
{
	g_autoptr(GError) local = NULL;
	MmAddress *addr;

	addr = mm_address_parse_path(text, NULL, allow_null, &local);
	if (addr == NULL)
		set_corrupt(error, r, "bad address \"%s\": %s", text, local->message);
	return addr;
}

static gboolean
parse_number(LineReader *r, const char *key, const char *text, gint64 *out, GError **error)
{
	g_autofree char *copy = g_strstrip(g_strdup(text));
	guint64 v;

	if (!g_ascii_string_to_unsigned(copy, 10, 0, G_MAXINT64, &v, NULL)) {
		set_corrupt(error, r, "%s: not a number: \"%s\"", key, copy);
		return FALSE;
	}
	*out = (gint64)v;
	return TRUE;
}

static gboolean
parse_rcpt(LineReader *r, MmMessage *msg, const char *line, GError **error)
{
	g_autoptr(MmRecipient) rcpt = NULL;
	char state = line[3];
	const char *rest;

	if (msg->rcpts->len >= MM_SPOOL_RECIPIENTS_MAX) {
		set_corrupt(error, r, "more than %d recipients", MM_SPOOL_RECIPIENTS_MAX);
		return FALSE;
	}
	if (state != MM_RCPT_PENDING && state != MM_RCPT_DELIVERED && state != MM_RCPT_FAILED) {
		set_corrupt(error, r, "unknown recipient state '%c'", g_ascii_isprint(state) ? state : '?');
		return FALSE;
	}
	rest = line + 4;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '|') {
		g_autofree char *pipe = g_strchomp(g_strdup(rest));

		rcpt = mm_recipient_new_pipe(pipe);
	} else {
		g_autoptr(MmAddress) addr = parse_spool_path(r, rest, FALSE, error);

		if (addr == NULL)
			return FALSE;
		rcpt = mm_recipient_new(addr);
	}
	rcpt->state = (MmRcptState)state;
	g_ptr_array_add(msg->rcpts, g_steal_pointer(&rcpt));
	return TRUE;
}

/* Reads the envelope part of the -H file, up to and with the empty line. */
static gboolean
read_envelope(LineReader *r, MmMessage *msg, GString *line, GError **error)
{
	guint seen = 0; /* bit per single-valued key, to catch repeats */

	for (;;) {
		gsize key_len;
		const char *value;
		int rc = reader_next(r, line, error);
		int bit = -1;

		if (rc < 0)
			return FALSE;
		if (rc == 0) {
			set_corrupt(error, r, "truncated (no end of envelope)");
			return FALSE;
		}
		if (line->len == 0)
			break;
		key_len = envelope_key_len(line->str);
		if (key_len == 0) {
			set_corrupt(error, r, "not an envelope line");
			return FALSE;
		}
		value = line->str + key_len + 1;
		if (!is_known_key(line->str, key_len)) {
			if (msg->extra->len >= MM_SPOOL_RECIPIENTS_MAX) {
				set_corrupt(error, r, "too many unknown envelope lines");
				return FALSE;
			}
			g_ptr_array_add(msg->extra, g_strdup(line->str));
			continue;
		}
		if (g_ascii_strncasecmp(line->str, "RT", 2) == 0) {
			if (!parse_rcpt(r, msg, line->str, error))
				return FALSE;
			continue;
		}
		for (gsize i = 0; i < G_N_ELEMENTS(known_keys); i++)
			if (g_ascii_strncasecmp(line->str, known_keys[i], 2) == 0)
				bit = (int)i;
		if (seen & (1u << bit)) {
			set_corrupt(error, r, "%.2s: given twice", line->str);
			return FALSE;
		}
		seen |= 1u << bit;

		switch (g_ascii_toupper(line->str[0])) {
		case 'M': {
			g_autofree char *text = g_strstrip(g_strdup(value));

			msg->return_path = parse_spool_path(r, text, TRUE, error);
			if (msg->return_path == NULL)
				return FALSE;
			break;
		}
		case 'P':
			msg->protocol = g_strstrip(g_strdup(value));
			break;
		case 'R':
			msg->received_host = g_strstrip(g_strdup(value));
			break;
		case 'I':
			msg->ident = g_strstrip(g_strdup(value));
			break;
		case 'D':
			if (!parse_number(r, "DS", value, &msg->data_size, error))
				return FALSE;
			break;
		case 'T':
			if (g_ascii_toupper(line->str[1]) == 'R') {
				if (!parse_number(r, "TR", value, &msg->received_time, error))
					return FALSE;
			} else if (!parse_number(r, "TW", value, &msg->warned_time, error)) {
				return FALSE;
			}
			break;
		default:
			g_assert_not_reached();
		}
	}
	if (msg->return_path == NULL) {
		set_corrupt(error, r, "no MF: line (return path)");
		return FALSE;
	}
	return TRUE;
}

static gboolean
add_header(LineReader *r, MmMessage *msg, GString *text, GError **error)
{
	g_autoptr(GError) local = NULL;
	MmHeader *hdr;

	if (msg->headers->len >= MM_HEADERS_COUNT_MAX) {
		set_corrupt(error, r, "more than %d header fields", MM_HEADERS_COUNT_MAX);
		return FALSE;
	}
	hdr = mm_header_parse(text->str, text->len, &local);
	if (hdr == NULL) {
		set_corrupt(error, r, "bad header field: %s", local->message);
		return FALSE;
	}
	g_ptr_array_add(msg->headers, hdr);
	g_string_truncate(text, 0);
	return TRUE;
}

/* Reads the "HD:" lines and their continuations up to the end. */
static gboolean
read_headers(LineReader *r, MmMessage *msg, GString *line, GError **error)
{
	g_autoptr(GString) field = g_string_new(NULL);

	for (;;) {
		int rc = reader_next(r, line, error);

		if (rc < 0)
			return FALSE;
		if (rc == 0)
			break;
		if (line->len >= 3 && g_ascii_strncasecmp(line->str, "HD:", 3) == 0) {
			if (field->len > 0 && !add_header(r, msg, field, error))
				return FALSE;
			g_string_append_len(field, line->str + 3, (gssize)line->len - 3);
			g_string_append_c(field, '\n');
		} else if (line->len > 0 && (line->str[0] == ' ' || line->str[0] == '\t') && field->len > 0) {
			if (field->len + line->len + 1 > MM_HEADER_MAX) {
				set_corrupt(error, r, "header field longer than %d bytes", MM_HEADER_MAX);
				return FALSE;
			}
			g_string_append_len(field, line->str, (gssize)line->len);
			g_string_append_c(field, '\n');
		} else {
			set_corrupt(error, r, "not a header line");
			return FALSE;
		}
	}
	if (field->len > 0 && !add_header(r, msg, field, error))
		return FALSE;
	return TRUE;
}

/* Opens @path and checks that its first line is @uid. */
static gboolean
open_checked(LineReader *r, const char *path, const char *uid, GString *line, GError **error)
{
	int rc;

	memset(r, 0, offsetof(LineReader, buf));
	r->path = path;
	r->fd = mm_fs_open(path, O_RDONLY, 0, error);
	if (r->fd < 0)
		return FALSE;
	rc = reader_next(r, line, error);
	if (rc < 0)
		return FALSE;
	if (rc == 0) {
		set_corrupt(error, r, "empty file");
		return FALSE;
	}
	if (strcmp(line->str, uid) != 0) {
		set_corrupt(error, r, "first line is not the message id %s", uid);
		return FALSE;
	}
	return TRUE;
}

/* 1.0 read the body line by line and gave CRLF back as LF. */
static GBytes *
body_from_crlf(const char *data, gsize len)
{
	GByteArray *out = g_byte_array_sized_new((guint)len);
	gsize start = 0;

	for (gsize i = 0; i + 1 < len; i++) {
		if (data[i] == '\r' && data[i + 1] == '\n') {
			g_byte_array_append(out, (const guint8 *)data + start, (guint)(i - start));
			start = i + 1;
		}
	}
	g_byte_array_append(out, (const guint8 *)data + start, (guint)(len - start));
	return g_byte_array_free_to_bytes(out);
}

static gboolean
read_data(LineReader *r, MmMessage *msg, GError **error)
{
	g_autoptr(GBytes) rest = NULL;
	g_autoptr(GByteArray) all = NULL;
	gsize rest_len;
	const guint8 *rest_data;

	rest = mm_fs_read_all(r->fd, MM_SPOOL_DATA_MAX, r->path, error);
	if (rest == NULL) {
		if (g_error_matches(*error, MM_ERROR, MM_ERROR_LIMIT))
			(*error)->code = MM_ERROR_CORRUPT;
		return FALSE;
	}
	rest_data = g_bytes_get_data(rest, &rest_len);
	all = g_byte_array_sized_new((guint)(r->len - r->pos + rest_len));
	g_byte_array_append(all, (const guint8 *)r->buf + r->pos, (guint)(r->len - r->pos));
	g_byte_array_append(all, rest_data, (guint)rest_len);
	msg->body = body_from_crlf((const char *)all->data, all->len);
	return TRUE;
}

MmMessage *
mm_spool_read(const char *spool_dir, const char *uid, gboolean with_body, GError **error)
{
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree char *h_path = NULL;
	g_autofree char *d_path = NULL;
	g_autoptr(GError) local = NULL;
	LineReader hr, dr;
	gboolean ok;

	if (!check_uid(uid, error))
		return NULL;
	h_path = entry_path(spool_dir, uid, "-H");
	d_path = entry_path(spool_dir, uid, "-D");

	msg = mm_message_new();
	msg->uid = g_strdup(uid);
	if (msg->extra == NULL)
		msg->extra = g_ptr_array_new_with_free_func(g_free);

	ok = open_checked(&hr, h_path, uid, line, error) && read_envelope(&hr, msg, line, error) &&
	     read_headers(&hr, msg, line, error);
	if (hr.fd >= 0)
		close(hr.fd);
	if (!ok)
		return NULL;

	ok = open_checked(&dr, d_path, uid, line, &local);
	if (ok && with_body)
		ok = read_data(&dr, msg, &local);
	if (dr.fd >= 0)
		close(dr.fd);
	if (!ok) {
		if (g_error_matches(local, MM_ERROR, MM_ERROR_NOT_FOUND))
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "%s: missing (the -H file has no data)",
			            d_path);
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	return g_steal_pointer(&msg);
}

/* ------------------------------------------------------------------ */
/* In memory                                                           */

GBytes *
mm_spool_format_envelope(const MmMessage *msg, GError **error)
{
	GString *text;

	g_return_val_if_fail(msg != NULL, NULL);
	text = format_header_file(msg, error);
	if (text == NULL)
		return NULL;
	return g_string_free_to_bytes(text);
}

MmMessage *
mm_spool_parse_envelope(GBytes *envelope, GBytes *body, const char *what, GError **error)
{
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(GString) line = g_string_new(NULL);
	LineReader r;
	int rc;

	g_return_val_if_fail(envelope != NULL && what != NULL, NULL);
	memset(&r, 0, offsetof(LineReader, buf));
	r.fd = -1;
	r.mem = g_bytes_get_data(envelope, &r.mem_len);
	r.path = what;
	if (body != NULL && g_bytes_get_size(body) > MM_SPOOL_DATA_MAX) {
		set_corrupt(error, &r, "body longer than %ld bytes", MM_SPOOL_DATA_MAX);
		return NULL;
	}
	rc = reader_next(&r, line, error);
	if (rc < 0)
		return NULL;
	if (rc == 0) {
		set_corrupt(error, &r, "empty");
		return NULL;
	}
	if (!mm_uid_is_valid(line->str)) {
		set_corrupt(error, &r, "first line is not a message id");
		return NULL;
	}
	msg = mm_message_new();
	msg->uid = g_strdup(line->str);
	if (msg->extra == NULL)
		msg->extra = g_ptr_array_new_with_free_func(g_free);
	if (!read_envelope(&r, msg, line, error) || !read_headers(&r, msg, line, error))
		return NULL;
	if (body != NULL)
		msg->body = g_bytes_ref(body);
	return g_steal_pointer(&msg);
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */

static int
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What input/ holds of a message, by the names of its files. */
enum {
	ENTRY_DATA = 1 << 0,   /* -D */
	ENTRY_HEADER = 1 << 1, /* -H */
	ENTRY_TEMP = 1 << 2,   /* -H.tmp */
};

static const struct {
	const char *suffix;
	guint flag;
} entry_suffixes[] = { { "-D", ENTRY_DATA }, { "-H", ENTRY_HEADER }, { "-H.tmp", ENTRY_TEMP } };

/* One read of input/: each valid id with the ENTRY_ flags of the
 * files it has. */
static GHashTable *
scan_input(const char *spool_dir, GError **error)
{
	g_autofree char *dir = input_dir(spool_dir);
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) d = NULL;
	GHashTable *entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *name;

	d = g_dir_open(dir, 0, &local);
	if (d == NULL) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return entries;
		g_set_error(error, MM_ERROR,
		            g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_ACCES) ? MM_ERROR_PERMISSION
		                                                                     : MM_ERROR_FAILED,
		            "%s", local->message);
		g_hash_table_unref(entries);
		return NULL;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		gsize len = strlen(name);

		for (gsize i = 0; i < G_N_ELEMENTS(entry_suffixes); i++) {
			gsize suffix_len = strlen(entry_suffixes[i].suffix);
			g_autofree char *uid = NULL;

			if (len <= suffix_len || strcmp(name + len - suffix_len, entry_suffixes[i].suffix) != 0)
				continue;
			uid = g_strndup(name, len - suffix_len);
			if (mm_uid_is_valid(uid)) {
				guint flags = GPOINTER_TO_UINT(g_hash_table_lookup(entries, uid));

				g_hash_table_insert(entries, g_steal_pointer(&uid),
				                    GUINT_TO_POINTER(flags | entry_suffixes[i].flag));
			}
			break;
		}
	}
	return entries;
}

/* Keeps the entries whose flags @keep accepts. */
static void
filter_entries(GHashTable *entries, gboolean (*keep)(guint flags))
{
	GHashTableIter it;
	gpointer flags;

	g_hash_table_iter_init(&it, entries);
	while (g_hash_table_iter_next(&it, NULL, &flags)) {
		if (!keep(GPOINTER_TO_UINT(flags)))
			g_hash_table_iter_remove(&it);
	}
}

static gboolean
is_queued(guint flags)
{
	return (flags & ENTRY_HEADER) != 0;
}

static gboolean
is_data_without_header(guint flags)
{
	return (flags & (ENTRY_DATA | ENTRY_HEADER)) == ENTRY_DATA;
}

static gboolean
is_leftover(guint flags)
{
	return is_data_without_header(flags) || (flags & ENTRY_TEMP) != 0;
}

static GPtrArray *
sorted_keys(GHashTable *set)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(out, g_strdup(key));
	g_ptr_array_sort(out, compare_strings);
	return out;
}

GPtrArray *
mm_spool_list_uids(const char *spool_dir, GError **error)
{
	g_autoptr(GHashTable) entries = scan_input(spool_dir, error);

	if (entries == NULL)
		return NULL;
	filter_entries(entries, is_queued);
	return sorted_keys(entries);
}

GPtrArray *
mm_spool_list_orphans(const char *spool_dir, GError **error)
{
	g_autoptr(GHashTable) data = scan_input(spool_dir, error);
	GHashTableIter it;
	gpointer key;

	if (data == NULL)
		return NULL;
	filter_entries(data, is_data_without_header);
	/* a locked -D without -H is a message being written */
	g_hash_table_iter_init(&it, data);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (mm_spool_is_locked(spool_dir, key))
			g_hash_table_iter_remove(&it);
	}
	return sorted_keys(data);
}

/* ------------------------------------------------------------------ */
/* What interrupted writes and removals leave                          */

/* The signals whose default action ends the process: a removal must
 * not be cut between its unlinks by one of them. */
static const int ending_signal_list[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

static void
ending_signals(sigset_t *set)
{
	sigemptyset(set);
	for (gsize i = 0; i < G_N_ELEMENTS(ending_signal_list); i++)
		sigaddset(set, ending_signal_list[i]);
}

gboolean
mm_spool_remove_whole(const char *spool_dir, const char *uid, GError **error)
{
	sigset_t ending, old;
	gboolean ok;

	/* One that came between the two unlinks would leave the -D
	 * behind. Held back, it takes effect as soon as the mask is
	 * restored. */
	ending_signals(&ending);
	pthread_sigmask(SIG_BLOCK, &ending, &old);
	ok = mm_spool_remove(spool_dir, uid, error);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Removal beside the caller's work (spool.h: MmSpoolRemover)          */

/* A removal handed to the thread: the -D file's name in input/ and the
 * descriptors whose last close frees the message's inodes. Fixed size,
 * so that the thread never allocates. */
typedef struct {
	int data_fd;   /* the lock's descriptor, on the -D */
	int header_fd; /* O_PATH on the unlinked -H, or -1 */
	char name[MM_SPOOL_UID_MAX + 3];
} Removal;

struct _MmSpoolRemover {
	char *spool_dir;
	pid_t pid;               /* the process whose thread it is */
	int dir_fd;              /* input/, for unlinkat(); -1 while stopped */
	int wake_fd;             /* eventfd: work, a stop, or a signal */
	GThread *thread;         /* NULL: stopped */
	GMutex mutex;            /* guards what follows */
	GCond cond;              /* the caller waits on it: space, started, done */
	Removal ring[MM_SPOOL_REMOVER_PENDING_MAX];
	guint head, count;
	gboolean started;        /* the thread is in its loop */
	gboolean sleeping;       /* the thread waits on wake_fd */
	gboolean quit;           /* stop once nothing is pending */
	guint failures;          /* -D files that could not be unlinked */
	int first_errno;
	char first_name[MM_SPOOL_UID_MAX + 3];
	/* set from the signal handler */
	volatile gint signo;     /* an ending signal came in */
	volatile gint closing;   /* the caller is draining: it acts on signo */
	gboolean handled[NSIG];  /* the handler is installed for this signal */
	struct sigaction old_action[NSIG];
};

/* The remover whose thread runs, for the signal handler. */
static MmSpoolRemover *volatile remover_active;

/* Where an ending signal's default action would kill the process with
 * removals half done. Async-signal-safe throughout. In a child forked
 * without exec the handler is the parent's: the default action then.
 * While the thread runs, the thread is told and this thread waits here
 * to be ended with the rest of the process once the removals handed
 * over are done (remover_die()); while the caller drains, it does the
 * same after the join. */
static void
remover_on_signal(int signo)
{
	MmSpoolRemover *rm = remover_active;
	int saved = errno;

	if (rm == NULL || rm->pid != getpid()) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigemptyset(&dfl.sa_mask);
		sigaction(signo, &dfl, NULL);
		/* held back until the handler returns, then the default */
		raise(signo);
		errno = saved;
		return;
	}
	g_atomic_int_set(&rm->signo, signo);
	if (g_atomic_int_get(&rm->closing)) {
		errno = saved;
		return;
	}
	{
		guint64 one = 1;
		ssize_t n = write(rm->wake_fd, &one, sizeof one);
		(void)n;
	}
	for (;;)
		pause();
}

/* In the thread, once a signal came and nothing is pending: the end
 * the signal would have made, now. */
static void G_GNUC_NORETURN
remover_die(int signo)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	sigemptyset(&dfl.sa_mask);
	sigaction(signo, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
	_exit(128 + signo);
}

/* The expensive half of a removal. */
static void
removal_finish(MmSpoolRemover *rm, int dir_fd, const Removal *r)
{
	if (unlinkat(dir_fd, r->name, 0) != 0 && errno != ENOENT) {
		int e = errno;

		g_mutex_lock(&rm->mutex);
		if (rm->failures++ == 0) {
			rm->first_errno = e;
			memcpy(rm->first_name, r->name, sizeof rm->first_name);
		}
		g_mutex_unlock(&rm->mutex);
	}
	/* the data's last descriptor: its inode is freed, the lock released */
	close(r->data_fd);
	if (r->header_fd >= 0)
		close(r->header_fd);
}

/* The thread: every signal blocked, no allocation, no lock but the
 * remover's (spool.h). */
static gpointer
remover_thread(gpointer data)
{
	MmSpoolRemover *rm = data;

	g_mutex_lock(&rm->mutex);
	rm->started = TRUE;
	g_cond_broadcast(&rm->cond);
	for (;;) {
		if (rm->count > 0) {
			Removal r = rm->ring[rm->head];

			g_mutex_unlock(&rm->mutex);
			removal_finish(rm, rm->dir_fd, &r);
			g_mutex_lock(&rm->mutex);
			rm->head = (rm->head + 1) % MM_SPOOL_REMOVER_PENDING_MAX;
			rm->count--;
			g_cond_broadcast(&rm->cond);
			continue;
		}
		if (g_atomic_int_get(&rm->signo) != 0)
			remover_die(g_atomic_int_get(&rm->signo));
		if (rm->quit)
			break;
		rm->sleeping = TRUE;
		g_mutex_unlock(&rm->mutex);
		{
			guint64 n;
			ssize_t got = read(rm->wake_fd, &n, sizeof n);
			(void)got;
		}
		g_mutex_lock(&rm->mutex);
		rm->sleeping = FALSE;
	}
	g_mutex_unlock(&rm->mutex);
	return NULL;
}

/* Undoes remover_start() once no thread runs: the signals' actions
 * as they were, input/ closed. */
static void
remover_stopped(MmSpoolRemover *rm)
{
	for (gsize i = 0; i < G_N_ELEMENTS(ending_signal_list); i++) {
		int sig = ending_signal_list[i];

		if (rm->handled[sig])
			sigaction(sig, &rm->old_action[sig], NULL);
		rm->handled[sig] = FALSE;
	}
	remover_active = NULL;
	close(rm->dir_fd);
	rm->dir_fd = -1;
}

MmSpoolRemover *
mm_spool_remover_new(const char *spool_dir)
{
	MmSpoolRemover *rm = g_new0(MmSpoolRemover, 1);

	g_return_val_if_fail(spool_dir != NULL, NULL);
	rm->spool_dir = g_strdup(spool_dir);
	rm->dir_fd = -1;
	rm->wake_fd = -1;
	g_mutex_init(&rm->mutex);
	g_cond_init(&rm->cond);
	return rm;
}

/* Starts the thread and the signal handlers. FALSE (logged at debug
 * level) when it cannot: the removals are then made by the caller. */
static gboolean
remover_start(MmSpoolRemover *rm)
{
	g_autofree char *dir = NULL;
	g_autoptr(GError) error = NULL;
	sigset_t all, old;
	struct sigaction sa = { .sa_handler = remover_on_signal, .sa_flags = SA_RESTART };

	if (rm->thread != NULL)
		return TRUE;
	if (remover_active != NULL && remover_active != rm)
		return FALSE;
	dir = input_dir(rm->spool_dir);
	rm->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rm->dir_fd < 0) {
		mm_debug(1, "removals made in place: open %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	if (rm->wake_fd < 0)
		rm->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (rm->wake_fd < 0) {
		mm_debug(1, "removals made in place: eventfd: %s", g_strerror(errno));
		close(rm->dir_fd);
		rm->dir_fd = -1;
		return FALSE;
	}
	rm->pid = getpid();
	rm->quit = FALSE;
	rm->started = FALSE;
	g_atomic_int_set(&rm->signo, 0);
	g_atomic_int_set(&rm->closing, 0);
	remover_active = rm;

	/* the thread is made with every signal blocked: the handler runs
	 * in the caller's threads, never in the one it wakes */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ending_signals(&sa.sa_mask);
	for (gsize i = 0; i < G_N_ELEMENTS(ending_signal_list); i++) {
		int sig = ending_signal_list[i];

		rm->handled[sig] = FALSE;
		if (sigaction(sig, NULL, &rm->old_action[sig]) != 0 ||
		    (rm->old_action[sig].sa_flags & SA_SIGINFO) ||
		    rm->old_action[sig].sa_handler != SIG_DFL)
			continue; /* ignored or handled by somebody: left so */
		rm->handled[sig] = sigaction(sig, &sa, NULL) == 0;
	}
	rm->thread = g_thread_try_new("spool-remover", remover_thread, rm, &error);
	if (rm->thread != NULL) {
		/* A fork must not copy a lock that the new thread takes while
		 * it starts (its stack, the allocator's thread data): from
		 * its loop on it takes none but ours. */
		g_mutex_lock(&rm->mutex);
		while (!rm->started)
			g_cond_wait(&rm->cond, &rm->mutex);
		g_mutex_unlock(&rm->mutex);
	} else {
		mm_debug(1, "removals made in place: %s", error->message);
		remover_stopped(rm);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rm->thread != NULL;
}

gboolean
mm_spool_remover_remove(MmSpoolRemover *rm, MmSpoolLock **lock, GError **error)
{
	g_autofree char *h_path = NULL;
	MmSpoolLock *l;
	sigset_t ending, old;
	gboolean wake = FALSE;
	Removal *r;
	int header_fd;

	g_return_val_if_fail(rm != NULL && lock != NULL && *lock != NULL, FALSE);
	l = *lock;
	if (!rm->thread && !remover_start(rm)) {
		if (!mm_spool_remove_whole(rm->spool_dir, l->uid, error))
			return FALSE;
		g_clear_pointer(lock, mm_spool_unlock);
		return TRUE;
	}
	h_path = entry_path(rm->spool_dir, l->uid, "-H");

	/* The handler must not stop this thread while it holds the mutex
	 * (the thread needs it to finish), nor between the unlink and the
	 * hand-over (the -D would be left behind). */
	ending_signals(&ending);
	pthread_sigmask(SIG_BLOCK, &ending, &old);
	/* A descriptor on the -H keeps its inode, so that the unlink here
	 * only takes the name away, and the freeing (with the discard of
	 * its blocks) is the thread's close. */
	header_fd = open(h_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (unlink(h_path) != 0 && errno != ENOENT) {
		mm_error_set_errno(error, errno, "unlink %s", h_path);
		if (header_fd >= 0)
			close(header_fd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return FALSE;
	}
	g_mutex_lock(&rm->mutex);
	while (rm->count == MM_SPOOL_REMOVER_PENDING_MAX)
		g_cond_wait(&rm->cond, &rm->mutex);
	r = &rm->ring[(rm->head + rm->count) % MM_SPOOL_REMOVER_PENDING_MAX];
	r->data_fd = l->fd;
	r->header_fd = header_fd;
	g_snprintf(r->name, sizeof r->name, "%s-D", l->uid);
	rm->count++;
	if (rm->sleeping) {
		rm->sleeping = FALSE;
		wake = TRUE;
	}
	g_mutex_unlock(&rm->mutex);
	if (wake) {
		guint64 one = 1;
		ssize_t n = write(rm->wake_fd, &one, sizeof one);
		(void)n;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	mm_debug(3, "%s: removed from the queue", l->uid);
	l->fd = -1; /* the thread closes it */
	g_clear_pointer(lock, mm_spool_unlock);
	return TRUE;
}

gboolean
mm_spool_remover_drain(MmSpoolRemover *rm, GError **error)
{
	sigset_t ending, old;
	guint failures;
	int signo;

	g_return_val_if_fail(rm != NULL, FALSE);
	if (rm->thread != NULL) {
		ending_signals(&ending);
		pthread_sigmask(SIG_BLOCK, &ending, &old);
		g_atomic_int_set(&rm->closing, 1);
		g_mutex_lock(&rm->mutex);
		rm->quit = TRUE;
		g_mutex_unlock(&rm->mutex);
		{
			guint64 one = 1;
			ssize_t n = write(rm->wake_fd, &one, sizeof one);
			(void)n;
		}
		g_thread_join(g_steal_pointer(&rm->thread));
		remover_stopped(rm);
		/* a signal that came while the removals were finished ends
		 * the process now, as it would have without us */
		signo = g_atomic_int_get(&rm->signo);
		if (signo != 0)
			raise(signo);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	g_mutex_lock(&rm->mutex);
	failures = rm->failures;
	rm->failures = 0;
	g_mutex_unlock(&rm->mutex);
	if (failures > 0) {
		mm_error_set_errno(error, rm->first_errno,
		                   "%u data file(s) of removed messages left behind, the first %s/input/%s",
		                   failures, rm->spool_dir, rm->first_name);
		return FALSE;
	}
	return TRUE;
}

void
mm_spool_remover_free(MmSpoolRemover *rm)
{
	g_autoptr(GError) error = NULL;

	if (rm == NULL)
		return;
	if (!mm_spool_remover_drain(rm, &error))
		mm_log(LOG_ERR, "%s", error->message);
	if (rm->wake_fd >= 0)
		close(rm->wake_fd);
	g_mutex_clear(&rm->mutex);
	g_cond_clear(&rm->cond);
	g_free(rm->spool_dir);
	g_free(rm);
}

GPtrArray *
mm_spool_list_leftovers(const char *spool_dir, GError **error)
{
	g_autoptr(GHashTable) entries = scan_input(spool_dir, error);

	if (entries == NULL)
		return NULL;
	filter_entries(entries, is_leftover);
	return sorted_keys(entries);
}

/* unlink() that counts a missing file as done */
static gboolean
unlink_leftover(const char *path, gboolean *removed, GError **error)
{
	*removed = FALSE;
	if (unlink(path) == 0) {
		*removed = TRUE;
		return TRUE;
	}
	if (errno == ENOENT)
		return TRUE;
	mm_error_set_errno(error, errno, "unlink %s", path);
	return FALSE;
}

gboolean
mm_spool_remove_orphan(const char *spool_dir, const char *uid, gint64 empty_grace, gint64 now,
                       guint *removed, GError **error)
{
	g_autofree char *d_path = NULL;
	g_autofree char *h_path = NULL;
	g_autofree char *t_path = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	struct stat st_d, st_h;
	gboolean gone;

	g_return_val_if_fail(removed != NULL, FALSE);
	*removed = 0;
	if (!check_uid(uid, error))
		return FALSE;
	d_path = entry_path(spool_dir, uid, "-D");
	h_path = entry_path(spool_dir, uid, "-H");
	t_path = entry_path(spool_dir, uid, "-H.tmp");

	/* Held until we are done: under it nobody writes the -H.tmp, and
	 * no -H can appear (only the lock's holder renames one in). */
	lock = mm_spool_lock(spool_dir, uid, &local);
	if (lock == NULL) {
		if (!g_error_matches(local, MM_ERROR, MM_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* No -D (or its last holder removed it while we opened it):
		 * nobody can be writing this -H.tmp, as a writer makes and
		 * locks the -D first. An -H alone stays: it is a damaged
		 * entry, for the administrator to see. */
		if (!unlink_leftover(t_path, &gone, error))
			return FALSE;
		if (gone)
			*removed |= MM_SPOOL_LEFTOVER_TEMP;
		return TRUE;
	}
	if (!unlink_leftover(t_path, &gone, error))
		return FALSE;
	if (gone)
		*removed |= MM_SPOOL_LEFTOVER_TEMP;
	if (lstat(h_path, &st_h) == 0)
		return TRUE;
	if (errno != ENOENT) {
		mm_error_set_errno(error, errno, "stat %s", h_path);
		return FALSE;
	}
	if (fstat(lock->fd, &st_d) != 0) {
		mm_error_set_errno(error, errno, "stat %s", d_path);
		return FALSE;
	}
	/* Data is written only under the lock, so a -D with data that
	 * nobody holds is what a dead writer or remover left. An empty
	 * one may belong to a writer between its create and its lock:
	 * that one waits out @empty_grace (a time from the future, after
	 * the clock was set back, counts as young). */
	if (st_d.st_size == 0 && !(st_d.st_mtime <= now && now - st_d.st_mtime >= empty_grace))
		return TRUE;
	if (!unlink_leftover(d_path, &gone, error))
		return FALSE;
	if (gone)
		*removed |= MM_SPOOL_LEFTOVER_DATA;
	return TRUE;
}
