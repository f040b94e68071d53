/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * expand.c owns the ${var} language of masqmail 1.0. It only produces
 * strings and argument vectors; it never runs anything. Commands are
 * split before anything is expanded, so a value (which comes from the
 * envelope, i.e. from whoever sent the mail) can never add, remove or
 * reorder words.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "deliver/expand.h"

/* Stands for a '$' that sh(1) quoting made literal, between the
 * marking pass and the expansion of a word. Commands come from the
 * configuration, where control characters have no business, so one
 * that holds it is refused rather than misread. */
#define LITERAL_DOLLAR '\x01'

typedef enum {
	EXPAND_TEXT, /* templates: backslash escapes, unknown names are empty */
	EXPAND_WORD, /* command words: LITERAL_DOLLAR, unknown names are errors */
} ExpandMode;

GHashTable *
mm_expand_vars_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
set_var(GHashTable *vars, const char *name, const char *value)
{
	g_hash_table_replace(vars, g_strdup(name), g_strdup(value ? value : ""));
}

void
mm_expand_vars_add_message(GHashTable *vars, const MmMessage *msg)
{
	g_return_if_fail(vars != NULL && msg != NULL);

	set_var(vars, "uid", msg->uid);
	set_var(vars, "received_host", msg->received_host);
	set_var(vars, "ident", msg->ident);
	if (msg->return_path != NULL) {
		g_autofree char *rp = mm_address_to_string(msg->return_path);
		set_var(vars, "return_path", rp);
		set_var(vars, "return_path_local", msg->return_path->local_part);
		set_var(vars, "return_path_domain", msg->return_path->domain);
	} else {
		set_var(vars, "return_path", "");
		set_var(vars, "return_path_local", "");
		set_var(vars, "return_path_domain", "");
	}
}

void
mm_expand_vars_add_rcpt(GHashTable *vars, const MmAddress *rcpt)
{
	g_autofree char *addr = NULL;

	g_return_if_fail(vars != NULL && rcpt != NULL);

	addr = mm_address_to_string(rcpt);
	set_var(vars, "rcpt", addr);
	set_var(vars, "rcpt_local", rcpt->local_part);
	set_var(vars, "rcpt_domain", rcpt->domain);
}

void
mm_expand_vars_add_conf(GHashTable *vars, const char *host_name)
{
	g_return_if_fail(vars != NULL);

	set_var(vars, "host_name", host_name);
	set_var(vars, "package", PACKAGE);
	set_var(vars, "version", VERSION);
}

static gboolean
is_name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '-';
}

/* Appends the expansion of @text to @out. *@n_vars counts the variable
 * references met. */
static gboolean
expand_into(GString *out, const char *text, GHashTable *vars, ExpandMode mode, guint *n_vars,
            GError **error)
{
	const char *p = text;

	while (*p != '\0') {
		if (mode == EXPAND_TEXT && *p == '\\') {
			p++;
			if (*p == '\0')
				break;
			g_string_append_c(out, *p++);
		} else if (mode == EXPAND_WORD && *p == LITERAL_DOLLAR) {
			g_string_append_c(out, '$');
			p++;
		} else if (*p == '$' && (p[1] == '{' || is_name_char(p[1]))) {
			g_autofree char *name = NULL;
			const char *value;

			if (p[1] == '{') {
				const char *end = strchr(p + 2, '}');
				if (end == NULL) {
					g_set_error(error, MM_ERROR,
					            mode == EXPAND_WORD ? MM_ERROR_CONFIG : MM_ERROR_PARSE,
					            "unterminated ${ in \"%s\"", text);
					return FALSE;
				}
				name = g_strndup(p + 2, end - (p + 2));
				p = end + 1;
			} else {
				const char *start = p + 1;
				for (p = start; is_name_char(*p); p++)
					;
				name = g_strndup(start, p - start);
			}
			if (strlen(name) > MM_EXPAND_NAME_MAX) {
				g_set_error(error, MM_ERROR,
				            mode == EXPAND_WORD ? MM_ERROR_CONFIG : MM_ERROR_PARSE,
				            "variable name longer than %d characters in \"%s\"",
				            MM_EXPAND_NAME_MAX, text);
				return FALSE;
			}
			(*n_vars)++;
			value = vars ? g_hash_table_lookup(vars, name) : NULL;
			if (value == NULL && mode == EXPAND_WORD) {
				/* A misspelt name would otherwise hand the MDA an
				 * empty argument and deliver to the wrong place. */
				g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
				            "unknown variable ${%s} in \"%s\"", name, text);
				return FALSE;
			}
			if (value != NULL)
				g_string_append(out, value);
		} else {
			g_string_append_c(out, *p++);
		}
		if (out->len > MM_EXPAND_RESULT_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
			            "expansion of \"%s\" is longer than %d bytes", text,
			            MM_EXPAND_RESULT_MAX);
			return FALSE;
		}
	}
	return TRUE;
}

char *
mm_expand_text(const char *text, GHashTable *vars, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	guint n_vars = 0;

	g_return_val_if_fail(text != NULL, NULL);

	if (!expand_into(out, text, vars, EXPAND_TEXT, &n_vars, error))
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Replaces each '$' that sh(1) would not expand (in single quotes, or
 * after a backslash outside single quotes) by LITERAL_DOLLAR, so that
 * the distinction survives g_shell_parse_argv(), which removes the
 * quotes. Everything else is copied unchanged. */
static char *
mark_literal_dollars(const char *command)
{
	GString *out = g_string_sized_new(strlen(command));
	enum { UNQUOTED, SINGLE, DOUBLE } state = UNQUOTED;

	for (const char *p = command; *p != '\0'; p++) {
		switch (state) {
		case SINGLE:
			if (*p == '\'')
				state = UNQUOTED;
			g_string_append_c(out, *p == '$' ? LITERAL_DOLLAR : *p);
			break;
		case UNQUOTED:
		case DOUBLE:
			if (*p == '\\' && p[1] == '$') {
				g_string_append_c(out, LITERAL_DOLLAR);
				p++;
			} else if (*p == '\\' && p[1] != '\0') {
				/* the escaped character can neither open nor close a quote */
				g_string_append_c(out, *p);
				g_string_append_c(out, *++p);
			} else {
				if (*p == '"')
					state = state == DOUBLE ? UNQUOTED : DOUBLE;
				else if (*p == '\'' && state == UNQUOTED)
					state = SINGLE;
				g_string_append_c(out, *p);
			}
			break;
		}
	}
	return g_string_free(out, FALSE);
}

char **
mm_expand_argv(const char *command, GHashTable *vars, GError **error)
{
	g_autofree char *marked = NULL;
	g_auto(GStrv) words = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) shell_error = NULL;
	int n_words = 0;

	g_return_val_if_fail(command != NULL, NULL);

	if (strchr(command, LITERAL_DOLLAR) != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
		            "command holds a control character: \"%s\"", command);
		return NULL;
	}
	marked = mark_literal_dollars(command);
	if (!g_shell_parse_argv(marked, &n_words, &words, &shell_error)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "cannot split command \"%s\": %s",
		            command, shell_error->message);
		return NULL;
	}

	argv = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < n_words; i++) {
		g_autoptr(GString) out = g_string_new(NULL);
		guint n_vars = 0;

		if (!expand_into(out, words[i], vars, EXPAND_WORD, &n_vars, error))
			return NULL;
		if (i == 0 && n_vars > 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
			            "the program of \"%s\" must not come from a variable", command);
			return NULL;
		}
		if (out->str[0] == '-' && words[i][0] != '-') {
			g_autofree char *shown = g_strescape(out->str, NULL);
			g_set_error(error, MM_ERROR, MM_ERROR_FAILED,
			            "argument %d of \"%s\" would become the option \"%s\": refused", i,
			            command, shown);
			return NULL;
		}
		g_ptr_array_add(argv, g_string_free(g_steal_pointer(&out), FALSE));
	}
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&argv), FALSE);
}
