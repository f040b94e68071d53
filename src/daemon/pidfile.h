/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The daemon's pid file (masqmail.pid in pid_dir), which is also what
 * keeps a second daemon on the same configuration from starting: the
 * running daemon holds an fcntl lock on it for as long as it lives.
 * The lock is an open-file-description lock, so it stays with the
 * daemon across the fork() that detaches it, and goes away with the
 * daemon's last descriptor, however the daemon ends.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* Opens (creating it, mode 0644) and locks the pid file @path without
 * waiting. Returns the descriptor (close-on-exec; keep it open while
 * the daemon runs), or -1 with MM_ERROR_LOCKED when another process
 * holds it (the message names the pid the file holds), or an
 * errno-based error when it cannot be opened. A symbolic link or
 * anything but a regular file is refused. */
int mm_pidfile_lock(const char *path, GError **error);

/* Replaces the content of the locked pid file @fd with "@pid\n". */
gboolean mm_pidfile_write(int fd, pid_t pid, GError **error);
