/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/alias.c: the syntax of alias files (masqmail.aliases(5))
 * and the rules of expansion, each as a table of labelled cases, plus the
 * errors of reading files, with the shipped fixtures and files made in a
 * temporary directory per test.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "deliver/alias.h"

#define HOST "test.example"

static const char *const local_hosts[] = { "localhost", HOST, NULL };
static const char *const local_addresses[] = { "bob@elsewhere.org", NULL };
static const char *const not_local_addresses[] = { "remote@" HOST, NULL };

static MmLocality
locality(gboolean caseless)
{
	MmLocality loc = {
		.host_name = HOST,
		.local_hosts = local_hosts,
		.local_addresses = local_addresses,
		.not_local_addresses = not_local_addresses,
		.caseless_matching = caseless,
	};
	return loc;
}

/* Recipients from "a b@c |cmd": white space separates, except that a
 * pipe runs to the end. */
static GPtrArray *
make_rcpts(const char *spec)
{
	GPtrArray *rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	g_auto(GStrv) words = NULL;

	if (spec == NULL)
		return rcpts;
	words = g_strsplit(spec, " ", -1);
	for (guint i = 0; words[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmAddress) addr = NULL;

		if (words[i][0] == '\0')
			continue;
		if (words[i][0] == '|') {
			g_autofree char *rest = g_strjoinv(" ", words + i);

			g_ptr_array_add(rcpts, mm_recipient_new_pipe(rest));
			break;
		}
		addr = mm_address_parse_path(words[i], HOST, FALSE, &error);
		g_assert_no_error(error);
		g_ptr_array_add(rcpts, mm_recipient_new(addr));
	}
	return rcpts;
}

static const char *
kind_name(MmAliasResultKind kind)
{
	switch (kind) {
	case MM_ALIAS_RESULT_LOCAL:
		return "local";
	case MM_ALIAS_RESULT_PIPE:
		return "pipe";
	case MM_ALIAS_RESULT_REMOTE:
		return "remote";
	}
	return "?";
}

/* "local:bob@test.example<0>; pipe:|cmd<0,1>" */
static char *
render_results(const MmAliasExpansion *exp)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < exp->results->len; i++) {
		const MmAliasResult *r = exp->results->pdata[i];
		g_autofree char *what = NULL;

		g_assert_cmpuint(r->origins->len, >, 0);
		g_assert_cmpint(r->rcpt->state, ==, MM_RCPT_PENDING);
		if (r->kind == MM_ALIAS_RESULT_PIPE) {
			g_assert_null(r->rcpt->address);
			what = g_strdup(r->rcpt->pipe);
		} else {
			g_assert_null(r->rcpt->pipe);
			what = mm_address_to_string(r->rcpt->address);
		}
		if (i > 0)
			g_string_append(out, "; ");
		g_string_append_printf(out, "%s:%s<", kind_name(r->kind), what);
		for (guint j = 0; j < r->origins->len; j++)
			g_string_append_printf(out, "%s%u", j > 0 ? "," : "",
			                       g_array_index(r->origins, guint, j));
		g_string_append_c(out, '>');
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static const char *
code_name(int code)
{
	switch (code) {
	case MM_ERROR_CONFIG:
		return "CONFIG";
	case MM_ERROR_PARSE:
		return "PARSE";
	case MM_ERROR_FAILED:
		return "FAILED";
	case MM_ERROR_LIMIT:
		return "LIMIT";
	default:
		return "OTHER";
	}
}

/* "0:CONFIG 2:FAILED" */
static char *
render_failures(const MmAliasExpansion *exp)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < exp->failures->len; i++) {
		const MmAliasFailure *f = exp->failures->pdata[i];

		g_assert_nonnull(f->error);
		g_assert_true(f->error->domain == MM_ERROR);
		if (i > 0)
			g_string_append_c(out, ' ');
		g_string_append_printf(out, "%u:%s", f->origin, code_name(f->error->code));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static MmAliasTable *
parse_or_die(const char *text, const char *name, MmAliasTableKind kind)
{
	g_autoptr(GError) error = NULL;
	MmAliasTable *table;

	if (text == NULL)
		return NULL;
	table = mm_alias_table_parse(text, strlen(text), name, kind, &error);
	g_assert_no_error(error);
	g_assert_nonnull(table);
	return table;
}

/* --- expansion cases --------------------------------------------------- */

typedef struct {
	const char *label;
	const char *aliases;     /* alias_file text, NULL: none */
	const char *globaliases; /* globalias_file text, NULL: none */
	gboolean caseless;
	const char *rcpts;
	const char *done;        /* already delivered, NULL: none */
	const char *results;
	const char *failures;
	const char *message;     /* part of the first failure's message, or NULL */
} ExpandCase;

static const ExpandCase expand_cases[] = {
	/* syntax */
	{ "syntax/plain", "a: bob\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "syntax/list", "a: bob, carol,dave\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>; local:carol@" HOST "<0>; local:dave@" HOST "<0>", "", NULL },
	{ "syntax/comments-and-blank-lines", "# a comment\n\n   \n\t# indented comment\na: bob\n",
	  NULL, FALSE, "a", NULL, "local:bob@" HOST "<0>", "", NULL },
	{ "syntax/crlf", "a: bob\r\nb: carol\r\n", NULL, FALSE, "a b", NULL,
	  "local:bob@" HOST "<0>; local:carol@" HOST "<1>", "", NULL },
	{ "syntax/no-final-newline", "a: bob", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "syntax/space-around-key", "  a  :bob\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "syntax/trailing-comma", "a: bob,\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "syntax/continuation", "a: bob,\n  carol,\n\n# between\n\tdave\nb: erin\n", NULL, FALSE,
	  "a b", NULL,
	  "local:bob@" HOST "<0>; local:carol@" HOST "<0>; local:dave@" HOST "<0>; local:erin@" HOST "<1>",
	  "", NULL },
	{ "syntax/indented-entry-without-comma", "a: bob\n  c: carol\n", NULL, FALSE, "a c", NULL,
	  "local:bob@" HOST "<0>; local:carol@" HOST "<1>", "", NULL },
	{ "syntax/first-entry-wins", "a: bob\na: carol\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "syntax/quoted-item", "a: \"bob\" , \"carol@localhost\"\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>; local:carol@localhost<0>", "", NULL },
	{ "syntax/quoted-pipe-with-comma", "a: \"|/bin/foo a, b\", bob\n", NULL, FALSE, "a", NULL,
	  "pipe:|/bin/foo a, b<0>; local:bob@" HOST "<0>", "", NULL },
	{ "syntax/quoted-escapes", "a: \"|/bin/echo \\\"hi\\\" \\\\ x\"\n", NULL, FALSE, "a", NULL,
	  "pipe:|/bin/echo \"hi\" \\ x<0>", "", NULL },
	{ "syntax/unquoted-pipe", "a: |/usr/bin/foo -x\n", NULL, FALSE, "a", NULL,
	  "pipe:|/usr/bin/foo -x<0>", "", NULL },
	{ "syntax/error/unterminated-quote", "a: \"bob\nb: carol\n", NULL, FALSE, "a b", NULL,
	  "local:carol@" HOST "<1>", "0:CONFIG", "aliases:1: unterminated quoted item" },
	{ "syntax/error/text-after-quote", "a: \"bob\" carol\n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:1: text after the closing quote" },
	{ "syntax/error/empty-item", "# x\na: bob,,carol\n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:2: empty item" },
	{ "syntax/error/empty-value", "a:\n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:1: no items" },
	{ "syntax/error/missing-colon", "a bob\nb: carol\n", NULL, FALSE, "a b", NULL,
	  "local:a@" HOST "<0>; local:carol@" HOST "<1>", "", NULL },
	{ "syntax/error/missing-colon-key", "a\nb: carol\n", NULL, FALSE, "a b", NULL,
	  "local:carol@" HOST "<1>", "0:CONFIG", "aliases:1: missing ':'" },
	{ "syntax/error/empty-pipe", "a: bob, | \n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:1: pipe item without a command" },
	{ "syntax/error/lone-backslash", "a: \\\n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:1:" },
	{ "syntax/error/continued-entry-line", "x: y\na: bob,\n  \"carol\n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:2: unterminated" },
	{ "syntax/error/unused-entry-harmless", "a: \"bob\nb: carol\n", NULL, FALSE, "b", NULL,
	  "local:carol@" HOST "<0>", "", NULL },

	/* what is expanded and what passes through */
	{ "pass/no-alias", "a: bob\n", NULL, FALSE, "carol", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "pass/no-tables", NULL, NULL, FALSE, "carol x@remote.org", NULL,
	  "local:carol@" HOST "<0>; remote:x@remote.org<1>", "", NULL },
	{ "pass/remote-recipient-untouched", "x: bob\n", NULL, FALSE, "x@remote.org", NULL,
	  "remote:x@remote.org<0>", "", NULL },
	{ "pass/not-local-addresses", "remote: bob\n", NULL, FALSE, "remote@" HOST, NULL,
	  "remote:remote@" HOST "<0>", "", NULL },
	{ "pass/local-addresses", "bob: carol\n", NULL, FALSE, "bob@elsewhere.org", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "pass/other-local-domain", "a: bob\n", NULL, FALSE, "a@localhost", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "pass/pipe-recipient", "a: bob\n", NULL, FALSE, "|/bin/cat -u", NULL,
	  "pipe:|/bin/cat -u<0>", "", NULL },
	{ "pass/remote-result", "a: joe@remote.org, bob\n", NULL, FALSE, "a", NULL,
	  "remote:joe@remote.org<0>; local:bob@" HOST "<0>", "", NULL },
	{ "pass/remote-result-not-looked-up", "a: joe@remote.org\njoe: bob\n", NULL, FALSE, "a",
	  NULL, "remote:joe@remote.org<0>", "", NULL },

	/* nesting, \name, pipes */
	{ "nest/two-levels", "a: b\nb: c, d\n", NULL, FALSE, "a", NULL,
	  "local:c@" HOST "<0>; local:d@" HOST "<0>", "", NULL },
	{ "nest/alias-via-other-domain", "a: b@localhost\nb: carol\n", NULL, FALSE, "a", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "final/backslash", "root: \\root, meillo\n", NULL, FALSE, "root", NULL,
	  "local:root@" HOST "<0>; local:meillo@" HOST "<0>", "", NULL },
	{ "final/backslash-stops-expansion", "a: \\b\nb: carol\n", NULL, FALSE, "a", NULL,
	  "local:b@" HOST "<0>", "", NULL },
	{ "final/backslash-quoted", "root: \"\\\\root\"\n", NULL, FALSE, "root", NULL,
	  "local:root@" HOST "<0>", "", NULL },
	{ "final/backslash-remote", "a: \\b@remote.org\n", NULL, FALSE, "a", NULL,
	  "remote:b@remote.org<0>", "", NULL },
	{ "pipe/nested", "a: b\nb: |/usr/bin/procmail -d b\n", NULL, FALSE, "a", NULL,
	  "pipe:|/usr/bin/procmail -d b<0>", "", NULL },
	{ "mixed/pipe-user-remote", "list: |/usr/bin/archive, bob, joe@remote.org\n", NULL, FALSE,
	  "list", NULL,
	  "pipe:|/usr/bin/archive<0>; local:bob@" HOST "<0>; remote:joe@remote.org<0>", "", NULL },

	/* failures */
	{ "fail/loop", "a: b\nb: a\n", NULL, FALSE, "a", NULL,
	  "", "0:FAILED", "aliases:2: alias loop: a@" HOST " -> b@" HOST " -> a@" HOST },
	{ "fail/self-loop", "root: root, meillo\n", NULL, FALSE, "root", NULL,
	  "", "0:FAILED", "alias loop" },
	{ "fail/loop-drops-valid-siblings", "a: bob, b\nb: carol, a\n", NULL, FALSE, "a", NULL,
	  "", "0:FAILED", "alias loop" },
	{ "fail/loop-other-recipients-unaffected", "a: b\nb: a\n", NULL, FALSE, "carol a dave", NULL,
	  "local:carol@" HOST "<0>; local:dave@" HOST "<2>", "1:FAILED", NULL },
	{ "fail/bad-address", "a: bob, x@@y, carol\n", NULL, FALSE, "a", NULL,
	  "", "0:PARSE", "aliases:1: alias a@" HOST " expands to invalid address 'x@@y'" },
	{ "fail/bad-address-nested", "a: bob, b\nb: carol, <dave\n", NULL, FALSE, "a b2", NULL,
	  "local:b2@" HOST "<1>", "0:PARSE", "aliases:2:" },
	{ "fail/bad-final-address", "a: \\x@@y\n", NULL, FALSE, "a", NULL,
	  "", "0:PARSE", "invalid address 'x@@y'" },
	{ "fail/syntax-error-nested", "a: bob, b\nb: \"carol\n", NULL, FALSE, "a", NULL,
	  "", "0:CONFIG", "aliases:2: unterminated" },
	{ "fail/shared-result-kept-for-good-recipient", "a: bob, b\nb: a\nc: bob\n", NULL, FALSE,
	  "a c", NULL, "local:bob@" HOST "<1>", "0:FAILED", NULL },

	/* duplicates */
	{ "dup/same-list", "a: bob, bob, b\nb: bob\n", NULL, FALSE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "dup/across-recipients", "a: bob\nb: bob, |/bin/x\nc: |/bin/x\n", NULL, FALSE, "a b c",
	  NULL, "local:bob@" HOST "<0,1>; pipe:|/bin/x<1,2>", "", NULL },
	{ "dup/local-domains-one-mailbox", "a: bob@localhost, bob@" HOST "\n", NULL, FALSE, "a",
	  NULL, "local:bob@localhost<0>", "", NULL },
	{ "dup/remote-domain-case", "a: joe@Remote.ORG, joe@remote.org\n", NULL, FALSE, "a", NULL,
	  "remote:joe@Remote.ORG<0>", "", NULL },
	{ "dup/remote-local-part-case", "a: Joe@remote.org, joe@remote.org\n", NULL, FALSE, "a",
	  NULL, "remote:Joe@remote.org<0>; remote:joe@remote.org<0>", "", NULL },
	{ "dup/recipient-and-result", "a: bob\n", NULL, FALSE, "a bob", NULL,
	  "local:bob@" HOST "<0,1>", "", NULL },
	{ "dup/done-left-out", "a: bob, carol, |/bin/x\n", NULL, FALSE, "a", "carol |/bin/x",
	  "local:bob@" HOST "<0>", "", NULL },

	/* glob aliases */
	{ "glob/catch-all", NULL, "*@" HOST ": \\carol\n", FALSE, "anything", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "glob/catch-all-catches-its-target", NULL, "*@" HOST ": carol\n", FALSE, "anything", NULL,
	  "", "0:FAILED", "globaliases:1: alias loop: anything@" HOST " -> carol@" HOST " -> carol@" HOST },
	{ "glob/beats-normal", "a: bob\n", "a@*: carol\n", FALSE, "a", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "glob/first-match-wins", NULL,
	  "list-*@" HOST ": |/bin/list\n*@" HOST ": brian@other.net\n", FALSE,
	  "list-x other", NULL, "pipe:|/bin/list<0>; remote:brian@other.net<1>", "", NULL },
	{ "glob/per-domain", NULL, "info@localhost: doug\ninfo@" HOST ": rob\n", FALSE,
	  "info@localhost info", NULL, "local:doug@" HOST "<0>; local:rob@" HOST "<1>", "", NULL },
	{ "glob/into-normal", "a: bob\n", "info@*: a\n", FALSE, "info", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "glob/from-normal", "a: info\n", "info@*: carol\n", FALSE, "a", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "glob/loop-across-tables", "a: info\n", "info@*: a\n", FALSE, "a", NULL,
	  "", "0:FAILED", "globaliases:1: alias loop" },
	{ "glob/syntax-error-names-glob-file", NULL, "a@*: \"x\n", FALSE, "a", NULL,
	  "", "0:CONFIG", "globaliases:1: unterminated" },
	{ "glob/remote-not-matched", NULL, "*: carol\n", FALSE, "x@remote.org", NULL,
	  "remote:x@remote.org<0>", "", NULL },
	{ "glob/domain-without-case", NULL, "info@Test.Example: carol\n", FALSE, "info@TEST.example",
	  NULL, "local:carol@" HOST "<0>", "", NULL },
	{ "glob/local-part-with-case", NULL, "info@*: carol\n", FALSE, "INFO", NULL,
	  "local:INFO@" HOST "<0>", "", NULL },
	{ "glob/local-part-caseless", NULL, "info@*: carol\n", TRUE, "INFO", NULL,
	  "local:carol@" HOST "<0>", "", NULL },

	/* caseless_matching */
	{ "case/off", "bob: carol\n", NULL, FALSE, "Bob", NULL,
	  "local:Bob@" HOST "<0>", "", NULL },
	{ "case/on", "bob: carol\n", NULL, TRUE, "Bob", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "case/on-key-folded", "BOB: carol\n", NULL, TRUE, "bob", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "case/on-duplicates", "a: bob, Bob\n", NULL, TRUE, "a", NULL,
	  "local:bob@" HOST "<0>", "", NULL },
	{ "case/on-loop", "a: B\nb: A\n", NULL, TRUE, "a", NULL,
	  "", "0:FAILED", "alias loop" },

	/* postmaster */
	{ "postmaster/default-root", "a: bob\n", NULL, FALSE, "postmaster", NULL,
	  "local:root@" HOST "<0>", "", NULL },
	{ "postmaster/no-alias-file", NULL, NULL, FALSE, "postmaster@localhost", NULL,
	  "local:root@" HOST "<0>", "", NULL },
	{ "postmaster/alias", "postmaster: carol\n", NULL, FALSE, "postmaster", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "postmaster/caseless-always", "postmaster: carol\n", NULL, FALSE, "PostMaster", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "postmaster/caseless-key", "PostMaster: carol\n", NULL, FALSE, "postmaster", NULL,
	  "local:carol@" HOST "<0>", "", NULL },
	{ "postmaster/follows-root-alias", "root: carol, joe@remote.org\n", NULL, FALSE,
	  "postmaster", NULL, "local:carol@" HOST "<0>; remote:joe@remote.org<0>", "", NULL },
	{ "postmaster/root-to-postmaster", "root: postmaster\n", NULL, FALSE, "root postmaster",
	  NULL, "local:root@" HOST "<0,1>", "", NULL },
	{ "postmaster/glob", NULL, "postmaster@*: ken\n", FALSE, "POSTMASTER", NULL,
	  "local:ken@" HOST "<0>", "", NULL },
	{ "postmaster/remote-untouched", NULL, NULL, FALSE, "postmaster@remote.org", NULL,
	  "remote:postmaster@remote.org<0>", "", NULL },
	{ "postmaster/explicit-loop-bounces", "postmaster: a\na: postmaster\n", NULL, FALSE,
	  "postmaster", NULL, "", "0:FAILED", "alias loop" },
};

static void
test_expand(gconstpointer data)
{
	const ExpandCase *c = data;
	g_autoptr(MmAliasTable) aliases = parse_or_die(c->aliases, "aliases",
	                                               MM_ALIAS_TABLE_LOCAL_PART);
	g_autoptr(MmAliasTable) globaliases = parse_or_die(c->globaliases, "globaliases",
	                                                   MM_ALIAS_TABLE_GLOB);
	MmLocality loc = locality(c->caseless);
	MmAliasContext ctx = { .aliases = aliases, .globaliases = globaliases, .locality = &loc };
	g_autoptr(GPtrArray) rcpts = make_rcpts(c->rcpts);
	g_autoptr(GPtrArray) done = c->done != NULL ? make_rcpts(c->done) : NULL;
	g_autoptr(MmAliasExpansion) exp = mm_alias_expand(&ctx, rcpts, done);
	g_autofree char *results = NULL;
	g_autofree char *failures = NULL;

	g_assert_nonnull(exp);
	results = render_results(exp);
	failures = render_failures(exp);
	g_assert_cmpstr(results, ==, c->results);
	g_assert_cmpstr(failures, ==, c->failures);
	if (c->message != NULL) {
		const MmAliasFailure *f = exp->failures->pdata[0];

		if (strstr(f->error->message, c->message) == NULL)
			g_error("failure message \"%s\" lacks \"%s\"", f->error->message, c->message);
	}
	/* the input is left as it was */
	for (guint i = 0; i < rcpts->len; i++)
		g_assert_cmpint(((MmRecipient *)rcpts->pdata[i])->state, ==, MM_RCPT_PENDING);
}

/* --- limits ---------------------------------------------------------- */

typedef struct {
	const char *label;
	guint levels;      /* a0: a1, a1: a2, ... a(levels-1): a(levels) */
	guint fanout;      /* items per entry, all naming the next level */
	const char *failures;
} LimitCase;

static const LimitCase limit_cases[] = {
	{ "depth/at-limit", MM_ALIAS_DEPTH_MAX, 1, "" },
	{ "depth/over-limit", MM_ALIAS_DEPTH_MAX + 1, 1, "0:LIMIT" },
	/* 3^8 = 6561 items: below MM_ALIAS_ITEMS_MAX, delivered once */
	{ "items/below-limit", 8, 3, "" },
	/* 4^7 = 16384 items: the fan-out cap, not the depth, stops it */
	{ "items/over-limit", 7, 4, "0:LIMIT" },
};

static void
test_limit(gconstpointer data)
{
	const LimitCase *c = data;
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(MmAliasTable) aliases = NULL;
	MmLocality loc = locality(FALSE);
	MmAliasContext ctx = { .locality = &loc };
	g_autoptr(GPtrArray) rcpts = make_rcpts("a0");
	g_autoptr(MmAliasExpansion) exp = NULL;
	g_autofree char *failures = NULL;

	for (guint i = 0; i < c->levels; i++) {
		g_string_append_printf(text, "a%u:", i);
		for (guint j = 0; j < c->fanout; j++)
			g_string_append_printf(text, "%s a%u", j > 0 ? "," : "", i + 1);
		g_string_append_c(text, '\n');
	}
	aliases = parse_or_die(text->str, "aliases", MM_ALIAS_TABLE_LOCAL_PART);
	ctx.aliases = aliases;
	exp = mm_alias_expand(&ctx, rcpts, NULL);
	failures = render_failures(exp);
	g_assert_cmpstr(failures, ==, c->failures);
	if (c->failures[0] == '\0') {
		g_autofree char *results = render_results(exp);
		g_autofree char *want = g_strdup_printf("local:a%u@" HOST "<0>", c->levels);

		g_assert_cmpstr(results, ==, want);
	} else {
		g_assert_cmpuint(exp->results->len, ==, 0);
	}
}

/* --- files ----------------------------------------------------------- */

typedef struct {
	char *dir;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("test-alias-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(fx->dir, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(fx->dir, name, NULL);

		if (g_rmdir(path) != 0)
			g_assert_cmpint(g_unlink(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(fx->dir), ==, 0);
	g_free(fx->dir);
}

typedef enum {
	CONTENT_TEXT,      /* write @text */
	CONTENT_NONE,      /* do not create the file */
	CONTENT_DIRECTORY, /* a directory in its place */
	CONTENT_HUGE,      /* one byte more than MM_CONF_FILE_MAX of comment */
	CONTENT_LONG_LINE, /* @text, then a line one byte over MM_CONF_LINE_MAX */
} Content;

typedef struct {
	const char *label;
	Content content;
	const char *text;
	gsize text_len;    /* 0: strlen(text) */
	int code;          /* -1: success */
	const char *message; /* expected message after the path ("" prefix) */
} FileCase;

static const FileCase file_cases[] = {
	{ "ok", CONTENT_TEXT, "a: bob\n", 0, -1, NULL },
	{ "empty", CONTENT_TEXT, "", 0, -1, NULL },
	{ "missing", CONTENT_NONE, NULL, 0, MM_ERROR_NOT_FOUND, NULL },
	{ "directory", CONTENT_DIRECTORY, NULL, 0, MM_ERROR_CONFIG, ": not a regular file" },
	{ "nul-byte", CONTENT_TEXT, "a: bob\n# x\nb: c\0d\n", 18, MM_ERROR_CONFIG,
	  ":3: NUL byte in alias file" },
	{ "too-large", CONTENT_HUGE, NULL, 0, MM_ERROR_LIMIT, ": larger than" },
	{ "line-too-long", CONTENT_LONG_LINE, "a: bob\n\n", 0, MM_ERROR_CONFIG,
	  ":3: line longer than" },
};

static void
test_file(Fixture *fx, gconstpointer data)
{
	const FileCase *c = data;
	g_autofree char *path = g_build_filename(fx->dir, "aliases", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAliasTable) table = NULL;

	switch (c->content) {
	case CONTENT_TEXT:
		g_assert_true(g_file_set_contents(path, c->text,
		                                  c->text_len ? (gssize)c->text_len : -1, NULL));
		break;
	case CONTENT_NONE:
		break;
	case CONTENT_DIRECTORY:
		g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
		break;
	case CONTENT_HUGE: {
		g_autofree char *big = g_malloc(MM_CONF_FILE_MAX + 1);

		memset(big, '#', MM_CONF_FILE_MAX + 1);
		g_assert_true(g_file_set_contents(path, big, MM_CONF_FILE_MAX + 1, NULL));
		break;
	}
	case CONTENT_LONG_LINE: {
		g_autoptr(GString) s = g_string_new(c->text);

		g_string_append(s, "x: ");
		while (s->len < strlen(c->text) + MM_CONF_LINE_MAX + 1)
			g_string_append_c(s, 'y');
		g_string_append_c(s, '\n');
		g_assert_true(g_file_set_contents(path, s->str, s->len, NULL));
		break;
	}
	}

	table = mm_alias_table_read(path, MM_ALIAS_TABLE_LOCAL_PART, &error);
	if (c->code < 0) {
		g_assert_no_error(error);
		g_assert_nonnull(table);
		return;
	}
	g_assert_error(error, MM_ERROR, c->code);
	g_assert_null(table);
	if (c->message != NULL) {
		g_autofree char *want = g_strconcat(path, c->message, NULL);

		g_assert_true(g_str_has_prefix(error->message, want));
	}
}

/* A line of exactly MM_CONF_LINE_MAX bytes is still read. */
static void
test_file_line_at_limit(Fixture *fx, gconstpointer data)
{
	g_autofree char *path = g_build_filename(fx->dir, "aliases", NULL);
	g_autoptr(GString) s = g_string_new("a: ");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAliasTable) table = NULL;

	while (s->len < MM_CONF_LINE_MAX)
		g_string_append_c(s, 'y');
	g_string_append(s, "\nb: bob\n");
	g_assert_true(g_file_set_contents(path, s->str, s->len, NULL));
	table = mm_alias_table_read(path, MM_ALIAS_TABLE_LOCAL_PART, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(mm_alias_table_size(table), ==, 2);
}

/* The alias file is read again at each delivery: a change shows at once. */
static void
test_file_reread(Fixture *fx, gconstpointer data)
{
	g_autofree char *path = g_build_filename(fx->dir, "aliases", NULL);
	MmLocality loc = locality(FALSE);
	g_autoptr(GPtrArray) rcpts = make_rcpts("a");
	const char *texts[] = { "a: bob\n", "a: carol\n" };
	const char *want[] = { "local:bob@" HOST "<0>", "local:carol@" HOST "<0>" };

	for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmAliasTable) table = NULL;
		g_autoptr(MmAliasExpansion) exp = NULL;
		g_autofree char *results = NULL;
		MmAliasContext ctx = { .locality = &loc };

		g_assert_true(g_file_set_contents(path, texts[i], -1, NULL));
		table = mm_alias_table_read(path, MM_ALIAS_TABLE_LOCAL_PART, &error);
		g_assert_no_error(error);
		ctx.aliases = table;
		exp = mm_alias_expand(&ctx, rcpts, NULL);
		results = render_results(exp);
		g_assert_cmpstr(results, ==, want[i]);
	}
}

/* --- the shipped fixtures ---------------------------------------------- */

static char *
fixture_path(const char *name)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");

	if (top == NULL)
		top = MM_TEST_TOP_SRCDIR;
	return g_build_filename(top, "tests", "fixtures", "aliases", name, NULL);
}

typedef struct {
	const char *label;
	const char *rcpts;
	const char *results;
	const char *failures;
} FixtureCase;

static const FixtureCase fixture_cases[] = {
	{ "root-copy", "root", "local:root@" HOST "<0>; local:meillo@" HOST "<0>", "" },
	{ "postmaster", "postmaster", "local:root@" HOST "<0>; local:meillo@" HOST "<0>", "" },
	{ "staff-continued", "staff",
	  "local:alice@" HOST "<0>; local:bob@" HOST "<0>; remote:carol@remote.org<0>", "" },
	{ "pipe-quoted", "archive", "pipe:|/usr/bin/archive --dir /var/archive, daily<0>", "" },
	{ "glob-per-domain", "info@localhost", "local:doug@" HOST "<0>", "" },
	{ "glob-catch-all", "x@localhost", "local:root@" HOST "<0>; local:meillo@" HOST "<0>", "" },
	{ "glob-list-script", "list-masqmail", "pipe:|/usr/local/bin/list<0>", "" },
	{ "glob-then-normal", "sales", "local:alice@" HOST "<0>; local:bob@" HOST "<0>; "
	  "remote:carol@remote.org<0>", "" },
	{ "loop", "ping", "", "0:FAILED" },
	{ "bad-address", "broken", "", "0:PARSE" },
};

static void
test_fixture(gconstpointer data)
{
	const FixtureCase *c = data;
	g_autofree char *apath = fixture_path("aliases");
	g_autofree char *gpath = fixture_path("globaliases");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAliasTable) aliases = mm_alias_table_read(apath, MM_ALIAS_TABLE_LOCAL_PART,
	                                                      &error);
	g_autoptr(MmAliasTable) globaliases = NULL;
	MmLocality loc = locality(FALSE);
	MmAliasContext ctx = { .locality = &loc };
	g_autoptr(GPtrArray) rcpts = make_rcpts(c->rcpts);
	g_autoptr(MmAliasExpansion) exp = NULL;
	g_autofree char *results = NULL;
	g_autofree char *failures = NULL;

	g_assert_no_error(error);
	globaliases = mm_alias_table_read(gpath, MM_ALIAS_TABLE_GLOB, &error);
	g_assert_no_error(error);
	g_assert_true(mm_alias_table_check(aliases, NULL));
	ctx.aliases = aliases;
	ctx.globaliases = globaliases;
	exp = mm_alias_expand(&ctx, rcpts, NULL);
	results = render_results(exp);
	failures = render_failures(exp);
	g_assert_cmpstr(results, ==, c->results);
	g_assert_cmpstr(failures, ==, c->failures);
}

/* mm_alias_table_check() names the first broken entry by file and line. */
static void
test_fixture_check(void)
{
	g_autofree char *path = fixture_path("broken");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAliasTable) table = mm_alias_table_read(path, MM_ALIAS_TABLE_LOCAL_PART,
	                                                    &error);
	g_autofree char *want = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(mm_alias_table_size(table), ==, 4);
	g_assert_false(mm_alias_table_check(table, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	want = g_strconcat(path, ":6: unterminated quoted item", NULL);
	g_assert_cmpstr(error->message, ==, want);
}

/* The example shipped as conf/aliases is valid and does what it says. */
static void
test_example_file(void)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");
	g_autofree char *path = g_build_filename(top != NULL ? top : MM_TEST_TOP_SRCDIR, "conf",
	                                         "aliases", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAliasTable) table = mm_alias_table_read(path, MM_ALIAS_TABLE_LOCAL_PART,
	                                                    &error);
	MmLocality loc = locality(FALSE);
	MmAliasContext ctx = { .locality = &loc };
	g_autoptr(GPtrArray) rcpts = make_rcpts("MAILER-DAEMON abuse postmaster");
	g_autoptr(MmAliasExpansion) exp = NULL;
	g_autofree char *results = NULL;

	g_assert_no_error(error);
	g_assert_true(mm_alias_table_check(table, &error));
	g_assert_no_error(error);
	ctx.aliases = table;
	exp = mm_alias_expand(&ctx, rcpts, NULL);
	results = render_results(exp);
	/* MAILER-DAEMON keeps its case: the example has only lower-case names */
	g_assert_cmpstr(results, ==, "local:MAILER-DAEMON@" HOST "<0>; local:root@" HOST "<1,2>");
	g_assert_cmpuint(exp->failures->len, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(expand_cases); i++) {
		g_autofree char *path = g_strconcat("/alias/expand/", expand_cases[i].label, NULL);

		g_test_add_data_func(path, &expand_cases[i], test_expand);
	}
	for (guint i = 0; i < G_N_ELEMENTS(limit_cases); i++) {
		g_autofree char *path = g_strconcat("/alias/limit/", limit_cases[i].label, NULL);

		g_test_add_data_func(path, &limit_cases[i], test_limit);
	}
	for (guint i = 0; i < G_N_ELEMENTS(file_cases); i++) {
		g_autofree char *path = g_strconcat("/alias/file/", file_cases[i].label, NULL);

		g_test_add(path, Fixture, &file_cases[i], fixture_setup, test_file,
		           fixture_teardown);
	}
	g_test_add("/alias/file/line-at-limit", Fixture, NULL, fixture_setup,
	           test_file_line_at_limit, fixture_teardown);
	g_test_add("/alias/file/reread", Fixture, NULL, fixture_setup, test_file_reread,
	           fixture_teardown);
	for (guint i = 0; i < G_N_ELEMENTS(fixture_cases); i++) {
		g_autofree char *path = g_strconcat("/alias/fixture/", fixture_cases[i].label, NULL);

		g_test_add_data_func(path, &fixture_cases[i], test_fixture);
	}
	g_test_add_func("/alias/fixture/check-names-line", test_fixture_check);
	g_test_add_func("/alias/fixture/example-file", test_example_file);

	return g_test_run();
}
