/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The parser that masqmail.conf(5) and masqmail.route(5) share: the
 * `var = value` syntax of masqmail 1.0 (double quotes with backslash
 * escapes, quoted values over several lines, `#` comments, `;` lists,
 * list items that are absolute paths include a file) driven by a
 * keyword table. Each file kind has one table of MmConfKeyword rows
 * (name, type, offset of the field, default, bounds); an option is
 * added by adding a row. This file knows nothing about any particular
 * option; conf.c and route.c own the tables.
 *
 * Every error is MM_ERROR_CONFIG with the message "FILE:LINE: text".
 */
#pragma once

#include <glib.h>

#include "msg/address.h"

typedef enum {
	MM_CONF_TYPE_BOOL,      /* gboolean: on/yes/true, off/no/false */
	MM_CONF_TYPE_INT,       /* int within [min, max] */
	MM_CONF_TYPE_SIZE,      /* gint64 number of bytes within [min, max] */
	MM_CONF_TYPE_TIME,      /* gint64 seconds: "30", "30s", "5m", "4h", "4d", "1w" */
	MM_CONF_TYPE_STRING,    /* char *, NULL when unset */
	MM_CONF_TYPE_PATH,      /* char *, an absolute path */
	MM_CONF_TYPE_COMMAND,   /* char *, a command line g_shell_parse_argv() accepts */
	MM_CONF_TYPE_HOST_NAME, /* char *, a host name; "/file" means its first line */
	MM_CONF_TYPE_HOST_PORT, /* char *, "host", "host:port", "[v6]:port" */
	MM_CONF_TYPE_ADDRESS,   /* char *, one RFC 5321 address; unqualified is allowed */
	MM_CONF_TYPE_CHOICE,    /* char *, one of the row's choices (any case; stored lower case) */
	MM_CONF_TYPE_LIST,      /* char **, never NULL, maybe empty */
	MM_CONF_TYPE_CHOICE_LIST,    /* char **, each item one of the choices */
	MM_CONF_TYPE_HOST_PORT_LIST, /* char **, each item as MM_CONF_TYPE_HOST_PORT */
	MM_CONF_TYPE_TIME_LIST,      /* GArray of gint64 seconds, never NULL */
	MM_CONF_TYPE_FILE_LIST,      /* char **, absolute paths taken as they are (no includes) */
	MM_CONF_TYPE_NAMED_FILE_LIST,/* GPtrArray of MmConfNamedList*; the keyword is a prefix */
	MM_CONF_TYPE_HEADER_MAP,     /* GPtrArray of MmConfMap*; replacements are RFC 5322 */
	MM_CONF_TYPE_PATH_MAP,       /* GPtrArray of MmConfMap*; replacements are RFC 5321 */
} MmConfType;

enum {
	/* The option must be set in the file; it has no default. */
	MM_CONF_REQUIRED = 1 << 0,
	/* The name ends with '.' and the option is NAME + label
	 * (query_routes.FastNet). */
	MM_CONF_PREFIX = 1 << 1,
};

typedef struct {
	const char *name;
	MmConfType type;
	gsize offset;                /* of the field in the target struct */
	const char *default_value;   /* in configuration syntax; NULL: unset or empty */
	gint64 min, max;             /* INT, SIZE, TIME, TIME_LIST */
	const char *const *choices;  /* CHOICE, CHOICE_LIST */
	guint flags;
} MmConfKeyword;

/* One query_routes.NAME entry. */
typedef struct {
	char *name;
	char **files;
} MmConfNamedList;

/* One "pattern: replacement" item of a map_* option. */
typedef struct {
	char *pattern;       /* glob over the local part (or whole address when it has '@') */
	char *replacement;   /* the address as written: "John <j@example.org>", "*@example.org" */
	MmAddress *address;  /* the same, parsed; local part "*" means "keep the local part";
	                      * display_name only from HEADER_MAP items */
} MmConfMap;

void mm_conf_named_list_free(MmConfNamedList *list);
void mm_conf_map_free(MmConfMap *map);

/* Sets every field of @target that @table describes to its default.
 * Defaults are written in the configuration syntax and go through the
 * same code as values read from a file; a default that does not parse
 * is a programming error. */
void mm_conf_table_init(const MmConfKeyword *table, gsize n_keywords, gpointer target);

/* Frees every field of @target that @table describes (not @target). */
void mm_conf_table_clear(const MmConfKeyword *table, gsize n_keywords, gpointer target);

/* Parses @text (@len bytes, not necessarily NUL-terminated) on top of
 * the values already in @target. @file_name is used in messages and
 * must not be NULL. When @seen is not NULL it has @n_keywords entries
 * and an entry is set to TRUE when the file assigns that option.
 * On failure @target holds a mix of old and new values; the caller
 * throws it away. Sets MM_ERROR_CONFIG. */
gboolean mm_conf_parse_text(const MmConfKeyword *table, gsize n_keywords, gpointer target,
                            const char *text, gsize len, const char *file_name,
                            gboolean *seen, GError **error);

/* Reads @path (at most MM_CONF_FILE_MAX bytes, a regular file) and
 * parses it as mm_conf_parse_text() does. A file that cannot be read
 * is MM_ERROR_CONFIG "PATH:0: cannot read: reason". */
gboolean mm_conf_parse_file(const MmConfKeyword *table, gsize n_keywords, gpointer target,
                            const char *path, gboolean *seen, GError **error);

/* Reads a whole regular file of at most @max bytes into a new
 * NUL-terminated buffer. Errors as mm_error_set_errno() sets them, or
 * MM_ERROR_LIMIT when the file is larger. */
gboolean mm_conf_read_file(const char *path, gsize max, char **contents, gsize *len, GError **error);

/* The value parsers, also for command-line arguments that share the
 * syntax (-q30m). They set MM_ERROR_PARSE with a message that does not
 * name a file. */
gboolean mm_conf_parse_bool(const char *text, gboolean *out, GError **error);
gboolean mm_conf_parse_time(const char *text, gint64 *seconds, GError **error);

/* Splits "host", "host:port", "[v6]:port", "[v6]" or a bare IPv6
 * address into its parts; @default_port is used when no port is given.
 * @host (caller frees) may be NULL when only checking. */
gboolean mm_conf_split_host_port(const char *text, guint16 default_port,
                                 char **host, guint16 *port, GError **error);

/* The value of @kw's field in @target written in the configuration
 * syntax (unquoted), for diagnostics and tests: booleans as true or
 * false, times with the largest exact unit ("4d"), lists joined with
 * ';', map items as "pattern: replacement", named lists as
 * "name=file,file". An unset string is "". Caller frees. */
char *mm_conf_format_value(const MmConfKeyword *kw, gconstpointer target);

/* The keyword that @name sets, or NULL. */
const MmConfKeyword *mm_conf_table_lookup(const MmConfKeyword *table, gsize n_keywords,
                                          const char *name);
