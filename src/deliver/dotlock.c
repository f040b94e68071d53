/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dotlock.c owns the FILE.lock files beside mailboxes: making them,
 * recognising stale ones and removing them. It touches nothing but the
 * lock file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "deliver/dotlock.h"

#define RETRY_MS 100

struct MmDotlock {
	char *path;
};

const char *
mm_dotlock_path(const MmDotlock *lock)
{
	return lock->path;
}

/* The pid written in the lock at @path, 0 when it holds none. */
static pid_t
read_owner(const char *path)
{
	char buf[32];
	char *end;
	long pid;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || pid > G_MAXINT32)
		return 0;
	return (pid_t)pid;
}

/* Removes the lock at @path when it is stale: older than
 * MM_DOTLOCK_STALE_SECS and its owner is gone. Returns TRUE when it
 * removed it. A young lock is never touched, even without a pid: its
 * owner may not have written it yet. */
static gboolean
remove_if_stale(const char *path)
{
	struct stat before, now;
	pid_t owner;

	if (lstat(path, &before) != 0)
		return FALSE;
	if ((gint64)time(NULL) - (gint64)before.st_mtime < MM_DOTLOCK_STALE_SECS)
		return FALSE;
	owner = read_owner(path);
	if (owner > 0 && (kill(owner, 0) == 0 || errno != ESRCH))
		return FALSE;
	/* Another process may have removed the stale lock and taken a new
	 * one meanwhile; only remove the very file that was judged. */
	if (lstat(path, &now) != 0 || now.st_ino != before.st_ino || now.st_dev != before.st_dev ||
	    now.st_mtime != before.st_mtime)
		return FALSE;
	if (unlink(path) != 0)
		return FALSE;
	mm_log(LOG_NOTICE, "removed stale lock %s (pid %d)", path, (int)owner);
	return TRUE;
}

static gboolean
try_create(const char *path, int *err)
{
	g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());
	gsize len = strlen(pid);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		*err = errno;
		return FALSE;
	}
	/* A lock without its pid would look stale later; it still locks. */
	if (write(fd, pid, len) != (ssize_t)len)
		mm_debug(1, "could not write the pid into %s", path);
	close(fd);
	return TRUE;
}

MmDotlock *
mm_dotlock_acquire(const char *file, guint timeout_ms, GError **error)
{
	g_autofree char *path = NULL;
	gint64 deadline;
	int err = 0;

	g_return_val_if_fail(file != NULL, NULL);

	path = g_strconcat(file, ".lock", NULL);
	deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	for (;;) {
		if (try_create(path, &err)) {
			MmDotlock *lock = g_new0(MmDotlock, 1);
			lock->path = g_steal_pointer(&path);
			return lock;
		}
		if (err != EEXIST) {
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot create lock file %s: %s",
			            path, g_strerror(err));
			return NULL;
		}
		if (remove_if_stale(path))
			continue;
		if (g_get_monotonic_time() >= deadline)
			break;
		g_usleep(RETRY_MS * 1000);
	}
	pid_t owner = read_owner(path);
	if (owner > 0)
		g_set_error(error, MM_ERROR, MM_ERROR_LOCKED, "%s is held by process %d", path,
		            (int)owner);
	else
		g_set_error(error, MM_ERROR, MM_ERROR_LOCKED, "%s is held by another process", path);
	return NULL;
}

void
mm_dotlock_release(MmDotlock *lock)
{
	if (lock == NULL)
		return;
	if (unlink(lock->path) != 0 && errno != ENOENT)
		mm_log(LOG_WARNING, "cannot remove lock file %s: %s", lock->path, g_strerror(errno));
	g_free(lock->path);
	g_free(lock);
}
