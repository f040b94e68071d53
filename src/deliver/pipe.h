/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Running things for a recipient: an MDA (mda), a pipe recipient
 * ("|command" from an alias) or a route's pipe, and any delivery
 * function that must run with the recipient's ids (mbox, maildir).
 *
 * A command is never given to a shell. It is split and expanded by
 * mm_expand_argv() and executed directly, in its own process group,
 * with only the environment of masqmail(8) and with fds 0-2 only: the
 * message on stdin, stdout and stderr both into one pipe that is read
 * for the log (at most MM_PIPE_OUTPUT_MAX bytes kept). It is killed
 * (the whole process group) when it runs longer than its time limit.
 *
 * Exit status: 0 is delivered; EX_TEMPFAIL (75), a signal or the time
 * limit is deferred; anything else is failed, with the output as the
 * reason.
 *
 * These functions block until the child is done: call them from a
 * delivery process or a one-shot mode, never from the daemon's main
 * loop.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "deliver/render.h"
#include "msg/address.h"
#include "msg/message.h"

/* The ids a delivery runs with. They are applied only when the process
 * is root; otherwise (run_as_user, tests) the delivery runs as the
 * current user. */
typedef struct {
	uid_t uid;
	gid_t gid;         /* the primary group; for a mail_dir of group mail
	                    * (Debian's /var/mail, 2775) the mail group */
	const char *user;  /* for the supplementary groups (initgroups), or NULL */
} MmRunAs;

/* The work done in the child of mm_pipe_call_as(). */
typedef gboolean (*MmChildFunc)(gpointer data, GError **error);

/* Calls @func in a forked child that has first become @who for good
 * (when root and @who is not NULL). The child's result and GError come
 * back to the caller through a pipe, so a failure keeps its code
 * (temporary or not) and reason. Returns what @func returned; when the
 * child cannot be made, cannot take the ids or dies,
 * MM_ERROR_TEMPORARY. */
gboolean mm_pipe_call_as(const MmRunAs *who, MmChildFunc func, gpointer data, GError **error);

typedef struct {
	int wait_status;          /* from waitpid() */
	gboolean timed_out;       /* killed at the time limit */
	char *output;             /* stdout and stderr as read, NUL-terminated */
	gboolean output_truncated; /* more than MM_PIPE_OUTPUT_MAX bytes came */
} MmPipeResult;

/* Frees what @result holds (not @result itself). */
void mm_pipe_result_clear(MmPipeResult *result);

/* Runs @argv (argv[0] an absolute path, or a name looked up in
 * /usr/bin:/bin) with exactly the environment @envp, @input on stdin,
 * as @who (see MmRunAs), for at most @timeout_secs seconds (0:
 * MM_PIPE_TIMEOUT_SECS). A command that exits without reading all of
 * its input is not an error: its exit status decides. Returns TRUE and
 * fills @result when the command ran; FALSE with MM_ERROR_TEMPORARY
 * when it could not be started (fork, ids, exec: the message says
 * which). */
gboolean mm_pipe_run(const char *const *argv, const char *const *envp, GBytes *input,
                     guint timeout_secs, const MmRunAs *who, MmPipeResult *result, GError **error);

/* Maps the outcome of a command to a delivery result: TRUE for exit
 * status 0, else FALSE with MM_ERROR_TEMPORARY (EX_TEMPFAIL, a signal,
 * the time limit) or MM_ERROR_FAILED (other exit status). The message
 * names @what and holds the output on one line. */
gboolean mm_pipe_result_check(const MmPipeResult *result, const char *what, GError **error);

/* Whom and what a command delivers. */
typedef struct {
	const MmMessage *msg;        /* body loaded */
	const MmAddress *rcpt;       /* ${rcpt...}: the local recipient; NULL for a pipe item */
	const MmAddress *original;   /* LOCAL_PART, USER, LOGNAME, DOMAIN: the address
	                              * before alias expansion; NULL: @rcpt */
	const char *qualify_domain;  /* QUALIFY_DOMAIN and ${host_name} */
	const char *home;            /* HOME, or NULL to leave it out */
} MmPipeContext;

/* The environment of masqmail(8), in this order: SENDER, RETURN_PATH,
 * SENDER_DOMAIN, SENDER_LOCAL, RECEIVED_HOST, DOMAIN, LOCAL_PART, USER,
 * LOGNAME, MESSAGE_ID (the spool id), QUALIFY_DOMAIN, then
 * PATH=/usr/bin:/bin and HOME when @ctx gives it. Nothing of the
 * caller's environment is passed on. Free with g_strfreev(). */
char **mm_pipe_environment(const MmPipeContext *ctx);

typedef struct {
	/* what is written to stdin: MM_RENDER_FROM_LINE for mda_fromline
	 * and pipe_fromline, MM_RENDER_FROM_HACK for *_fromhack;
	 * MM_RENDER_RETURN_PATH and envelope_to for a local delivery */
	MmRenderOptions render;
	/* expand ${var} in the command (mda, route pipe). masqmail 1.0 does
	 * not expand pipe items of aliases; they are only split. */
	gboolean expand;
	guint timeout_secs;  /* 0: MM_PIPE_TIMEOUT_SECS */
	const MmRunAs *run_as;
} MmPipeOptions;

/* Delivers ctx->msg to @command (a leading '|' is skipped): splits and
 * expands it, renders the message, runs it and maps the result, and
 * logs the command's output. Errors: those of mm_expand_argv(),
 * mm_pipe_run() and mm_pipe_result_check(). */
gboolean mm_pipe_deliver(const char *command, const MmPipeContext *ctx, const MmPipeOptions *opts,
                         GError **error);
