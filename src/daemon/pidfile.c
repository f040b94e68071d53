/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * pidfile.c creates, locks and writes the daemon's pid file; removing
 * it is the daemon's, while it still holds the lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "daemon/pidfile.h"

/* a pid as text, with room to spare; a longer file is not ours */
#define PIDFILE_TEXT_MAX 32

int
mm_pidfile_lock(const char *path, GError **error)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0) {
		mm_error_set_errno(error, errno, "cannot open the pid file %s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION, "the pid file %s is not a regular file", path);
		goto fail;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		char text[PIDFILE_TEXT_MAX + 1] = "";
		ssize_t n;

		if (errno != EAGAIN && errno != EACCES) {
			mm_error_set_errno(error, errno, "cannot lock the pid file %s", path);
			goto fail;
		}
		n = pread(fd, text, PIDFILE_TEXT_MAX, 0);
		text[n > 0 ? n : 0] = '\0';
		g_strchomp(text);
		g_set_error(error, MM_ERROR, MM_ERROR_LOCKED,
		            "another masqmail daemon runs (pid %s, pid file %s)", text[0] ? text : "unknown", path);
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -1;
}

gboolean
mm_pidfile_write(int fd, pid_t pid, GError **error)
{
	char text[PIDFILE_TEXT_MAX];
	int len = g_snprintf(text, sizeof text, "%d\n", (int)pid);

	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, len, 0) != len) {
		mm_error_set_errno(error, errno, "cannot write the pid file");
		return FALSE;
	}
	return TRUE;
}
