/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * masqmail.route(5): defaults, every option, the map_* syntax, broken
 * route files rejected with the right file and line, and the man page
 * listing every keyword.
 */
#include "config.h"

#include "testlib.h"

#include <glib/gstdio.h>
#include <string.h>

#include "base/error.h"
#include "conf/route.h"

#define FIXTURES MM_TEST_SRCDIR "/tests/fixtures/conf"

typedef struct {
	char *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = mm_test_make_dir("mm-route");
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

static char *
value_of(const MmRoute *route, const char *name)
{
	gsize n;
	const MmConfKeyword *table = mm_route_keywords(&n);
	const MmConfKeyword *kw = mm_conf_table_lookup(table, n, name);
	g_assert_nonnull(kw);
	return mm_conf_format_value(kw, route);
}

static MmRoute *
load_text(const char *text, GError **error)
{
	return mm_route_load_data(text, strlen(text), "test.route", error);
}

typedef struct {
	const char *option;
	const char *expected;
} Expect;

static const Expect defaults[] = {
	{ "allowed_senders", "" },
	{ "denied_senders", "" },
	{ "allowed_recipients", "" },
	{ "denied_recipients", "" },
	{ "allowed_from_hdrs", "" },
	{ "denied_from_hdrs", "" },
	{ "last_route", "false" },
	{ "connect_error_fail", "false" },
	{ "mail_host", "" },
	{ "resolve_list", "dns_mx;byname" },
	{ "helo_name", "" },
	{ "do_correct_helo", "false" },
	{ "instant_helo", "false" },
	{ "do_pipelining", "true" },
	{ "auth_name", "" },
	{ "auth_login", "" },
	{ "auth_secret", "" },
	{ "auth_secret_file", "" },
	{ "auth_allow_plaintext", "false" },
	{ "smtp_port", "25" },
	{ "wrapper", "" },
	{ "tls", "opportunistic" },
	{ "tls_verify", "true" },
	{ "tls_ca_file", "" },
	{ "tls_cert_file", "" },
	{ "tls_key_file", "" },
	{ "tls_priority", "" },
	{ "pipe", "" },
	{ "pipe_fromline", "false" },
	{ "pipe_fromhack", "false" },
	{ "map_h_from_addresses", "" },
	{ "map_h_sender_addresses", "" },
	{ "map_h_reply_to_addresses", "" },
	{ "map_h_mail_followup_to_addresses", "" },
	{ "map_return_path_addresses", "" },
	{ "map_outgoing_addresses", "" },
	{ "detect_interfaces", "ppp*;ippp*" },
	{ "detect_local_addresses", "" },
	{ "detect_peer_addresses", "" },
	{ "detect_gateways", "" },
	{ "detect_default_route", "true" },
};

static void
test_defaults(void)
{
	gsize n;
	mm_route_keywords(&n);
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(defaults));

	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = load_text("", &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++) {
		g_autofree char *got = value_of(route, defaults[i].option);
		g_test_message("%s = %s", defaults[i].option, got);
		g_assert_cmpstr(got, ==, defaults[i].expected);
	}
	g_assert_nonnull(route->allowed_senders);
	g_assert_null(route->allowed_senders[0]);
	g_assert_cmpuint(route->map_h_from_addresses->len, ==, 0);
}

static void
test_all_options(void)
{
	static const Expect expected[] = {
		{ "allowed_senders", "alice;*@example.org;<>" },
		{ "denied_senders", "mallory@*" },
		{ "allowed_recipients", "*@example.net" },
		{ "denied_recipients", "*@dialup-hostile.example" },
		{ "allowed_from_hdrs", "*@example.org" },
		{ "denied_from_hdrs", "spam@*" },
		{ "last_route", "true" },
		{ "connect_error_fail", "true" },
		{ "mail_host", "smtp.example.net:587" },
		{ "resolve_list", "byname" },
		{ "helo_name", "laptop.example.org" },
		{ "do_correct_helo", "true" },
		{ "instant_helo", "true" },
		{ "do_pipelining", "false" },
		{ "auth_name", "cram-md5" },
		{ "auth_login", "alice" },
		{ "auth_secret", "s3cret \"quoted\"" },
		/* cannot be set together with auth_secret */
		{ "auth_secret_file", "" },
		{ "auth_allow_plaintext", "true" },
		{ "smtp_port", "2525" },
		{ "wrapper", "/usr/bin/gnutls-cli --logfile=/dev/null -p 465 smtp.example.net" },
		{ "tls", "smtps" },
		{ "tls_verify", "false" },
		{ "tls_ca_file", "/etc/masqmail/ca.pem" },
		{ "tls_cert_file", "/etc/masqmail/client.pem" },
		{ "tls_key_file", "/etc/masqmail/client.key" },
		{ "tls_priority", "NORMAL:-VERS-TLS1.0" },
		{ "pipe", "/usr/bin/uux - -r gateway!rmail ($rcpt)" },
		{ "pipe_fromline", "true" },
		{ "pipe_fromhack", "true" },
		{ "map_h_from_addresses", "alice: Alice Example <alice@example.net>;bob: bob@example.net" },
		{ "map_h_sender_addresses", "alice: alice@example.net" },
		{ "map_h_reply_to_addresses", "*: *@example.net" },
		{ "map_h_mail_followup_to_addresses", "carol: \"Carol C.\" <carol@example.net>" },
		{ "map_return_path_addresses", "alice: alice@example.net;bob: <bob@example.net>" },
		{ "map_outgoing_addresses", "*: *@example.net" },
		{ "detect_interfaces", "ppp0;wwan*" },
		{ "detect_local_addresses", "10.64.0.0/10" },
		{ "detect_peer_addresses", "10.64.0.1;2001:db8::1" },
		{ "detect_gateways", "192.168.8.1" },
		{ "detect_default_route", "false" },
	};
	g_assert_cmpuint(G_N_ELEMENTS(expected), ==, G_N_ELEMENTS(defaults));
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = mm_route_load(FIXTURES "/good-all-options.route", &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *got = value_of(route, expected[i].option);
		g_assert_cmpstr(got, ==, expected[i].expected);
	}
	g_assert_cmpstr(route->name, ==, "good-all-options");
	g_assert_cmpstr(route->file, ==, FIXTURES "/good-all-options.route");
	g_assert_cmpint(route->smtp_port, ==, 2525);

	const MmConfMap *m = route->map_h_from_addresses->pdata[0];
	g_assert_cmpstr(m->pattern, ==, "alice");
	g_assert_cmpstr(m->replacement, ==, "Alice Example <alice@example.net>");
}

typedef struct {
	const char *label;
	const char *text;
	const char *option;
	const char *expected;
} ValueCase;

static const ValueCase value_cases[] = {
	{ "map-spaces", "map_h_from_addresses = \"  alice :   alice@example.net  \"\n", "map_h_from_addresses",
	  "alice: alice@example.net" },
	{ "map-glob-key", "map_return_path_addresses = \"*: *@example.net\"\n", "map_return_path_addresses",
	  "*: *@example.net" },
	{ "map-address-key", "map_return_path_addresses = \"alice@lan: alice@example.net\"\n",
	  "map_return_path_addresses", "alice@lan: alice@example.net" },
	{ "map-order", "map_h_from_addresses = \"b: b@x.example;a: a@x.example\"\n", "map_h_from_addresses",
	  "b: b@x.example;a: a@x.example" },
	{ "map-colon-in-display-name", "map_h_from_addresses = \"a: \\\"Dr: A\\\" <a@x.example>\"\n",
	  "map_h_from_addresses", "a: \"Dr: A\" <a@x.example>" },
	{ "map-angle-path", "map_return_path_addresses = \"a: <a@x.example>\"\n", "map_return_path_addresses",
	  "a: <a@x.example>" },
	{ "resolve-dns-a", "resolve_list = \"dns_mx; dns_a; byname\"\n", "resolve_list", "dns_mx;dns_a;byname" },
	{ "resolve-empty", "resolve_list = \"\"\n", "resolve_list", "" },
	{ "auth-login", "auth_name = LOGIN\n", "auth_name", "login" },
	{ "auth-plain", "auth_name = Plain\n", "auth_name", "plain" },
	{ "tls-required", "tls = REQUIRED\n", "tls", "required" },
	{ "tls-off", "tls = off\n", "tls", "off" },
	{ "auth-secret-file", "auth_secret_file = /etc/masqmail/isp.secret\n", "auth_secret_file",
	  "/etc/masqmail/isp.secret" },
	{ "mail-host-plain", "mail_host = smtp.example.net\n", "mail_host", "smtp.example.net" },
	{ "mail-host-v6", "mail_host = \"[2001:db8::1]:25\"\n", "mail_host", "[2001:db8::1]:25" },
	{ "smtp-port-min", "smtp_port = 1\n", "smtp_port", "1" },
	{ "smtp-port-max", "smtp_port = 65535\n", "smtp_port", "65535" },
	{ "senders-null", "allowed_senders = \"<>\"\n", "allowed_senders", "<>" },
};

static void
test_value(gconstpointer data)
{
	const ValueCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = load_text(c->text, &error);
	g_assert_no_error(error);
	g_autofree char *got = value_of(route, c->option);
	g_assert_cmpstr(got, ==, c->expected);
}

typedef struct {
	const char *label;
	const char *option;
	const char *item;
	const char *local_part; /* NULL: the item is refused */
	const char *domain;
	const char *display_name;
} MapCase;

static const MapCase map_cases[] = {
	{ "header-plain", "map_h_from_addresses", "a: alice@example.net", "alice", "example.net", NULL },
	{ "header-display", "map_h_from_addresses", "a: Alice Example <alice@example.net>", "alice",
	  "example.net", "Alice Example" },
	{ "header-quoted-display", "map_h_sender_addresses", "a: \\\"Example, Alice\\\" <alice@example.net>",
	  "alice", "example.net", "Example, Alice" },
	{ "header-domain-only", "map_outgoing_addresses", "*: *@example.net", "*", "example.net", NULL },
	{ "path-plain", "map_return_path_addresses", "a: alice@example.net", "alice", "example.net", NULL },
	{ "path-angle", "map_return_path_addresses", "a: <alice@example.net>", "alice", "example.net", NULL },
	{ "path-domain-only", "map_return_path_addresses", "*: *@example.net", "*", "example.net", NULL },
	{ "path-display-name", "map_return_path_addresses", "a: Alice <alice@example.net>", NULL, NULL, NULL },
	{ "path-unqualified", "map_return_path_addresses", "a: alice", NULL, NULL, NULL },
	{ "header-unqualified", "map_h_from_addresses", "a: alice", NULL, NULL, NULL },
	{ "header-two-addresses", "map_h_reply_to_addresses", "a: a@example.net, b@example.net", NULL, NULL, NULL },
	{ "header-empty-group", "map_h_reply_to_addresses", "a: friends: ;", NULL, NULL, NULL },
	{ "header-empty", "map_h_from_addresses", "a:", NULL, NULL, NULL },
	{ "header-double-at", "map_h_from_addresses", "a: alice@@example.net", NULL, NULL, NULL },
};

static void
test_map_parse(gconstpointer data)
{
	const MapCase *c = data;
	g_autofree char *text = g_strdup_printf("# a map\n%s = \"%s\"\n", c->option, c->item);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = load_text(text, &error);
	if (c->local_part == NULL) {
		g_assert_null(route);
		g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
		g_autofree char *prefix = g_strdup_printf("test.route:2: %s: ", c->option);
		g_assert_true(g_str_has_prefix(error->message, prefix));
		return;
	}
	g_assert_no_error(error);
	gsize n;
	/* two statements: the order of evaluation of arguments is unspecified */
	const MmConfKeyword *table = mm_route_keywords(&n);
	const MmConfKeyword *kw = mm_conf_table_lookup(table, n, c->option);
	GPtrArray *maps = *(GPtrArray **)((char *)route + kw->offset);
	g_assert_cmpuint(maps->len, ==, 1);
	const MmConfMap *m = maps->pdata[0];
	g_assert_nonnull(m->address);
	g_assert_cmpstr(m->address->local_part, ==, c->local_part);
	g_assert_cmpstr(m->address->domain, ==, c->domain);
	g_assert_cmpstr(m->address->display_name, ==, c->display_name);
}

static void
test_map_include(Fixture *f, gconstpointer data)
{
	g_autofree char *list = write_file(f, "hfrom.map",
	                                   "# from the LAN to the outside\n"
	                                   "john: John Smith <jsmith@mail.example.edu>\n"
	                                   "cmiller: \"Charlie Miller\" <cmiller@example.com>\n");
	g_autofree char *text = g_strdup_printf("map_h_from_addresses = \"%s; eve: eve@example.net\"\n", list);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = load_text(text, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(route->map_h_from_addresses->len, ==, 3);
	const MmConfMap *m = route->map_h_from_addresses->pdata[1];
	g_assert_cmpstr(m->pattern, ==, "cmiller");
	g_assert_cmpstr(m->replacement, ==, "\"Charlie Miller\" <cmiller@example.com>");
}

static void
test_map_include_error(Fixture *f, gconstpointer data)
{
	g_autofree char *list = write_file(f, "bad.map", "john: john@example.net\n\njane jane@example.net\n");
	g_autofree char *text = g_strdup_printf("map_h_from_addresses = %s\n", list);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = load_text(text, &error);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_autofree char *where = g_strdup_printf("%s:3: map_h_from_addresses: ", list);
	g_assert_true(g_str_has_prefix(error->message, where));
}

static void
test_name(void)
{
	static const struct {
		const char *file;
		const char *name;
	} cases[] = {
		{ "/etc/masqmail/isp.route", "isp" },
		{ "/etc/masqmail/isp", "isp" },
		{ "relative/work.route.bak", "work.route.bak" },
		{ "/etc/masqmail/.route", ".route" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmRoute) route = mm_route_load_data("", 0, cases[i].file, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(route->name, ==, cases[i].name);
		g_assert_cmpstr(route->file, ==, cases[i].file);
	}
}

static void
test_load_list(Fixture *f, gconstpointer data)
{
	g_autofree char *a = write_file(f, "a.route", "mail_host = a.example\n");
	g_autofree char *b = write_file(f, "b.route", "mail_host = b.example\nlast_route = yes\n");
	const char *files[] = { a, b, NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) routes = mm_route_load_list(files, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(routes->len, ==, 2);
	g_assert_cmpstr(((MmRoute *)routes->pdata[0])->mail_host, ==, "a.example");
	g_assert_cmpstr(((MmRoute *)routes->pdata[1])->name, ==, "b");
	g_assert_true(((MmRoute *)routes->pdata[1])->last_route);

	g_autofree char *c = g_build_filename(f->dir, "missing.route", NULL);
	const char *with_missing[] = { a, c, NULL };
	g_autoptr(GPtrArray) none = mm_route_load_list(with_missing, &error);
	g_assert_null(none);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_autofree char *where = g_strdup_printf("%s:0: cannot read", c);
	g_assert_true(g_str_has_prefix(error->message, where));
}

static void
test_examples(void)
{
	static const char *const examples[] = { "isp.route", "lan.route" };
	for (gsize i = 0; i < G_N_ELEMENTS(examples); i++) {
		g_autofree char *path = g_build_filename(MM_TEST_SRCDIR, "conf", examples[i], NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(MmRoute) route = mm_route_load(path, &error);
		g_assert_no_error(error);
		g_assert_nonnull(route->mail_host);
	}
}

typedef struct {
	const char *fixture;
	guint line;
	const char *word;
} BrokenCase;

static const BrokenCase broken_cases[] = {
	{ "unknown-option.route", 3, "unknown option 'protocol'" },
	{ "map-no-colon.route", 2, "the colon is missing" },
	{ "map-display-name-in-path.route", 1, "not a valid replacement" },
	{ "map-empty-pattern.route", 2, "empty pattern" },
	{ "bad-resolver.route", 1, "'dns_srv' is not one of" },
	{ "bad-smtp-port.route", 2, "out of range" },
	{ "bad-auth-name.route", 1, "'digest-md5' is not one of" },
	{ "bad-mail-host.route", 1, "host with an optional port" },
	{ "bad-boolean.route", 1, "not a boolean" },
	{ "unterminated.route", 2, "unterminated" },
	{ "bad-wrapper.route", 1, "not a command line" },
	{ "bad-helo-name.route", 1, "not a host name" },
	{ "bad-map-address.route", 2, "not a valid replacement" },
};

static void
test_broken(gconstpointer data)
{
	const BrokenCase *c = data;
	g_autofree char *path = g_build_filename(FIXTURES, c->fixture, NULL);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = mm_route_load(path, &error);
	g_assert_null(route);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_test_message("%s", error->message);
	g_autofree char *where = g_strdup_printf("%s:%u: ", path, c->line);
	g_assert_true(g_str_has_prefix(error->message, where));
	g_assert_nonnull(strstr(error->message, c->word));
}

static void
test_documented(void)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_file_get_contents(MM_TEST_SRCDIR "/man/masqmail.route.5", &text, NULL, &error);
	g_assert_no_error(error);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GPtrArray) documented = g_ptr_array_new_with_free_func(g_free);
	for (gsize i = 1; lines[i] != NULL; i++) {
		if (strcmp(lines[i - 1], ".TP") != 0 || !g_str_has_prefix(lines[i], ".BI \""))
			continue;
		const char *l = lines[i] + 5;
		g_ptr_array_add(documented, g_strndup(l, strspn(l, "abcdefghijklmnopqrstuvwxyz_")));
	}
	gsize n;
	const MmConfKeyword *table = mm_route_keywords(&n);
	for (gsize i = 0; i < n; i++) {
		gboolean found = FALSE;
		for (guint j = 0; j < documented->len; j++)
			found |= strcmp(documented->pdata[j], table[i].name) == 0;
		if (!found)
			g_test_message("%s is not in masqmail.route.5", table[i].name);
		g_assert_true(found);
	}
	for (guint j = 0; j < documented->len; j++) {
		if (mm_conf_table_lookup(table, n, documented->pdata[j]) == NULL)
			g_test_message("%s is documented but not a keyword", (char *)documented->pdata[j]);
		g_assert_nonnull(mm_conf_table_lookup(table, n, documented->pdata[j]));
	}
	g_assert_cmpuint(documented->len, ==, n);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/route/defaults", test_defaults);
	g_test_add_func("/route/parse/all-options", test_all_options);
	for (gsize i = 0; i < G_N_ELEMENTS(value_cases); i++) {
		g_autofree char *path = g_strdup_printf("/route/parse/%s", value_cases[i].label);
		g_test_add_data_func(path, &value_cases[i], test_value);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(map_cases); i++) {
		g_autofree char *path = g_strdup_printf("/route/map/parse/%s", map_cases[i].label);
		g_test_add_data_func(path, &map_cases[i], test_map_parse);
	}
	g_test_add("/route/map/include", Fixture, NULL, fixture_setup, test_map_include, fixture_teardown);
	g_test_add("/route/map/include-error", Fixture, NULL, fixture_setup, test_map_include_error,
	           fixture_teardown);
	g_test_add_func("/route/name", test_name);
	g_test_add("/route/load-list", Fixture, NULL, fixture_setup, test_load_list, fixture_teardown);
	g_test_add_func("/route/examples", test_examples);
	for (gsize i = 0; i < G_N_ELEMENTS(broken_cases); i++) {
		g_autofree char *path = g_strdup_printf("/route/broken/%s", broken_cases[i].fixture);
		g_test_add_data_func(path, &broken_cases[i], test_broken);
	}
	g_test_add_func("/route/doc/every-keyword-in-man-page", test_documented);

	return g_test_run();
}
