/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Safe file primitives (see fs.h). Nothing here knows about mail: the
 * spool, mailbox delivery and the configuration reader build on it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"

/* Every failure to get data onto the disk is temporary for us, whatever
 * errno says: the caller must not report success, and may try again. */
static void
set_temporary(GError **error, int errnum, const char *what, const char *op)
{
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s %s: %s", op, what, g_strerror(errnum));
}

int
mm_fs_open(const char *path, int flags, mode_t mode, GError **error)
{
	struct stat st;
	int fd;

	do {
		fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno == ELOOP)
			g_set_error(error, MM_ERROR, MM_ERROR_FAILED,
			            "open %s: is a symbolic link, refused", path);
		else
			mm_error_set_errno(error, errno, "open %s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		int saved = errno;
		close(fd);
		mm_error_set_errno(error, saved, "fstat %s", path);
		return -1;
	}
	if ((flags & O_DIRECTORY) ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "open %s: not a %s", path,
		            (flags & O_DIRECTORY) ? "directory" : "regular file");
		return -1;
	}
	return fd;
}

gboolean
mm_fs_write_all(int fd, const void *buf, gsize len, const char *what, GError **error)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_temporary(error, errno, what, "write");
			return FALSE;
		}
		if (n == 0) {
			/* POSIX leaves this open; a full disk is the likely cause */
			set_temporary(error, ENOSPC, what, "write");
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

gboolean
mm_fs_writev_all(int fd, const struct iovec *iov, int n, const char *what, GError **error)
{
	struct iovec part[8];
	int i = 0;

	while (i < n && iov[i].iov_len == 0)
		i++;
	while (i < n) {
		ssize_t done;
		int k = MIN(n - i, (int)G_N_ELEMENTS(part));

		memcpy(part, iov + i, (gsize)k * sizeof *part);
		done = writev(fd, part, k);
		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0) {
			set_temporary(error, done < 0 ? errno : ENOSPC, what, "write");
			return FALSE;
		}
		/* a partial write: the rest of the part it ended in goes on
		 * its own, then the loop carries on with whole parts */
		for (int j = 0; j < k && done > 0; j++) {
			if ((gsize)done >= part[j].iov_len) {
				done -= (ssize_t)part[j].iov_len;
				i++;
				continue;
			}
			if (!mm_fs_write_all(fd, (const char *)part[j].iov_base + done,
			                     part[j].iov_len - (gsize)done, what, error))
				return FALSE;
			i++;
			done = 0;
		}
		while (i < n && iov[i].iov_len == 0)
			i++;
	}
	return TRUE;
}

int
mm_fs_create_at(int dir_fd, const char *name, int flags, mode_t mode, GError **error)
{
	struct stat st;
	int fd;

	do {
		fd = openat(dir_fd, name, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno == ELOOP)
			g_set_error(error, MM_ERROR, MM_ERROR_FAILED,
			            "open %s: is a symbolic link, refused", name);
		else
			mm_error_set_errno(error, errno, "create %s", name);
		return -1;
	}
	/* O_EXCL made the file: it cannot be anything but ours */
	if (flags & O_EXCL)
		return fd;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "open %s: not a regular file", name);
		return -1;
	}
	return fd;
}

void
mm_fs_start_writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
#endif
}

gboolean
mm_fs_fsync(int fd, const char *what, GError **error)
{
	/* No retry after EINTR or EIO: after a failed fsync the kernel may
	 * have dropped the dirty pages, so a second fsync proves nothing. */
	if (fsync(fd) != 0) {
		set_temporary(error, errno, what, "fsync");
		return FALSE;
	}
	return TRUE;
}

gboolean
mm_fs_fsync_dir(const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	int fd;
	gboolean ok = TRUE;

	fd = mm_fs_open(path, O_RDONLY | O_DIRECTORY, 0, &local);
	if (fd < 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s", local->message);
		return FALSE;
	}
	if (fsync(fd) != 0 && errno != EINVAL) {
		set_temporary(error, errno, path, "fsync");
		ok = FALSE;
	}
	close(fd);
	return ok;
}

gboolean
mm_fs_fsync_dir_fd(int dir_fd, const char *what, GError **error)
{
	if (fsync(dir_fd) != 0 && errno != EINVAL) {
		set_temporary(error, errno, what, "fsync");
		return FALSE;
	}
	return TRUE;
}

gboolean
mm_fs_close(int fd, const char *what, GError **error)
{
	if (fd < 0)
		return TRUE;
	/* Linux releases the descriptor even when close() fails with EINTR,
	 * so close is never retried. */
	if (close(fd) != 0 && errno != EINTR) {
		set_temporary(error, errno, what, "close");
		return FALSE;
	}
	return TRUE;
}

gboolean
mm_fs_replace(const char *dir, const char *name, const char *tmp_name, const void *data,
              gsize len, mode_t mode, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *tmp_path = g_build_filename(dir, tmp_name, NULL);
	int fd;

	fd = mm_fs_open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, mode, error);
	if (fd < 0)
		return FALSE;
	if (!mm_fs_write_all(fd, data, len, tmp_path, error) ||
	    !mm_fs_fsync(fd, tmp_path, error)) {
		close(fd);
		goto fail;
	}
	if (!mm_fs_close(fd, tmp_path, error))
		goto fail;
	if (rename(tmp_path, path) != 0) {
		set_temporary(error, errno, path, "rename to");
		goto fail;
	}
	/* The new content is in place now; if the directory cannot be
	 * synced the caller hears of it, but there is nothing to undo. */
	return mm_fs_fsync_dir(dir, error);

fail:
	unlink(tmp_path);
	return FALSE;
}

GBytes *
mm_fs_read_all(int fd, gsize max, const char *what, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[16384];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mm_error_set_errno(error, errno, "read %s", what);
			return NULL;
		}
		if (n == 0)
			break;
		if ((gsize)n > max - buf->len) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "%s: longer than %" G_GSIZE_FORMAT " bytes",
			            what, max);
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

void
mm_fs_stdio_to_null(gboolean with_stderr)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null_fd < 0)
		return;
	dup2(null_fd, STDIN_FILENO);
	dup2(null_fd, STDOUT_FILENO);
	if (with_stderr)
		dup2(null_fd, STDERR_FILENO);
	if (null_fd > STDERR_FILENO)
		close(null_fd);
}
