/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "testlib.h"

void
mm_test_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		GDir *dir;
		const char *name;

		g_chmod(path, 0700);
		dir = g_dir_open(path, 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			mm_test_remove_tree(child);
		}
		if (dir != NULL)
			g_dir_close(dir);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}
