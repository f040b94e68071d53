/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sendmail.c: the sendmail program, the command line's fast path. It
 * links GLib only: most of what masqmail spends to start (the dynamic
 * loader's work for GIO, GObject, libnl and their dependencies) buys
 * nothing when a message only has to be queued. It parses the same
 * command line (options.c), loads the same configuration and, when the
 * mode is accepting a message that can be queued without delivering it
 * in this process (-odq, do_queue, or a daemon's control socket to hand
 * it to), does the whole submission with masqmail's own code
 * (submit.c), with the same exit statuses and log lines.
 *
 * Everything else goes to the full program (full_program.h), with the
 * same argv and before any input is read: the other modes, a command
 * line that does not parse (masqmail says why), and delivery in this
 * process because no daemon runs. A daemon that does not take a
 * message we have already queued (it died and left its socket) is
 * made up for by `masqmail -qI UID`: a queue run over that one
 * message, in the foreground, or detached with -odb, as masqmail's
 * own -bm delivers when its hand-over fails.
 */
#include "config.h"

#include <errno.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/log.h"
#include "cli/full_program.h"
#include "cli/startup.h"
#include "cli/submit.h"

/* The daemon did not take @uid, which is queued and unlocked: a
 * masqmail queue run over it delivers it. Whatever happens, the
 * message is accepted; what is not delivered waits in the queue. */
static int
deliver_by_masqmail(const MmOptions *opts, const char *uid)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *debug = NULL;
	pid_t pid;

	g_ptr_array_add(args, g_strdup("masqmail"));
	g_ptr_array_add(args, g_strdup("-qI"));
	g_ptr_array_add(args, g_strdup(uid));
	if (opts->conf_file) {
		g_ptr_array_add(args, g_strdup("-C"));
		g_ptr_array_add(args, g_strdup(opts->conf_file));
	}
	if (opts->state_dir) {
		g_ptr_array_add(args, g_strdup("--state-dir"));
		g_ptr_array_add(args, g_strdup(opts->state_dir));
	}
	if (opts->debug_level >= 0)
		g_ptr_array_add(args, g_strdup_printf("-d%d", opts->debug_level));
	if (opts->verbose)
		g_ptr_array_add(args, g_strdup("-v"));
	g_ptr_array_add(args, NULL);

	pid = fork();
	if (pid < 0) {
		mm_log(LOG_WARNING, "%s: cannot fork to deliver it (%s); it stays queued", uid,
		       g_strerror(errno));
		return EX_OK;
	}
	if (pid == 0) {
		if (opts->background) {
			setsid();
			mm_fs_stdio_to_null(TRUE);
			mm_log_set_stderr(FALSE);
		}
		mm_full_program_exec((char **)args->pdata);
		mm_log(LOG_WARNING, "%s: cannot run masqmail to deliver it; it stays queued", uid);
		_exit(EX_OSERR);
	}
	if (!opts->background) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return EX_OK;
}

int
main(int argc, char **argv)
{
	g_auto(MmOptions) opts;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = NULL;
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	gboolean queue_only;
	int status;

	mm_options_init(&opts);
	if (!mm_cli_begin())
		return EX_OSERR;
	if (!mm_options_parse(argc, argv, &opts, &error) || opts.mode != MM_MODE_ACCEPT)
		return mm_full_program_exec(argv);
	status = mm_cli_load(&opts, &conf);
	if (status != EX_OK)
		return status;
	queue_only = opts.queue_only || conf->do_queue;
	/* without a daemon, the delivery is masqmail's, in its process */
	if (!queue_only && !mm_submit_daemon_listens(conf))
		return mm_full_program_exec(argv);
	status = mm_cli_open_log(&opts, conf);
	if (status != EX_OK)
		return status;
	/* locked, as masqmail -bm does it, unless it only queues */
	status = mm_submit_queue(&opts, conf, !queue_only, &msg, &lock);
	if (status != EX_OK || queue_only)
		return status;
	if (mm_submit_hand_over(conf, msg->uid, &lock))
		return EX_OK;
	/* the queue run below must be able to lock it */
	g_clear_pointer(&lock, mm_spool_unlock);
	return deliver_by_masqmail(&opts, msg->uid);
}
