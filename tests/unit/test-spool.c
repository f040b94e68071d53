/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of the spool: message ids, write/read round trips in 1.0's
 * format, masqmail 1.0's own files, damaged entries, locks between
 * processes, and failures while writing.
 */
#include "config.h"

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "base/limits.h"
#include "queue/spool.h"
#include "queue/uid.h"

typedef struct {
	char *dir;   /* the spool_dir */
	char *input; /* dir/input */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("test-spool-XXXXXX", &error);
	g_assert_no_error(error);
	f->input = g_build_filename(f->dir, "input", NULL);
	g_assert_cmpint(g_mkdir(f->input, 0700), ==, 0);
}


static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	mm_test_remove_tree(f->dir);
	g_free(f->input);
	g_free(f->dir);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in input/, sorted and joined by spaces. */
static char *
input_names(const Fixture *f)
{
	g_autoptr(GDir) d = g_dir_open(f->input, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static void
put_file(const Fixture *f, const char *name, const char *content, gssize len)
{
	g_autofree char *path = g_build_filename(f->input, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, content, len, &error);
	g_assert_no_error(error);
}

static char *
get_file(const Fixture *f, const char *name)
{
	g_autofree char *path = g_build_filename(f->input, name, NULL);
	g_autoptr(GError) error = NULL;
	char *content = NULL;

	g_file_get_contents(path, &content, NULL, &error);
	g_assert_no_error(error);
	return content;
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

static void
add_rcpt(MmMessage *msg, const char *text, MmRcptState state)
{
	MmRecipient *rcpt;

	if (text[0] == '|') {
		rcpt = mm_recipient_new_pipe(text);
	} else {
		g_autoptr(MmAddress) a = addr(text);

		rcpt = mm_recipient_new(a);
	}
	rcpt->state = state;
	g_ptr_array_add(msg->rcpts, rcpt);
}

static void
add_header(MmMessage *msg, const char *text)
{
	g_autoptr(GError) error = NULL;
	MmHeader *hdr = mm_header_parse(text, strlen(text), &error);

	g_assert_no_error(error);
	g_ptr_array_add(msg->headers, hdr);
}

/* A plain local message with one recipient. */
static MmMessage *
simple_message(const char *uid)
{
	MmMessage *msg = mm_message_new();
	static const char body[] = "Hi.\n";

	msg->uid = g_strdup(uid);
	msg->return_path = addr("<alice@example.org>");
	add_rcpt(msg, "<bob@example.net>", MM_RCPT_PENDING);
	msg->protocol = g_strdup("local");
	msg->ident = g_strdup("alice");
	msg->data_size = sizeof body - 1;
	msg->received_time = 1700000000;
	add_header(msg, "Subject: hello\n");
	msg->body = g_bytes_new_static(body, sizeof body - 1);
	return msg;
}

static void
assert_same_message(const MmMessage *a, const MmMessage *b, gboolean with_body)
{
	g_autofree char *rpa = mm_address_to_path(a->return_path);
	g_autofree char *rpb = mm_address_to_path(b->return_path);

	g_assert_cmpstr(a->uid, ==, b->uid);
	g_assert_cmpstr(rpa, ==, rpb);
	g_assert_cmpuint(a->rcpts->len, ==, b->rcpts->len);
	for (guint i = 0; i < a->rcpts->len; i++) {
		const MmRecipient *ra = g_ptr_array_index(a->rcpts, i);
		const MmRecipient *rb = g_ptr_array_index(b->rcpts, i);

		g_assert_cmpint(ra->state, ==, rb->state);
		g_assert_cmpstr(ra->pipe, ==, rb->pipe);
		if (ra->pipe == NULL) {
			g_autofree char *pa = mm_address_to_path(ra->address);
			g_autofree char *pb = mm_address_to_path(rb->address);

			g_assert_cmpstr(pa, ==, pb);
		}
	}
	g_assert_cmpstr(a->protocol, ==, b->protocol);
	g_assert_cmpstr(a->received_host, ==, b->received_host);
	g_assert_cmpstr(a->ident, ==, b->ident);
	g_assert_cmpint(a->data_size, ==, b->data_size);
	g_assert_cmpint(a->received_time, ==, b->received_time);
	g_assert_cmpint(a->warned_time, ==, b->warned_time);
	g_assert_cmpuint(a->extra->len, ==, b->extra->len);
	for (guint i = 0; i < a->extra->len; i++)
		g_assert_cmpstr(g_ptr_array_index(a->extra, i), ==, g_ptr_array_index(b->extra, i));
	g_assert_cmpuint(a->headers->len, ==, b->headers->len);
	for (guint i = 0; i < a->headers->len; i++) {
		const MmHeader *ha = g_ptr_array_index(a->headers, i);
		const MmHeader *hb = g_ptr_array_index(b->headers, i);

		g_assert_cmpstr(ha->text, ==, hb->text);
		g_assert_cmpint(ha->id, ==, hb->id);
	}
	if (with_body) {
		g_assert_nonnull(b->body);
		g_assert_true(g_bytes_equal(a->body, b->body));
	} else {
		g_assert_null(b->body);
	}
}

/* ------------------------------------------------------------------ */
/* Message ids                                                         */

static void
test_uid_format(void)
{
	static const struct {
		const char *label;
		gint64 epoch;
		guint pid;
		guint seq;
		const char *expected;
	} cases[] = {
		{ "zero", 0, 0, 0, "000000-0000-000" },
		{ "first-of-second", 1700000000, 4711, 0, "1r31eq-01Dz-000" },
		{ "second-of-second", 1700000000, 4711, 1, "1r31eq-01Dz-001" },
		{ "an-hour-later", 1700003600, 815, 0, "1r32au-00D9-000" },
		{ "a-day-later", 1700086400, 23001, 3, "1r3O8O-05yz-003" },
		/* 4711 + 62^3: 1.0's three pid digits would be the same */
		{ "pid-over-1.0-width", 1700000000, 4711 + 238328, 0, "1r31eq-11Dz-000" },
		{ "largest", 1700000000, 4 * 1024 * 1024 - 1, MM_UID_PER_SECOND - 1, "1r31eq-Hb83-zzz" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *uid = mm_uid_format(cases[i].epoch, cases[i].pid, cases[i].seq);

		g_test_message("case %s", cases[i].label);
		g_assert_cmpstr(uid, ==, cases[i].expected);
		g_assert_cmpuint(strlen(uid), ==, MM_UID_LEN);
		g_assert_true(mm_uid_is_valid(uid));
	}
}

/* Every (pid, seq) pair of one second names a different message. */
static void
test_uid_format_distinct(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	static const guint pids[] = { 1, 4711, 4711 + 238328, 4711 + 2 * 238328, 238327, 238328,
		                      4 * 1024 * 1024 - 1 };

	for (gsize p = 0; p < G_N_ELEMENTS(pids); p++) {
		for (guint seq = 0; seq < MM_UID_PER_SECOND; seq += 97) {
			char *uid = mm_uid_format(1700000000, pids[p], seq);

			g_assert_false(g_hash_table_contains(seen, uid));
			g_hash_table_add(seen, uid);
		}
	}
}

static void
test_uid_valid(void)
{
	static const struct {
		const char *input;
		gboolean valid;
	} cases[] = {
		{ "1r31eq-1Dz-00", TRUE },
		{ "abc", TRUE },
		{ "", FALSE },
		{ "-rf", FALSE },
		{ "../etc/passwd", FALSE },
		{ "a/b", FALSE },
		{ "a b", FALSE },
		{ "a.b", FALSE },
		{ "1r31eq-1Dz-00-H", TRUE },
		{ "\xc3\xa4", FALSE },
		{ "0123456789012345678901234567890123456789012345678901234567890123", TRUE },
		{ "01234567890123456789012345678901234567890123456789012345678901234", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case \"%s\"", cases[i].input);
		g_assert_cmpint(mm_uid_is_valid(cases[i].input), ==, cases[i].valid);
	}
	g_assert_false(mm_uid_is_valid(NULL));
}

/* Many ids in a row: all different and increasing. */
static void
test_uid_many(void)
{
	g_autoptr(GPtrArray) uids = g_ptr_array_new_with_free_func(g_free);
	guint n = 20000;

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(uids, mm_uid_new());
	for (guint i = 1; i < n; i++)
		g_assert_cmpstr(g_ptr_array_index(uids, i - 1), <, g_ptr_array_index(uids, i));
}

/* Several processes at once: no id twice. */
static void
test_uid_processes(void)
{
	enum { CHILDREN = 6, EACH = 300 };
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	int fds[CHILDREN];
	pid_t pids[CHILDREN];

	for (int c = 0; c < CHILDREN; c++) {
		int p[2];

		g_assert_cmpint(pipe(p), ==, 0);
		pids[c] = fork();
		g_assert_cmpint(pids[c], >=, 0);
		if (pids[c] == 0) {
			close(p[0]);
			for (int i = 0; i < EACH; i++) {
				g_autofree char *uid = mm_uid_new();
				g_autofree char *line = g_strconcat(uid, "\n", NULL);

				if (write(p[1], line, strlen(line)) != (ssize_t)strlen(line))
					_exit(1);
			}
			_exit(0);
		}
		close(p[1]);
		fds[c] = p[0];
	}
	for (int c = 0; c < CHILDREN; c++) {
		g_autoptr(GIOChannel) ch = g_io_channel_unix_new(fds[c]);
		g_autofree char *all = NULL;
		g_auto(GStrv) lines = NULL;
		int status;

		g_io_channel_set_close_on_unref(ch, TRUE);
		g_assert_cmpint(g_io_channel_read_to_end(ch, &all, NULL, NULL), ==, G_IO_STATUS_NORMAL);
		g_assert_cmpint(waitpid(pids[c], &status, 0), ==, pids[c]);
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		lines = g_strsplit(all, "\n", -1);
		g_assert_cmpuint(g_strv_length(lines), ==, EACH + 1);
		for (int i = 0; i < EACH; i++) {
			g_assert_false(g_hash_table_contains(seen, lines[i]));
			g_hash_table_add(seen, g_strdup(lines[i]));
		}
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, CHILDREN * EACH);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */

typedef MmMessage *(*MessageMaker)(void);

static MmMessage *
make_every_key(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-00");

	msg->received_host = g_strdup("client.example.net");
	g_free(msg->protocol);
	msg->protocol = g_strdup("ESMTP");
	msg->warned_time = 1700003600;
	return msg;
}

static MmMessage *
make_pipes_and_states(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-01");

	add_rcpt(msg, "<done@example.net>", MM_RCPT_DELIVERED);
	add_rcpt(msg, "<bounced@example.net>", MM_RCPT_FAILED);
	add_rcpt(msg, "|/usr/bin/procmail -d bob", MM_RCPT_PENDING);
	add_rcpt(msg, "|/bin/cat >/dev/null", MM_RCPT_DELIVERED);
	return msg;
}

static MmMessage *
make_unknown_keys(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-02");

	g_ptr_array_add(msg->extra, g_strdup("XY:something new"));
	g_ptr_array_add(msg->extra, g_strdup("Future-Key: with: colons"));
	return msg;
}

static MmMessage *
make_continuations(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-03");

	add_header(msg, "Received: from client.example.net\n\tby mail.example.org with ESMTP\n"
	                "\tid 1r31eq-1Dz-03; Tue, 14 Nov 2023 22:13:20 +0000\n");
	add_header(msg, "To: a@example.net,\n  b@example.net,\n \n\tc@example.net\n");
	add_header(msg, "X-Empty:\n");
	return msg;
}

static MmMessage *
make_8bit_long_lines(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-04");
	GString *body = g_string_new("Gr\xc3\xbc\xc3\x9f" "e \xe4\xf6\xfc latin-1\n");

	for (int i = 0; i < 3 * MM_SPOOL_LINE_MAX; i++)
		g_string_append_c(body, "abcdefghij"[i % 10]);
	g_string_append(body, "\n\xff\xfe\x01\x7f binary-ish\nno final newline");
	g_bytes_unref(msg->body);
	msg->data_size = (gint64)body->len;
	msg->body = g_string_free_to_bytes(body);
	return msg;
}

static MmMessage *
make_bounce(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-05");

	mm_address_free(msg->return_path);
	msg->return_path = addr("<>");
	g_clear_pointer(&msg->ident, g_free);
	msg->data_size = -1;
	msg->received_time = 0;
	g_bytes_unref(msg->body);
	msg->body = g_bytes_new_static("", 0);
	return msg;
}

static MmMessage *
make_quoted_local_part(void)
{
	MmMessage *msg = simple_message("1r31eq-1Dz-06");

	add_rcpt(msg, "<\"john doe\"@example.net>", MM_RCPT_PENDING);
	add_rcpt(msg, "<postmaster@[192.0.2.1]>", MM_RCPT_PENDING);
	return msg;
}

static const struct {
	const char *label;
	MessageMaker make;
} roundtrip_cases[] = {
	{ "every-key", make_every_key },
	{ "pipes-and-states", make_pipes_and_states },
	{ "unknown-keys", make_unknown_keys },
	{ "continuation-lines", make_continuations },
	{ "8bit-and-long-lines", make_8bit_long_lines },
	{ "bounce-null-path", make_bounce },
	{ "quoted-and-literal", make_quoted_local_part },
};

static void
test_roundtrip(Fixture *f, gconstpointer data)
{
	MessageMaker make = data;
	g_autoptr(MmMessage) msg = make();
	g_autoptr(MmMessage) back = NULL;
	g_autoptr(MmMessage) head_only = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;
	g_autofree char *expected_names = NULL;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_no_error(error);

	names = input_names(f);
	expected_names = g_strdup_printf("%s-D %s-H", msg->uid, msg->uid);
	g_assert_cmpstr(names, ==, expected_names);

	back = mm_spool_read(f->dir, msg->uid, TRUE, &error);
	g_assert_no_error(error);
	assert_same_message(msg, back, TRUE);

	head_only = mm_spool_read(f->dir, msg->uid, FALSE, &error);
	g_assert_no_error(error);
	assert_same_message(msg, head_only, FALSE);

	/* what we read back writes out byte for byte the same */
	{
		g_autofree char *hname = g_strconcat(msg->uid, "-H", NULL);
		g_autofree char *before = get_file(f, hname);
		g_autofree char *after = NULL;

		g_assert_true(mm_spool_write_header(f->dir, back, &error));
		g_assert_no_error(error);
		after = get_file(f, hname);
		g_assert_cmpstr(before, ==, after);
	}
}

/* The exact bytes of both files, as 1.0 lays them out. */
static void
test_write_format(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = make_every_key();
	g_autoptr(GError) error = NULL;
	g_autofree char *h = NULL;
	g_autofree char *d = NULL;

	add_rcpt(msg, "<gone@example.net>", MM_RCPT_DELIVERED);
	add_rcpt(msg, "|/usr/bin/vacation", MM_RCPT_FAILED);
	g_ptr_array_add(msg->extra, g_strdup("XY:kept"));
	add_header(msg, "Received: from x\n\tby y\n");
	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_no_error(error);
	h = get_file(f, "1r31eq-1Dz-00-H");
	d = get_file(f, "1r31eq-1Dz-00-D");
	g_assert_cmpstr(h, ==,
	                "1r31eq-1Dz-00\n"
	                "MF:<alice@example.org>\n"
	                "RT: <bob@example.net>\n"
	                "RT:X<gone@example.net>\n"
	                "RT:F|/usr/bin/vacation\n"
	                "PR:ESMTP\n"
	                "RH:client.example.net\n"
	                "ID:alice\n"
	                "DS: 4\n"
	                "TR: 1700000000\n"
	                "TW: 1700003600\n"
	                "XY:kept\n"
	                "\n"
	                "HD:Subject: hello\n"
	                "HD:Received: from x\n"
	                "\tby y\n");
	g_assert_cmpstr(d, ==, "1r31eq-1Dz-00\nHi.\n");
}

/* 1.0's files may have CRLF line ends (edited by hand, copied over),
 * addresses without brackets and keys in lower case. */
static void
test_read_tolerant(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	const MmRecipient *r;
	g_autofree char *rp = NULL;
	g_autofree char *path = NULL;

	put_file(f, "1r31eq-1Dz-00-H",
	         "1r31eq-1Dz-00\r\n"
	         "MF:alice@example.org\r\n"
	         "RT: bob@example.net\r\n"
	         "rt:X <carol@example.net> \r\n"
	         "PR:local\r\n"
	         "DS: 9\r\n"
	         "TR: 1700000000\r\n"
	         "\r\n"
	         "HD:Subject: hi\r\n"
	         "HD:To: bob@example.net,\r\n"
	         "\tcarol@example.net\r\n",
	         -1);
	put_file(f, "1r31eq-1Dz-00-D", "1r31eq-1Dz-00\r\nline 1\r\nline\r2\r\n", -1);

	msg = mm_spool_read(f->dir, "1r31eq-1Dz-00", TRUE, &error);
	g_assert_no_error(error);
	rp = mm_address_to_path(msg->return_path);
	g_assert_cmpstr(rp, ==, "<alice@example.org>");
	g_assert_cmpuint(msg->rcpts->len, ==, 2);
	r = g_ptr_array_index(msg->rcpts, 1);
	g_assert_cmpint(r->state, ==, MM_RCPT_DELIVERED);
	path = mm_address_to_path(r->address);
	g_assert_cmpstr(path, ==, "<carol@example.net>");
	g_assert_cmpint(msg->data_size, ==, 9);
	g_assert_cmpuint(msg->headers->len, ==, 2);
	g_assert_cmpstr(((MmHeader *)g_ptr_array_index(msg->headers, 1))->text, ==,
	                "To: bob@example.net,\n\tcarol@example.net\n");
	g_assert_cmpmem(g_bytes_get_data(msg->body, NULL), g_bytes_get_size(msg->body),
	                "line 1\nline\r2\n", 14);
}

/* The hand-made spool of masqmail 1.0 in tests/fixtures/spool-1.0. */
static void
test_read_fixture(void)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");
	g_autofree char *spool = NULL;
	g_autoptr(GPtrArray) uids = NULL;
	g_autoptr(GPtrArray) orphans = NULL;
	g_autoptr(GError) error = NULL;

	if (top == NULL) {
		g_test_skip("MM_TOP_SRCDIR not set (run through make check)");
		return;
	}
	spool = g_build_filename(top, "tests", "fixtures", "spool-1.0", NULL);
	uids = mm_spool_list_uids(spool, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(uids->len, ==, 4);
	orphans = mm_spool_list_orphans(spool, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(orphans->len, ==, 0);
	for (guint i = 0; i < uids->len; i++) {
		g_autoptr(MmMessage) msg = mm_spool_read(spool, g_ptr_array_index(uids, i), TRUE, &error);

		g_assert_no_error(error);
		g_assert_nonnull(msg->body);
		/* 1.0 wrote DS: as the size of the body it spooled */
		g_assert_cmpint(msg->data_size, ==, (gint64)g_bytes_get_size(msg->body));
		g_assert_cmpuint(msg->rcpts->len, >, 0);
		g_assert_cmpuint(msg->headers->len, >, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Damaged entries                                                     */

#define GOOD_H                                                                                  \
	"1r31eq-1Dz-00\nMF:<a@example.org>\nRT: <b@example.net>\nPR:local\nDS: 3\nTR: 1700000000\n\n" \
	"HD:Subject: x\n"
#define GOOD_D "1r31eq-1Dz-00\nhi\n"

static char *
many_recipients(void)
{
	GString *s = g_string_new("1r31eq-1Dz-00\nMF:<a@example.org>\n");

	for (int i = 0; i <= MM_SPOOL_RECIPIENTS_MAX; i++)
		g_string_append_printf(s, "RT: <r%d@example.net>\n", i);
	g_string_append(s, "\nHD:Subject: x\n");
	return g_string_free(s, FALSE);
}

static char *
overlong_line(void)
{
	GString *s = g_string_new("1r31eq-1Dz-00\nMF:<a@example.org>\nRT: <b@example.net>\nXX:");

	for (int i = 0; i < MM_SPOOL_LINE_MAX; i++)
		g_string_append_c(s, 'x');
	g_string_append(s, "\n\nHD:Subject: x\n");
	return g_string_free(s, FALSE);
}

typedef struct {
	const char *label;
	const char *h;      /* NULL: no -H file */
	gssize h_len;       /* -1: strlen */
	char *(*make_h)(void);
	const char *d;      /* NULL: no -D file */
	const char *reason; /* part of the error message */
} DamagedCase;

static const DamagedCase damaged_cases[] = {
	{ "missing-D", GOOD_H, -1, NULL, NULL, "missing" },
	{ "missing-MF", "1r31eq-1Dz-00\nRT: <b@example.net>\n\nHD:Subject: x\n", -1, NULL, GOOD_D, "no MF:" },
	{ "garbage", "\x89PNG\r\n\x1a\nsomething else entirely\n", -1, NULL, GOOD_D, "first line" },
	{ "garbage-envelope", "1r31eq-1Dz-00\nMF:<a@example.org>\nthis is not a key\n\n", -1, NULL, GOOD_D,
	  "not an envelope line" },
	{ "nul-byte", "1r31eq-1Dz-00\nMF:<a@exa\0mple.org>\n\n", 35, NULL, GOOD_D, "NUL" },
	{ "overlong-line", NULL, -1, overlong_line, GOOD_D, "longer than" },
	{ "truncated-mid-line", "1r31eq-1Dz-00\nMF:<a@example.org>\nRT: <b@exa", -1, NULL, GOOD_D,
	  "truncated" },
	{ "truncated-envelope", "1r31eq-1Dz-00\nMF:<a@example.org>\nRT: <b@example.net>\n", -1, NULL,
	  GOOD_D, "truncated" },
	{ "truncated-header", GOOD_H "HD:To: b@exam", -1, NULL, GOOD_D, "truncated" },
	{ "empty-H", "", -1, NULL, GOOD_D, "empty" },
	{ "wrong-uid", "1r31eq-1Dz-99\nMF:<a@example.org>\n\n", -1, NULL, GOOD_D, "first line" },
	{ "bad-state", "1r31eq-1Dz-00\nMF:<a@example.org>\nRT:Q<b@example.net>\n\n", -1, NULL, GOOD_D,
	  "state" },
	{ "bad-address", "1r31eq-1Dz-00\nMF:<a@example.org>\nRT: <b@@example.net>\n\n", -1, NULL, GOOD_D,
	  "bad address" },
	{ "unqualified-address", "1r31eq-1Dz-00\nMF:<a@example.org>\nRT: <bob>\n\n", -1, NULL, GOOD_D,
	  "bad address" },
	{ "empty-recipient", "1r31eq-1Dz-00\nMF:<a@example.org>\nRT:\n\n", -1, NULL, GOOD_D, "state" },
	{ "bad-number", "1r31eq-1Dz-00\nMF:<a@example.org>\nDS: 12k\n\n", -1, NULL, GOOD_D, "number" },
	{ "negative-number", "1r31eq-1Dz-00\nMF:<a@example.org>\nTR: -5\n\n", -1, NULL, GOOD_D, "number" },
	{ "twice-MF", "1r31eq-1Dz-00\nMF:<a@example.org>\nMF:<c@example.org>\n\n", -1, NULL, GOOD_D,
	  "twice" },
	{ "too-many-recipients", NULL, -1, many_recipients, GOOD_D, "recipients" },
	{ "not-a-header-line", GOOD_H "garbage here\n", -1, NULL, GOOD_D, "not a header line" },
	{ "continuation-first", "1r31eq-1Dz-00\nMF:<a@example.org>\n\n\tcontinued\n", -1, NULL, GOOD_D,
	  "not a header line" },
	{ "bad-header", "1r31eq-1Dz-00\nMF:<a@example.org>\n\nHD:no colon here\n", -1, NULL, GOOD_D,
	  "bad header" },
	{ "D-wrong-uid", GOOD_H, -1, NULL, "1r31eq-1Dz-01\nhi\n", "first line" },
	{ "D-empty", GOOD_H, -1, NULL, "", "empty" },
	{ "D-truncated-uid", GOOD_H, -1, NULL, "1r31eq-1D", "truncated" },
};

static void
test_damaged(Fixture *f, gconstpointer data)
{
	const DamagedCase *c = data;
	g_autoptr(MmMessage) good = simple_message("1r31eq-1Dz-01");
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(GPtrArray) uids = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *made = c->make_h ? c->make_h() : NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;
	const char *h = made ? made : c->h;

	/* a good message next to the damaged one must stay readable */
	g_assert_true(mm_spool_write(f->dir, good, &error));
	g_assert_no_error(error);
	if (h != NULL)
		put_file(f, "1r31eq-1Dz-00-H", h, c->h_len);
	if (c->d != NULL)
		put_file(f, "1r31eq-1Dz-00-D", c->d, -1);
	before = input_names(f);

	for (int with_body = 0; with_body < 2; with_body++) {
		msg = mm_spool_read(f->dir, "1r31eq-1Dz-00", with_body, &error);
		g_assert_null(msg);
		g_assert_error(error, MM_ERROR, MM_ERROR_CORRUPT);
		g_test_message("error: %.200s", error->message);
		g_assert_nonnull(strstr(error->message, c->reason));
		g_clear_error(&error);
	}

	/* listed as committed (it has an -H) but never removed by reading */
	uids = mm_spool_list_uids(f->dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(uids->len, ==, 2);
	msg = mm_spool_read(f->dir, "1r31eq-1Dz-01", TRUE, &error);
	g_assert_no_error(error);
	assert_same_message(good, msg, TRUE);
	after = input_names(f);
	g_assert_cmpstr(before, ==, after);
}

/* A -D without -H is what a crash leaves; listed as an orphan unless
 * somebody holds its lock (a message being written). */
static void
test_orphan(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) orphans = NULL;
	g_autoptr(GPtrArray) uids = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) msg = NULL;

	put_file(f, "1r31eq-1Dz-00-D", GOOD_D, -1);
	uids = mm_spool_list_uids(f->dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(uids->len, ==, 0);
	orphans = mm_spool_list_orphans(f->dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(orphans->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(orphans, 0), ==, "1r31eq-1Dz-00");
	g_clear_pointer(&orphans, g_ptr_array_unref);

	msg = mm_spool_read(f->dir, "1r31eq-1Dz-00", FALSE, &error);
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_clear_error(&error);
	{
		g_autoptr(MmSpoolLock) lock = mm_spool_lock(f->dir, "1r31eq-1Dz-00", &error);

		g_assert_no_error(error);
		orphans = mm_spool_list_orphans(f->dir, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(orphans->len, ==, 0);
	}
	g_assert_true(has_file(f, "1r31eq-1Dz-00-D"));
}

/* Names that are not spool entries are not listed. */
static void
test_list_order(Fixture *f, gconstpointer data)
{
	static const char *const uids_in[] = { "1r3P4S-5z0-00", "1r31eq-1Dz-01", "1r32au-0D9-00",
		                               "1r31eq-1Dz-00" };
	g_autoptr(GPtrArray) uids = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *joined = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(uids_in); i++) {
		g_autoptr(MmMessage) msg = simple_message(uids_in[i]);

		g_assert_true(mm_spool_write(f->dir, msg, &error));
		g_assert_no_error(error);
	}
	put_file(f, "1r31eq-1Dz-02-H.tmp", "x", -1);
	put_file(f, "4711-H.tmp", "x", -1);
	put_file(f, "..-H", "x", -1);
	put_file(f, "README", "x", -1);
	put_file(f, "-H", "x", -1);

	uids = mm_spool_list_uids(f->dir, &error);
	g_assert_no_error(error);
	g_ptr_array_add(uids, NULL);
	joined = g_strjoinv(" ", (char **)uids->pdata);
	g_assert_cmpstr(joined, ==, "1r31eq-1Dz-00 1r31eq-1Dz-01 1r32au-0D9-00 1r3P4S-5z0-00");
}

static void
test_list_no_input_dir(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-spool-XXXXXX", &error);
	g_autoptr(GPtrArray) uids = NULL;

	g_assert_no_error(error);
	uids = mm_spool_list_uids(dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(uids->len, ==, 0);
	g_rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Writing: refusals, rewrites, removal                                */

static void
no_newline_in_host(MmMessage *msg)
{
	msg->received_host = g_strdup("evil\nRT: |/bin/sh");
}

static void
no_newline_in_ident(MmMessage *msg)
{
	g_free(msg->ident);
	msg->ident = g_strdup("x\rRT: <victim@example.org>");
}

static void
no_bad_extra(MmMessage *msg)
{
	g_ptr_array_add(msg->extra, g_strdup("RT: <sneaky@example.org>"));
}

static void
no_extra_without_key(MmMessage *msg)
{
	g_ptr_array_add(msg->extra, g_strdup("no key here"));
}

static void
no_bad_header(MmMessage *msg)
{
	MmHeader *hdr = mm_header_new("Subject", "x");

	g_free(hdr->text);
	hdr->text = g_strdup("Subject: x\nRT: <sneaky@example.org>\n");
	g_ptr_array_add(msg->headers, hdr);
}

static void
no_unknown_state(MmMessage *msg)
{
	((MmRecipient *)g_ptr_array_index(msg->rcpts, 0))->state = (MmRcptState)'?';
}

static void
no_bad_uid(MmMessage *msg)
{
	g_free(msg->uid);
	msg->uid = g_strdup("../../etc/x");
}

static void
no_overlong_host(MmMessage *msg)
{
	msg->received_host = g_strnfill(MM_SPOOL_LINE_MAX, 'h');
}

static const struct {
	const char *label;
	void (*spoil)(MmMessage *msg);
} refused_cases[] = {
	{ "newline-in-host", no_newline_in_host },
	{ "cr-in-ident", no_newline_in_ident },
	{ "extra-with-known-key", no_bad_extra },
	{ "extra-without-key", no_extra_without_key },
	{ "header-not-continued", no_bad_header },
	{ "unknown-state", no_unknown_state },
	{ "bad-uid", no_bad_uid },
	{ "overlong-host", no_overlong_host },
};

static void
test_write_refused(Fixture *f, gconstpointer data)
{
	void (*spoil)(MmMessage *) = data;
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;

	spoil(msg);
	g_assert_false(mm_spool_write(f->dir, msg, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "");
}

static void
test_write_existing(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(MmMessage) other = simple_message("1r31eq-1Dz-00");
	g_autoptr(MmMessage) back = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_bytes_unref(other->body);
	other->body = g_bytes_new_static("other\n", 6);
	g_assert_false(mm_spool_write(f->dir, other, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_clear_error(&error);
	back = mm_spool_read(f->dir, msg->uid, TRUE, &error);
	g_assert_no_error(error);
	assert_same_message(msg, back, TRUE);

	/* a stray -H of a damaged entry blocks its id as well */
	g_free(other->uid);
	other->uid = g_strdup("1r31eq-1Dz-07");
	put_file(f, "1r31eq-1Dz-07-H", "junk", -1);
	g_assert_false(mm_spool_write(f->dir, other, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_false(has_file(f, "1r31eq-1Dz-07-D"));
}

/* The spool directory exists, its input/ not yet. */
static void
test_write_makes_input(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-spool-XXXXXX", &error);
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	Fixture f = { .dir = dir, .input = g_build_filename(dir, "input", NULL) };

	g_assert_true(mm_spool_write(dir, msg, &error));
	g_assert_no_error(error);
	g_assert_true(has_file(&f, "1r31eq-1Dz-00-H"));
	fixture_teardown(&f, NULL);
	dir = NULL;
}

static void
test_write_header(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = make_pipes_and_states();
	g_autoptr(MmMessage) back = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	((MmRecipient *)g_ptr_array_index(msg->rcpts, 0))->state = MM_RCPT_DELIVERED;
	((MmRecipient *)g_ptr_array_index(msg->rcpts, 3))->state = MM_RCPT_FAILED;
	msg->warned_time = 1700100000;
	g_assert_true(mm_spool_write_header(f->dir, msg, &error));
	g_assert_no_error(error);
	back = mm_spool_read(f->dir, msg->uid, TRUE, &error);
	g_assert_no_error(error);
	assert_same_message(msg, back, TRUE);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "1r31eq-1Dz-01-D 1r31eq-1Dz-01-H");

	/* no data, no header: a removed message is not brought back */
	g_assert_true(mm_spool_remove(f->dir, msg->uid, &error));
	g_assert_false(mm_spool_write_header(f->dir, msg, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_clear_pointer(&names, g_free);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "");
}

static void
test_remove(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_true(mm_spool_remove(f->dir, msg->uid, &error));
	g_assert_no_error(error);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "");
	g_assert_false(mm_spool_remove(f->dir, msg->uid, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(mm_spool_remove(f->dir, "../input", &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
}

/* Removal does not sync the directory, so a crash may bring back
 * either file. What comes back alone is never worked on: an -H whose
 * -D is gone cannot be locked (the lock is on the -D) nor read, and an
 * -D alone is an orphan. */
static void
test_remove_undone(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(GPtrArray) orphans = NULL;

	put_file(f, "1r31eq-1Dz-00-H", GOOD_H, -1);
	lock = mm_spool_lock(f->dir, "1r31eq-1Dz-00", &error);
	g_assert_null(lock);
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_clear_error(&error);
	msg = mm_spool_read(f->dir, "1r31eq-1Dz-00", TRUE, &error);
	g_assert_null(msg);
	g_assert_error(error, MM_ERROR, MM_ERROR_CORRUPT);
	g_clear_error(&error);
	/* and removing it again takes what is left */
	g_assert_true(mm_spool_remove(f->dir, "1r31eq-1Dz-00", &error));
	g_assert_no_error(error);
	g_assert_false(has_file(f, "1r31eq-1Dz-00-H"));

	put_file(f, "1r31eq-1Dz-01-D", GOOD_D, -1);
	orphans = mm_spool_list_orphans(f->dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(orphans->len, ==, 1);
}

/* A failing write (here: the file size limit, EFBIG) leaves nothing
 * behind and is a temporary failure. Run in a child: the limit is
 * process-wide. */
static void
test_write_fails(Fixture *f, gconstpointer data)
{
	pid_t pid = fork();
	int status;
	g_autofree char *names = NULL;

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		g_autoptr(MmMessage) msg = make_8bit_long_lines();
		g_autoptr(GError) error = NULL;
		struct rlimit rl = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		if (mm_spool_write(f->dir, msg, &error))
			_exit(1);
		_exit(g_error_matches(error, MM_ERROR, MM_ERROR_TEMPORARY) ? 0 : 2);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "");
}

/* A batch: each message fails or succeeds on its own. The second can
 * not be written (a line break in a value), the third's id is taken by
 * a stray -H; the first and the fourth are committed, and the last
 * hands back its lock. */
static void
test_write_batch(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) m1 = simple_message("1r31eq-1Dz-10");
	g_autoptr(MmMessage) m2 = simple_message("1r31eq-1Dz-11");
	g_autoptr(MmMessage) m3 = simple_message("1r31eq-1Dz-12");
	g_autoptr(MmMessage) m4 = simple_message("1r31eq-1Dz-13");
	MmSpoolBatchItem items[] = {
		{ .msg = m1 }, { .msg = m2 }, { .msg = m3 }, { .msg = m4, .want_lock = TRUE },
	};
	g_autofree char *names = NULL;
	g_autofree char *stray = NULL;

	g_free(m2->received_host);
	m2->received_host = g_strdup("evil\nRT: <x@y.z>");
	put_file(f, "1r31eq-1Dz-12-H", "junk", -1);

	g_assert_cmpuint(mm_spool_write_batch(f->dir, items, G_N_ELEMENTS(items)), ==, 2);
	g_assert_no_error(items[0].error);
	g_assert_null(items[0].lock);
	g_assert_error(items[1].error, MM_ERROR, MM_ERROR_PARSE);
	g_assert_error(items[2].error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_no_error(items[3].error);
	g_assert_nonnull(items[3].lock);
	g_assert_cmpstr(mm_spool_lock_uid(items[3].lock), ==, m4->uid);
	g_assert_true(mm_spool_is_locked(f->dir, m4->uid));
	g_assert_false(mm_spool_is_locked(f->dir, m1->uid));

	names = input_names(f);
	g_assert_cmpstr(names, ==, "1r31eq-1Dz-10-D 1r31eq-1Dz-10-H 1r31eq-1Dz-12-H 1r31eq-1Dz-13-D 1r31eq-1Dz-13-H");
	for (guint i = 0; i < G_N_ELEMENTS(items); i += 3) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmMessage) back = mm_spool_read(f->dir, items[i].msg->uid, TRUE, &error);

		g_assert_no_error(error);
		assert_same_message(items[i].msg, back, TRUE);
	}
	/* the stray envelope is not touched */
	stray = g_build_filename(f->input, "1r31eq-1Dz-12-H", NULL);
	{
		g_autofree char *text = NULL;

		g_assert_true(g_file_get_contents(stray, &text, NULL, NULL));
		g_assert_cmpstr(text, ==, "junk");
	}
	for (guint i = 0; i < G_N_ELEMENTS(items); i++) {
		mm_spool_unlock(items[i].lock);
		g_clear_error(&items[i].error);
	}
}

/* A write that fails in the middle of a batch (the file size limit
 * stops the long message's -D) fails that message alone; the ones
 * before and after it are committed. */
static void
test_write_batch_fails_one(Fixture *f, gconstpointer data)
{
	pid_t pid = fork();
	int status;
	g_autofree char *names = NULL;

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		g_autoptr(MmMessage) small1 = simple_message("1r31eq-1Dz-20");
		g_autoptr(MmMessage) big = make_8bit_long_lines();
		g_autoptr(MmMessage) small2 = simple_message("1r31eq-1Dz-21");
		MmSpoolBatchItem items[] = { { .msg = small1 }, { .msg = big }, { .msg = small2 } };
		struct rlimit rl = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };
		guint n;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		n = mm_spool_write_batch(f->dir, items, G_N_ELEMENTS(items));
		if (n != 2 || items[0].error || items[2].error)
			_exit(1);
		_exit(g_error_matches(items[1].error, MM_ERROR, MM_ERROR_TEMPORARY) ? 0 : 2);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "1r31eq-1Dz-20-D 1r31eq-1Dz-20-H 1r31eq-1Dz-21-D 1r31eq-1Dz-21-H");
}

/* When input/ cannot be used, every message of the batch fails
 * temporarily. */
static void
test_write_batch_no_input(void)
{
	g_autofree char *dir = mm_test_make_dir("test-spool");
	g_autofree char *input = g_build_filename(dir, "input", NULL);
	g_autoptr(MmMessage) m1 = simple_message("1r31eq-1Dz-30");
	g_autoptr(MmMessage) m2 = simple_message("1r31eq-1Dz-31");
	MmSpoolBatchItem items[] = { { .msg = m1 }, { .msg = m2, .want_lock = TRUE } };

	g_assert_true(g_file_set_contents(input, "not a directory", -1, NULL));
	g_assert_cmpuint(mm_spool_write_batch(dir, items, G_N_ELEMENTS(items)), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(items); i++) {
		g_assert_error(items[i].error, MM_ERROR, MM_ERROR_TEMPORARY);
		g_assert_null(items[i].lock);
		g_clear_error(&items[i].error);
	}
	mm_test_remove_tree(dir);
}

/* ------------------------------------------------------------------ */
/* Locks                                                               */

static void
test_lock_in_process(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	MmSpoolLock *a, *b;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_false(mm_spool_is_locked(f->dir, msg->uid));
	a = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(mm_spool_lock_uid(a), ==, msg->uid);
	g_assert_true(mm_spool_is_locked(f->dir, msg->uid));
	b = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_null(b);
	g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
	g_clear_error(&error);

	/* rewriting the -H does not drop the lock */
	g_assert_true(mm_spool_write_header(f->dir, msg, &error));
	g_assert_true(mm_spool_is_locked(f->dir, msg->uid));

	mm_spool_unlock(a);
	g_assert_false(mm_spool_is_locked(f->dir, msg->uid));
	b = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_no_error(error);
	mm_spool_unlock(b);

	a = mm_spool_lock(f->dir, "1r31eq-1Dz-99", &error);
	g_assert_null(a);
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
}

static void
test_lock_processes(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	int up[2], down[2];
	char c;
	pid_t pid;
	int status;
	MmSpoolLock *lock;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_cmpint(pipe(up), ==, 0);
	g_assert_cmpint(pipe(down), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		MmSpoolLock *held = mm_spool_lock(f->dir, msg->uid, NULL);

		c = held ? 'L' : 'E';
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		/* hold it until told; then die with it held */
		if (read(down[0], &c, 1) != 1)
			_exit(1);
		_exit(held ? 0 : 1);
	}
	g_assert_cmpint(read(up[0], &c, 1), ==, 1);
	g_assert_cmpint(c, ==, 'L');

	lock = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_null(lock);
	g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
	g_clear_error(&error);
	g_assert_true(mm_spool_is_locked(f->dir, msg->uid));

	c = 'x';
	g_assert_cmpint(write(down[1], &c, 1), ==, 1);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* the lock died with its holder */
	lock = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_no_error(error);
	mm_spool_unlock(lock);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* A message written with its lock is never free for anybody else. */
static void
test_write_locked(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	MmSpoolLock *lock = NULL, *other;

	g_assert_true(mm_spool_write_locked(f->dir, msg, &lock, &error));
	g_assert_no_error(error);
	g_assert_nonnull(lock);
	other = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_null(other);
	g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
	g_clear_error(&error);
	/* the holder may remove it */
	g_assert_true(mm_spool_remove(f->dir, msg->uid, &error));
	mm_spool_unlock(lock);
	g_assert_false(has_file(f, "1r31eq-1Dz-00-D"));
}

/* ------------------------------------------------------------------ */
/* Leftovers of interrupted writes and removals                        */

/* mtime of input/@name, set to @when */
static void
set_mtime(const Fixture *f, const char *name, gint64 when)
{
	g_autofree char *path = g_build_filename(f->input, name, NULL);
	struct timespec times[2] = { { .tv_sec = when }, { .tv_sec = when } };

	g_assert_cmpint(utimensat(AT_FDCWD, path, times, 0), ==, 0);
}

typedef struct {
	const char *label;
	const char *files;    /* of uid 1r31eq-1Dz-00: D, d (empty D), H, T (-H.tmp) */
	gint64 age;           /* of every file, seconds before NOW; negative: in the future */
	guint removed;        /* MmSpoolLeftover bits expected */
	const char *left;     /* input_names() afterwards */
} LeftoverCase;

static const LeftoverCase leftover_cases[] = {
	{ "data-without-envelope", "D", 0, MM_SPOOL_LEFTOVER_DATA, "" },
	{ "data-and-temp", "DT", 0, MM_SPOOL_LEFTOVER_DATA | MM_SPOOL_LEFTOVER_TEMP, "" },
	{ "temp-of-a-committed-message", "DHT", 0, MM_SPOOL_LEFTOVER_TEMP,
	  "1r31eq-1Dz-00-D 1r31eq-1Dz-00-H" },
	{ "committed-message", "DH", 100000, 0, "1r31eq-1Dz-00-D 1r31eq-1Dz-00-H" },
	{ "temp-alone", "T", 0, MM_SPOOL_LEFTOVER_TEMP, "" },
	{ "envelope-without-data-stays", "HT", 0, MM_SPOOL_LEFTOVER_TEMP, "1r31eq-1Dz-00-H" },
	{ "empty-data-young", "d", 10, 0, "1r31eq-1Dz-00-D" },
	{ "empty-data-old", "d", 3600, MM_SPOOL_LEFTOVER_DATA, "" },
	{ "empty-data-from-the-future", "d", -100000, 0, "1r31eq-1Dz-00-D" },
	{ "data-from-the-future", "D", -100000, MM_SPOOL_LEFTOVER_DATA, "" },
	{ "nothing", "", 0, 0, "" },
};

#define LEFTOVER_NOW G_GINT64_CONSTANT(1700100000)

static void
test_leftover(Fixture *f, gconstpointer data)
{
	const LeftoverCase *c = data;
	static const char uid[] = "1r31eq-1Dz-00";
	g_autoptr(GError) error = NULL;
	g_autofree char *left = NULL;
	guint removed = 99;

	for (const char *p = c->files; *p; p++) {
		const char *name = *p == 'H' ? "1r31eq-1Dz-00-H" : *p == 'T' ? "1r31eq-1Dz-00-H.tmp"
		                                                              : "1r31eq-1Dz-00-D";

		put_file(f, name, *p == 'd' ? "" : *p == 'H' ? GOOD_H : GOOD_D, -1);
		set_mtime(f, name, LEFTOVER_NOW - c->age);
	}
	g_assert_true(mm_spool_remove_orphan(f->dir, uid, 3600, LEFTOVER_NOW, &removed, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(removed, ==, c->removed);
	left = input_names(f);
	g_assert_cmpstr(left, ==, c->left);
}

/* Nothing is removed while somebody holds the message: a writer, or a
 * runner in the middle of its removal. */
static void
test_leftover_locked(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autofree char *left = NULL;
	guint removed = 99;

	put_file(f, "1r31eq-1Dz-00-D", GOOD_D, -1);
	put_file(f, "1r31eq-1Dz-00-H.tmp", GOOD_H, -1);
	lock = mm_spool_lock(f->dir, "1r31eq-1Dz-00", &error);
	g_assert_no_error(error);
	g_assert_false(mm_spool_remove_orphan(f->dir, "1r31eq-1Dz-00", 0, LEFTOVER_NOW, &removed, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
	g_clear_error(&error);
	g_assert_cmpuint(removed, ==, 0);
	left = input_names(f);
	g_assert_cmpstr(left, ==, "1r31eq-1Dz-00-D 1r31eq-1Dz-00-H.tmp");

	/* a message written with its lock is no leftover either */
	{
		g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-01");
		g_autoptr(MmSpoolLock) writing = NULL;

		g_assert_true(mm_spool_write_locked(f->dir, msg, &writing, &error));
		g_assert_no_error(error);
		g_assert_false(mm_spool_remove_orphan(f->dir, msg->uid, 0, LEFTOVER_NOW, &removed, &error));
		g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
		g_clear_error(&error);
	}
	g_assert_true(has_file(f, "1r31eq-1Dz-01-D"));
	g_assert_true(has_file(f, "1r31eq-1Dz-01-H"));

	g_assert_false(mm_spool_remove_orphan(f->dir, "../input", 0, LEFTOVER_NOW, &removed, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
}

/* The candidates: a -D without -H and any -H.tmp, locked or not;
 * committed messages and names that are not ids are not. */
static void
test_list_leftovers(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) ids = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) joined = g_string_new(NULL);

	put_file(f, "1r31eq-1Dz-00-D", GOOD_D, -1);
	put_file(f, "1r31eq-1Dz-00-H", GOOD_H, -1);
	put_file(f, "1r31eq-1Dz-01-D", GOOD_D, -1);
	put_file(f, "1r31eq-1Dz-02-D", GOOD_D, -1);
	put_file(f, "1r31eq-1Dz-02-H", GOOD_H, -1);
	put_file(f, "1r31eq-1Dz-02-H.tmp", GOOD_H, -1);
	put_file(f, "1r31eq-1Dz-03-H.tmp", GOOD_H, -1);
	put_file(f, "1r31eq-1Dz-04-H", GOOD_H, -1);
	put_file(f, "not.an.id-H.tmp", "", -1);
	put_file(f, "-D", "", -1);
	ids = mm_spool_list_leftovers(f->dir, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(joined, "%s ", (const char *)ids->pdata[i]);
	g_assert_cmpstr(joined->str, ==, "1r31eq-1Dz-01 1r31eq-1Dz-02 1r31eq-1Dz-03 ");
}

/* Removal with the ending signals held back leaves the caller's
 * signal mask as it was, and both files gone. That a SIGTERM between
 * the unlinks waits is not shown here (it was seen with strace); the
 * remover's equivalent is /spool/remover/signal. */
static void
test_remove_whole(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	sigset_t usr2, before, after;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, &before);
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_no_error(error);
	g_assert_true(mm_spool_remove_whole(f->dir, msg->uid, &error));
	g_assert_no_error(error);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	for (int sig = 1; sig < NSIG; sig++)
		g_assert_cmpint(sigismember(&after, sig), ==, sigismember(&before, sig));
	g_assert_false(sigismember(&after, SIGTERM));
	g_assert_true(sigismember(&after, SIGUSR2));
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
	g_assert_false(has_file(f, "1r31eq-1Dz-00-D"));
	g_assert_false(has_file(f, "1r31eq-1Dz-00-H"));
	g_assert_false(mm_spool_remove_whole(f->dir, msg->uid, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
}

/* ---- the remover (removal beside the caller's work) ---- */

#define REMOVER_MESSAGES 20

/* Another open file description on @uid's -D, which sees whether
 * somebody holds the lock and whether the file was unlinked. */
static int
open_data(const Fixture *f, const char *uid)
{
	g_autofree char *path = g_strdup_printf("%s/%s-D", f->input, uid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	return fd;
}

static gboolean
fd_lock_held(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	g_assert_cmpint(fcntl(fd, F_OFD_GETLK, &fl), ==, 0);
	return fl.l_type != F_UNLCK;
}

static char *
remover_uid(guint i)
{
	return g_strdup_printf("1r31eq-1Dz-%02u", i);
}

/* Each removal takes the -H away before it returns and the caller's
 * lock with it; after the drain the -D files are gone, their inodes
 * freed (no name left) and every lock released; the handler for the
 * ending signals is gone again. */
static void
test_remover_drain(Fixture *f, gconstpointer data)
{
	g_autoptr(MmSpoolRemover) rm = mm_spool_remover_new(f->dir);
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;
	int watch[REMOVER_MESSAGES];
	struct sigaction sa;
	struct stat st;

	for (guint i = 0; i < REMOVER_MESSAGES; i++) {
		g_autofree char *uid = remover_uid(i);
		g_autoptr(MmMessage) msg = simple_message(uid);
		MmSpoolLock *lock;

		g_assert_true(mm_spool_write(f->dir, msg, &error));
		g_assert_no_error(error);
		lock = mm_spool_lock(f->dir, uid, &error);
		g_assert_no_error(error);
		watch[i] = open_data(f, uid);
		g_assert_true(fd_lock_held(watch[i]));
		g_assert_true(mm_spool_remover_remove(rm, &lock, &error));
		g_assert_no_error(error);
		g_assert_null(lock);
		g_autofree char *h = g_strdup_printf("%s-H", uid);
		g_assert_false(has_file(f, h));
	}
	/* while it runs, a stop waits for the removals */
	g_assert_cmpint(sigaction(SIGTERM, NULL, &sa), ==, 0);
	g_assert_true(sa.sa_handler != SIG_DFL);

	g_assert_true(mm_spool_remover_drain(rm, &error));
	g_assert_no_error(error);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "");
	for (guint i = 0; i < REMOVER_MESSAGES; i++) {
		g_assert_false(fd_lock_held(watch[i]));
		g_assert_cmpint(fstat(watch[i], &st), ==, 0);
		g_assert_cmpuint(st.st_nlink, ==, 0);
		close(watch[i]);
	}
	g_assert_cmpint(sigaction(SIGTERM, NULL, &sa), ==, 0);
	g_assert_true(sa.sa_handler == SIG_DFL);

	/* and it starts again after a drain */
	{
		g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-99");
		MmSpoolLock *lock;

		g_assert_true(mm_spool_write(f->dir, msg, &error));
		lock = mm_spool_lock(f->dir, msg->uid, &error);
		g_assert_no_error(error);
		g_assert_true(mm_spool_remover_remove(rm, &lock, &error));
		g_assert_true(mm_spool_remover_drain(rm, &error));
		g_assert_no_error(error);
		g_free(names);
		names = input_names(f);
		g_assert_cmpstr(names, ==, "");
	}
}

/* When the -H cannot be unlinked the message stays in the queue and
 * nothing is handed over: the caller keeps the lock, the -D stays,
 * also after the drain. (An -H that is a directory: unlink() refuses
 * it even for root.) */
static void
test_remover_header_fails(Fixture *f, gconstpointer data)
{
	g_autoptr(MmSpoolRemover) rm = mm_spool_remover_new(f->dir);
	g_autoptr(MmMessage) msg = simple_message("1r31eq-1Dz-00");
	g_autoptr(GError) error = NULL;
	g_autofree char *h = g_build_filename(f->input, "1r31eq-1Dz-00-H", NULL);
	g_autofree char *inside = g_build_filename(h, "x", NULL);
	MmSpoolLock *lock;
	int watch;

	g_assert_true(mm_spool_write(f->dir, msg, &error));
	g_assert_no_error(error);
	lock = mm_spool_lock(f->dir, msg->uid, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_unlink(h), ==, 0);
	g_assert_cmpint(g_mkdir(h, 0700), ==, 0);
	g_assert_true(g_file_set_contents(inside, "x", 1, NULL));

	g_assert_false(mm_spool_remover_remove(rm, &lock, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(lock);
	g_assert_true(g_file_test(h, G_FILE_TEST_IS_DIR));
	g_assert_true(has_file(f, "1r31eq-1Dz-00-D"));
	g_assert_true(mm_spool_remover_drain(rm, NULL));
	g_assert_true(has_file(f, "1r31eq-1Dz-00-D"));
	watch = open_data(f, msg->uid);
	g_assert_true(fd_lock_held(watch));
	mm_spool_unlock(lock);
	g_assert_false(fd_lock_held(watch));
	close(watch);
}

/* A run stopped by SIGTERM while removals are pending ends by SIGTERM,
 * as before, but only once they are all done: no -D is left behind. */
static void
test_remover_signal(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;
	int status = 0;
	pid_t pid;

	for (guint i = 0; i < 10 * REMOVER_MESSAGES; i++) {
		g_autofree char *uid = remover_uid(i);
		g_autoptr(MmMessage) msg = simple_message(uid);

		g_assert_true(mm_spool_write(f->dir, msg, &error));
		g_assert_no_error(error);
	}
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		MmSpoolRemover *rm = mm_spool_remover_new(f->dir);

		for (guint i = 0; i < 10 * REMOVER_MESSAGES; i++) {
			g_autofree char *uid = remover_uid(i);
			MmSpoolLock *lock = mm_spool_lock(f->dir, uid, NULL);

			if (lock == NULL || !mm_spool_remover_remove(rm, &lock, NULL))
				_exit(2);
		}
		kill(getpid(), SIGTERM);
		_exit(3); /* not reached: the signal ends the process */
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGTERM);
	names = input_names(f);
	g_assert_cmpstr(names, ==, "");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/spool/uid/format", test_uid_format);
	g_test_add_func("/spool/uid/format-distinct", test_uid_format_distinct);
	g_test_add_func("/spool/uid/valid", test_uid_valid);
	g_test_add_func("/spool/uid/many-a-second", test_uid_many);
	g_test_add_func("/spool/uid/processes", test_uid_processes);

	for (gsize i = 0; i < G_N_ELEMENTS(roundtrip_cases); i++) {
		g_autofree char *path = g_strconcat("/spool/roundtrip/", roundtrip_cases[i].label, NULL);

		g_test_add(path, Fixture, (gconstpointer)roundtrip_cases[i].make, fixture_setup,
		           test_roundtrip, fixture_teardown);
	}
	g_test_add("/spool/write/format", Fixture, NULL, fixture_setup, test_write_format,
	           fixture_teardown);
	g_test_add("/spool/read/tolerant", Fixture, NULL, fixture_setup, test_read_tolerant,
	           fixture_teardown);
	g_test_add_func("/spool/read/fixture-1.0", test_read_fixture);

	for (gsize i = 0; i < G_N_ELEMENTS(damaged_cases); i++) {
		g_autofree char *path = g_strconcat("/spool/damaged/", damaged_cases[i].label, NULL);

		g_test_add(path, Fixture, &damaged_cases[i], fixture_setup, test_damaged, fixture_teardown);
	}
	g_test_add("/spool/damaged/orphan-D", Fixture, NULL, fixture_setup, test_orphan,
	           fixture_teardown);
	g_test_add("/spool/list/order", Fixture, NULL, fixture_setup, test_list_order,
	           fixture_teardown);
	g_test_add_func("/spool/list/no-input-dir", test_list_no_input_dir);

	for (gsize i = 0; i < G_N_ELEMENTS(refused_cases); i++) {
		g_autofree char *path = g_strconcat("/spool/write/refused/", refused_cases[i].label, NULL);

		g_test_add(path, Fixture, (gconstpointer)refused_cases[i].spoil, fixture_setup,
		           test_write_refused, fixture_teardown);
	}
	g_test_add("/spool/write/existing-id", Fixture, NULL, fixture_setup, test_write_existing,
	           fixture_teardown);
	g_test_add_func("/spool/write/makes-input-dir", test_write_makes_input);
	g_test_add("/spool/write/fails-temporarily", Fixture, NULL, fixture_setup, test_write_fails,
	           fixture_teardown);
	g_test_add("/spool/write/batch", Fixture, NULL, fixture_setup, test_write_batch,
	           fixture_teardown);
	g_test_add("/spool/write/batch-fails-one", Fixture, NULL, fixture_setup,
	           test_write_batch_fails_one, fixture_teardown);
	g_test_add_func("/spool/write/batch-no-input", test_write_batch_no_input);
	g_test_add("/spool/write-header/rewrite", Fixture, NULL, fixture_setup, test_write_header,
	           fixture_teardown);
	g_test_add("/spool/remove/basic", Fixture, NULL, fixture_setup, test_remove, fixture_teardown);
	g_test_add("/spool/remove/undone-by-a-crash", Fixture, NULL, fixture_setup, test_remove_undone,
	           fixture_teardown);
	g_test_add("/spool/lock/in-process", Fixture, NULL, fixture_setup, test_lock_in_process,
	           fixture_teardown);
	g_test_add("/spool/lock/processes", Fixture, NULL, fixture_setup, test_lock_processes,
	           fixture_teardown);
	g_test_add("/spool/lock/write-locked", Fixture, NULL, fixture_setup, test_write_locked,
	           fixture_teardown);
	for (gsize i = 0; i < G_N_ELEMENTS(leftover_cases); i++) {
		g_autofree char *path = g_strdup_printf("/spool/leftover/%s", leftover_cases[i].label);

		g_test_add(path, Fixture, &leftover_cases[i], fixture_setup, test_leftover, fixture_teardown);
	}
	g_test_add("/spool/leftover/locked", Fixture, NULL, fixture_setup, test_leftover_locked,
	           fixture_teardown);
	g_test_add("/spool/leftover/list", Fixture, NULL, fixture_setup, test_list_leftovers,
	           fixture_teardown);
	g_test_add("/spool/remover/drain", Fixture, NULL, fixture_setup, test_remover_drain,
	           fixture_teardown);
	g_test_add("/spool/remover/header-fails", Fixture, NULL, fixture_setup,
	           test_remover_header_fails, fixture_teardown);
	g_test_add("/spool/remover/signal", Fixture, NULL, fixture_setup, test_remover_signal,
	           fixture_teardown);
	g_test_add("/spool/remove/whole", Fixture, NULL, fixture_setup, test_remove_whole,
	           fixture_teardown);

	return g_test_run();
}
