/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Aliases: reading alias_file and globalias_file (masqmail.aliases(5))
 * and expanding a message's recipients through them.
 *
 * The files are read at delivery time, never compiled into a database.
 * Expansion is a pure function: it takes recipients and the tables and
 * returns the final recipients (local users, pipes, remote addresses)
 * and the original recipients that must bounce, with the reason. It
 * delivers nothing, logs nothing but debug lines and reads no files.
 *
 * Rules (those of masqmail 1.0 where it has one):
 *  - only local addresses are looked up; remote ones pass untouched;
 *  - the glob table (patterns over "local@domain") is consulted before
 *    the normal one (keys are local parts), at every level, so a glob
 *    alias beats a normal one and results of either are expanded by
 *    both;
 *  - "\name" is final: the address is not looked up again;
 *  - "|command" is a pipe recipient;
 *  - a loop, a syntax error in a used entry, a malformed address in a
 *    value or a nesting deeper than MM_ALIAS_DEPTH_MAX makes the whole
 *    original recipient fail: none of its other results receive the
 *    message either;
 *  - results are delivered once, however many ways lead to them;
 *  - postmaster is matched without regard to case (RFC 5321 4.5.1);
 *    when no alias names it, it goes where "postmaster: root" would
 *    send it, and to root's own mailbox when root's alias leads back
 *    to postmaster;
 *  - caseless_matching (MmLocality) makes all key matching caseless.
 */
#pragma once

#include <glib.h>

#include "msg/address.h"
#include "msg/message.h"

typedef enum {
	MM_ALIAS_TABLE_LOCAL_PART, /* alias_file: keys are local parts */
	MM_ALIAS_TABLE_GLOB,       /* globalias_file: keys are glob patterns over the address */
} MmAliasTableKind;

/* A parsed alias file. Entries with a syntax error are kept, with the
 * error, so that only the addresses using them bounce. */
typedef struct MmAliasTable MmAliasTable;

/* Parses alias file text. @name is used in error messages ("name:line:
 * ..."). Fails only for what makes the whole text unusable: a NUL
 * byte, a line longer than MM_CONF_LINE_MAX, text larger than
 * MM_CONF_FILE_MAX (MM_ERROR_CONFIG, or MM_ERROR_LIMIT for the size).
 * Returns a new table; free with mm_alias_table_free(). */
MmAliasTable *mm_alias_table_parse(const char *text, gsize len, const char *name,
                                   MmAliasTableKind kind, GError **error);

/* Reads and parses @path. Besides the errors of mm_alias_table_parse(),
 * fails with the codes of mm_error_set_errno() when the file cannot be
 * opened or read (MM_ERROR_NOT_FOUND when it does not exist; masqmail
 * 1.0 then delivered without aliasing, the caller decides) and with
 * MM_ERROR_CONFIG when it is not a regular file. */
MmAliasTable *mm_alias_table_read(const char *path, MmAliasTableKind kind, GError **error);

void mm_alias_table_free(MmAliasTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmAliasTable, mm_alias_table_free)

/* Number of entries, broken ones included. */
guint mm_alias_table_size(const MmAliasTable *table);

/* For a configuration check: FALSE with the first entry's syntax error
 * (MM_ERROR_CONFIG, "name:line: ...") when there is one. */
gboolean mm_alias_table_check(const MmAliasTable *table, GError **error);

/* What mm_alias_expand() needs. Everything is borrowed. */
typedef struct {
	const MmAliasTable *aliases;     /* alias_file, may be NULL */
	const MmAliasTable *globaliases; /* globalias_file, may be NULL */
	const MmLocality *locality;      /* local or not; caseless_matching; host_name qualifies values */
} MmAliasContext;

typedef enum {
	MM_ALIAS_RESULT_LOCAL,  /* an address delivered on this host: mailbox or MDA of its local part */
	MM_ALIAS_RESULT_PIPE,   /* a "|command" item */
	MM_ALIAS_RESULT_REMOTE, /* an address for a route */
} MmAliasResultKind;

typedef struct {
	MmAliasResultKind kind;
	MmRecipient *rcpt; /* owned; state MM_RCPT_PENDING */
	GArray *origins;   /* guint indexes into the input array of the original
	                    * recipients that lead here, ascending, never empty */
} MmAliasResult;

typedef struct {
	guint origin;   /* index into the input array */
	GError *error;  /* why: MM_ERROR_CONFIG (entry syntax, "file:line: ..."),
	                 * MM_ERROR_PARSE (malformed address in a value),
	                 * MM_ERROR_FAILED (loop), MM_ERROR_LIMIT (too deep,
	                 * too many items) */
} MmAliasFailure;

typedef struct {
	GPtrArray *results;  /* MmAliasResult*, owned, in order of first appearance */
	GPtrArray *failures; /* MmAliasFailure*, owned, ascending by origin */
} MmAliasExpansion;

/* Expands @rcpts (MmRecipient*, not modified). Each original recipient
 * either fails as a whole or contributes all its results. Pipe
 * recipients and remote addresses in @rcpts pass through. Results
 * equal to an entry of @done (MmRecipient*, may be NULL: what an
 * earlier run already delivered, the RT:X lines of a 1.0 spool) are
 * left out; an original recipient that then has no result and no
 * failure has nothing left to deliver. Returns a new expansion; free
 * with mm_alias_expansion_free(). */
MmAliasExpansion *mm_alias_expand(const MmAliasContext *ctx, const GPtrArray *rcpts,
                                  const GPtrArray *done);

void mm_alias_expansion_free(MmAliasExpansion *exp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmAliasExpansion, mm_alias_expansion_free)
