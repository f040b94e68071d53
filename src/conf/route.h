/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * masqmail.route(5): one route file, a way out for mail (a relay, a
 * direct connection or a pipe) with the conditions under which it may
 * be used and the address rewriting it applies. MmRoute has one field
 * per option, named like the option; route.c holds the keyword table.
 * Same syntax, same parser and same errors as masqmail.conf.
 *
 * Lists are NULL-terminated char ** and never NULL; the map_* options
 * are GPtrArrays of MmConfMap* (pattern, replacement as written and
 * as a parsed MmAddress), never NULL.
 */
#pragma once

#include <glib.h>

#include "conf/parser.h"

/* The link detection options, in the order of MmRoute.detect_lines. */
typedef enum {
	MM_ROUTE_DETECT_INTERFACES,
	MM_ROUTE_DETECT_LOCAL_ADDRESSES,
	MM_ROUTE_DETECT_PEER_ADDRESSES,
	MM_ROUTE_DETECT_GATEWAYS,
	MM_ROUTE_DETECT_DEFAULT_ROUTE,
	MM_ROUTE_DETECT_N
} MmRouteDetect;

typedef struct MmRoute {
	char *name;  /* the file's base name without ".route" */
	char *file;  /* the path it was read from (or the name given) */

	/* conditions */
	char **allowed_senders;
	char **denied_senders;
	char **allowed_recipients;
	char **denied_recipients;
	char **allowed_from_hdrs;
	char **denied_from_hdrs;
	gboolean last_route;
	gboolean connect_error_fail;

	/* SMTP */
	char *mail_host;            /* "host[:port]", NULL: deliver directly */
	char **resolve_list;        /* "dns_mx", "dns_a", "byname" */
	char *helo_name;
	gboolean do_correct_helo;
	gboolean instant_helo;
	gboolean do_pipelining;
	char *auth_name;            /* "cram-md5", "login" or "plain" (lower case), or NULL */
	char *auth_login;
	char *auth_secret;
	char *auth_secret_file;     /* the secret's first line; see mm_route_read_auth_secret() */
	gboolean auth_allow_plaintext; /* AUTH without TLS to a host that is not loopback */
	int smtp_port;
	char *wrapper;

	/* TLS to the relay */
	char *tls;                  /* "off", "opportunistic", "required" or "smtps" */
	gboolean tls_verify;        /* check the certificate and the host name in it */
	char *tls_ca_file;          /* NULL: the system trust store */
	char *tls_cert_file;        /* client certificate, with tls_key_file */
	char *tls_key_file;
	char *tls_priority;         /* a GnuTLS priority string, NULL: the library's default */

	/* pipe */
	char *pipe;
	gboolean pipe_fromline;
	gboolean pipe_fromhack;

	/* address rewriting */
	GPtrArray *map_h_from_addresses;
	GPtrArray *map_h_sender_addresses;
	GPtrArray *map_h_reply_to_addresses;
	GPtrArray *map_h_mail_followup_to_addresses;
	GPtrArray *map_return_path_addresses;
	GPtrArray *map_outgoing_addresses;

	/* link detection, for the route files of query_routes.NAME
	 * (daemon/profiles.h); checked as netdetect checks them */
	char **detect_interfaces;       /* globs, default ppp*;ippp* */
	char **detect_local_addresses;  /* CIDRs */
	char **detect_peer_addresses;   /* CIDRs */
	char **detect_gateways;         /* CIDRs */
	gboolean detect_default_route;
	/* the line that sets each detect_* option (MmRouteDetect order),
	 * 0 when the file leaves it at its default: how the route files
	 * of one connection are combined, and where an error points */
	guint detect_lines[MM_ROUTE_DETECT_N];
} MmRoute;

/* The defaults of every option; @name and @file are copied. */
MmRoute *mm_route_new_default(const char *name, const char *file);

/* Reads a route file. Errors as mm_conf_load(): MM_ERROR_CONFIG with
 * "FILE:LINE: text"; options that contradict each other (auth_secret
 * and auth_secret_file, a tls_cert_file without tls_key_file or the
 * reverse) are "FILE:0: text". A route with auth_secret in a file that
 * others may read is loaded with a warning in the log. Free with
 * mm_route_free(). */
MmRoute *mm_route_load(const char *path, GError **error);

/* As mm_route_load() for text in memory; @file_name names it in
 * messages and gives the route its name. */
MmRoute *mm_route_load_data(const char *text, gsize len, const char *file_name, GError **error);

/* Loads each file of @files in order (permanent_routes or one
 * query_routes.NAME). Returns a GPtrArray of MmRoute* that frees them,
 * or NULL at the first error. */
GPtrArray *mm_route_load_list(const char *const *files, GError **error);

void mm_route_free(MmRoute *route);

/* The AUTH secret of @route: auth_secret, or the first line of
 * auth_secret_file (without its line end). The file is opened without
 * following symbolic links and refused when it is not a regular file,
 * when others may read or write it, when its group may write it, or
 * when it belongs neither to root nor to the current user; it may hold
 * at most MM_AUTH_SECRET_MAX bytes. Returns a new string in @secret
 * (NULL when the route has no secret) and TRUE, or FALSE with
 * MM_ERROR_CONFIG (the file is unsafe, empty or too large: the message
 * says which) or an errno-based error (cannot be read). */
gboolean mm_route_read_auth_secret(const MmRoute *route, char **secret, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmRoute, mm_route_free)

/* The option name of a link detection option ("detect_gateways"). */
const char *mm_route_detect_name(MmRouteDetect which);

/* The keyword table of route files. */
const MmConfKeyword *mm_route_keywords(gsize *n_keywords);
