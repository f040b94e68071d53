/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * main.c turns the command line into one mode and runs it, after the
 * start-up of startup.h. Exit statuses are sysexits(3) values, as
 * sendmail's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/privileges.h"
#include "cli/commands.h"
#include "cli/startup.h"
#include "cli/options.h"
#include "cli/version.h"
#include "conf/conf.h"
#include "daemon/jobs.h"
#include "smtp/server.h"
#include "queue/runner.h"

/* -q, runq: one run over the whole queue, local deliveries and every
 * online route. -qo [NAME]: remote mail only, as 1.0, through NAME's
 * routes or through those online now. A route that cannot be used is
 * a configuration error and stops the run before it starts; what
 * happens to the messages is the log's business, not the status's.
 * -qI TEXT: only the messages whose id contains TEXT. */
static int
queue_run_once(const MmOptions *opts, const MmConf *conf)
{
	g_autoptr(MmDeliverRun) run = mm_deliver_run_new(conf);
	g_autoptr(GError) error = NULL;
	MmOnlineRequest req = { .only = opts->route_name };

	if (!mm_deliver_run_use_online(run, &req, &error)) {
		fprintf(stderr, "masqmail: no queue run: %s\n", error->message);
		mm_log(LOG_ERR, "no queue run: %s", error->message);
		return EX_CONFIG;
	}
	mm_deliver_run_set_local(run, !opts->queue_online);
	if (!mm_queue_run_matching(run, opts->queue_id_part, NULL, &error)) {
		fprintf(stderr, "masqmail: cannot read the queue: %s\n", error->message);
		return mm_cmd_exit_status(error);
	}
	return EX_OK;
}

/* As 1.0: each message is delivered by a process of its own as soon
 * as it is queued, while the session goes on. */
static void
smtp_stdio_queued(const char *uid, gpointer user_data)
{
	mm_jobs_deliver_detached(user_data, uid);
}

/* -bs, in.smtpd: one SMTP session on standard input and output, as the
 * calling user. A TLS key or secrets file the caller cannot read leaves
 * STARTTLS or AUTH out rather than refusing the session. */
static int
run_smtp_stdio(const MmOptions *opts, const MmConf *conf)
{
	MmSmtpServerResources res = { 0 };
	g_autoptr(GError) error = NULL;
	MmSmtpServerConfig cfg = {
		.conf = conf,
		.on_queued = opts->queue_only || conf->do_queue ? NULL : smtp_stdio_queued,
		.user_data = (gpointer)conf,
	};
	int status;

	if (!mm_smtp_server_load(conf, &res, &error))
		mm_log(LOG_WARNING, "smtp on standard input without TLS and AUTH: %s", error->message);
	cfg.tls_creds = res.tls_creds;
	cfg.secrets = res.secrets;
	status = mm_smtp_server_run_stdio(&cfg, STDIN_FILENO, STDOUT_FILENO);
	mm_smtp_server_resources_clear(&res);
	return status;
}

static int
run_mode(const MmOptions *opts, MmConf *conf)
{
	switch (opts->mode) {
	case MM_MODE_LIST:
		return mm_cmd_list_queue(conf);
	case MM_MODE_REMOVE:
		return mm_cmd_remove(conf, (const char *const *)opts->args);
	case MM_MODE_ALIASES:
		/* There is no alias database: the files are read at delivery. */
		return EX_OK;
	case MM_MODE_DAEMON:
		return mm_cmd_daemon(opts, conf);
	case MM_MODE_ACCEPT:
		return mm_cmd_accept(opts, conf);
	case MM_MODE_SMTP:
		return run_smtp_stdio(opts, conf);
	case MM_MODE_QUEUE_RUN:
		return queue_run_once(opts, conf);
	case MM_MODE_STATUS:
		return mm_cmd_status(opts, conf);
	default:
		fprintf(stderr, "masqmail: the %s mode is not available in this version\n",
		        mm_options_mode_name(opts->mode));
		return EX_UNAVAILABLE;
	}
}

int
main(int argc, char **argv)
{
	g_auto(MmOptions) opts;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = NULL;
	int status;

	mm_options_init(&opts);
	if (!mm_cli_begin())
		return EX_OSERR;
	if (!mm_options_parse(argc, argv, &opts, &error))
		return mm_cli_usage_error(error);
	if (opts.mode == MM_MODE_HELP) {
		fputs(mm_options_usage(), stdout);
		return EX_OK;
	}
	if (opts.mode == MM_MODE_VERSION) {
		g_autofree char *report = mm_version_report();
		fputs(report, stdout);
		return EX_OK;
	}
	status = mm_cli_load(&opts, &conf);
	if (status == EX_OK)
		status = mm_cli_open_log(&opts, conf);
	if (status != EX_OK)
		return status;
	return run_mode(&opts, conf);
}
