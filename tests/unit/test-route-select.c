/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Route selection: 1.0's address patterns, allowed/denied senders (the
 * null sender, local-part-only patterns), recipients and From: headers,
 * deny over allow, and last_route over a run of several routes; the
 * routes a run tries (permanent, online connections, -qo NAME,
 * online_query) and the order of MX hosts.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "deliver/online.h"
#include "deliver/remote.h"
#include "deliver/route_select.h"

#define QUALIFY "lan.example"

static MmRoute *
route_from_text(const char *text)
{
	g_autoptr(GError) error = NULL;
	MmRoute *route = mm_route_load_data(text, strlen(text), "sel.route", &error);
	g_assert_no_error(error);
	return route;
}

static MmAddress *
path(const char *text)
{
	g_autoptr(GError) error = NULL;
	MmAddress *a = mm_address_parse_path(text, QUALIFY, TRUE, &error);
	g_assert_no_error(error);
	return a;
}

/* ---- patterns ---- */

typedef struct {
	const char *label;
	const char *pattern;
	const char *address; /* a path; "<>" is the null sender */
	gboolean caseless;
	gboolean expected;
} PatternCase;

static const PatternCase pattern_cases[] = {
	{ "local-only", "alice", "alice@example.org", FALSE, TRUE },
	{ "local-only-any-domain", "alice", "alice@elsewhere.example", FALSE, TRUE },
	{ "local-only-other", "alice", "bob@example.org", FALSE, FALSE },
	{ "local-glob", "a*", "alice@example.org", FALSE, TRUE },
	{ "local-question", "b?b", "bob@example.org", FALSE, TRUE },
	{ "full", "alice@example.org", "alice@example.org", FALSE, TRUE },
	{ "full-other-domain", "alice@example.org", "alice@example.net", FALSE, FALSE },
	{ "domain-glob", "*@example.org", "carol@example.org", FALSE, TRUE },
	{ "domain-glob-subdomain", "*@*.example.org", "carol@mx.example.org", FALSE, TRUE },
	{ "domain-glob-no-subdomain", "*@*.example.org", "carol@example.org", FALSE, FALSE },
	{ "domain-any-case", "*@EXAMPLE.org", "carol@example.ORG", FALSE, TRUE },
	{ "local-case", "Alice", "alice@example.org", FALSE, FALSE },
	{ "local-caseless", "Alice", "alice@example.org", TRUE, TRUE },
	{ "angle-brackets", "<alice@example.org>", "alice@example.org", FALSE, TRUE },
	{ "null-sender", "<>", "<>", FALSE, TRUE },
	{ "null-pattern-not-address", "<>", "alice@example.org", FALSE, FALSE },
	{ "star-matches-null", "*", "<>", FALSE, TRUE },
	{ "full-not-null", "*@*.org", "<>", FALSE, FALSE },
	{ "spaces-around", "  alice ", "alice@example.org", FALSE, TRUE },
	{ "last-at-splits", "\"a@b\"@example.org", "\"a@b\"@example.org", FALSE, FALSE },
	{ "quoted-local-glob", "a@b*@example.org", "\"a@b\"@example.org", FALSE, TRUE },
};

static void
test_pattern(gconstpointer data)
{
	const PatternCase *c = data;
	g_autoptr(MmAddress) a = path(c->address);
	g_assert_cmpint(mm_route_pattern_match(c->pattern, a, c->caseless), ==, c->expected);
}

/* ---- one route, one message ---- */

typedef struct {
	const char *label;
	const char *route;        /* route file text */
	const char *sender;       /* return path */
	const char *from;         /* From: value, NULL: no From: */
	const char *rcpts;        /* ';'-separated paths */
	const char *eligible;     /* one char per recipient: '1' or '0'; NULL: all */
	const char *expected;     /* one char per recipient: T taken, N not eligible,
	                           * S sender denied, F From: denied, R recipient denied */
} SelectCase;

static const SelectCase select_cases[] = {
	{ "empty-route-takes-all", "", "alice@lan.example", NULL, "x@a.example;y@b.example", NULL, "TT" },
	{ "allowed-sender-local-part", "allowed_senders = alice\n", "alice@lan.example", NULL,
	  "x@a.example", NULL, "T" },
	{ "allowed-sender-other", "allowed_senders = alice\n", "bob@lan.example", NULL, "x@a.example", NULL,
	  "S" },
	{ "allowed-sender-list", "allowed_senders = \"alice;bob\"\n", "bob@lan.example", NULL, "x@a.example",
	  NULL, "T" },
	{ "allowed-sender-domain", "allowed_senders = \"*@lan.example\"\n", "carol@lan.example", NULL,
	  "x@a.example", NULL, "T" },
	{ "allowed-sender-domain-other", "allowed_senders = \"*@lan.example\"\n", "carol@wan.example", NULL,
	  "x@a.example", NULL, "S" },
	{ "null-sender-allowed", "allowed_senders = \"<>\"\n", "<>", NULL, "x@a.example", NULL, "T" },
	{ "null-sender-not-listed", "allowed_senders = alice\n", "<>", NULL, "x@a.example", NULL, "S" },
	{ "null-sender-denied", "denied_senders = \"<>\"\n", "<>", NULL, "x@a.example", NULL, "S" },
	{ "null-denied-others-pass", "denied_senders = \"<>\"\n", "alice@lan.example", NULL, "x@a.example",
	  NULL, "T" },
	{ "denied-sender", "denied_senders = mallory\n", "mallory@lan.example", NULL, "x@a.example", NULL,
	  "S" },
	{ "deny-beats-allow-sender", "allowed_senders = \"*@lan.example\"\ndenied_senders = mallory\n",
	  "mallory@lan.example", NULL, "x@a.example", NULL, "S" },
	{ "allowed-recipient", "allowed_recipients = \"*@a.example\"\n", "alice@lan.example", NULL,
	  "x@a.example;y@b.example;z@A.EXAMPLE", NULL, "TRT" },
	{ "denied-recipient", "denied_recipients = \"*@b.example\"\n", "alice@lan.example", NULL,
	  "x@a.example;y@b.example", NULL, "TR" },
	{ "deny-beats-allow-recipient", "allowed_recipients = \"*@*\"\ndenied_recipients = \"boss@*\"\n",
	  "alice@lan.example", NULL, "boss@a.example;x@a.example", NULL, "RT" },
	{ "recipient-local-part-only", "allowed_recipients = postmaster\n", "alice@lan.example", NULL,
	  "postmaster@a.example;x@a.example", NULL, "TR" },
	{ "not-eligible-kept", "", "alice@lan.example", NULL, "x@a.example;y@b.example", "01", "NT" },
	{ "not-eligible-before-sender", "allowed_senders = bob\n", "alice@lan.example", NULL,
	  "x@a.example;y@b.example", "10", "SN" },
	{ "from-allowed", "allowed_from_hdrs = \"*@lan.example\"\n", "alice@lan.example",
	  "Alice <alice@lan.example>", "x@a.example", NULL, "T" },
	{ "from-not-allowed", "allowed_from_hdrs = \"*@lan.example\"\n", "alice@lan.example",
	  "Alice <alice@wan.example>", "x@a.example", NULL, "F" },
	{ "from-denied", "denied_from_hdrs = spam\n", "alice@lan.example", "spam@lan.example",
	  "x@a.example", NULL, "F" },
	{ "from-unqualified", "allowed_from_hdrs = \"alice@lan.example\"\n", "alice@lan.example", "alice",
	  "x@a.example", NULL, "T" },
	{ "from-missing-passes", "allowed_from_hdrs = \"*@lan.example\"\n", "alice@lan.example", NULL,
	  "x@a.example", NULL, "T" },
	{ "from-list-one-denied", "denied_from_hdrs = spam\n", "alice@lan.example",
	  "alice@lan.example, spam@lan.example", "x@a.example", NULL, "F" },
	{ "from-unparsable", "allowed_from_hdrs = \"*\"\n", "alice@lan.example", "<<<", "x@a.example", NULL,
	  "F" },
	{ "from-unparsable-deny-only", "denied_from_hdrs = spam\n", "alice@lan.example", "<<<",
	  "x@a.example", NULL, "T" },
	{ "from-folded", "allowed_from_hdrs = \"*@lan.example\"\n", "alice@lan.example",
	  "Alice\n (the boss)\n <alice@lan.example>", "x@a.example", NULL, "T" },
	{ "sender-before-from", "allowed_senders = bob\ndenied_from_hdrs = alice\n", "alice@lan.example",
	  "alice@lan.example", "x@a.example", NULL, "S" },
	{ "all-conditions-pass", "allowed_senders = alice\nallowed_from_hdrs = alice\n"
	  "allowed_recipients = \"*@a.example\"\n",
	  "alice@lan.example", "alice@lan.example", "x@a.example;y@c.example", NULL, "TR" },
	{ "caseless-sender", "allowed_senders = Alice\n", "alice@lan.example", NULL, "x@a.example", NULL,
	  "S" },
};

static void
test_select(gconstpointer data)
{
	const SelectCase *c = data;
	g_autoptr(MmRoute) route = route_from_text(c->route);
	g_autoptr(MmAddress) sender = path(c->sender);
	g_autoptr(GPtrArray) headers = g_ptr_array_new_with_free_func((GDestroyNotify)mm_header_free);
	if (c->from != NULL) {
		g_autofree char *text = g_strdup_printf("From: %s\n", c->from);
		g_autoptr(GError) error = NULL;
		MmHeader *h = mm_header_parse(text, strlen(text), &error);
		g_assert_no_error(error);
		g_ptr_array_add(headers, h);
	}
	g_auto(GStrv) items = g_strsplit(c->rcpts, ";", -1);
	guint n = g_strv_length(items);
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_address_free);
	g_autofree gboolean *eligible = g_new0(gboolean, n);
	g_autofree MmRouteVerdict *verdicts = g_new0(MmRouteVerdict, n);
	for (guint i = 0; i < n; i++) {
		g_ptr_array_add(rcpts, path(items[i]));
		eligible[i] = c->eligible == NULL || c->eligible[i] == '1';
	}
	guint taken = mm_route_select(route, sender, headers, (const MmAddress *const *)rcpts->pdata, eligible,
	                              n, QUALIFY, FALSE, verdicts);

	g_assert_cmpuint(strlen(c->expected), ==, n);
	g_autoptr(GString) got = g_string_new(NULL);
	guint expected_taken = 0;
	for (guint i = 0; i < n; i++) {
		static const char letters[] = { [MM_ROUTE_TAKEN] = 'T', [MM_ROUTE_NOT_ELIGIBLE] = 'N',
			                        [MM_ROUTE_SENDER_DENIED] = 'S', [MM_ROUTE_FROM_DENIED] = 'F',
			                        [MM_ROUTE_RCPT_DENIED] = 'R' };
		g_string_append_c(got, letters[verdicts[i]]);
		expected_taken += c->expected[i] == 'T';
		g_test_message("%s: %s", items[i], mm_route_verdict_name(verdicts[i]));
	}
	g_assert_cmpstr(got->str, ==, c->expected);
	g_assert_cmpuint(taken, ==, expected_taken);
}

/* ---- a run through several routes ---- */

typedef struct {
	const char *label;
	const char *routes[3];  /* route file texts, tried in this order */
	const char *rcpts;      /* ';'-separated */
	const char *deferred_by; /* routes (by index digit) whose deliveries all defer */
	const char *expected;   /* per recipient: the index of the last route that took it, '-' none */
	const char *held;       /* per recipient: '1' held by a last_route */
} RunCase;

static const RunCase run_cases[] = {
	/* the first route takes everything it may; a delivered recipient
	 * is not offered again */
	{ "first-route-wins", { "", "", NULL }, "x@a.example;y@b.example", "", "00", "00" },
	/* deferred by the first route, the recipients go to the second */
	{ "deferred-falls-through", { "", "", NULL }, "x@a.example;y@b.example", "0", "11", "00" },
	/* last_route: deferred recipients wait for the route that took them */
	{ "last-route-holds", { "last_route = true\nallowed_recipients = \"*@a.example\"\n", "", NULL },
	  "x@a.example;y@b.example", "0", "01", "10" },
	/* last_route holds even when the recipients were delivered */
	{ "last-route-delivered", { "last_route = true\n", "", NULL }, "x@a.example", "", "0", "1" },
	/* split by recipient over two relays */
	{ "split-by-recipient",
	  { "allowed_recipients = \"*@lan.example\"\n", "denied_recipients = \"*@lan.example\"\n", NULL },
	  "x@lan.example;y@b.example;z@lan.example", "", "010", "000" },
	/* nothing takes a recipient that every route refuses */
	{ "no-route", { "denied_recipients = \"*@b.example\"\n", NULL, NULL }, "y@b.example", "", "-", "0" },
};

static void
test_run(gconstpointer data)
{
	const RunCase *c = data;
	g_auto(GStrv) items = g_strsplit(c->rcpts, ";", -1);
	guint n = g_strv_length(items);
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_address_free);
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(rcpts, path(items[i]));
	g_autoptr(MmAddress) sender = path("alice@lan.example");
	g_autofree gboolean *done = g_new0(gboolean, n);
	g_autofree gboolean *held = g_new0(gboolean, n);
	g_autofree gboolean *eligible = g_new0(gboolean, n);
	g_autofree MmRouteVerdict *verdicts = g_new0(MmRouteVerdict, n);
	g_autofree char *last = g_strnfill(n, '-');

	for (guint r = 0; r < G_N_ELEMENTS(c->routes) && c->routes[r] != NULL; r++) {
		g_autoptr(MmRoute) route = route_from_text(c->routes[r]);
		for (guint i = 0; i < n; i++)
			eligible[i] = !done[i] && !held[i];
		mm_route_select(route, sender, NULL, (const MmAddress *const *)rcpts->pdata, eligible, n, QUALIFY,
		                FALSE, verdicts);
		gboolean defers = strchr(c->deferred_by, '0' + r) != NULL;
		for (guint i = 0; i < n; i++) {
			if (verdicts[i] != MM_ROUTE_TAKEN)
				continue;
			last[i] = '0' + r;
			done[i] = !defers;
			if (mm_route_holds(route))
				held[i] = TRUE;
		}
	}
	g_assert_cmpstr(last, ==, c->expected);
	for (guint i = 0; i < n; i++)
		g_assert_cmpint(held[i], ==, c->held[i] == '1');
}

/* ---- the routes of a run ---- */

typedef struct {
	char *dir;
	char *conf_text;
} Fixture;

static char *
write_file(const char *dir, const char *name, const char *content, int mode)
{
	char *p = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(p, content, -1, &error);
	g_assert_no_error(error);
	g_chmod(p, mode);
	return p;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->dir = g_dir_make_tmp("mm-online-XXXXXX", &error);
	g_assert_no_error(error);
	static const char *const names[] = { "perm1", "perm2", "fast", "slow" };
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *file = g_strdup_printf("%s.route", names[i]);
		g_free(write_file(f->dir, file, "", 0644));
	}
	f->conf_text = g_strdup_printf("host_name = lan.example\n"
	                               "permanent_routes = \"%s/perm1.route;%s/perm2.route\"\n"
	                               "query_routes.slow = %s/slow.route\n"
	                               "query_routes.fast = %s/fast.route\n",
	                               f->dir, f->dir, f->dir, f->dir);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	GDir *dir = g_dir_open(f->dir, 0, NULL);
	const char *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);
		g_unlink(p);
	}
	if (dir != NULL)
		g_dir_close(dir);
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->conf_text);
}

static char *
route_names(GPtrArray *routes)
{
	g_autoptr(GString) s = g_string_new(NULL);
	for (guint i = 0; i < routes->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", ((MmRoute *)routes->pdata[i])->name);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static MmConf *
conf_with(Fixture *f, const char *extra)
{
	g_autofree char *text = g_strconcat(f->conf_text, extra, NULL);
	g_autoptr(GError) error = NULL;
	MmConf *conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_assert_no_error(error);
	return conf;
}

typedef struct {
	const char *label;
	const char *query;   /* online_query script body, NULL: none */
	const char *only;    /* -qo NAME */
	const char *online[3];
	const char *expected; /* route names in order, NULL: MM_ERROR_NOT_FOUND */
} OnlineCase;

static const OnlineCase online_cases[] = {
	{ "permanent-only", NULL, NULL, { NULL }, "perm1,perm2" },
	{ "configuration-order", NULL, NULL, { "fast", "slow", NULL }, "perm1,perm2,slow,fast" },
	{ "one-online", NULL, NULL, { "fast", NULL }, "perm1,perm2,fast" },
	{ "unknown-online-ignored", NULL, NULL, { "nosuch", NULL }, "perm1,perm2" },
	{ "qo-name", NULL, "fast", { NULL }, "fast" },
	{ "qo-name-beats-online", NULL, "slow", { "fast", NULL }, "slow" },
	{ "qo-unknown", NULL, "nosuch", { NULL }, NULL },
	{ "online-query", "#!/bin/sh\necho '  fast  '\n", NULL, { NULL }, "perm1,perm2,fast" },
	{ "online-query-offline", "#!/bin/sh\necho fast\nexit 1\n", NULL, { NULL }, "perm1,perm2" },
	{ "online-query-empty", "#!/bin/sh\necho\n", NULL, { NULL }, "perm1,perm2" },
	{ "online-query-unknown-name", "#!/bin/sh\necho dialup\n", NULL, { NULL }, "perm1,perm2" },
	{ "online-query-first-line", "#!/bin/sh\necho slow\necho fast\n", NULL, { NULL }, "perm1,perm2,slow" },
};

static void
test_online(Fixture *f, gconstpointer data)
{
	const OnlineCase *c = data;
	g_autofree char *extra = NULL;
	if (c->query != NULL) {
		g_autofree char *script = write_file(f->dir, "query", c->query, 0755);
		extra = g_strdup_printf("online_query = \"%s\"\n", script);
	}
	g_autoptr(MmConf) conf = conf_with(f, extra != NULL ? extra : "");
	MmOnlineRequest req = { .only = c->only, .online = c->online[0] != NULL ? c->online : NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) routes = mm_online_routes(conf, &req, &error);
	if (c->expected == NULL) {
		g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
		g_assert_null(routes);
		return;
	}
	g_assert_no_error(error);
	g_autofree char *names = route_names(routes);
	g_assert_cmpstr(names, ==, c->expected);
}

/* ---- MX order ---- */

static void
test_mx_order(void)
{
	static const MmRemoteMx records[] = {
		{ 20, "b1.example." }, { 10, "a.example." }, { 20, "b2.example" }, { 30, "c.example" },
		{ 20, "b3.example" },  { 30, "A.EXAMPLE" },
	};
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	gboolean b_first_seen[3] = { FALSE, FALSE, FALSE };
	for (int round = 0; round < 200; round++) {
		g_auto(GStrv) hosts = mm_remote_order_mx(records, G_N_ELEMENTS(records), rand);
		g_assert_cmpuint(g_strv_length(hosts), ==, 5); /* A.EXAMPLE is a.example again */
		g_assert_cmpstr(hosts[0], ==, "a.example");
		g_assert_true(g_str_has_prefix(hosts[1], "b"));
		g_assert_true(g_str_has_prefix(hosts[2], "b"));
		g_assert_true(g_str_has_prefix(hosts[3], "b"));
		g_assert_cmpstr(hosts[4], ==, "c.example");
		b_first_seen[hosts[1][1] - '1'] = TRUE;
	}
	/* equal preferences are shuffled: each came first some time */
	g_assert_true(b_first_seen[0] && b_first_seen[1] && b_first_seen[2]);

	static const MmRemoteMx null_mx[] = { { 0, "." } };
	g_auto(GStrv) none = mm_remote_order_mx(null_mx, 1, rand);
	g_assert_null(none[0]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(pattern_cases); i++) {
		g_autofree char *p = g_strdup_printf("/route-select/pattern/%s", pattern_cases[i].label);
		g_test_add_data_func(p, &pattern_cases[i], test_pattern);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(select_cases); i++) {
		g_autofree char *p = g_strdup_printf("/route-select/conditions/%s", select_cases[i].label);
		g_test_add_data_func(p, &select_cases[i], test_select);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(run_cases); i++) {
		g_autofree char *p = g_strdup_printf("/route-select/run/%s", run_cases[i].label);
		g_test_add_data_func(p, &run_cases[i], test_run);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(online_cases); i++) {
		g_autofree char *p = g_strdup_printf("/route-select/online/%s", online_cases[i].label);
		g_test_add(p, Fixture, &online_cases[i], fixture_setup, test_online, fixture_teardown);
	}
	g_test_add_func("/route-select/mx-order/preference-and-shuffle", test_mx_order);
	return g_test_run();
}
