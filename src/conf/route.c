/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The keyword table of masqmail.route(5) with masqmail 1.0's defaults.
 * An option is added by adding a row here, a field to MmRoute and an
 * entry to man/masqmail.route.5 (a test checks the last). Deciding
 * whether a message may use a route is the router's business, not
 * this file's.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "base/log.h"
#include "conf/route.h"

#define ROW(name, type, def) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmRoute, name), def, 0, 0, NULL, 0 }
#define BOUNDED(name, type, def, lo, hi) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmRoute, name), def, lo, hi, NULL, 0 }
#define CHOICE(name, type, def, choices) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmRoute, name), def, 0, 0, choices, 0 }

/* dns_a is gone from 1.0's documentation but older route files name it. */
static const char *const resolvers[] = { "dns_mx", "dns_a", "byname", NULL };
static const char *const auth_methods[] = { "cram-md5", "login", NULL };

static const MmConfKeyword keywords[] = {
	ROW(allowed_senders, LIST, NULL),
	ROW(denied_senders, LIST, NULL),
	ROW(allowed_recipients, LIST, NULL),
	ROW(denied_recipients, LIST, NULL),
	ROW(allowed_from_hdrs, LIST, NULL),
	ROW(denied_from_hdrs, LIST, NULL),
	ROW(last_route, BOOL, "false"),
	ROW(connect_error_fail, BOOL, "false"),
	ROW(mail_host, HOST_PORT, NULL),
	CHOICE(resolve_list, CHOICE_LIST, "dns_mx;byname", resolvers),
	ROW(helo_name, HOST_NAME, NULL),
	ROW(do_correct_helo, BOOL, "false"),
	ROW(instant_helo, BOOL, "false"),
	ROW(do_pipelining, BOOL, "true"),
	CHOICE(auth_name, CHOICE, NULL, auth_methods),
	ROW(auth_login, STRING, NULL),
	ROW(auth_secret, STRING, NULL),
	BOUNDED(smtp_port, INT, "25", 1, 65535),
	ROW(wrapper, COMMAND, NULL),
	ROW(pipe, COMMAND, NULL),
	ROW(pipe_fromline, BOOL, "false"),
	ROW(pipe_fromhack, BOOL, "false"),
	ROW(map_h_from_addresses, HEADER_MAP, NULL),
	ROW(map_h_sender_addresses, HEADER_MAP, NULL),
	ROW(map_h_reply_to_addresses, HEADER_MAP, NULL),
	ROW(map_h_mail_followup_to_addresses, HEADER_MAP, NULL),
	ROW(map_return_path_addresses, PATH_MAP, NULL),
	ROW(map_outgoing_addresses, HEADER_MAP, NULL),
};

const MmConfKeyword *
mm_route_keywords(gsize *n_keywords)
{
	*n_keywords = G_N_ELEMENTS(keywords);
	return keywords;
}

static char *
route_name(const char *file)
{
	g_autofree char *base = g_path_get_basename(file);
	if (g_str_has_suffix(base, ".route") && strlen(base) > strlen(".route"))
		base[strlen(base) - strlen(".route")] = '\0';
	return g_steal_pointer(&base);
}

MmRoute *
mm_route_new_default(const char *name, const char *file)
{
	MmRoute *route = g_new0(MmRoute, 1);
	route->name = g_strdup(name);
	route->file = g_strdup(file);
	mm_conf_table_init(keywords, G_N_ELEMENTS(keywords), route);
	return route;
}

void
mm_route_free(MmRoute *route)
{
	if (route == NULL)
		return;
	mm_conf_table_clear(keywords, G_N_ELEMENTS(keywords), route);
	g_free(route->name);
	g_free(route->file);
	g_free(route);
}

MmRoute *
mm_route_load_data(const char *text, gsize len, const char *file_name, GError **error)
{
	g_autofree char *name = route_name(file_name);
	g_autoptr(MmRoute) route = mm_route_new_default(name, file_name);
	if (!mm_conf_parse_text(keywords, G_N_ELEMENTS(keywords), route, text, len, file_name, NULL, error))
		return NULL;
	return g_steal_pointer(&route);
}

MmRoute *
mm_route_load(const char *path, GError **error)
{
	g_autofree char *name = route_name(path);
	g_autoptr(MmRoute) route = mm_route_new_default(name, path);
	if (!mm_conf_parse_file(keywords, G_N_ELEMENTS(keywords), route, path, NULL, error))
		return NULL;

	/* masqmail 1.0 never checked this; refusing such files now would
	 * break working set-ups, so it is a warning. */
	struct stat st;
	if (route->auth_secret != NULL && stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		mm_log(LOG_WARNING, "route=%s file=%s auth_secret is in a file others can read", route->name,
		       path);
	return g_steal_pointer(&route);
}

GPtrArray *
mm_route_load_list(const char *const *files, GError **error)
{
	g_autoptr(GPtrArray) routes = g_ptr_array_new_with_free_func((GDestroyNotify)mm_route_free);
	for (const char *const *f = files; f != NULL && *f != NULL; f++) {
		MmRoute *route = mm_route_load(*f, error);
		if (route == NULL)
			return NULL;
		g_ptr_array_add(routes, route);
	}
	return g_steal_pointer(&routes);
}
