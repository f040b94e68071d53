/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The address rewriting of routes: From:, Sender:, Reply-To: and
 * Mail-Followup-To: with one and several addresses, folded, with and
 * without display names, angle brackets and comments; the return path;
 * domain-only rules; addresses that are not local; and that everything
 * but the rewritten addresses stays byte for byte.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "deliver/rewrite.h"

static const char *const local_hosts[] = { "localhost", "lan.example", "*.lan.example", NULL };
static const char *const none[] = { NULL };
/* local_addresses are not looked at by rewriting; this one proves it */
static const char *const local_addresses[] = { "fake@elsewhere.example", NULL };

static const MmLocality locality = {
	.host_name = "lan.example",
	.local_hosts = local_hosts,
	.local_addresses = local_addresses,
	.not_local_addresses = none,
	.caseless_matching = FALSE,
};

static MmRoute *
route_from_text(const char *text)
{
	g_autoptr(GError) error = NULL;
	MmRoute *route = mm_route_load_data(text, strlen(text), "rewrite.route", &error);
	g_assert_no_error(error);
	return route;
}

typedef struct {
	const char *label;
	const char *route;    /* route file text */
	const char *header;   /* the field as queued */
	const char *expected; /* the field as it leaves; NULL: unchanged */
} HeaderCase;

#define FROM_MAP "map_h_from_addresses = \"alice: Alice Example <alice@isp.example>\"\n"
#define DOMAIN_MAP "map_outgoing_addresses = \"*: *@isp.example\"\n"

static const HeaderCase header_cases[] = {
	{ "from/bare-gets-display-name", FROM_MAP, "From: alice@lan.example\n",
	  "From: Alice Example <alice@isp.example>\n" },
	{ "from/bare-rule-without-name", "map_h_from_addresses = \"alice: alice@isp.example\"\n",
	  "From: alice@lan.example\n", "From: alice@isp.example\n" },
	{ "from/display-name-wins", FROM_MAP, "From: \"Alice A.\" <alice@lan.example>\n",
	  "From: \"Alice A.\" <alice@isp.example>\n" },
	{ "from/angle-without-name", FROM_MAP, "From: <alice@lan.example>\n", "From: <alice@isp.example>\n" },
	{ "from/comment-kept", FROM_MAP, "From: alice@lan.example (Alice at home)\n",
	  "From: alice@isp.example (Alice at home)\n" },
	{ "from/unqualified", FROM_MAP, "From: alice\n", "From: Alice Example <alice@isp.example>\n" },
	{ "from/local-host-glob", FROM_MAP, "From: Al <alice@laptop.lan.example>\n",
	  "From: Al <alice@isp.example>\n" },
	{ "from/not-local", FROM_MAP, "From: alice@elsewhere.example\n", NULL },
	{ "from/local-address-not-used", "map_h_from_addresses = \"fake: x@isp.example\"\n",
	  "From: fake@elsewhere.example\n", NULL },
	{ "from/no-match", FROM_MAP, "From: bob@lan.example\n", NULL },
	{ "from/spacing-kept", FROM_MAP, "From:   <alice@lan.example>   \n", "From:   <alice@isp.example>   \n" },
	{ "from/folded-display-name", FROM_MAP, "From: \"Alice\n\tExample\"\n <alice@lan.example>\n",
	  "From: \"Alice\n\tExample\"\n <alice@isp.example>\n" },
	{ "from/quoted-display-with-specials", FROM_MAP, "From: \"Example, Alice <x>\" <alice@lan.example>\n",
	  "From: \"Example, Alice <x>\" <alice@isp.example>\n" },
	{ "from/rule-display-as-written", "map_h_from_addresses = \"carol: \\\"Carol C.\\\" <carol@isp.example>\"\n",
	  "From: carol\n", "From: \"Carol C.\" <carol@isp.example>\n" },
	{ "from/source-route", FROM_MAP, "From: A <@relay.example:alice@lan.example>\n",
	  "From: A <@relay.example:alice@isp.example>\n" },
	{ "from/glob-key", "map_h_from_addresses = \"a*: team@isp.example\"\n", "From: anna@lan.example\n",
	  "From: team@isp.example\n" },
	{ "from/address-key", "map_h_from_addresses = \"alice@localhost: a@isp.example\"\n",
	  "From: alice@localhost, alice@lan.example\n", "From: a@isp.example, alice@lan.example\n" },
	{ "domain-only/angle", DOMAIN_MAP, "From: Bob <bob@lan.example>\n", "From: Bob <bob@isp.example>\n" },
	{ "domain-only/unqualified", DOMAIN_MAP, "From: bob\n", "From: bob@isp.example\n" },
	{ "domain-only/quoted-local-part", DOMAIN_MAP, "From: \"b o b\"@lan.example\n",
	  "From: \"b o b\"@isp.example\n" },
	{ "domain-only/not-local", DOMAIN_MAP, "From: Bob <bob@elsewhere.example>\n", NULL },
	{ "sender/plain", "map_h_sender_addresses = \"alice: alice@isp.example\"\n", "Sender: alice@localhost\n",
	  "Sender: alice@isp.example\n" },
	{ "reply-to/list",
	  "map_h_reply_to_addresses = \"alice: a@isp.example; bob: Bobby <b@isp.example>\"\n",
	  "Reply-To: alice@lan.example, carol@elsewhere.example,\n\t\"Bob\" <bob@lan.example>\n",
	  "Reply-To: a@isp.example, carol@elsewhere.example,\n\t\"Bob\" <b@isp.example>\n" },
	{ "reply-to/group", DOMAIN_MAP, "Reply-To: team: alice@lan.example,\n bob@localhost;\n",
	  "Reply-To: team: alice@isp.example,\n bob@isp.example;\n" },
	{ "reply-to/bad-item-left-alone", DOMAIN_MAP, "Reply-To: bad@@lan.example, alice@lan.example\n",
	  "Reply-To: bad@@lan.example, alice@isp.example\n" },
	{ "mail-followup-to/folded-comments", DOMAIN_MAP,
	  "Mail-Followup-To: list@lists.example (the list),\n  Alice <alice@lan.example>, (me) bob@host.lan.example\n",
	  "Mail-Followup-To: list@lists.example (the list),\n  Alice <alice@isp.example>, (me) bob@isp.example\n" },
	{ "mail-followup-to/several-display-names",
	  "map_h_mail_followup_to_addresses = \"*: Somebody <nobody@isp.example>\"\n",
	  "Mail-Followup-To: alice,\n bob@lan.example,\n <carol@lan.example>\n",
	  "Mail-Followup-To: Somebody <nobody@isp.example>,\n Somebody <nobody@isp.example>,\n <nobody@isp.example>\n" },
	{ "mail-followup-to/nothing-to-do", "", "Mail-Followup-To: alice@lan.example\n", NULL },
};

static void
test_header(gconstpointer data)
{
	const HeaderCase *c = data;
	g_autoptr(MmRoute) route = route_from_text(c->route);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmHeader) hdr = mm_header_parse(c->header, strlen(c->header), &error);
	g_assert_no_error(error);
	g_autoptr(GPtrArray) headers = g_ptr_array_new();
	g_ptr_array_add(headers, hdr);

	g_autoptr(GPtrArray) out = mm_rewrite_headers(route, headers, &locality);
	if (c->expected == NULL) {
		g_assert_null(out);
		return;
	}
	g_assert_nonnull(out);
	g_assert_cmpuint(out->len, ==, 1);
	const MmHeader *got = out->pdata[0];
	g_assert_cmpstr(got->text, ==, c->expected);
	g_assert_cmpint(got->id, ==, hdr->id);
	g_assert_cmpuint(got->name_len, ==, hdr->name_len);
	g_assert_cmpuint(got->value_off, ==, hdr->value_off);
	/* the queued header is not touched */
	g_assert_cmpstr(hdr->text, ==, c->header);
}

/* Only the four fields are rewritten, each by its own map before
 * map_outgoing_addresses; every other field is copied as it is. */
static void
test_headers_whole_message(void)
{
	g_autoptr(MmRoute) route = route_from_text("map_h_from_addresses = \"alice: from@isp.example\"\n"
	                                           "map_outgoing_addresses = \"alice: out@isp.example\"\n");
	static const char block[] = "Received: from alice@lan.example by lan.example\n"
	                            "From: alice@lan.example\n"
	                            "To: alice@lan.example\n"
	                            "Cc: alice@lan.example\n"
	                            "Sender: alice@lan.example\n"
	                            "Reply-To: alice@lan.example\n"
	                            "Mail-Followup-To: alice@lan.example\n"
	                            "Resent-From: alice@lan.example\n"
	                            "Subject: alice@lan.example\n";
	static const char expected[] = "Received: from alice@lan.example by lan.example\n"
	                               "From: from@isp.example\n"
	                               "To: alice@lan.example\n"
	                               "Cc: alice@lan.example\n"
	                               "Sender: out@isp.example\n"
	                               "Reply-To: out@isp.example\n"
	                               "Mail-Followup-To: out@isp.example\n"
	                               "Resent-From: alice@lan.example\n"
	                               "Subject: alice@lan.example\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = mm_header_parse_block(block, strlen(block), &error);
	g_assert_no_error(error);
	g_autoptr(GPtrArray) out = mm_rewrite_headers(route, headers, &locality);
	g_assert_nonnull(out);
	g_autoptr(GString) joined = g_string_new(NULL);
	for (guint i = 0; i < out->len; i++)
		g_string_append(joined, ((MmHeader *)out->pdata[i])->text);
	g_assert_cmpstr(joined->str, ==, expected);

	g_autoptr(MmRoute) plain = route_from_text("");
	g_assert_null(mm_rewrite_headers(plain, headers, &locality));
}

typedef struct {
	const char *label;
	const char *route;
	const char *return_path;
	const char *expected; /* NULL: unchanged */
} PathCase;

static const PathCase path_cases[] = {
	{ "plain", "map_return_path_addresses = \"alice: alice@isp.example\"\n", "alice@lan.example",
	  "alice@isp.example" },
	{ "angle-in-rule", "map_return_path_addresses = \"alice: <a.b@isp.example>\"\n", "alice@lan.example",
	  "a.b@isp.example" },
	{ "domain-only", "map_return_path_addresses = \"*: *@isp.example\"\n", "bob@localhost", "bob@isp.example" },
	{ "null-path", "map_return_path_addresses = \"*: *@isp.example\"\n", "<>", NULL },
	{ "not-local", "map_return_path_addresses = \"*: *@isp.example\"\n", "bob@elsewhere.example", NULL },
	{ "local-address-not-used", "map_return_path_addresses = \"*: *@isp.example\"\n",
	  "fake@elsewhere.example", NULL },
	{ "no-match", "map_return_path_addresses = \"alice: alice@isp.example\"\n", "bob@lan.example", NULL },
	{ "outgoing-fallback", "map_outgoing_addresses = \"alice: Ty Coon <ty@isp.example>\"\n",
	  "alice@lan.example", "ty@isp.example" },
	{ "specific-wins", "map_return_path_addresses = \"alice: rp@isp.example\"\n"
	  "map_outgoing_addresses = \"alice: out@isp.example\"\n", "alice@lan.example", "rp@isp.example" },
	{ "first-item-wins", "map_return_path_addresses = \"a*: first@isp.example; alice: second@isp.example\"\n",
	  "alice@lan.example", "first@isp.example" },
	{ "quoted-local-part-kept", "map_return_path_addresses = \"*: *@isp.example\"\n", "\"a b\"@lan.example",
	  "\"a b\"@isp.example" },
};

static void
test_return_path(gconstpointer data)
{
	const PathCase *c = data;
	g_autoptr(MmRoute) route = route_from_text(c->route);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) rp = mm_address_parse_path(c->return_path, NULL, TRUE, &error);
	g_assert_no_error(error);
	g_autoptr(MmAddress) out = mm_rewrite_return_path(route, rp, &locality);
	if (c->expected == NULL) {
		g_assert_null(out);
		return;
	}
	g_assert_nonnull(out);
	g_autofree char *got = mm_address_to_string(out);
	g_assert_cmpstr(got, ==, c->expected);
	g_assert_null(out->display_name);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(header_cases); i++) {
		g_autofree char *p = g_strdup_printf("/rewrite/header/%s", header_cases[i].label);
		g_test_add_data_func(p, &header_cases[i], test_header);
	}
	g_test_add_func("/rewrite/headers/whole-message", test_headers_whole_message);
	for (gsize i = 0; i < G_N_ELEMENTS(path_cases); i++) {
		g_autofree char *p = g_strdup_printf("/rewrite/return-path/%s", path_cases[i].label);
		g_test_add_data_func(p, &path_cases[i], test_return_path);
	}
	return g_test_run();
}
