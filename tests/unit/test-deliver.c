/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/deliver.c, deliver/local_rcpt.c and queue/runner.c:
 * the choice of method and ids as tables, and whole deliveries of
 * queued messages in a temporary spool and mail directory per test
 * (states written back, alias results remembered, notices queued,
 * warnings and max_defer_time, log_user, locked messages skipped), and
 * remote recipients through routes: a pipe route stands in for a relay
 * here (its exit status for the relay's verdict), the SMTP relays are
 * the integration scenarios' business.
 *
 * Deliveries go to the user running the test, so the same tests run as
 * root (the delivery child becomes that user, root) and as anyone else
 * (run_as_user). Pipe items run as the mail user when root: the
 * directory they write to is world-writable.
 */
#include "config.h"

#include "testlib.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "conf/conf.h"
#include "deliver/deliver.h"
#include "deliver/local_rcpt.h"
#include "deliver/online.h"
#include "queue/accept.h"
#include "queue/runner.h"
#include "queue/spool.h"

#define HOST "test.example"

static const char *
top_srcdir(void)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");
	return top != NULL ? top : MM_TEST_TOP_SRCDIR;
}

/* ---- method selection ---- */

typedef struct {
	const char *label;
	const char *conf;   /* extra configuration lines */
	const char *user;
	int method;         /* MmLocalMethod, or -1 for an MM_ERROR_CONFIG */
} MethodCase;

static const MethodCase method_cases[] = {
	{ "default-mbox", "", "alice", MM_LOCAL_METHOD_MBOX },
	{ "default-mda", "mbox_default = mda\nmda = \"/bin/cat\"\n", "alice", MM_LOCAL_METHOD_MDA },
	{ "mda-without-command", "mbox_default = mda\n", "alice", -1 },
	{ "mda-users", "mda_users = \"bob;alice\"\nmda = \"/bin/cat\"\n", "alice", MM_LOCAL_METHOD_MDA },
	{ "mda-users-caseless", "mda_users = \"ALICE\"\nmda = \"/bin/cat\"\n", "alice",
	  MM_LOCAL_METHOD_MDA },
	{ "mda-users-other", "mda_users = \"bob\"\nmda = \"/bin/cat\"\n", "alice", MM_LOCAL_METHOD_MBOX },
	{ "mbox-users-beat-mda-users",
	  "mbox_default = mda\nmbox_users = \"alice\"\nmda_users = \"alice\"\nmda = \"/bin/cat\"\n",
	  "alice", MM_LOCAL_METHOD_MBOX },
	{ "mbox-users-under-mda-default", "mbox_default = mda\nmbox_users = alice\nmda = \"/bin/cat\"\n",
	  "alice", MM_LOCAL_METHOD_MBOX },
	{ "default-maildir", "mbox_default = maildir\n", "alice", MM_LOCAL_METHOD_MAILDIR },
	{ "maildir-users", "maildir_users = \"bob;alice\"\n", "alice", MM_LOCAL_METHOD_MAILDIR },
	{ "maildir-users-other", "maildir_users = bob\n", "alice", MM_LOCAL_METHOD_MBOX },
	{ "mda-users-beat-maildir-users", "mda_users = alice\nmaildir_users = alice\nmda = \"/bin/cat\"\n",
	  "alice", MM_LOCAL_METHOD_MDA },
	{ "mbox-users-under-maildir-default", "mbox_default = maildir\nmbox_users = alice\n", "alice",
	  MM_LOCAL_METHOD_MBOX },
};

static MmConf *
load_conf(const char *extra)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf("host_name = \"" HOST "\"\n%s", extra);
	MmConf *conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);

	g_assert_no_error(error);
	return conf;
}

static void
test_method(gconstpointer data)
{
	const MethodCase *c = data;
	g_autoptr(MmConf) conf = load_conf(c->conf);
	g_autoptr(GError) error = NULL;
	MmLocalMethod method = 99;
	gboolean ok = mm_local_rcpt_method(conf, c->user, &method, &error);

	if (c->method < 0) {
		g_assert_false(ok);
		g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	} else {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_cmpstr(mm_local_method_name(method), ==, mm_local_method_name(c->method));
	}
}

/* mbox_default = maildir cannot be written in a configuration file
 * until conf.c knows the value; the choice itself works already. */
static void
test_method_maildir(void)
{
	g_autoptr(MmConf) conf = load_conf("mbox_users = bob\n");
	MmLocalMethod method = 99;

	g_free(conf->mbox_default);
	conf->mbox_default = g_strdup("maildir");
	g_assert_true(mm_local_rcpt_method(conf, "alice", &method, NULL));
	g_assert_cmpint(method, ==, MM_LOCAL_METHOD_MAILDIR);
	g_assert_true(mm_local_rcpt_method(conf, "bob", &method, NULL));
	g_assert_cmpint(method, ==, MM_LOCAL_METHOD_MBOX);

	g_free(conf->mbox_default);
	conf->mbox_default = g_strdup("procmail");
	g_assert_false(mm_local_rcpt_method(conf, "alice", &method, NULL));
}

/* ---- whose ids ---- */

typedef struct {
	const char *label;
	uid_t euid;
	uid_t target;
	gboolean run_as_user;
	MmLocalIds expected;
} IdsCase;

static const IdsCase ids_cases[] = {
	{ "root-switches", 0, 1000, FALSE, MM_LOCAL_IDS_SWITCH },
	{ "root-switches-run-as-user", 0, 1000, TRUE, MM_LOCAL_IDS_SWITCH },
	{ "root-unknown-user", 0, (uid_t)-1, FALSE, MM_LOCAL_IDS_SWITCH },
	{ "self", 1000, 1000, FALSE, MM_LOCAL_IDS_CURRENT },
	{ "other-refused", 1000, 1001, FALSE, MM_LOCAL_IDS_REFUSE },
	{ "unknown-refused", 1000, (uid_t)-1, FALSE, MM_LOCAL_IDS_REFUSE },
	{ "other-run-as-user", 1000, 1001, TRUE, MM_LOCAL_IDS_CURRENT },
	{ "unknown-run-as-user", 1000, (uid_t)-1, TRUE, MM_LOCAL_IDS_CURRENT },
};

static void
test_ids(gconstpointer data)
{
	const IdsCase *c = data;

	g_assert_cmpint(mm_local_rcpt_ids(c->euid, c->target, c->run_as_user), ==, c->expected);
}

typedef struct {
	const char *label;
	mode_t mode;
	gid_t dir_gid;
	gid_t expected; /* with a user gid of 100 */
} GidCase;

static const GidCase gid_cases[] = {
	{ "debian-var-mail", S_IFDIR | 02775, 8, 8 },
	{ "sticky-world-writable", S_IFDIR | 01777, 8, 100 },
	{ "root-group-never", S_IFDIR | 0775, 0, 100 },
	{ "not-group-writable", S_IFDIR | 0755, 8, 100 },
	{ "not-a-directory", S_IFREG | 0775, 8, 100 },
};

static void
test_mailbox_gid(gconstpointer data)
{
	const GidCase *c = data;
	struct stat st = { .st_mode = c->mode, .st_gid = c->dir_gid };

	g_assert_cmpuint(mm_local_rcpt_mailbox_gid(&st, 100), ==, c->expected);
	g_assert_cmpuint(mm_local_rcpt_mailbox_gid(NULL, 100), ==, 100);
}

/* ---- whole deliveries ---- */

typedef struct {
	char *dir;
	char *spool;
	char *mail;
	char *out;       /* world-writable, for pipes */
	char *user;      /* the user running the test: the local recipient */
	char *mailbox;   /* mail/USER */
	MmConf *conf;
	MmDeliverRun *run;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("test-deliver-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(fx->dir, 0755), ==, 0);
	fx->spool = g_build_filename(fx->dir, "spool", NULL);
	fx->mail = g_build_filename(fx->dir, "mail", NULL);
	fx->out = g_build_filename(fx->dir, "out", NULL);
	g_assert_cmpint(g_mkdir(fx->spool, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(fx->mail, 0755), ==, 0);
	g_assert_cmpint(g_mkdir(fx->out, 0777), ==, 0);
	g_assert_cmpint(g_chmod(fx->out, 0777), ==, 0);
	fx->user = g_strdup(g_get_user_name());
	fx->mailbox = g_build_filename(fx->mail, fx->user, NULL);
}

/* The configuration of the fixture with @extra lines. */
static void
fixture_conf(Fixture *fx, const char *extra)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf(
		"host_name = \"" HOST "\"\n"
		"local_hosts = \"localhost;" HOST "\"\n"
		"spool_dir = \"%s\"\nmail_dir = \"%s\"\nrun_as_user = true\n"
		"errmsg_file = \"%s/conf/tpl/failmsg.tpl\"\n"
		"warnmsg_file = \"%s/conf/tpl/warnmsg.tpl\"\n%s",
		fx->spool, fx->mail, top_srcdir(), top_srcdir(), extra ? extra : "");

	g_clear_pointer(&fx->run, mm_deliver_run_free);
	g_clear_pointer(&fx->conf, mm_conf_free);
	fx->conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_assert_no_error(error);
	fx->run = mm_deliver_run_new(fx->conf);
}


static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_pointer(&fx->run, mm_deliver_run_free);
	g_clear_pointer(&fx->conf, mm_conf_free);
	mm_test_remove_tree(fx->dir);
	g_free(fx->dir);
	g_free(fx->spool);
	g_free(fx->mail);
	g_free(fx->out);
	g_free(fx->user);
	g_free(fx->mailbox);
}

static void
write_file(const char *dir, const char *name, const char *text, int mode)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static char *
queue(Fixture *fx, const char *from, const char *rcpts, const char *body)
{
	return mm_test_queue_message(fx->spool, HOST, from, rcpts, body);
}

static void
deliver(Fixture *fx, const char *uid, MmDeliverReport *report)
{
	mm_test_deliver_uid(fx->spool, fx->run, uid, report);
}

static gboolean
queued(Fixture *fx, const char *uid)
{
	g_autofree char *h = g_strdup_printf("%s/input/%s-H", fx->spool, uid);
	return g_file_test(h, G_FILE_TEST_EXISTS);
}

/* The message's data file is still there (a removal not finished). */
static gboolean
has_data(Fixture *fx, const char *uid)
{
	g_autofree char *d = g_strdup_printf("%s/input/%s-D", fx->spool, uid);
	return g_file_test(d, G_FILE_TEST_EXISTS);
}

static char *
read_text(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

static char *
header_file(Fixture *fx, const char *uid)
{
	g_autofree char *h = g_strdup_printf("%s/input/%s-H", fx->spool, uid);
	return read_text(h);
}

/* Messages in an mbox: lines that start with "From ". */
static guint
mbox_count(const char *path)
{
	g_autofree char *text = read_text(path);
	guint n = g_str_has_prefix(text, "From ") ? 1 : 0;

	for (const char *p = text; (p = strstr(p, "\nFrom ")) != NULL; p++)
		n++;
	return n;
}

/* The ids in the spool other than @except (may be NULL). */
static GPtrArray *
other_uids(Fixture *fx, const char *except)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *uids = mm_spool_list_uids(fx->spool, &error);

	g_assert_no_error(error);
	for (guint i = 0; except && i < uids->len; i++) {
		if (strcmp(uids->pdata[i], except) == 0)
			g_ptr_array_remove_index(uids, i--);
	}
	return uids;
}

static void
test_local_mbox(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpt = g_strdup_printf("%s@localhost", fx->user);
	g_autofree char *uid = NULL, *box = NULL;
	MmDeliverReport report;

	fixture_conf(fx, NULL);
	uid = queue(fx, "sender@remote.example", rcpt, "hello mbox\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.failed + report.deferred + report.waiting, ==, 0);
	g_assert_true(report.removed);
	g_assert_false(queued(fx, uid));
	box = read_text(fx->mailbox);
	g_assert_true(g_str_has_prefix(box, "From sender@remote.example "));
	g_assert_nonnull(strstr(box, "\nReturn-path: <sender@remote.example>\n"));
	g_assert_nonnull(strstr(box, "\nEnvelope-to: <" ));
	g_assert_nonnull(strstr(box, "\n\nhello mbox\n\n"));
}

/* mbox_default = maildir (set here until the configuration file takes
 * the value): mail_dir/USER becomes a maildir. */
static void
test_local_maildir(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpt = g_strdup_printf("%s@localhost", fx->user);
	g_autofree char *uid = NULL, *newdir = NULL, *text = NULL;
	g_autoptr(GDir) dir = NULL;
	const char *name;
	MmDeliverReport report;

	fixture_conf(fx, NULL);
	g_free(fx->conf->mbox_default);
	fx->conf->mbox_default = g_strdup("maildir");
	uid = queue(fx, "sender@remote.example", rcpt, "From here to the maildir\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_true(report.removed);
	newdir = g_build_filename(fx->mailbox, "new", NULL);
	dir = g_dir_open(newdir, 0, NULL);
	g_assert_nonnull(dir);
	name = g_dir_read_name(dir);
	g_assert_nonnull(name);
	g_autofree char *path = g_build_filename(newdir, name, NULL);
	text = read_text(path);
	g_assert_true(g_str_has_prefix(text, "Return-path: <sender@remote.example>\n"));
	g_assert_true(g_str_has_suffix(text, "\n\nFrom here to the maildir\n"));
	g_assert_null(g_dir_read_name(dir));
}

static void
test_remote_waits(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpts = g_strdup_printf("far@remote.example %s@" HOST, fx->user);
	g_autofree char *uid = NULL, *h = NULL, *x = NULL;
	MmDeliverReport report;

	fixture_conf(fx, NULL);
	uid = queue(fx, "sender@remote.example", rcpts, "body\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.waiting, ==, 1);
	g_assert_false(report.removed);
	h = header_file(fx, uid);
	x = g_strdup_printf("\nRT:X<%s@" HOST ">\n", fx->user);
	g_assert_nonnull(strstr(h, "\nRT: <far@remote.example>\n"));
	g_assert_nonnull(strstr(h, x));

	/* a second run delivers the local one not again, and leaves the
	 * -H file alone (no rename: the same inode) as nothing changed */
	g_autofree char *hpath = g_strdup_printf("%s/input/%s-H", fx->spool, uid);
	struct stat st1, st2;
	g_assert_cmpint(g_stat(hpath, &st1), ==, 0);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 0);
	g_assert_cmpuint(report.waiting, ==, 1);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
	g_assert_cmpint(g_stat(hpath, &st2), ==, 0);
	g_assert_cmpuint(st1.st_ino, ==, st2.st_ino);
}

/* An alias with a local user and a pipe that defers: the user gets the
 * message once, the pipe when it works again, and the spool remembers
 * the delivered result in between as 1.0 does (an extra RT:X line). */
static void
test_alias_partial(Fixture *fx, gconstpointer data)
{
	g_autofree char *aliases = NULL, *conf = NULL, *uid = NULL, *h = NULL, *x = NULL;
	g_autofree char *flag = g_build_filename(fx->out, "fail", NULL);
	g_autofree char *pipe_out = g_build_filename(fx->out, "pipe-out", NULL);
	g_autofree char *script = g_strdup_printf("#!/bin/sh\n[ -e %s ] && exit 75\ncat >>%s\n",
	                                          flag, pipe_out);
	g_autofree char *piped = NULL;
	MmDeliverReport report;

	write_file(fx->out, "pipe.sh", script, 0755);
	write_file(fx->out, "fail", "", 0644);
	aliases = g_strdup_printf("list: %s, |%s/pipe.sh\n", fx->user, fx->out);
	write_file(fx->dir, "aliases", aliases, 0644);
	conf = g_strdup_printf("alias_file = \"%s/aliases\"\n", fx->dir);
	fixture_conf(fx, conf);

	uid = queue(fx, "sender@remote.example", "list@localhost", "to the list\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.deferred, ==, 1);
	g_assert_false(report.removed);
	h = header_file(fx, uid);
	x = g_strdup_printf("\nRT:X<%s@" HOST ">\n", fx->user);
	g_assert_nonnull(strstr(h, "\nRT: <list@localhost>\n"));
	g_assert_nonnull(strstr(h, x));
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);

	g_assert_cmpint(g_unlink(flag), ==, 0);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_true(report.removed);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
	piped = read_text(pipe_out);
	g_assert_nonnull(strstr(piped, "Envelope-to: <list@localhost>\n"));
	g_assert_nonnull(strstr(piped, "\n\nto the list\n"));
}

/* A loop and a bad address fail their original recipients, and only
 * them; the notice goes to the (local) sender and is delivered at once. */
static void
test_alias_botched(Fixture *fx, gconstpointer data)
{
	g_autofree char *aliases = NULL, *conf = NULL, *uid = NULL, *from = NULL, *box = NULL;
	g_autoptr(GPtrArray) rest = NULL;
	MmDeliverReport report;

	aliases = g_strdup_printf("loop1: loop2\nloop2: loop1\nbad: %s, <unbalanced\nok: %s\n",
	                          fx->user, fx->user);
	write_file(fx->dir, "aliases", aliases, 0644);
	conf = g_strdup_printf("alias_file = \"%s/aliases\"\n", fx->dir);
	fixture_conf(fx, conf);

	from = g_strdup_printf("%s@localhost", fx->user);
	uid = queue(fx, from, "loop1@localhost bad@localhost ok@localhost", "botched\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.failed, ==, 2);
	g_assert_true(report.bounced);
	g_assert_true(report.removed);
	/* the message once (through ok, not through bad), then the notice */
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 2);
	box = read_text(fx->mailbox);
	g_assert_nonnull(strstr(box, "loop1@localhost"));
	g_assert_nonnull(strstr(box, "bad@localhost"));
	{ const char *notice = strstr(box, "Return-path: <>"); g_assert_nonnull(notice); g_assert_null(strstr(notice, "ok@localhost")); g_assert_nonnull(strstr(notice, "Final-Recipient: rfc822; loop1@localhost")); g_assert_nonnull(strstr(notice, "Final-Recipient: rfc822; bad@localhost")); }
	g_assert_nonnull(strstr(box, "Return-path: <>"));
	rest = other_uids(fx, NULL);
	g_assert_cmpuint(rest->len, ==, 0);
}

/* A notice that fails is not bounced again. */
static void
test_bounce_not_bounced(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpt = g_strdup_printf("%s@localhost", fx->user);
	g_autofree char *uid = NULL;
	g_autoptr(GPtrArray) rest = NULL;
	MmDeliverReport report;

	fixture_conf(fx, "mbox_default = mda\nmda = \"/bin/sh -c 'exit 67'\"\n");
	uid = queue(fx, "<>", rcpt, "a notice\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.failed, ==, 1);
	g_assert_false(report.bounced);
	g_assert_true(report.removed);
	rest = other_uids(fx, NULL);
	g_assert_cmpuint(rest->len, ==, 0);
}

/* An MDA that defers: nothing at first, a warning once the first
 * warn interval has passed (TW: written), none again in the same
 * interval, a failure notice after max_defer_time. */
static void
test_warning_then_failure(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpt = g_strdup_printf("%s@localhost", fx->user);
	g_autofree char *uid = NULL, *h = NULL, *tw = NULL;
	g_autoptr(GPtrArray) notices = NULL;
	g_autoptr(MmMessage) msg = NULL;
	MmDeliverReport report;
	gint64 tr;

	fixture_conf(fx, "mbox_default = mda\nmda = \"/bin/sh -c 'exit 75'\"\n"
	                 "warn_intervals = \"1h;4h\"\nmax_defer_time = 1d\n");
	uid = queue(fx, "sender@remote.example", rcpt, "slow\n");
	msg = mm_spool_read(fx->spool, uid, FALSE, NULL);
	tr = msg->received_time;

	mm_deliver_run_set_now(fx->run, tr + 60);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.deferred, ==, 1);
	g_assert_false(report.warned);
	notices = other_uids(fx, uid);
	g_assert_cmpuint(notices->len, ==, 0);
	g_clear_pointer(&notices, g_ptr_array_unref);

	mm_deliver_run_set_now(fx->run, tr + 3600 + 60);
	deliver(fx, uid, &report);
	g_assert_true(report.warned);
	g_assert_false(report.bounced);
	h = header_file(fx, uid);
	tw = g_strdup_printf("\nTW: %" G_GINT64_FORMAT "\n", tr + 3600 + 60);
	g_assert_nonnull(strstr(h, tw));
	g_assert_nonnull(strstr(h, "\nRT: <"));
	notices = other_uids(fx, uid);
	g_assert_cmpuint(notices->len, ==, 1); /* to a remote sender: waits */
	g_clear_pointer(&notices, g_ptr_array_unref);

	mm_deliver_run_set_now(fx->run, tr + 3600 + 120);
	deliver(fx, uid, &report);
	g_assert_false(report.warned);

	mm_deliver_run_set_now(fx->run, tr + 86400 + 1);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.failed, ==, 1);
	g_assert_true(report.bounced);
	g_assert_true(report.removed);
	notices = other_uids(fx, NULL);
	g_assert_cmpuint(notices->len, ==, 2);
}

/* log_user gets one copy, however often the message is tried. */
static void
test_log_user(Fixture *fx, gconstpointer data)
{
	g_autofree char *conf = g_strdup_printf("log_user = %s\n", fx->user);
	g_autofree char *uid = NULL, *h = NULL;
	MmDeliverReport report;

	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", "far@remote.example", "copy me\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
	g_assert_false(report.removed);
	h = header_file(fx, uid);
	g_assert_nonnull(strstr(h, "\nRT: <far@remote.example>\n"));
	g_assert_nonnull(strstr(h, "\nRT:X<"));
	deliver(fx, uid, &report);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
}

/* An alias file that cannot be read holds back the local recipients;
 * a missing one means no aliases. */
static void
test_alias_file_errors(Fixture *fx, gconstpointer data)
{
	g_autofree char *conf = NULL, *uid = NULL, *h = NULL, *rcpts = NULL;
	MmDeliverReport report;

	rcpts = g_strdup_printf("%s@localhost far@remote.example", fx->user);
	conf = g_strdup_printf("alias_file = \"%s\"\n", fx->out); /* a directory */
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", rcpts, "held\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 0);
	g_assert_cmpuint(report.deferred, ==, 1);
	g_assert_false(g_file_test(fx->mailbox, G_FILE_TEST_EXISTS));
	h = header_file(fx, uid);
	g_assert_null(strstr(h, "RT:X"));

	g_free(conf);
	conf = g_strdup_printf("alias_file = \"%s/no-such-file\"\n", fx->dir);
	fixture_conf(fx, conf);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
}

/* A queue run takes the messages oldest first and skips one that
 * another process holds. When it returns, the removals it handed to
 * its remover thread are done: no data file of a delivered message is
 * left, and the thread was there while the mailbox deliveries forked
 * (as root) for the later messages. */
static void
test_queue_run(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpt = g_strdup_printf("%s@localhost", fx->user);
	g_autofree char *one = NULL, *two = NULL, *three = NULL, *box = NULL;
	g_autoptr(GError) error = NULL;
	MmSpoolLock *lock;
	MmQueueRunStats stats;

	fixture_conf(fx, NULL);
	one = queue(fx, "sender@remote.example", rcpt, "message one\n");
	two = queue(fx, "sender@remote.example", rcpt, "message two\n");
	three = queue(fx, "sender@remote.example", rcpt, "message three\n");
	lock = mm_spool_lock(fx->spool, two, &error);
	g_assert_no_error(error);

	g_assert_true(mm_queue_run(fx->run, &stats, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(stats.messages, ==, 3);
	g_assert_cmpuint(stats.locked, ==, 1);
	g_assert_cmpuint(stats.completed, ==, 2);
	g_assert_cmpuint(stats.errors, ==, 0);
	g_assert_true(queued(fx, two));
	g_assert_true(has_data(fx, two));
	g_assert_false(queued(fx, one) || has_data(fx, one));
	g_assert_false(queued(fx, three) || has_data(fx, three));
	box = read_text(fx->mailbox);
	g_assert_null(strstr(box, "message two"));
	g_assert_true(strstr(box, "message one") < strstr(box, "message three"));

	mm_spool_unlock(lock);
	g_assert_true(mm_queue_run(fx->run, &stats, &error));
	g_assert_cmpuint(stats.completed, ==, 1);
	g_assert_false(queued(fx, two));
	g_assert_false(has_data(fx, two));
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 3);
}

/* ---- remote recipients through routes ---- */

/* A pipe route for *@uucp.example: the command appends the message to
 * out/uucp and exits with the number in out/code (0 without it). */
static void
write_uucp_route(Fixture *fx, const char *name, const char *extra)
{
	g_autofree char *script = g_strdup_printf("#!/bin/sh\ncat >>%s/uucp\n"
	                                          "[ -e %s/code ] && exit $(cat %s/code)\nexit 0\n",
	                                          fx->out, fx->out, fx->out);
	g_autofree char *route = NULL;
	g_autofree char *file = g_strdup_printf("%s.route", name);

	write_file(fx->out, "gateway.sh", script, 0755);
	route = g_strdup_printf("pipe = \"%s/gateway.sh\"\nallowed_recipients = \"*@uucp.example\"\n%s",
	                        fx->out, extra ? extra : "");
	write_file(fx->dir, file, route, 0644);
}

static void
set_code(Fixture *fx, int code)
{
	g_autofree char *text = g_strdup_printf("%d\n", code);
	write_file(fx->out, "code", text, 0644);
}

/* How many messages went through the pipe route. */
static guint
uucp_count(Fixture *fx)
{
	g_autofree char *path = g_build_filename(fx->out, "uucp", NULL);
	g_autofree char *text = read_text(path);
	guint n = 0;

	for (const char *p = text; (p = strstr(p, "\nSubject: test\n")) != NULL; p++)
		n++;
	return n;
}

/* The first message in the spool other than @uid, read with its body. */
static MmMessage *
read_other(Fixture *fx, const char *uid)
{
	g_autoptr(GPtrArray) rest = other_uids(fx, uid);
	g_autoptr(GError) error = NULL;
	MmMessage *msg;

	g_assert_cmpuint(rest->len, ==, 1);
	msg = mm_spool_read(fx->spool, rest->pdata[0], TRUE, &error);
	g_assert_no_error(error);
	return msg;
}

static char *
body_text(const MmMessage *msg)
{
	gsize len;
	const char *data = g_bytes_get_data(msg->body, &len);
	return g_strndup(data, len);
}

typedef struct {
	const char *label;
	const char *route_extra;  /* more lines of the route file */
	int code;                 /* the pipe's exit status */
	char state;               /* the RT: state of the remote recipient afterwards */
	guint delivered, failed, deferred;
	gboolean bounced;
} RemoteCase;

static const RemoteCase remote_cases[] = {
	{ "delivered", NULL, 0, 'X', 2, 0, 0, FALSE },
	{ "failed", NULL, 67, 'F', 1, 1, 0, TRUE },
	{ "deferred", NULL, 75, ' ', 1, 0, 1, FALSE },
	{ "connect-error-fail", "connect_error_fail = true\n", 75, 'F', 1, 1, 0, TRUE },
};

/* The route's verdict becomes the recipient's state; the local
 * recipient of the same message is delivered beside it, once. The
 * routes come from permanent_routes by themselves, as for sendmail. */
static void
test_remote_outcome(Fixture *fx, gconstpointer data)
{
	const RemoteCase *c = data;
	g_autofree char *conf = g_strdup_printf("permanent_routes = \"%s/uucp.route\"\n", fx->dir);
	g_autofree char *rcpts = g_strdup_printf("far@uucp.example %s@localhost", fx->user);
	g_autofree char *uid = NULL, *h = NULL, *line = NULL;
	MmDeliverReport report;

	write_uucp_route(fx, "uucp", c->route_extra);
	set_code(fx, c->code);
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", rcpts, "over the wire\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, c->delivered);
	g_assert_cmpuint(report.failed, ==, c->failed);
	g_assert_cmpuint(report.deferred, ==, c->deferred);
	g_assert_cmpuint(report.waiting, ==, 0);
	g_assert_cmpint(report.bounced, ==, c->bounced);
	g_assert_cmpuint(uucp_count(fx), ==, 1);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
	g_assert_cmpint(report.removed, ==, c->state != ' ');
	if (c->state == ' ') {
		h = header_file(fx, uid);
		g_assert_nonnull(strstr(h, "\nRT: <far@uucp.example>\n"));
	}
	if (c->bounced) {
		/* to a remote sender no route takes: it waits in the queue */
		g_autoptr(MmMessage) notice = read_other(fx, uid);
		g_autofree char *text = body_text(notice);
		g_assert_nonnull(strstr(text, "Final-Recipient: rfc822; far@uucp.example\n"));
		line = g_strdup_printf("Final-Recipient: rfc822; %s@localhost", fx->user);
		g_assert_null(strstr(text, line));
	} else {
		g_autoptr(GPtrArray) rest = other_uids(fx, uid);
		g_assert_cmpuint(rest->len, ==, 0);
	}
}

/* A run without local deliveries (-qo) sends the remote part and
 * leaves the local recipient pending; the next full run delivers it,
 * and nothing goes out twice. */
static void
test_remote_no_local(Fixture *fx, gconstpointer data)
{
	g_autofree char *conf = g_strdup_printf("permanent_routes = \"%s/uucp.route\"\n", fx->dir);
	g_autofree char *rcpts = g_strdup_printf("far@uucp.example %s@localhost", fx->user);
	g_autofree char *uid = NULL, *h = NULL, *pending = NULL;
	MmDeliverReport report;

	write_uucp_route(fx, "uucp", NULL);
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", rcpts, "remote first\n");
	mm_deliver_run_set_local(fx->run, FALSE);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.waiting, ==, 1);
	g_assert_false(report.removed);
	g_assert_false(g_file_test(fx->mailbox, G_FILE_TEST_EXISTS));
	h = header_file(fx, uid);
	pending = g_strdup_printf("\nRT: <%s@localhost>\n", fx->user);
	g_assert_nonnull(strstr(h, "\nRT:X<far@uucp.example>\n"));
	g_assert_nonnull(strstr(h, pending));

	mm_deliver_run_set_local(fx->run, TRUE);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_true(report.removed);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
	g_assert_cmpuint(uucp_count(fx), ==, 1);
}

/* Routes given to the run replace the lookup; an empty list leaves the
 * remote recipients waiting and the -H file as it was. */
static void
test_remote_set_routes(Fixture *fx, gconstpointer data)
{
	g_autofree char *conf = g_strdup_printf("permanent_routes = \"%s/uucp.route\"\n", fx->dir);
	g_autofree char *uid = NULL, *before = NULL, *after = NULL;
	g_autoptr(GPtrArray) none = g_ptr_array_new();
	MmDeliverReport report;

	write_uucp_route(fx, "uucp", NULL);
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", "far@uucp.example", "not yet\n");
	before = header_file(fx, uid);
	mm_deliver_run_set_routes(fx->run, none);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.waiting, ==, 1);
	g_assert_cmpuint(report.delivered + report.deferred + report.failed, ==, 0);
	after = header_file(fx, uid);
	g_assert_cmpstr(before, ==, after);
	g_assert_cmpuint(uucp_count(fx), ==, 0);

	/* a recipient no route takes waits too */
	g_clear_pointer(&uid, g_free);
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", "far@elsewhere.example", "no route\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.waiting, ==, 1);
	g_assert_false(report.removed);
}

/* A remote deferral warns at warn_intervals and fails after
 * max_defer_time, as a local one does. */
static void
test_remote_warn_fail(Fixture *fx, gconstpointer data)
{
	g_autofree char *conf = g_strdup_printf("permanent_routes = \"%s/uucp.route\"\n"
	                                        "warn_intervals = 1h\nmax_defer_time = 1d\n",
	                                        fx->dir);
	g_autofree char *uid = NULL, *from = g_strdup_printf("%s@localhost", fx->user);
	g_autofree char *box = NULL;
	g_autoptr(MmMessage) msg = NULL;
	MmDeliverReport report;
	gint64 tr;

	write_uucp_route(fx, "uucp", NULL);
	set_code(fx, 75);
	fixture_conf(fx, conf);
	uid = queue(fx, from, "far@uucp.example", "slow link\n");
	msg = mm_spool_read(fx->spool, uid, FALSE, NULL);
	tr = msg->received_time;

	mm_deliver_run_set_now(fx->run, tr + 3600 + 60);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.deferred, ==, 1);
	g_assert_true(report.warned);
	/* the warning to the local sender is delivered by the same run */
	box = read_text(fx->mailbox);
	g_assert_nonnull(strstr(box, "Action: delayed"));
	g_assert_nonnull(strstr(box, "Final-Recipient: rfc822; far@uucp.example"));
	g_clear_pointer(&box, g_free);

	mm_deliver_run_set_now(fx->run, tr + 86400 + 1);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.failed, ==, 1);
	g_assert_true(report.bounced);
	g_assert_true(report.removed);
	box = read_text(fx->mailbox);
	g_assert_nonnull(strstr(box, "Action: failed"));
	g_assert_nonnull(strstr(box, "Status: 5.4.7"));
	g_assert_cmpuint(uucp_count(fx), ==, 2);
}

/* An alias that expands to a remote address: the result goes through
 * the route and is remembered beside its original. */
static void
test_remote_alias(Fixture *fx, gconstpointer data)
{
	g_autofree char *aliases = g_strdup_printf("list: far@uucp.example, %s\n", fx->user);
	g_autofree char *conf = NULL, *uid = NULL, *h = NULL;
	MmDeliverReport report;

	write_file(fx->dir, "aliases", aliases, 0644);
	write_uucp_route(fx, "uucp", NULL);
	set_code(fx, 75);
	conf = g_strdup_printf("alias_file = \"%s/aliases\"\npermanent_routes = \"%s/uucp.route\"\n",
	                       fx->dir, fx->dir);
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", "list@localhost", "to the list\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.deferred, ==, 1);
	h = header_file(fx, uid);
	g_assert_nonnull(strstr(h, "\nRT: <list@localhost>\n"));

	g_autofree char *code = g_build_filename(fx->out, "code", NULL);
	g_assert_cmpint(g_unlink(code), ==, 0);
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_true(report.removed);
	g_assert_cmpuint(mbox_count(fx->mailbox), ==, 1);
	g_assert_cmpuint(uucp_count(fx), ==, 2);
}

typedef struct {
	const char *label;
	const char *conf;     /* @DIR@: the fixture's directory */
	const char *only;
	int code;             /* MM_ERROR code, or -1 for success */
	guint delivered;      /* through the permanent route afterwards */
} OnlineCase;

static const OnlineCase online_cases[] = {
	{ "permanent", "permanent_routes = \"@DIR@/uucp.route\"\n", NULL, -1, 1 },
	{ "only-unknown", "permanent_routes = \"@DIR@/uucp.route\"\n", "nosuch", MM_ERROR_NOT_FOUND, 0 },
	{ "only-skips-permanent",
	  "permanent_routes = \"@DIR@/uucp.route\"\nquery_routes.isp = \"@DIR@/none.route\"\n", "isp", -1, 0 },
	{ "broken-route-file", "permanent_routes = \"@DIR@/broken.route\"\n", NULL, MM_ERROR_CONFIG, 0 },
	{ "online-query-missing",
	  "permanent_routes = \"@DIR@/uucp.route\"\nonline_query = \"@DIR@/no-such-command\"\n", NULL, -1, 1 },
	{ "online-query-names-isp",
	  "query_routes.isp = \"@DIR@/uucp.route\"\nonline_query = \"/bin/echo isp\"\n", NULL, -1, 1 },
	{ "online-query-offline",
	  "query_routes.isp = \"@DIR@/uucp.route\"\nonline_query = /bin/false\n", NULL, -1, 0 },
};

/* Which routes a run gets, and which errors stop it. */
static void
test_remote_use_online(Fixture *fx, gconstpointer data)
{
	const OnlineCase *c = data;
	g_auto(GStrv) parts = g_strsplit(c->conf, "@DIR@", -1);
	g_autofree char *conf = g_strjoinv(fx->dir, parts);
	g_autofree char *uid = NULL;
	g_autoptr(GError) error = NULL;
	MmOnlineRequest req = { .only = c->only };
	MmDeliverReport report;
	gboolean ok;

	write_uucp_route(fx, "uucp", NULL);
	write_file(fx->dir, "broken.route", "no_such_option = 1\n", 0644);
	write_file(fx->dir, "none.route", "allowed_recipients = \"*@nowhere.example\"\n", 0644);
	fixture_conf(fx, conf);
	ok = mm_deliver_run_use_online(fx->run, &req, &error);
	if (c->code >= 0) {
		g_assert_error(error, MM_ERROR, c->code);
		g_assert_false(ok);
		return;
	}
	g_assert_no_error(error);
	g_assert_true(ok);
	uid = queue(fx, "sender@remote.example", "far@uucp.example", "which route\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, c->delivered);
	g_assert_cmpuint(uucp_count(fx), ==, c->delivered);
}

/* A route file that does not load, found by the run itself (the
 * sendmail command line): the local part is delivered, the remote one
 * waits, and the message is not harmed. */
static void
test_remote_lookup_error(Fixture *fx, gconstpointer data)
{
	g_autofree char *conf = g_strdup_printf("permanent_routes = \"%s/broken.route\"\n", fx->dir);
	g_autofree char *rcpts = g_strdup_printf("far@uucp.example %s@localhost", fx->user);
	g_autofree char *uid = NULL, *h = NULL;
	MmDeliverReport report;

	write_file(fx->dir, "broken.route", "no_such_option = 1\n", 0644);
	fixture_conf(fx, conf);
	uid = queue(fx, "sender@remote.example", rcpts, "half\n");
	deliver(fx, uid, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.waiting, ==, 1);
	h = header_file(fx, uid);
	g_assert_nonnull(strstr(h, "\nRT: <far@uucp.example>\n"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(method_cases); i++) {
		g_autofree char *path = g_strdup_printf("/deliver/method/%s", method_cases[i].label);
		g_test_add_data_func(path, &method_cases[i], test_method);
	}
	g_test_add_func("/deliver/method/maildir", test_method_maildir);
	for (gsize i = 0; i < G_N_ELEMENTS(ids_cases); i++) {
		g_autofree char *path = g_strdup_printf("/deliver/ids/%s", ids_cases[i].label);
		g_test_add_data_func(path, &ids_cases[i], test_ids);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(gid_cases); i++) {
		g_autofree char *path = g_strdup_printf("/deliver/mailbox-gid/%s", gid_cases[i].label);
		g_test_add_data_func(path, &gid_cases[i], test_mailbox_gid);
	}
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/deliver/message/local-mbox", test_local_mbox);
	ADD("/deliver/message/local-maildir", test_local_maildir);
	ADD("/deliver/message/remote-waits", test_remote_waits);
	ADD("/deliver/message/alias-partial", test_alias_partial);
	ADD("/deliver/message/alias-botched", test_alias_botched);
	ADD("/deliver/message/bounce-not-bounced", test_bounce_not_bounced);
	ADD("/deliver/message/warning-then-failure", test_warning_then_failure);
	ADD("/deliver/message/log-user", test_log_user);
	ADD("/deliver/message/alias-file-errors", test_alias_file_errors);
	ADD("/queue/run/oldest-first-locked-skipped", test_queue_run);
	for (gsize i = 0; i < G_N_ELEMENTS(remote_cases); i++) {
		g_autofree char *path = g_strdup_printf("/deliver/remote/outcome/%s", remote_cases[i].label);
		g_test_add(path, Fixture, &remote_cases[i], fixture_setup, test_remote_outcome,
		           fixture_teardown);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(online_cases); i++) {
		g_autofree char *path = g_strdup_printf("/deliver/remote/use-online/%s", online_cases[i].label);
		g_test_add(path, Fixture, &online_cases[i], fixture_setup, test_remote_use_online,
		           fixture_teardown);
	}
	ADD("/deliver/remote/no-local", test_remote_no_local);
	ADD("/deliver/remote/set-routes", test_remote_set_routes);
	ADD("/deliver/remote/warn-then-fail", test_remote_warn_fail);
	ADD("/deliver/remote/alias", test_remote_alias);
	ADD("/deliver/remote/lookup-error", test_remote_lookup_error);
#undef ADD
	return g_test_run();
}
