/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * pipe.c owns the processes local delivery makes: the child that takes
 * a recipient's ids to write a mailbox, and the MDA and pipe commands.
 * It is the only delivery code that forks or executes; it changes ids
 * only in children and only through base/privileges.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib-unix.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/privileges.h"
#include "deliver/expand.h"
#include "deliver/pipe.h"

/* The fixed PATH of commands, and where a program named without a
 * slash is looked up. */
#define PIPE_PATH "/usr/bin:/bin"
/* How often the child is looked after while its pipes are quiet. */
#define POLL_MS 100

static gboolean
become(const MmRunAs *who, GError **error)
{
	if (who == NULL || geteuid() != 0)
		return TRUE;
	return mm_priv_become(who->uid, who->gid, who->user, error);
}

/* Writes all of @len bytes; used in children, where nothing can be
 * done about a failure but to exit. */
static void
write_report(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (gsize)n;
	}
}

/* Reads @fd to its end, keeping at most @max bytes. */
static GString *
read_report(int fd, gsize max)
{
	GString *out = g_string_new(NULL);
	char buf[512];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len < max)
			g_string_append_len(out, buf, MIN((gsize)n, max - out->len));
	}
	return out;
}

static int
wait_child(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			/* Only a foreign reaper can cause this; the outcome is unknown. */
			return W_EXITCODE(EX_TEMPFAIL, 0);
		}
	}
	return status;
}

gboolean
mm_pipe_call_as(const MmRunAs *who, MmChildFunc func, gpointer data, GError **error)
{
	int fds[2];
	pid_t pid;
	int status;
	g_autoptr(GString) report = NULL;

	g_return_val_if_fail(func != NULL, FALSE);

	if (!g_unix_open_pipe(fds, FD_CLOEXEC, NULL)) {
		mm_error_set_errno(error, errno, "cannot make a pipe for the delivery process");
		return FALSE;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot fork a delivery process: %s",
		            g_strerror(e));
		return FALSE;
	}
	if (pid == 0) {
		g_autoptr(GError) child_error = NULL;
		gboolean ok;

		close(fds[0]);
		ok = become(who, &child_error);
		if (ok)
			ok = func(data, &child_error);
		if (!ok) {
			/* "DOMAIN-CODE message": the parent rebuilds the GError. */
			g_autofree char *line = NULL;
			if (child_error == NULL)
				line = g_strdup_printf("%d delivery failed", MM_ERROR_FAILED);
			else if (child_error->domain != MM_ERROR)
				line = g_strdup_printf("%d %s", MM_ERROR_TEMPORARY, child_error->message);
			else
				line = g_strdup_printf("%d %s", child_error->code, child_error->message);
			write_report(fds[1], line, strlen(line));
		}
		_exit(ok ? 0 : 1);
	}

	close(fds[1]);
	report = read_report(fds[0], MM_CHILD_REPORT_MAX);
	close(fds[0]);
	status = wait_child(pid);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return TRUE;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && report->len > 0) {
		char *end = NULL;
		gint64 code = g_ascii_strtoll(report->str, &end, 10);
		if (end != report->str && *end == ' ' && code >= MM_ERROR_FAILED &&
		    code <= MM_ERROR_PERMISSION) {
			g_set_error_literal(error, MM_ERROR, (int)code, end + 1);
			return FALSE;
		}
	}
	if (WIFSIGNALED(status))
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
		            "delivery process was killed by signal %d", WTERMSIG(status));
	else
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
		            "delivery process ended with status %d", WEXITSTATUS(status));
	return FALSE;
}

void
mm_pipe_result_clear(MmPipeResult *result)
{
	if (result == NULL)
		return;
	g_clear_pointer(&result->output, g_free);
}

/* The program for @name: itself when it holds a slash, else the first
 * executable in PIPE_PATH. */
static char *
find_program(const char *name)
{
	g_auto(GStrv) dirs = NULL;

	if (strchr(name, '/') != NULL)
		return g_strdup(name);
	dirs = g_strsplit(PIPE_PATH, ":", -1);
	for (guint i = 0; dirs[i] != NULL; i++) {
		g_autofree char *path = g_build_filename(dirs[i], name, NULL);
		if (access(path, X_OK) == 0)
			return g_steal_pointer(&path);
	}
	return NULL;
}

/* Puts @fd out of the way of 0-2 and of each other (moves it to 10 or
 * above) in the child. */
static int
lift(int fd)
{
	return fcntl(fd, F_DUPFD, 10);
}

static void
close_from(int lowest)
{
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)lowest, ~0U, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lowest; fd < max; fd++)
		close(fd);
}

/* In the child: only fds 0-2 (and the report pipe, closed by exec),
 * default signals, the user's ids, then exec. Never returns. */
G_GNUC_NORETURN static void
exec_child(const char *path, const char *const *argv, const char *const *envp, int in_r,
           int out_w, int rep_w, const MmRunAs *who)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *msg = NULL;
	sigset_t all;
	int in = lift(in_r), out = lift(out_w), rep = lift(rep_w);

	if (in < 0 || out < 0 || rep < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0 || dup2(rep, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
		msg = g_strdup_printf("cannot set up the descriptors of %s: %s", argv[0],
		                      g_strerror(errno));
		write_report(rep >= 0 ? rep : rep_w, msg, strlen(msg));
		_exit(EX_OSERR);
	}
	close_from(4);

	/* Ignored signals stay ignored across exec; a command that finds
	 * SIGPIPE ignored behaves differently than from a terminal. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Its own process group, so that the time limit reaches whatever
	 * the command starts. */
	setpgid(0, 0);
	umask(077);

	if (!become(who, &error)) {
		msg = g_strdup_printf("cannot run %s as uid %u: %s", argv[0], who ? who->uid : 0,
		                      error->message);
		write_report(3, msg, strlen(msg));
		_exit(EX_OSERR);
	}
	if (chdir("/") != 0) {
		/* not worth failing for */
	}
	execve(path, (char *const *)argv, (char *const *)envp);
	msg = g_strdup_printf("cannot execute %s: %s", path, g_strerror(errno));
	write_report(3, msg, strlen(msg));
	_exit(127);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

gboolean
mm_pipe_run(const char *const *argv, const char *const *envp, GBytes *input, guint timeout_secs,
            const MmRunAs *who, MmPipeResult *result, GError **error)
{
	g_autofree char *path = NULL;
	g_autoptr(GString) output = g_string_new(NULL);
	g_autoptr(GString) report = NULL;
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, rep_p[2] = { -1, -1 };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	const char *data = NULL;
	gsize len = 0, written = 0;
	gboolean reaped = FALSE, timed_out = FALSE, truncated = FALSE;
	gint64 deadline;
	int status = 0;
	pid_t pid;

	g_return_val_if_fail(argv != NULL && argv[0] != NULL && envp != NULL && result != NULL,
	                     FALSE);
	memset(result, 0, sizeof *result);

	path = find_program(argv[0]);
	if (path == NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot find %s in %s", argv[0],
		            PIPE_PATH);
		return FALSE;
	}
	if (!g_unix_open_pipe(in_p, FD_CLOEXEC, NULL) || !g_unix_open_pipe(out_p, FD_CLOEXEC, NULL) ||
	    !g_unix_open_pipe(rep_p, FD_CLOEXEC, NULL)) {
		mm_error_set_errno(error, errno, "cannot make pipes for %s", argv[0]);
		goto fail;
	}

	pid = fork();
	if (pid < 0) {
		mm_error_set_errno(error, errno, "cannot fork for %s", argv[0]);
		goto fail;
	}
	if (pid == 0)
		exec_child(path, argv, envp, in_p[0], out_p[1], rep_p[1], who);

	close_fd(&in_p[0]);
	close_fd(&out_p[1]);
	close_fd(&rep_p[1]);
	/* The report pipe closes at exec; anything in it means there was
	 * no exec. */
	report = read_report(rep_p[0], MM_CHILD_REPORT_MAX);
	close_fd(&rep_p[0]);
	if (report->len > 0) {
		wait_child(pid);
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s", report->str);
		goto fail;
	}

	if (input != NULL)
		data = g_bytes_get_data(input, &len);
	if (len == 0)
		close_fd(&in_p[1]);
	else
		g_unix_set_fd_nonblocking(in_p[1], TRUE, NULL);
	g_unix_set_fd_nonblocking(out_p[0], TRUE, NULL);
	/* A command that stops reading must not kill us with SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old_pipe);

	deadline = g_get_monotonic_time() +
	           (gint64)(timeout_secs ? timeout_secs : MM_PIPE_TIMEOUT_SECS) * G_USEC_PER_SEC;
	while (!reaped) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		gint64 left = deadline - g_get_monotonic_time();

		if (in_p[1] >= 0)
			pfd[n++] = (struct pollfd){ .fd = in_p[1], .events = POLLOUT };
		if (out_p[0] >= 0)
			pfd[n++] = (struct pollfd){ .fd = out_p[0], .events = POLLIN };
		if (left <= 0 || (poll(pfd, n, (int)MIN(left / 1000 + 1, POLL_MS)) < 0 &&
		                  errno != EINTR)) {
			/* Out of time (or unable to wait for it): the command and
			 * all it started go, and the message waits. */
			timed_out = TRUE;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			status = wait_child(pid);
			break;
		}

		if (in_p[1] >= 0) {
			ssize_t w = write(in_p[1], data + written, MIN(len - written, 65536));
			if (w > 0)
				written += (gsize)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				/* EPIPE: the command has read all it wanted. */
				mm_debug(2, "%s stopped reading its input after %" G_GSIZE_FORMAT
				            " of %" G_GSIZE_FORMAT " bytes: %s",
				         argv[0], written, len, g_strerror(errno));
				close_fd(&in_p[1]);
			}
			if (written == len)
				close_fd(&in_p[1]);
		}
		while (out_p[0] >= 0) {
			char buf[4096];
			ssize_t r = read(out_p[0], buf, sizeof buf);
			if (r > 0) {
				gsize keep = MIN((gsize)r, MM_PIPE_OUTPUT_MAX - MIN(output->len, MM_PIPE_OUTPUT_MAX));
				g_string_append_len(output, buf, keep);
				truncated |= keep < (gsize)r;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close_fd(&out_p[0]);
			} else {
				break;
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			reaped = TRUE;
	}
	/* What the command wrote just before it ended is still in the pipe
	 * (unless something it started keeps writing: then stop here). */
	while (out_p[0] >= 0 && output->len < MM_PIPE_OUTPUT_MAX) {
		char buf[4096];
		ssize_t r = read(out_p[0], buf, MIN(sizeof buf, MM_PIPE_OUTPUT_MAX - output->len));
		if (r <= 0)
			break;
		g_string_append_len(output, buf, (gsize)r);
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	close_fd(&in_p[1]);
	close_fd(&out_p[0]);

	result->wait_status = status;
	result->timed_out = timed_out;
	result->output_truncated = truncated;
	result->output = g_string_free(g_steal_pointer(&output), FALSE);
	return TRUE;

fail:
	close_fd(&in_p[0]);
	close_fd(&in_p[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&rep_p[0]);
	close_fd(&rep_p[1]);
	return FALSE;
}

static const char *
sysexit_name(int code)
{
	static const char *const names[] = {
		"EX_USAGE", "EX_DATAERR", "EX_NOINPUT", "EX_NOUSER", "EX_NOHOST",
		"EX_UNAVAILABLE", "EX_SOFTWARE", "EX_OSERR", "EX_OSFILE", "EX_CANTCREAT",
		"EX_IOERR", "EX_TEMPFAIL", "EX_PROTOCOL", "EX_NOPERM", "EX_CONFIG",
	};

	if (code >= EX__BASE && code <= EX__MAX)
		return names[code - EX__BASE];
	return NULL;
}

/* The output as one log-safe line: line ends become " | ", other
 * control characters '?', surrounding white space dropped. */
static char *
one_line(const char *output, gboolean truncated)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *copy = g_strstrip(g_strdup(output ? output : ""));

	for (const char *p = copy; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append(out, " | ");
		else if ((guchar)*p < ' ' || *p == 0x7f)
			g_string_append_c(out, '?');
		else
			g_string_append_c(out, *p);
	}
	if (truncated)
		g_string_append(out, " [...]");
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gboolean
mm_pipe_result_check(const MmPipeResult *result, const char *what, GError **error)
{
	g_autofree char *out = one_line(result->output, result->output_truncated);
	g_autofree char *said = *out ? g_strdup_printf(": %s", out) : g_strdup("");
	int status = result->wait_status;

	if (result->timed_out) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
		            "%s did not finish within its time limit and was killed%s", what, said);
		return FALSE;
	}
	if (WIFSIGNALED(status)) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s was killed by signal %d%s", what,
		            WTERMSIG(status), said);
		return FALSE;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return TRUE;
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		const char *name = sysexit_name(code);
		g_autofree char *shown = name ? g_strdup_printf("%d (%s)", code, name)
		                              : g_strdup_printf("%d", code);
		g_set_error(error, MM_ERROR, code == EX_TEMPFAIL ? MM_ERROR_TEMPORARY : MM_ERROR_FAILED,
		            "%s exited with status %s%s", what, shown, said);
		return FALSE;
	}
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s ended in an unknown way%s", what, said);
	return FALSE;
}

static void
add_env(GPtrArray *env, const char *name, const char *value)
{
	g_ptr_array_add(env, g_strdup_printf("%s=%s", name, value ? value : ""));
}

char **
mm_pipe_environment(const MmPipeContext *ctx)
{
	GPtrArray *env = g_ptr_array_new();
	const MmAddress *rp = ctx->msg ? ctx->msg->return_path : NULL;
	const MmAddress *orig = ctx->original ? ctx->original : ctx->rcpt;
	g_autofree char *sender = rp ? mm_address_to_string(rp) : g_strdup("");

	add_env(env, "SENDER", sender);
	add_env(env, "RETURN_PATH", sender);
	add_env(env, "SENDER_DOMAIN", rp ? rp->domain : "");
	add_env(env, "SENDER_LOCAL", rp ? rp->local_part : "");
	add_env(env, "RECEIVED_HOST", ctx->msg ? ctx->msg->received_host : "");
	add_env(env, "DOMAIN", orig ? orig->domain : "");
	add_env(env, "LOCAL_PART", orig ? orig->local_part : "");
	add_env(env, "USER", orig ? orig->local_part : "");
	add_env(env, "LOGNAME", orig ? orig->local_part : "");
	add_env(env, "MESSAGE_ID", ctx->msg ? ctx->msg->uid : "");
	add_env(env, "QUALIFY_DOMAIN", ctx->qualify_domain);
	add_env(env, "PATH", PIPE_PATH);
	if (ctx->home != NULL)
		add_env(env, "HOME", ctx->home);
	g_ptr_array_add(env, NULL);
	return (char **)g_ptr_array_free(env, FALSE);
}

gboolean
mm_pipe_deliver(const char *command, const MmPipeContext *ctx, const MmPipeOptions *opts,
                GError **error)
{
	g_auto(GStrv) argv = NULL;
	g_auto(GStrv) envp = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(GError) local_error = NULL;
	MmPipeResult result = { 0 };
	const char *uid;
	gboolean ok;

	g_return_val_if_fail(command != NULL && ctx != NULL && ctx->msg != NULL && opts != NULL,
	                     FALSE);
	uid = ctx->msg->uid ? ctx->msg->uid : "-";
	if (command[0] == '|')
		command++;

	if (opts->expand) {
		g_autoptr(GHashTable) vars = mm_expand_vars_new();
		mm_expand_vars_add_message(vars, ctx->msg);
		if (ctx->rcpt != NULL)
			mm_expand_vars_add_rcpt(vars, ctx->rcpt);
		mm_expand_vars_add_conf(vars, ctx->qualify_domain);
		argv = mm_expand_argv(command, vars, &local_error);
	} else if (!g_shell_parse_argv(command, NULL, &argv, &local_error)) {
		/* Split only, as 1.0 does for pipe items: every '$' is literal. */
		g_prefix_error(&local_error, "cannot split command \"%s\": ", command);
		argv = NULL;
	}
	if (argv == NULL) {
		/* A broken command is the configuration's fault: the message
		 * waits for it to be fixed, except when the address itself is
		 * the problem. */
		int code = g_error_matches(local_error, MM_ERROR, MM_ERROR_FAILED) ? MM_ERROR_FAILED
		                                                                   : MM_ERROR_TEMPORARY;
		g_set_error(error, MM_ERROR, code, "%s", local_error->message);
		return FALSE;
	}

	envp = mm_pipe_environment(ctx);
	input = mm_render_to_bytes(ctx->msg, &opts->render);
	if (!mm_pipe_run((const char *const *)argv, (const char *const *)envp, input,
	                 opts->timeout_secs, opts->run_as, &result, error))
		return FALSE;
	if (result.output != NULL && result.output[0] != '\0') {
		g_autofree char *line = one_line(result.output, result.output_truncated);
		mm_log(LOG_NOTICE, "%s: command=%s output: %s", uid, argv[0], line);
	}
	ok = mm_pipe_result_check(&result, argv[0], error);
	mm_pipe_result_clear(&result);
	return ok;
}
