/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * maildir.c owns the writing of maildirs: making the three
 * directories, the unique name, the write-sync-rename sequence. It
 * works through directory descriptors so that nothing can swap a
 * directory for a symbolic link between a check and its use.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "deliver/maildir.h"
#include "deliver/render.h"

/* Names tried before giving up when tmp/ already holds ours. */
#define NAME_ATTEMPTS 5

static gboolean
temporary(GError **error, const char *what, const char *path, int err)
{
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s %s: %s", what, path, g_strerror(err));
	return FALSE;
}

/* Opens (after making it, mode 0700, when missing) the directory @name
 * below @parent_fd, and checks that it is ours. Returns a descriptor or
 * -1. @shown names it in messages. */
static int
open_dir(int parent_fd, const char *name, const char *shown, GError **error)
{
	struct stat st;
	int fd;

	if (mkdirat(parent_fd, name, 0700) != 0 && errno != EEXIST) {
		temporary(error, "cannot make maildir directory", shown, errno);
		return -1;
	}
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
			            "maildir directory %s is a symbolic link or not a directory: refused",
			            shown);
		else
			temporary(error, "cannot open maildir directory", shown, errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
		            "maildir directory %s does not belong to uid %u: refused", shown,
		            (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/* The host part of a maildir name: '/' and ':' would break the name. */
static char *
host_part(void)
{
	GString *out = g_string_new(NULL);

	for (const char *p = g_get_host_name(); *p != '\0'; p++) {
		if (*p == '/')
			g_string_append(out, "\\057");
		else if (*p == ':')
			g_string_append(out, "\\072");
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static char *
unique_name(void)
{
	static guint counter;
	g_autofree char *host = host_part();
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return g_strdup_printf("%lld.M%06ldP%dQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
	                       (int)getpid(), ++counter, host);
}

gboolean
mm_maildir_deliver(const char *dir, const MmMessage *msg, const MmAddress *envelope_to,
                   char **name_out, GError **error)
{
	MmRenderOptions render = { .flags = MM_RENDER_RETURN_PATH, .envelope_to = envelope_to };
	g_autoptr(GError) write_error = NULL;
	g_autofree char *name = NULL;
	g_autofree char *tmp_shown = NULL, *new_shown = NULL, *cur_shown = NULL;
	int dir_fd = -1, tmp_fd = -1, new_fd = -1, cur_fd = -1, fd = -1;
	gboolean created = FALSE;

	g_return_val_if_fail(dir != NULL && msg != NULL, FALSE);

	tmp_shown = g_build_filename(dir, "tmp", NULL);
	new_shown = g_build_filename(dir, "new", NULL);
	cur_shown = g_build_filename(dir, "cur", NULL);
	if ((dir_fd = open_dir(AT_FDCWD, dir, dir, error)) < 0 ||
	    (tmp_fd = open_dir(dir_fd, "tmp", tmp_shown, error)) < 0 ||
	    (new_fd = open_dir(dir_fd, "new", new_shown, error)) < 0 ||
	    (cur_fd = open_dir(dir_fd, "cur", cur_shown, error)) < 0)
		goto fail;

	for (int i = 0; i < NAME_ATTEMPTS && fd < 0; i++) {
		g_free(name);
		name = unique_name();
		fd = openat(tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		temporary(error, "cannot create a file in", tmp_shown, errno);
		goto fail;
	}
	created = TRUE;

	if (!mm_render_to_fd(fd, msg, &render, &write_error)) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot write %s/%s: %s", tmp_shown,
		            name, write_error->message);
		goto fail;
	}
	if (fsync(fd) != 0) {
		temporary(error, "cannot sync a file in", tmp_shown, errno);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		temporary(error, "cannot write a file in", tmp_shown, errno);
		goto fail;
	}
	fd = -1;
	/* The rename is the delivery: before it a reader sees nothing. */
	if (renameat(tmp_fd, name, new_fd, name) != 0) {
		temporary(error, "cannot move the message into", new_shown, errno);
		goto fail;
	}
	created = FALSE;
	if (fsync(new_fd) != 0 && errno != EINVAL) {
		/* The message is in new/ but maybe not on disk. Take it
		 * back: the retry must not deliver it twice. */
		int e = errno;
		if (unlinkat(new_fd, name, 0) != 0)
			mm_log(LOG_WARNING, "cannot remove %s/%s: %s", new_shown, name, g_strerror(errno));
		temporary(error, "cannot sync", new_shown, e);
		goto fail;
	}

	close(dir_fd);
	close(tmp_fd);
	close(new_fd);
	close(cur_fd);
	if (name_out != NULL)
		*name_out = g_steal_pointer(&name);
	return TRUE;

fail:
	if (fd >= 0)
		close(fd);
	if (created && unlinkat(tmp_fd, name, 0) != 0)
		mm_log(LOG_WARNING, "cannot remove %s/%s: %s", tmp_shown, name, g_strerror(errno));
	if (dir_fd >= 0)
		close(dir_fd);
	if (tmp_fd >= 0)
		close(tmp_fd);
	if (new_fd >= 0)
		close(new_fd);
	if (cur_fd >= 0)
		close(cur_fd);
	return FALSE;
}

typedef struct {
	const char *dir;
	const MmMessage *msg;
	const MmAddress *envelope_to;
} MaildirJob;

static gboolean
maildir_job(gpointer data, GError **error)
{
	MaildirJob *job = data;

	return mm_maildir_deliver(job->dir, job->msg, job->envelope_to, NULL, error);
}

gboolean
mm_maildir_deliver_as(const MmRunAs *who, const char *dir, const MmMessage *msg,
                      const MmAddress *envelope_to, GError **error)
{
	MaildirJob job = { dir, msg, envelope_to };

	return mm_pipe_call_as(who, maildir_job, &job, error);
}
