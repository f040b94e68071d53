/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * state_dir.c holds the embedded default configuration of
 * --state-dir: a complete masqmail that needs no file in /etc, no root
 * and no privileged port. It goes through the ordinary configuration
 * parser, so it is checked like any other configuration.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "cli/state_dir.h"

static const char *const subdirs[] = { "spool", "spool/input", "log", "lock", "run", "mail", NULL };

static char *
embedded_text(const char *dir)
{
	g_autofree char *host = g_strdup(g_get_host_name());

	/* g_get_host_name() may give a name that is not a valid domain
	 * (e.g. with an underscore); a plain fallback keeps the
	 * configuration valid. */
	for (char *p = host; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			*p = '-';
	return g_strdup_printf("# masqmail --state-dir %s: the embedded default configuration\n"
	                       "host_name = \"%s\"\n"
	                       "local_hosts = \"localhost;%s\"\n"
	                       "listen_addresses = \"localhost:%d\"\n"
	                       "spool_dir = \"%s/spool\"\n"
	                       "log_dir = \"%s/log\"\n"
	                       "lock_dir = \"%s/lock\"\n"
	                       "pid_dir = \"%s/run\"\n"
	                       "mail_dir = \"%s/mail\"\n"
	                       "run_as_user = true\n"
	                       "use_syslog = false\n",
	                       dir, host, host, MM_STATE_DIR_PORT, dir, dir, dir, dir, dir);
}

MmConf *
mm_state_dir_conf(const char *dir, GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(dir, NULL);
	g_autofree char *text = NULL;

	if (strpbrk(abs, "\"\\\n")) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "state directory name %s has a quote, backslash or newline", abs);
		return NULL;
	}
	if (g_mkdir_with_parents(abs, 0700) != 0) {
		mm_error_set_errno(error, errno, "cannot make the state directory %s", abs);
		return NULL;
	}
	for (const char *const *s = subdirs; *s; s++) {
		g_autofree char *path = g_build_filename(abs, *s, NULL);
		if (g_mkdir_with_parents(path, 0700) != 0) {
			mm_error_set_errno(error, errno, "cannot make %s", path);
			return NULL;
		}
	}
	text = embedded_text(abs);
	return mm_conf_load_data(text, strlen(text), "<embedded configuration>", error);
}
