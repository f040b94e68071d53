/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * masqmail.conf(5): the main configuration. MmConf has one field per
 * option, named like the option; conf.c holds the keyword table that
 * maps names to fields, types and masqmail 1.0's defaults. Reading
 * goes through the shared parser (conf/parser.h); every error is
 * MM_ERROR_CONFIG "FILE:LINE: text" and the caller exits with
 * EX_CONFIG.
 *
 * Value types: lists are NULL-terminated char ** that are never NULL
 * (an unset list is empty); times are gint64 seconds; booleans are
 * gboolean; an unset string is NULL. The struct owns everything in it.
 */
#pragma once

#include <glib.h>

#include "conf/parser.h"
#include "msg/address.h"

typedef MmConfNamedList MmConfQueryRoute;

typedef struct MmConf {
	gboolean run_as_user;
	gboolean use_syslog;
	int debug_level;
	char *log_dir;
	char *pid_dir;
	char *mail_dir;
	char *spool_dir;
	char *lock_dir;

	char *host_name;            /* never NULL after a successful load */
	char **local_hosts;         /* default: localhost, host_name's first label, host_name */
	char **local_addresses;
	char **not_local_addresses;
	char **listen_addresses;    /* "host[:port]" items, see mm_conf_split_host_port() */

	gboolean do_save_envelope_to;
	gboolean do_relay;
	gboolean do_queue;

	char **permanent_routes;    /* route files */
	GPtrArray *query_routes;    /* MmConfQueryRoute*, in configuration order */

	char *alias_file;
	char *globalias_file;
	gboolean caseless_matching;
	gboolean pipe_fromline;
	gboolean pipe_fromhack;

	char *mbox_default;         /* "mbox" or "mda" */
	char **mbox_users;
	char **mda_users;
	char **maildir_users;       /* new: users whose mail_dir/USER is a maildir */
	char *mda;
	gboolean mda_fromline;
	gboolean mda_fromhack;

	char *online_query;

	char *errmsg_file;
	char *warnmsg_file;
	GArray *warn_intervals;     /* gint64 seconds, in the order given */
	gint64 max_defer_time;      /* seconds */
	char *log_user;
	gint64 max_msg_size;        /* bytes, 0: no limit */
	gboolean defer_all;

	/* The SMTP server (not in 1.0). */
	char *tls_cert_file;        /* no certificate: STARTTLS is not offered */
	char *tls_key_file;
	char *tls_ca_file;
	char *tls_priority;         /* GnuTLS priority string, NULL for its default */
	char *auth_secrets_file;    /* "user:secret" lines; unset: no AUTH */
	char **relay_networks;      /* address/prefix items; empty: loopback and the local networks */
	int smtp_max_recipients;
	int smtp_max_errors;
	int smtp_max_sessions;
	int smtp_max_sessions_per_client;
	gint64 smtp_command_timeout; /* seconds */
	gint64 smtp_data_timeout;    /* seconds */
	gint64 smtp_greeting_delay;  /* seconds */

	char *file;                 /* the file read last, or NULL for the defaults */
} MmConf;

/* The compiled-in defaults; host_name is NULL and local_hosts is just
 * "localhost" (the rest of that default needs host_name). Never fails. */
MmConf *mm_conf_new_default(void);

/* The defaults, then @path on top. A file that cannot be read, an
 * unknown option, a bad value, an included file that is missing, an
 * unterminated quote, a missing '=' are MM_ERROR_CONFIG with
 * "FILE:LINE: text"; a missing host_name is reported as "FILE:0: ...".
 * Returns a new MmConf (free with mm_conf_free()) or NULL. */
MmConf *mm_conf_load(const char *path, GError **error);

/* As mm_conf_load() for a configuration held in memory (@len bytes,
 * need not be NUL-terminated); @file_name is only used in messages. */
MmConf *mm_conf_load_data(const char *text, gsize len, const char *file_name, GError **error);

void mm_conf_free(MmConf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmConf, mm_conf_free)

/* Fills @out with pointers borrowed from @conf (valid while @conf is). */
void mm_conf_locality(const MmConf *conf, MmLocality *out);

/* The route files of query_routes.@name, or NULL when there is no
 * such name. Borrowed from @conf. */
const char *const *mm_conf_query_route_files(const MmConf *conf, const char *name);

/* The keyword table of masqmail.conf, for documentation checks and
 * diagnostics. Prefix keywords end with '.' ("query_routes."). */
const MmConfKeyword *mm_conf_keywords(gsize *n_keywords);
