/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * template.c owns the line structure of the errmsg_file and
 * warnmsg_file templates: which line is a list, which is text to
 * expand. The ${var} language itself is deliver/expand.c; what the
 * lists hold is deliver/bounce.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "deliver/expand.h"
#include "deliver/template.h"

static const MmTemplateList *
find_list(const char *line, gsize len, const MmTemplateList *lists, guint n_lists)
{
	for (guint i = 0; i < n_lists; i++) {
		gsize n = strlen(lists[i].name);
		if (n <= len && memcmp(line, lists[i].name, n) == 0)
			return &lists[i];
	}
	return NULL;
}

char *
mm_template_expand(const char *text, gsize len, const char *file_name, GHashTable *vars,
                   const MmTemplateList *lists, guint n_lists, GError **error)
{
	g_autoptr(GString) out = g_string_sized_new(len + 1024);
	const char *p = text;
	const char *end = text + len;
	guint lineno = 0;

	g_return_val_if_fail(text != NULL || len == 0, NULL);
	g_return_val_if_fail(file_name != NULL, NULL);

	if (memchr(text, '\0', len) != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s: the template holds a NUL byte",
		            file_name);
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		gsize n = nl ? (gsize)(nl - p + 1) : (gsize)(end - p);

		lineno++;
		if (p[0] == '@') {
			const MmTemplateList *list = find_list(p, n, lists, n_lists);
			/* 1.0 drops an '@' line it does not know, so do we. */
			if (list != NULL && !list->func(out, list->user_data, error))
				return NULL;
		} else {
			/* The line end is kept out of the expansion, so that
			 * an error message quotes the line as one line. */
			gboolean has_nl = nl != NULL;
			g_autofree char *line = g_strndup(p, has_nl ? n - 1 : n);
			g_autoptr(GError) local = NULL;
			g_autofree char *expanded = mm_expand_text(line, vars, &local);

			if (expanded == NULL) {
				g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: %s", file_name, lineno,
				            local->message);
				return NULL;
			}
			g_string_append(out, expanded);
			if (has_nl)
				g_string_append_c(out, '\n');
		}
		p += n;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

GBytes *
mm_template_read(const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autofree char *what = NULL;
	struct stat st;
	int fd;

	g_return_val_if_fail(path != NULL, NULL);

	/* A template is named by the configuration, so a symbolic link to
	 * it is the administrator's choice: follow it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		mm_error_set_errno(&local, errno, "template %s", path);
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		mm_error_set_errno(&local, errno, "template %s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(&local, MM_ERROR, MM_ERROR_FAILED, "template %s: not a regular file", path);
		goto fail;
	}
	what = g_strdup_printf("template %s", path);
	data = mm_fs_read_all(fd, MM_TEMPLATE_FILE_MAX, what, &local);
	if (data == NULL)
		goto fail;
	close(fd);
	return g_steal_pointer(&data);

fail:
	if (fd >= 0)
		close(fd);
	/* Whatever is wrong with the file stays wrong until somebody
	 * changes the configuration, unless the system was only short of
	 * something for a moment. */
	g_set_error_literal(error, MM_ERROR,
	                    mm_error_is_temporary(local) ? MM_ERROR_TEMPORARY : MM_ERROR_CONFIG,
	                    local->message);
	return NULL;
}
