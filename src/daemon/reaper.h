/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The daemon's signals and the ends of its children, read from a
 * signalfd in the main loop. GLib's child watches and Unix signal
 * sources are served by a worker thread; the daemon forks its children
 * without exec, and a fork copies any lock that another thread holds at
 * that moment (GLib's, or the allocator's under a sanitizer), which the
 * child then waits for forever. With these the parent has no thread.
 */
#pragma once

#include <glib.h>

typedef void (*MmReaperFunc)(GPid pid, gint wait_status, gpointer data);

/* Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP and reads them in the
 * default main context: @on_quit for TERM and INT, @on_reload for HUP,
 * each with @data. One per process. */
gboolean mm_reaper_start(GSourceFunc on_quit, GSourceFunc on_reload, gpointer data, GError **error);

/* Stops reading the signals and forgets every watch; the signals stay
 * blocked until the process ends. */
void mm_reaper_stop(void);

/* Calls @func once child @pid has ended (its wait status); the id is
 * for mm_reaper_unwatch(). Watch a child before going back to the main
 * loop after its fork. */
guint mm_reaper_watch(GPid pid, MmReaperFunc func, gpointer data);
void mm_reaper_unwatch(guint id);

/* In a child right after the fork: the signals unblocked, the signalfd
 * closed. */
void mm_reaper_child_setup(void);
