/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * mbox.c owns the writing of mbox files: opening them safely, locking,
 * appending, syncing and undoing a partial append. It runs with the
 * recipient's ids and never decides who the recipient is.
 *
 * The checks follow Postfix's safe_open(): open first (O_NOFOLLOW),
 * then look at what was opened (fstat), never lstat-then-open.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "deliver/dotlock.h"
#include "deliver/mbox.h"

#define LOCK_RETRY_MS 100

char *
mm_mbox_path(const char *mail_dir, const char *user, GError **error)
{
	g_return_val_if_fail(mail_dir != NULL && user != NULL, NULL);

	if (user[0] == '\0' || user[0] == '.' || strchr(user, '/') != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "\"%s\" cannot be a mailbox name", user);
		return NULL;
	}
	for (const char *p = user; *p != '\0'; p++) {
		if ((guchar)*p < ' ' || *p == 0x7f) {
			g_autofree char *shown = g_strescape(user, NULL);
			g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "\"%s\" cannot be a mailbox name",
			            shown);
			return NULL;
		}
	}
	return g_build_filename(mail_dir, user, NULL);
}

static gboolean
temporary(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
temporary(GError **error, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, MM_ERROR, MM_ERROR_TEMPORARY, msg);
	return FALSE;
}

/* Opens the mailbox for appending, making it when missing, and checks
 * what was opened. Returns the descriptor or -1. */
static int
open_mailbox(const char *path, GError **error)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK;
	struct stat st;
	int fd = -1;

	/* Twice: another delivery may make the file between our two opens. */
	for (int attempt = 0; attempt < 2 && fd < 0; attempt++) {
		fd = open(path, flags);
		if (fd < 0 && errno == ENOENT)
			fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		if (errno == ELOOP)
			temporary(error, "mailbox %s is a symbolic link: refused", path);
		else
			temporary(error, "cannot open mailbox %s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		temporary(error, "cannot stat mailbox %s: %s", path, g_strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		temporary(error, "mailbox %s is not a regular file: refused", path);
		goto fail;
	}
	if (st.st_nlink != 1) {
		temporary(error, "mailbox %s has %lu hard links: refused", path,
		          (unsigned long)st.st_nlink);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		temporary(error, "mailbox %s belongs to uid %u, not to uid %u: refused", path,
		          (unsigned)st.st_uid, (unsigned)geteuid());
		goto fail;
	}
	/* O_NONBLOCK only kept a FIFO from blocking the open. */
	if (fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) != 0) {
		temporary(error, "cannot set up mailbox %s: %s", path, g_strerror(errno));
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -1;
}

static gboolean
lock_fcntl(int fd, const char *path, guint timeout_ms, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	for (;;) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return TRUE;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			return temporary(error, "cannot lock mailbox %s: %s", path, g_strerror(errno));
		if (g_get_monotonic_time() >= deadline)
			break;
		g_usleep(LOCK_RETRY_MS * 1000);
	}
	g_set_error(error, MM_ERROR, MM_ERROR_LOCKED, "mailbox %s is locked by another process", path);
	return FALSE;
}

gboolean
mm_mbox_deliver(const char *path, const MmMessage *msg, const MmMboxOptions *opts, GError **error)
{
	static const MmMboxOptions defaults = { 0 };
	g_autoptr(MmDotlock) dotlock = NULL;
	g_autoptr(GError) write_error = NULL;
	MmRenderOptions render = { 0 };
	guint timeout_ms;
	struct stat st;
	off_t old_size;
	int fd;

	g_return_val_if_fail(path != NULL && msg != NULL, FALSE);
	if (opts == NULL)
		opts = &defaults;
	timeout_ms = opts->lock_timeout_ms ? opts->lock_timeout_ms : MM_MBOX_LOCK_WAIT_SECS * 1000;

	dotlock = mm_dotlock_acquire(path, timeout_ms, error);
	if (dotlock == NULL)
		return FALSE;
	fd = open_mailbox(path, error);
	if (fd < 0)
		return FALSE;
	if (!lock_fcntl(fd, path, timeout_ms, error))
		goto fail;
	/* The size under the lock is the one to return to. */
	if (fstat(fd, &st) != 0) {
		temporary(error, "cannot stat mailbox %s: %s", path, g_strerror(errno));
		goto fail;
	}
	old_size = st.st_size;

	render.flags = MM_RENDER_MBOX;
	render.envelope_to = opts->envelope_to;
	render.from_time = opts->from_time;
	if (!mm_render_to_fd(fd, msg, &render, &write_error) || fsync(fd) != 0) {
		const char *why = write_error ? write_error->message : g_strerror(errno);
		if (ftruncate(fd, old_size) != 0 || fsync(fd) != 0)
			mm_log(LOG_ERR, "%s: cannot cut mailbox %s back to %lld bytes: %s",
			       msg->uid ? msg->uid : "-", path, (long long)old_size, g_strerror(errno));
		temporary(error, "cannot write to mailbox %s: %s", path, why);
		goto fail;
	}
	/* After a successful fsync the data is on disk; an error of close()
	 * cannot take it back any more. */
	if (close(fd) != 0)
		mm_log(LOG_WARNING, "closing mailbox %s: %s", path, g_strerror(errno));
	return TRUE;

fail:
	close(fd);
	return FALSE;
}

typedef struct {
	const char *path;
	const MmMessage *msg;
	const MmMboxOptions *opts;
} MboxJob;

static gboolean
mbox_job(gpointer data, GError **error)
{
	MboxJob *job = data;

	return mm_mbox_deliver(job->path, job->msg, job->opts, error);
}

gboolean
mm_mbox_deliver_as(const MmRunAs *who, const char *path, const MmMessage *msg,
                   const MmMboxOptions *opts, GError **error)
{
	MboxJob job = { path, msg, opts };

	return mm_pipe_call_as(who, mbox_job, &job, error);
}
