/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Glob patterns of the configuration (local_hosts, local_addresses,
 * route conditions, map keys), matched as masqmail 1.0 matched them:
 * fnmatch(3) over bytes. GLib's GPatternSpec wants valid UTF-8 and
 * aborts on anything else, and configuration files and addresses are
 * not promised to be UTF-8.
 */
#pragma once

#include <glib.h>

/* TRUE when @text matches @pattern (*, ?, [...] as in fnmatch(3)). */
gboolean mm_glob_match(const char *pattern, const char *text);
