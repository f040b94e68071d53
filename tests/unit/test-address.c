/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of msg/address.c: RFC 5321 paths, RFC 5322 address lists,
 * printing and its round trip, equality, and the local/remote decision.
 * Every case is a row of a table: a label, the input and the expected
 * result (the address as printed, or the error code).
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "msg/address.h"

/* --- RFC 5321 paths ---------------------------------------------------- */

typedef struct {
	const char *label;
	const char *input;
	const char *qualify;   /* qualify_domain */
	gboolean allow_null;
	const char *local;     /* expected local part, NULL when an error is expected */
	const char *domain;
	const char *path;      /* expected mm_address_to_path() */
	int code;              /* expected MmErrorCode when local == NULL */
} PathCase;

#define OK(l, in, q, n, lp, d, p) { l, in, q, n, lp, d, p, 0 }
#define BAD(l, in, q, n, c) { l, in, q, n, NULL, NULL, NULL, c }

static const PathCase path_cases[] = {
	/* well-formed */
	OK("plain", "<user@example.org>", NULL, FALSE, "user", "example.org", "<user@example.org>"),
	OK("no-brackets", "user@example.org", NULL, FALSE, "user", "example.org", "<user@example.org>"),
	OK("white-space-around", "  <user@example.org>\t", NULL, FALSE, "user", "example.org", "<user@example.org>"),
	OK("dotted-local", "<first.last@example.org>", NULL, FALSE, "first.last", "example.org", "<first.last@example.org>"),
	OK("atext-specials", "<a!#$%&'*+-/=?^_`{|}~z@x.org>", NULL, FALSE, "a!#$%&'*+-/=?^_`{|}~z", "x.org", "<a!#$%&'*+-/=?^_`{|}~z@x.org>"),
	OK("domain-case-kept", "<User@Example.ORG>", NULL, FALSE, "User", "Example.ORG", "<User@Example.ORG>"),
	OK("single-label-domain", "<root@localhost>", NULL, FALSE, "root", "localhost", "<root@localhost>"),
	OK("numeric-labels", "<a@123.45.com>", NULL, FALSE, "a", "123.45.com", "<a@123.45.com>"),
	OK("hyphen-inside-label", "<a@my-host.example>", NULL, FALSE, "a", "my-host.example", "<a@my-host.example>"),
	OK("underscore-lan-host", "<a@my_box.lan>", NULL, FALSE, "a", "my_box.lan", "<a@my_box.lan>"),
	OK("unqualified-qualified", "user", "host.example", FALSE, "user", "host.example", "<user@host.example>"),
	OK("unqualified-in-brackets", "<postmaster>", "host.example", FALSE, "postmaster", "host.example", "<postmaster@host.example>"),
	OK("qualify-ignored-when-qualified", "<a@b.example>", "other.example", FALSE, "a", "b.example", "<a@b.example>"),
	OK("null-allowed", "<>", NULL, TRUE, "", "", "<>"),
	OK("null-allowed-spaces", "  <>  ", NULL, TRUE, "", "", "<>"),
	OK("empty-is-null-when-allowed", "", NULL, TRUE, "", "", "<>"),
	OK("quoted-space", "<\"john doe\"@example.org>", NULL, FALSE, "john doe", "example.org", "<\"john doe\"@example.org>"),
	OK("quoted-unneeded", "<\"john\"@example.org>", NULL, FALSE, "john", "example.org", "<john@example.org>"),
	OK("quoted-double-dot", "<\"a..b\"@x.org>", NULL, FALSE, "a..b", "x.org", "<\"a..b\"@x.org>"),
	OK("quoted-leading-dot", "<\".a\"@x.org>", NULL, FALSE, ".a", "x.org", "<\".a\"@x.org>"),
	OK("quoted-escaped-quote", "<\"a\\\"b\"@x.org>", NULL, FALSE, "a\"b", "x.org", "<\"a\\\"b\"@x.org>"),
	OK("quoted-escaped-backslash", "<\"a\\\\b\"@x.org>", NULL, FALSE, "a\\b", "x.org", "<\"a\\\\b\"@x.org>"),
	OK("quoted-escaped-plain-char", "<\"\\a\"@x.org>", NULL, FALSE, "a", "x.org", "<a@x.org>"),
	OK("quoted-at-sign", "<\"a@b\"@x.org>", NULL, FALSE, "a@b", "x.org", "<\"a@b\"@x.org>"),
	OK("quoted-comma-colon", "<\"a,b:c\"@x.org>", NULL, FALSE, "a,b:c", "x.org", "<\"a,b:c\"@x.org>"),
	OK("quoted-unqualified", "\"a b\"", "h.example", FALSE, "a b", "h.example", "<\"a b\"@h.example>"),
	OK("ipv4-literal", "<a@[192.168.1.2]>", NULL, FALSE, "a", "[192.168.1.2]", "<a@[192.168.1.2]>"),
	OK("ipv4-literal-zeros", "<a@[0.0.0.0]>", NULL, FALSE, "a", "[0.0.0.0]", "<a@[0.0.0.0]>"),
	OK("ipv6-literal", "<a@[IPv6:2001:db8::1]>", NULL, FALSE, "a", "[IPv6:2001:db8::1]", "<a@[IPv6:2001:db8::1]>"),
	OK("ipv6-literal-loopback", "<a@[IPv6:::1]>", NULL, FALSE, "a", "[IPv6:::1]", "<a@[IPv6:::1]>"),
	OK("ipv6-tag-any-case", "<a@[ipv6:::1]>", NULL, FALSE, "a", "[ipv6:::1]", "<a@[ipv6:::1]>"),
	OK("ipv6-v4-mapped", "<a@[IPv6:::ffff:1.2.3.4]>", NULL, FALSE, "a", "[IPv6:::ffff:1.2.3.4]", "<a@[IPv6:::ffff:1.2.3.4]>"),
	OK("source-route-one", "<@relay.example:user@x.org>", NULL, FALSE, "user", "x.org", "<user@x.org>"),
	OK("source-route-two", "<@a.example,@b.example:user@x.org>", NULL, FALSE, "user", "x.org", "<user@x.org>"),
	OK("source-route-literal", "<@[10.0.0.1]:user@x.org>", NULL, FALSE, "user", "x.org", "<user@x.org>"),
	OK("label-63", "<a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org>", NULL, FALSE,
	   "a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	   "<a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org>"),
	OK("local-64", "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org>", NULL, FALSE,
	   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x.org",
	   "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org>"),

	/* malformed */
	BAD("null-not-allowed", "<>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("empty-not-allowed", "", NULL, FALSE, MM_ERROR_PARSE),
	BAD("blank-not-allowed", "   ", NULL, FALSE, MM_ERROR_PARSE),
	BAD("unqualified-without-domain", "user", NULL, FALSE, MM_ERROR_PARSE),
	BAD("unbalanced-open", "<user@x.org", NULL, FALSE, MM_ERROR_PARSE),
	BAD("unbalanced-close", "user@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("lone-open", "<", NULL, TRUE, MM_ERROR_PARSE),
	BAD("double-brackets", "<<user@x.org>>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("space-inside-brackets", "< user@x.org >", NULL, FALSE, MM_ERROR_PARSE),
	BAD("empty-local", "<@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("empty-quoted-local", "<\"\"@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("double-at", "<a@@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("two-ats", "<a@b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("empty-domain", "<a@>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("trailing-dot-domain", "<a@x.org.>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("leading-dot-domain", "<a@.x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("double-dot-domain", "<a@x..org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("leading-hyphen-label", "<a@-x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("trailing-hyphen-label", "<a@x-.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("label-64", "<a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("trailing-dot-local", "<a.@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("leading-dot-local", "<.a@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("double-dot-local", "<a..b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("space-in-local", "<a b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("comma-in-local", "<a,b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("bracket-in-local", "<a[b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("unterminated-quote", "<\"abc@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("quote-then-garbage", "<\"a\"b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("quote-escape-at-end", "<\"a\\\">", NULL, FALSE, MM_ERROR_PARSE),
	BAD("control-char-local", "<a\001b@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("tab-in-local", "<a\tb@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("newline-inside", "<a@x.org\n>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("del-char", "<a\177@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("8bit-local", "<j\303\266rg@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("8bit-domain", "<a@b\303\274cher.de>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("8bit-in-quotes", "<\"j\303\266rg\"@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("bad-char-domain", "<a@x!y.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv4-octet-too-big", "<a@[256.1.1.1]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv4-three-parts", "<a@[1.2.3]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv4-leading-zero", "<a@[01.2.3.4]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("literal-unclosed", "<a@[1.2.3.4>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("literal-empty", "<a@[]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("literal-hostname", "<a@[mail.example]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("literal-trailing-text", "<a@[1.2.3.4]x>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("unregistered-literal-tag", "<a@[x-tag:some-thing]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv6-without-tag", "<a@[2001:db8::1]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv6-tag-with-ipv4", "<a@[IPv6:1.2.3.4]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv6-scope-id", "<a@[IPv6:fe80::1%eth0]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("ipv6-garbage", "<a@[IPv6:zz::1]>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("source-route-no-colon", "<@a.example>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("source-route-missing-at", "<@a.example,b.example:u@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("source-route-empty-hop", "<@:u@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("source-route-bad-hop", "<@a..b:u@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("source-route-empty-mailbox", "<@a.example:>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("display-name-not-a-path", "John <j@x.org>", NULL, FALSE, MM_ERROR_PARSE),
	BAD("local-65", "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org>", NULL, FALSE, MM_ERROR_LIMIT),
	BAD("quoted-local-65-on-the-wire", "<\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b\"@x.org>", NULL, FALSE, MM_ERROR_LIMIT),
};

static void
check_path_case(gconstpointer data)
{
	const PathCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) addr = mm_address_parse_path(c->input, c->qualify, c->allow_null, &error);

	if (c->local == NULL) {
		g_assert_null(addr);
		g_assert_error(error, MM_ERROR, c->code);
		return;
	}
	g_assert_no_error(error);
	g_assert_nonnull(addr);
	g_assert_cmpstr(addr->local_part, ==, c->local);
	g_assert_cmpstr(addr->domain, ==, c->domain);
	g_assert_null(addr->display_name);
	{
		g_autofree char *path = mm_address_to_path(addr);
		g_autofree char *plain = mm_address_to_string(addr);
		g_autoptr(MmAddress) again = NULL;
		g_autoptr(MmAddress) again_plain = NULL;

		g_assert_cmpstr(path, ==, c->path);
		/* round trip: what we print parses back to the same address,
		 * with and without the angle brackets */
		again = mm_address_parse_path(path, NULL, TRUE, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(again->local_part, ==, addr->local_part);
		g_assert_cmpstr(again->domain, ==, addr->domain);
		again_plain = mm_address_parse_path(plain, NULL, TRUE, &error);
		g_assert_no_error(error);
		g_assert_true(mm_address_equal(again_plain, addr, FALSE));
	}
}

/* Limits that are easier to build than to write out. */
typedef struct {
	const char *label;
	gsize local_len;
	gsize domain_len;  /* labels of 63 joined by dots, the last one shorter */
	gboolean brackets;
	gboolean ok;
	int code;
} LimitCase;

static const LimitCase limit_cases[] = {
	/* 1 + 1 + 252 + 2 = 256, RFC 5321 4.5.3.1.3 */
	{ "path-256", 1, 252, TRUE, TRUE, 0 },
	{ "path-257", 1, 253, TRUE, FALSE, MM_ERROR_LIMIT },
	{ "path-256-without-brackets", 1, 252, FALSE, TRUE, 0 },
	{ "path-257-without-brackets", 1, 253, FALSE, FALSE, MM_ERROR_LIMIT },
	{ "path-64-local-long-domain", 64, 189, TRUE, TRUE, 0 },
	{ "path-huge", 64, 4000, TRUE, FALSE, MM_ERROR_LIMIT },
};

/* A valid domain of exactly @len characters: labels of at most 63
 * letters joined by dots. */
static char *
make_domain(gsize len)
{
	GString *d = g_string_new(NULL);

	while (d->len < len) {
		gsize left, label;

		if (d->len > 0)
			g_string_append_c(d, '.');
		left = len - d->len;
		label = MIN(63, left);
		/* leave room for a dot and at least one letter, never a lone dot */
		if (left - label == 1)
			label--;
		for (gsize i = 0; i < label; i++)
			g_string_append_c(d, 'a' + (i % 26));
	}
	g_assert_cmpuint(d->len, ==, len);
	return g_string_free(d, FALSE);
}

static void
check_limit_case(gconstpointer data)
{
	const LimitCase *c = data;
	g_autofree char *local = g_strnfill(c->local_len, 'u');
	g_autofree char *domain = make_domain(c->domain_len);
	g_autofree char *text = g_strdup_printf(c->brackets ? "<%s@%s>" : "%s@%s", local, domain);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) addr = mm_address_parse_path(text, NULL, FALSE, &error);

	if (c->ok) {
		g_assert_no_error(error);
		g_assert_cmpstr(addr->domain, ==, domain);
		g_assert_cmpuint(strlen(addr->local_part), ==, c->local_len);
	} else {
		g_assert_null(addr);
		g_assert_error(error, MM_ERROR, c->code);
	}
}

/* --- RFC 5322 address lists -------------------------------------------- */

typedef struct {
	const char *label;
	const char *input;
	const char *qualify;
	/* the addresses as "local@domain" or "Name|local@domain", joined by
	 * "; "; "" for none; NULL when a parse error is expected */
	const char *expected;
} ListCase;

static const ListCase list_cases[] = {
	{ "single", "user@example.org", NULL, "user@example.org" },
	{ "two", "a@x.org, b@y.org", NULL, "a@x.org; b@y.org" },
	{ "three-no-spaces", "a@x.org,b@y.org,c@z.org", NULL, "a@x.org; b@y.org; c@z.org" },
	{ "angle-only", "<a@x.org>", NULL, "a@x.org" },
	{ "display-name", "John Doe <jd@x.org>", NULL, "John Doe|jd@x.org" },
	{ "display-name-collapses-space", "John   Doe\t<jd@x.org>", NULL, "John Doe|jd@x.org" },
	{ "quoted-display-name", "\"Doe, John\" <jd@x.org>", NULL, "Doe, John|jd@x.org" },
	{ "quoted-display-escapes", "\"A \\\"B\\\" C\" <a@x.org>", NULL, "A \"B\" C|a@x.org" },
	{ "mixed-phrase", "Joe \"the man\" Doe <j@x.org>", NULL, "Joe the man Doe|j@x.org" },
	{ "obs-phrase-dot", "John Q. Public <jqp@x.org>", NULL, "John Q. Public|jqp@x.org" },
	{ "obs-phrase-title", "Mr. Smith <s@x.org>", NULL, "Mr. Smith|s@x.org" },
	{ "8bit-display-name", "J\303\266rg <j@x.org>", NULL, "J\303\266rg|j@x.org" },
	{ "encoded-word-kept", "=?utf-8?q?J=C3=B6rg?= <j@x.org>", NULL, "=?utf-8?q?J=C3=B6rg?=|j@x.org" },
	{ "comment-as-name", "a@x.org (Real Name)", NULL, "Real Name|a@x.org" },
	{ "comment-nested", "a@x.org (x (y) z)", NULL, "x (y) z|a@x.org" },
	{ "comment-escaped-paren", "a@x.org (x \\) y)", NULL, "x ) y|a@x.org" },
	{ "comment-before", "(team lead) a@x.org", NULL, "a@x.org" },
	{ "comments-inside-addr-spec", "a(one)@(two)x.org", NULL, "a@x.org" },
	{ "comment-in-name-addr", "John (work) <j@x.org>", NULL, "John|j@x.org" },
	{ "comment-after-angle", "John <j@x.org> (work)", NULL, "John|j@x.org" },
	{ "empty-comment", "a@x.org ()", NULL, "a@x.org" },
	{ "group", "team: a@x.org, b@y.org;", NULL, "a@x.org; b@y.org" },
	{ "group-then-mailbox", "team: a@x.org;, c@z.org", NULL, "a@x.org; c@z.org" },
	{ "mailbox-then-group", "c@z.org, team: a@x.org, B <b@y.org>;", NULL, "c@z.org; a@x.org; B|b@y.org" },
	{ "empty-group", "undisclosed-recipients:;", NULL, "" },
	{ "empty-group-spaces", "undisclosed-recipients: ;", NULL, "" },
	{ "group-quoted-name", "\"my team\": a@x.org;", NULL, "a@x.org" },
	{ "group-unclosed-at-end", "team: a@x.org", NULL, "a@x.org" },
	{ "group-empty-members", "team: , a@x.org, ;", NULL, "a@x.org" },
	{ "empty-value", "", NULL, "" },
	{ "blank-value", "  \t ", NULL, "" },
	{ "only-commas", " , ,", NULL, "" },
	{ "empty-elements", "a@x.org,, ,b@y.org,", NULL, "a@x.org; b@y.org" },
	{ "only-comment", "(nobody)", NULL, "" },
	{ "folded-lf", "John\n <j@x.org>,\n\tb@y.org", NULL, "John|j@x.org; b@y.org" },
	{ "folded-crlf", "John\r\n <j@x.org>,\r\n b@y.org", NULL, "John|j@x.org; b@y.org" },
	{ "folded-in-quotes", "\"Doe,\r\n John\" <j@x.org>", NULL, "Doe, John|j@x.org" },
	{ "folded-in-comment", "a@x.org (Real\n Name)", NULL, "Real Name|a@x.org" },
	{ "quoted-local", "\"john doe\"@x.org", NULL, "\"john doe\"@x.org" },
	{ "quoted-local-in-angle", "J <\"j d\"@x.org>", NULL, "J|\"j d\"@x.org" },
	{ "obs-local-quoted-words", "\"a\".b@x.org", NULL, "a.b@x.org" },
	{ "obs-cfws-around-dots", "a . b @ x . org", NULL, "a.b@x.org" },
	{ "ipv4-literal", "a@[10.1.2.3]", NULL, "a@[10.1.2.3]" },
	{ "ipv4-literal-spaces", "a@[ 10.1.2.3 ]", NULL, "a@[10.1.2.3]" },
	{ "ipv6-literal", "N <a@[IPv6:2001:db8::2]>", NULL, "N|a@[IPv6:2001:db8::2]" },
	{ "obs-route", "<@r1.example,@r2.example:a@x.org>", NULL, "a@x.org" },
	{ "obs-route-with-name", "N <@r1.example:a@x.org>", NULL, "N|a@x.org" },
	{ "unqualified", "root", "h.example", "root@h.example" },
	{ "unqualified-in-angle", "Admin <root>", "h.example", "Admin|root@h.example" },
	{ "unqualified-mixed", "root, a@x.org", "h.example", "root@h.example; a@x.org" },
	{ "domain-case-kept", "A@X.Org", NULL, "A@X.Org" },
	{ "hyphen-domain", "a@my-host.example", NULL, "a@my-host.example" },
	{ "atext-local", "a+tag@x.org", NULL, "a+tag@x.org" },
	{ "quoted-name-empty", "\"\" <a@x.org>", NULL, "a@x.org" },
	{ "address-as-name", "a@x.org <a@x.org>", NULL, "a@x.org|a@x.org" },
	{ "address-as-name-in-list", "b@y.org, a@x.org <a@x.org>", NULL, "b@y.org; a@x.org|a@x.org" },
	{ "name-with-colon-is-a-group", "Re: x <a@x.org>", NULL, "x|a@x.org" },
	{ "comment-in-loose-name", "a@x.org (A) <a@x.org>", NULL, "a@x.org|a@x.org" },

	/* malformed */
	{ "unqualified-no-domain", "root", NULL, NULL },
	{ "null-address", "<>", NULL, NULL },
	{ "null-address-with-name", "Nobody <>", NULL, NULL },
	{ "unbalanced-angle", "John <j@x.org", NULL, NULL },
	{ "stray-close-angle", "j@x.org>", NULL, NULL },
	{ "unbalanced-comment", "a@x.org (Real Name", NULL, NULL },
	{ "unbalanced-nested-comment", "a@x.org (a (b)", NULL, NULL },
	{ "stray-close-paren", "a@x.org Real)", NULL, NULL },
	{ "unterminated-quote", "\"John <j@x.org>", NULL, NULL },
	{ "unterminated-literal", "a@[1.2.3.4", NULL, NULL },
	{ "bad-literal", "a@[1.2.3.400]", NULL, NULL },
	{ "missing-comma", "a@x.org b@y.org", NULL, NULL },
	{ "name-without-angle", "John Doe j@x.org", NULL, NULL },
	{ "double-at", "a@@x.org", NULL, NULL },
	{ "two-ats", "a@b@x.org", NULL, NULL },
	{ "missing-local", "@x.org", NULL, NULL },
	{ "missing-domain", "a@", NULL, NULL },
	{ "trailing-dot-domain", "a@x.org.", NULL, NULL },
	{ "leading-dot-domain", "a@.x.org", NULL, NULL },
	{ "trailing-dot-local", "a.@x.org", NULL, NULL },
	{ "empty-quoted-local", "\"\"@x.org", NULL, NULL },
	{ "8bit-local", "j\303\266rg@x.org", NULL, NULL },
	{ "8bit-domain", "a@b\303\274cher.de", NULL, NULL },
	{ "control-char", "a\001@x.org", NULL, NULL },
	{ "control-char-in-quotes", "\"a\002\" <a@x.org>", NULL, NULL },
	{ "control-char-in-comment", "a@x.org (a\002)", NULL, NULL },
	{ "nested-group", "outer: inner: a@x.org;;", NULL, NULL },
	{ "stray-semicolon", "a@x.org;", NULL, NULL },
	{ "stray-colon", "a@x.org:", NULL, NULL },
	{ "backslash-outside-quotes", "a\\b@x.org", NULL, NULL },
	{ "stray-bracket", "a@x.org]", NULL, NULL },
	{ "literal-without-local", "[1.2.3.4]", NULL, NULL },
	{ "angle-twice", "<<a@x.org>>", NULL, NULL },
	{ "garbage-after-angle", "<a@x.org> junk", NULL, NULL },
	{ "bad-route", "<@r1.example a@x.org>", NULL, NULL },
	{ "local-part-65", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org", NULL, NULL },
	{ "label-64", "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org", NULL, NULL },
};

static char *
describe_list(GPtrArray *list)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++) {
		const MmAddress *a = g_ptr_array_index(list, i);
		g_autofree char *s = mm_address_to_string(a);

		if (i > 0)
			g_string_append(out, "; ");
		if (a->display_name != NULL)
			g_string_append_printf(out, "%s|", a->display_name);
		g_string_append(out, s);
	}
	return g_string_free(out, FALSE);
}

static void
check_list_case(gconstpointer data)
{
	const ListCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = mm_address_parse_list(c->input, c->qualify, &error);

	if (c->expected == NULL) {
		g_assert_null(list);
		g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
		return;
	}
	g_assert_no_error(error);
	g_assert_nonnull(list);
	{
		g_autofree char *got = describe_list(list);

		g_assert_cmpstr(got, ==, c->expected);
	}
	/* every address a header yields is a valid envelope address */
	for (guint i = 0; i < list->len; i++) {
		const MmAddress *a = g_ptr_array_index(list, i);
		g_autofree char *s = mm_address_to_string(a);
		g_autoptr(MmAddress) again = mm_address_parse_path(s, NULL, FALSE, &error);

		g_assert_no_error(error);
		g_assert_true(mm_address_equal(again, a, FALSE));
	}
}

static void
test_list_domain_limit(void)
{
	g_autofree char *ok_domain = make_domain(MM_DOMAIN_MAX);
	g_autofree char *long_domain = make_domain(MM_DOMAIN_MAX + 1);
	g_autofree char *ok = g_strconcat("a@", ok_domain, NULL);
	g_autofree char *bad = g_strconcat("a@", long_domain, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = mm_address_parse_list(ok, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 1);
	g_clear_pointer(&list, g_ptr_array_unref);
	list = mm_address_parse_list(bad, NULL, &error);
	g_assert_null(list);
	g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
}

/* Random strings over the characters that matter to the grammar: the
 * parsers must never crash, and whatever they accept must print and
 * parse back to the same address. Reproducible with --seed. */
static void
test_random_input(void)
{
	static const char alphabet[] = "ab.@<>()[]\\\",;: \t\r\n\001\377x-1:";

	for (int round = 0; round < 20000; round++) {
		char text[40];
		gsize len = g_test_rand_int_range(0, sizeof text);
		g_autoptr(GPtrArray) list = NULL;
		g_autoptr(MmAddress) path = NULL;

		for (gsize i = 0; i < len; i++)
			text[i] = alphabet[g_test_rand_int_range(0, sizeof alphabet - 1)];
		text[len] = '\0';

		list = mm_address_parse_list(text, g_test_rand_bit() ? "q.example" : NULL, NULL);
		for (guint i = 0; list != NULL && i < list->len; i++) {
			const MmAddress *a = g_ptr_array_index(list, i);
			g_autofree char *s = mm_address_to_path(a);
			g_autoptr(MmAddress) again = mm_address_parse_path(s, NULL, FALSE, NULL);

			g_assert_nonnull(again);
			g_assert_true(mm_address_equal(again, a, FALSE));
		}
		path = mm_address_parse_path(text, g_test_rand_bit() ? "q.example" : NULL, TRUE, NULL);
		if (path != NULL) {
			g_autofree char *s = mm_address_to_path(path);
			g_autoptr(MmAddress) again = mm_address_parse_path(s, NULL, TRUE, NULL);

			g_assert_nonnull(again);
			g_assert_true(mm_address_equal(again, path, FALSE));
		}
	}
}

/* --- printing ------------------------------------------------------------ */

typedef struct {
	const char *label;
	const char *local;
	const char *domain;
	const char *expected; /* mm_address_to_string() */
} PrintCase;

static const PrintCase print_cases[] = {
	{ "plain", "user", "x.org", "user@x.org" },
	{ "dots", "a.b.c", "x.org", "a.b.c@x.org" },
	{ "atext", "a+b=c", "x.org", "a+b=c@x.org" },
	{ "space", "a b", "x.org", "\"a b\"@x.org" },
	{ "leading-dot", ".a", "x.org", "\".a\"@x.org" },
	{ "trailing-dot", "a.", "x.org", "\"a.\"@x.org" },
	{ "double-dot", "a..b", "x.org", "\"a..b\"@x.org" },
	{ "quote", "a\"b", "x.org", "\"a\\\"b\"@x.org" },
	{ "backslash", "a\\b", "x.org", "\"a\\\\b\"@x.org" },
	{ "at", "a@b", "x.org", "\"a@b\"@x.org" },
	{ "parens", "a(b)", "x.org", "\"a(b)\"@x.org" },
	{ "angle", "<a>", "x.org", "\"<a>\"@x.org" },
	{ "null", "", "", "" },
	{ "no-domain", "alias", "", "alias" },
	{ "literal", "a", "[1.2.3.4]", "a@[1.2.3.4]" },
};

static void
check_print_case(gconstpointer data)
{
	const PrintCase *c = data;
	g_autoptr(MmAddress) addr = mm_address_new(c->local, c->domain, "ignored");
	g_autofree char *s = mm_address_to_string(addr);
	g_autofree char *path = mm_address_to_path(addr);
	g_autofree char *expected_path = g_strconcat("<", c->expected, ">", NULL);

	g_assert_cmpstr(s, ==, c->expected);
	g_assert_cmpstr(path, ==, expected_path);
	if (*c->domain != '\0') {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmAddress) again = mm_address_parse_path(path, NULL, FALSE, &error);

		g_assert_no_error(error);
		g_assert_cmpstr(again->local_part, ==, c->local);
		g_assert_cmpstr(again->domain, ==, c->domain);
	}
}

/* --- equality and the basics -------------------------------------------- */

typedef struct {
	const char *label;
	const char *a, *b;
	gboolean caseless;
	gboolean equal;
} EqualCase;

static const EqualCase equal_cases[] = {
	{ "same", "a@x.org", "a@x.org", FALSE, TRUE },
	{ "domain-case", "a@X.ORG", "a@x.org", FALSE, TRUE },
	{ "local-case-sensitive", "A@x.org", "a@x.org", FALSE, FALSE },
	{ "local-case-caseless", "A@x.org", "a@x.org", TRUE, TRUE },
	{ "different-local", "a@x.org", "b@x.org", TRUE, FALSE },
	{ "different-domain", "a@x.org", "a@y.org", TRUE, FALSE },
	{ "quoting-irrelevant", "\"a\"@x.org", "a@x.org", FALSE, TRUE },
	{ "null-vs-null", "<>", "<>", FALSE, TRUE },
	{ "null-vs-address", "<>", "a@x.org", FALSE, FALSE },
};

static void
check_equal_case(gconstpointer data)
{
	const EqualCase *c = data;
	g_autoptr(MmAddress) a = mm_address_parse_path(c->a, NULL, TRUE, NULL);
	g_autoptr(MmAddress) b = mm_address_parse_path(c->b, NULL, TRUE, NULL);

	g_assert_nonnull(a);
	g_assert_nonnull(b);
	g_assert_cmpint(mm_address_equal(a, b, c->caseless), ==, c->equal);
	g_assert_cmpint(mm_address_equal(b, a, c->caseless), ==, c->equal);
}

static void
test_new_copy_free(void)
{
	g_autoptr(MmAddress) a = mm_address_new("user", "x.org", "User Name");
	g_autoptr(MmAddress) b = mm_address_copy(a);
	g_autoptr(MmAddress) n = mm_address_new("", "", NULL);

	g_assert_true(a->local_part != b->local_part);
	g_assert_cmpstr(b->local_part, ==, "user");
	g_assert_cmpstr(b->domain, ==, "x.org");
	g_assert_cmpstr(b->display_name, ==, "User Name");
	g_assert_false(mm_address_is_null(a));
	g_assert_true(mm_address_is_null(n));
	mm_address_free(NULL);
}

/* --- the local/remote decision ------------------------------------------ */

static const char *const test_local_hosts[] = { "localhost", "*.lan", "example.org", NULL };
static const char *const test_local_addresses[] = { "person1@corp.example", "*@friends.example", NULL };
static const char *const test_not_local_addresses[] = { "eric@example.org", "bob", "*-remote@localhost", NULL };

typedef struct {
	const char *label;
	const char *address;
	gboolean caseless;
	gboolean local;
} LocalCase;

static const LocalCase local_cases[] = {
	{ "host-name", "u@mail.example.net", FALSE, TRUE },
	{ "host-name-any-case", "u@MAIL.Example.NET", FALSE, TRUE },
	{ "local-hosts-exact", "u@localhost", FALSE, TRUE },
	{ "local-hosts-any-case", "u@LocalHost", FALSE, TRUE },
	{ "local-hosts-glob", "u@box.lan", FALSE, TRUE },
	{ "local-hosts-glob-deep", "u@a.b.lan", FALSE, TRUE },
	{ "local-hosts-glob-needs-dot", "u@lan", FALSE, FALSE },
	{ "local-hosts-domain", "u@example.org", FALSE, TRUE },
	{ "local-hosts-no-subdomain", "u@sub.example.org", FALSE, FALSE },
	{ "remote", "u@other.example", FALSE, FALSE },
	{ "local-addresses", "person1@corp.example", FALSE, TRUE },
	{ "local-addresses-domain-case", "person1@CORP.Example", FALSE, TRUE },
	{ "local-addresses-local-case", "Person1@corp.example", FALSE, FALSE },
	{ "local-addresses-caseless", "Person1@corp.example", TRUE, TRUE },
	{ "local-addresses-other-user", "person2@corp.example", FALSE, FALSE },
	{ "local-addresses-glob", "anyone@friends.example", FALSE, TRUE },
	{ "not-local-addresses", "eric@example.org", FALSE, FALSE },
	{ "not-local-addresses-domain-case", "eric@EXAMPLE.ORG", FALSE, FALSE },
	{ "not-local-addresses-local-case", "Eric@example.org", FALSE, TRUE },
	{ "not-local-addresses-caseless", "Eric@example.org", TRUE, FALSE },
	{ "not-local-unqualified-entry", "bob@mail.example.net", FALSE, FALSE },
	{ "not-local-unqualified-other-domain", "bob@example.org", FALSE, TRUE },
	{ "not-local-glob", "x-remote@localhost", FALSE, FALSE },
	{ "literal-remote", "u@[10.0.0.1]", FALSE, FALSE },
	{ "null-path", "<>", FALSE, FALSE },
};

static void
check_local_case(gconstpointer data)
{
	const LocalCase *c = data;
	MmLocality loc = {
		.host_name = "mail.example.net",
		.local_hosts = test_local_hosts,
		.local_addresses = test_local_addresses,
		.not_local_addresses = test_not_local_addresses,
		.caseless_matching = c->caseless,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) addr = mm_address_parse_path(c->address, NULL, TRUE, &error);

	g_assert_no_error(error);
	g_assert_cmpint(mm_address_is_local(addr, &loc), ==, c->local);
}

static void
test_local_empty_config(void)
{
	MmLocality loc = { 0 };
	g_autoptr(MmAddress) addr = mm_address_new("u", "localhost", NULL);

	/* nothing configured: nothing is local */
	g_assert_false(mm_address_is_local(addr, &loc));
	loc.host_name = "localhost";
	g_assert_true(mm_address_is_local(addr, &loc));
}

#define ADD_TABLE(prefix, table, func)                                          \
	for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {                       \
		g_autofree char *name = g_strconcat(prefix, table[i].label, NULL); \
		g_test_add_data_func(name, &table[i], func);                    \
	}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	ADD_TABLE("/address/path/", path_cases, check_path_case);
	ADD_TABLE("/address/path/limit/", limit_cases, check_limit_case);
	ADD_TABLE("/address/list/", list_cases, check_list_case);
	g_test_add_func("/address/list/limit/domain-255", test_list_domain_limit);
	g_test_add_func("/address/random-input", test_random_input);
	ADD_TABLE("/address/to-string/", print_cases, check_print_case);
	ADD_TABLE("/address/equal/", equal_cases, check_equal_case);
	g_test_add_func("/address/new-copy-free", test_new_copy_free);
	ADD_TABLE("/address/local/", local_cases, check_local_case);
	g_test_add_func("/address/local/empty-config", test_local_empty_config);

	return g_test_run();
}
