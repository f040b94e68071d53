/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The list of routes a queue run tries, and online_query. Loading the
 * route files is route.c's business; this file only decides which
 * files, in which order.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "conf/route.h"
#include "deliver/online.h"

/* Reads what the child writes until EOF, the limit or the deadline. */
static gsize
read_output(int fd, char *buf, gsize max, gint64 deadline, gboolean *timed_out)
{
	gsize len = 0;
	*timed_out = FALSE;
	while (len < max) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0) {
			*timed_out = TRUE;
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, (int)MIN(left, G_MAXINT));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*timed_out = r == 0;
			break;
		}
		ssize_t n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	return len;
}

gboolean
mm_online_query(const char *command, char **name, GError **error)
{
	*name = NULL;
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) local = NULL;
	if (!g_shell_parse_argv(command, NULL, &argv, &local)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "online_query \"%s\" is not a command: %s", command,
		            local->message);
		return FALSE;
	}
	const char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	GPid pid;
	int out_fd;
	/* G_SPAWN_SEARCH_PATH_FROM_ENVP: a bare name is looked up in the
	 * PATH we give, not in the caller's. */
	if (!g_spawn_async_with_pipes(NULL, argv, (char **)envp,
	                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH_FROM_ENVP |
	                                  G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_CLOEXEC_PIPES,
	                              NULL, NULL, &pid, NULL, &out_fd, NULL, &local)) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "online_query \"%s\" cannot be started: %s",
		            command, local->message);
		return FALSE;
	}

	char buf[MM_ONLINE_QUERY_OUTPUT_MAX + 1];
	gboolean timed_out;
	gint64 deadline = g_get_monotonic_time() + (gint64)MM_ONLINE_QUERY_TIMEOUT_SECS * G_USEC_PER_SEC;
	gsize len = read_output(out_fd, buf, MM_ONLINE_QUERY_OUTPUT_MAX, deadline, &timed_out);
	close(out_fd);
	if (timed_out)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	g_spawn_close_pid(pid);

	if (timed_out) {
		mm_log(LOG_WARNING, "online_query=\"%s\" killed after %d s: offline", command,
		       MM_ONLINE_QUERY_TIMEOUT_SECS);
		return TRUE;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		mm_debug(2, "online_query=\"%s\" status=%d: offline", command, status);
		return TRUE;
	}
	buf[len] = '\0';
	char *nl = strpbrk(buf, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	g_strstrip(buf);
	if (buf[0] == '\0') {
		mm_log(LOG_WARNING, "online_query=\"%s\" printed no connection name: offline", command);
		return TRUE;
	}
	*name = g_strdup(buf);
	return TRUE;
}

static gboolean
add_routes(GPtrArray *routes, const char *const *files, GError **error)
{
	g_autoptr(GPtrArray) loaded = mm_route_load_list(files, error);
	if (loaded == NULL)
		return FALSE;
	/* move them over without copying: the new array takes ownership */
	g_ptr_array_set_free_func(loaded, NULL);
	for (guint i = 0; i < loaded->len; i++)
		g_ptr_array_add(routes, loaded->pdata[i]);
	return TRUE;
}

GPtrArray *
mm_online_routes(const MmConf *conf, const MmOnlineRequest *req, GError **error)
{
	g_autoptr(GPtrArray) routes = g_ptr_array_new_with_free_func((GDestroyNotify)mm_route_free);

	if (req != NULL && req->only != NULL) {
		const char *const *files = mm_conf_query_route_files(conf, req->only);
		if (files == NULL) {
			g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "no query_routes.%s in the configuration",
			            req->only);
			return NULL;
		}
		if (!add_routes(routes, files, error))
			return NULL;
		return g_steal_pointer(&routes);
	}

	if (!add_routes(routes, (const char *const *)conf->permanent_routes, error))
		return NULL;

	g_auto(GStrv) queried = NULL;
	const char *const *online = req != NULL ? req->online : NULL;
	if (online == NULL && conf->online_query != NULL) {
		char *name = NULL;
		if (!mm_online_query(conf->online_query, &name, error))
			return NULL;
		queried = g_new0(char *, 2);
		queried[0] = name;
		online = (const char *const *)queried;
		if (name == NULL)
			mm_debug(1, "online_query: offline");
		else if (mm_conf_query_route_files(conf, name) == NULL)
			mm_log(LOG_WARNING, "online_query names connection=%s, which has no query_routes.%s: offline",
			       name, name);
		else
			mm_log(LOG_INFO, "online connection=%s (online_query)", name);
	}

	/* the configuration's order, not the order the caller knows them in */
	for (guint i = 0; conf->query_routes != NULL && i < conf->query_routes->len; i++) {
		const MmConfQueryRoute *q = conf->query_routes->pdata[i];
		if (online == NULL || !g_strv_contains(online, q->name))
			continue;
		if (!add_routes(routes, (const char *const *)q->files, error))
			return NULL;
	}
	return g_steal_pointer(&routes);
}
