/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/maildir.c: the layout it makes, the names, the
 * content, the refusal of symbolic links and foreign directories, and
 * delivery as the recipient.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "deliver/maildir.h"

#define OTHER_ID 65534

typedef struct {
	char *dir;
	char *maildir;
	MmMessage *msg;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	GError *error = NULL;

	f->dir = g_dir_make_tmp("mm-maildir-XXXXXX", &error);
	g_assert_no_error(error);
	f->maildir = g_build_filename(f->dir, "bob", NULL);
	f->msg = mm_message_new();
	f->msg->uid = g_strdup("1aBcD2-00");
	f->msg->return_path = mm_address_new("sender", "example.net", NULL);
	g_ptr_array_add(f->msg->headers, mm_header_new("Subject", "test"));
	f->msg->body = g_bytes_new_static("From the body\nend\n", 18);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	g_free(f->maildir);
	mm_message_free(f->msg);
}

/* The names in @dir, sorted. */
static GPtrArray *
list_dir(const char *dir)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	return names;
}

static void
test_layout(Fixture *f, gconstpointer data)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	g_autoptr(MmAddress) env = mm_address_new("bob", "example.org", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL, *path = NULL, *text = NULL, *tmp = NULL, *newdir = NULL;
	g_autoptr(GPtrArray) in_new = NULL;
	g_autoptr(GPtrArray) in_tmp = NULL;
	g_autofree char *pattern = NULL;
	struct stat st;

	umask(022);
	g_assert_true(mm_maildir_deliver(f->maildir, f->msg, env, &name, &error));
	g_assert_no_error(error);

	g_assert_cmpint(stat(f->maildir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		g_autofree char *sub = g_build_filename(f->maildir, subdirs[i], NULL);
		g_assert_cmpint(lstat(sub, &st), ==, 0);
		g_assert_true(S_ISDIR(st.st_mode));
		g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	}

	/* SECONDS.M<usec>P<pid>Q<n>.HOST, nothing left in tmp/ */
	pattern = g_strdup_printf("^[0-9]+\\.M[0-9]{6}P%dQ[0-9]+\\.[^/:]+$", (int)getpid());
	g_assert_true(g_regex_match_simple(pattern, name, 0, 0));
	newdir = g_build_filename(f->maildir, "new", NULL);
	tmp = g_build_filename(f->maildir, "tmp", NULL);
	in_new = list_dir(newdir);
	in_tmp = list_dir(tmp);
	g_assert_cmpuint(in_new->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(in_new, 0), ==, name);
	g_assert_cmpuint(in_tmp->len, ==, 0);

	path = g_build_filename(newdir, name, NULL);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	/* no From line and no quoting in a maildir */
	g_assert_cmpstr(text, ==,
	                "Return-path: <sender@example.net>\n"
	                "Envelope-to: <bob@example.org>\n"
	                "Subject: test\n"
	                "\n"
	                "From the body\nend\n");
}

static void
test_unique_names(Fixture *f, gconstpointer data)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *newdir = g_build_filename(f->maildir, "new", NULL);
	g_autoptr(GPtrArray) in_new = NULL;

	for (int i = 0; i < 20; i++) {
		g_autoptr(GError) error = NULL;
		char *name = NULL;
		g_assert_true(mm_maildir_deliver(f->maildir, f->msg, NULL, &name, &error));
		g_assert_no_error(error);
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, name);
	}
	in_new = list_dir(newdir);
	g_assert_cmpuint(in_new->len, ==, 20);
}

/* An existing maildir with its own contents is used as it is. */
static void
test_existing(Fixture *f, gconstpointer data)
{
	g_autofree char *cur = g_build_filename(f->maildir, "cur", NULL);
	g_autofree char *old = g_build_filename(cur, "1.old:2,S", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(cur, 0700), ==, 0);
	g_assert_cmpint(chmod(f->maildir, 0750), ==, 0);
	g_assert_true(g_file_set_contents(old, "old\n", -1, NULL));
	g_assert_true(mm_maildir_deliver(f->maildir, f->msg, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_test(old, G_FILE_TEST_IS_REGULAR));
}

static void
test_refusals(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		const char *link; /* made a symbolic link to elsewhere */
	} cases[] = {
		{ "maildir-symlink", "" },
		{ "new-symlink", "new" },
		{ "tmp-symlink", "tmp" },
		{ "cur-symlink", "cur" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *elsewhere = g_build_filename(f->dir, "elsewhere", NULL);
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s' '%s'", f->maildir, elsewhere);
		g_autofree char *at = cases[i].link[0] != '\0'
		                              ? g_build_filename(f->maildir, cases[i].link, NULL)
		                              : g_strdup(f->maildir);
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) there = NULL;

		g_test_message("%s", cases[i].label);
		g_assert_cmpint(system(cmd), ==, 0);
		g_assert_cmpint(g_mkdir(elsewhere, 0700), ==, 0);
		if (cases[i].link[0] != '\0')
			g_assert_cmpint(g_mkdir(f->maildir, 0700), ==, 0);
		g_assert_cmpint(symlink(elsewhere, at), ==, 0);

		g_assert_false(mm_maildir_deliver(f->maildir, f->msg, NULL, NULL, &error));
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
		g_assert_nonnull(strstr(error->message, "symbolic link"));
		there = list_dir(elsewhere);
		g_assert_cmpuint(there->len, ==, 0);
		/* nothing half-written stays behind */
		if (cases[i].link[0] != '\0' && strcmp(cases[i].link, "tmp") != 0) {
			g_autofree char *tmp = g_build_filename(f->maildir, "tmp", NULL);
			g_autoptr(GPtrArray) in_tmp = list_dir(tmp);
			g_assert_cmpuint(in_tmp->len, ==, 0);
		}
	}
}

static void
test_as_user(Fixture *f, gconstpointer data)
{
	MmRunAs who = { .uid = OTHER_ID, .gid = OTHER_ID, .user = NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *newdir = g_build_filename(f->maildir, "new", NULL);
	g_autoptr(GPtrArray) in_new = NULL;
	g_autofree char *path = NULL;
	struct stat st;

	if (geteuid() != 0) {
		g_test_skip("needs root to deliver as another user");
		return;
	}
	g_assert_cmpint(chmod(f->dir, 01777), ==, 0);
	g_assert_true(mm_maildir_deliver_as(&who, f->maildir, f->msg, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(stat(f->maildir, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, OTHER_ID);
	in_new = list_dir(newdir);
	g_assert_cmpuint(in_new->len, ==, 1);
	path = g_build_filename(newdir, g_ptr_array_index(in_new, 0), NULL);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, OTHER_ID);

	/* a maildir of root's is not the recipient's */
	g_assert_cmpint(chown(newdir, 0, 0), ==, 0);
	g_assert_cmpint(chmod(newdir, 0777), ==, 0);
	g_assert_false(mm_maildir_deliver_as(&who, f->maildir, f->msg, NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "does not belong"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD("/maildir/layout", test_layout);
	ADD("/maildir/unique-names", test_unique_names);
	ADD("/maildir/existing", test_existing);
	ADD("/maildir/refuse/symlinks", test_refusals);
	ADD("/maildir/user/deliver-as", test_as_user);
#undef ADD
	return g_test_run();
}
