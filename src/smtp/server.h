/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP server's connections: accepting on listening sockets,
 * non-blocking reads and writes in the GLib main loop (one write per
 * pipelined group of replies), STARTTLS handshakes, timeouts, the
 * greeting delay, the delay after a failed AUTH, and the limits on
 * sessions, in total and per client address. The protocol itself is
 * session.c; this file only moves bytes and keeps time.
 *
 * It also looks up each client's name, without delaying the greeting:
 * the reverse lookup of the address, then the forward lookup of that
 * name, which must give the address back (a name the client's own DNS
 * made up is not taken). Only a message that is complete before the
 * answer waits for it, for at most MM_SMTP_CLIENT_NAME_MS; without a
 * confirmed name, Received: says "unknown".
 *
 * Accepted messages are committed in groups: worker threads write the
 * messages of sessions that end their DATA together with one
 * mm_spool_write_batch(), and each session's 250 waits for its batch
 * to be on disk, while the main loop serves the others.
 *
 * mm_smtp_server_run_stdio() is the same for one session on standard
 * input and output (-bs), blocking, in the calling process.
 */
#pragma once

#include <gio/gio.h>

#include "conf/conf.h"
#include "smtp/relay.h"
#include "smtp/sasl.h"
#include "smtp/session.h"
#include "smtp/tls.h"

typedef struct _MmSmtpServer MmSmtpServer;

typedef struct {
	const MmConf *conf;            /* borrowed, must outlive the server */
	const MmRelayNets *relay_nets; /* borrowed; NULL: nobody is in the relay networks */
	MmTlsCreds *tls_creds;         /* borrowed; NULL: STARTTLS is not offered */
	const MmSaslSecrets *secrets;  /* borrowed; NULL: AUTH is not offered */
	MmSmtpQueuedFunc on_queued;    /* after each committed message; may be NULL */
	gpointer user_data;
	GMainContext *context;         /* where the server's sources go; NULL: the default */
	GResolver *resolver;           /* borrowed; NULL: g_resolver_get_default() at the first
	                                * connection (in the process that serves it) */
	guint name_lookup_ms;          /* 0: MM_SMTP_CLIENT_NAME_MS */
} MmSmtpServerConfig;

/* What the server needs from the configuration, loaded before the
 * daemon gives up root (the TLS key and the secrets file may be
 * readable by root only). */
typedef struct {
	MmRelayNets *relay_nets;
	MmTlsCreds *tls_creds;    /* NULL without tls_cert_file */
	MmSaslSecrets *secrets;   /* NULL without auth_secrets_file */
} MmSmtpServerResources;

/* Loads the relay networks (relay_networks, or the default), the TLS
 * credentials and the AUTH secrets named by @conf into @res. FALSE with
 * the error of the part that failed (MM_ERROR_CONFIG, or the file's
 * errno-based error); @res is then empty. */
gboolean mm_smtp_server_load(const MmConf *conf, MmSmtpServerResources *res, GError **error);
void mm_smtp_server_resources_clear(MmSmtpServerResources *res);

/* A server without listeners yet. */
MmSmtpServer *mm_smtp_server_new(const MmSmtpServerConfig *cfg);

/* Closes every session at once (421 where possible) and frees the
 * server. Listening sockets are not closed. NULL is ignored. */
void mm_smtp_server_free(MmSmtpServer *srv);

/* Accepts connections on the listening socket @fd (the caller keeps
 * owning it; it must stay open while the server runs). */
void mm_smtp_server_add_listener(MmSmtpServer *srv, int fd);

/* Serves the connected socket @fd, which the server then owns. The
 * session limits apply: beyond them the client gets 421 and @fd is
 * closed. */
void mm_smtp_server_add_connection(MmSmtpServer *srv, int fd);

/* Stops accepting; sessions outside a transaction get 421 4.3.2 and
 * are closed, the others may finish their transaction for at most
 * MM_SMTP_SHUTDOWN_GRACE_SECS. @done is called (once) when no session
 * is left. */
void mm_smtp_server_shutdown(MmSmtpServer *srv, GSourceFunc done, gpointer done_data);

guint mm_smtp_server_n_sessions(const MmSmtpServer *srv);

/* -bs: one session on @in_fd / @out_fd until QUIT, end of input or a
 * timeout, as the calling user. The client counts as local: it may
 * relay and use AUTH PLAIN. Returns a sysexits(3) status: EX_OK when
 * the session ended normally, EX_IOERR when the output failed. */
int mm_smtp_server_run_stdio(const MmSmtpServerConfig *cfg, int in_fd, int out_fd);
