/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of full_program.c: where the sendmail program looks for
 * masqmail, set-id or not.
 */
#include "config.h"

#include "cli/full_program.h"

typedef struct {
	const char *label;
	const char *self_exe;
	gboolean secure;
	const char *expected; /* NULL: MM_SBINDIR/masqmail */
} PathCase;

static const PathCase path_cases[] = {
	{ "next-to-it", "/usr/sbin/sendmail", FALSE, "/usr/sbin/masqmail" },
	{ "build-tree", "/home/u/build/sendmail", FALSE, "/home/u/build/masqmail" },
	{ "other-name", "/opt/mm/bin/sendmail.lean", FALSE, "/opt/mm/bin/masqmail" },
	{ "root-dir", "/sendmail", FALSE, "/masqmail" },
	/* set-id: a hard link in the caller's directory must not choose */
	{ "setid", "/home/u/sendmail", TRUE, NULL },
	{ "setid-installed", "/usr/sbin/sendmail", TRUE, NULL },
	{ "unknown-self", NULL, FALSE, NULL },
	{ "relative-self", "sendmail", FALSE, NULL },
};

static void
test_path(gconstpointer data)
{
	const PathCase *c = data;
	g_autofree char *path = mm_full_program_path(c->self_exe, c->secure);
	g_autofree char *sbin = g_build_filename(MM_SBINDIR, "masqmail", NULL);

	g_assert_cmpstr(path, ==, c->expected ? c->expected : sbin);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(path_cases); i++) {
		g_autofree char *name = g_strdup_printf("/full-program/path/%s", path_cases[i].label);
		g_test_add_data_func(name, &path_cases[i], test_path);
	}
	return g_test_run();
}
