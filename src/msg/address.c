/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Mail addresses. Two parsers live here: a strict one for RFC 5321
 * paths (what SMTP and the command line hand us, and what we hand on),
 * and a lenient one for RFC 5322 address lists in header fields, which
 * accepts the obsolete forms real mail carries (RFC 5322 4.4) but still
 * insists that every address it returns would also pass the strict one.
 * Printing (mm_address_to_string) quotes a local part exactly when
 * RFC 5321 4.1.2 requires it, so that printing and parsing round-trip.
 * The local/remote decision of masqmail.conf(5) is here too; it does no
 * I/O and takes everything it needs from an MmLocality.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/glob.h"
#include "base/limits.h"
#include "msg/address.h"

MmAddress *
mm_address_new(const char *local_part, const char *domain, const char *display_name)
{
	MmAddress *addr = g_new0(MmAddress, 1);

	addr->local_part = g_strdup(local_part ? local_part : "");
	addr->domain = g_strdup(domain ? domain : "");
	addr->display_name = g_strdup(display_name);
	return addr;
}

MmAddress *
mm_address_copy(const MmAddress *addr)
{
	g_return_val_if_fail(addr != NULL, NULL);
	return mm_address_new(addr->local_part, addr->domain, addr->display_name);
}

void
mm_address_free(MmAddress *addr)
{
	if (addr == NULL)
		return;
	g_free(addr->local_part);
	g_free(addr->domain);
	g_free(addr->display_name);
	g_free(addr);
}

/* --- character classes (RFC 5321 4.1.2, RFC 5322 3.2.3) --------------- */

static gboolean
is_atext(int c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* qtextSMTP and the character of a quoted-pairSMTP: printable ASCII and
 * space. */
static gboolean
is_qchar(int c)
{
	return c >= 32 && c <= 126;
}

static gboolean
is_ctl(int c)
{
	return (c >= 0 && c < 32) || c == 127;
}

/* --- validation of the parts ------------------------------------------ */

/* TRUE when @s (the unquoted local part) can be written as a Dot-string,
 * i.e. needs no quotes. */
static gboolean
is_dot_string(const char *s)
{
	gboolean after_dot = TRUE;

	if (*s == '\0')
		return FALSE;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (after_dot)
				return FALSE;
			after_dot = TRUE;
		} else if (is_atext((guchar)*s)) {
			after_dot = FALSE;
		} else {
			return FALSE;
		}
	}
	return !after_dot;
}

/* Length of the local part on the wire (quoted when needed), which is
 * what RFC 5321 4.5.3.1.1 limits. */
static gsize
local_part_wire_len(const char *local)
{
	gsize len = 0;

	if (is_dot_string(local))
		return strlen(local);
	for (const char *p = local; *p != '\0'; p++)
		len += (*p == '"' || *p == '\\') ? 2 : 1;
	return len + 2;
}

static gboolean
check_local_part(const char *local, GError **error)
{
	if (*local == '\0') {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "empty local part");
		return FALSE;
	}
	for (const char *p = local; *p != '\0'; p++) {
		if (!is_qchar((guchar)*p)) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "invalid character 0x%02x in local part", (guchar)*p);
			return FALSE;
		}
	}
	if (local_part_wire_len(local) > MM_LOCAL_PART_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
		            "local part longer than %d characters", MM_LOCAL_PART_MAX);
		return FALSE;
	}
	return TRUE;
}

/* An IPv4 address in dotted-quad form, each part 0..255 without
 * superfluous leading zeros. */
static gboolean
is_ipv4_literal(const char *s)
{
	int parts = 0;

	while (parts < 4) {
		int value = 0, digits = 0;

		if (!g_ascii_isdigit(*s))
			return FALSE;
		if (*s == '0' && g_ascii_isdigit(s[1]))
			return FALSE;
		while (g_ascii_isdigit(*s)) {
			value = value * 10 + (*s - '0');
			if (++digits > 3 || value > 255)
				return FALSE;
			s++;
		}
		parts++;
		if (parts < 4) {
			if (*s != '.')
				return FALSE;
			s++;
		}
	}
	return *s == '\0';
}

/* RFC 5321 4.1.3: "[" ( IPv4 / "IPv6:" IPv6 ) "]" */
static gboolean
is_address_literal(const char *d)
{
	gsize len = strlen(d);
	g_autofree char *inner = NULL;

	if (len < 3 || d[0] != '[' || d[len - 1] != ']')
		return FALSE;
	inner = g_strndup(d + 1, len - 2);
	if (is_ipv4_literal(inner))
		return TRUE;
	if (g_ascii_strncasecmp(inner, "IPv6:", 5) == 0) {
		const char *v6 = inner + 5;

		/* g_hostname_is_ip_address() also takes scope ids; RFC 5321
		 * has none */
		return strchr(v6, ':') != NULL && strchr(v6, '%') == NULL &&
		       g_hostname_is_ip_address(v6);
	}
	/* A General-address-literal needs a tag registered with IANA
	 * (RFC 5321 4.1.3); "IPv6" is the only one, so any other is an
	 * error rather than an address nobody could deliver to. */
	return FALSE;
}

/* RFC 5321 4.1.2 Domain: sub-domain *("." sub-domain), sub-domain =
 * Let-dig [Ldh-str]. The underscore is accepted as well: LAN host names
 * carry it and masqmail 1.0 took them. */
static gboolean
is_domain_name(const char *d)
{
	const char *label = d;

	if (*d == '\0')
		return FALSE;
	for (const char *p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			gsize n = p - label;

			if (n == 0 || n > 63 || label[0] == '-' || p[-1] == '-')
				return FALSE;
			if (*p == '\0')
				return TRUE;
			label = p + 1;
		} else if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_') {
			return FALSE;
		}
	}
}

static gboolean
check_domain(const char *domain, GError **error)
{
	if (*domain == '\0') {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "empty domain");
		return FALSE;
	}
	if (strlen(domain) > MM_DOMAIN_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
		            "domain longer than %d characters", MM_DOMAIN_MAX);
		return FALSE;
	}
	if (domain[0] == '[' ? !is_address_literal(domain) : !is_domain_name(domain)) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "invalid domain \"%s\"", domain);
		return FALSE;
	}
	return TRUE;
}

/* --- RFC 5321 paths ---------------------------------------------------- */

/* Reads a Domain or address-literal at *p, up to but not including a
 * character of @stop; advances *p. */
static char *
scan_domain(const char **p, const char *stop)
{
	const char *start = *p;

	if (**p == '[') {
		while (**p != '\0' && **p != ']')
			(*p)++;
		if (**p == ']')
			(*p)++;
	} else {
		while (**p != '\0' && strchr(stop, **p) == NULL)
			(*p)++;
	}
	return g_strndup(start, *p - start);
}

MmAddress *
mm_address_parse_path(const char *text, const char *qualify_domain,
                      gboolean allow_null, GError **error)
{
	g_autofree char *copy = NULL;
	g_autoptr(GString) local = g_string_new(NULL);
	g_autofree char *domain = NULL;
	const char *p, *end;
	char *s;
	gsize len;

	g_return_val_if_fail(text != NULL, NULL);

	copy = g_strdup(text);
	s = g_strstrip(copy);
	len = strlen(s);

	for (const char *c = s; *c != '\0'; c++) {
		if (is_ctl((guchar)*c) || (guchar)*c >= 128) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "invalid character 0x%02x in address", (guchar)*c);
			return NULL;
		}
	}

	if (s[0] == '<') {
		if (len < 2 || s[len - 1] != '>') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unbalanced angle brackets in \"%s\"", s);
			return NULL;
		}
		if (len > MM_PATH_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "path longer than %d characters", MM_PATH_MAX);
			return NULL;
		}
		s[len - 1] = '\0';
		s++;
		len -= 2;
	} else {
		if (len + 2 > MM_PATH_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "path longer than %d characters", MM_PATH_MAX);
			return NULL;
		}
	}

	if (len == 0) {
		if (!allow_null) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "null path <> not allowed here");
			return NULL;
		}
		return mm_address_new("", "", NULL);
	}

	p = s;
	end = s + len;

	/* A-d-l ":" (RFC 5321 4.1.2): checked, then ignored (Appendix C) */
	if (*p == '@') {
		for (;;) {
			g_autofree char *hop = NULL;

			p++; /* '@' */
			hop = scan_domain(&p, ",:");
			if (!check_domain(hop, error))
				return NULL;
			if (*p == ':') {
				p++;
				break;
			}
			if (p[0] != ',' || p[1] != '@') {
				g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed source route in \"%s\"", s);
				return NULL;
			}
			p++;
		}
	}

	/* Local-part = Dot-string / Quoted-string */
	if (*p == '"') {
		p++;
		for (;;) {
			if (p >= end) {
				g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unterminated quoted string in \"%s\"", s);
				return NULL;
			}
			if (*p == '"') {
				p++;
				break;
			}
			if (*p == '\\') {
				p++;
				if (p >= end) {
					g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unterminated quoted string in \"%s\"", s);
					return NULL;
				}
			}
			g_string_append_c(local, *p);
			p++;
		}
		if (local->len == 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "empty local part in \"%s\"", s);
			return NULL;
		}
	} else {
		const char *start = p;

		while (p < end && *p != '@')
			p++;
		g_string_append_len(local, start, p - start);
		if (local->len == 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "empty local part in \"%s\"", s);
			return NULL;
		}
		if (!is_dot_string(local->str)) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "invalid local part in \"%s\"", s);
			return NULL;
		}
	}
	if (!check_local_part(local->str, error))
		return NULL;

	if (p == end) {
		if (qualify_domain == NULL) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unqualified address \"%s\"", s);
			return NULL;
		}
		return mm_address_new(local->str, qualify_domain, NULL);
	}
	if (*p != '@') {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "garbage after local part in \"%s\"", s);
		return NULL;
	}
	p++;
	domain = g_strndup(p, end - p);
	if (!check_domain(domain, error))
		return NULL;
	return mm_address_new(local->str, domain, NULL);
}

/* --- RFC 5322 address lists -------------------------------------------- */

typedef enum {
	TOK_ATOM,     /* 1*atext (8-bit bytes tolerated here, checked later) */
	TOK_QUOTED,   /* quoted-string, text unescaped */
	TOK_LITERAL,  /* domain-literal, brackets kept, white space dropped */
	TOK_SPECIAL,  /* one of < > @ , ; : . */
} TokType;

typedef struct {
	TokType type;
	char *text;
	char special;
	gboolean space_before; /* white space or a comment precedes it */
	char *comment;         /* text of the last comment before it, or NULL */
} Token;

static void
token_clear(gpointer data)
{
	Token *t = data;

	g_free(t->text);
	g_free(t->comment);
}

static gboolean
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads a comment starting at *p (which is '('), nested and with
 * quoted-pairs (RFC 5322 3.2.2), into @out. */
static gboolean
scan_comment(const char **p, GString *out, GError **error)
{
	int depth = 0;

	do {
		char c = **p;

		if (c == '\0') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unbalanced parenthesis in comment");
			return FALSE;
		}
		(*p)++;
		if (c == '\\' && **p != '\0') {
			g_string_append_c(out, **p);
			(*p)++;
			continue;
		}
		if (c == '(') {
			if (depth++ > 0)
				g_string_append_c(out, c);
		} else if (c == ')') {
			if (--depth > 0)
				g_string_append_c(out, c);
		} else if (c == '\r' || c == '\n') {
			/* folding inside a comment */
		} else if (is_ctl((guchar)c) && c != '\t') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "control character 0x%02x in comment", (guchar)c);
			return FALSE;
		} else {
			g_string_append_c(out, c);
		}
	} while (depth > 0);
	return TRUE;
}

static GArray *
tokenize(const char *value, GError **error)
{
	g_autoptr(GArray) toks = g_array_new(FALSE, TRUE, sizeof(Token));
	gboolean space = FALSE;
	g_autofree char *comment = NULL;
	const char *p = value;

	g_array_set_clear_func(toks, token_clear);

	while (*p != '\0') {
		Token t = { 0 };
		guchar c = *p;

		if (is_wsp(c)) {
			space = TRUE;
			p++;
			continue;
		}
		if (is_ctl(c)) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "control character 0x%02x in address list", c);
			return NULL;
		}
		if (c == '(') {
			g_autoptr(GString) text = g_string_new(NULL);

			if (!scan_comment(&p, text, error))
				return NULL;
			g_free(comment);
			comment = g_strdup(g_strstrip(text->str));
			space = TRUE;
			continue;
		}
		if (c == ')') {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unbalanced parenthesis in address list");
			return NULL;
		}
		if (c == '"') {
			g_autoptr(GString) text = g_string_new(NULL);

			p++;
			while (*p != '"') {
				if (*p == '\0') {
					g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unterminated quoted string in address list");
					return NULL;
				}
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\r' || *p == '\n') {
					/* folding: the line break goes, the white space stays */
					p++;
					continue;
				}
				if (is_ctl((guchar)*p) && *p != '\t') {
					g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "control character 0x%02x in quoted string", (guchar)*p);
					return NULL;
				}
				g_string_append_c(text, *p);
				p++;
			}
			p++;
			t.type = TOK_QUOTED;
			t.text = g_string_free(g_steal_pointer(&text), FALSE);
		} else if (c == '[') {
			g_autoptr(GString) text = g_string_new("[");

			p++;
			while (*p != ']') {
				if (*p == '\0' || *p == '[') {
					g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unterminated domain literal in address list");
					return NULL;
				}
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (!is_wsp((guchar)*p))
					g_string_append_c(text, *p);
				p++;
			}
			p++;
			g_string_append_c(text, ']');
			t.type = TOK_LITERAL;
			t.text = g_string_free(g_steal_pointer(&text), FALSE);
		} else if (strchr("<>@,;:.", c) != NULL) {
			p++;
			t.type = TOK_SPECIAL;
			t.special = c;
			t.text = g_strndup((const char *)&c, 1);
		} else if (is_atext(c) || c >= 128) {
			const char *start = p;

			while (*p != '\0' && (is_atext((guchar)*p) || (guchar)*p >= 128))
				p++;
			t.type = TOK_ATOM;
			t.text = g_strndup(start, p - start);
		} else {
			/* '\\', ']' and the like outside any quoting */
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "unexpected character '%c' in address list", c);
			return NULL;
		}
		t.space_before = space;
		t.comment = g_steal_pointer(&comment);
		space = FALSE;
		g_array_append_val(toks, t);
	}
	/* The end marker (special '\0') spares the parser bounds checks and
	 * carries a comment after the last token ("a@x.org (Name)"). */
	{
		Token t = { 0 };

		t.type = TOK_SPECIAL;
		t.special = '\0';
		t.text = g_strdup("");
		t.space_before = space;
		t.comment = g_steal_pointer(&comment);
		g_array_append_val(toks, t);
	}
	return g_steal_pointer(&toks);
}

typedef struct {
	GArray *toks;
	guint pos;
	const char *qualify_domain;
	GError **error;
} ListParser;

static Token *
peek(ListParser *lp)
{
	return &g_array_index(lp->toks, Token, lp->pos);
}

static gboolean
at_special(ListParser *lp, char special)
{
	Token *t = peek(lp);

	return t->type == TOK_SPECIAL && t->special == special;
}

static gboolean
at_end(ListParser *lp)
{
	return at_special(lp, '\0');
}

static void
advance(ListParser *lp)
{
	if (!at_end(lp))
		lp->pos++;
}

/* phrase / obs-phrase: words, and dots after the first word (RFC 5322
 * 4.1, "John Q. Public"). Returns NULL when there is no word. */
static char *
parse_phrase(ListParser *lp)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (;;) {
		Token *t = peek(lp);

		if (t->type == TOK_ATOM || t->type == TOK_QUOTED ||
		    (t->type == TOK_SPECIAL && t->special == '.' && out->len > 0)) {
			if (out->len > 0 && t->space_before)
				g_string_append_c(out, ' ');
			g_string_append(out, t->text);
			advance(lp);
		} else {
			break;
		}
	}
	if (out->len == 0)
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* The list parser reports every fault, lengths included, as a parse
 * error (address.h). */
static MmAddress *
list_fail(ListParser *lp, GError *err)
{
	err->code = MM_ERROR_PARSE;
	g_propagate_error(lp->error, err);
	return NULL;
}

/* addr-spec, with obs-local-part and obs-domain (white space and
 * comments around the dots tolerated); the domain may be missing, then
 * the address is qualified. */
static MmAddress *
parse_addr_spec(ListParser *lp)
{
	g_autoptr(GString) local = g_string_new(NULL);
	g_autoptr(GString) domain = g_string_new(NULL);
	gboolean quoted = FALSE;
	GError *err = NULL;

	for (;;) {
		Token *t = peek(lp);

		if (t->type != TOK_ATOM && t->type != TOK_QUOTED) {
			g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE,
			            local->len == 0 && !quoted ? "missing local part" : "empty word in local part");
			return NULL;
		}
		if (t->type == TOK_QUOTED)
			quoted = TRUE;
		g_string_append(local, t->text);
		advance(lp);
		if (!at_special(lp, '.'))
			break;
		g_string_append_c(local, '.');
		advance(lp);
	}
	if (quoted && local->len == 0) {
		g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE, "empty local part");
		return NULL;
	}
	if (!quoted && !is_dot_string(local->str)) {
		g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE, "invalid local part \"%s\"", local->str);
		return NULL;
	}
	if (!check_local_part(local->str, &err))
		return list_fail(lp, err);

	if (!at_special(lp, '@')) {
		if (lp->qualify_domain == NULL) {
			g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE, "unqualified address \"%s\"", local->str);
			return NULL;
		}
		g_string_assign(domain, lp->qualify_domain);
	} else {
		advance(lp);
		if (peek(lp)->type == TOK_LITERAL) {
			g_string_assign(domain, peek(lp)->text);
			advance(lp);
		} else {
			for (;;) {
				Token *t = peek(lp);

				if (t->type != TOK_ATOM) {
					g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE,
					            domain->len == 0 ? "missing domain after '@'" : "empty label in domain");
					return NULL;
				}
				g_string_append(domain, t->text);
				advance(lp);
				if (!at_special(lp, '.'))
					break;
				g_string_append_c(domain, '.');
				advance(lp);
			}
		}
		if (!check_domain(domain->str, &err))
			return list_fail(lp, err);
	}
	return mm_address_new(local->str, domain->str, NULL);
}

/* Some programs put an address where the display name belongs
 * ("a@x.org <a@x.org>"). When a '<' follows before the end of this
 * mailbox, everything up to it is taken as the name, as written; else
 * NULL and the position is left where it was. */
static char *
parse_loose_name(ListParser *lp)
{
	g_autoptr(GString) out = g_string_new(NULL);
	guint start = lp->pos;

	while (!at_end(lp) && !at_special(lp, ',') && !at_special(lp, ';') &&
	       !at_special(lp, '<') && !at_special(lp, '>')) {
		Token *t = peek(lp);

		if (out->len > 0 && t->space_before)
			g_string_append_c(out, ' ');
		g_string_append(out, t->text);
		advance(lp);
	}
	if (!at_special(lp, '<') || out->len == 0) {
		lp->pos = start;
		return NULL;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* name-addr or addr-spec; appends the address to @out. */
static gboolean
parse_mailbox(ListParser *lp, GPtrArray *out)
{
	guint start = lp->pos;
	g_autofree char *phrase = NULL;
	MmAddress *addr;

	phrase = parse_phrase(lp);
	if (!at_special(lp, '<')) {
		g_clear_pointer(&phrase, g_free);
		lp->pos = start;
		phrase = parse_loose_name(lp);
	}
	if (at_special(lp, '<')) {
		advance(lp);
		if (at_special(lp, '>')) {
			g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE, "null address <> in address list");
			return FALSE;
		}
		/* obs-route: "@a,@b:" */
		if (at_special(lp, '@')) {
			while (at_special(lp, '@') || at_special(lp, ',')) {
				advance(lp);
				if (peek(lp)->type == TOK_ATOM || peek(lp)->type == TOK_LITERAL)
					advance(lp);
				while (at_special(lp, '.')) {
					advance(lp);
					if (peek(lp)->type == TOK_ATOM)
						advance(lp);
				}
			}
			if (!at_special(lp, ':')) {
				g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE, "malformed source route");
				return FALSE;
			}
			advance(lp);
		}
		addr = parse_addr_spec(lp);
		if (addr == NULL)
			return FALSE;
		if (!at_special(lp, '>')) {
			mm_address_free(addr);
			g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE, "missing '>' after address");
			return FALSE;
		}
		advance(lp);
		addr->display_name = g_steal_pointer(&phrase);
		g_ptr_array_add(out, addr);
		return TRUE;
	}

	/* no angle brackets: the words were the local part */
	lp->pos = start;
	g_clear_pointer(&phrase, g_free);
	addr = parse_addr_spec(lp);
	if (addr == NULL)
		return FALSE;
	/* "user@host (Full Name)", the RFC 822 way of giving a name */
	if (peek(lp)->comment != NULL && *peek(lp)->comment != '\0')
		addr->display_name = g_strdup(peek(lp)->comment);
	g_ptr_array_add(out, addr);
	return TRUE;
}

static gboolean
at_address_end(ListParser *lp, gboolean in_group)
{
	return at_end(lp) || at_special(lp, ',') || (in_group && at_special(lp, ';'));
}

/* mailbox / group, flattened into @out */
static gboolean
parse_address(ListParser *lp, GPtrArray *out)
{
	guint start = lp->pos;
	g_autofree char *phrase = parse_phrase(lp);

	if (phrase != NULL && at_special(lp, ':')) {
		advance(lp);
		/* group-list; empty elements allowed (obs-group-list) */
		for (;;) {
			if (at_special(lp, ';')) {
				advance(lp);
				break;
			}
			if (at_end(lp)) {
				/* a group left open at the end is common enough */
				break;
			}
			if (at_special(lp, ',')) {
				advance(lp);
				continue;
			}
			if (!parse_mailbox(lp, out))
				return FALSE;
			if (!at_address_end(lp, TRUE)) {
				g_set_error(lp->error, MM_ERROR, MM_ERROR_PARSE,
				            "unexpected \"%s\" after address in group", peek(lp)->text);
				return FALSE;
			}
		}
		return TRUE;
	}
	lp->pos = start;
	return parse_mailbox(lp, out);
}

GPtrArray *
mm_address_parse_list(const char *value, const char *qualify_domain, GError **error)
{
	g_autoptr(GArray) toks = NULL;
	g_autoptr(GPtrArray) out = NULL;
	ListParser lp = { 0 };

	g_return_val_if_fail(value != NULL, NULL);

	toks = tokenize(value, error);
	if (toks == NULL)
		return NULL;
	out = g_ptr_array_new_with_free_func((GDestroyNotify)mm_address_free);
	lp.toks = toks;
	lp.qualify_domain = qualify_domain;
	lp.error = error;

	while (!at_end(&lp)) {
		if (at_special(&lp, ',')) {
			/* obs-addr-list: empty elements */
			advance(&lp);
			continue;
		}
		if (!parse_address(&lp, out))
			return NULL;
		if (!at_address_end(&lp, FALSE)) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "unexpected \"%s\" after address", peek(&lp)->text);
			return NULL;
		}
	}
	return g_steal_pointer(&out);
}

/* --- output ------------------------------------------------------------ */

char *
mm_address_to_string(const MmAddress *addr)
{
	GString *out;

	g_return_val_if_fail(addr != NULL, NULL);

	if (mm_address_is_null(addr))
		return g_strdup("");
	out = g_string_new(NULL);
	if (is_dot_string(addr->local_part)) {
		g_string_append(out, addr->local_part);
	} else {
		g_string_append_c(out, '"');
		for (const char *p = addr->local_part; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(out, '\\');
			g_string_append_c(out, *p);
		}
		g_string_append_c(out, '"');
	}
	if (*addr->domain != '\0') {
		g_string_append_c(out, '@');
		g_string_append(out, addr->domain);
	}
	return g_string_free(out, FALSE);
}

char *
mm_address_to_path(const MmAddress *addr)
{
	g_autofree char *s = mm_address_to_string(addr);

	return g_strconcat("<", s, ">", NULL);
}

gboolean
mm_address_is_null(const MmAddress *addr)
{
	g_return_val_if_fail(addr != NULL, FALSE);
	return addr->local_part[0] == '\0' && addr->domain[0] == '\0';
}

gboolean
mm_address_equal(const MmAddress *a, const MmAddress *b, gboolean caseless)
{
	g_return_val_if_fail(a != NULL && b != NULL, FALSE);

	if (g_ascii_strcasecmp(a->domain, b->domain) != 0)
		return FALSE;
	if (caseless)
		return g_ascii_strcasecmp(a->local_part, b->local_part) == 0;
	return strcmp(a->local_part, b->local_part) == 0;
}

/* --- the local/remote decision ----------------------------------------- */

/* Folds "local@domain" for matching: the domain always to lower case,
 * the local part too when @caseless. Pattern and address are folded the
 * same way, so that a glob matches without regard to case exactly where
 * the address comparison would. */
static char *
fold_address(const char *text, gboolean caseless)
{
	const char *at = strrchr(text, '@');
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;

	g_assert(at != NULL);
	local = caseless ? g_ascii_strdown(text, at - text) : g_strndup(text, at - text);
	domain = g_ascii_strdown(at + 1, -1);
	return g_strconcat(local, "@", domain, NULL);
}

/* local_addresses and not_local_addresses list addresses, in masqmail
 * 1.0 fully qualified ones compared for equality, an entry without a
 * domain taken to be at host_name. Globs include equality, so that is
 * what an entry without glob characters still does. */
static gboolean
match_address_globs(const char *const *globs, const char *folded, const MmLocality *locality)
{
	for (; globs != NULL && *globs != NULL; globs++) {
		g_autofree char *qualified = NULL;
		g_autofree char *pattern = NULL;

		if (strchr(*globs, '@') == NULL) {
			if (locality->host_name == NULL)
				continue;
			qualified = g_strconcat(*globs, "@", locality->host_name, NULL);
		}
		pattern = fold_address(qualified ? qualified : *globs, locality->caseless_matching);
		if (mm_glob_match(pattern, folded))
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_local_domain(const char *domain, const MmLocality *locality)
{
	g_autofree char *folded = g_ascii_strdown(domain, -1);

	if (locality->host_name != NULL && g_ascii_strcasecmp(domain, locality->host_name) == 0)
		return TRUE;
	for (const char *const *g = locality->local_hosts; g != NULL && *g != NULL; g++) {
		g_autofree char *pattern = g_ascii_strdown(*g, -1);

		if (mm_glob_match(pattern, folded))
			return TRUE;
	}
	return FALSE;
}

gboolean
mm_address_is_local(const MmAddress *addr, const MmLocality *locality)
{
	g_autofree char *whole = NULL;
	g_autofree char *folded = NULL;

	g_return_val_if_fail(addr != NULL && locality != NULL, FALSE);

	if (mm_address_is_null(addr))
		return FALSE;
	whole = g_strconcat(addr->local_part, "@", addr->domain, NULL);
	folded = fold_address(whole, locality->caseless_matching);

	if (match_address_globs(locality->not_local_addresses, folded, locality))
		return FALSE;
	if (is_local_domain(addr->domain, locality))
		return TRUE;
	return match_address_globs(locality->local_addresses, folded, locality);
}
