/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * submit.c: the sendmail command line (-bm). The message is read from
 * standard input, completed (accept.c) and committed to the spool; the
 * exit status is 0 only when it is on disk. Then, unless -odq or
 * do_queue say to queue only, it is handed to the running daemon
 * through its control socket (only the id crosses; the daemon's view
 * of the links decides which provider takes it), or, without a
 * daemon, delivered at once (deliver.h) under the lock it was written
 * with. Who the sender is is decided
 * here: only root, the mail user and the mail group may choose another
 * return path with -f.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/privileges.h"
#include "cli/commands.h"
#include "daemon/control.h"
#include "deliver/deliver.h"
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

/* The message is queued and locked: deliver it now, in the
 * foreground. Whatever happens, it is accepted; what is not delivered
 * waits in the queue for the next run. */
static void
deliver_now(const MmConf *conf, MmMessage *msg)
{
	g_autoptr(MmDeliverRun) run = mm_deliver_run_new(conf);
	g_autoptr(GError) error = NULL;

	if (!mm_deliver_message(run, msg, NULL, &error))
		mm_log(LOG_ERR, "%s", error->message);
}

/* -odb: a child delivers while the caller gets its exit status at once.
 * The child inherits the message's lock (an OFD lock stays with the
 * open file, not with the process that took it). When the fork fails
 * the message is still queued, so only the delivery waits. */
static void
deliver_in_background(const MmConf *conf, MmMessage *msg)
{
	pid_t pid = fork();

	if (pid < 0) {
		mm_log(LOG_WARNING, "%s: cannot fork to deliver in the background (%s); it stays queued",
		       msg->uid, g_strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	setsid();
	mm_fs_stdio_to_null(TRUE);
	mm_log_set_stderr(FALSE);
	deliver_now(conf, msg);
	_exit(EX_OK);
}

/* Tells a running daemon that message *@msg is queued. The lock is
 * let go first, so that the daemon's delivery can take it. When the
 * daemon is dead but its socket is left, a queue run (a restarted
 * daemon's) may take the message in that gap; that is harmless: it
 * delivers under the lock and reads the -H again under it, as we do
 * below, so no recipient goes twice
 * (tests/integration/crash-handover-window.sh). TRUE when
 * nothing is left to do here: the daemon took the message, or
 * somebody else (a delivery, a queue run) holds it now. FALSE: deliver
 * here, under *@lock, the message as *@msg has it; when the lock was
 * let go meanwhile, *@msg is read from the spool again, as another
 * process may have delivered some of it. */
static gboolean
hand_over(const MmConf *conf, MmMessage **msg, MmSpoolLock **lock)
{
	g_autofree char *uid = g_strdup((*msg)->uid);
	g_autofree char *command = g_strdup_printf("QUEUED %s", uid);
	g_autofree char *answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = mm_control_socket_path(conf->pid_dir);
	MmMessage *again;

	/* no socket: no daemon, and no reason to let go of the lock */
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
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
	g_clear_error(&error);
	*lock = mm_spool_lock(conf->spool_dir, uid, &error);
	if (!*lock) {
		if (!g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED) &&
		    !g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND))
			mm_log(LOG_WARNING, "%s: cannot lock it again (%s); it stays queued", uid, error->message);
		return TRUE;
	}
	again = mm_spool_read(conf->spool_dir, uid, TRUE, &error);
	if (!again) {
		mm_log(LOG_WARNING, "%s: cannot read it again (%s); it stays queued", uid, error->message);
		return TRUE;
	}
	mm_message_free(*msg);
	*msg = again;
	return FALSE;
}

int
mm_cmd_accept(const MmOptions *opts, const MmConf *conf)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	struct passwd *pw;
	int pw_errno;
	g_autofree char *rp = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	const gboolean queue_only = opts->queue_only || conf->do_queue;
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
	/* Keep the lock from the moment the message is visible until it
	 * is delivered, so that no queue run takes it meanwhile. */
	if (!(queue_only ? mm_spool_write(conf->spool_dir, msg, &error)
	                 : mm_spool_write_locked(conf->spool_dir, msg, &lock, &error))) {
		fprintf(stderr, "masqmail: message not queued: %s\n", error->message);
		mm_log(LOG_ERR, "message from uid=%u not queued: %s", (unsigned)getuid(), error->message);
		return mm_error_is_temporary(error) ? EX_TEMPFAIL : mm_cmd_exit_status(error);
	}
	rp = mm_address_to_path(msg->return_path);
	mm_log(LOG_NOTICE, "%s <= %s with local size=%" G_GINT64_FORMAT " rcpts=%u", msg->uid, rp,
	       msg->data_size, msg->rcpts->len);
	if (queue_only)
		return EX_OK;
	if (hand_over(conf, &msg, &lock))
		return EX_OK;
	if (opts->background)
		deliver_in_background(conf, msg);
	else
		deliver_now(conf, msg);
	return EX_OK;
}
