/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Mail addresses: RFC 5321 paths (envelope) and RFC 5322 address lists
 * (headers), qualification, and the local/remote decision.
 *
 * An MmAddress holds the local part *unquoted* (the text it denotes)
 * and the domain as written (lower case is not forced). Quoting is put
 * back by mm_address_to_string(). The null reverse path <> is an
 * address whose local part and domain are both "".
 */
#pragma once

#include <glib.h>

typedef struct {
	char *local_part;   /* unquoted; "" for the null path */
	char *domain;       /* never NULL; "" for the null path */
	char *display_name; /* header addresses only, unquoted/decoded text, else NULL */
} MmAddress;

/* What decides whether an address is local (masqmail.conf(5)). The
 * strings and arrays are borrowed from the configuration. */
typedef struct {
	const char *host_name;
	const char *const *local_hosts;         /* globs over domains */
	const char *const *local_addresses;     /* globs over whole addresses */
	const char *const *not_local_addresses; /* globs over whole addresses */
	gboolean caseless_matching;             /* local parts compared without case */
} MmLocality;

/* Owns copies of its arguments. display_name may be NULL. */
MmAddress *mm_address_new(const char *local_part, const char *domain, const char *display_name);
MmAddress *mm_address_copy(const MmAddress *addr);
void mm_address_free(MmAddress *addr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmAddress, mm_address_free)

/* Parses an RFC 5321 path as given to MAIL FROM / RCPT TO or on the
 * command line: "<local@domain>", "local@domain", "<>" (the null path,
 * only when @allow_null), an unqualified "local" (domain becomes
 * @qualify_domain; an error when that is NULL). Source routes
 * "<@a,@b:u@d>" are accepted and the route dropped (RFC 5321 C).
 * Leading/trailing white space is ignored; an empty text is the null
 * path. Control characters and 8-bit bytes are refused (no SMTPUTF8);
 * address literals are [IPv4] and [IPv6:...]. Enforces the length
 * limits of limits.h (the local part counted as written, quotes
 * included). Returns a new address, or NULL with MM_ERROR_PARSE or
 * MM_ERROR_LIMIT set. */
MmAddress *mm_address_parse_path(const char *text, const char *qualify_domain,
                                 gboolean allow_null, GError **error);

/* Parses an RFC 5322 address-list (the value of To:, Cc:, From:, ...):
 * display names, comments, quoted strings, groups (flattened; an empty
 * group gives no address), IP literals, folded lines (CRLF or LF
 * followed by white space). Unqualified addresses get @qualify_domain
 * (error when NULL). Obsolete forms of RFC 5322 4.4 are taken (dots
 * in display names, white space around dots, routes, empty list
 * elements), and so is "a@x.org (Name)", where the comment becomes the
 * display name. Display names are kept as written: RFC 2047 encoded
 * words are not decoded. Every address returned would also pass
 * mm_address_parse_path(). Returns a GPtrArray of MmAddress* (freeing
 * the array frees them), or NULL with MM_ERROR_PARSE set (for overlong
 * parts too). */
GPtrArray *mm_address_parse_list(const char *value, const char *qualify_domain, GError **error);

/* "local@domain", the local part quoted when RFC 5321 requires it;
 * "" for the null path. Caller frees. */
char *mm_address_to_string(const MmAddress *addr);

/* "<local@domain>", or "<>". Caller frees. */
char *mm_address_to_path(const MmAddress *addr);

gboolean mm_address_is_null(const MmAddress *addr);

/* Domains compare without case; local parts with case unless @caseless. */
gboolean mm_address_equal(const MmAddress *a, const MmAddress *b, gboolean caseless);

/* TRUE when @addr is delivered on this host: its domain is host_name or
 * matches local_hosts, or the whole address matches local_addresses,
 * and it does not match not_local_addresses. Domains match without
 * case; an entry of the address lists without '@' means that local
 * part at host_name, as in masqmail 1.0. The null path is not local.
 * host_name may be NULL (then only local_hosts decide the domain). */
gboolean mm_address_is_local(const MmAddress *addr, const MmLocality *locality);
