/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The client side of the control socket (control.h: the protocol and
 * the daemon's side), for the command line: --status, RUN and the
 * hand-over of a queued message. GLib and plain sockets only.
 */
#pragma once

#include <glib.h>
#include <sys/un.h>

#define MM_CONTROL_SOCKET_NAME "masqmail.sock"

/* The socket's path for @pid_dir; newly allocated. */
char *mm_control_socket_path(const char *pid_dir);

/* Sends @command (one line, without LF) to the daemon whose socket is
 * in @pid_dir and reads its answer, at most MM_CONTROL_REPLY_MAX
 * octets, all within MM_CONTROL_CLIENT_TIMEOUT_MS. Returns the answer
 * without its `result:` line and without the final empty line (newly
 * allocated; maybe ""). Errors: MM_ERROR_NOT_FOUND when no daemon
 * listens (no socket, connection refused), MM_ERROR_TEMPORARY on the
 * time-out, MM_ERROR_FAILED with the daemon's `error:` text when it
 * refused the command, MM_ERROR_PARSE for an answer that is not one,
 * MM_ERROR_LIMIT for one that is too long; errno-based otherwise. */
char *mm_control_request(const char *pid_dir, const char *command, GError **error);

/* Fills @sun with @path. MM_ERROR_LIMIT when it does not fit. */
gboolean mm_control_socket_address(struct sockaddr_un *sun, const char *path, GError **error);
