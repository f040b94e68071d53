/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * version.c makes the -bV report. It states the compiled-in defaults so
 * that an administrator can see where this binary looks for things.
 */
#include "config.h"

#include "cli/version.h"
#include "netdetect/netdetect.h"
#include "smtp/tls.h"

char *
mm_version_report(void)
{
	GString *s = g_string_new(NULL);
	g_autofree char *tls_version = mm_tls_library_version();

	g_string_append_printf(s, "masqmail %s\n", PACKAGE_VERSION);
	g_string_append_printf(s, "config file: %s/masqmail.conf\n", MM_CONF_DIR);
	g_string_append_printf(s, "spool dir: %s\n", MM_SPOOL_DIR);
	g_string_append_printf(s, "log dir: %s\n", MM_LOG_DIR);
	g_string_append_printf(s, "pid dir: %s\n", MM_PID_DIR);
	g_string_append_printf(s, "lock dir: %s\n", MM_LOCK_DIR);
	g_string_append_printf(s, "mail dir: %s\n", MM_MAIL_DIR);
	g_string_append_printf(s, "user: %s\n", MM_USER);
	g_string_append_printf(s, "group: %s\n", MM_GROUP);
	g_string_append(s, "features: tls(gnutls) netlink-detection online-query\n");
	g_string_append_printf(s, "glib: %u.%u.%u\n", glib_major_version, glib_minor_version,
	                       glib_micro_version);
	g_string_append_printf(s, "gnutls: %s\n", tls_version);
	g_string_append_printf(s, "libnl: %s\n", netdetect_libnl_version());
	return g_string_free(s, FALSE);
}
