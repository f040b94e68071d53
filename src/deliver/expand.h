/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The ${var} expansion of masqmail 1.0: the table of variables a
 * message and a recipient provide, the expansion of text (bounce
 * templates) and the expansion of a command (mda, route pipes) into an
 * argument vector that no variable value can reshape.
 *
 * Variables: uid, received_host, ident, return_path, return_path_local,
 * return_path_domain (the message); rcpt, rcpt_local, rcpt_domain (the
 * recipient); host_name, package, version (the configuration). They are
 * written $name or ${name}; a name is made of letters, digits, '_' and
 * '-' and is at most MM_EXPAND_NAME_MAX characters long.
 */
#pragma once

#include <glib.h>

#include "msg/address.h"
#include "msg/message.h"

/* A new, empty table of variables: name -> value, both owned by the
 * table. Free with g_hash_table_unref(). */
GHashTable *mm_expand_vars_new(void);

/* uid, received_host, ident (empty when unknown) and the return path:
 * return_path ("local@domain", "" for the null path), return_path_local,
 * return_path_domain. */
void mm_expand_vars_add_message(GHashTable *vars, const MmMessage *msg);

/* rcpt ("local@domain"), rcpt_local, rcpt_domain. */
void mm_expand_vars_add_rcpt(GHashTable *vars, const MmAddress *rcpt);

/* host_name, package, version. */
void mm_expand_vars_add_conf(GHashTable *vars, const char *host_name);

/* Expands @text as masqmail 1.0 does for templates: a backslash makes
 * the next character literal, an unknown variable expands to nothing, a
 * '$' that is not followed by a name or '{' stays as it is. Returns a
 * new string, or NULL with MM_ERROR_PARSE (an unterminated or too long
 * ${name}) or MM_ERROR_LIMIT (a result longer than
 * MM_EXPAND_RESULT_MAX). */
char *mm_expand_text(const char *text, GHashTable *vars, GError **error);

/* Turns the command @command into an argument vector for execve().
 *
 * The command is split into words with the quoting rules of sh(1)
 * (g_shell_parse_argv(); no shell ever runs it). Then $name and ${name}
 * are replaced inside each word, except where sh(1) would not expand
 * them either: inside single quotes and after a backslash ('\$' is a
 * literal dollar sign, as masqmail 1.0 documents). A value always stays
 * inside the word it appears in; it is never split, globbed or
 * interpreted, whatever characters (';', '`', "$(", spaces, newlines)
 * it holds.
 *
 * Rules that keep a value from choosing what runs:
 *  - the first word (the program) must not contain a variable;
 *  - a word whose expansion starts with '-' although the word as
 *    written does not (e.g. "${rcpt_local}" for the local part
 *    "-oQ/tmp") is refused, so a value can never become an option.
 *
 * Returns a NULL-terminated vector (g_strfreev()), or NULL with
 * MM_ERROR_CONFIG (bad quoting, an empty command, a variable in the
 * program, an unknown variable: the configuration is wrong and the
 * message should wait), MM_ERROR_FAILED (a value would become an
 * option: this recipient can never be delivered this way) or
 * MM_ERROR_LIMIT (a word longer than MM_EXPAND_RESULT_MAX). */
char **mm_expand_argv(const char *command, GHashTable *vars, GError **error);
