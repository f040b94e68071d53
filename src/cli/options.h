/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The command line of masqmail: the sendmail-compatible options of
 * masqmail 1.0, the invocation names (sendmail, mailq, runq, mailrm,
 * newaliases, smtpd, in.smtpd) and this masqmail's additions (-bD,
 * -qI, --status, --state-dir, --help, --version). The parser is a pure
 * function from argv to a plain MmOptions: it does no I/O, reads no
 * configuration and makes no privilege decision (who may use -d, -f or
 * -C is decided by the caller, which knows the user). Everything it
 * refuses is a usage error; the caller prints it with the usage text
 * and exits with EX_USAGE.
 */
#pragma once

#include <glib.h>

typedef enum {
	MM_MODE_NONE = 0,   /* internal: no mode chosen yet; never returned */
	MM_MODE_ACCEPT,     /* -bm: a message on standard input */
	MM_MODE_DAEMON,     /* -bd, -bD and/or -qINTERVAL */
	MM_MODE_QUEUE_RUN,  /* -q, -qo [NAME], runq: one queue run */
	MM_MODE_SMTP,       /* -bs, in.smtpd: SMTP on stdin/stdout */
	MM_MODE_LIST,       /* -bp, mailq */
	MM_MODE_REMOVE,     /* -Mrm, mailrm */
	MM_MODE_VERSION,    /* -bV, --version, or nothing to do */
	MM_MODE_ALIASES,    /* -bi, newaliases: nothing to rebuild */
	MM_MODE_STATUS,     /* --status */
	MM_MODE_HELP,       /* --help */
} MmMode;

/* The parsed command line. Every string is owned by the struct and
 * freed by mm_options_clear(). */
typedef struct {
	MmMode mode;
	/* the basename of argv[0] the mode was derived from */
	char *invoked_as;
	/* -C FILE made absolute, NULL when not given */
	char *conf_file;
	/* --state-dir DIR made absolute, NULL when not given */
	char *state_dir;
	/* -d LEVEL, -1 when not given */
	int debug_level;
	/* -f ADDRESS as given (may be empty or "<>"), NULL when not given */
	char *return_path;
	/* -F NAME, NULL when not given */
	char *full_name;
	gboolean read_recipients;  /* -t */
	gboolean ignore_dot;       /* -i, -oi: a lone "." does not end the message */
	gboolean queue_only;       /* -odq: do not deliver at once */
	gboolean background;       /* -odb: deliver in a child, return at once */
	gboolean verbose;          /* -v */
	/* daemon: accept SMTP connections (-bd, -bD, smtpd) */
	gboolean listen;
	/* daemon: stay in the foreground (-bD) */
	gboolean foreground;
	/* daemon: seconds between queue runs (-qINTERVAL), 0 for none */
	guint queue_interval;
	/* queue run through online routes only (-qo) */
	gboolean queue_online;
	/* -qo NAME: the one route to use; NULL means every online route */
	char *route_name;
	/* -qI TEXT: the queue run takes only the messages whose id
	 * contains TEXT (sendmail 8's -qI); NULL for every message */
	char *queue_id_part;
	/* the arguments after the options, NULL-terminated (NULL only
	 * before a successful parse): recipients (accept mode) or message
	 * ids (remove mode); other modes ignore them */
	char **args;
} MmOptions;

/* Sets the defaults (nothing given, debug_level -1, args NULL) without
 * allocating. @opts must not hold allocations: mm_options_clear() is
 * for that. */
void mm_options_init(MmOptions *opts);

/* Frees what @opts holds and sets the defaults again. NULL-safe. */
void mm_options_clear(MmOptions *opts);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MmOptions, mm_options_clear)

/* Parses a whole command line, argv[0] included (argc may be 0).
 * Options end at "--" or at the first argument that does not begin
 * with "-", as in masqmail 1.0; the rest are arguments. On success
 * @out holds the result (its previous content is overwritten, not
 * freed). On failure @out holds the defaults (nothing allocated) and @error is
 * MM_ERROR_FAILED with a one-line message for the user: unknown
 * option, missing or bad argument, bad interval, conflicting modes, a
 * control character in an argument, an argument longer than
 * MM_CLI_ARG_MAX, no recipients for -bm, no message id for -Mrm, a -qI
 * text that cannot be part of a message id. */
gboolean mm_options_parse(int argc, char **argv, MmOptions *out, GError **error);

/* Parses a queue interval: one or more groups of digits followed by a
 * unit s, m, h, d or w ("30m", "1h30m"). The total must be at least
 * one second and at most MM_CLI_INTERVAL_MAX. MM_ERROR_FAILED on
 * anything else. */
gboolean mm_options_parse_interval(const char *text, guint *seconds, GError **error);

/* The usage text, several lines ending in a newline; static. */
const char *mm_options_usage(void);

/* A short lower-case name of @mode ("accept", "daemon", ...) for logs
 * and tests; static. */
const char *mm_options_mode_name(MmMode mode);
