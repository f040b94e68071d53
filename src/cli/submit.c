/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * submit.c: the queueing half of the sendmail command line (-bm). The
 * message is read from standard input, completed (accept.c) and
 * committed to the spool; the exit status is 0 only when it is on
 * disk. Who the sender is is decided here: only root, the mail user
 * and the mail group may choose another return path with -f. Then a
 * running daemon may be told about it through its control socket
 * (only the id crosses; the daemon's view of the links decides which
 * provider takes it). Delivering in this process is deliver_cmd.c's:
 * this half links GLib only, as the sendmail program does (sendmail.c).
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/privileges.h"
#include "cli/commands.h"
#include "cli/submit.h"
#include "daemon/control_client.h"
#include "queue/accept.h"
#include "queue/spool.h"

static MmAddress *
return_path_for(const MmOptions *opts, const MmConf *conf, const char *user, GError **error)
{
	if (opts->return_path) {
		if (mm_priv_caller_is_trusted(MM_USER, MM_GROUP)) {
			const char *rp = opts->return_path[0] ? opts->return_path : "<>";
			return mm_address_parse_path(rp, conf->host_name, TRUE, error);
		}
		mm_log(LOG_NOTICE, "-f %s ignored: uid=%u may not choose the return path", opts->return_path,
		       (unsigned)getuid());
	}
	return mm_address_new(user, conf->host_name, NULL);
}

/* Recipients from the arguments: each may be a list ("a, b") and may
 * have a display name, as sendmail allows; a pipe is not allowed. */
static gboolean
add_argument_rcpts(MmMessage *msg, const MmOptions *opts, const MmConf *conf, GError **error)
{
	for (char **a = opts->args; *a; a++) {
		g_autoptr(GPtrArray) addrs = NULL;
		g_autoptr(GError) local = NULL;
		if ((*a)[0] == '|') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "a pipe is not allowed as recipient: %s", *a);
			return FALSE;
		}
		addrs = mm_address_parse_list(*a, conf->host_name, &local);
		if (!addrs || addrs->len == 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "bad recipient address %s%s%s", *a,
			            local ? ": " : "", local ? local->message : "");
			return FALSE;
		}
		for (guint i = 0; i < addrs->len; i++)
			g_ptr_array_add(msg->rcpts, mm_recipient_new(addrs->pdata[i]));
	}
	return TRUE;
}

int
mm_submit_queue(const MmOptions *opts, const MmConf *conf, gboolean keep_lock, MmMessage **msg_out,
                MmSpoolLock **lock_out)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	struct passwd *pw;
	int pw_errno;
	g_autofree char *rp = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	MmAcceptContext ctx = {
		.host_name = conf->host_name,
		.max_msg_size = conf->max_msg_size,
		.full_name = opts->full_name,
		.uid = getuid(),
		.flags = (opts->ignore_dot ? 0 : MM_ACCEPT_DOT_ENDS) |
		         (opts->read_recipients ? MM_ACCEPT_RCPTS_FROM_HEADERS : 0) |
		         (conf->do_save_envelope_to ? MM_ACCEPT_SAVE_ENVELOPE_TO : 0),
	};

	errno = 0;
	pw = getpwuid(getuid());
	pw_errno = errno;
	if (!pw) {
		/* an error reading the user database is not "no such user" */
		if (pw_errno != 0 && pw_errno != ENOENT && pw_errno != ESRCH) {
			fprintf(stderr, "masqmail: cannot look up uid %u: %s\n", (unsigned)getuid(),
			        g_strerror(pw_errno));
			return EX_TEMPFAIL;
		}
		fprintf(stderr, "masqmail: who are you? (no user name for uid %u)\n", (unsigned)getuid());
		return EX_NOUSER;
	}
	msg->ident = g_strdup(pw->pw_name);
	msg->return_path = return_path_for(opts, conf, pw->pw_name, &error);
	if (!msg->return_path) {
		fprintf(stderr, "masqmail: bad return path %s: %s\n", opts->return_path, error->message);
		return EX_DATAERR;
	}
	if (!add_argument_rcpts(msg, opts, conf, &error)) {
		fprintf(stderr, "masqmail: %s\n", error->message);
		return EX_DATAERR;
	}
	if (!mm_accept_read_fd(STDIN_FILENO, msg, &ctx, &error) || !mm_accept_prepare(msg, &ctx, &error)) {
		fprintf(stderr, "masqmail: message not accepted: %s\n", error->message);
		if (g_error_matches(error, MM_ERROR, MM_ERROR_PARSE) && msg->rcpts->len == 0)
			return EX_USAGE; /* sendmail's status for "no recipients" */
		return mm_cmd_exit_status(error);
	}
	/* with @keep_lock, locked from the moment it is visible, so that
	 * no queue run takes it before the caller delivers it */
	if (!(keep_lock ? mm_spool_write_locked(conf->spool_dir, msg, &lock, &error)
	                : mm_spool_write(conf->spool_dir, msg, &error))) {
		fprintf(stderr, "masqmail: message not queued: %s\n", error->message);
		mm_log(LOG_ERR, "message from uid=%u not queued: %s", (unsigned)getuid(), error->message);
		return mm_error_is_temporary(error) ? EX_TEMPFAIL : mm_cmd_exit_status(error);
	}
	rp = mm_address_to_path(msg->return_path);
	mm_log(LOG_NOTICE, "%s <= %s with local size=%" G_GINT64_FORMAT " rcpts=%u", msg->uid, rp,
	       msg->data_size, msg->rcpts->len);
	if (msg_out)
		*msg_out = g_steal_pointer(&msg);
	if (lock_out)
		*lock_out = g_steal_pointer(&lock);
	return EX_OK;
}

gboolean
mm_submit_daemon_listens(const MmConf *conf)
{
	g_autofree char *path = mm_control_socket_path(conf->pid_dir);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

gboolean
mm_submit_hand_over(const MmConf *conf, const char *uid, MmSpoolLock **lock)
{
	g_autofree char *command = g_strdup_printf("QUEUED %s", uid);
	g_autofree char *answer = NULL;
	g_autoptr(GError) error = NULL;

	/* no socket: no daemon, and no reason to let go of the lock */
	if (!mm_submit_daemon_listens(conf))
		return FALSE;
	g_clear_pointer(lock, mm_spool_unlock);
	answer = mm_control_request(conf->pid_dir, command, &error);
	if (answer) {
		mm_log(LOG_INFO, "%s: handed over to the daemon", uid);
		return TRUE;
	}
	if (g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND))
		mm_debug(1, "%s: no daemon, delivering here", uid);
	else
		mm_log(LOG_WARNING, "%s: the daemon did not take it (%s), delivering here", uid, error->message);
	return FALSE;
}
