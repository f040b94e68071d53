/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The keyword table of masqmail.route(5) with masqmail 1.0's defaults.
 * An option is added by adding a row here, a field to MmRoute and an
 * entry to man/masqmail.route.5 (a test checks the last). Deciding
 * whether a message may use a route is the router's business, not
 * this file's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "base/log.h"
#include "conf/route.h"
#include "netdetect/netdetect.h"

#define ROW(name, type, def) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmRoute, name), def, 0, 0, NULL, 0 }
#define BOUNDED(name, type, def, lo, hi) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmRoute, name), def, lo, hi, NULL, 0 }
#define CHOICE(name, type, def, choices) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmRoute, name), def, 0, 0, choices, 0 }

/* dns_a is gone from 1.0's documentation but older route files name it. */
static const char *const resolvers[] = { "dns_mx", "dns_a", "byname", NULL };
static const char *const auth_methods[] = { "cram-md5", "login", "plain", NULL };
static const char *const tls_modes[] = { "off", "opportunistic", "required", "smtps", NULL };

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
	ROW(auth_secret_file, PATH, NULL),
	ROW(auth_allow_plaintext, BOOL, "false"),
	BOUNDED(smtp_port, INT, "25", 1, 65535),
	ROW(wrapper, COMMAND, NULL),
	CHOICE(tls, CHOICE, "opportunistic", tls_modes),
	ROW(tls_verify, BOOL, "true"),
	ROW(tls_ca_file, PATH, NULL),
	ROW(tls_cert_file, PATH, NULL),
	ROW(tls_key_file, PATH, NULL),
	ROW(tls_priority, STRING, NULL),
	ROW(pipe, COMMAND, NULL),
	ROW(pipe_fromline, BOOL, "false"),
	ROW(pipe_fromhack, BOOL, "false"),
	ROW(map_h_from_addresses, HEADER_MAP, NULL),
	ROW(map_h_sender_addresses, HEADER_MAP, NULL),
	ROW(map_h_reply_to_addresses, HEADER_MAP, NULL),
	ROW(map_h_mail_followup_to_addresses, HEADER_MAP, NULL),
	ROW(map_return_path_addresses, PATH_MAP, NULL),
	ROW(map_outgoing_addresses, HEADER_MAP, NULL),
	ROW(detect_interfaces, LIST, ND_PROFILE_DEFAULT_INTERFACES),
	ROW(detect_local_addresses, LIST, NULL),
	ROW(detect_peer_addresses, LIST, NULL),
	ROW(detect_gateways, LIST, NULL),
	ROW(detect_default_route, BOOL, "true"),
};

static const char *const detect_names[MM_ROUTE_DETECT_N] = {
	[MM_ROUTE_DETECT_INTERFACES] = "detect_interfaces",
	[MM_ROUTE_DETECT_LOCAL_ADDRESSES] = "detect_local_addresses",
	[MM_ROUTE_DETECT_PEER_ADDRESSES] = "detect_peer_addresses",
	[MM_ROUTE_DETECT_GATEWAYS] = "detect_gateways",
	[MM_ROUTE_DETECT_DEFAULT_ROUTE] = "detect_default_route",
};

const char *
mm_route_detect_name(MmRouteDetect which)
{
	g_return_val_if_fail(which < MM_ROUTE_DETECT_N, NULL);
	return detect_names[which];
}

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

/* Options that are each fine but make no sense together. They have no
 * single line, so the error names line 0 as a missing option does. */
static gboolean
check_consistency(const MmRoute *route, const char *file_name, GError **error)
{
	const char *problem = NULL;
	if (route->auth_secret != NULL && route->auth_secret_file != NULL)
		problem = "auth_secret and auth_secret_file are both set; keep one";
	else if ((route->tls_cert_file == NULL) != (route->tls_key_file == NULL))
		problem = "tls_cert_file and tls_key_file go together";
	if (problem == NULL)
		return TRUE;
	g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:0: %s", file_name, problem);
	return FALSE;
}

/* The line of the last assignment to @name in @text, 0 when there is
 * none. The parser does not report where an option was set, so this
 * walks the text again by the parser's rules (statements start a line,
 * quoted values may span lines, '#' starts a comment); it only runs on
 * text the parser has accepted. */
static guint
assignment_line(const char *text, gsize len, const char *name)
{
	const char *p = text, *end = text + len;
	const gsize name_len = strlen(name);
	guint line = 1, found = 0;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			break;
		if (*p == '\n') {
			p++;
			line++;
			continue;
		}
		if ((gsize)(end - p) > name_len && memcmp(p, name, name_len) == 0 &&
		    (p[name_len] == ' ' || p[name_len] == '\t' || p[name_len] == '='))
			found = line;
		/* to the end of the statement */
		gboolean quoted = FALSE;
		while (p < end && (quoted || *p != '\n')) {
			if (!quoted && *p == '#') {
				while (p < end && *p != '\n')
					p++;
				break;
			}
			if (*p == '"')
				quoted = !quoted;
			else if (quoted && *p == '\\' && p + 1 < end)
				p++;
			if (*p == '\n')
				line++;
			p++;
		}
	}
	return found;
}

typedef gboolean (*DetectSetter)(NdProfile *profile, const char *const *items, GError **error);

/* The detect_* lists are checked by the code that will use them, so
 * that a rule netdetect would refuse is an error of the file and line
 * that wrote it, whatever loads the route. */
static gboolean
check_detection(MmRoute *route, const char *text, gsize len, const char *file_name, GError **error)
{
	g_autoptr(NdProfile) scratch = nd_profile_new(route->name);
	const struct {
		MmRouteDetect which;
		char **items;
		DetectSetter set;
	} lists[] = {
		{ MM_ROUTE_DETECT_INTERFACES, route->detect_interfaces, nd_profile_set_interfaces },
		{ MM_ROUTE_DETECT_LOCAL_ADDRESSES, route->detect_local_addresses, nd_profile_set_local_addresses },
		{ MM_ROUTE_DETECT_PEER_ADDRESSES, route->detect_peer_addresses, nd_profile_set_peer_addresses },
		{ MM_ROUTE_DETECT_GATEWAYS, route->detect_gateways, nd_profile_set_gateways },
	};

	for (int i = 0; i < MM_ROUTE_DETECT_N; i++)
		route->detect_lines[i] = assignment_line(text, len, detect_names[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(lists); i++) {
		g_autoptr(GError) local = NULL;
		if (!route->detect_lines[lists[i].which])
			continue;
		if (!lists[i].set(scratch, (const char *const *)lists[i].items, &local)) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: %s: %s", file_name,
			            route->detect_lines[lists[i].which], detect_names[lists[i].which],
			            local->message);
			return FALSE;
		}
	}
	return TRUE;
}

static MmRoute *
load_text(const char *text, gsize len, const char *file_name, GError **error)
{
	g_autofree char *name = route_name(file_name);
	g_autoptr(MmRoute) route = mm_route_new_default(name, file_name);
	if (!mm_conf_parse_text(keywords, G_N_ELEMENTS(keywords), route, text, len, file_name, NULL, error))
		return NULL;
	if (!check_consistency(route, file_name, error))
		return NULL;
	if (!check_detection(route, text, len, file_name, error))
		return NULL;
	return g_steal_pointer(&route);
}

MmRoute *
mm_route_load_data(const char *text, gsize len, const char *file_name, GError **error)
{
	return load_text(text, len, file_name, error);
}

MmRoute *
mm_route_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;

	if (!mm_conf_read_file(path, MM_CONF_FILE_MAX, &text, &len, &local)) {
		g_set_error(error, MM_ERROR, mm_error_is_temporary(local) ? MM_ERROR_TEMPORARY : MM_ERROR_CONFIG,
		            "%s:0: cannot read: %s", path, local->message);
		return NULL;
	}
	g_autoptr(MmRoute) route = load_text(text, len, path, error);
	if (route == NULL)
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

gboolean
mm_route_read_auth_secret(const MmRoute *route, char **secret, GError **error)
{
	*secret = NULL;
	if (route->auth_secret_file == NULL) {
		*secret = g_strdup(route->auth_secret);
		return TRUE;
	}
	const char *path = route->auth_secret_file;
	int fd = mm_fs_open(path, O_RDONLY | O_NOCTTY, 0, error);
	if (fd < 0)
		return FALSE;

	/* Checked on the open descriptor, so that what is checked is what
	 * is read (OpenSMTPD's check_file_secrecy() does the same). */
	struct stat st;
	const char *problem = NULL;
	if (fstat(fd, &st) != 0) {
		mm_error_set_errno(error, errno, "%s", path);
		close(fd);
		return FALSE;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH))
		problem = "others may read or write it";
	else if (st.st_mode & S_IWGRP)
		problem = "its group may write it";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		problem = "it belongs neither to root nor to the user masqmail runs as";
	if (problem != NULL) {
		close(fd);
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:0: auth_secret_file refused: %s", path,
		            problem);
		return FALSE;
	}

	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) data = mm_fs_read_all(fd, MM_AUTH_SECRET_MAX, path, &local);
	close(fd);
	if (data == NULL) {
		if (g_error_matches(local, MM_ERROR, MM_ERROR_LIMIT)) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:0: auth_secret_file is larger than %d bytes",
			            path, MM_AUTH_SECRET_MAX);
			return FALSE;
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	gsize len;
	const char *text = g_bytes_get_data(data, &len);
	gsize line = 0;
	while (line < len && text[line] != '\n' && text[line] != '\r')
		line++;
	if (line == 0 || memchr(text, '\0', line) != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:1: auth_secret_file holds no secret on its first line",
		            path);
		return FALSE;
	}
	*secret = g_strndup(text, line);
	return TRUE;
}
