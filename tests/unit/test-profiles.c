/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Provider profiles from route files (daemon/profiles.h): the rules of
 * one file, the combination of the files of one connection, errors
 * with file and line, and zero configuration. Each case writes its
 * route files into a temporary directory of its own.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "base/error.h"
#include "daemon/profiles.h"

typedef struct {
	const char *label;
	/* route files, "NAME.route" then its text; NULL ends */
	const char *files[8];
	/* query_routes lines with "@" for the directory */
	const char *query_routes;
	/* "NAME: nd_profile_to_string()" per profile, "\n" between; NULL when an error is expected */
	const char *expected;
	/* what the error message holds, with "@" for the directory */
	const char *error;
} Case;

static const Case cases[] = {
	{ "/profiles/zero-configuration",
	  { "isp.route", "mail_host = relay.isp.example\n", NULL },
	  "query_routes.isp = @/isp.route\n",
	  "isp: interfaces=ppp*;ippp* default-route=yes", NULL },
	{ "/profiles/no-query-routes", { NULL }, "", "", NULL },
	{ "/profiles/all-rules",
	  { "isp.route",
	    "mail_host = relay.isp.example\n"
	    "detect_interfaces = \"ppp0; wwan*\"\n"
	    "detect_local_addresses = 10.64.0.0/10\n"
	    "detect_peer_addresses = \"198.51.100.1; 2001:db8::1\"\n"
	    "detect_gateways = 192.168.8.1\n"
	    "detect_default_route = false\n",
	    NULL },
	  "query_routes.isp = @/isp.route\n",
	  "isp: interfaces=ppp0;wwan* default-route=no local=10.64.0.0/10 peer=198.51.100.1;2001:db8::1 "
	  "gateway=192.168.8.1",
	  NULL },
	{ "/profiles/combine/rules-from-several-files",
	  { "a.route", "detect_interfaces = ppp1\n", "b.route", "detect_peer_addresses = 10.0.0.2\n", NULL },
	  "query_routes.isp = \"@/a.route;@/b.route\"\n",
	  "isp: interfaces=ppp1 default-route=yes peer=10.0.0.2", NULL },
	{ "/profiles/combine/same-value-twice",
	  { "a.route", "detect_gateways = 192.0.2.1\n", "b.route", "# b\ndetect_gateways = \"192.0.2.1\"\n", NULL },
	  "query_routes.lan = \"@/a.route;@/b.route\"\n",
	  "lan: interfaces=ppp*;ippp* default-route=yes gateway=192.0.2.1", NULL },
	{ "/profiles/combine/contradiction",
	  { "a.route", "detect_peer_addresses = 10.0.0.2\n", "b.route",
	    "mail_host = x.example\n\ndetect_peer_addresses = 10.0.0.3\n", NULL },
	  "query_routes.isp = \"@/a.route;@/b.route\"\n", NULL,
	  "@/b.route:3: detect_peer_addresses differs from @/a.route:1; the route files of query_routes.isp must agree" },
	{ "/profiles/combine/default-route-contradiction",
	  { "a.route", "detect_default_route = no\n", "b.route", "detect_default_route = yes\n", NULL },
	  "query_routes.vpn = \"@/a.route;@/b.route\"\n", NULL,
	  "@/b.route:1: detect_default_route differs from @/a.route:1" },
	{ "/profiles/combine/unset-is-no-contradiction",
	  { "a.route", "detect_default_route = no\n", "b.route", "mail_host = other.example\n", NULL },
	  "query_routes.vpn = \"@/a.route;@/b.route\"\n",
	  "vpn: interfaces=ppp*;ippp* default-route=no", NULL },
	{ "/profiles/several-in-order",
	  { "z.route", "detect_interfaces = ppp0\n", "a.route", "detect_interfaces = wlan*\n", NULL },
	  "query_routes.zeta = @/z.route\nquery_routes.alpha = @/a.route\n",
	  "zeta: interfaces=ppp0 default-route=yes\nalpha: interfaces=wlan* default-route=yes", NULL },
	{ "/profiles/error/bad-cidr-line",
	  { "isp.route", "mail_host = relay.example\n# comment\ndetect_gateways = \"192.0.2.1; 10.1.2.3/8\"\n", NULL },
	  "query_routes.isp = @/isp.route\n", NULL, "@/isp.route:3: detect_gateways: " },
	{ "/profiles/error/line-after-quoted-lines",
	  { "isp.route",
	    "allowed_senders = \"a@x.example;\n  detect_peer_addresses = 1.2.3.4;\n  b@x.example\"\n"
	    "detect_peer_addresses = nonsense\n",
	    NULL },
	  "query_routes.isp = @/isp.route\n", NULL, "@/isp.route:4: detect_peer_addresses: " },
	{ "/profiles/error/not-an-address",
	  { "isp.route", "detect_local_addresses = example.org\n", NULL },
	  "query_routes.isp = @/isp.route\n", NULL, "@/isp.route:1: detect_local_addresses: " },
	{ "/profiles/error/missing-file",
	  { NULL }, "query_routes.isp = @/missing.route\n", NULL, "@/missing.route:0: cannot read" },
};

static char *
at_dir(const char *text, const char *dir)
{
	g_auto(GStrv) parts = g_strsplit(text, "@/", -1);
	g_autofree char *sep = g_strdup_printf("%s/", dir);
	/* "@/" names the directory; an "@" inside an address stays */
	return g_strjoinv(sep, parts);
}

static void
test_case(gconstpointer data)
{
	const Case *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-profiles-XXXXXX", &error);
	g_autofree char *conf_text = NULL;
	g_autoptr(MmConf) conf = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GString) got = g_string_new(NULL);
	g_autofree char *qr = NULL;

	g_assert_no_error(error);
	for (guint i = 0; c->files[i]; i += 2) {
		g_autofree char *path = g_build_filename(dir, c->files[i], NULL);
		g_assert_true(g_file_set_contents(path, c->files[i + 1], -1, NULL));
	}
	qr = at_dir(c->query_routes, dir);
	conf_text = g_strdup_printf("host_name = test.example\n%s", qr);
	conf = mm_conf_load_data(conf_text, strlen(conf_text), "test.conf", &error);
	g_assert_no_error(error);
	profiles = mm_profiles_load(conf, &error);
	if (c->expected) {
		g_assert_no_error(error);
		for (guint i = 0; i < profiles->len; i++) {
			g_autofree char *rules = nd_profile_to_string(profiles->pdata[i]);
			g_string_append_printf(got, "%s%s: %s", i ? "\n" : "", nd_profile_get_name(profiles->pdata[i]),
			                       rules);
		}
		g_assert_cmpstr(got->str, ==, c->expected);
	} else {
		g_autofree char *want = at_dir(c->error, dir);
		g_assert_null(profiles);
		g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
		g_test_message("error: %s", error->message);
		g_assert_true(g_str_has_prefix(error->message, want) || strstr(error->message, want));
		g_assert_true(g_str_has_prefix(error->message, dir));
	}
	for (guint i = 0; c->files[i]; i += 2) {
		g_autofree char *path = g_build_filename(dir, c->files[i], NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		g_test_add_data_func(cases[i].label, &cases[i], test_case);
	return g_test_run();
}
