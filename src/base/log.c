/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * log.c owns the log destinations. Each line is written with one
 * write(2) on an O_APPEND descriptor, so lines of concurrent processes
 * never interleave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"

static struct {
	char *ident;
	gboolean syslog;
	gboolean to_stderr;
	int log_fd;
	int debug_fd;
	int debug_level;
} logger = { .log_fd = -1, .debug_fd = -1, .to_stderr = TRUE };

void
mm_log_init(const char *ident)
{
	g_free(logger.ident);
	logger.ident = g_strdup(ident);
}

static int
open_log_file(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		mm_error_set_errno(error, errno, "cannot open log file %s", path);
	return fd;
}

gboolean
mm_log_open(gboolean use_syslog, const char *log_dir, int debug_level, GError **error)
{
	mm_log_close();
	logger.debug_level = debug_level;
	if (use_syslog) {
		openlog(logger.ident ? logger.ident : "masqmail", LOG_PID, LOG_MAIL);
		logger.syslog = TRUE;
	} else {
		logger.log_fd = open_log_file(log_dir, "masqmail.log", error);
		if (logger.log_fd < 0)
			return FALSE;
	}
	if (debug_level > 0 && !use_syslog) {
		logger.debug_fd = open_log_file(log_dir, "debug.log", error);
		if (logger.debug_fd < 0)
			return FALSE;
	}
	logger.to_stderr = FALSE;
	return TRUE;
}

void
mm_log_set_stderr(gboolean on)
{
	logger.to_stderr = on;
}

void
mm_log_set_debug_level(int level)
{
	logger.debug_level = level;
}

int
mm_log_debug_level(void)
{
	return logger.debug_level;
}

static void
write_line(int fd, const char *line, gsize len)
{
	/* A short write of a log line is not worth failing anything for. */
	while (len > 0) {
		ssize_t n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (gsize)n;
	}
}

/* The process id for the log lines, asked once per process: a daemon
 * writes a few lines per message, and getpid(2) is a system call. The
 * child of a fork() asks again. */
static gint cached_pid;

static void
forget_pid(void)
{
	g_atomic_int_set(&cached_pid, 0);
}

static pid_t
log_pid(void)
{
	static gsize registered;
	gint pid;

	if (g_once_init_enter(&registered)) {
		pthread_atfork(NULL, NULL, forget_pid);
		g_once_init_leave(&registered, 1);
	}
	pid = g_atomic_int_get(&cached_pid);
	if (pid == 0) {
		pid = (gint)getpid();
		g_atomic_int_set(&cached_pid, pid);
	}
	return (pid_t)pid;
}

static void
emit(int fd, int priority, const char *msg)
{
	/* localtime_r() reads the time zone once per process;
	 * g_date_time_new_now_local() looked at /etc/localtime for every
	 * line. */
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32] = "";
	g_autofree char *line = NULL;

	if (localtime_r(&now, &tm) != NULL)
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	line = g_strdup_printf("%s %s[%d]: %s\n", stamp, logger.ident ? logger.ident : "masqmail",
	                       (int)log_pid(), msg);
	(void)priority;
	write_line(fd, line, strlen(line));
}

static void
log_message(int priority, gboolean is_debug, const char *msg)
{
	if (logger.syslog)
		syslog(is_debug ? LOG_DEBUG : priority, "%s", msg);
	if (is_debug && logger.debug_fd >= 0)
		emit(logger.debug_fd, priority, msg);
	else if (!is_debug && logger.log_fd >= 0)
		emit(logger.log_fd, priority, msg);
	if (logger.to_stderr) {
		g_autofree char *line = g_strdup_printf("%s: %s\n",
		                                        logger.ident ? logger.ident : "masqmail", msg);
		write_line(STDERR_FILENO, line, strlen(line));
	}
}

void
mm_log(int priority, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	log_message(priority, FALSE, msg);
	/* Errors also belong in the debug log so that it tells the whole story. */
	if (logger.debug_fd >= 0)
		emit(logger.debug_fd, priority, msg);
}

void
mm_debug(int level, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	if (logger.debug_level < level)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	log_message(LOG_DEBUG, TRUE, msg);
}

void
mm_log_close(void)
{
	if (logger.log_fd >= 0)
		close(logger.log_fd);
	if (logger.debug_fd >= 0)
		close(logger.debug_fd);
	if (logger.syslog)
		closelog();
	logger.log_fd = logger.debug_fd = -1;
	logger.syslog = FALSE;
}
