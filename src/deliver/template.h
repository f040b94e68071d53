/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The template language of errmsg_file and warnmsg_file, as masqmail
 * 1.0 reads it. A template is the whole text of a message, header and
 * body, processed line by line:
 *
 *  - a line that starts with '@' names a list ("@failed_rcpts"); the
 *    line is replaced by the list's text. As in 1.0 only the start of
 *    the line is compared, so the rest of such a line is ignored, and
 *    a line that starts with '@' but names no list is dropped;
 *  - every other line goes through mm_expand_text(): ${name} and $name
 *    are replaced by the variables' values, an unknown variable by
 *    nothing, and a backslash makes the next character literal.
 *
 * template.c knows nothing about what the lists hold; bounce.c fills
 * them in. It reads no file and never logs.
 */
#pragma once

#include <glib.h>

/* Appends the text of one list (whole lines, each ending in "\n") to
 * @out. FALSE with @error set stops the expansion. */
typedef gboolean (*MmTemplateListFunc)(GString *out, gpointer user_data, GError **error);

typedef struct {
	const char *name;        /* with the '@': "@msg_body" */
	MmTemplateListFunc func; /* called only when a line names the list */
	gpointer user_data;
} MmTemplateList;

/* Expands @len bytes of @text (a template; need not be NUL-terminated)
 * with the variables @vars (name -> value) and the @n_lists lists.
 * Lists are compared in the order given and the first whose name
 * starts the line wins. A final line without a line end stays without
 * one. @file_name is used in messages only.
 *
 * Returns the new text (caller frees), or NULL with MM_ERROR_CONFIG
 * "FILE:LINE: what" for a template that holds a NUL byte, an
 * unterminated or overlong ${name}, or a line that expands to more than
 * MM_EXPAND_RESULT_MAX bytes; errors of a list function are passed on
 * as they are. */
char *mm_template_expand(const char *text, gsize len, const char *file_name, GHashTable *vars,
                         const MmTemplateList *lists, guint n_lists, GError **error);

/* Reads the template file @path, at most MM_TEMPLATE_FILE_MAX bytes.
 * Returns its contents (caller unrefs), or NULL with MM_ERROR_CONFIG
 * for a file that is missing, unreadable, not a regular file or too
 * long (the configuration names a file that cannot serve), or
 * MM_ERROR_TEMPORARY when reading failed for a passing reason (EIO,
 * ENOMEM, EMFILE, ...). */
GBytes *mm_template_read(const char *path, GError **error);
