/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every limit that protects masqmail from its input, in one place.
 * Each has a test at the limit.
 */
#pragma once

/* RFC 5321 4.5.3.1.4: command line including CRLF */
#define MM_SMTP_COMMAND_LINE_MAX 512
/* RFC 5321 4.5.3.1.6: text line including CRLF */
#define MM_SMTP_TEXT_LINE_MAX 1000
/* RFC 5321 4.5.3.1.5: reply line including CRLF */
#define MM_SMTP_REPLY_LINE_MAX 512
/* lines of one multi-line reply we read before calling it malformed */
#define MM_SMTP_REPLY_LINES_MAX 100
/* RFC 5321 4.5.3.1.1 and .2 */
#define MM_LOCAL_PART_MAX 64
#define MM_DOMAIN_MAX 255
/* RFC 5321 4.5.3.1.3: path including the angle brackets */
#define MM_PATH_MAX 256
/* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted */
#define MM_RECIPIENTS_DEFAULT 100
/* SMTP AUTH: failures in one session before it is closed, and the
 * delay before the answer to a failure (multiplied by their number) */
#define MM_SMTP_AUTH_FAILURES_MAX 3
#define MM_SMTP_AUTH_FAILURE_DELAY_MS 1000
/* replies the server holds for a client that does not read them; input
 * is not read until they are sent */
#define MM_SMTP_OUTPUT_MAX (64 * 1024)
/* how long a stopping daemon lets sessions finish their transaction */
#define MM_SMTP_SHUTDOWN_GRACE_SECS 30
/* a TLS handshake of the server, start to end */
#define MM_SMTP_TLS_HANDSHAKE_SECS 60
/* the reverse and forward lookup of a client's name, together; a
 * message that waits for the name waits no longer than this */
#define MM_SMTP_CLIENT_NAME_MS 5000
/* input a session holds while its message waits for the client's name */
#define MM_SMTP_HELD_INPUT_MAX (64 * 1024)

/* a header field as stored (all folded lines); longer ones are cut */
#define MM_HEADER_MAX (64 * 1024)
/* number of header fields in one message */
#define MM_HEADERS_COUNT_MAX 1000
/* one line of a spool -H file (1.0 uses the same order of size) */
#define MM_SPOOL_LINE_MAX (64 * 1024)
/* recipients one spool file may list (alias expansion can add many) */
#define MM_SPOOL_RECIPIENTS_MAX 100000
/* a spool message id (1.0 ids have 13 characters); ids are file names */
#define MM_SPOOL_UID_MAX 64
/* a spool -D file as a whole, read into memory for delivery */
#define MM_SPOOL_DATA_MAX (1024L * 1024 * 1024)
/* a queue run delivers its messages in batches: the remote recipients
 * of a batch go out together, pipelined behind each other in one
 * session per destination. A batch is held locked and in memory, and
 * a lost connection defers the rest of it: so a count and a size bound
 * it. A message larger than the size is a batch of its own. */
#define MM_QUEUE_BATCH_MAX 100
#define MM_QUEUE_BATCH_BYTES (16L * 1024 * 1024)
/* removals handed to a queue run's remover thread and not yet done
 * (spool.h): each holds two descriptors (the lock, the -H), on top of
 * the batch's MM_QUEUE_BATCH_MAX locks, well within the usual 1024 */
#define MM_SPOOL_REMOVER_PENDING_MAX 128
/* one line of a configuration, route or alias file */
#define MM_CONF_LINE_MAX (16 * 1024)
/* nesting of included list files */
#define MM_CONF_INCLUDE_DEPTH_MAX 4
/* a configuration or route file as a whole */
#define MM_CONF_FILE_MAX (4 * 1024 * 1024)
/* levels of aliases that expand to aliases, below the original recipient */
#define MM_ALIAS_DEPTH_MAX 20
/* alias items looked at while expanding one original recipient: caps the
 * fan-out (a: b,b,b... b: c,c,c...) that grows exponentially with depth */
#define MM_ALIAS_ITEMS_MAX 10000
/* one command-line argument (option value, recipient, message id) */
#define MM_CLI_ARG_MAX 4096
/* -qINTERVAL: the longest queue interval, one year in seconds */
#define MM_CLI_INTERVAL_MAX (365 * 24 * 3600)
/* -d LEVEL: 1.0 documents 0 to 6 as meaningful; a little room above */
#define MM_CLI_DEBUG_LEVEL_MAX 9
/* a message id given to -Mrm, as long as a spool id may be */
#define MM_CLI_MSGID_MAX 64
/* a mailbox dot-lock older than this whose owner is gone is removed */
#define MM_DOTLOCK_STALE_SECS 300
/* how long a delivery waits for a mailbox's dot-lock and fcntl lock */
#define MM_MBOX_LOCK_WAIT_SECS 30
/* default time limit of an MDA or pipe command; then its process group is killed */
#define MM_PIPE_TIMEOUT_SECS 300
/* output (stdout and stderr) of an MDA or pipe command kept for the log */
#define MM_PIPE_OUTPUT_MAX 4096
/* a ${name} in mda, pipe commands and templates (1.0 uses the same) */
#define MM_EXPAND_NAME_MAX 50
/* the text an expansion may produce */
#define MM_EXPAND_RESULT_MAX (64 * 1024)
/* the error report a delivery child sends to its parent */
#define MM_CHILD_REPORT_MAX 4096
/* SMTP client time limits in seconds, RFC 5321 4.5.3.2 (connect: ours) */
#define MM_SMTP_CLIENT_TIMEOUT_CONNECT 60
#define MM_SMTP_CLIENT_TIMEOUT_GREETING (5 * 60)
#define MM_SMTP_CLIENT_TIMEOUT_MAIL (5 * 60)
#define MM_SMTP_CLIENT_TIMEOUT_RCPT (5 * 60)
#define MM_SMTP_CLIENT_TIMEOUT_DATA_INIT (2 * 60)
#define MM_SMTP_CLIENT_TIMEOUT_DATA_BLOCK (3 * 60)
#define MM_SMTP_CLIENT_TIMEOUT_FINAL (10 * 60)
/* a certificate, key or CA file read for TLS (a system CA bundle is ~250 KiB) */
#define MM_TLS_FILE_MAX (4 * 1024 * 1024)
/* RFC 4954 4: a base64 SASL response line of at least 12288 octets must be accepted */
#define MM_SASL_RESPONSE_MAX 12288
/* RFC 4616 2: authzid, authcid and password of PLAIN are at most 255 octets each */
#define MM_SASL_FIELD_MAX 255
/* the file of SMTP AUTH user:secret lines */
#define MM_SASL_SECRETS_FILE_MAX (1024 * 1024)
/* an errmsg_file or warnmsg_file template as a whole */
#define MM_TEMPLATE_FILE_MAX (64 * 1024)
/* the body returned in a failure notice; a longer one is left out and
 * only the headers go back (RFC 3462 text/rfc822-headers) */
#define MM_BOUNCE_BODY_MAX (100 * 1024)
/* an AUTH secret read from a route's auth_secret_file */
#define MM_AUTH_SECRET_MAX 1024
/* how long online_query may run before it counts as offline */
#define MM_ONLINE_QUERY_TIMEOUT_SECS 30
/* output of online_query read for the connection name (1.0 reads 255 bytes) */
#define MM_ONLINE_QUERY_OUTPUT_MAX 256
/* how long the client waits for the reply to QUIT; the mail is sent by then */
#define MM_SMTP_CLIENT_TIMEOUT_QUIT 30
/* the daemon: delivery children at once, and deliveries that may wait
 * for one (more are left in the queue for the next run) */
#define MM_DAEMON_DELIVERIES_MAX 8
#define MM_DAEMON_PENDING_MAX 10000
/* how long a stopping daemon waits for its delivery children */
#define MM_DAEMON_STOP_WAIT_SECS 60
/* after a reload, how long the old SMTP child may serve its sessions */
#define MM_DAEMON_DRAIN_SECS 600
/* how long the SMTP child stays without a session before it ends (the
 * next connection starts another): an idle daemon is one process */
#define MM_DAEMON_SMTP_IDLE_SECS 30
/* the control socket: one request line with its LF, an answer as the
 * client reads it, connections served at once, how long a client may
 * take to send its line, how long the client waits for the daemon */
#define MM_CONTROL_LINE_MAX 256
#define MM_CONTROL_REPLY_MAX (256 * 1024)
#define MM_CONTROL_CLIENTS_MAX 32
#define MM_CONTROL_IDLE_SECS 10
#define MM_CONTROL_CLIENT_TIMEOUT_MS 5000
/* the remote delivery worker's answers (deliver/remote_worker.h): one
 * line, and one field of a result (route, host, the relay's reply: a
 * multi-line reply is at most MM_SMTP_REPLY_LINES_MAX lines) */
#define MM_REMOTE_WORKER_LINE_MAX 128
#define MM_REMOTE_WORKER_FIELD_MAX (64 * 1024)
/* how long the parent waits for the worker's results to one message:
 * twice the sum of the SMTP client's own limits for a whole session,
 * so that only a worker that hangs reaches it */
#define MM_REMOTE_WORKER_REQUEST_SECS                                                              \
	(2 * (MM_SMTP_CLIENT_TIMEOUT_CONNECT + MM_SMTP_CLIENT_TIMEOUT_GREETING +                  \
	      MM_SMTP_CLIENT_TIMEOUT_MAIL + MM_SMTP_CLIENT_TIMEOUT_RCPT +                          \
	      MM_SMTP_CLIENT_TIMEOUT_DATA_INIT + MM_SMTP_CLIENT_TIMEOUT_DATA_BLOCK +               \
	      MM_SMTP_CLIENT_TIMEOUT_FINAL + MM_SMTP_CLIENT_TIMEOUT_QUIT))
/* how long the worker may take to start (fork, give up root, greet) */
#define MM_REMOTE_WORKER_START_SECS 30
/* how long it gets to end its sessions (QUIT) and exit after the run */
#define MM_REMOTE_WORKER_EXIT_SECS (2 * MM_SMTP_CLIENT_TIMEOUT_QUIT)
