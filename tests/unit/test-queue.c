/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of the queue listing (-bp, mailq) against masqmail 1.0's
 * format, of removal (-Mrm, mailrm) with its ownership rules and of
 * the collection of what interrupted writes leave.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "queue/queue.h"
#include "queue/spool.h"

/* the time of tests/fixtures/spool-1.0/mailq.ref */
#define FIXTURE_NOW G_GINT64_CONSTANT(1700100000)

typedef struct {
	char *dir;
	char *input;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("test-queue-XXXXXX", &error);
	g_assert_no_error(error);
	f->input = g_build_filename(f->dir, "input", NULL);
	g_assert_cmpint(g_mkdir(f->input, 0700), ==, 0);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) d = g_dir_open(f->input, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(f->input, name, NULL);

		g_unlink(p);
	}
	g_rmdir(f->input);
	g_rmdir(f->dir);
	g_free(f->input);
	g_free(f->dir);
}

static void
put_file(const Fixture *f, const char *name, const char *content)
{
	g_autofree char *path = g_build_filename(f->input, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, content, -1, &error);
	g_assert_no_error(error);
}

static gboolean
has_file(const Fixture *f, const char *name)
{
	g_autofree char *path = g_build_filename(f->input, name, NULL);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static MmAddress *
addr(const char *text)
{
	g_autoptr(GError) error = NULL;
	MmAddress *a = mm_address_parse_path(text, NULL, TRUE, &error);

	g_assert_no_error(error);
	return a;
}

static MmMessage *
message(const char *uid, const char *ident, const char *host, const char *protocol)
{
	MmMessage *msg = mm_message_new();
	g_autoptr(MmAddress) to = addr("<bob@example.net>");

	msg->uid = g_strdup(uid);
	msg->return_path = addr("<alice@example.org>");
	g_ptr_array_add(msg->rcpts, mm_recipient_new(to));
	msg->protocol = g_strdup(protocol);
	msg->received_host = g_strdup(host);
	msg->ident = g_strdup(ident);
	msg->data_size = 4;
	msg->received_time = FIXTURE_NOW - 10;
	g_ptr_array_add(msg->headers, mm_header_new("Subject", "x"));
	msg->body = g_bytes_new_static("Hi.\n", 4);
	return msg;
}

static void
spool(const Fixture *f, MmMessage *msg)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_no_error(error);
}

/* ------------------------------------------------------------------ */

static void
test_age(void)
{
	static const struct {
		gint64 seconds;
		const char *expected;
	} cases[] = {
		{ 0, "0s" },         { 1, "1s" },          { 59, "59s" },       { 60, "60s" },
		{ 61, "1.0m" },      { 90, "1.5m" },       { 3599, "60.0m" },   { 3600, "60.0m" },
		{ 3601, "1.0h" },    { 5000, "1.4h" },     { 86400, "24.0h" },  { 86401, "1.0d" },
		{ 100000, "1.2d" },  { 864000, "10.0d" },  { -5, "-5s" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *age = mm_queue_format_age(cases[i].seconds);

		g_test_message("case %" G_GINT64_FORMAT, cases[i].seconds);
		g_assert_cmpstr(age, ==, cases[i].expected);
	}
}

static MmMessage *
format_minimal(void)
{
	MmMessage *msg = message("1r31eq-1Dz-00", NULL, NULL, "local");

	msg->data_size = -1;
	msg->received_time = 0;
	return msg;
}

static MmMessage *
format_full(void)
{
	MmMessage *msg = message("1r31eq-1Dz-01", "alice", "pc.lan", "esmtp");
	g_autoptr(MmAddress) done = addr("<done@example.net>");
	MmRecipient *r = mm_recipient_new(done);

	r->state = MM_RCPT_DELIVERED;
	g_ptr_array_add(msg->rcpts, r);
	r = mm_recipient_new_pipe("|/usr/bin/procmail");
	r->state = MM_RCPT_FAILED;
	g_ptr_array_add(msg->rcpts, r);
	return msg;
}

static MmMessage *
format_bounce(void)
{
	MmMessage *msg = message("1r31eq-1Dz-02", "mail", NULL, "local");

	mm_address_free(msg->return_path);
	msg->return_path = addr("<>");
	msg->received_time = FIXTURE_NOW - 7200;
	return msg;
}

static const struct {
	const char *label;
	MmMessage *(*make)(void);
	const char *expected;
} format_cases[] = {
	{ "minimal", format_minimal,
	  "1r31eq-1Dz-00 <= <alice@example.org>\n"
	  "              == <bob@example.net>\n" },
	{ "full", format_full,
	  "1r31eq-1Dz-01 <= <alice@example.org> size=4 age=10s host=pc.lan ident=alice\n"
	  "              == <bob@example.net>\n"
	  "              => <done@example.net>\n"
	  "              != |/usr/bin/procmail\n" },
	{ "bounce", format_bounce,
	  "1r31eq-1Dz-02 <= <> size=4 age=2.0h ident=mail\n"
	  "              == <bob@example.net>\n" },
};

static void
test_format(gconstpointer data)
{
	const __typeof__(format_cases[0]) *c = data;
	g_autoptr(MmMessage) msg = c->make();
	g_autoptr(GString) out = g_string_new(NULL);

	mm_queue_format_message(msg, FIXTURE_NOW, out);
	g_assert_cmpstr(out->str, ==, c->expected);
}

/* mailq on the spool that masqmail 1.0 left: compared with the listing
 * written by hand from 1.0's format. */
static void
test_list_fixture(void)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");
	g_autofree char *spool_dir = NULL;
	g_autofree char *ref_path = NULL;
	g_autofree char *ref = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	if (top == NULL) {
		g_test_skip("MM_TOP_SRCDIR not set (run through make check)");
		return;
	}
	spool_dir = g_build_filename(top, "tests", "fixtures", "spool-1.0", NULL);
	ref_path = g_build_filename(spool_dir, "mailq.ref", NULL);
	g_file_get_contents(ref_path, &ref, NULL, &error);
	g_assert_no_error(error);

	g_assert_true(mm_queue_list(spool_dir, FIXTURE_NOW, out, problems, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out->str, ==, ref);
	g_assert_cmpstr(problems->str, ==, "");
}

static void
test_list_empty(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *nowhere = g_build_filename(f->dir, "no-such-spool", NULL);

	g_assert_true(mm_queue_list(f->dir, FIXTURE_NOW, out, problems, &error));
	g_assert_cmpstr(out->str, ==, "mail queue is empty.\n");
	g_string_truncate(out, 0);
	g_assert_true(mm_queue_list(nowhere, FIXTURE_NOW, out, problems, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out->str, ==, "mail queue is empty.\n");
	g_assert_cmpstr(problems->str, ==, "");
}

/* Damaged entries are reported, skipped and left where they are; the
 * leftovers of interrupted writes are not messages and not mentioned. */
static void
test_list_damaged(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) good = message("1r31eq-1Dz-05", "alice", NULL, "local");
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) writing = NULL;

	spool(f, good);
	put_file(f, "1r31eq-1Dz-01-H", "1r31eq-1Dz-01\nMF:<a@example.org>\n\n"); /* no -D */
	put_file(f, "1r31eq-1Dz-02-H", "garbage\n");
	put_file(f, "1r31eq-1Dz-02-D", "1r31eq-1Dz-02\n");
	put_file(f, "1r31eq-1Dz-03-D", "1r31eq-1Dz-03\nbody\n"); /* no -H */
	/* a -D without -H whose writer holds the lock is not damaged */
	put_file(f, "1r31eq-1Dz-04-D", "1r31eq-1Dz-04\nbody\n");
	writing = mm_spool_lock(f->dir, "1r31eq-1Dz-04", &error);
	g_assert_no_error(error);

	g_assert_true(mm_queue_list(f->dir, FIXTURE_NOW, out, problems, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out->str, ==,
	                "1r31eq-1Dz-05 <= <alice@example.org> size=4 age=10s ident=alice\n"
	                "              == <bob@example.net>\n");
	g_test_message("%s", problems->str);
	g_assert_true(g_str_has_prefix(problems->str, "1r31eq-1Dz-01: damaged spool entry, skipped: "));
	g_assert_nonnull(strstr(problems->str, "\n1r31eq-1Dz-02: damaged spool entry, skipped: "));
	/* an envelope without data: reported, never delivered */
	g_assert_nonnull(strstr(problems->str, "1r31eq-1Dz-01-D: missing (the -H file has no data)\n"));
	g_assert_null(strstr(problems->str, "1r31eq-1Dz-03"));
	g_assert_null(strstr(problems->str, "1r31eq-1Dz-04"));

	g_assert_true(has_file(f, "1r31eq-1Dz-01-H"));
	g_assert_true(has_file(f, "1r31eq-1Dz-02-H"));
	g_assert_true(has_file(f, "1r31eq-1Dz-02-D"));
	g_assert_true(has_file(f, "1r31eq-1Dz-03-D"));
}

/* A queue with nothing but leftovers is an empty queue. */
static void
test_list_only_leftovers(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	put_file(f, "1r31eq-1Dz-03-D", "1r31eq-1Dz-03\nbody\n");
	put_file(f, "1r31eq-1Dz-03-H.tmp", "1r31eq-1Dz-03\nMF:<a@example.org>\n");
	g_assert_true(mm_queue_list(f->dir, FIXTURE_NOW, out, problems, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out->str, ==, "mail queue is empty.\n");
	g_assert_cmpstr(problems->str, ==, "");
}

/* The collection takes the leftovers and nothing else: not a message,
 * not a message somebody holds, not a damaged entry, not an empty -D
 * that may still be a writer's. */
static void
test_collect_orphans(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) good = message("1r31eq-1Dz-05", "alice", NULL, "local");
	g_autoptr(MmSpoolLock) writing = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	spool(f, good);
	put_file(f, "1r31eq-1Dz-05-H.tmp", "1r31eq-1Dz-05\n");                  /* rewrite cut off */
	put_file(f, "1r31eq-1Dz-01-H", "1r31eq-1Dz-01\nMF:<a@example.org>\n\n"); /* damaged */
	put_file(f, "1r31eq-1Dz-03-D", "1r31eq-1Dz-03\nbody\n");                /* orphan */
	put_file(f, "1r31eq-1Dz-03-H.tmp", "1r31eq-1Dz-03\nMF:");
	put_file(f, "1r31eq-1Dz-04-D", "1r31eq-1Dz-04\nbody\n"); /* being written */
	writing = mm_spool_lock(f->dir, "1r31eq-1Dz-04", &error);
	g_assert_no_error(error);
	put_file(f, "1r31eq-1Dz-06-D", ""); /* made a moment ago, not locked yet */

	g_assert_cmpuint(mm_queue_collect_orphans(f->dir, g_get_real_time() / G_USEC_PER_SEC), ==, 3);
	g_assert_false(has_file(f, "1r31eq-1Dz-05-H.tmp"));
	g_assert_false(has_file(f, "1r31eq-1Dz-03-D"));
	g_assert_false(has_file(f, "1r31eq-1Dz-03-H.tmp"));
	g_assert_true(has_file(f, "1r31eq-1Dz-05-H"));
	g_assert_true(has_file(f, "1r31eq-1Dz-05-D"));
	g_assert_true(has_file(f, "1r31eq-1Dz-01-H"));
	g_assert_true(has_file(f, "1r31eq-1Dz-04-D"));
	g_assert_true(has_file(f, "1r31eq-1Dz-06-D"));
	g_assert_true(mm_queue_list(f->dir, FIXTURE_NOW, out, NULL, &error));
	g_assert_nonnull(strstr(out->str, "1r31eq-1Dz-05 <= "));

	/* once the writer is gone, its -D goes too; the empty one an
	 * hour later */
	g_clear_pointer(&writing, mm_spool_unlock);
	g_assert_cmpuint(mm_queue_collect_orphans(f->dir, g_get_real_time() / G_USEC_PER_SEC), ==, 1);
	g_assert_false(has_file(f, "1r31eq-1Dz-04-D"));
	g_assert_true(has_file(f, "1r31eq-1Dz-06-D"));
	g_assert_cmpuint(mm_queue_collect_orphans(f->dir, g_get_real_time() / G_USEC_PER_SEC +
	                                                      MM_QUEUE_ORPHAN_GRACE_SECS),
	                 ==, 1);
	g_assert_false(has_file(f, "1r31eq-1Dz-06-D"));
	g_assert_cmpuint(mm_queue_collect_orphans(f->dir, g_get_real_time() / G_USEC_PER_SEC), ==, 0);
	g_assert_true(has_file(f, "1r31eq-1Dz-01-H"));
	g_assert_true(has_file(f, "1r31eq-1Dz-05-H"));
}

/* ------------------------------------------------------------------ */
/* Removal                                                             */

static const struct {
	const char *label;
	const char *ident;    /* ID: of the message */
	const char *host;     /* RH: */
	const char *protocol; /* PR: */
	const char *owner;    /* caller; NULL: privileged */
	int expected;         /* -1: removed, else the MM_ERROR code */
} remove_cases[] = {
	{ "privileged", "alice", NULL, "local", NULL, -1 },
	{ "privileged-remote", NULL, "pc.lan", "esmtp", NULL, -1 },
	{ "own-local", "alice", NULL, "local", "alice", -1 },
	{ "someone-elses", "alice", NULL, "local", "mallory", MM_ERROR_PERMISSION },
	{ "no-ident", NULL, NULL, "local", "alice", MM_ERROR_PERMISSION },
	{ "same-name-remote", "alice", "pc.lan", "esmtp", "alice", MM_ERROR_PERMISSION },
	{ "same-name-smtp-protocol", "alice", NULL, "smtp", "alice", MM_ERROR_PERMISSION },
};

static void
test_remove(Fixture *f, gconstpointer data)
{
	const __typeof__(remove_cases[0]) *c = data;
	g_autoptr(MmMessage) msg = message("1r31eq-1Dz-00", c->ident, c->host, c->protocol);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	spool(f, msg);
	ok = mm_queue_remove(f->dir, msg->uid, c->owner, &error);
	if (c->expected < 0) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_false(has_file(f, "1r31eq-1Dz-00-H"));
		g_assert_false(has_file(f, "1r31eq-1Dz-00-D"));
	} else {
		g_assert_false(ok);
		g_assert_error(error, MM_ERROR, c->expected);
		g_assert_true(has_file(f, "1r31eq-1Dz-00-H"));
		g_assert_true(has_file(f, "1r31eq-1Dz-00-D"));
	}
}

static void
test_remove_special(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = message("1r31eq-1Dz-00", "alice", NULL, "local");
	g_autoptr(GError) error = NULL;
	MmSpoolLock *lock;

	spool(f, msg);
	/* being delivered: not removed under the deliverer's feet */
	lock = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_no_error(error);
	g_assert_false(mm_queue_remove(f->dir, msg->uid, NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
	g_clear_error(&error);
	mm_spool_unlock(lock);

	g_assert_false(mm_queue_remove(f->dir, "1r31eq-1Dz-99", NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(mm_queue_remove(f->dir, "../../x", NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
	g_clear_error(&error);

	/* damaged: its owner cannot be told, only a privileged caller may */
	put_file(f, "1r31eq-1Dz-01-H", "garbage\n");
	put_file(f, "1r31eq-1Dz-01-D", "1r31eq-1Dz-01\n");
	g_assert_false(mm_queue_remove(f->dir, "1r31eq-1Dz-01", "alice", &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_CORRUPT);
	g_clear_error(&error);
	g_assert_true(mm_queue_remove(f->dir, "1r31eq-1Dz-01", NULL, &error));
	g_assert_no_error(error);
	g_assert_false(has_file(f, "1r31eq-1Dz-01-D"));

	/* an -H without data */
	put_file(f, "1r31eq-1Dz-02-H", "1r31eq-1Dz-02\nMF:<a@example.org>\n\n");
	g_assert_false(mm_queue_remove(f->dir, "1r31eq-1Dz-02", "alice", &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(mm_queue_remove(f->dir, "1r31eq-1Dz-02", NULL, &error));
	g_assert_no_error(error);
	g_assert_false(has_file(f, "1r31eq-1Dz-02-H"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/queue/format/age", test_age);
	for (gsize i = 0; i < G_N_ELEMENTS(format_cases); i++) {
		g_autofree char *path = g_strconcat("/queue/format/", format_cases[i].label, NULL);

		g_test_add_data_func(path, &format_cases[i], test_format);
	}
	g_test_add_func("/queue/list/fixture-1.0", test_list_fixture);
	g_test_add("/queue/list/empty", Fixture, NULL, fixture_setup, test_list_empty, fixture_teardown);
	g_test_add("/queue/list/damaged", Fixture, NULL, fixture_setup, test_list_damaged,
	           fixture_teardown);
	g_test_add("/queue/list/only-leftovers", Fixture, NULL, fixture_setup, test_list_only_leftovers,
	           fixture_teardown);
	g_test_add("/queue/collect-orphans", Fixture, NULL, fixture_setup, test_collect_orphans,
	           fixture_teardown);
	for (gsize i = 0; i < G_N_ELEMENTS(remove_cases); i++) {
		g_autofree char *path = g_strconcat("/queue/remove/", remove_cases[i].label, NULL);

		g_test_add(path, Fixture, &remove_cases[i], fixture_setup, test_remove, fixture_teardown);
	}
	g_test_add("/queue/remove/locked-missing-damaged", Fixture, NULL, fixture_setup,
	           test_remove_special, fixture_teardown);

	return g_test_run();
}
