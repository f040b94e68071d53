/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The table-driven parser behind masqmail.conf and the route files.
 * It owns the syntax (statements, quoting, lists, included list files)
 * and the value types; it never names an option. Every limit of the
 * input is in base/limits.h: file size, line length, include depth.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "conf/parser.h"

/* Longest quoted excerpt of a value in an error message: enough to
 * recognise it, short enough to keep the line readable. */
#define EXCERPT_MAX 60

/* A value as read from the file. Line breaks inside quotes are removed
 * (as masqmail 1.0 does); @breaks remembers where, so that a list item
 * can be blamed on the line it is on. */
typedef struct {
	GString *text;
	GArray *breaks; /* gsize offsets into text at which a line ended */
	const char *file;
	guint line;
} Value;

/* One list item and where it came from. */
typedef struct {
	char *text;
	char *file;
	guint line;
} Item;

static void
item_free(Item *item)
{
	g_free(item->text);
	g_free(item->file);
	g_free(item);
}

void
mm_conf_named_list_free(MmConfNamedList *list)
{
	if (list == NULL)
		return;
	g_free(list->name);
	g_strfreev(list->files);
	g_free(list);
}

void
mm_conf_map_free(MmConfMap *map)
{
	if (map == NULL)
		return;
	g_free(map->pattern);
	g_free(map->replacement);
	mm_address_free(map->address);
	g_free(map);
}

/* "FILE:LINE: text" in MM_ERROR_CONFIG. */
static void G_GNUC_PRINTF(4, 5)
conf_error(GError **error, const char *file, guint line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: %s", file, line, text);
}

/* A short, printable copy of @s for messages. */
static char *
excerpt(const char *s)
{
	GString *out = g_string_new(NULL);
	for (const char *p = s; *p != '\0'; p++) {
		if (out->len >= EXCERPT_MAX) {
			g_string_append(out, "...");
			break;
		}
		if (g_ascii_isprint(*p))
			g_string_append_c(out, *p);
		else
			g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
	}
	return g_string_free(out, FALSE);
}

gboolean
mm_conf_read_file(const char *path, gsize max, char **contents, gsize *len, GError **error)
{
	/* O_NONBLOCK: a FIFO named here must not hang us before the
	 * regular-file check below refuses it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		mm_error_set_errno(error, errno, "cannot open %s", path);
		return FALSE;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		mm_error_set_errno(error, errno, "cannot stat %s", path);
		close(fd);
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "%s is not a regular file", path);
		close(fd);
		return FALSE;
	}
	/* Read up to max + 1 bytes whatever st_size claims: the file may
	 * grow while we read it. */
	GString *buf = g_string_sized_new(MIN((gsize)st.st_size, max) + 1);
	char chunk[8192];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mm_error_set_errno(error, errno, "cannot read %s", path);
			g_string_free(buf, TRUE);
			close(fd);
			return FALSE;
		}
		if (n == 0)
			break;
		g_string_append_len(buf, chunk, n);
		if (buf->len > max) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
			            "%s is larger than %" G_GSIZE_FORMAT " bytes", path, max);
			g_string_free(buf, TRUE);
			close(fd);
			return FALSE;
		}
	}
	close(fd);
	*len = buf->len;
	*contents = g_string_free(buf, FALSE);
	return TRUE;
}

/* Checks every physical line for the length limit and NUL bytes before
 * anything is parsed, so that the parser proper need not. */
static gboolean
check_lines(const char *text, gsize len, const char *file, GError **error)
{
	guint line = 1;
	gsize start = 0;
	for (gsize i = 0; i <= len; i++) {
		if (i == len || text[i] == '\n') {
			if (i - start > MM_CONF_LINE_MAX) {
				conf_error(error, file, line, "line is longer than %d bytes", MM_CONF_LINE_MAX);
				return FALSE;
			}
			line++;
			start = i + 1;
		} else if (text[i] == '\0') {
			conf_error(error, file, line, "NUL byte in the file");
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- value types ------------------------------------------------ */

gboolean
mm_conf_parse_bool(const char *text, gboolean *out, GError **error)
{
	static const char *const yes[] = { "on", "yes", "true" };
	static const char *const no[] = { "off", "no", "false" };
	for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(text, no[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	g_autofree char *ex = excerpt(text);
	g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
	            "'%s' is not a boolean (use on, yes, true, off, no or false)", ex);
	return FALSE;
}

static gboolean
parse_number(const char *text, gint64 *out, const char **end)
{
	if (!g_ascii_isdigit(*text))
		return FALSE;
	gint64 v = 0;
	const char *p = text;
	for (; g_ascii_isdigit(*p); p++) {
		if (v > (G_MAXINT64 - 9) / 10)
			return FALSE;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	*end = p;
	return TRUE;
}

gboolean
mm_conf_parse_time(const char *text, gint64 *seconds, GError **error)
{
	gint64 n;
	const char *p;
	gint64 unit = 0;
	if (parse_number(text, &n, &p)) {
		switch (*p) {
		case '\0': unit = 1; break; /* no unit: seconds */
		case 's': unit = 1; p++; break;
		case 'm': unit = 60; p++; break;
		case 'h': unit = 60 * 60; p++; break;
		case 'd': unit = 24 * 60 * 60; p++; break;
		case 'w': unit = 7 * 24 * 60 * 60; p++; break;
		default: unit = 0; break;
		}
	}
	if (unit == 0 || *p != '\0' || n > G_MAXINT64 / unit) {
		g_autofree char *ex = excerpt(text);
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
		            "'%s' is not a time (a number followed by s, m, h, d or w)", ex);
		return FALSE;
	}
	*seconds = n * unit;
	return TRUE;
}

gboolean
mm_conf_split_host_port(const char *text, guint16 default_port,
                        char **host, guint16 *port, GError **error)
{
	g_autofree char *name = NULL;
	const char *port_text = NULL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close == text + 1 || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		name = g_strndup(text + 1, close - text - 1);
		if (close[1] == ':')
			port_text = close + 2;
	} else {
		const char *colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			name = g_strdup(text); /* a bare IPv6 address */
		} else if (colon != NULL) {
			name = g_strndup(text, colon - text);
			port_text = colon + 1;
		} else {
			name = g_strdup(text);
		}
	}
	if (name[0] == '\0')
		goto bad;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr(".-_:%", *p) == NULL)
			goto bad;
	}
	guint16 value = default_port;
	if (port_text != NULL) {
		gint64 n;
		const char *end;
		if (!parse_number(port_text, &n, &end) || *end != '\0' || n < 1 || n > 65535)
			goto bad;
		value = (guint16)n;
	}
	if (host != NULL)
		*host = g_steal_pointer(&name);
	if (port != NULL)
		*port = value;
	return TRUE;
bad:;
	g_autofree char *ex = excerpt(text);
	g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
	            "'%s' is not a host with an optional port (host, host:port, [address]:port)", ex);
	return FALSE;
}

static gboolean
valid_host_name(const char *name)
{
	gsize len = strlen(name);
	if (len == 0 || len > MM_DOMAIN_MAX)
		return FALSE;
	if (name[0] == '[') /* an address literal, RFC 5321 4.1.3 */
		return name[len - 1] == ']' && len > 2;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_')
			return FALSE;
	}
	return name[0] != '.' && name[0] != '-';
}

/* ---- field access ---------------------------------------------- */

#define FIELD(target, kw, type) ((type *)((char *)(target) + (kw)->offset))

static void
clear_field(const MmConfKeyword *kw, gpointer target)
{
	switch (kw->type) {
	case MM_CONF_TYPE_BOOL:
		*FIELD(target, kw, gboolean) = FALSE;
		break;
	case MM_CONF_TYPE_INT:
		*FIELD(target, kw, int) = 0;
		break;
	case MM_CONF_TYPE_SIZE:
	case MM_CONF_TYPE_TIME:
		*FIELD(target, kw, gint64) = 0;
		break;
	case MM_CONF_TYPE_STRING:
	case MM_CONF_TYPE_PATH:
	case MM_CONF_TYPE_COMMAND:
	case MM_CONF_TYPE_HOST_NAME:
	case MM_CONF_TYPE_HOST_PORT:
	case MM_CONF_TYPE_ADDRESS:
	case MM_CONF_TYPE_CHOICE:
		g_clear_pointer(FIELD(target, kw, char *), g_free);
		break;
	case MM_CONF_TYPE_LIST:
	case MM_CONF_TYPE_CHOICE_LIST:
	case MM_CONF_TYPE_HOST_PORT_LIST:
	case MM_CONF_TYPE_FILE_LIST:
		g_clear_pointer(FIELD(target, kw, char **), g_strfreev);
		break;
	case MM_CONF_TYPE_TIME_LIST:
		g_clear_pointer(FIELD(target, kw, GArray *), g_array_unref);
		break;
	case MM_CONF_TYPE_NAMED_FILE_LIST:
	case MM_CONF_TYPE_HEADER_MAP:
	case MM_CONF_TYPE_PATH_MAP:
		g_clear_pointer(FIELD(target, kw, GPtrArray *), g_ptr_array_unref);
		break;
	}
}

static void
set_string(const MmConfKeyword *kw, gpointer target, char *value)
{
	char **field = FIELD(target, kw, char *);
	g_free(*field);
	*field = value;
}

static void
set_strv(const MmConfKeyword *kw, gpointer target, GPtrArray *items)
{
	char ***field = FIELD(target, kw, char **);
	g_strfreev(*field);
	GPtrArray *v = g_ptr_array_new();
	for (guint i = 0; i < items->len; i++)
		g_ptr_array_add(v, g_strdup(((Item *)items->pdata[i])->text));
	g_ptr_array_add(v, NULL);
	*field = (char **)g_ptr_array_free(v, FALSE);
}

/* ---- lists and included files --------------------------------- */

static guint
value_line_at(const Value *value, gsize offset)
{
	guint line = value->line;
	for (guint i = 0; i < value->breaks->len; i++) {
		if (g_array_index(value->breaks, gsize, i) <= offset)
			line++;
	}
	return line;
}

static void
add_item(GPtrArray *items, const char *text, gsize len, const char *file, guint line)
{
	Item *item = g_new0(Item, 1);
	item->text = g_strstrip(g_strndup(text, len));
	item->file = g_strdup(file);
	item->line = line;
	g_ptr_array_add(items, item);
}

static gboolean
include_file(GPtrArray *items, const char *path, guint depth,
             const char *from_file, guint from_line, GError **error)
{
	if (depth > MM_CONF_INCLUDE_DEPTH_MAX) {
		conf_error(error, from_file, from_line,
		           "included files nested deeper than %d (%s)", MM_CONF_INCLUDE_DEPTH_MAX, path);
		return FALSE;
	}
	g_autofree char *text = NULL;
	gsize len;
	g_autoptr(GError) local = NULL;
	if (!mm_conf_read_file(path, MM_CONF_FILE_MAX, &text, &len, &local)) {
		conf_error(error, from_file, from_line, "cannot include list file: %s", local->message);
		return FALSE;
	}
	if (!check_lines(text, len, path, error))
		return FALSE;

	/* One item a line; blank lines and '#' lines are skipped, as in
	 * the configuration itself. */
	guint line = 1;
	const char *p = text;
	const char *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		if (eol == NULL)
			eol = end;
		g_autofree char *item = g_strstrip(g_strndup(p, eol - p));
		if (item[0] == '/') {
			if (!include_file(items, item, depth + 1, path, line, error))
				return FALSE;
		} else if (item[0] != '\0' && item[0] != '#') {
			add_item(items, item, strlen(item), path, line);
		}
		p = eol + 1;
		line++;
	}
	return TRUE;
}

/* Splits a value at ';' into trimmed, non-empty items. With
 * @includes, an item that is an absolute path is replaced by the
 * lines of that file. */
static GPtrArray *
split_list(const Value *value, gboolean includes, GError **error)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
	const char *text = value->text->str;
	gsize start = 0;
	for (gsize i = 0; i <= value->text->len; i++) {
		if (i < value->text->len && text[i] != ';')
			continue;
		gsize s = start;
		while (s < i && g_ascii_isspace(text[s]))
			s++;
		start = i + 1;
		if (s == i)
			continue;
		guint line = value_line_at(value, s);
		g_autofree char *raw = g_strstrip(g_strndup(text + s, i - s));
		if (includes && raw[0] == '/') {
			if (!include_file(items, raw, 1, value->file, line, error))
				return NULL;
		} else {
			add_item(items, raw, strlen(raw), value->file, line);
		}
	}
	return g_steal_pointer(&items);
}

/* ---- assigning values ------------------------------------------ */

static gboolean
check_choice(const MmConfKeyword *kw, const char *text, const char *file, guint line, GError **error)
{
	for (const char *const *c = kw->choices; *c != NULL; c++) {
		if (g_ascii_strcasecmp(text, *c) == 0)
			return TRUE;
	}
	g_autofree char *choices = g_strjoinv(", ", (char **)kw->choices);
	g_autofree char *ex = excerpt(text);
	conf_error(error, file, line, "%s: '%s' is not one of: %s", kw->name, ex, choices);
	return FALSE;
}

static gboolean
check_bounds(const MmConfKeyword *kw, gint64 v, const char *text, const char *file, guint line,
             GError **error)
{
	if (v < kw->min || v > kw->max) {
		g_autofree char *ex = excerpt(text);
		conf_error(error, file, line,
		           "%s: %s is out of range (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")",
		           kw->name, ex, kw->min, kw->max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
read_host_name_file(const MmConfKeyword *kw, const char *path, char **out,
                    const char *file, guint line, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	g_autoptr(GError) local = NULL;
	if (!mm_conf_read_file(path, MM_CONF_LINE_MAX, &text, &len, &local)) {
		conf_error(error, file, line, "%s: %s", kw->name, local->message);
		return FALSE;
	}
	char *nl = memchr(text, '\n', len);
	if (nl != NULL)
		*nl = '\0';
	g_strstrip(text);
	/* The file's content is not quoted back: it may be any file. */
	if (!valid_host_name(text)) {
		conf_error(error, file, line, "%s: the first line of %s is not a host name", kw->name, path);
		return FALSE;
	}
	*out = g_steal_pointer(&text);
	return TRUE;
}

/* A replacement must be a whole address: there is no host_name to
 * qualify it with when a route file is read. Header maps take an RFC
 * 5322 mailbox (display name allowed), the return-path map an RFC 5321
 * path. */
static MmAddress *
parse_replacement(const MmConfKeyword *kw, const char *text, GError **error)
{
	if (kw->type == MM_CONF_TYPE_PATH_MAP) {
		g_autoptr(MmAddress) addr = mm_address_parse_path(text, NULL, FALSE, error);
		if (addr != NULL && addr->display_name != NULL) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "a return path has no display name");
			return NULL;
		}
		return g_steal_pointer(&addr);
	}
	g_autoptr(GPtrArray) list = mm_address_parse_list(text, NULL, error);
	if (list == NULL)
		return NULL;
	if (list->len != 1) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "exactly one address is needed, not %u", list->len);
		return NULL;
	}
	return g_steal_pointer(&list->pdata[0]);
}

static gboolean
assign_map(const MmConfKeyword *kw, gpointer target, GPtrArray *items, GError **error)
{
	g_autoptr(GPtrArray) maps = g_ptr_array_new_with_free_func((GDestroyNotify)mm_conf_map_free);
	for (guint i = 0; i < items->len; i++) {
		Item *item = items->pdata[i];
		g_autoptr(GError) local = NULL;
		const char *colon = strchr(item->text, ':');
		g_autofree char *ex = excerpt(item->text);
		if (colon == NULL) {
			conf_error(error, item->file, item->line,
			           "%s: '%s' is not 'pattern: address' (the colon is missing)", kw->name, ex);
			return FALSE;
		}
		g_autofree char *pattern = g_strstrip(g_strndup(item->text, colon - item->text));
		g_autofree char *replacement = g_strstrip(g_strdup(colon + 1));
		if (pattern[0] == '\0') {
			conf_error(error, item->file, item->line, "%s: '%s' has an empty pattern", kw->name, ex);
			return FALSE;
		}
		g_autoptr(MmAddress) address = parse_replacement(kw, replacement, &local);
		if (address == NULL) {
			conf_error(error, item->file, item->line, "%s: '%s' is not a valid replacement: %s",
			           kw->name, ex, local->message);
			return FALSE;
		}
		MmConfMap *map = g_new0(MmConfMap, 1);
		map->pattern = g_steal_pointer(&pattern);
		map->replacement = g_steal_pointer(&replacement);
		map->address = g_steal_pointer(&address);
		g_ptr_array_add(maps, map);
	}
	GPtrArray **field = FIELD(target, kw, GPtrArray *);
	g_clear_pointer(field, g_ptr_array_unref);
	*field = g_steal_pointer(&maps);
	return TRUE;
}

static gboolean
assign_named(const MmConfKeyword *kw, gpointer target, const char *label,
             GPtrArray *items, const char *file, guint line, GError **error)
{
	for (const char *p = label; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("_-.", *p) == NULL) {
			conf_error(error, file, line, "%s%s: the name may contain letters, digits, '_', '-' and '.'",
			           kw->name, label);
			return FALSE;
		}
	}
	/* frees the paths taken so far when a later item is refused */
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < items->len; i++) {
		Item *item = items->pdata[i];
		if (item->text[0] != '/') {
			g_autofree char *ex = excerpt(item->text);
			conf_error(error, item->file, item->line, "%s%s: '%s' is not an absolute path",
			           kw->name, label, ex);
			g_ptr_array_free(v, TRUE);
			return FALSE;
		}
		g_ptr_array_add(v, g_strdup(item->text));
	}
	g_ptr_array_add(v, NULL);
	char **files = (char **)g_ptr_array_free(v, FALSE);

	/* A second assignment of the same name replaces the first one's
	 * files and keeps its place in the order. */
	GPtrArray *lists = *FIELD(target, kw, GPtrArray *);
	for (guint i = 0; i < lists->len; i++) {
		MmConfNamedList *l = lists->pdata[i];
		if (strcmp(l->name, label) == 0) {
			g_strfreev(l->files);
			l->files = files;
			return TRUE;
		}
	}
	MmConfNamedList *l = g_new0(MmConfNamedList, 1);
	l->name = g_strdup(label);
	l->files = files;
	g_ptr_array_add(lists, l);
	return TRUE;
}

static gboolean
assign(const MmConfKeyword *kw, const char *label, gpointer target, const Value *value, GError **error)
{
	const char *text = value->text->str;
	const char *file = value->file;
	guint line = value->line;
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) items = NULL;

	switch (kw->type) {
	case MM_CONF_TYPE_BOOL: {
		gboolean b;
		if (!mm_conf_parse_bool(text, &b, &local))
			goto value_error;
		*FIELD(target, kw, gboolean) = b;
		return TRUE;
	}
	case MM_CONF_TYPE_INT:
	case MM_CONF_TYPE_SIZE: {
		gint64 n;
		const char *end;
		if (!parse_number(text, &n, &end) || *end != '\0') {
			g_autofree char *ex = excerpt(text);
			conf_error(error, file, line, "%s: '%s' is not a number", kw->name, ex);
			return FALSE;
		}
		if (!check_bounds(kw, n, text, file, line, error))
			return FALSE;
		if (kw->type == MM_CONF_TYPE_INT)
			*FIELD(target, kw, int) = (int)n;
		else
			*FIELD(target, kw, gint64) = n;
		return TRUE;
	}
	case MM_CONF_TYPE_TIME: {
		gint64 t;
		if (!mm_conf_parse_time(text, &t, &local))
			goto value_error;
		if (!check_bounds(kw, t, text, file, line, error))
			return FALSE;
		*FIELD(target, kw, gint64) = t;
		return TRUE;
	}
	case MM_CONF_TYPE_STRING:
		set_string(kw, target, text[0] != '\0' ? g_strdup(text) : NULL);
		return TRUE;
	case MM_CONF_TYPE_PATH:
		if (text[0] == '\0') {
			set_string(kw, target, NULL);
			return TRUE;
		}
		if (text[0] != '/') {
			g_autofree char *ex = excerpt(text);
			conf_error(error, file, line, "%s: '%s' is not an absolute path", kw->name, ex);
			return FALSE;
		}
		set_string(kw, target, g_strdup(text));
		return TRUE;
	case MM_CONF_TYPE_COMMAND: {
		if (text[0] == '\0') {
			set_string(kw, target, NULL);
			return TRUE;
		}
		g_auto(GStrv) argv = NULL;
		if (!g_shell_parse_argv(text, NULL, &argv, &local)) {
			conf_error(error, file, line, "%s: not a command line: %s", kw->name, local->message);
			return FALSE;
		}
		set_string(kw, target, g_strdup(text));
		return TRUE;
	}
	case MM_CONF_TYPE_HOST_NAME: {
		char *name = NULL;
		if (text[0] == '/') {
			if (!read_host_name_file(kw, text, &name, file, line, error))
				return FALSE;
		} else if (!valid_host_name(text)) {
			g_autofree char *ex = excerpt(text);
			conf_error(error, file, line, "%s: '%s' is not a host name", kw->name, ex);
			return FALSE;
		} else {
			name = g_strdup(text);
		}
		set_string(kw, target, name);
		return TRUE;
	}
	case MM_CONF_TYPE_HOST_PORT:
		if (text[0] == '\0') {
			set_string(kw, target, NULL);
			return TRUE;
		}
		if (!mm_conf_split_host_port(text, 25, NULL, NULL, &local))
			goto value_error;
		set_string(kw, target, g_strdup(text));
		return TRUE;
	case MM_CONF_TYPE_ADDRESS:
		if (text[0] == '\0') {
			set_string(kw, target, NULL);
			return TRUE;
		}
		/* host_name may come later in the file: qualify with a
		 * stand-in just to check the shape. */
		{
			g_autoptr(MmAddress) addr = mm_address_parse_path(text, "localhost", FALSE, &local);
			if (addr == NULL) {
				g_autofree char *ex = excerpt(text);
				conf_error(error, file, line, "%s: '%s' is not a mail address: %s", kw->name, ex,
				           local->message);
				return FALSE;
			}
		}
		set_string(kw, target, g_strdup(text));
		return TRUE;
	case MM_CONF_TYPE_CHOICE:
		if (text[0] == '\0') {
			set_string(kw, target, NULL);
			return TRUE;
		}
		if (!check_choice(kw, text, file, line, error))
			return FALSE;
		set_string(kw, target, g_ascii_strdown(text, -1));
		return TRUE;
	case MM_CONF_TYPE_LIST:
		if ((items = split_list(value, TRUE, error)) == NULL)
			return FALSE;
		set_strv(kw, target, items);
		return TRUE;
	case MM_CONF_TYPE_CHOICE_LIST:
		if ((items = split_list(value, TRUE, error)) == NULL)
			return FALSE;
		for (guint i = 0; i < items->len; i++) {
			Item *item = items->pdata[i];
			if (!check_choice(kw, item->text, item->file, item->line, error))
				return FALSE;
			char *lower = g_ascii_strdown(item->text, -1);
			g_free(item->text);
			item->text = lower;
		}
		set_strv(kw, target, items);
		return TRUE;
	case MM_CONF_TYPE_HOST_PORT_LIST:
		if ((items = split_list(value, TRUE, error)) == NULL)
			return FALSE;
		for (guint i = 0; i < items->len; i++) {
			Item *item = items->pdata[i];
			if (!mm_conf_split_host_port(item->text, 25, NULL, NULL, &local)) {
				conf_error(error, item->file, item->line, "%s: %s", kw->name, local->message);
				return FALSE;
			}
		}
		set_strv(kw, target, items);
		return TRUE;
	case MM_CONF_TYPE_TIME_LIST: {
		if ((items = split_list(value, TRUE, error)) == NULL)
			return FALSE;
		g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gint64));
		for (guint i = 0; i < items->len; i++) {
			Item *item = items->pdata[i];
			gint64 t;
			if (!mm_conf_parse_time(item->text, &t, &local)) {
				conf_error(error, item->file, item->line, "%s: %s", kw->name, local->message);
				return FALSE;
			}
			if (!check_bounds(kw, t, item->text, item->file, item->line, error))
				return FALSE;
			g_array_append_val(times, t);
		}
		GArray **field = FIELD(target, kw, GArray *);
		g_clear_pointer(field, g_array_unref);
		*field = g_steal_pointer(&times);
		return TRUE;
	}
	case MM_CONF_TYPE_FILE_LIST:
		if ((items = split_list(value, FALSE, error)) == NULL)
			return FALSE;
		for (guint i = 0; i < items->len; i++) {
			Item *item = items->pdata[i];
			if (item->text[0] != '/') {
				g_autofree char *ex = excerpt(item->text);
				conf_error(error, item->file, item->line, "%s: '%s' is not an absolute path",
				           kw->name, ex);
				return FALSE;
			}
		}
		set_strv(kw, target, items);
		return TRUE;
	case MM_CONF_TYPE_NAMED_FILE_LIST:
		if ((items = split_list(value, FALSE, error)) == NULL)
			return FALSE;
		return assign_named(kw, target, label, items, file, line, error);
	case MM_CONF_TYPE_HEADER_MAP:
	case MM_CONF_TYPE_PATH_MAP:
		if ((items = split_list(value, TRUE, error)) == NULL)
			return FALSE;
		return assign_map(kw, target, items, error);
	}
	g_assert_not_reached();

value_error:
	conf_error(error, file, line, "%s: %s", kw->name, local->message);
	return FALSE;
}

/* ---- formatting -------------------------------------------------- */

static void
append_time(GString *out, gint64 t)
{
	static const struct {
		gint64 seconds;
		char unit;
	} units[] = {
		{ 7 * 24 * 60 * 60, 'w' }, { 24 * 60 * 60, 'd' }, { 60 * 60, 'h' }, { 60, 'm' },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (t != 0 && t % units[i].seconds == 0) {
			g_string_append_printf(out, "%" G_GINT64_FORMAT "%c", t / units[i].seconds, units[i].unit);
			return;
		}
	}
	g_string_append_printf(out, "%" G_GINT64_FORMAT "s", t);
}

#define CFIELD(target, kw, type) ((const type *)((const char *)(target) + (kw)->offset))

char *
mm_conf_format_value(const MmConfKeyword *kw, gconstpointer target)
{
	GString *out = g_string_new(NULL);
	switch (kw->type) {
	case MM_CONF_TYPE_BOOL:
		g_string_append(out, *CFIELD(target, kw, gboolean) ? "true" : "false");
		break;
	case MM_CONF_TYPE_INT:
		g_string_append_printf(out, "%d", *CFIELD(target, kw, int));
		break;
	case MM_CONF_TYPE_SIZE:
		g_string_append_printf(out, "%" G_GINT64_FORMAT, *CFIELD(target, kw, gint64));
		break;
	case MM_CONF_TYPE_TIME:
		append_time(out, *CFIELD(target, kw, gint64));
		break;
	case MM_CONF_TYPE_STRING:
	case MM_CONF_TYPE_PATH:
	case MM_CONF_TYPE_COMMAND:
	case MM_CONF_TYPE_HOST_NAME:
	case MM_CONF_TYPE_HOST_PORT:
	case MM_CONF_TYPE_ADDRESS:
	case MM_CONF_TYPE_CHOICE: {
		const char *s = *CFIELD(target, kw, char *);
		g_string_append(out, s != NULL ? s : "");
		break;
	}
	case MM_CONF_TYPE_LIST:
	case MM_CONF_TYPE_CHOICE_LIST:
	case MM_CONF_TYPE_HOST_PORT_LIST:
	case MM_CONF_TYPE_FILE_LIST: {
		char *const *v = *CFIELD(target, kw, GStrv);
		for (gsize i = 0; v != NULL && v[i] != NULL; i++)
			g_string_append_printf(out, "%s%s", i > 0 ? ";" : "", v[i]);
		break;
	}
	case MM_CONF_TYPE_TIME_LIST: {
		const GArray *a = *CFIELD(target, kw, GArray *);
		for (guint i = 0; i < a->len; i++) {
			if (i > 0)
				g_string_append_c(out, ';');
			append_time(out, g_array_index(a, gint64, i));
		}
		break;
	}
	case MM_CONF_TYPE_NAMED_FILE_LIST: {
		const GPtrArray *a = *CFIELD(target, kw, GPtrArray *);
		for (guint i = 0; i < a->len; i++) {
			const MmConfNamedList *l = a->pdata[i];
			g_autofree char *files = g_strjoinv(",", l->files);
			g_string_append_printf(out, "%s%s=%s", i > 0 ? ";" : "", l->name, files);
		}
		break;
	}
	case MM_CONF_TYPE_HEADER_MAP:
	case MM_CONF_TYPE_PATH_MAP: {
		const GPtrArray *a = *CFIELD(target, kw, GPtrArray *);
		for (guint i = 0; i < a->len; i++) {
			const MmConfMap *m = a->pdata[i];
			g_string_append_printf(out, "%s%s: %s", i > 0 ? ";" : "", m->pattern, m->replacement);
		}
		break;
	}
	}
	return g_string_free(out, FALSE);
}

/* ---- tables ------------------------------------------------------ */

const MmConfKeyword *
mm_conf_table_lookup(const MmConfKeyword *table, gsize n_keywords, const char *name)
{
	for (gsize i = 0; i < n_keywords; i++) {
		const MmConfKeyword *kw = &table[i];
		if (kw->flags & MM_CONF_PREFIX) {
			gsize n = strlen(kw->name);
			if (strncmp(name, kw->name, n) == 0 && name[n] != '\0')
				return kw;
		} else if (strcmp(name, kw->name) == 0) {
			return kw;
		}
	}
	return NULL;
}

void
mm_conf_table_init(const MmConfKeyword *table, gsize n_keywords, gpointer target)
{
	for (gsize i = 0; i < n_keywords; i++) {
		const MmConfKeyword *kw = &table[i];
		clear_field(kw, target);
		switch (kw->type) {
		case MM_CONF_TYPE_LIST:
		case MM_CONF_TYPE_CHOICE_LIST:
		case MM_CONF_TYPE_HOST_PORT_LIST:
		case MM_CONF_TYPE_FILE_LIST:
			*FIELD(target, kw, char **) = g_new0(char *, 1);
			break;
		case MM_CONF_TYPE_TIME_LIST:
			*FIELD(target, kw, GArray *) = g_array_new(FALSE, FALSE, sizeof(gint64));
			break;
		case MM_CONF_TYPE_NAMED_FILE_LIST:
			*FIELD(target, kw, GPtrArray *) =
			        g_ptr_array_new_with_free_func((GDestroyNotify)mm_conf_named_list_free);
			break;
		case MM_CONF_TYPE_HEADER_MAP:
		case MM_CONF_TYPE_PATH_MAP:
			*FIELD(target, kw, GPtrArray *) =
			        g_ptr_array_new_with_free_func((GDestroyNotify)mm_conf_map_free);
			break;
		default:
			break;
		}
		if (kw->default_value == NULL)
			continue;
		Value value = {
			.text = g_string_new(kw->default_value),
			.breaks = g_array_new(FALSE, FALSE, sizeof(gsize)),
			.file = "(default)",
			.line = 0,
		};
		g_autoptr(GError) error = NULL;
		gboolean ok = assign(kw, NULL, target, &value, &error);
		g_string_free(value.text, TRUE);
		g_array_unref(value.breaks);
		if (!ok)
			g_error("default of %s does not parse: %s", kw->name, error->message);
	}
}

void
mm_conf_table_clear(const MmConfKeyword *table, gsize n_keywords, gpointer target)
{
	for (gsize i = 0; i < n_keywords; i++)
		clear_field(&table[i], target);
}

/* ---- statements -------------------------------------------------- */

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static gboolean
is_name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* After a value: blanks, then the end of the line or a comment. */
static gboolean
expect_line_end(const char **pp, const char *end, const char *file, guint line,
                const char *what, GError **error)
{
	const char *p = *pp;
	while (p < end && is_blank(*p))
		p++;
	if (p < end && *p != '\n' && *p != '#') {
		const char *eol = memchr(p, '\n', end - p);
		g_autofree char *rest = g_strndup(p, (eol != NULL ? eol : end) - p);
		g_autofree char *ex = excerpt(g_strchomp(rest));
		conf_error(error, file, line, "unexpected '%s' after %s (quote values that contain spaces)",
		           ex, what);
		return FALSE;
	}
	while (p < end && *p != '\n')
		p++;
	*pp = p;
	return TRUE;
}

gboolean
mm_conf_parse_text(const MmConfKeyword *table, gsize n_keywords, gpointer target,
                   const char *text, gsize len, const char *file_name,
                   gboolean *seen, GError **error)
{
	g_return_val_if_fail(file_name != NULL, FALSE);
	if (len > MM_CONF_FILE_MAX) {
		conf_error(error, file_name, 0, "larger than %d bytes", MM_CONF_FILE_MAX);
		return FALSE;
	}
	if (!check_lines(text, len, file_name, error))
		return FALSE;

	const char *p = text;
	const char *end = text + len;
	guint line = 1;
	while (p < end) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (*p == '\n') {
			p++;
			line++;
			continue;
		}
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}

		const char *name_start = p;
		while (p < end && is_name_char(*p))
			p++;
		if (p == name_start) {
			conf_error(error, file_name, line, "expected an option name, found '%c'", *p);
			return FALSE;
		}
		g_autofree char *name = g_strndup(name_start, p - name_start);
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p != '=') {
			conf_error(error, file_name, line, "missing '=' after '%s'", name);
			return FALSE;
		}
		p++;
		while (p < end && is_blank(*p))
			p++;

		guint value_line = line;
		Value value = {
			.text = g_string_new(NULL),
			.breaks = g_array_new(FALSE, FALSE, sizeof(gsize)),
			.file = file_name,
			.line = value_line,
		};
		gboolean ok = TRUE;
		if (p < end && *p == '"') {
			p++;
			gboolean closed = FALSE;
			while (p < end) {
				char c = *p++;
				if (c == '"') {
					closed = TRUE;
					break;
				}
				if (c == '\\' && p < end)
					c = *p++;
				else if (c == '\\')
					break;
				if (c == '\n') {
					/* The break itself is dropped, as masqmail 1.0 does. */
					line++;
					g_array_append_val(value.breaks, value.text->len);
					continue;
				}
				if (c == '\r' && p < end && *p == '\n')
					continue;
				g_string_append_c(value.text, c);
			}
			if (!closed) {
				conf_error(error, file_name, value_line,
				           "unterminated quoted value of '%s' (the quote opened here)", name);
				ok = FALSE;
			} else {
				ok = expect_line_end(&p, end, file_name, line, "the closing quote", error);
			}
		} else {
			while (p < end && !is_blank(*p) && *p != '\n' && *p != '#') {
				if (*p == '"' || *p == '\\') {
					conf_error(error, file_name, line,
					           "'%c' inside the unquoted value of '%s' (quote the whole value)",
					           *p, name);
					ok = FALSE;
					break;
				}
				g_string_append_c(value.text, *p++);
			}
			if (ok)
				ok = expect_line_end(&p, end, file_name, line, "the value", error);
		}

		if (ok) {
			const MmConfKeyword *kw = mm_conf_table_lookup(table, n_keywords, name);
			if (kw == NULL) {
				conf_error(error, file_name, value_line, "unknown option '%s'", name);
				ok = FALSE;
			} else {
				const char *label = (kw->flags & MM_CONF_PREFIX) ? name + strlen(kw->name) : NULL;
				ok = assign(kw, label, target, &value, error);
				if (ok && seen != NULL)
					seen[kw - table] = TRUE;
			}
		}
		g_string_free(value.text, TRUE);
		g_array_unref(value.breaks);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

gboolean
mm_conf_parse_file(const MmConfKeyword *table, gsize n_keywords, gpointer target,
                   const char *path, gboolean *seen, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	g_autoptr(GError) local = NULL;
	if (!mm_conf_read_file(path, MM_CONF_FILE_MAX, &text, &len, &local)) {
		/* a full disk or an I/O error is no mistake in the file:
		 * the caller may try again later */
		if (mm_error_is_temporary(local))
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s:0: cannot read: %s", path,
			            local->message);
		else
			conf_error(error, path, 0, "cannot read: %s", local->message);
		return FALSE;
	}
	return mm_conf_parse_text(table, n_keywords, target, text, len, path, seen, error);
}
