/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The alias file parser (mm_alias_table_parse()) and the expansion
 * through what it parsed (mm_alias_expand()). The text is read both as
 * alias_file and as globalias_file, and a fixed set of recipients is
 * expanded through the two tables, so the fuzzer also writes loops,
 * deep nesting and broken entries. Checks what alias.h promises: each
 * original recipient fails as a whole or contributes all its results,
 * origins are valid indexes in ascending order, failures are sorted.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "deliver/alias.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const local_hosts[] = { "localhost", "lan.example", NULL };
static const char *const local_addresses[] = { "webmaster@elsewhere.example", NULL };
static const char *const none[] = { NULL };
static const MmLocality localities[] = {
	{ .host_name = "lan.example", .local_hosts = local_hosts,
	  .local_addresses = local_addresses, .not_local_addresses = none },
	{ .host_name = "lan.example", .local_hosts = local_hosts,
	  .local_addresses = local_addresses, .not_local_addresses = none,
	  .caseless_matching = TRUE },
};

static const char *const rcpt_texts[] = {
	"postmaster", "root", "alice", "bob@lan.example", "Postmaster@localhost",
	"team", "webmaster@elsewhere.example", "remote@elsewhere.example", "MAILER-DAEMON",
};
static GPtrArray *rcpts;
static GPtrArray *done;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mm_fuzz_init();
	rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	for (gsize i = 0; i < G_N_ELEMENTS(rcpt_texts); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmAddress) a = mm_address_parse_path(rcpt_texts[i], "lan.example", FALSE, &error);
		if (!a)
			g_error("%s: %s", rcpt_texts[i], error->message);
		g_ptr_array_add(rcpts, mm_recipient_new(a));
	}
	g_ptr_array_add(rcpts, mm_recipient_new_pipe("|/usr/bin/logger -t mail"));
	/* what an earlier run delivered: results equal to it are left out */
	done = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	g_autoptr(MmAddress) carol = mm_address_new("carol", "lan.example", NULL);
	g_ptr_array_add(done, mm_recipient_new(carol));
	return 0;
}

static void
check_expansion(const MmAliasExpansion *exp)
{
	g_autofree gboolean *failed = g_new0(gboolean, rcpts->len);
	guint last = 0;

	for (guint i = 0; i < exp->failures->len; i++) {
		const MmAliasFailure *f = exp->failures->pdata[i];
		mm_fuzz_check(f->origin < rcpts->len, "failure of an unknown recipient");
		mm_fuzz_check(i == 0 || f->origin > last, "failures not ascending by origin");
		mm_fuzz_check(f->error != NULL, "a failure without a reason");
		failed[f->origin] = TRUE;
		last = f->origin;
	}
	for (guint i = 0; i < exp->results->len; i++) {
		const MmAliasResult *r = exp->results->pdata[i];
		mm_fuzz_check(r->rcpt != NULL && r->origins->len > 0, "a result without origin");
		mm_fuzz_check((r->kind == MM_ALIAS_RESULT_PIPE) == (r->rcpt->pipe != NULL),
		              "pipe result kind and recipient disagree");
		for (guint j = 0; j < r->origins->len; j++) {
			guint o = g_array_index(r->origins, guint, j);
			mm_fuzz_check(o < rcpts->len, "a result of an unknown recipient");
			mm_fuzz_check(j == 0 || o > g_array_index(r->origins, guint, j - 1),
			              "origins not ascending");
			mm_fuzz_check(!failed[o], "a recipient that failed still has results");
		}
		/* results are delivered once */
		for (guint k = 0; k < i; k++) {
			const MmAliasResult *q = exp->results->pdata[k];
			if (r->rcpt->pipe || q->rcpt->pipe)
				continue;
			mm_fuzz_check(!(r->kind == q->kind &&
			                mm_address_equal(r->rcpt->address, q->rcpt->address, FALSE) &&
			                strcmp(r->rcpt->address->local_part, q->rcpt->address->local_part) == 0),
			              "a result twice");
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(MmAliasTable) local = mm_alias_table_parse((const char *)data, size, "fuzz.aliases",
	                                                     MM_ALIAS_TABLE_LOCAL_PART, &e1);
	g_autoptr(MmAliasTable) glob = mm_alias_table_parse((const char *)data, size, "fuzz.globaliases",
	                                                    MM_ALIAS_TABLE_GLOB, &e2);

	mm_fuzz_check((local == NULL) == (e1 != NULL), "result and error disagree");
	mm_fuzz_check((local == NULL) == (glob == NULL), "the two kinds disagree on the text");
	if (!local)
		return 0;
	g_autoptr(GError) c1 = NULL;
	g_autoptr(GError) c2 = NULL;
	(void)mm_alias_table_check(local, &c1);
	(void)mm_alias_table_check(glob, &c2);
	(void)mm_alias_table_size(local);

	for (gsize i = 0; i < G_N_ELEMENTS(localities); i++) {
		MmAliasContext ctx = { .aliases = local, .globaliases = NULL, .locality = &localities[i] };
		g_autoptr(MmAliasExpansion) a = mm_alias_expand(&ctx, rcpts, NULL);
		check_expansion(a);
		ctx.globaliases = glob;
		g_autoptr(MmAliasExpansion) b = mm_alias_expand(&ctx, rcpts, done);
		check_expansion(b);
	}
	return 0;
}
