/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * SASL PLAIN, LOGIN and CRAM-MD5 for SMTP AUTH, and the server's secrets
 * file: see sasl.h. Pure functions over strings; the crypto (HMAC-MD5,
 * random bytes) comes from tls.h so that GnuTLS stays in tls-gnutls.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "smtp/sasl.h"
#include "smtp/tls.h"

struct MmSaslSecrets {
	GHashTable *users; /* user -> secret, both owned */
};

static void
wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

void
mm_sasl_free_secret(char *secret)
{
	wipe(secret);
	g_free(secret);
}

gboolean
mm_sasl_secret_equal(const char *secret, const char *attempt)
{
	gsize ls, la;
	guint diff;

	g_return_val_if_fail(secret != NULL && attempt != NULL, FALSE);

	ls = strlen(secret);
	la = strlen(attempt);
	diff = ls != la;
	/* Walk the attempt, reading the secret modulo its length, so that
	 * neither a difference nor the end of the secret ends the loop. */
	for (gsize i = 0; i < la; i++)
		diff |= (guint)(guchar)attempt[i] ^ (guint)(guchar)(ls > 0 ? secret[i % ls] : 0);
	return diff == 0;
}

static gboolean
is_base64_char(char c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/';
}

char *
mm_sasl_base64_decode(const char *b64, gsize *len, GError **error)
{
	gsize n, pad = 0;
	char *out;
	gsize out_len = 0;

	g_return_val_if_fail(b64 != NULL && len != NULL, NULL);

	n = strnlen(b64, MM_SASL_RESPONSE_MAX + 1);
	if (n > MM_SASL_RESPONSE_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
		            "SASL response longer than %d characters", MM_SASL_RESPONSE_MAX);
		return NULL;
	}
	/* GLib's decoder skips what is not base64; a response with junk
	 * in it is an error of the client, not something to guess at. */
	if (n % 4 != 0)
		goto bad;
	if (n > 0 && b64[n - 1] == '=')
		pad++;
	if (n > 1 && b64[n - 2] == '=')
		pad++;
	for (gsize i = 0; i < n - pad; i++) {
		if (!is_base64_char(b64[i]))
			goto bad;
	}
	if (n == 0) {
		*len = 0;
		return g_strdup("");
	}
	out = (char *)g_base64_decode(b64, &out_len);
	out = g_realloc(out, out_len + 1);
	out[out_len] = '\0';
	*len = out_len;
	return out;
bad:
	g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed base64 in SASL response");
	return NULL;
}

char *
mm_sasl_cram_md5_challenge(const char *host_name)
{
	guint64 r;

	g_return_val_if_fail(host_name != NULL, NULL);

	/* RFC 2195 2: a msg-id; the random part makes it unique and
	 * unguessable, the time keeps it in the form of the RFC's example. */
	mm_tls_random(&r, sizeof(r));
	return g_strdup_printf("<%" G_GUINT64_FORMAT ".%" G_GINT64_FORMAT "@%s>", r,
	                       (gint64)time(NULL), host_name);
}

/* The lowercase hex HMAC-MD5 digest of @challenge under @secret. */
static gboolean
cram_md5_digest(const char *secret, const char *challenge, char hex[2 * MM_TLS_MD5_LEN + 1])
{
	guint8 digest[MM_TLS_MD5_LEN];

	if (!mm_tls_hmac_md5(secret, strlen(secret), challenge, strlen(challenge), digest))
		return FALSE;
	for (gsize i = 0; i < MM_TLS_MD5_LEN; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	explicit_bzero(digest, sizeof(digest));
	return TRUE;
}

char *
mm_sasl_cram_md5_response(const char *user, const char *secret, const char *challenge)
{
	char hex[2 * MM_TLS_MD5_LEN + 1];

	g_return_val_if_fail(user != NULL && secret != NULL && challenge != NULL, NULL);

	if (!cram_md5_digest(secret, challenge, hex))
		return NULL;
	return g_strdup_printf("%s %s", user, hex);
}

gboolean
mm_sasl_cram_md5_verify(const char *challenge, const char *response, const MmSaslSecrets *secrets,
                        char **user, GError **error)
{
	const char *space, *digest, *secret;
	g_autofree char *name = NULL;
	char expected[2 * MM_TLS_MD5_LEN + 1];
	char given[2 * MM_TLS_MD5_LEN + 1];
	gboolean ok;

	g_return_val_if_fail(challenge != NULL && response != NULL && secrets != NULL, FALSE);

	/* RFC 2195 2: user name, one space, 32 hex digits; the name may
	 * contain spaces itself, so the digest is after the last one */
	space = strrchr(response, ' ');
	if (space == NULL || space == response) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed CRAM-MD5 response");
		return FALSE;
	}
	digest = space + 1;
	if (strlen(digest) != 2 * MM_TLS_MD5_LEN || space - response > MM_SASL_FIELD_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed CRAM-MD5 response");
		return FALSE;
	}
	for (gsize i = 0; i < 2 * MM_TLS_MD5_LEN; i++) {
		if (!g_ascii_isxdigit(digest[i])) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed CRAM-MD5 response");
			return FALSE;
		}
		given[i] = g_ascii_tolower(digest[i]);
	}
	given[2 * MM_TLS_MD5_LEN] = '\0';
	name = g_strndup(response, (gsize)(space - response));
	if (!g_utf8_validate(name, -1, NULL)) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed CRAM-MD5 response");
		return FALSE;
	}
	if (user != NULL)
		*user = g_strdup(name);

	secret = mm_sasl_secrets_lookup(secrets, name);
	/* an unknown user costs the same HMAC as a known one */
	if (!cram_md5_digest(secret != NULL ? secret : "", challenge, expected)) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "HMAC-MD5 is not available");
		return FALSE;
	}
	ok = mm_sasl_secret_equal(expected, given) && secret != NULL;
	explicit_bzero(expected, sizeof(expected));
	if (!ok) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION, "authentication failed");
		return FALSE;
	}
	return TRUE;
}

gboolean
mm_sasl_plain_decode(const char *b64, char **authzid, char **user, char **password, GError **error)
{
	g_autofree char *raw = NULL;
	gsize len = 0;
	const char *fields[3];
	gsize lens[3];
	gsize start = 0, k = 0;

	g_return_val_if_fail(b64 != NULL && authzid != NULL && user != NULL && password != NULL, FALSE);

	raw = mm_sasl_base64_decode(b64, &len, error);
	if (raw == NULL)
		return FALSE;
	/* RFC 4616 2: [authzid] NUL authcid NUL passwd, no other NUL */
	for (gsize i = 0; i <= len; i++) {
		if (i < len && raw[i] != '\0')
			continue;
		if (k == 3) {
			k++;
			break;
		}
		fields[k] = raw + start;
		lens[k] = i - start;
		k++;
		start = i + 1;
	}
	if (k != 3) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
		            "malformed PLAIN response: not authzid, user and password");
		goto fail;
	}
	if (lens[1] == 0 || lens[2] == 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed PLAIN response: empty %s",
		            lens[1] == 0 ? "user" : "password");
		goto fail;
	}
	for (gsize i = 0; i < 3; i++) {
		if (lens[i] > MM_SASL_FIELD_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
			            "PLAIN response: a field is longer than %d octets", MM_SASL_FIELD_MAX);
			goto fail;
		}
	}
	if (!g_utf8_validate(fields[0], (gssize)lens[0], NULL) ||
	    !g_utf8_validate(fields[1], (gssize)lens[1], NULL)) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed PLAIN response: invalid UTF-8");
		goto fail;
	}
	*authzid = lens[0] > 0 ? g_strndup(fields[0], lens[0]) : NULL;
	*user = g_strndup(fields[1], lens[1]);
	*password = g_strndup(fields[2], lens[2]);
	explicit_bzero(raw, len);
	return TRUE;
fail:
	explicit_bzero(raw, len);
	return FALSE;
}

char *
mm_sasl_plain_encode(const char *user, const char *password)
{
	gsize lu, lp;
	g_autofree guchar *raw = NULL;
	char *out;

	g_return_val_if_fail(user != NULL && password != NULL, NULL);

	lu = strlen(user);
	lp = strlen(password);
	raw = g_malloc(lu + lp + 2);
	raw[0] = '\0';
	memcpy(raw + 1, user, lu);
	raw[1 + lu] = '\0';
	memcpy(raw + 2 + lu, password, lp);
	out = g_base64_encode(raw, lu + lp + 2);
	explicit_bzero(raw, lu + lp + 2);
	return out;
}

/* Secrets file */

static void
secret_destroy(gpointer p)
{
	mm_sasl_free_secret(p);
}

void
mm_sasl_secrets_free(MmSaslSecrets *secrets)
{
	if (secrets == NULL)
		return;
	g_hash_table_unref(secrets->users);
	g_free(secrets);
}

static gboolean
parse_secrets(MmSaslSecrets *secrets, const char *path, char *text, gsize len, GError **error)
{
	char *line = text, *end = text + len;
	const char *nul = memchr(text, '\0', len);
	guint lineno = 0;

	if (nul != NULL) {
		lineno = 1;
		for (const char *p = text; p < nul; p++)
			lineno += *p == '\n';
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: NUL character", path, lineno);
		return FALSE;
	}

	while (line < end) {
		char *nl = memchr(line, '\n', (gsize)(end - line));
		char *colon;

		lineno++;
		if (nl != NULL)
			*nl = '\0';
		else
			nl = end;
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (line[0] == '\0' || line[0] == '#') {
			line = nl + 1;
			continue;
		}
		colon = strchr(line, ':');
		if (colon == NULL) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: expected user:secret", path,
			            lineno);
			return FALSE;
		}
		if (colon == line) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: empty user name", path, lineno);
			return FALSE;
		}
		*colon = '\0';
		if (g_hash_table_contains(secrets->users, line)) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: user %s named twice", path,
			            lineno, line);
			return FALSE;
		}
		g_hash_table_insert(secrets->users, g_strdup(line), g_strdup(colon + 1));
		line = nl + 1;
	}
	return TRUE;
}

MmSaslSecrets *
mm_sasl_secrets_read(const char *path, GError **error)
{
	g_autoptr(MmSaslSecrets) secrets = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autofree char *text = NULL;
	struct stat st;
	gsize len = 0;
	gboolean ok;
	int fd;

	g_return_val_if_fail(path != NULL, NULL);

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		mm_error_set_errno(error, errno, "secrets file %s", path);
		return NULL;
	}
	/* the mode of what was opened, not of what the name pointed to a
	 * moment before */
	if (fstat(fd, &st) < 0) {
		mm_error_set_errno(error, errno, "secrets file %s", path);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "secrets file %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION,
		            "secrets file %s: mode %04o lets others read or change it (make it 0600)",
		            path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION,
		            "secrets file %s: owned by uid %u, neither root nor us", path,
		            (unsigned)st.st_uid);
		close(fd);
		return NULL;
	}
	data = mm_fs_read_all(fd, MM_SASL_SECRETS_FILE_MAX, path, error);
	close(fd);
	if (data == NULL)
		return NULL;

	len = g_bytes_get_size(data);
	text = g_malloc(len + 1);
	if (len > 0) {
		memcpy(text, g_bytes_get_data(data, NULL), len);
		explicit_bzero((void *)g_bytes_get_data(data, NULL), len);
	}
	text[len] = '\0';

	secrets = g_new0(MmSaslSecrets, 1);
	secrets->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, secret_destroy);
	ok = parse_secrets(secrets, path, text, len, error);
	explicit_bzero(text, len);
	if (!ok)
		return NULL;
	return g_steal_pointer(&secrets);
}

const char *
mm_sasl_secrets_lookup(const MmSaslSecrets *secrets, const char *user)
{
	g_return_val_if_fail(secrets != NULL && user != NULL, NULL);
	return g_hash_table_lookup(secrets->users, user);
}

gboolean
mm_sasl_secrets_check(const MmSaslSecrets *secrets, const char *user, const char *password)
{
	const char *secret;
	gboolean equal;

	g_return_val_if_fail(secrets != NULL && user != NULL && password != NULL, FALSE);

	secret = mm_sasl_secrets_lookup(secrets, user);
	/* compare against something for an unknown user as well */
	equal = mm_sasl_secret_equal(secret != NULL ? secret : "", password);
	return equal && secret != NULL;
}

guint
mm_sasl_secrets_count(const MmSaslSecrets *secrets)
{
	g_return_val_if_fail(secrets != NULL, 0);
	return g_hash_table_size(secrets->users);
}
