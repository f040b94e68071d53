/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/mbox.c, dotlock.c and the mbox layout of render.c:
 * the exact bytes of a mailbox, the quoting, both locks against other
 * processes, stale locks, the refusals (symbolic link, hard link,
 * foreign owner, not a regular file), the cut back after a failed
 * write, and delivery as the recipient.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "deliver/dotlock.h"
#include "deliver/mbox.h"
#include "deliver/render.h"

#define OTHER_ID 65534
/* short lock waits keep the failing cases fast */
#define SHORT_WAIT_MS 300

typedef struct {
	char *dir;
	char *mbox;
	MmMessage *msg;
} Fixture;

static MmMessage *
make_message(const char *body)
{
	MmMessage *msg = mm_message_new();

	msg->uid = g_strdup("1aBcD2-00");
	msg->return_path = mm_address_new("sender", "example.net", NULL);
	g_ptr_array_add(msg->headers, mm_header_new("From", "Sender <sender@example.net>"));
	g_ptr_array_add(msg->headers, mm_header_new("Subject", "test"));
	msg->body = g_bytes_new(body, strlen(body));
	return msg;
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	GError *error = NULL;

	f->dir = g_dir_make_tmp("mm-mbox-XXXXXX", &error);
	g_assert_no_error(error);
	f->mbox = g_build_filename(f->dir, "bob", NULL);
	f->msg = make_message("Hello.\n");
	/* From lines are in local time */
	g_setenv("TZ", "UTC", TRUE);
	tzset();
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	g_free(f->mbox);
	mm_message_free(f->msg);
}

static char *
read_file(const char *path)
{
	char *text = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	g_assert_no_error(error);
	return text;
}

static void
write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

static void
test_from_line(void)
{
	static const struct {
		const char *label, *local, *domain;
		gint64 when;
		const char *expected;
	} cases[] = {
		{ "plain", "sender", "example.net", 1700000000,
		  "From sender@example.net Tue Nov 14 22:13:20 2023\n" },
		{ "single-digit-day", "a", "b.example", 1704164645,
		  "From a@b.example Tue Jan  2 03:04:05 2024\n" },
		{ "null-sender", "", "", 1, "From MAILER-DAEMON Thu Jan  1 00:00:01 1970\n" },
		{ "quoted-local-part", "a b\tc", "example.net", 86400,
		  "From \"a_b_c\"@example.net Fri Jan  2 00:00:00 1970\n" },
	};

	g_setenv("TZ", "UTC", TRUE);
	tzset();
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MmAddress) rp = mm_address_new(cases[i].local, cases[i].domain, NULL);
		g_autofree char *line = mm_render_from_line(rp, cases[i].when);

		g_test_message("%s", cases[i].label);
		g_assert_cmpstr(line, ==, cases[i].expected);
	}
}

static void
test_quoting(void)
{
	static const struct {
		const char *label, *body, *expected;
	} cases[] = {
		{ "first-line", "From me\n", ">From me\n" },
		{ "middle", "a\nFrom b\nc\n", "a\n>From b\nc\n" },
		{ "already-quoted-left-alone", ">From x\n", ">From x\n" },
		{ "no-space", "Fromage\nFrom\n", "Fromage\nFrom\n" },
		{ "not-at-line-start", "a From b\n", "a From b\n" },
		{ "lower-case", "from x\n", "from x\n" },
		{ "last-line-no-lf", "x\nFrom y", "x\n>From y" },
		{ "consecutive", "From a\nFrom b\n", ">From a\n>From b\n" },
		{ "empty-lines", "\n\nFrom \n", "\n\n>From \n" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MmMessage) msg = make_message(cases[i].body);
		MmRenderOptions opts = { .flags = MM_RENDER_FROM_HACK };
		g_autoptr(GBytes) out = NULL;
		g_autofree char *expected = NULL;

		g_test_message("%s", cases[i].label);
		g_ptr_array_set_size(msg->headers, 0);
		out = mm_render_to_bytes(msg, &opts);
		expected = g_strconcat("\n", cases[i].expected, NULL);
		g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), expected,
		                strlen(expected));
	}
}

/* The whole mailbox after two deliveries, byte for byte. */
static void
test_format_exact(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) second = make_message("From the start\n>From quoted\nno LF at the end");
	g_autoptr(MmAddress) env = mm_address_new("bob", "example.org", NULL);
	MmMboxOptions opts = { .envelope_to = env, .from_time = 1700000000 };
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	/* the message's own Return-path: is replaced by the real one */
	g_ptr_array_insert(second->headers, 0, mm_header_new("Return-path", "<forged@example.com>"));
	mm_address_free(second->return_path);
	second->return_path = mm_address_new("", "", NULL);

	g_assert_true(mm_mbox_deliver(f->mbox, f->msg, &opts, &error));
	g_assert_no_error(error);
	opts.envelope_to = NULL;
	g_assert_true(mm_mbox_deliver(f->mbox, second, &opts, &error));
	g_assert_no_error(error);

	text = read_file(f->mbox);
	g_assert_cmpstr(text, ==,
	                "From sender@example.net Tue Nov 14 22:13:20 2023\n"
	                "Return-path: <sender@example.net>\n"
	                "Envelope-to: <bob@example.org>\n"
	                "From: Sender <sender@example.net>\n"
	                "Subject: test\n"
	                "\n"
	                "Hello.\n"
	                "\n"
	                "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\n"
	                "Return-path: <>\n"
	                "From: Sender <sender@example.net>\n"
	                "Subject: test\n"
	                "\n"
	                ">From the start\n"
	                ">From quoted\n"
	                "no LF at the end\n"
	                "\n");
}

static void
test_create_mode(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct stat st;

	umask(0);
	g_assert_true(mm_mbox_deliver(f->mbox, f->msg, NULL, &error));
	umask(022);
	g_assert_no_error(error);
	g_assert_cmpint(lstat(f->mbox, &st), ==, 0);
	g_assert_true(S_ISREG(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_cmpuint(st.st_uid, ==, geteuid());
	/* the lock is gone again */
	g_autofree char *lock = g_strconcat(f->mbox, ".lock", NULL);
	g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS));
}

static void
test_path(void)
{
	static const struct {
		const char *user;
		const char *expected; /* NULL: refused */
	} cases[] = {
		{ "bob", "/var/mail/bob" },
		{ "bob.smith", "/var/mail/bob.smith" },
		{ "", NULL },
		{ ".", NULL },
		{ "..", NULL },
		{ ".hidden", NULL },
		{ "../etc/passwd", NULL },
		{ "a/b", NULL },
		{ "a\nb", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *path = mm_mbox_path("/var/mail", cases[i].user, &error);
		g_assert_cmpstr(path, ==, cases[i].expected);
		if (cases[i].expected == NULL)
			g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
	}
}

typedef enum { TRAP_SYMLINK, TRAP_DANGLING, TRAP_HARDLINK, TRAP_FIFO, TRAP_DIR } Trap;

/* Each refusal defers the message and leaves everything as it was. */
static void
test_refusals(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		Trap trap;
		const char *reason;
	} cases[] = {
		{ "symlink", TRAP_SYMLINK, "symbolic link" },
		{ "dangling-symlink", TRAP_DANGLING, "symbolic link" },
		{ "hard-link", TRAP_HARDLINK, "2 hard links" },
		{ "fifo", TRAP_FIFO, "mailbox" },
		{ "directory", TRAP_DIR, "mailbox" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *target = g_build_filename(f->dir, "target", NULL);
		g_autofree char *text = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s' '%s'", f->mbox, target);
		struct stat st;

		g_test_message("%s", cases[i].label);
		g_assert_cmpint(system(cmd), ==, 0);
		switch (cases[i].trap) {
		case TRAP_SYMLINK:
			write_file(target, "precious\n");
			g_assert_cmpint(symlink(target, f->mbox), ==, 0);
			break;
		case TRAP_DANGLING:
			g_assert_cmpint(symlink(target, f->mbox), ==, 0);
			break;
		case TRAP_HARDLINK:
			write_file(target, "precious\n");
			g_assert_cmpint(link(target, f->mbox), ==, 0);
			break;
		case TRAP_FIFO:
			g_assert_cmpint(mkfifo(f->mbox, 0600), ==, 0);
			break;
		case TRAP_DIR:
			g_assert_cmpint(mkdir(f->mbox, 0700), ==, 0);
			break;
		}
		g_assert_false(mm_mbox_deliver(f->mbox, f->msg, NULL, &error));
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
		g_assert_nonnull(strstr(error->message, cases[i].reason));

		if (cases[i].trap == TRAP_SYMLINK || cases[i].trap == TRAP_HARDLINK) {
			text = read_file(target);
			g_assert_cmpstr(text, ==, "precious\n");
		}
		if (cases[i].trap == TRAP_DANGLING)
			g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
		g_assert_cmpint(lstat(f->mbox, &st), ==, 0);
	}
}

static void
test_refuse_foreign_owner(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	if (geteuid() != 0) {
		g_test_skip("needs root to give a file away");
		return;
	}
	write_file(f->mbox, "someone else's\n");
	g_assert_cmpint(chown(f->mbox, OTHER_ID, OTHER_ID), ==, 0);
	g_assert_false(mm_mbox_deliver(f->mbox, f->msg, NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "belongs to uid 65534"));
	text = read_file(f->mbox);
	g_assert_cmpstr(text, ==, "someone else's\n");
}

/* A process that holds a lock on the mailbox until told to let go:
 * fcntl when @use_fcntl, else the dot-lock. Returns its pid; it has
 * the lock when this returns. Writing a byte to *@release ends it. */
static pid_t
start_holder(const char *mbox, gboolean use_fcntl, int *release)
{
	int ready[2], go[2];
	char c;
	pid_t pid;

	g_assert_cmpint(pipe(ready), ==, 0);
	g_assert_cmpint(pipe(go), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		MmDotlock *lock = NULL;
		int fd = -1;

		close(go[1]);
		close(ready[0]);
		if (use_fcntl) {
			struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
			fd = open(mbox, O_WRONLY | O_CREAT, 0600);
			if (fd < 0 || fcntl(fd, F_SETLKW, &fl) != 0)
				_exit(1);
		} else {
			lock = mm_dotlock_acquire(mbox, 1000, NULL);
			if (lock == NULL)
				_exit(1);
		}
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		if (lock != NULL)
			mm_dotlock_release(lock);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
	close(ready[0]);
	*release = go[1];
	return pid;
}

static void
reap(pid_t pid)
{
	int status;

	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void
test_lock_held(Fixture *f, gconstpointer data)
{
	for (int use_fcntl = 0; use_fcntl <= 1; use_fcntl++) {
		MmMboxOptions opts = { .lock_timeout_ms = SHORT_WAIT_MS };
		g_autoptr(GError) error = NULL;
		int release;
		pid_t holder;
		struct stat st;

		g_test_message(use_fcntl ? "fcntl" : "dotlock");
		holder = start_holder(f->mbox, use_fcntl, &release);
		g_assert_false(mm_mbox_deliver(f->mbox, f->msg, &opts, &error));
		g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
		g_assert_true(mm_error_is_temporary(error));
		if (!use_fcntl) {
			/* the message says who holds it */
			g_autofree char *who = g_strdup_printf("process %d", (int)holder);
			g_assert_nonnull(strstr(error->message, who));
		}
		close(release);
		reap(holder);
		/* nothing was written while locked */
		if (stat(f->mbox, &st) == 0)
			g_assert_cmpint(st.st_size, ==, 0);
		g_clear_error(&error);
		g_assert_true(mm_mbox_deliver(f->mbox, f->msg, &opts, &error));
		g_assert_no_error(error);
		g_assert_cmpint(g_unlink(f->mbox), ==, 0);
	}
}

/* A delivery waits for a lock that is let go within its wait. */
static void
test_lock_waits(Fixture *f, gconstpointer data)
{
	for (int use_fcntl = 0; use_fcntl <= 1; use_fcntl++) {
		MmMboxOptions opts = { .lock_timeout_ms = 10000 };
		g_autoptr(GError) error = NULL;
		int release;
		pid_t holder, releaser;

		g_test_message(use_fcntl ? "fcntl" : "dotlock");
		holder = start_holder(f->mbox, use_fcntl, &release);
		releaser = fork();
		g_assert_cmpint(releaser, >=, 0);
		if (releaser == 0) {
			g_usleep(300 * 1000);
			_exit(write(release, "g", 1) == 1 ? 0 : 1);
		}
		g_assert_true(mm_mbox_deliver(f->mbox, f->msg, &opts, &error));
		g_assert_no_error(error);
		close(release);
		reap(releaser);
		reap(holder);
		g_assert_cmpint(g_unlink(f->mbox), ==, 0);
	}
}

/* A pid that surely does not run: a child that has been reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0)
		_exit(0);
	reap(pid);
	return pid;
}

static void
test_stale_lock(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		int age;       /* seconds */
		gboolean dead; /* its pid does not run */
		gboolean pid;  /* it holds a pid at all */
		gboolean removed;
	} cases[] = {
		{ "old-dead-owner", 600, TRUE, TRUE, TRUE },
		{ "old-no-pid", 600, FALSE, FALSE, TRUE },
		{ "old-live-owner", 600, FALSE, TRUE, FALSE },
		{ "young-dead-owner", 10, TRUE, TRUE, FALSE },
	};
	g_autofree char *lock = g_strconcat(f->mbox, ".lock", NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		MmMboxOptions opts = { .lock_timeout_ms = SHORT_WAIT_MS };
		g_autoptr(GError) error = NULL;
		g_autofree char *content = NULL;
		struct utimbuf times;

		g_test_message("%s", cases[i].label);
		content = !cases[i].pid ? g_strdup("")
		          : g_strdup_printf("%d\n", cases[i].dead ? (int)dead_pid() : (int)getpid());
		write_file(lock, content);
		times.actime = times.modtime = time(NULL) - cases[i].age;
		g_assert_cmpint(utime(lock, &times), ==, 0);

		if (cases[i].removed) {
			g_assert_true(mm_mbox_deliver(f->mbox, f->msg, &opts, &error));
			g_assert_no_error(error);
			g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS));
		} else {
			g_assert_false(mm_mbox_deliver(f->mbox, f->msg, &opts, &error));
			g_assert_error(error, MM_ERROR, MM_ERROR_LOCKED);
			g_assert_true(g_file_test(lock, G_FILE_TEST_EXISTS));
			g_assert_cmpint(g_unlink(lock), ==, 0);
		}
	}
}

/* A write that fails half-way (here: the file size limit) leaves the
 * mailbox exactly as it was. */
static void
test_truncate_back(Fixture *f, gconstpointer data)
{
	static const char old[] = "From x Thu Jan  1 00:00:00 1970\n\nold mail\n\n";
	g_autofree char *big = g_strnfill(64 * 1024, 'x');
	g_autoptr(MmMessage) msg = make_message(big);
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	struct rlimit saved, small;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_xfsz;
	gboolean ok;

	write_file(f->mbox, old);
	g_assert_cmpint(chmod(f->mbox, 0600), ==, 0);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved), ==, 0);
	small = saved;
	small.rlim_cur = 4096;
	sigaction(SIGXFSZ, &ign, &old_xfsz);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
	ok = mm_mbox_deliver(f->mbox, msg, NULL, &error);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved), ==, 0);
	sigaction(SIGXFSZ, &old_xfsz, NULL);

	g_assert_false(ok);
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, g_strerror(EFBIG)));
	text = read_file(f->mbox);
	g_assert_cmpstr(text, ==, old);
}

/* As root the delivery runs as the recipient: the new mailbox is
 * theirs, and one that is not theirs is refused from the child. */
static void
test_deliver_as(Fixture *f, gconstpointer data)
{
	MmRunAs who = { .uid = OTHER_ID, .gid = OTHER_ID, .user = NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *root_box = g_build_filename(f->dir, "root", NULL);
	g_autofree char *text = NULL;
	struct stat st;

	if (geteuid() != 0) {
		/* without root the same call delivers as ourselves */
		g_assert_true(mm_mbox_deliver_as(&who, f->mbox, f->msg, NULL, &error));
		g_assert_no_error(error);
		g_assert_cmpint(stat(f->mbox, &st), ==, 0);
		g_assert_cmpuint(st.st_uid, ==, geteuid());
		g_test_skip("needs root to deliver as another user");
		return;
	}
	/* a mail directory the recipient may write in, as /var/mail is */
	g_assert_cmpint(chmod(f->dir, 01777), ==, 0);
	g_assert_true(mm_mbox_deliver_as(&who, f->mbox, f->msg, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(stat(f->mbox, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, OTHER_ID);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);

	/* root's file, even writable by all, is not the recipient's */
	write_file(root_box, "root's\n");
	g_assert_cmpint(chmod(root_box, 0666), ==, 0);
	g_assert_false(mm_mbox_deliver_as(&who, root_box, f->msg, NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "belongs to uid 0"));
	text = read_file(root_box);
	g_assert_cmpstr(text, ==, "root's\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mbox/render/from-line", test_from_line);
	g_test_add_func("/mbox/render/quoting", test_quoting);
	g_test_add_func("/mbox/path", test_path);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD("/mbox/format/exact", test_format_exact);
	ADD("/mbox/create/mode", test_create_mode);
	ADD("/mbox/refuse/traps", test_refusals);
	ADD("/mbox/refuse/foreign-owner", test_refuse_foreign_owner);
	ADD("/mbox/lock/held", test_lock_held);
	ADD("/mbox/lock/waits", test_lock_waits);
	ADD("/mbox/lock/stale", test_stale_lock);
	ADD("/mbox/write/truncate-back", test_truncate_back);
	ADD("/mbox/user/deliver-as", test_deliver_as);
#undef ADD
	return g_test_run();
}
