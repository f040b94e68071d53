/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * bounce.c makes failure notices and delay warnings, and decides when
 * a deferred message is due for one. It fills the variables and lists
 * of the templates (template.c does the lines, expand.c the ${var}
 * language) and turns the text into a message the way the command line
 * would accept it (accept.c). It never writes the spool and never logs
 * a failure: the queue run decides what an error means.
 *
 * Everything that goes into a notice from outside (remote replies,
 * reasons, pipe commands) is cut down to printable US-ASCII first: a
 * relay's reply must not be able to add header fields or MIME parts to
 * the notice.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "deliver/bounce.h"
#include "deliver/expand.h"
#include "deliver/template.h"
#include "queue/accept.h"
#include "queue/spool.h"

gboolean
mm_bounce_is_bounce(const MmMessage *msg)
{
	g_return_val_if_fail(msg != NULL, FALSE);

	return msg->return_path != NULL && mm_address_is_null(msg->return_path);
}

/* @text with every byte that is not printable US-ASCII, tab or (when
 * @keep_lines) LF replaced by '?', and CR dropped. Caller frees. */
static char *
printable(const char *text, gboolean keep_lines)
{
	GString *out = g_string_sized_new(strlen(text));

	for (const char *p = text; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (c == '\r')
			continue;
		if ((c >= 32 && c < 127) || c == '\t' || (keep_lines && c == '\n'))
			g_string_append_c(out, (char)c);
		else
			g_string_append_c(out, '?');
	}
	return g_string_free(out, FALSE);
}

/* Length of the RFC 3463 status code at @s ("5.1.1"; class 2, 4 or 5,
 * subject and detail of one to three digits each, not followed by a
 * digit or dot), 0 when there is none. */
static gsize
status_code_len(const char *s)
{
	const char *p = s;

	if (*p != '2' && *p != '4' && *p != '5')
		return 0;
	p++;
	for (int part = 0; part < 2; part++) {
		int digits = 0;
		if (*p++ != '.')
			return 0;
		while (g_ascii_isdigit(*p) && digits < 4) {
			p++;
			digits++;
		}
		if (digits < 1 || digits > 3)
			return 0;
	}
	if (*p == '.' || g_ascii_isdigit(*p))
		return 0;
	return p - s;
}

char *
mm_bounce_status(MmBounceKind kind, const MmBounceRcpt *rcpt)
{
	char cls = kind == MM_BOUNCE_FAILURE ? '5' : '4';

	g_return_val_if_fail(rcpt != NULL, NULL);

	if (rcpt->status != NULL && rcpt->status[0] != '\0' &&
	    status_code_len(rcpt->status) == strlen(rcpt->status))
		return g_strdup(rcpt->status);
	if (rcpt->remote_reply != NULL) {
		/* RFC 2034: the enhanced code follows the reply code and
		 * its separator on the first line. */
		const char *p = rcpt->remote_reply;
		if (g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2]) &&
		    (p[3] == ' ' || p[3] == '-')) {
			gsize n = status_code_len(p + 4);
			if (n > 0)
				return g_strdup_printf("%c%.*s", cls, (int)(n - 1), p + 5);
		}
	}
	return g_strdup_printf("%c.0.0", cls);
}

/* What the recipient is called in a notice. Caller frees. */
static char *
rcpt_name(const MmRecipient *rcpt)
{
	if (rcpt->address != NULL)
		return mm_address_to_string(rcpt->address);
	return printable(rcpt->pipe != NULL ? rcpt->pipe : "", FALSE);
}

/* Appends each line of @text after @indent. */
static void
append_indented(GString *out, const char *indent, const char *text)
{
	g_autofree char *clean = printable(text, TRUE);
	g_auto(GStrv) lines = g_strsplit(clean, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0' && lines[i + 1] == NULL)
			break; /* the end of a final line, not an empty line */
		g_string_append_printf(out, "%s%s\n", indent, lines[i]);
	}
}

typedef struct {
	const MmConf *conf;
	MmBounceKind kind;
	const MmMessage *msg;
	const MmBounceRcpt *rcpts;
	guint n;
	gboolean with_body; /* the body is loaded and not too long */
} Notice;

static gboolean
list_failed_rcpts(GString *out, gpointer user_data, GError **error)
{
	const Notice *nt = user_data;

	(void)error;
	for (guint i = 0; i < nt->n; i++) {
		const MmBounceRcpt *r = &nt->rcpts[i];
		g_autofree char *name = rcpt_name(r->rcpt);

		g_string_append_printf(out, "\t%s\n", name);
		if (r->reason != NULL)
			append_indented(out, "\t    ", r->reason);
		if (r->remote_reply != NULL) {
			if (r->reason != NULL) {
				g_autofree char *mta =
					printable(r->remote_mta ? r->remote_mta : "the remote host", FALSE);
				g_string_append_printf(out, "\t    %s said:\n", mta);
				append_indented(out, "\t        ", r->remote_reply);
			} else {
				append_indented(out, "\t    ", r->remote_reply);
			}
		}
	}
	return TRUE;
}

static gboolean
list_msg_headers(GString *out, gpointer user_data, GError **error)
{
	const Notice *nt = user_data;

	(void)error;
	for (guint i = 0; i < nt->msg->headers->len; i++)
		g_string_append(out, ((const MmHeader *)nt->msg->headers->pdata[i])->text);
	return TRUE;
}

static gboolean
list_msg_body(GString *out, gpointer user_data, GError **error)
{
	const Notice *nt = user_data;
	gsize size;
	const char *data;

	(void)error;
	if (!nt->with_body)
		return TRUE;
	data = g_bytes_get_data(nt->msg->body, &size);
	g_string_append_len(out, data, size);
	if (size > 0 && data[size - 1] != '\n')
		g_string_append_c(out, '\n');
	return TRUE;
}

static gboolean
list_delivery_status(GString *out, gpointer user_data, GError **error)
{
	const Notice *nt = user_data;
	const MmMessage *msg = nt->msg;

	(void)error;
	/* RFC 3464 2.2: the fields about the message */
	g_string_append_printf(out, "Reporting-MTA: dns; %s\n", nt->conf->host_name);
	if (msg->received_time > 0) {
		g_autofree char *date = mm_accept_rfc5322_date(msg->received_time);
		g_string_append_printf(out, "Arrival-Date: %s\n", date);
	}
	/* RFC 3464 2.3: a block per recipient, after an empty line each */
	for (guint i = 0; i < nt->n; i++) {
		const MmBounceRcpt *r = &nt->rcpts[i];
		g_autofree char *name = rcpt_name(r->rcpt);
		g_autofree char *status = mm_bounce_status(nt->kind, r);

		g_string_append_c(out, '\n');
		/* A pipe has no mail address; its address type says so
		 * rather than pretend that "|command" is one. */
		g_string_append_printf(out, "Final-Recipient: %s; %s\n",
		                       r->rcpt->address != NULL ? "rfc822" : "x-pipe", name);
		g_string_append_printf(out, "Action: %s\n",
		                       nt->kind == MM_BOUNCE_FAILURE ? "failed" : "delayed");
		g_string_append_printf(out, "Status: %s\n", status);
		if (r->remote_mta != NULL) {
			g_autofree char *mta = printable(r->remote_mta, FALSE);
			g_string_append_printf(out, "Remote-MTA: dns; %s\n", mta);
		}
		if (r->remote_reply != NULL) {
			g_autofree char *reply = printable(r->remote_reply, TRUE);
			g_auto(GStrv) lines = g_strsplit(g_strchomp(reply), "\n", -1);
			/* the lines of a multi-line reply become folded lines */
			g_string_append_printf(out, "Diagnostic-Code: smtp; %s\n", lines[0] ? lines[0] : "");
			for (guint j = 1; lines[0] != NULL && lines[j] != NULL; j++)
				g_string_append_printf(out, " %s\n", lines[j]);
		}
		if (nt->kind == MM_BOUNCE_WARNING && msg->received_time > 0) {
			g_autofree char *until =
				mm_accept_rfc5322_date(msg->received_time + nt->conf->max_defer_time);
			g_string_append_printf(out, "Will-Retry-Until: %s\n", until);
		}
	}
	return TRUE;
}

/* The reasons, each once, one per line: 1.0's ${err_msg}. */
static char *
err_msg(const MmBounceRcpt *rcpts, guint n)
{
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < n; i++) {
		const char *why = rcpts[i].reason ? rcpts[i].reason : rcpts[i].remote_reply;
		g_autofree char *clean = NULL;

		if (why == NULL)
			continue;
		clean = printable(why, TRUE);
		g_strchomp(clean);
		if (!g_ptr_array_find_with_equal_func(seen, clean, g_str_equal, NULL))
			g_ptr_array_add(seen, g_steal_pointer(&clean));
	}
	g_ptr_array_add(seen, NULL);
	return g_strjoinv("\n", (char **)seen->pdata);
}

static gboolean
occurs_in(const char *needle, const char *text, gssize len)
{
	return text != NULL && g_strstr_len(text, len, needle) != NULL;
}

/* A boundary (RFC 2046 5.1.1) that no returned line can be taken for:
 * 1.0's "UID/HOST_NAME" when nothing holds it, else that with a random
 * tail. */
static char *
boundary(const Notice *nt)
{
	g_autofree char *base = g_strdup_printf("%s/%s", nt->msg->uid, nt->conf->host_name);
	g_autofree char *candidate = g_strdup(base);

	for (;;) {
		g_autofree char *delim = g_strconcat("--", candidate, NULL);
		gboolean taken = FALSE;

		for (guint i = 0; i < nt->msg->headers->len && !taken; i++)
			taken = occurs_in(delim, ((const MmHeader *)nt->msg->headers->pdata[i])->text, -1);
		if (!taken && nt->with_body) {
			gsize size;
			const char *data = g_bytes_get_data(nt->msg->body, &size);
			taken = occurs_in(delim, data, (gssize)size);
		}
		for (guint i = 0; i < nt->n && !taken; i++)
			taken = occurs_in(delim, nt->rcpts[i].reason, -1) ||
			        occurs_in(delim, nt->rcpts[i].remote_reply, -1) ||
			        occurs_in(delim, nt->rcpts[i].remote_mta, -1) ||
			        occurs_in(delim, nt->rcpts[i].rcpt->pipe, -1);
		if (!taken)
			return g_steal_pointer(&candidate);
		g_free(candidate);
		candidate = g_strdup_printf("%s.%08x%08x", base, g_random_int(), g_random_int());
	}
}

char *
mm_bounce_expand(const MmConf *conf, MmBounceKind kind, const char *template_text, gsize len,
                 const char *file_name, const MmMessage *msg, const MmBounceRcpt *rcpts, guint n,
                 GError **error)
{
	g_autoptr(GHashTable) vars = NULL;
	g_autofree char *reasons = NULL;
	g_autofree char *bound = NULL;
	Notice nt = { .conf = conf, .kind = kind, .msg = msg, .rcpts = rcpts, .n = n };
	const MmTemplateList lists[] = {
		{ "@failed_rcpts", list_failed_rcpts, &nt },
		{ "@msg_headers", list_msg_headers, &nt },
		{ "@msg_body", list_msg_body, &nt },
		{ "@delivery_status", list_delivery_status, &nt },
	};

	g_return_val_if_fail(conf != NULL && conf->host_name != NULL, NULL);
	g_return_val_if_fail(msg != NULL && msg->uid != NULL, NULL);
	g_return_val_if_fail(rcpts != NULL && n > 0, NULL);

	if (mm_bounce_is_bounce(msg)) {
		g_set_error_literal(error, MM_ERROR, MM_ERROR_FAILED, "not bouncing a bounce");
		return NULL;
	}
	/* Sending a large message back, often over the same slow link,
	 * helps nobody; its headers say what it was. */
	nt.with_body = msg->body != NULL && g_bytes_get_size(msg->body) <= MM_BOUNCE_BODY_MAX;

	vars = mm_expand_vars_new();
	mm_expand_vars_add_message(vars, msg);
	mm_expand_vars_add_conf(vars, conf->host_name);
	reasons = err_msg(rcpts, n);
	g_hash_table_replace(vars, g_strdup("err_msg"), g_steal_pointer(&reasons));
	bound = boundary(&nt);
	g_hash_table_replace(vars, g_strdup("boundary"), g_steal_pointer(&bound));
	g_hash_table_replace(vars, g_strdup("returned_type"),
	                     g_strdup(nt.with_body ? "message/rfc822" : "text/rfc822-headers"));

	return mm_template_expand(template_text, len, file_name, vars, lists, G_N_ELEMENTS(lists),
	                          error);
}

/* TRUE when a line of the template starts with @name. */
static gboolean
template_uses(const char *text, gsize len, const char *name)
{
	gsize n = strlen(name);
	const char *p = text;
	const char *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		if ((gsize)(end - p) >= n && memcmp(p, name, n) == 0)
			return TRUE;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return FALSE;
}

static MmMessage *
new_notice(const MmConf *conf, MmBounceKind kind, const MmMessage *msg, const MmBounceRcpt *rcpts,
           guint n, GError **error)
{
	const char *path = kind == MM_BOUNCE_FAILURE ? conf->errmsg_file : conf->warnmsg_file;
	g_autoptr(GBytes) tpl = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *text = NULL;
	MmMessage view;
	MmAcceptContext ctx = { 0 };
	const char *data;
	gsize len;

	g_return_val_if_fail(conf != NULL && msg != NULL, NULL);
	g_return_val_if_fail(msg->return_path != NULL, NULL);

	if (mm_bounce_is_bounce(msg)) {
		g_set_error_literal(error, MM_ERROR, MM_ERROR_FAILED, "not bouncing a bounce");
		return NULL;
	}
	if (path == NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "no %s is set",
		            kind == MM_BOUNCE_FAILURE ? "errmsg_file" : "warnmsg_file");
		return NULL;
	}
	tpl = mm_template_read(path, error);
	if (tpl == NULL)
		return NULL;
	data = g_bytes_get_data(tpl, &len);

	/* The queue run reads envelopes without bodies; fetch the body
	 * only when the template returns it, as 1.0 does. The copy of the
	 * struct borrows everything and frees nothing. */
	view = *msg;
	if (msg->body == NULL && template_uses(data, len, "@msg_body")) {
		g_autoptr(MmMessage) full = mm_spool_read(conf->spool_dir, msg->uid, TRUE, error);
		if (full == NULL)
			return NULL;
		body = g_bytes_ref(full->body);
		view.body = body;
	}
	text = mm_bounce_expand(conf, kind, data, len, path, &view, rcpts, n, error);
	if (text == NULL)
		return NULL;

	notice = mm_message_new();
	notice->return_path = mm_address_new("", "", NULL);
	g_ptr_array_add(notice->rcpts, mm_recipient_new(msg->return_path));
	ctx.host_name = conf->host_name;
	ctx.uid = getuid();
	if (!mm_accept_parse_text(notice, text, strlen(text), &local) ||
	    !mm_accept_prepare(notice, &ctx, &local)) {
		/* The template made a message that is not one. */
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s: %s", path, local->message);
		return NULL;
	}
	mm_debug(1, "%s: %s notice %s for %u recipient(s)", msg->uid,
	         kind == MM_BOUNCE_FAILURE ? "failure" : "warning", notice->uid, n);
	return g_steal_pointer(&notice);
}

MmMessage *
mm_bounce_new_failure(const MmConf *conf, const MmMessage *msg, const MmBounceRcpt *rcpts, guint n,
                      GError **error)
{
	return new_notice(conf, MM_BOUNCE_FAILURE, msg, rcpts, n, error);
}

MmMessage *
mm_bounce_new_warning(const MmConf *conf, const MmMessage *msg, const MmBounceRcpt *rcpts, guint n,
                      GError **error)
{
	return new_notice(conf, MM_BOUNCE_WARNING, msg, rcpts, n, error);
}

MmDeferAction
mm_bounce_defer_action(const MmConf *conf, gint64 received_time, gint64 warned_time, gint64 now)
{
	gint64 age;

	g_return_val_if_fail(conf != NULL, MM_DEFER_WAIT);

	if (received_time <= 0 || now < received_time)
		return MM_DEFER_WAIT;
	age = now - received_time;
	if (age >= conf->max_defer_time)
		return MM_DEFER_FAIL;
	/* 1.0 looks at every interval, not only the last one passed, so
	 * a list in any order works. */
	for (guint i = 0; conf->warn_intervals != NULL && i < conf->warn_intervals->len; i++) {
		gint64 ival = g_array_index(conf->warn_intervals, gint64, i);
		if (age > ival && (warned_time <= 0 || warned_time - received_time < ival))
			return MM_DEFER_WARN;
	}
	return MM_DEFER_WAIT;
}
