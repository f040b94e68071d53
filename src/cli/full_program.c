/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * full_program.c: where the sendmail program finds masqmail, and the
 * exec into it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/full_program.h"

char *
mm_full_program_path(const char *self_exe, gboolean secure)
{
	g_autofree char *dir = NULL;

	if (secure || !self_exe || !g_path_is_absolute(self_exe))
		return g_build_filename(MM_SBINDIR, "masqmail", NULL);
	dir = g_path_get_dirname(self_exe);
	return g_build_filename(dir, "masqmail", NULL);
}

int
mm_full_program_exec(char **argv)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *path = mm_full_program_path(self, getauxval(AT_SECURE) != 0);
	char *none[] = { path, NULL };
	int err;

	execv(path, argv[0] ? argv : none);
	err = errno;
	fprintf(stderr, "masqmail: cannot run %s: %s\n", path, g_strerror(err));
	return EX_OSERR;
}
