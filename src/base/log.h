/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Logging. Before the configuration is read everything goes to stderr;
 * mm_log_open() then switches to syslog (use_syslog) or to
 * log_dir/masqmail.log, with debug output (debug_level > 0) in
 * log_dir/debug.log, as masqmail 1.0 does. Log lines are events: the
 * message or session id first, then key=value pairs. Never log secrets.
 */
#pragma once

#include <glib.h>
#include <syslog.h>

/* Where log lines go until mm_log_open() succeeds. */
void mm_log_init(const char *ident);

/* Opens the configured destination. On failure the error says why and
 * logging stays on stderr. */
gboolean mm_log_open(gboolean use_syslog, const char *log_dir, int debug_level, GError **error);

/* Also copy log lines to stderr (-v, or while in the foreground). */
void mm_log_set_stderr(gboolean on);

void mm_log_set_debug_level(int level);
int mm_log_debug_level(void);

/* priority is a syslog(3) priority: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO */
void mm_log(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Written when the debug level is at least @level. */
void mm_debug(int level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

void mm_log_close(void);
