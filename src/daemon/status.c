/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * status.c renders the status report (the format is in status.h and
 * masqmail(8); scripts parse it, so a change is a change of interface)
 * and gathers what the report needs outside a daemon: the queue's
 * figures and one look at the links. It decides nothing about links.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "daemon/status.h"
#include "queue/spool.h"

gboolean
mm_status_count_queue(const char *spool_dir, MmQueueFigures *out, GError **error)
{
	g_autoptr(GPtrArray) uids = mm_spool_list_uids(spool_dir, error);

	*out = (MmQueueFigures){ 0 };
	if (!uids)
		return FALSE;
	for (guint i = 0; i < uids->len; i++) {
		g_autoptr(GError) local = NULL;
		g_autoptr(MmMessage) msg = mm_spool_read(spool_dir, uids->pdata[i], FALSE, &local);

		if (!msg) {
			/* delivered and removed while we counted */
			if (g_error_matches(local, MM_ERROR, MM_ERROR_NOT_FOUND))
				continue;
			out->messages++;
			continue;
		}
		out->messages++;
		for (guint r = 0; r < msg->rcpts->len; r++) {
			const MmRecipient *rcpt = msg->rcpts->pdata[r];
			if (rcpt->state == MM_RCPT_PENDING)
				out->recipients++;
		}
	}
	return TRUE;
}

MmDaemonState *
mm_status_state_from_match(NdSnapshot *snapshot, NdProfile *const *profiles, guint n_profiles)
{
	MmDaemonState *state = mm_daemon_state_new();
	g_autoptr(GPtrArray) matches = NULL;

	state->snapshot = snapshot ? nd_snapshot_ref(snapshot) : NULL;
	if (!snapshot)
		return state;
	matches = nd_match(snapshot, profiles, n_profiles);
	for (guint i = 0; i < matches->len; i++) {
		NdMatch *m = matches->pdata[i];
		MmProfileState *p = mm_profile_state_new(m->profile);

		p->online = m->online;
		p->link = g_strdup(m->link);
		p->reason = g_strdup(m->reason);
		g_ptr_array_add(state->profiles, p);
	}
	return state;
}

/* Reasons and errors come from the kernel's names and from relays:
 * one line each, whatever they hold. */
static void
append_clean(GString *out, const char *text)
{
	for (const char *c = text; *c; c++)
		g_string_append_c(out, (guchar)*c < 0x20 || *c == 0x7f ? '?' : *c);
}

static void
append_time(GString *out, gint64 t)
{
	g_autoptr(GDateTime) dt = t > 0 ? g_date_time_new_from_unix_utc(t) : NULL;
	g_autofree char *text = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;

	g_string_append(out, text ? text : "-");
}

static void
append_link(GString *out, const NdLink *link)
{
	NdLinkFlags flags = nd_link_get_flags(link);
	g_autoptr(GString) addrs = g_string_new(NULL);
	g_autoptr(GString) peers = g_string_new(NULL);
	g_autoptr(GString) gws = g_string_new(NULL);
	guint n_routes = nd_link_get_n_default_routes(link);

	for (guint i = 0; i < nd_link_get_n_addresses(link); i++) {
		const NdAddress *a = nd_link_get_address(link, i);
		g_autofree char *local = nd_ip_to_string(&a->local);

		g_string_append_printf(addrs, "%s%s/%u", addrs->len ? "," : "", local, a->prefix_len);
		if (a->peer.family) {
			g_autofree char *peer = nd_ip_to_string(&a->peer);
			g_string_append_printf(peers, "%s%s", peers->len ? "," : "", peer);
		}
	}
	for (guint i = 0; i < n_routes; i++) {
		const NdDefaultRoute *r = nd_link_get_default_route(link, i);
		if (r->gateway.family) {
			g_autofree char *gw = nd_ip_to_string(&r->gateway);
			g_string_append_printf(gws, "%s%s", gws->len ? "," : "", gw);
		}
	}
	g_string_append(out, "link ");
	append_clean(out, nd_link_get_name(link));
	g_string_append_printf(out, ": %s %s%s type=%s addresses=%s peer=%s default-route=%s gateway=%s\n",
	                       flags & ND_LINK_FLAG_UP ? "up" : "down",
	                       nd_link_has_carrier(link) ? "carrier" : "no-carrier",
	                       flags & ND_LINK_FLAG_POINTOPOINT ? " point-to-point" : "",
	                       nd_link_type_to_string(nd_link_get_link_type(link)),
	                       addrs->len ? addrs->str : "-", peers->len ? peers->str : "-",
	                       n_routes ? "yes" : "no", gws->len ? gws->str : "-");
}

static void
append_run(GString *out, const MmProfileState *p)
{
	if (!p->running && p->last_run <= 0)
		return;
	g_string_append(out, "run ");
	append_clean(out, p->name);
	g_string_append(out, ": ");
	if (p->running)
		g_string_append(out, "running ");
	g_string_append(out, "last=");
	append_time(out, p->last_run);
	g_string_append_printf(out, " delivered=%u deferred=%u failed=%u", p->last_delivered, p->last_deferred,
	                       p->last_failed);
	if (p->last_error) {
		g_string_append(out, " error=");
		append_clean(out, p->last_error);
	}
	g_string_append_c(out, '\n');
}

char *
mm_status_render(const MmStatusInput *in)
{
	GString *out = g_string_new(NULL);
	const MmDaemonState *state = in->state;
	g_autoptr(GString) online = g_string_new(NULL);

	g_string_append_printf(out, "daemon: %s\n", in->daemon_running ? "running" : "not running");
	if (in->daemon_running) {
		gint64 started = in->started > 0 ? in->started : state ? state->started : 0;

		g_string_append_printf(out, "pid: %d\n", in->pid);
		if (started > 0)
			g_string_append_printf(out, "uptime: %" G_GINT64_FORMAT "\n", MAX(in->now - started, 0));
		else
			g_string_append(out, "uptime: -\n");
	}
	if (state) {
		/* without netlink, query routes are online_query's business */
		g_string_append_printf(out, "detection: %s\n",
		                       state->netlink ? "netlink" : state->profiles->len ? "online_query" : "none");
		for (guint i = 0; state->snapshot && i < nd_snapshot_get_n_links(state->snapshot); i++) {
			const NdLink *link = nd_snapshot_get_link(state->snapshot, i);
			if (nd_link_get_link_type(link) != ND_LINK_TYPE_LOOPBACK)
				append_link(out, link);
		}
		for (guint i = 0; i < state->profiles->len; i++) {
			const MmProfileState *p = state->profiles->pdata[i];

			g_string_append(out, "profile ");
			append_clean(out, p->name);
			if (p->online) {
				g_string_append(out, ": online since ");
				append_time(out, p->since);
				g_string_append(out, " via ");
				append_clean(out, p->link ? p->link : "-");
			} else {
				g_string_append(out, ": offline");
				if (p->reason) {
					g_string_append(out, ": ");
					append_clean(out, p->reason);
				}
			}
			g_string_append_c(out, '\n');
		}
		for (guint i = 0; i < state->profiles->len; i++) {
			const MmProfileState *p = state->profiles->pdata[i];

			if (!p->online)
				continue;
			g_string_append(out, "route ");
			append_clean(out, p->name);
			g_string_append(out, ": online since ");
			append_time(out, p->since);
			g_string_append_c(out, '\n');
			if (online->len)
				g_string_append_c(online, ' ');
			append_clean(online, p->name);
		}
	}
	g_string_append_printf(out, "online: %s\n", online->len ? online->str : "none");
	if (in->queue)
		g_string_append_printf(out, "queue: messages=%u recipients=%u\n", in->queue->messages,
		                       in->queue->recipients);
	for (guint i = 0; state && i < state->profiles->len; i++)
		append_run(out, state->profiles->pdata[i]);
	return g_string_free(out, FALSE);
}

int
mm_status_exit_code(const MmDaemonState *state)
{
	for (guint i = 0; state && i < state->profiles->len; i++) {
		const MmProfileState *p = state->profiles->pdata[i];
		if (p->online)
			return 0;
	}
	return 1;
}

int
mm_status_exit_code_from_report(const char *report)
{
	g_auto(GStrv) lines = g_strsplit(report, "\n", -1);

	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "online: "))
			return strcmp(*l + strlen("online: "), "none") == 0 ? 1 : 0;
	}
	return 1;
}
