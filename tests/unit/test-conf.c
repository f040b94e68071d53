/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * masqmail.conf(5): defaults, every syntax feature and value type,
 * included list files, host_name from a file, the limits, broken files
 * rejected with the right file and line, and the man page listing
 * every keyword.
 */
#include "config.h"

#include "testlib.h"

#include <sys/stat.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "conf/conf.h"

#define FIXTURES MM_TEST_SRCDIR "/tests/fixtures/conf"

/* A temporary directory per test, removed afterwards. */
typedef struct {
	char *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = mm_test_make_dir("mm-conf");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	mm_test_remove_tree(f->dir);
	g_assert_false(g_file_test(f->dir, G_FILE_TEST_EXISTS));
	g_free(f->dir);
}

static char *
write_file(Fixture *f, const char *name, const char *content)
{
	return mm_test_write_file(f->dir, name, content);
}

/* The value of option @name in @conf, formatted as the parser does. */
static char *
value_of(const MmConf *conf, const char *name)
{
	gsize n;
	const MmConfKeyword *table = mm_conf_keywords(&n);
	const MmConfKeyword *kw = mm_conf_table_lookup(table, n, name);
	if (kw == NULL && g_str_has_suffix(name, "."))
		for (gsize i = 0; i < n; i++)
			if (strcmp(table[i].name, name) == 0)
				kw = &table[i];
	g_assert_nonnull(kw);
	return mm_conf_format_value(kw, conf);
}

static MmConf *
load_text(const char *text, GError **error)
{
	return mm_conf_load_data(text, strlen(text), "test.conf", error);
}

/* ---- defaults ---------------------------------------------------- */

typedef struct {
	const char *option;
	const char *expected;
} Default;

/* masqmail 1.0's defaults, with the directories of configure. */
static const Default defaults[] = {
	{ "run_as_user", "false" },
	{ "use_syslog", "false" },
	{ "debug_level", "0" },
	{ "log_dir", MM_LOG_DIR },
	{ "pid_dir", MM_PID_DIR },
	{ "mail_dir", MM_MAIL_DIR },
	{ "spool_dir", MM_SPOOL_DIR },
	{ "lock_dir", MM_LOCK_DIR },
	{ "host_name", "" },
	{ "local_hosts", "localhost" },
	{ "local_addresses", "" },
	{ "not_local_addresses", "" },
	{ "listen_addresses", "localhost:25" },
	{ "do_save_envelope_to", "false" },
	{ "do_relay", "true" },
	{ "do_queue", "false" },
	{ "permanent_routes", "" },
	{ "query_routes.", "" },
	{ "alias_file", "" },
	{ "globalias_file", "" },
	{ "caseless_matching", "false" },
	{ "pipe_fromline", "false" },
	{ "pipe_fromhack", "false" },
	{ "mbox_default", "mbox" },
	{ "mbox_users", "" },
	{ "mda_users", "" },
	{ "maildir_users", "" },
	{ "mda", "" },
	{ "mda_fromline", "false" },
	{ "mda_fromhack", "false" },
	{ "online_query", "" },
	{ "errmsg_file", MM_DATADIR "/tpl/failmsg.tpl" },
	{ "warnmsg_file", MM_DATADIR "/tpl/warnmsg.tpl" },
	{ "warn_intervals", "1h;4h;8h;1d;2d;3d" },
	{ "max_defer_time", "4d" },
	{ "log_user", "" },
	{ "max_msg_size", "0" },
	{ "defer_all", "false" },
	/* the SMTP server, new in this version */
	{ "tls_cert_file", "" },
	{ "tls_key_file", "" },
	{ "tls_ca_file", "" },
	{ "tls_priority", "" },
	{ "auth_secrets_file", "" },
	{ "relay_networks", "" },
	{ "smtp_max_recipients", "100" },
	{ "smtp_max_errors", "20" },
	{ "smtp_max_sessions", "50" },
	{ "smtp_max_sessions_per_client", "10" },
	{ "smtp_command_timeout", "5m" },
	{ "smtp_data_timeout", "3m" },
	{ "smtp_greeting_delay", "0s" },
};

static void
test_defaults_each(void)
{
	g_autoptr(MmConf) conf = mm_conf_new_default();
	for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++) {
		g_autofree char *got = value_of(conf, defaults[i].option);
		g_test_message("%s = %s", defaults[i].option, got);
		g_assert_cmpstr(got, ==, defaults[i].expected);
	}
	g_assert_cmpint(g_array_index(conf->warn_intervals, gint64, 0), ==, 3600);
	g_assert_cmpint(conf->max_defer_time, ==, 4 * 24 * 3600);
	g_assert_null(conf->file);
}

static void
test_defaults_cover_table(void)
{
	gsize n;
	const MmConfKeyword *table = mm_conf_keywords(&n);
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(defaults));
	for (gsize i = 0; i < n; i++) {
		gboolean found = FALSE;
		for (gsize j = 0; j < G_N_ELEMENTS(defaults); j++)
			found |= strcmp(defaults[j].option, table[i].name) == 0;
		if (!found)
			g_test_message("no default test for %s", table[i].name);
		g_assert_true(found);
	}
}

static void
test_defaults_after_load(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text("host_name = mail.example.org\n", &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++) {
		if (strcmp(defaults[i].option, "host_name") == 0 ||
		    strcmp(defaults[i].option, "local_hosts") == 0)
			continue;
		g_autofree char *got = value_of(conf, defaults[i].option);
		g_assert_cmpstr(got, ==, defaults[i].expected);
	}
	g_assert_cmpstr(conf->file, ==, "test.conf");
}

typedef struct {
	const char *label;
	const char *host_name;
	const char *local_hosts;
} LocalHostsCase;

static const LocalHostsCase local_hosts_cases[] = {
	{ "fqdn", "mail.example.org", "localhost;mail;mail.example.org" },
	{ "single-label", "laptop", "localhost;laptop" },
	{ "localhost", "localhost", "localhost" },
	{ "address-literal", "[192.0.2.1]", "localhost;[192.0.2.1]" },
};

static void
test_defaults_local_hosts(gconstpointer data)
{
	const LocalHostsCase *c = data;
	g_autofree char *text = g_strdup_printf("host_name = \"%s\"\n", c->host_name);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	g_assert_no_error(error);
	g_autofree char *got = value_of(conf, "local_hosts");
	g_assert_cmpstr(got, ==, c->local_hosts);
}

static void
test_defaults_local_hosts_explicit(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text("host_name = a.example.org\nlocal_hosts = \"\"\n", &error);
	g_assert_no_error(error);
	/* set to nothing stays nothing: the default is only for "not set" */
	g_assert_nonnull(conf->local_hosts);
	g_assert_null(conf->local_hosts[0]);
}

/* ---- syntax and value types ------------------------------------- */

typedef struct {
	const char *label;
	const char *text;    /* appended to "host_name = h.example\n" */
	const char *option;
	const char *expected;
} ValueCase;

static const ValueCase value_cases[] = {
	/* syntax */
	{ "unquoted", "mail_dir = /var/mail\n", "mail_dir", "/var/mail" },
	{ "quoted", "mail_dir = \"/var/mail\"\n", "mail_dir", "/var/mail" },
	{ "no-spaces", "mail_dir=/srv/mail\n", "mail_dir", "/srv/mail" },
	{ "tabs", "\tmail_dir\t=\t/srv/mail\t\n", "mail_dir", "/srv/mail" },
	{ "comment-after-value", "mail_dir = /srv/mail # where mail goes\n", "mail_dir", "/srv/mail" },
	{ "comment-after-quote", "mail_dir = \"/srv/mail\"# where\n", "mail_dir", "/srv/mail" },
	{ "hash-inside-quotes", "mda = \"/bin/echo #not a comment\"\n", "mda", "/bin/echo #not a comment" },
	{ "comment-lines", "# mail_dir = /nowhere\n  # indented comment\nmail_dir = /srv/mail\n", "mail_dir",
	  "/srv/mail" },
	{ "blank-lines", "\n\n   \n\t\nmail_dir = /srv/mail\n\n", "mail_dir", "/srv/mail" },
	{ "crlf", "mail_dir = /srv/mail\r\ndo_queue = yes\r\n", "do_queue", "true" },
	{ "no-final-newline", "do_queue = yes", "do_queue", "true" },
	{ "later-wins", "do_queue = yes\ndo_queue = no\n", "do_queue", "false" },
	{ "escape-quote", "mda = \"/bin/echo \\\"a b\\\"\"\n", "mda", "/bin/echo \"a b\"" },
	{ "escape-backslash", "mda = \"/bin/echo a\\\\b\"\n", "mda", "/bin/echo a\\b" },
	{ "escape-other", "mda = \"/bin/echo \\$HOME\"\n", "mda", "/bin/echo $HOME" },
	{ "multi-line-quoted", "local_addresses = \"a@example.org;\n    b@example.org;\n    c@example.org\"\n",
	  "local_addresses", "a@example.org;b@example.org;c@example.org" },
	{ "multi-line-break-removed", "mda = \"/usr/bin/procmail\n -d x\"\n", "mda", "/usr/bin/procmail -d x" },
	{ "escaped-newline", "mda = \"/bin/echo \\\nx\"\n", "mda", "/bin/echo x" },
	{ "empty-value", "mda =\n", "mda", "" },
	{ "empty-quoted", "mda = \"\"\n", "mda", "" },
	{ "unquoted-other-chars", "local_hosts = localhost;*.lan;host?\n", "local_hosts", "localhost;*.lan;host?" },
	/* booleans */
	{ "bool-on", "do_queue = on\n", "do_queue", "true" },
	{ "bool-yes", "do_queue = yes\n", "do_queue", "true" },
	{ "bool-true", "do_queue = true\n", "do_queue", "true" },
	{ "bool-upper", "do_queue = TRUE\n", "do_queue", "true" },
	{ "bool-off", "do_relay = off\n", "do_relay", "false" },
	{ "bool-no", "do_relay = no\n", "do_relay", "false" },
	{ "bool-false", "do_relay = \"false\"\n", "do_relay", "false" },
	/* numbers */
	{ "int", "debug_level = 6\n", "debug_level", "6" },
	{ "int-max", "debug_level = 9\n", "debug_level", "9" },
	{ "size", "max_msg_size = 52428800\n", "max_msg_size", "52428800" },
	/* times */
	{ "time-seconds", "max_defer_time = 90s\n", "max_defer_time", "90s" },
	{ "time-no-unit", "max_defer_time = 120\n", "max_defer_time", "2m" },
	{ "time-minutes", "max_defer_time = 30m\n", "max_defer_time", "30m" },
	{ "time-hours", "max_defer_time = 36h\n", "max_defer_time", "36h" },
	{ "time-days", "max_defer_time = 14d\n", "max_defer_time", "2w" },
	{ "time-weeks", "max_defer_time = 1w\n", "max_defer_time", "1w" },
	{ "time-zero", "max_defer_time = 0m\n", "max_defer_time", "0s" },
	{ "time-list", "warn_intervals = \"30m; 1h ;2d\"\n", "warn_intervals", "30m;1h;2d" },
	{ "time-list-empty", "warn_intervals = \"\"\n", "warn_intervals", "" },
	/* lists */
	{ "list-spaces", "mbox_users = \" alice ; bob \"\n", "mbox_users", "alice;bob" },
	{ "list-empty-items", "mbox_users = \";alice;;bob;\"\n", "mbox_users", "alice;bob" },
	{ "list-single", "mbox_users = alice\n", "mbox_users", "alice" },
	{ "list-replaced", "mbox_users = alice\nmbox_users = bob\n", "mbox_users", "bob" },
	{ "listen-v6", "listen_addresses = \"[::1]:2525;::1;0.0.0.0\"\n", "listen_addresses",
	  "[::1]:2525;::1;0.0.0.0" },
	/* choices, paths, commands, addresses */
	{ "choice-case", "mbox_default = MDA\n", "mbox_default", "mda" },
	{ "path", "alias_file = /etc/aliases\n", "alias_file", "/etc/aliases" },
	{ "command", "online_query = \"/bin/echo isp\"\n", "online_query", "/bin/echo isp" },
	{ "address", "log_user = archive@example.org\n", "log_user", "archive@example.org" },
	{ "address-unqualified", "log_user = archive\n", "log_user", "archive" },
	/* route lists */
	{ "permanent-routes", "permanent_routes = \"/etc/a.route; /etc/b.route\"\n", "permanent_routes",
	  "/etc/a.route;/etc/b.route" },
	{ "query-routes-order",
	  "query_routes.zeta = /z.route\nquery_routes.alpha = \"/a1.route;/a2.route\"\n", "query_routes.",
	  "zeta=/z.route;alpha=/a1.route,/a2.route" },
	{ "query-routes-replaced", "query_routes.a = /1\nquery_routes.b = /2\nquery_routes.a = /3\n",
	  "query_routes.", "a=/3;b=/2" },
	/* host_name */
	{ "host-name", "host_name = other.example\n", "host_name", "other.example" },
};

static void
test_value(gconstpointer data)
{
	const ValueCase *c = data;
	g_autofree char *text = g_strconcat("host_name = h.example\n", c->text, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	g_assert_no_error(error);
	g_autofree char *got = value_of(conf, c->option);
	g_assert_cmpstr(got, ==, c->expected);
}

static void
test_good_all_options(void)
{
	static const Default expected[] = {
		{ "run_as_user", "true" },
		{ "use_syslog", "true" },
		{ "debug_level", "5" },
		{ "log_dir", "/tmp/mm/log" },
		{ "pid_dir", "/tmp/mm/run" },
		{ "mail_dir", "/tmp/mm/mail" },
		{ "spool_dir", "/tmp/mm/spool" },
		{ "lock_dir", "/tmp/mm/lock" },
		{ "host_name", "laptop.example.org" },
		{ "local_hosts", "localhost;laptop;laptop.example.org;*.lan" },
		{ "local_addresses", "alice@example.org;bob@example.org" },
		{ "not_local_addresses", "eric@example.org" },
		{ "listen_addresses", "localhost:2525;127.0.0.1:25;[::1]:587" },
		{ "do_save_envelope_to", "true" },
		{ "do_relay", "false" },
		{ "do_queue", "true" },
		{ "permanent_routes", "/etc/masqmail/lan.route;/etc/masqmail/uucp.route" },
		{ "query_routes.",
		  "isp=/etc/masqmail/isp.route;work=/etc/masqmail/work.route,/etc/masqmail/work-fallback.route" },
		{ "alias_file", "/etc/aliases" },
		{ "globalias_file", "/etc/masqmail/globalias" },
		{ "caseless_matching", "true" },
		{ "pipe_fromline", "true" },
		{ "pipe_fromhack", "true" },
		{ "mbox_default", "mda" },
		{ "mbox_users", "carol;dave" },
		{ "mda_users", "alice" },
		{ "maildir_users", "erin" },
		{ "mda", "/usr/bin/procmail -Y -d ${rcpt_local}" },
		{ "mda_fromline", "true" },
		{ "mda_fromhack", "true" },
		{ "online_query", "/bin/cat /run/masqmail/route" },
		{ "errmsg_file", "/etc/masqmail/tpl/failmsg.tpl" },
		{ "warnmsg_file", "/etc/masqmail/tpl/warnmsg.tpl" },
		{ "warn_intervals", "30m;2h;1d;1w" },
		{ "max_defer_time", "1w" },
		{ "log_user", "archive@example.org" },
		{ "max_msg_size", "10000000" },
		{ "defer_all", "true" },
		{ "tls_cert_file", "/etc/masqmail/tls/cert.pem" },
		{ "tls_key_file", "/etc/masqmail/tls/key.pem" },
		{ "tls_ca_file", "/etc/masqmail/tls/ca.pem" },
		{ "tls_priority", "SECURE256:-VERS-TLS1.0" },
		{ "auth_secrets_file", "/etc/masqmail/smtp-secrets" },
		{ "relay_networks", "127.0.0.0/8;192.168.1.0/24;::1" },
		{ "smtp_max_recipients", "200" },
		{ "smtp_max_errors", "5" },
		{ "smtp_max_sessions", "20" },
		{ "smtp_max_sessions_per_client", "4" },
		{ "smtp_command_timeout", "10m" },
		{ "smtp_data_timeout", "5m" },
		{ "smtp_greeting_delay", "2s" },
	};
	gsize n;
	mm_conf_keywords(&n);
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(expected));

	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load(FIXTURES "/good-all-options.conf", &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *got = value_of(conf, expected[i].option);
		g_assert_cmpstr(got, ==, expected[i].expected);
	}
	g_assert_cmpstr(conf->file, ==, FIXTURES "/good-all-options.conf");

	const char *const *files = mm_conf_query_route_files(conf, "work");
	g_assert_nonnull(files);
	g_assert_cmpstr(files[0], ==, "/etc/masqmail/work.route");
	g_assert_cmpstr(files[1], ==, "/etc/masqmail/work-fallback.route");
	g_assert_null(files[2]);
	g_assert_null(mm_conf_query_route_files(conf, "nosuch"));
}

static void
test_example_conf(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load(MM_TEST_SRCDIR "/conf/masqmail.conf", &error);
	g_assert_no_error(error);
	g_assert_nonnull(conf->host_name);
}

static void
test_locality(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text("host_name = h.example\n"
	                                   "local_addresses = a@x.example\n"
	                                   "not_local_addresses = \"b@h.example;c@h.example\"\n"
	                                   "caseless_matching = yes\n",
	                                   &error);
	g_assert_no_error(error);
	MmLocality loc;
	mm_conf_locality(conf, &loc);
	g_assert_true(loc.host_name == conf->host_name);
	g_assert_cmpstr(loc.local_hosts[2], ==, "h.example");
	g_assert_cmpstr(loc.local_addresses[0], ==, "a@x.example");
	g_assert_cmpstr(loc.not_local_addresses[1], ==, "c@h.example");
	g_assert_true(loc.caseless_matching);
}

/* ---- included list files ---------------------------------------- */

static void
test_include_basic(Fixture *f, gconstpointer data)
{
	g_autofree char *list = write_file(f, "locals",
	                                   "# local people\n"
	                                   "carol@example.org\n"
	                                   "\n"
	                                   "   dave@example.org   \n"
	                                   "eve@example.org; still one item\n");
	g_autofree char *text = g_strdup_printf("host_name = h.example\n"
	                                        "local_addresses = \"alice@example.org;%s;zed@example.org\"\n",
	                                        list);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	g_assert_no_error(error);
	g_autofree char *got = value_of(conf, "local_addresses");
	g_assert_cmpstr(got, ==,
	                "alice@example.org;carol@example.org;dave@example.org;"
	                "eve@example.org; still one item;zed@example.org");
}

static void
test_include_nested(Fixture *f, gconstpointer data)
{
	g_autofree char *inner = write_file(f, "inner", "30m\n");
	g_autofree char *middle_text = g_strdup_printf("1m\n%s\n2d\n", inner);
	g_autofree char *middle = write_file(f, "middle", middle_text);
	g_autofree char *text = g_strdup_printf("host_name = h.example\nwarn_intervals = \"%s;1w\"\n", middle);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	g_assert_no_error(error);
	g_autofree char *got = value_of(conf, "warn_intervals");
	g_assert_cmpstr(got, ==, "1m;30m;2d;1w");
}

static void
test_include_depth(Fixture *f, gconstpointer data)
{
	/* level MM_CONF_INCLUDE_DEPTH_MAX is fine, one more is not */
	for (int extra = 0; extra <= 1; extra++) {
		int levels = MM_CONF_INCLUDE_DEPTH_MAX + extra;
		g_autofree char *prev = write_file(f, "level-last", "alice\n");
		for (int i = levels - 1; i >= 1; i--) {
			g_autofree char *name = g_strdup_printf("level-%d", i);
			g_autofree char *content = g_strdup_printf("# level %d\n%s\n", i, prev);
			g_free(prev);
			prev = write_file(f, name, content);
		}
		g_autofree char *text = g_strdup_printf("host_name = h.example\nmbox_users = %s\n", prev);
		g_autoptr(GError) error = NULL;
		g_autoptr(MmConf) conf = load_text(text, &error);
		if (extra == 0) {
			g_assert_no_error(error);
			g_assert_cmpstr(conf->mbox_users[0], ==, "alice");
		} else {
			g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
			/* blamed on the line of the deepest include that was too many */
			g_autofree char *where = g_strdup_printf("%s/level-%d:2: ", f->dir, levels - 1);
			g_assert_true(g_str_has_prefix(error->message, where));
			g_assert_nonnull(strstr(error->message, "nested"));
		}
	}
}

static void
test_include_loop(Fixture *f, gconstpointer data)
{
	g_autofree char *self = g_build_filename(f->dir, "self", NULL);
	g_autofree char *content = g_strdup_printf("a\n%s\n", self);
	g_autofree char *written = write_file(f, "self", content);
	g_autofree char *text = g_strdup_printf("host_name = h.example\nmbox_users = %s\n", self);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	g_assert_null(conf);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "nested"));
}

static void
test_include_error_in_file(Fixture *f, gconstpointer data)
{
	g_autofree char *list = write_file(f, "times", "1h\n# fine\n\n4 days\n");
	g_autofree char *text = g_strdup_printf("host_name = h.example\nwarn_intervals = %s\n", list);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_autofree char *where = g_strdup_printf("%s:4: ", list);
	g_assert_true(g_str_has_prefix(error->message, where));
}

static void
test_include_not_for_routes(Fixture *f, gconstpointer data)
{
	/* route lists name route files; they are never read as lists */
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text("host_name = h.example\n"
	                                   "permanent_routes = /nonexistent/lan.route\n"
	                                   "query_routes.isp = /nonexistent/isp.route\n",
	                                   &error);
	g_assert_no_error(error);
	g_assert_cmpstr(conf->permanent_routes[0], ==, "/nonexistent/lan.route");
}

/* ---- host_name from a file -------------------------------------- */

typedef struct {
	const char *label;
	const char *content; /* NULL: no file */
	const char *expected; /* NULL: an error with this word */
	const char *word;
} HostFileCase;

static const HostFileCase host_file_cases[] = {
	{ "first-line", "mail.example.org\nsecond.example.org\n", "mail.example.org", NULL },
	{ "no-newline", "mail.example.org", "mail.example.org", NULL },
	{ "spaces", "  mail.example.org \t\n", "mail.example.org", NULL },
	{ "empty", "", NULL, "not a host name" },
	{ "garbage", "root:x:0:0:root\n", NULL, "not a host name" },
	{ "missing", NULL, NULL, "cannot open" },
};

static void
test_host_name_file(Fixture *f, gconstpointer data)
{
	const HostFileCase *c = data;
	g_autofree char *path = c->content != NULL ? write_file(f, "mailname", c->content)
	                                           : g_build_filename(f->dir, "mailname", NULL);
	g_autofree char *text = g_strdup_printf("# from a file\nhost_name = %s\n", path);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = load_text(text, &error);
	if (c->expected != NULL) {
		g_assert_no_error(error);
		g_assert_cmpstr(conf->host_name, ==, c->expected);
	} else {
		g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
		g_assert_true(g_str_has_prefix(error->message, "test.conf:2: host_name: "));
		g_assert_nonnull(strstr(error->message, c->word));
		/* the content of an arbitrary file is not echoed */
		g_assert_null(strstr(error->message, "root:x"));
	}
}

/* ---- limits ----------------------------------------------------- */

static void
test_limit_line_length(void)
{
	for (int over = 0; over <= 1; over++) {
		gsize len = MM_CONF_LINE_MAX + over;
		/* line 2 is exactly len bytes without its newline */
		GString *line = g_string_new("mda = \"/bin/echo ");
		while (line->len < len - 1)
			g_string_append_c(line, 'x');
		g_string_append_c(line, '"');
		g_assert_cmpuint(line->len, ==, len);
		GString *s = g_string_new("host_name = h.example\n");
		g_string_append_printf(s, "%s\n", line->str);
		g_string_free(line, TRUE);
		g_autoptr(GError) error = NULL;
		g_autoptr(MmConf) conf = mm_conf_load_data(s->str, s->len, "long.conf", &error);
		if (over == 0) {
			g_assert_no_error(error);
			g_assert_cmpuint(strlen(conf->mda), ==, MM_CONF_LINE_MAX - strlen("mda = \"\""));
		} else {
			g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
			g_assert_true(g_str_has_prefix(error->message, "long.conf:2: line is longer"));
		}
		g_string_free(s, TRUE);
	}
}

static void
test_limit_file_size(void)
{
	gsize len = MM_CONF_FILE_MAX + 1;
	g_autofree char *text = g_malloc(len);
	memset(text, '\n', len);
	memcpy(text, "host_name = h.example\n", strlen("host_name = h.example\n"));
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data(text, len, "big.conf", &error);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message, "big.conf:0: larger than"));
	g_clear_error(&error);
	g_autoptr(MmConf) ok = mm_conf_load_data(text, len - 1, "big.conf", &error);
	g_assert_no_error(error);
}

static void
test_limit_file_size_on_disk(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "big.conf", NULL);
	FILE *fp = fopen(path, "w");
	g_assert_nonnull(fp);
	fputs("host_name = h.example\n", fp);
	for (gsize i = 0; i < MM_CONF_FILE_MAX; i++)
		fputc('\n', fp);
	fclose(fp);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load(path, &error);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_autofree char *where = g_strdup_printf("%s:0: cannot read: ", path);
	g_assert_true(g_str_has_prefix(error->message, where));
}

static void
test_limit_nul(void)
{
	static const char text[] = "host_name = h.example\nmda = /bin/true\0x\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data(text, sizeof text - 1, "nul.conf", &error);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_cmpstr(error->message, ==, "nul.conf:2: NUL byte in the file");
}

static void
test_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load("/nonexistent/masqmail-test/masqmail.conf", &error);
	g_assert_null(conf);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message, "/nonexistent/masqmail-test/masqmail.conf:0: cannot read"));
}

/* ---- broken files ----------------------------------------------- */

typedef struct {
	const char *fixture;
	guint line;
	const char *word;
} BrokenCase;

static const BrokenCase broken_cases[] = {
	{ "unknown-option.conf", 4, "unknown option 'no_such_option'" },
	{ "bad-boolean.conf", 4, "not a boolean" },
	{ "bad-time.conf", 2, "not a time" },
	{ "bad-number.conf", 3, "not a number" },
	{ "out-of-range.conf", 2, "out of range" },
	{ "missing-equals.conf", 3, "missing '='" },
	{ "unterminated-quote.conf", 2, "unterminated" },
	{ "missing-host-name.conf", 0, "host_name is not set" },
	{ "missing-include.conf", 2, "cannot include" },
	{ "bad-warn-interval.conf", 4, "not a time" },
	{ "relative-path.conf", 2, "absolute path" },
	{ "bad-listen-address.conf", 2, "host with an optional port" },
	{ "bad-log-user.conf", 3, "not a mail address" },
	{ "bad-mbox-default.conf", 2, "not one of" },
	{ "text-after-value.conf", 3, "unexpected '-d ${rcpt_local}'" },
	{ "bad-query-route.conf", 3, "query_routes.work: 'work.route' is not an absolute path" },
	{ "bad-host-name.conf", 2, "not a host name" },
	{ "quote-in-unquoted.conf", 2, "quote the whole value" },
	{ "bad-command.conf", 2, "not a command line" },
	{ "bad-option-name.conf", 2, "expected an option name" },
	{ "bad-max-msg-size.conf", 2, "not a number" },
	{ "missing-mailname.conf", 1, "cannot open" },
	{ "text-after-quote.conf", 2, "after the closing quote" },
};

static void
test_broken(gconstpointer data)
{
	const BrokenCase *c = data;
	g_autofree char *path = g_build_filename(FIXTURES, c->fixture, NULL);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load(path, &error);
	g_assert_null(conf);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_test_message("%s", error->message);
	g_autofree char *where = g_strdup_printf("%s:%u: ", path, c->line);
	g_assert_true(g_str_has_prefix(error->message, where));
	g_assert_nonnull(strstr(error->message, c->word));
}

/* ---- SMTP server options ----------------------------------------- */

typedef struct {
	const char *label;
	const char *text;
	const char *error; /* NULL: loads */
} ServerCase;

static const ServerCase server_cases[] = {
	{ "relay-networks", "relay_networks = \"127.0.0.1/32; 10.1.0.0/16; ::1; 2001:db8::/32\"\n", NULL },
	{ "relay-network-bad", "relay_networks = \"192.168.1.0/24; lan\"\n",
	  "server.conf:0: relay_networks: \"lan\" is not an address" },
	{ "relay-network-bad-prefix", "relay_networks = \"10.0.0.0/33\"\n", "relay_networks" },
	/* GLib would warn (fatal here) instead of failing on these */
	{ "relay-network-prefix-beyond-ipv6", "relay_networks = \"10.0.0.0/981\"\n", "relay_networks" },
	{ "relay-network-prefix-wraps", "relay_networks = \"::1/4294967425\"\n", "relay_networks" },
	{ "relay-network-prefix-empty", "relay_networks = \"10.0.0.0/\"\n", "relay_networks" },
	{ "relay-network-prefix-ipv6-max", "relay_networks = \"2001:db8::1/128\"\n", NULL },
	{ "tls-pair", "tls_cert_file = /etc/c.pem\ntls_key_file = /etc/k.pem\n", NULL },
	{ "tls-cert-alone", "tls_cert_file = /etc/c.pem\n", "must be set together" },
	{ "recipients-below-rfc", "smtp_max_recipients = 99\n", "out of range" },
	{ "timeout-zero", "smtp_command_timeout = 0\n", "out of range" },
};

static void
test_server_options(gconstpointer data)
{
	const ServerCase *c = data;
	g_autofree char *text = g_strdup_printf("host_name = h.example\n%s", c->text);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data(text, strlen(text), "server.conf", &error);

	if (!c->error) {
		g_assert_no_error(error);
		g_assert_nonnull(conf);
		return;
	}
	g_assert_null(conf);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, c->error));
}

/* ---- documentation ---------------------------------------------- */

/* Option entries of a man page are ".BI \"NAME = \" type" or, for a
 * prefix option, ".BI NAME. label ...". */
static char **
documented_options(const char *man_path)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_file_get_contents(man_path, &text, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (gsize i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];
		if (!g_str_has_prefix(l, ".BI ") || i == 0 || strcmp(lines[i - 1], ".TP") != 0)
			continue;
		l += 4;
		if (*l == '"')
			l++;
		gsize n = strspn(l, "abcdefghijklmnopqrstuvwxyz_.");
		g_ptr_array_add(names, g_strndup(l, n));
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

static void
test_documented(void)
{
	g_auto(GStrv) documented = documented_options(MM_TEST_SRCDIR "/man/masqmail.conf.5");
	gsize n;
	const MmConfKeyword *table = mm_conf_keywords(&n);
	for (gsize i = 0; i < n; i++) {
		if (!g_strv_contains((const char *const *)documented, table[i].name))
			g_test_message("%s is not in masqmail.conf.5", table[i].name);
		g_assert_true(g_strv_contains((const char *const *)documented, table[i].name));
	}
	/* and nothing is documented that the parser does not know */
	for (gsize i = 0; documented[i] != NULL; i++) {
		if (mm_conf_table_lookup(table, n, documented[i]) == NULL &&
		    strcmp(documented[i], "query_routes.") != 0)
			g_test_message("%s is documented but not a keyword", documented[i]);
		g_assert_true(mm_conf_table_lookup(table, n, documented[i]) != NULL ||
		              strcmp(documented[i], "query_routes.") == 0);
	}
	g_assert_cmpuint(g_strv_length(documented), ==, n);
}

/* ---- value parsers ---------------------------------------------- */

typedef struct {
	const char *text;
	gint64 seconds; /* -1: an error */
} TimeCase;

static const TimeCase time_cases[] = {
	{ "0", 0 },         { "45", 45 },       { "45s", 45 },     { "30m", 1800 },  { "4h", 14400 },
	{ "4d", 345600 },   { "1w", 604800 },   { "", -1 },        { "m", -1 },      { "4x", -1 },
	{ "4dd", -1 },      { "-1h", -1 },      { "1.5h", -1 },    { " 1h", -1 },    { "1h30m", -1 },
	{ "15250284452471w", G_GINT64_CONSTANT(9223372036854460800) }, /* the largest whole weeks */
	{ "15250284452472w", -1 }, /* overflows 64 bits in seconds */
	{ "99999999999999999999", -1 },
};

static void
test_parse_time(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(time_cases); i++) {
		gint64 t = -1;
		g_autoptr(GError) error = NULL;
		gboolean ok = mm_conf_parse_time(time_cases[i].text, &t, &error);
		g_test_message("'%s'", time_cases[i].text);
		if (time_cases[i].seconds < 0) {
			g_assert_false(ok);
			g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
		} else {
			g_assert_no_error(error);
			g_assert_cmpint(t, ==, time_cases[i].seconds);
		}
	}
}

typedef struct {
	const char *text;
	const char *host; /* NULL: an error */
	guint16 port;
} HostPortCase;

static const HostPortCase host_port_cases[] = {
	{ "localhost", "localhost", 25 },
	{ "localhost:2525", "localhost", 2525 },
	{ "192.0.2.1:587", "192.0.2.1", 587 },
	{ "[::1]:465", "::1", 465 },
	{ "[::1]", "::1", 25 },
	{ "::1", "::1", 25 },
	{ "fe80::1%eth0", "fe80::1%eth0", 25 },
	{ "host:65535", "host", 65535 },
	{ "host:65536", NULL, 0 },
	{ "host:0", NULL, 0 },
	{ "host:", NULL, 0 },
	{ ":25", NULL, 0 },
	{ "host:smtp", NULL, 0 },
	{ "[::1", NULL, 0 },
	{ "[]:25", NULL, 0 },
	{ "[::1]x", NULL, 0 },
	{ "bad host", NULL, 0 },
	{ "", NULL, 0 },
};

static void
test_split_host_port(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(host_port_cases); i++) {
		const HostPortCase *c = &host_port_cases[i];
		g_autofree char *host = NULL;
		guint16 port = 0;
		g_autoptr(GError) error = NULL;
		gboolean ok = mm_conf_split_host_port(c->text, 25, &host, &port, &error);
		g_test_message("'%s'", c->text);
		if (c->host == NULL) {
			g_assert_false(ok);
			g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
		} else {
			g_assert_no_error(error);
			g_assert_cmpstr(host, ==, c->host);
			g_assert_cmpuint(port, ==, c->port);
		}
	}
}

static void
test_parse_bool(void)
{
	static const struct {
		const char *text;
		int expected; /* -1 error */
	} cases[] = {
		{ "on", 1 },  { "yes", 1 },   { "true", 1 },  { "Yes", 1 },   { "off", 0 }, { "no", 0 },
		{ "false", 0 }, { "OFF", 0 }, { "1", -1 },    { "", -1 },     { "yess", -1 }, { "nope", -1 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		gboolean b = FALSE;
		g_autoptr(GError) error = NULL;
		gboolean ok = mm_conf_parse_bool(cases[i].text, &b, &error);
		if (cases[i].expected < 0) {
			g_assert_false(ok);
			g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
		} else {
			g_assert_no_error(error);
			g_assert_cmpint(b, ==, cases[i].expected);
		}
	}
}

/* A FIFO as an included list file is refused at once, not waited on. */
static void
test_include_fifo(Fixture *f, gconstpointer data)
{
	g_autofree char *fifo = g_build_filename(f->dir, "hosts", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = NULL;

	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	text = g_strdup_printf("host_name = h.example\nlocal_hosts = \"localhost;%s\"\n", fifo);
	conf = mm_conf_load_data(text, strlen(text), "fifo.conf", &error);
	g_assert_null(conf);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "not a regular file"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/conf/defaults/each", test_defaults_each);
	g_test_add_func("/conf/defaults/cover-table", test_defaults_cover_table);
	g_test_add_func("/conf/defaults/after-load", test_defaults_after_load);
	for (gsize i = 0; i < G_N_ELEMENTS(local_hosts_cases); i++) {
		g_autofree char *path = g_strdup_printf("/conf/defaults/local-hosts/%s", local_hosts_cases[i].label);
		g_test_add_data_func(path, &local_hosts_cases[i], test_defaults_local_hosts);
	}
	g_test_add_func("/conf/defaults/local-hosts/explicit-empty", test_defaults_local_hosts_explicit);

	for (gsize i = 0; i < G_N_ELEMENTS(value_cases); i++) {
		g_autofree char *path = g_strdup_printf("/conf/parse/%s", value_cases[i].label);
		g_test_add_data_func(path, &value_cases[i], test_value);
	}
	g_test_add_func("/conf/parse/good-all-options", test_good_all_options);
	g_test_add_func("/conf/parse/example-conf", test_example_conf);
	g_test_add_func("/conf/locality", test_locality);

	g_test_add("/conf/include/basic", Fixture, NULL, fixture_setup, test_include_basic, fixture_teardown);
	g_test_add("/conf/include/fifo", Fixture, NULL, fixture_setup, test_include_fifo, fixture_teardown);
	g_test_add("/conf/include/nested", Fixture, NULL, fixture_setup, test_include_nested, fixture_teardown);
	g_test_add("/conf/include/depth", Fixture, NULL, fixture_setup, test_include_depth, fixture_teardown);
	g_test_add("/conf/include/loop", Fixture, NULL, fixture_setup, test_include_loop, fixture_teardown);
	g_test_add("/conf/include/error-in-file", Fixture, NULL, fixture_setup, test_include_error_in_file,
	           fixture_teardown);
	g_test_add("/conf/include/not-for-route-lists", Fixture, NULL, fixture_setup,
	           test_include_not_for_routes, fixture_teardown);

	for (gsize i = 0; i < G_N_ELEMENTS(host_file_cases); i++) {
		g_autofree char *path = g_strdup_printf("/conf/host-name-file/%s", host_file_cases[i].label);
		g_test_add(path, Fixture, &host_file_cases[i], fixture_setup, test_host_name_file,
		           fixture_teardown);
	}

	g_test_add_func("/conf/limit/line-length", test_limit_line_length);
	g_test_add_func("/conf/limit/file-size", test_limit_file_size);
	g_test_add("/conf/limit/file-size-on-disk", Fixture, NULL, fixture_setup, test_limit_file_size_on_disk,
	           fixture_teardown);
	g_test_add_func("/conf/limit/nul-byte", test_limit_nul);
	g_test_add_func("/conf/error/missing-file", test_missing_file);

	for (gsize i = 0; i < G_N_ELEMENTS(broken_cases); i++) {
		g_autofree char *path = g_strdup_printf("/conf/broken/%s", broken_cases[i].fixture);
		g_test_add_data_func(path, &broken_cases[i], test_broken);
	}

	for (gsize i = 0; i < G_N_ELEMENTS(server_cases); i++) {
		g_autofree char *path = g_strdup_printf("/conf/server/%s", server_cases[i].label);
		g_test_add_data_func(path, &server_cases[i], test_server_options);
	}
	g_test_add_func("/conf/doc/every-keyword-in-man-page", test_documented);

	g_test_add_func("/conf/value/time", test_parse_time);
	g_test_add_func("/conf/value/host-port", test_split_host_port);
	g_test_add_func("/conf/value/bool", test_parse_bool);

	return g_test_run();
}
