/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * options.c owns the reading of masqmail's command line: which mode a
 * command line asks for and with what values. It follows masqmail 1.0
 * (and through it sendmail): options end at "--" or at the first
 * argument that does not begin with "-"; an option value may be
 * attached ("-d5") or the next argument ("-d 5"), but a next argument
 * that begins with "-" is never taken as a value. It must not do I/O,
 * read the configuration or decide about privileges: main does that
 * with the result.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "cli/options.h"

/* How an option takes its value. */
typedef enum {
	OPT_FLAG,      /* no value: the word must match exactly */
	OPT_VALUE,     /* a value, attached or the next argument; required */
	OPT_OPTIONAL,  /* a value, attached or the next argument; may be absent */
	OPT_PREFIX,    /* the rest of the word, never the next argument */
} OptKind;

typedef struct {
	MmOptions *o;
	/* the option or invocation name that chose the mode, for messages */
	char *mode_by;
	gboolean help;
} Parser;

typedef gboolean (*OptApply)(Parser *p, const char *word, const char *value, GError **error);

typedef struct {
	const char *name;  /* without the leading dash(es) */
	OptKind kind;
	OptApply apply;
} OptSpec;

static void
usage_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
usage_error(GError **error, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, MM_ERROR, MM_ERROR_FAILED, msg);
}

/* Control characters would end up in log lines, envelope addresses and
 * header fields (-F "x\nBcc: ..."), so no argument may hold one. */
static gboolean
check_argument(const char *arg, GError **error)
{
	size_t len = strlen(arg);

	if (len > MM_CLI_ARG_MAX) {
		usage_error(error, "an argument is longer than %d octets", MM_CLI_ARG_MAX);
		return FALSE;
	}
	for (const unsigned char *c = (const unsigned char *)arg; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			g_autofree char *shown = g_strescape(arg, NULL);
			if (strlen(shown) > 60)
				strcpy(shown + 57, "...");
			usage_error(error, "argument \"%s\" contains a control character", shown);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
set_mode(Parser *p, MmMode mode, const char *by, GError **error)
{
	if (p->o->mode != MM_MODE_NONE && p->o->mode != mode) {
		usage_error(error, "%s cannot be combined with %s", by, p->mode_by);
		return FALSE;
	}
	if (p->o->mode == MM_MODE_NONE) {
		p->o->mode = mode;
		g_free(p->mode_by);
		p->mode_by = g_strdup(by);
	}
	return TRUE;
}

static gboolean
replace_string(char **slot, const char *value)
{
	g_free(*slot);
	*slot = g_strdup(value);
	return TRUE;
}

/* --- the options -------------------------------------------------- */

static gboolean
opt_bm(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_ACCEPT, word, error);
}

static gboolean
opt_bd(Parser *p, const char *word, const char *value, GError **error)
{
	if (!set_mode(p, MM_MODE_DAEMON, word, error))
		return FALSE;
	p->o->listen = TRUE;
	return TRUE;
}

static gboolean
opt_bD(Parser *p, const char *word, const char *value, GError **error)
{
	if (!opt_bd(p, word, value, error))
		return FALSE;
	p->o->foreground = TRUE;
	return TRUE;
}

static gboolean
opt_bi(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_ALIASES, word, error);
}

static gboolean
opt_bp(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_LIST, word, error);
}

static gboolean
opt_bs(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_SMTP, word, error);
}

static gboolean
opt_bV(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_VERSION, word, error);
}

static gboolean
opt_status(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_STATUS, word, error);
}

static gboolean
opt_help(Parser *p, const char *word, const char *value, GError **error)
{
	p->help = TRUE;
	return TRUE;
}

static gboolean
opt_ignore(Parser *p, const char *word, const char *value, GError **error)
{
	return TRUE;
}

static gboolean
opt_C(Parser *p, const char *word, const char *value, GError **error)
{
	if (!*value) {
		usage_error(error, "%s needs a file name", word);
		return FALSE;
	}
	g_free(p->o->conf_file);
	p->o->conf_file = g_canonicalize_filename(value, NULL);
	return TRUE;
}

static gboolean
opt_state_dir(Parser *p, const char *word, const char *value, GError **error)
{
	if (!*value) {
		usage_error(error, "%s needs a directory", word);
		return FALSE;
	}
	g_free(p->o->state_dir);
	p->o->state_dir = g_canonicalize_filename(value, NULL);
	return TRUE;
}

static gboolean
opt_d(Parser *p, const char *word, const char *value, GError **error)
{
	guint64 level = 0;

	/* g_ascii_string_to_unsigned() would take a leading "+" */
	if (!g_ascii_isdigit(*value) ||
	    !g_ascii_string_to_unsigned(value, 10, 0, MM_CLI_DEBUG_LEVEL_MAX, &level, NULL)) {
		usage_error(error, "%s needs a debug level from 0 to %d, not \"%s\"", word,
		            MM_CLI_DEBUG_LEVEL_MAX, value);
		return FALSE;
	}
	p->o->debug_level = (int)level;
	return TRUE;
}

static gboolean
opt_f(Parser *p, const char *word, const char *value, GError **error)
{
	return replace_string(&p->o->return_path, value);
}

static gboolean
opt_F(Parser *p, const char *word, const char *value, GError **error)
{
	return replace_string(&p->o->full_name, value);
}

static gboolean
opt_i(Parser *p, const char *word, const char *value, GError **error)
{
	p->o->ignore_dot = TRUE;
	return TRUE;
}

static gboolean
opt_t(Parser *p, const char *word, const char *value, GError **error)
{
	p->o->read_recipients = TRUE;
	return TRUE;
}

static gboolean
opt_v(Parser *p, const char *word, const char *value, GError **error)
{
	p->o->verbose = TRUE;
	return TRUE;
}

static gboolean
opt_odq(Parser *p, const char *word, const char *value, GError **error)
{
	p->o->queue_only = TRUE;
	return TRUE;
}

static gboolean
opt_odb(Parser *p, const char *word, const char *value, GError **error)
{
	p->o->background = TRUE;
	return TRUE;
}

static gboolean
opt_Mrm(Parser *p, const char *word, const char *value, GError **error)
{
	return set_mode(p, MM_MODE_REMOVE, word, error);
}

static gboolean
opt_qo(Parser *p, const char *word, const char *value, GError **error)
{
	if (!set_mode(p, MM_MODE_QUEUE_RUN, word, error))
		return FALSE;
	p->o->queue_online = TRUE;
	if (value) {
		if (!*value) {
			usage_error(error, "%s: the route name is empty", word);
			return FALSE;
		}
		replace_string(&p->o->route_name, value);
	}
	return TRUE;
}

/* Message ids name spool files: letters, digits and "-" (the alphabet
 * of the spool's ids), so that no id can reach outside the spool. */
static gboolean
id_alphabet(const char *text)
{
	for (const char *c = text; *c; c++) {
		if (!g_ascii_isalnum(*c) && *c != '-')
			return FALSE;
	}
	return TRUE;
}

static gboolean
opt_qI(Parser *p, const char *word, const char *value, GError **error)
{
	if (!*value || strlen(value) > MM_CLI_MSGID_MAX || !id_alphabet(value)) {
		usage_error(error, "%s: \"%s\" is not (part of) a message id", word, value);
		return FALSE;
	}
	if (!set_mode(p, MM_MODE_QUEUE_RUN, word, error))
		return FALSE;
	return replace_string(&p->o->queue_id_part, value);
}

static gboolean
opt_q(Parser *p, const char *word, const char *value, GError **error)
{
	guint seconds = 0;
	g_autoptr(GError) local = NULL;

	if (!value)
		return set_mode(p, MM_MODE_QUEUE_RUN, word, error);
	if (!mm_options_parse_interval(value, &seconds, &local)) {
		usage_error(error, "%s: %s", word, local->message);
		return FALSE;
	}
	if (!set_mode(p, MM_MODE_DAEMON, word, error))
		return FALSE;
	p->o->queue_interval = seconds;
	return TRUE;
}

/* Searched in order, first match wins: a prefix entry must come after
 * the exact words that share its first letters ("qo" before "q",
 * "odq" before "o"). */
static const OptSpec short_options[] = {
	{ "bm", OPT_FLAG, opt_bm },
	{ "bd", OPT_FLAG, opt_bd },
	{ "bD", OPT_FLAG, opt_bD },
	{ "bi", OPT_FLAG, opt_bi },
	{ "bp", OPT_FLAG, opt_bp },
	{ "bs", OPT_FLAG, opt_bs },
	{ "bV", OPT_FLAG, opt_bV },
	{ "B", OPT_OPTIONAL, opt_ignore },  /* body type: 8-bit clean anyway */
	{ "C", OPT_VALUE, opt_C },
	{ "d", OPT_VALUE, opt_d },
	{ "f", OPT_VALUE, opt_f },
	{ "F", OPT_VALUE, opt_F },
	{ "i", OPT_FLAG, opt_i },
	{ "m", OPT_FLAG, opt_ignore },      /* me too: the sender is never left out */
	{ "Mrm", OPT_FLAG, opt_Mrm },
	{ "odb", OPT_FLAG, opt_odb },
	{ "odq", OPT_FLAG, opt_odq },
	{ "oi", OPT_FLAG, opt_i },
	{ "o", OPT_PREFIX, opt_ignore },    /* -oem, -oee, -om, ...: sendmail's, no meaning here */
	{ "qo", OPT_OPTIONAL, opt_qo },
	{ "qI", OPT_VALUE, opt_qI },
	{ "q", OPT_OPTIONAL, opt_q },
	{ "t", OPT_FLAG, opt_t },
	{ "v", OPT_FLAG, opt_v },
};

static const OptSpec long_options[] = {
	{ "help", OPT_FLAG, opt_help },
	{ "state-dir", OPT_VALUE, opt_state_dir },
	{ "status", OPT_FLAG, opt_status },
	{ "version", OPT_FLAG, opt_bV },
};

static const struct {
	const char *name;
	MmMode mode;
	gboolean listen;
} invocation_names[] = {
	{ "mailq", MM_MODE_LIST, FALSE },
	{ "mailrm", MM_MODE_REMOVE, FALSE },
	{ "newaliases", MM_MODE_ALIASES, FALSE },
	{ "runq", MM_MODE_QUEUE_RUN, FALSE },
	{ "smtpd", MM_MODE_DAEMON, TRUE },
	{ "in.smtpd", MM_MODE_SMTP, FALSE },
};

/* The value of an option that is not attached to it: the next
 * argument, unless it looks like an option itself. */
static const char *
next_value(int argc, char **argv, int *i)
{
	if (*i + 1 < argc && argv[*i + 1][0] != '-') {
		(*i)++;
		return argv[*i];
	}
	return NULL;
}

static gboolean
parse_short(Parser *p, int argc, char **argv, int *i, GError **error)
{
	const char *word = argv[*i];
	const char *opt = word + 1;

	for (size_t k = 0; k < G_N_ELEMENTS(short_options); k++) {
		const OptSpec *s = &short_options[k];
		size_t n = strlen(s->name);
		const char *value = NULL;

		if (s->kind == OPT_FLAG) {
			if (strcmp(opt, s->name) != 0)
				continue;
			return s->apply(p, word, NULL, error);
		}
		if (strncmp(opt, s->name, n) != 0)
			continue;

		g_autofree char *name = g_strdup_printf("-%s", s->name);
		if (s->kind == OPT_PREFIX)
			return s->apply(p, name, opt + n, error);
		if (opt[n])
			value = opt + n;
		else
			value = next_value(argc, argv, i);
		if (!value && s->kind == OPT_VALUE) {
			usage_error(error, "%s needs an argument", name);
			return FALSE;
		}
		return s->apply(p, name, value, error);
	}
	usage_error(error, "unknown option \"%s\"", word);
	return FALSE;
}

static gboolean
parse_long(Parser *p, int argc, char **argv, int *i, GError **error)
{
	const char *word = argv[*i];
	const char *opt = word + 2;
	const char *eq = strchr(opt, '=');
	size_t n = eq ? (size_t)(eq - opt) : strlen(opt);

	for (size_t k = 0; k < G_N_ELEMENTS(long_options); k++) {
		const OptSpec *s = &long_options[k];
		g_autofree char *name = NULL;
		const char *value = NULL;

		if (strlen(s->name) != n || strncmp(opt, s->name, n) != 0)
			continue;
		name = g_strdup_printf("--%s", s->name);
		if (s->kind == OPT_FLAG) {
			if (eq) {
				usage_error(error, "%s takes no argument", name);
				return FALSE;
			}
			return s->apply(p, name, NULL, error);
		}
		value = eq ? eq + 1 : next_value(argc, argv, i);
		if (!value) {
			usage_error(error, "%s needs an argument", name);
			return FALSE;
		}
		return s->apply(p, name, value, error);
	}
	usage_error(error, "unknown option \"%s\"", word);
	return FALSE;
}

/* A whole message id begins with a letter or digit (id_alphabet()). */
static gboolean
check_message_id(const char *id, GError **error)
{
	gboolean ok = g_ascii_isalnum(id[0]) && strlen(id) <= MM_CLI_MSGID_MAX && id_alphabet(id);

	if (!ok)
		usage_error(error, "\"%s\" is not a message id", id);
	return ok;
}

static gboolean
check_recipient(const char *rcpt, GError **error)
{
	if (!*rcpt) {
		usage_error(error, "an empty argument is not a recipient");
		return FALSE;
	}
	/* a pipe recipient would run a command as the mail system */
	if (rcpt[0] == '|') {
		usage_error(error, "\"%s\": a pipe is not allowed as a recipient", rcpt);
		return FALSE;
	}
	return TRUE;
}

/* The rules that need the whole command line. */
static gboolean
finish(Parser *p, GError **error)
{
	MmOptions *o = p->o;
	guint nargs = g_strv_length(o->args);

	if (p->help) {
		o->mode = MM_MODE_HELP;
		return TRUE;
	}
	if (o->conf_file && o->state_dir) {
		usage_error(error, "-C and --state-dir cannot be combined");
		return FALSE;
	}
	/* 1.0: with no mode, no recipient and no -t nothing could be sent,
	 * so print the version rather than wait for a message */
	if (o->mode == MM_MODE_NONE)
		o->mode = (nargs > 0 || o->read_recipients) ? MM_MODE_ACCEPT : MM_MODE_VERSION;

	switch (o->mode) {
	case MM_MODE_ACCEPT:
		if (nargs == 0 && !o->read_recipients) {
			usage_error(error, "no recipients given (and no -t)");
			return FALSE;
		}
		for (guint k = 0; k < nargs; k++) {
			if (!check_recipient(o->args[k], error))
				return FALSE;
		}
		break;
	case MM_MODE_REMOVE:
		if (nargs == 0) {
			usage_error(error, "%s needs at least one message id", p->mode_by);
			return FALSE;
		}
		for (guint k = 0; k < nargs; k++) {
			if (!check_message_id(o->args[k], error))
				return FALSE;
		}
		break;
	default:
		break;
	}
	return TRUE;
}

static const char *
base_name(const char *argv0)
{
	const char *slash;
	const char *name;

	if (!argv0)
		return "masqmail";
	slash = strrchr(argv0, '/');
	name = slash ? slash + 1 : argv0;
	return *name ? name : "masqmail";
}

static gboolean
parse(Parser *p, int argc, char **argv, GError **error)
{
	MmOptions *o = p->o;
	const char *name = base_name(argc > 0 ? argv[0] : NULL);
	int i;

	o->invoked_as = g_strdup(name);
	for (size_t k = 0; k < G_N_ELEMENTS(invocation_names); k++) {
		if (strcmp(name, invocation_names[k].name) == 0) {
			o->mode = invocation_names[k].mode;
			o->listen = invocation_names[k].listen;
			p->mode_by = g_strdup_printf("invocation as %s", name);
			break;
		}
	}

	/* every argument first, whatever it turns out to be, so that no
	 * control character reaches an option's own error message either */
	for (i = 1; i < argc; i++) {
		if (!check_argument(argv[i], error))
			return FALSE;
	}

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (arg[0] != '-')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (!(arg[1] == '-' ? parse_long(p, argc, argv, &i, error)
		                    : parse_short(p, argc, argv, &i, error)))
			return FALSE;
	}

	g_strfreev(o->args);
	/* with argc 0 the loop above leaves i at 1 */
	o->args = g_new0(char *, MAX(argc - i, 0) + 1);
	for (int k = i; k < argc; k++)
		o->args[k - i] = g_strdup(argv[k]);

	return finish(p, error);
}

/* --- exported ------------------------------------------------------ */

void
mm_options_init(MmOptions *opts)
{
	g_return_if_fail(opts != NULL);

	memset(opts, 0, sizeof(*opts));
	opts->mode = MM_MODE_NONE;
	opts->debug_level = -1;
}

void
mm_options_clear(MmOptions *opts)
{
	if (!opts)
		return;
	g_free(opts->invoked_as);
	g_free(opts->conf_file);
	g_free(opts->state_dir);
	g_free(opts->return_path);
	g_free(opts->full_name);
	g_free(opts->route_name);
	g_free(opts->queue_id_part);
	g_strfreev(opts->args);
	mm_options_init(opts);
}

gboolean
mm_options_parse(int argc, char **argv, MmOptions *out, GError **error)
{
	Parser p = { .o = out };
	gboolean ok;

	g_return_val_if_fail(out != NULL, FALSE);
	g_return_val_if_fail(argc == 0 || argv != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	mm_options_init(out);
	ok = parse(&p, argc, argv, error);
	g_free(p.mode_by);
	if (!ok)
		mm_options_clear(out);
	return ok;
}

gboolean
mm_options_parse_interval(const char *text, guint *seconds, GError **error)
{
	guint64 total = 0;
	const char *c = text;

	g_return_val_if_fail(text != NULL && seconds != NULL, FALSE);

	if (!*c) {
		usage_error(error, "empty interval");
		return FALSE;
	}
	while (*c) {
		guint64 number = 0;
		guint64 unit;

		if (!g_ascii_isdigit(*c)) {
			usage_error(error, "bad interval \"%s\": expected a number", text);
			return FALSE;
		}
		for (; g_ascii_isdigit(*c); c++) {
			number = number * 10 + (guint64)(*c - '0');
			/* stop before the multiplication can overflow */
			if (number > MM_CLI_INTERVAL_MAX)
				goto too_long;
		}
		switch (*c) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 24 * 3600; break;
		case 'w': unit = 7 * 24 * 3600; break;
		case '\0':
			usage_error(error, "bad interval \"%s\": the number needs a unit (s, m, h, d or w)",
			            text);
			return FALSE;
		default:
			usage_error(error, "bad interval \"%s\": unknown unit '%c'", text, *c);
			return FALSE;
		}
		c++;
		total += number * unit;
		if (total > MM_CLI_INTERVAL_MAX)
			goto too_long;
	}
	if (total == 0) {
		usage_error(error, "bad interval \"%s\": it must be at least one second", text);
		return FALSE;
	}
	*seconds = (guint)total;
	return TRUE;

too_long:
	usage_error(error, "bad interval \"%s\": longer than %d seconds", text, MM_CLI_INTERVAL_MAX);
	return FALSE;
}

const char *
mm_options_usage(void)
{
	return "Usage:\n"
	       "  masqmail [-bm] [-t] [-i|-oi] [-f ADDRESS] [-F NAME] [-odb|-odq] [--] RECIPIENT...\n"
	       "  masqmail -bd [-q INTERVAL]    daemon: SMTP listener (and queue runs)\n"
	       "  masqmail -bD [-q INTERVAL]    the same in the foreground\n"
	       "  masqmail -q INTERVAL          daemon: queue runs only\n"
	       "  masqmail -q                   one queue run (runq)\n"
	       "  masqmail -qo [NAME]           one queue run through online routes (or NAME)\n"
	       "  masqmail -qI TEXT             one queue run over the ids that contain TEXT\n"
	       "  masqmail -bp                  list the queue (mailq)\n"
	       "  masqmail -Mrm ID...           remove messages (mailrm)\n"
	       "  masqmail -bs                  SMTP on standard input and output (in.smtpd)\n"
	       "  masqmail -bi                  nothing to do (newaliases)\n"
	       "  masqmail -bV | --version      version, paths and features\n"
	       "  masqmail --status             daemon, links and routes\n"
	       "  masqmail --help\n"
	       "Options for every mode:\n"
	       "  -C FILE            use FILE as the configuration\n"
	       "  --state-dir DIR    embedded configuration with all state under DIR\n"
	       "  -d LEVEL           debug level 0-9\n"
	       "  -v                 also log to standard error\n"
	       "Ignored for compatibility: -B TYPE, -m, -o*\n"
	       "See masqmail(8).\n";
}

const char *
mm_options_mode_name(MmMode mode)
{
	switch (mode) {
	case MM_MODE_NONE: return "none";
	case MM_MODE_ACCEPT: return "accept";
	case MM_MODE_DAEMON: return "daemon";
	case MM_MODE_QUEUE_RUN: return "queue-run";
	case MM_MODE_SMTP: return "smtp";
	case MM_MODE_LIST: return "list";
	case MM_MODE_REMOVE: return "remove";
	case MM_MODE_VERSION: return "version";
	case MM_MODE_ALIASES: return "aliases";
	case MM_MODE_STATUS: return "status";
	case MM_MODE_HELP: return "help";
	}
	return "unknown";
}
