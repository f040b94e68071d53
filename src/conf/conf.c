/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The keyword table of masqmail.conf(5) with masqmail 1.0's defaults,
 * and what follows from the whole file: the required host_name and
 * the default of local_hosts, which is made from it. An option is
 * added by adding a row here, a field to MmConf and an entry to
 * man/masqmail.conf.5 (a test checks the last).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "base/error.h"
#include "base/netmask.h"
#include "base/limits.h"
#include "conf/conf.h"

#define ROW(name, type, def) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmConf, name), def, 0, 0, NULL, 0 }
#define BOUNDED(name, type, def, lo, hi) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmConf, name), def, lo, hi, NULL, 0 }
#define CHOICE(name, type, def, choices) \
	{ #name, MM_CONF_TYPE_##type, offsetof(MmConf, name), def, 0, 0, choices, 0 }

/* Ten years: longer than any sensible queue lifetime, far below overflow. */
#define TIME_MAX ((gint64)10 * 366 * 24 * 60 * 60)

static const char *const mbox_methods[] = { "mbox", "mda", "maildir", NULL };

static const MmConfKeyword keywords[] = {
	ROW(run_as_user, BOOL, "false"),
	ROW(use_syslog, BOOL, "false"),
	/* 1.0 documents 0 to 6 and 9 */
	BOUNDED(debug_level, INT, "0", 0, 9),
	ROW(log_dir, PATH, MM_LOG_DIR),
	ROW(pid_dir, PATH, MM_PID_DIR),
	ROW(mail_dir, PATH, MM_MAIL_DIR),
	ROW(spool_dir, PATH, MM_SPOOL_DIR),
	ROW(lock_dir, PATH, MM_LOCK_DIR),
	{ "host_name", MM_CONF_TYPE_HOST_NAME, offsetof(MmConf, host_name), NULL, 0, 0, NULL,
	  MM_CONF_REQUIRED },
	ROW(local_hosts, LIST, "localhost"),
	ROW(local_addresses, LIST, NULL),
	ROW(not_local_addresses, LIST, NULL),
	ROW(listen_addresses, HOST_PORT_LIST, "localhost:25"),
	ROW(do_save_envelope_to, BOOL, "false"),
	ROW(do_relay, BOOL, "true"),
	ROW(do_queue, BOOL, "false"),
	ROW(permanent_routes, FILE_LIST, NULL),
	{ "query_routes.", MM_CONF_TYPE_NAMED_FILE_LIST, offsetof(MmConf, query_routes), NULL, 0, 0,
	  NULL, MM_CONF_PREFIX },
	ROW(alias_file, PATH, NULL),
	ROW(globalias_file, PATH, NULL),
	ROW(caseless_matching, BOOL, "false"),
	ROW(pipe_fromline, BOOL, "false"),
	ROW(pipe_fromhack, BOOL, "false"),
	CHOICE(mbox_default, CHOICE, "mbox", mbox_methods),
	ROW(mbox_users, LIST, NULL),
	ROW(mda_users, LIST, NULL),
	ROW(maildir_users, LIST, NULL),
	ROW(mda, COMMAND, NULL),
	ROW(mda_fromline, BOOL, "false"),
	ROW(mda_fromhack, BOOL, "false"),
	ROW(online_query, COMMAND, NULL),
	ROW(errmsg_file, PATH, MM_DATADIR "/tpl/failmsg.tpl"),
	ROW(warnmsg_file, PATH, MM_DATADIR "/tpl/warnmsg.tpl"),
	BOUNDED(warn_intervals, TIME_LIST, "1h;4h;8h;1d;2d;3d", 0, TIME_MAX),
	BOUNDED(max_defer_time, TIME, "4d", 0, TIME_MAX),
	ROW(log_user, ADDRESS, NULL),
	BOUNDED(max_msg_size, SIZE, "0", 0, G_MAXINT64),
	ROW(defer_all, BOOL, "false"),
	ROW(tls_cert_file, PATH, NULL),
	ROW(tls_key_file, PATH, NULL),
	ROW(tls_ca_file, PATH, NULL),
	ROW(tls_priority, STRING, NULL),
	ROW(auth_secrets_file, PATH, NULL),
	ROW(relay_networks, LIST, NULL),
	/* RFC 5321 4.5.3.1.8: at least 100 */
	BOUNDED(smtp_max_recipients, INT, G_STRINGIFY(MM_RECIPIENTS_DEFAULT), 100, 100000),
	BOUNDED(smtp_max_errors, INT, "20", 1, 1000),
	BOUNDED(smtp_max_sessions, INT, "50", 1, 10000),
	BOUNDED(smtp_max_sessions_per_client, INT, "10", 1, 10000),
	/* RFC 5321 4.5.3.2.7: the server waits at least 5 minutes for a command */
	BOUNDED(smtp_command_timeout, TIME, "5m", 1, 24 * 60 * 60),
	/* RFC 5321 4.5.3.2.6: a client waits 3 minutes for each block of text */
	BOUNDED(smtp_data_timeout, TIME, "3m", 1, 24 * 60 * 60),
	BOUNDED(smtp_greeting_delay, TIME, "0", 0, 60),
};

const MmConfKeyword *
mm_conf_keywords(gsize *n_keywords)
{
	*n_keywords = G_N_ELEMENTS(keywords);
	return keywords;
}

static gsize
keyword_index(const char *name)
{
	const MmConfKeyword *kw = mm_conf_table_lookup(keywords, G_N_ELEMENTS(keywords), name);
	g_assert(kw != NULL);
	return kw - keywords;
}

MmConf *
mm_conf_new_default(void)
{
	MmConf *conf = g_new0(MmConf, 1);
	mm_conf_table_init(keywords, G_N_ELEMENTS(keywords), conf);
	return conf;
}

void
mm_conf_free(MmConf *conf)
{
	if (conf == NULL)
		return;
	mm_conf_table_clear(keywords, G_N_ELEMENTS(keywords), conf);
	g_free(conf->file);
	g_free(conf);
}

/* localhost, the first label of host_name and host_name itself, as
 * masqmail 1.0 does when local_hosts is not set. */
static void
default_local_hosts(MmConf *conf)
{
	GPtrArray *v = g_ptr_array_new();
	g_ptr_array_add(v, g_strdup("localhost"));
	const char *dot = strchr(conf->host_name, '.');
	if (dot != NULL && dot != conf->host_name && conf->host_name[0] != '[')
		g_ptr_array_add(v, g_strndup(conf->host_name, dot - conf->host_name));
	if (g_ascii_strcasecmp(conf->host_name, "localhost") != 0)
		g_ptr_array_add(v, g_strdup(conf->host_name));
	g_ptr_array_add(v, NULL);
	g_strfreev(conf->local_hosts);
	conf->local_hosts = (char **)g_ptr_array_free(v, FALSE);
}

/* What only the whole file can tell. */
static gboolean
finish(MmConf *conf, const char *file_name, const gboolean *seen, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(keywords); i++) {
		if ((keywords[i].flags & MM_CONF_REQUIRED) && !seen[i]) {
			/* Line 0: the file as a whole lacks it. */
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:0: %s is not set (it has no default)",
			            file_name, keywords[i].name);
			return FALSE;
		}
	}
	for (char **n = conf->relay_networks; *n; n++) {
		if (!mm_netmask_check(*n)) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
			            "%s:0: relay_networks: \"%s\" is not an address or address/prefix",
			            file_name, *n);
			return FALSE;
		}
	}
	if ((conf->tls_cert_file == NULL) != (conf->tls_key_file == NULL)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
		            "%s:0: tls_cert_file and tls_key_file must be set together", file_name);
		return FALSE;
	}
	if (!seen[keyword_index("local_hosts")])
		default_local_hosts(conf);
	g_free(conf->file);
	conf->file = g_strdup(file_name);
	return TRUE;
}

MmConf *
mm_conf_load(const char *path, GError **error)
{
	g_autoptr(MmConf) conf = mm_conf_new_default();
	g_autofree gboolean *seen = g_new0(gboolean, G_N_ELEMENTS(keywords));
	if (!mm_conf_parse_file(keywords, G_N_ELEMENTS(keywords), conf, path, seen, error))
		return NULL;
	if (!finish(conf, path, seen, error))
		return NULL;
	return g_steal_pointer(&conf);
}

MmConf *
mm_conf_load_data(const char *text, gsize len, const char *file_name, GError **error)
{
	g_autoptr(MmConf) conf = mm_conf_new_default();
	g_autofree gboolean *seen = g_new0(gboolean, G_N_ELEMENTS(keywords));
	if (!mm_conf_parse_text(keywords, G_N_ELEMENTS(keywords), conf, text, len, file_name, seen, error))
		return NULL;
	if (!finish(conf, file_name, seen, error))
		return NULL;
	return g_steal_pointer(&conf);
}

void
mm_conf_locality(const MmConf *conf, MmLocality *out)
{
	out->host_name = conf->host_name;
	out->local_hosts = (const char *const *)conf->local_hosts;
	out->local_addresses = (const char *const *)conf->local_addresses;
	out->not_local_addresses = (const char *const *)conf->not_local_addresses;
	out->caseless_matching = conf->caseless_matching;
}

const char *const *
mm_conf_query_route_files(const MmConf *conf, const char *name)
{
	for (guint i = 0; i < conf->query_routes->len; i++) {
		const MmConfQueryRoute *r = conf->query_routes->pdata[i];
		if (strcmp(r->name, name) == 0)
			return (const char *const *)r->files;
	}
	return NULL;
}
