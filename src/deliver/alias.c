/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Alias files and alias expansion (masqmail.aliases(5)). This file
 * owns the syntax of alias_file and globalias_file and the rules of
 * expansion; it never delivers, never logs and reads no file but the
 * one it is asked to read. Entries are parsed when the file is read;
 * a broken entry keeps its error so that only the recipients that use
 * it bounce, as in masqmail 1.0.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "deliver/alias.h"

typedef struct {
	char *key;            /* as written, white space stripped */
	guint line;           /* first line of the entry */
	GPtrArray *items;     /* char*, the unquoted items; NULL when @error is set */
	GError *error;        /* MM_ERROR_CONFIG "name:line: what" */
	GPatternSpec *glob;      /* glob tables: the pattern, domain side lower case */
	GPatternSpec *glob_fold; /* glob tables: the pattern, all lower case */
} AliasEntry;

struct MmAliasTable {
	char *name;
	MmAliasTableKind kind;
	GPtrArray *entries;  /* AliasEntry*, in file order */
	GHashTable *by_key;  /* local-part tables: key -> first AliasEntry with it */
	GHashTable *by_fold; /* local-part tables: lower-case key -> first AliasEntry */
};

static void
alias_entry_free(AliasEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->key);
	g_clear_pointer(&entry->items, g_ptr_array_unref);
	g_clear_error(&entry->error);
	g_clear_pointer(&entry->glob, g_pattern_spec_free);
	g_clear_pointer(&entry->glob_fold, g_pattern_spec_free);
	g_free(entry);
}

void
mm_alias_table_free(MmAliasTable *table)
{
	if (table == NULL)
		return;
	g_clear_pointer(&table->by_key, g_hash_table_unref);
	g_clear_pointer(&table->by_fold, g_hash_table_unref);
	g_clear_pointer(&table->entries, g_ptr_array_unref);
	g_free(table->name);
	g_free(table);
}

guint
mm_alias_table_size(const MmAliasTable *table)
{
	g_return_val_if_fail(table != NULL, 0);
	return table->entries->len;
}

gboolean
mm_alias_table_check(const MmAliasTable *table, GError **error)
{
	g_return_val_if_fail(table != NULL, FALSE);

	for (guint i = 0; i < table->entries->len; i++) {
		const AliasEntry *entry = table->entries->pdata[i];

		if (entry->error != NULL) {
			g_propagate_error(error, g_error_copy(entry->error));
			return FALSE;
		}
	}
	return TRUE;
}

/* --- parsing --------------------------------------------------------- */

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* "local@domain" with the domain side in lower case, and everything in
 * lower case when @caseless. Domains never depend on case (RFC 5321
 * 2.4); 1.0 matched them with case unless caseless_matching was set,
 * which made "info@Example.org" miss "info@example.org". Patterns and
 * addresses are folded the same way. Invalid UTF-8 is replaced, because
 * GPatternSpec walks the text as UTF-8. */
static char *
fold_for_glob(const char *text, gboolean caseless)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	const char *at;
	g_autofree char *domain = NULL;

	if (caseless)
		return g_ascii_strdown(valid, -1);
	at = strrchr(valid, '@');
	if (at == NULL)
		return g_steal_pointer(&valid);
	domain = g_ascii_strdown(at + 1, -1);
	return g_strdup_printf("%.*s@%s", (int)(at - valid), valid, domain);
}

/* Splits the right-hand side into items as 1.0 does: items are
 * separated by commas; an item that starts with a double quote runs to
 * the closing quote, a backslash in it takes the next character
 * literally, and commas in it are text; an unquoted item runs to the
 * next comma, its backslashes kept (so "\name" works unquoted). What
 * 1.0 silently accepted but cannot be meant is an error here: an
 * unterminated quote, text after a closing quote, an empty item, an
 * empty right-hand side, a "|" or "\" without anything after it. A
 * comma at the very end is allowed (it is what continues an entry on
 * the next line). */
static GPtrArray *
parse_items(const char *value, const char **what)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
	const char *p = value;

	for (;;) {
		g_autoptr(GString) item = g_string_new(NULL);

		while (is_blank(*p))
			p++;
		if (*p == '\0') {
			if (items->len == 0) {
				*what = "no items after ':'";
				return NULL;
			}
			break; /* a trailing comma */
		}
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				g_string_append_c(item, *p);
				p++;
			}
			if (*p != '"') {
				*what = "unterminated quoted item";
				return NULL;
			}
			p++;
			while (is_blank(*p))
				p++;
			if (*p != '\0' && *p != ',') {
				*what = "text after the closing quote of an item";
				return NULL;
			}
		} else {
			while (*p != '\0' && *p != ',')
				g_string_append_c(item, *p++);
		}
		/* trailing white space is not part of an item, quoted or not (1.0) */
		while (item->len > 0 && is_blank(item->str[item->len - 1]))
			g_string_truncate(item, item->len - 1);

		if (item->len == 0) {
			*what = "empty item";
			return NULL;
		}
		if (item->str[0] == '|') {
			const char *cmd = item->str + 1;

			while (is_blank(*cmd))
				cmd++;
			if (*cmd == '\0') {
				*what = "pipe item without a command";
				return NULL;
			}
		}
		if (item->str[0] == '\\' && item->len == 1) {
			*what = "'\\' without a name";
			return NULL;
		}
		g_ptr_array_add(items, g_string_free(g_steal_pointer(&item), FALSE));

		if (*p == ',')
			p++;
		else
			break;
	}
	return g_steal_pointer(&items);
}

static void
entry_fail(AliasEntry *entry, const char *name, const char *what)
{
	g_clear_pointer(&entry->items, g_ptr_array_unref);
	if (entry->error == NULL)
		entry->error = g_error_new(MM_ERROR, MM_ERROR_CONFIG, "%s:%u: %s", name,
		                           entry->line, what);
}

/* Makes an entry of one logical line (continuations already joined). */
static AliasEntry *
entry_new(const MmAliasTable *table, const char *text, guint line)
{
	AliasEntry *entry = g_new0(AliasEntry, 1);
	const char *colon = strchr(text, ':');
	const char *what = NULL;

	entry->line = line;
	if (colon == NULL) {
		entry->key = g_strstrip(g_strdup(text));
		entry_fail(entry, table->name, "missing ':' after the alias name");
		return entry;
	}
	entry->key = g_strstrip(g_strndup(text, colon - text));
	if (entry->key[0] == '\0') {
		entry_fail(entry, table->name, "empty alias name before ':'");
		return entry;
	}
	if (table->kind == MM_ALIAS_TABLE_GLOB) {
		g_autofree char *exact = NULL;
		g_autofree char *folded = NULL;

		/* GPatternSpec aborts on invalid UTF-8 */
		if (!g_utf8_validate(entry->key, -1, NULL)) {
			entry_fail(entry, table->name, "the glob pattern is not valid UTF-8");
			return entry;
		}
		exact = fold_for_glob(entry->key, FALSE);
		folded = fold_for_glob(entry->key, TRUE);

		entry->glob = g_pattern_spec_new(exact);
		entry->glob_fold = g_pattern_spec_new(folded);
	}
	entry->items = parse_items(colon + 1, &what);
	if (entry->items == NULL)
		entry_fail(entry, table->name, what);
	return entry;
}

static void
table_add(MmAliasTable *table, AliasEntry *entry)
{
	g_ptr_array_add(table->entries, entry);
	if (table->kind != MM_ALIAS_TABLE_LOCAL_PART || entry->key[0] == '\0')
		return;
	/* the first entry for a key wins, as in 1.0 */
	if (!g_hash_table_contains(table->by_key, entry->key))
		g_hash_table_insert(table->by_key, entry->key, entry);
	{
		char *fold = g_ascii_strdown(entry->key, -1);

		if (g_hash_table_contains(table->by_fold, fold))
			g_free(fold);
		else
			g_hash_table_insert(table->by_fold, fold, entry);
	}
}

static gboolean
ends_with_comma(const GString *text)
{
	gsize n = text->len;

	while (n > 0 && is_blank(text->str[n - 1]))
		n--;
	return n > 0 && text->str[n - 1] == ',';
}

/* Lines are "key: item, item, ...". Blank lines and lines whose first
 * non-blank character is '#' are skipped. An entry whose text so far
 * ends with a comma continues on the next line that starts with white
 * space (sendmail's and Postfix's continuation lines, limited so that
 * an indented line, which 1.0 read as an entry of its own, still is
 * one when the entry before it is complete). */
MmAliasTable *
mm_alias_table_parse(const char *text, gsize len, const char *name, MmAliasTableKind kind,
                     GError **error)
{
	g_autoptr(MmAliasTable) table = NULL;
	g_autoptr(GString) pending = NULL; /* the logical line being collected */
	guint pending_line = 0;
	const char *nul;
	gsize pos = 0;
	guint lineno = 0;

	g_return_val_if_fail(text != NULL || len == 0, NULL);
	g_return_val_if_fail(name != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (len > MM_CONF_FILE_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "%s: larger than %d bytes", name,
		            MM_CONF_FILE_MAX);
		return NULL;
	}
	nul = len > 0 ? memchr(text, '\0', len) : NULL;
	if (nul != NULL) {
		guint line = 1;

		for (const char *q = text; q < nul; q++)
			line += *q == '\n';
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: NUL byte in alias file", name,
		            line);
		return NULL;
	}

	table = g_new0(MmAliasTable, 1);
	table->name = g_strdup(name);
	table->kind = kind;
	table->entries = g_ptr_array_new_with_free_func((GDestroyNotify)alias_entry_free);
	table->by_key = g_hash_table_new(g_str_hash, g_str_equal);
	table->by_fold = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		gsize linelen = nl != NULL ? (gsize)(nl - start) : len - pos;
		g_autofree char *line = NULL;
		const char *body;

		pos += linelen + (nl != NULL);
		lineno++;
		if (linelen > MM_CONF_LINE_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
			            "%s:%u: line longer than %d bytes", name, lineno, MM_CONF_LINE_MAX);
			return NULL;
		}
		line = g_strndup(start, linelen);
		body = line;
		while (is_blank(*body))
			body++;
		if (*body == '\0' || *body == '#')
			continue;

		/* a continued entry is bounded by MM_CONF_FILE_MAX only: a
		 * list's members may well add up to more than one line's limit */
		if (body != line && pending != NULL && ends_with_comma(pending)) {
			g_string_append_c(pending, ' ');
			g_string_append(pending, body);
			continue;
		}
		if (pending != NULL) {
			table_add(table, entry_new(table, pending->str, pending_line));
			g_string_free(pending, TRUE);
		}
		pending = g_string_new(body);
		pending_line = lineno;
	}
	if (pending != NULL)
		table_add(table, entry_new(table, pending->str, pending_line));
	return g_steal_pointer(&table);
}

/* Alias files are often symbolic links (/etc/aliases into a package's
 * directory) and belong to root: they are followed, unlike mailboxes. */
MmAliasTable *
mm_alias_table_read(const char *path, MmAliasTableKind kind, GError **error)
{
	g_autoptr(GByteArray) buf = NULL;
	struct stat st;
	int fd;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		mm_error_set_errno(error, errno, "cannot open alias file %s", path);
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		int saved = errno;

		close(fd);
		mm_error_set_errno(error, saved, "cannot stat alias file %s", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s: not a regular file", path);
		return NULL;
	}
	/* read to the end, not to st_size: the file may be growing under
	 * an editor; one byte over the limit is enough to refuse it */
	buf = g_byte_array_sized_new(MIN((gsize)st.st_size, (gsize)MM_CONF_FILE_MAX) + 1);
	while (buf->len <= MM_CONF_FILE_MAX) {
		guint8 chunk[64 * 1024];
		ssize_t n = read(fd, chunk, MIN(sizeof chunk, (gsize)MM_CONF_FILE_MAX + 1 - buf->len));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			mm_error_set_errno(error, saved, "cannot read alias file %s", path);
			return NULL;
		}
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
	}
	close(fd);
	return mm_alias_table_parse((const char *)buf->data, buf->len, path, kind, error);
}

/* --- lookup ---------------------------------------------------------- */

static gboolean
is_postmaster(const MmAddress *addr)
{
	return g_ascii_strcasecmp(addr->local_part, "postmaster") == 0;
}

static const AliasEntry *
table_lookup(const MmAliasTable *table, const MmAddress *addr, gboolean caseless)
{
	if (table == NULL)
		return NULL;

	if (table->kind == MM_ALIAS_TABLE_GLOB) {
		g_autofree char *whole = g_strconcat(addr->local_part, "@", addr->domain, NULL);
		g_autofree char *folded = fold_for_glob(whole, caseless);
		gsize flen = strlen(folded);

		/* first match in file order: a catch-all goes last (1.0) */
		for (guint i = 0; i < table->entries->len; i++) {
			const AliasEntry *entry = table->entries->pdata[i];
			GPatternSpec *spec = caseless ? entry->glob_fold : entry->glob;

			if (spec != NULL && g_pattern_match(spec, flen, folded, NULL))
				return entry;
		}
		return NULL;
	}
	if (caseless) {
		g_autofree char *fold = g_ascii_strdown(addr->local_part, -1);

		return g_hash_table_lookup(table->by_fold, fold);
	}
	return g_hash_table_lookup(table->by_key, addr->local_part);
}

/* --- expansion ------------------------------------------------------- */

typedef struct {
	MmAliasResultKind kind;
	MmRecipient *rcpt;
} Found;

static void
found_free(Found *found)
{
	mm_recipient_free(found->rcpt);
	g_free(found);
}

typedef struct {
	const MmAliasContext *ctx;
	gboolean caseless;
	guint items;      /* items looked at for the current original recipient */
	GPtrArray *found; /* Found*, the results of the current original recipient */
} Expander;

static void
add_found(Expander *ex, MmAliasResultKind kind, MmRecipient *rcpt)
{
	Found *found = g_new0(Found, 1);

	found->kind = kind;
	found->rcpt = rcpt;
	g_ptr_array_add(ex->found, found);
}

static void
add_address(Expander *ex, const MmAddress *addr, gboolean local)
{
	add_found(ex, local ? MM_ALIAS_RESULT_LOCAL : MM_ALIAS_RESULT_REMOTE,
	          mm_recipient_new(addr));
}

/* "a@h -> b@h -> a@h" for a loop message. */
static char *
describe_chain(const GPtrArray *chain, const MmAddress *last)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < chain->len; i++) {
		g_autofree char *s = mm_address_to_string(chain->pdata[i]);

		g_string_append_printf(text, "%s -> ", s);
	}
	{
		g_autofree char *s = mm_address_to_string(last);

		g_string_append(text, s);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean expand_address(Expander *ex, const MmAddress *addr, GPtrArray *chain,
                               GError **error);
static gboolean expand_postmaster(Expander *ex, GPtrArray *chain, GError **error);

/* The entry for @addr: the glob table first, so that a glob alias beats
 * a normal one (1.0), at every level of nesting. */
static const AliasEntry *
lookup(const Expander *ex, const MmAddress *addr, const char **table_name)
{
	/* RFC 5321 4.5.1: postmaster is a case-insensitive local name */
	gboolean caseless = ex->caseless || is_postmaster(addr);
	const AliasEntry *entry;

	entry = table_lookup(ex->ctx->globaliases, addr, caseless);
	if (entry != NULL) {
		if (table_name != NULL)
			*table_name = ex->ctx->globaliases->name;
		return entry;
	}
	entry = table_lookup(ex->ctx->aliases, addr, caseless);
	if (entry != NULL && table_name != NULL)
		*table_name = ex->ctx->aliases->name;
	return entry;
}

/* Follows one item of @entry, the alias of the last address of @chain. */
static gboolean
expand_item(Expander *ex, const AliasEntry *entry, const char *table_name, const char *item,
            GPtrArray *chain, GError **error)
{
	const MmLocality *loc = ex->ctx->locality;
	const MmAddress *parent = chain->pdata[chain->len - 1];
	g_autoptr(MmAddress) addr = NULL;
	g_autoptr(GError) local_error = NULL;
	gboolean final = FALSE;
	const char *text = item;

	if (++ex->items > MM_ALIAS_ITEMS_MAX) {
		g_autofree char *orig = mm_address_to_string(chain->pdata[0]);

		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
		            "aliases of %s expand to more than %d items", orig, MM_ALIAS_ITEMS_MAX);
		return FALSE;
	}
	if (item[0] == '|') {
		add_found(ex, MM_ALIAS_RESULT_PIPE, mm_recipient_new_pipe(item));
		return TRUE;
	}
	if (item[0] == '\\') {
		final = TRUE;
		text = item + 1;
	}
	addr = mm_address_parse_path(text, loc->host_name, FALSE, &local_error);
	if (addr == NULL) {
		g_autofree char *p = mm_address_to_string(parent);

		g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
		            "%s:%u: alias %s expands to invalid address '%s': %s", table_name,
		            entry->line, p, text, local_error->message);
		return FALSE;
	}
	if (final) {
		add_address(ex, addr, mm_address_is_local(addr, loc));
		return TRUE;
	}
	/* "root: postmaster" with no alias for postmaster means root's
	 * mailbox, not a loop */
	if (is_postmaster(addr) && mm_address_is_local(addr, loc) &&
	    lookup(ex, addr, NULL) == NULL)
		return expand_postmaster(ex, chain, error);
	for (guint i = 0; i < chain->len; i++) {
		if (mm_address_equal(chain->pdata[i], addr, ex->caseless)) {
			g_autofree char *path = describe_chain(chain, addr);

			g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "%s:%u: alias loop: %s",
			            table_name, entry->line, path);
			return FALSE;
		}
	}
	return expand_address(ex, addr, chain, error);
}

/* Where postmaster goes when no alias names it: to root, through root's
 * alias unless that is how we got here. */
static gboolean
expand_postmaster(Expander *ex, GPtrArray *chain, GError **error)
{
	const MmLocality *loc = ex->ctx->locality;
	g_autoptr(MmAddress) root = mm_address_new("root", loc->host_name, NULL);

	for (guint i = 0; i < chain->len; i++) {
		const MmAddress *a = chain->pdata[i];

		gboolean is_root = ex->caseless ? g_ascii_strcasecmp(a->local_part, "root") == 0
		                                : strcmp(a->local_part, "root") == 0;

		if (is_root && mm_address_is_local(a, loc)) {
			add_address(ex, root, TRUE);
			return TRUE;
		}
	}
	return expand_address(ex, root, chain, error);
}

/* Expands @addr, which @chain (the addresses that led here, the
 * original first) does not yet hold. */
static gboolean
expand_address(Expander *ex, const MmAddress *addr, GPtrArray *chain, GError **error)
{
	const MmLocality *loc = ex->ctx->locality;
	const AliasEntry *entry;
	const char *table_name = NULL;
	gboolean ok = TRUE;

	if (!mm_address_is_local(addr, loc)) {
		add_address(ex, addr, FALSE);
		return TRUE;
	}
	if (chain->len > MM_ALIAS_DEPTH_MAX) {
		g_autofree char *orig = mm_address_to_string(chain->pdata[0]);

		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
		            "aliases of %s nested deeper than %d levels", orig, MM_ALIAS_DEPTH_MAX);
		return FALSE;
	}

	entry = lookup(ex, addr, &table_name);

	g_ptr_array_add(chain, (gpointer)addr);
	if (entry == NULL) {
		if (is_postmaster(addr))
			ok = expand_postmaster(ex, chain, error);
		else
			add_address(ex, addr, TRUE);
	} else if (entry->error != NULL) {
		g_propagate_error(error, g_error_copy(entry->error));
		ok = FALSE;
	} else {
		for (guint i = 0; ok && i < entry->items->len; i++)
			ok = expand_item(ex, entry, table_name, entry->items->pdata[i], chain, error);
	}
	g_ptr_array_set_size(chain, chain->len - 1);
	return ok;
}

/* The identity of a result for delivering it once: local addresses by
 * mailbox (their local part), remote ones by address, pipes by command. */
static char *
result_key(MmAliasResultKind kind, const MmRecipient *rcpt, gboolean caseless)
{
	g_autofree char *local = NULL;

	switch (kind) {
	case MM_ALIAS_RESULT_PIPE:
		return g_strconcat("P", rcpt->pipe, NULL);
	case MM_ALIAS_RESULT_LOCAL:
		local = caseless ? g_ascii_strdown(rcpt->address->local_part, -1)
		                 : g_strdup(rcpt->address->local_part);
		return g_strconcat("L", local, NULL);
	case MM_ALIAS_RESULT_REMOTE: {
		g_autofree char *domain = g_ascii_strdown(rcpt->address->domain, -1);

		local = caseless ? g_ascii_strdown(rcpt->address->local_part, -1)
		                 : g_strdup(rcpt->address->local_part);
		/* a domain holds no '@': the key is unambiguous */
		return g_strconcat("R", local, "@", domain, NULL);
	}
	}
	g_assert_not_reached();
}

static MmAliasResultKind
kind_of(const MmRecipient *rcpt, const MmLocality *loc)
{
	if (rcpt->pipe != NULL)
		return MM_ALIAS_RESULT_PIPE;
	return mm_address_is_local(rcpt->address, loc) ? MM_ALIAS_RESULT_LOCAL
	                                               : MM_ALIAS_RESULT_REMOTE;
}

static void
result_free(MmAliasResult *result)
{
	if (result == NULL)
		return;
	mm_recipient_free(result->rcpt);
	g_clear_pointer(&result->origins, g_array_unref);
	g_free(result);
}

static void
failure_free(MmAliasFailure *failure)
{
	if (failure == NULL)
		return;
	g_clear_error(&failure->error);
	g_free(failure);
}

void
mm_alias_expansion_free(MmAliasExpansion *exp)
{
	if (exp == NULL)
		return;
	g_clear_pointer(&exp->results, g_ptr_array_unref);
	g_clear_pointer(&exp->failures, g_ptr_array_unref);
	g_free(exp);
}

MmAliasExpansion *
mm_alias_expand(const MmAliasContext *ctx, const GPtrArray *rcpts, const GPtrArray *done)
{
	g_autoptr(MmAliasExpansion) exp = NULL;
	g_autoptr(GHashTable) seen = NULL;   /* result key -> MmAliasResult* (borrowed) */
	g_autoptr(GHashTable) skip = NULL;   /* keys of @done */
	g_autoptr(GPtrArray) chain = NULL;
	Expander ex = { 0 };

	g_return_val_if_fail(ctx != NULL && ctx->locality != NULL, NULL);
	g_return_val_if_fail(ctx->locality->host_name != NULL, NULL);
	g_return_val_if_fail(rcpts != NULL, NULL);

	exp = g_new0(MmAliasExpansion, 1);
	exp->results = g_ptr_array_new_with_free_func((GDestroyNotify)result_free);
	exp->failures = g_ptr_array_new_with_free_func((GDestroyNotify)failure_free);
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	skip = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	chain = g_ptr_array_new();
	ex.ctx = ctx;
	ex.caseless = ctx->locality->caseless_matching;

	for (guint i = 0; done != NULL && i < done->len; i++) {
		const MmRecipient *rcpt = done->pdata[i];

		g_hash_table_add(skip, result_key(kind_of(rcpt, ctx->locality), rcpt, ex.caseless));
	}

	for (guint i = 0; i < rcpts->len; i++) {
		const MmRecipient *orig = rcpts->pdata[i];
		g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify)found_free);
		g_autoptr(GError) error = NULL;
		gboolean ok = TRUE;

		ex.items = 0;
		ex.found = found;
		if (orig->pipe != NULL)
			add_found(&ex, MM_ALIAS_RESULT_PIPE, mm_recipient_new_pipe(orig->pipe));
		else
			ok = expand_address(&ex, orig->address, chain, &error);
		g_assert(chain->len == 0);

		if (!ok) {
			/* 1.0's rule: none of this recipient's results get the message */
			MmAliasFailure *failure = g_new0(MmAliasFailure, 1);

			failure->origin = i;
			failure->error = g_steal_pointer(&error);
			g_ptr_array_add(exp->failures, failure);
			continue;
		}
		for (guint j = 0; j < found->len; j++) {
			Found *f = found->pdata[j];
			g_autofree char *key = result_key(f->kind, f->rcpt, ex.caseless);
			MmAliasResult *result;

			if (g_hash_table_contains(skip, key))
				continue;
			result = g_hash_table_lookup(seen, key);
			if (result == NULL) {
				result = g_new0(MmAliasResult, 1);
				result->kind = f->kind;
				result->rcpt = g_steal_pointer(&f->rcpt);
				result->origins = g_array_new(FALSE, FALSE, sizeof(guint));
				g_ptr_array_add(exp->results, result);
				g_hash_table_insert(seen, g_steal_pointer(&key), result);
			}
			if (result->origins->len == 0 ||
			    g_array_index(result->origins, guint, result->origins->len - 1) != i)
				g_array_append_val(result->origins, i);
		}
	}
	ex.found = NULL;
	return g_steal_pointer(&exp);
}
