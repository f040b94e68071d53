/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * route-tool: one queue run for the remote recipients of the spool,
 * through the routes that are online, for the route scenarios.
 *
 *   route-tool -C CONF [-o NAME] [--online NAME]...
 *
 * -o NAME is -qo NAME (only query_routes.NAME); --online NAME says that
 * connection is up (else online_query decides). Each message is
 * locked, its pending remote recipients delivered, and its -H file
 * written back (removed when nothing is left). Local recipients are
 * not touched. One line per recipient on stdout:
 *
 *   UID <address> delivered|deferred|failed|waiting route=R host=H: reason
 *
 * Exit status 0, or 78 for a configuration error, 75 when the spool
 * could not be updated.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "base/log.h"
#include "conf/conf.h"
#include "deliver/online.h"
#include "deliver/remote.h"
#include "queue/spool.h"

static const char *
status_name(MmRemoteStatus s)
{
	switch (s) {
	case MM_REMOTE_DELIVERED:
		return "delivered";
	case MM_REMOTE_DEFERRED:
		return "deferred";
	case MM_REMOTE_FAILED:
		return "failed";
	case MM_REMOTE_WAITING:
		break;
	}
	return "waiting";
}

static gboolean
run_message(MmRemoteRun *run, const MmConf *conf, const char *uid, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(MmSpoolLock) lock = mm_spool_lock(conf->spool_dir, uid, &local);
	if (lock == NULL)
		return TRUE; /* somebody else has it, or it is gone */
	g_autoptr(MmMessage) msg = mm_spool_read(conf->spool_dir, uid, TRUE, error);
	if (msg == NULL)
		return FALSE;

	MmLocality loc;
	mm_conf_locality(conf, &loc);
	g_autoptr(GArray) which = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < msg->rcpts->len; i++) {
		const MmRecipient *r = msg->rcpts->pdata[i];
		if (r->state == MM_RCPT_PENDING && r->address != NULL && !mm_address_is_local(r->address, &loc))
			g_array_append_val(which, i);
	}
	if (which->len == 0)
		return TRUE;
	g_autofree MmRemoteRcpt *rcpts = g_new0(MmRemoteRcpt, which->len);
	for (guint k = 0; k < which->len; k++)
		rcpts[k].address = ((MmRecipient *)msg->rcpts->pdata[g_array_index(which, guint, k)])->address;
	mm_remote_deliver_message(run, msg, rcpts, which->len);

	for (guint k = 0; k < which->len; k++) {
		MmRecipient *r = msg->rcpts->pdata[g_array_index(which, guint, k)];
		g_autofree char *addr = mm_address_to_path(r->address);
		printf("%s %s %s route=%s host=%s: %s\n", uid, addr, status_name(rcpts[k].status),
		       rcpts[k].route ? rcpts[k].route : "-", rcpts[k].host ? rcpts[k].host : "-",
		       rcpts[k].reason ? rcpts[k].reason : "");
		if (rcpts[k].status == MM_REMOTE_DELIVERED)
			r->state = MM_RCPT_DELIVERED;
		else if (rcpts[k].status == MM_REMOTE_FAILED)
			r->state = MM_RCPT_FAILED;
		mm_remote_rcpt_clear(&rcpts[k]);
	}
	fflush(stdout);
	if (mm_message_count_pending(msg) == 0)
		return mm_spool_remove(conf->spool_dir, uid, error);
	return mm_spool_write_header(conf->spool_dir, msg, error);
}

int
main(int argc, char **argv)
{
	g_autofree char *conf_file = NULL;
	g_autofree char *only = NULL;
	g_auto(GStrv) online = NULL;
	GOptionEntry entries[] = {
		{ "config", 'C', 0, G_OPTION_ARG_FILENAME, &conf_file, "configuration", "FILE" },
		{ "only", 'o', 0, G_OPTION_ARG_STRING, &only, "only query_routes.NAME", "NAME" },
		{ "online", 0, 0, G_OPTION_ARG_STRING_ARRAY, &online, "connection NAME is online", "NAME" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- deliver the remote recipients of the queue");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || conf_file == NULL) {
		fprintf(stderr, "route-tool: %s\n", error ? error->message : "-C is missing");
		return EX_USAGE;
	}
	mm_log_init("route-tool");
	g_autoptr(MmConf) conf = mm_conf_load(conf_file, &error);
	if (conf == NULL) {
		fprintf(stderr, "route-tool: %s\n", error->message);
		return EX_CONFIG;
	}
	MmOnlineRequest req = { .only = only, .online = (const char *const *)online };
	g_autoptr(GPtrArray) routes = mm_online_routes(conf, &req, &error);
	if (routes == NULL) {
		fprintf(stderr, "route-tool: %s\n", error->message);
		return EX_CONFIG;
	}
	g_autoptr(GPtrArray) uids = mm_spool_list_uids(conf->spool_dir, &error);
	if (uids == NULL) {
		fprintf(stderr, "route-tool: %s\n", error->message);
		return EX_TEMPFAIL;
	}
	int status = 0;
	g_autoptr(MmRemoteRun) run = mm_remote_run_new(conf, routes);
	for (guint i = 0; i < uids->len; i++) {
		if (!run_message(run, conf, uids->pdata[i], &error)) {
			fprintf(stderr, "route-tool: %s: %s\n", (char *)uids->pdata[i], error->message);
			g_clear_error(&error);
			status = EX_TEMPFAIL;
		}
	}
	return status;
}
