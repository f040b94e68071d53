/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of smtp/sasl.c: CRAM-MD5 against RFC 2195's example, PLAIN
 * encoding and decoding (RFC 4616) with and without authzid and with
 * malformed input, the strict base64 decoder, the secrets file (parsing
 * and the refusal of files others may read) and the constant-time
 * comparison.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "base/limits.h"
#include "smtp/sasl.h"

/* RFC 2195 2, the example exchange */
#define RFC2195_CHALLENGE "<1896.697170952@postoffice.reston.mci.net>"
#define RFC2195_RESPONSE "tim b913a602c7eda7a495b4e6e7334d3890"

typedef struct {
	char *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	GError *error = NULL;

	f->dir = g_dir_make_tmp("mm-sasl-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

/* Writes @text (@len bytes, -1 for a string) to @name in the fixture's
 * directory with @mode; returns the path. */
static char *
write_file(Fixture *f, const char *name, const char *text, gssize len, mode_t mode)
{
	g_autoptr(GError) error = NULL;
	char *path = g_build_filename(f->dir, name, NULL);

	g_file_set_contents(path, text, len, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
	return path;
}

static MmSaslSecrets *
secrets_from(Fixture *f, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = write_file(f, "secrets", text, -1, 0600);
	MmSaslSecrets *s = mm_sasl_secrets_read(path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(s);
	return s;
}

static void
test_cram_md5_rfc2195(void)
{
	g_autofree char *response = mm_sasl_cram_md5_response("tim", "tanstaaftanstaaf",
	                                                       RFC2195_CHALLENGE);

	g_assert_cmpstr(response, ==, RFC2195_RESPONSE);
}

static void
test_cram_md5_challenge(void)
{
	g_autofree char *a = mm_sasl_cram_md5_challenge("mail.example.org");
	g_autofree char *b = mm_sasl_cram_md5_challenge("mail.example.org");
	g_autoptr(GRegex) shape = g_regex_new("^<[0-9]+\\.[0-9]+@mail\\.example\\.org>$", 0, 0, NULL);

	g_assert_true(g_regex_match(shape, a, 0, NULL));
	g_assert_true(g_regex_match(shape, b, 0, NULL));
	g_assert_cmpstr(a, !=, b);
}

static void
test_cram_md5_verify(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		const char *response;
		const char *user; /* NULL: none reported */
		int code;         /* -1: success */
	} cases[] = {
		{ "rfc2195", RFC2195_RESPONSE, "tim", -1 },
		{ "uppercase-hex", "tim B913A602C7EDA7A495B4E6E7334D3890", "tim", -1 },
		{ "wrong-digest", "tim b913a602c7eda7a495b4e6e7334d3891", "tim", MM_ERROR_PERMISSION },
		{ "unknown-user", "tom b913a602c7eda7a495b4e6e7334d3890", "tom", MM_ERROR_PERMISSION },
		{ "user-with-space", "tim smith 5b3cd6b2ab0bbac4f1306e2dcbd9f8b8", "tim smith",
		  MM_ERROR_PERMISSION },
		{ "no-space", "timb913a602c7eda7a495b4e6e7334d3890", NULL, MM_ERROR_PARSE },
		{ "no-user", " b913a602c7eda7a495b4e6e7334d3890", NULL, MM_ERROR_PARSE },
		{ "short-digest", "tim b913a602c7eda7a495b4e6e7334d389", NULL, MM_ERROR_PARSE },
		{ "long-digest", "tim b913a602c7eda7a495b4e6e7334d38900", NULL, MM_ERROR_PARSE },
		{ "not-hex", "tim g913a602c7eda7a495b4e6e7334d3890", NULL, MM_ERROR_PARSE },
		{ "empty", "", NULL, MM_ERROR_PARSE },
		{ "bad-utf8", "t\xffm b913a602c7eda7a495b4e6e7334d3890", NULL, MM_ERROR_PARSE },
	};
	g_autoptr(MmSaslSecrets) secrets = secrets_from(f, "tim:tanstaaftanstaaf\nbob:other\n");

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *user = NULL;
		gboolean ok;

		g_test_message("case %s", cases[i].label);
		ok = mm_sasl_cram_md5_verify(RFC2195_CHALLENGE, cases[i].response, secrets, &user,
		                             &error);
		if (cases[i].code < 0) {
			g_assert_no_error(error);
			g_assert_true(ok);
		} else {
			g_assert_error(error, MM_ERROR, cases[i].code);
			g_assert_false(ok);
		}
		g_assert_cmpstr(user, ==, cases[i].user);
	}
}

/* The client's answer and the server's check agree for any challenge. */
static void
test_cram_md5_round_trip(Fixture *f, gconstpointer data)
{
	g_autoptr(MmSaslSecrets) secrets = secrets_from(f, "alice:s3cr:et with spaces \n");
	g_autofree char *challenge = mm_sasl_cram_md5_challenge("localhost");
	g_autofree char *good = mm_sasl_cram_md5_response("alice", "s3cr:et with spaces ", challenge);
	g_autofree char *bad = mm_sasl_cram_md5_response("alice", "s3cr:et with spaces", challenge);
	g_autoptr(GError) error = NULL;

	g_assert_true(mm_sasl_cram_md5_verify(challenge, good, secrets, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(mm_sasl_cram_md5_verify(challenge, bad, secrets, NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_PERMISSION);
}

static void
test_plain_encode(void)
{
	static const struct {
		const char *label;
		const char *user, *password, *expect;
	} cases[] = {
		{ "rfc2195-user", "tim", "tanstaaftanstaaf", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" },
		{ "utf8", "j\xc3\xb6rg", "p\xc3\xa4ss w", "AGrDtnJnAHDDpHNzIHc=" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = mm_sasl_plain_encode(cases[i].user, cases[i].password);

		g_test_message("case %s", cases[i].label);
		g_assert_cmpstr(got, ==, cases[i].expect);
	}
}

static void
test_plain_decode(void)
{
	static const struct {
		const char *label;
		const char *b64;
		const char *authzid, *user, *password; /* user NULL: an error */
		int code;
	} cases[] = {
		{ "no-authzid", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", NULL, "tim", "tanstaaftanstaaf", 0 },
		{ "authzid", "YWRtaW4AdGltAHRhbnN0YWFmdGFuc3RhYWY=", "admin", "tim", "tanstaaftanstaaf", 0 },
		{ "utf8", "AGrDtnJnAHDDpHNzIHc=", NULL, "j\xc3\xb6rg", "p\xc3\xa4ss w", 0 },
		{ "third-nul", "AHRpbQBwdwB4", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "one-nul", "dGltAHB3", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "no-nul", "dGltcHc=", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "empty-user", "AABwdw==", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "empty-password", "AHRpbQA=", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "bad-utf8-user", "AHRp/20AcHc=", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "empty", "", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "junk-char", "AHRpbQB0YW5zd*FhZnRhbnN0YWFm", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "space", "AHRpbQB0 YW5zdGFhZnRhbnN0YWFm", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "no-padding", "AHRpbQA", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "pad-inside", "AH=pbQA=", NULL, NULL, NULL, MM_ERROR_PARSE },
		{ "triple-pad", "AHRpb===", NULL, NULL, NULL, MM_ERROR_PARSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *authzid = NULL, *user = NULL, *password = NULL;
		gboolean ok;

		g_test_message("case %s", cases[i].label);
		ok = mm_sasl_plain_decode(cases[i].b64, &authzid, &user, &password, &error);
		if (cases[i].user != NULL) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpstr(authzid, ==, cases[i].authzid);
			g_assert_cmpstr(user, ==, cases[i].user);
			g_assert_cmpstr(password, ==, cases[i].password);
		} else {
			g_assert_error(error, MM_ERROR, cases[i].code);
			g_assert_false(ok);
			g_assert_null(user);
			g_assert_null(password);
		}
	}
}

/* PLAIN's limits: 255 octets a field (RFC 4616), 12288 characters of
 * base64 (RFC 4954), each at the limit and one over. */
static void
test_plain_limits(void)
{
	static const struct {
		const char *label;
		gsize user_len;
		int code; /* 0: accepted */
	} cases[] = {
		{ "field-at-limit", MM_SASL_FIELD_MAX, 0 },
		{ "field-over-limit", MM_SASL_FIELD_MAX + 1, MM_ERROR_LIMIT },
		{ "response-over-limit", MM_SASL_RESPONSE_MAX, MM_ERROR_LIMIT },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *long_user = g_strnfill(cases[i].user_len, 'u');
		g_autofree char *b64 = mm_sasl_plain_encode(long_user, "pw");
		g_autofree char *authzid = NULL, *user = NULL, *password = NULL;
		gboolean ok;

		g_test_message("case %s", cases[i].label);
		ok = mm_sasl_plain_decode(b64, &authzid, &user, &password, &error);
		if (cases[i].code == 0) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpuint(strlen(user), ==, cases[i].user_len);
		} else {
			g_assert_error(error, MM_ERROR, cases[i].code);
			g_assert_false(ok);
		}
	}
}

static void
test_base64_decode(void)
{
	static const struct {
		const char *label;
		const char *b64;
		const char *expect; /* NULL: an error */
		gsize len;
	} cases[] = {
		{ "login-user", "dXNlcm5hbWU=", "username", 8 },
		{ "two-pad", "dGk=", "ti", 2 },
		{ "empty", "", "", 0 },
		{ "nul-inside", "YQBi", "a\0b", 3 },
		{ "cancel-star", "*", NULL, 0 },
		{ "trailing-newline", "dGk=\n", NULL, 0 },
		{ "url-alphabet", "dGk-", NULL, 0 },
		{ "data-after-pad", "dGk=dGk=", NULL, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gsize len = 0;
		g_autofree char *got = NULL;

		g_test_message("case %s", cases[i].label);
		got = mm_sasl_base64_decode(cases[i].b64, &len, &error);
		if (cases[i].expect != NULL) {
			g_assert_no_error(error);
			g_assert_cmpmem(got, len, cases[i].expect, cases[i].len);
			g_assert_cmpint(got[len], ==, '\0');
		} else {
			g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
			g_assert_null(got);
		}
	}
}

static void
test_secrets_parse(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		const char *text;
		const char *user, *secret; /* a lookup that must give @secret (NULL: none) */
		guint count;
		const char *error; /* substring of the error; NULL: read fine */
	} cases[] = {
		{ "one", "tim:tanstaaf\n", "tim", "tanstaaf", 1, NULL },
		{ "no-final-newline", "tim:tanstaaf", "tim", "tanstaaf", 1, NULL },
		{ "crlf", "tim:tanstaaf\r\nbob:x\r\n", "tim", "tanstaaf", 2, NULL },
		{ "colon-in-secret", "tim:a:b:c\n", "tim", "a:b:c", 1, NULL },
		{ "spaces-kept", "tim: pass word \n", "tim", " pass word ", 1, NULL },
		{ "empty-secret", "tim:\n", "tim", "", 1, NULL },
		{ "comments-blank", "# users\n\ntim:x\n#bob:y\n", "bob", NULL, 1, NULL },
		{ "case-sensitive", "Tim:x\n", "tim", NULL, 1, NULL },
		{ "empty-file", "", "tim", NULL, 0, NULL },
		{ "no-colon", "tim:x\nbob\n", NULL, NULL, 0, ":2: expected user:secret" },
		{ "empty-user", ":x\n", NULL, NULL, 0, ":1: empty user name" },
		{ "twice", "tim:x\nbob:y\ntim:z\n", NULL, NULL, 0, ":3: user tim named twice" },
		{ "nul", "tim:x\nbob:y\0z\n", NULL, NULL, 0, ":2: NUL character" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *path = NULL;
		g_autoptr(MmSaslSecrets) s = NULL;
		gsize len = strlen(cases[i].text);

		g_test_message("case %s", cases[i].label);
		if (g_str_equal(cases[i].label, "nul"))
			len = 14;
		path = write_file(f, "secrets", cases[i].text, (gssize)len, 0600);
		s = mm_sasl_secrets_read(path, &error);
		if (cases[i].error != NULL) {
			g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
			g_assert_nonnull(strstr(error->message, cases[i].error));
			g_assert_true(g_str_has_prefix(error->message, path));
			g_assert_null(s);
			continue;
		}
		g_assert_no_error(error);
		g_assert_cmpuint(mm_sasl_secrets_count(s), ==, cases[i].count);
		g_assert_cmpstr(mm_sasl_secrets_lookup(s, cases[i].user), ==, cases[i].secret);
	}
}

static void
test_secrets_mode(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		mode_t mode;
		gboolean ok;
	} cases[] = {
		{ "0600", 0600, TRUE },
		{ "0400", 0400, TRUE },
		{ "0640", 0640, FALSE },
		{ "0604", 0604, FALSE },
		{ "0620", 0620, FALSE },
		{ "0602", 0602, FALSE },
		{ "0644", 0644, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *path = NULL;
		g_autoptr(MmSaslSecrets) s = NULL;

		g_test_message("case %s", cases[i].label);
		path = write_file(f, "secrets", "tim:x\n", -1, cases[i].mode);
		s = mm_sasl_secrets_read(path, &error);
		if (cases[i].ok) {
			g_assert_no_error(error);
			g_assert_nonnull(s);
		} else {
			g_assert_error(error, MM_ERROR, MM_ERROR_PERMISSION);
			g_assert_nonnull(strstr(error->message, path));
			g_assert_null(s);
		}
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
}

static void
test_secrets_missing(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(f->dir, "none", NULL);

	g_assert_null(mm_sasl_secrets_read(path, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, path));
}

static void
test_secrets_too_big(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *big = g_strnfill(MM_SASL_SECRETS_FILE_MAX + 1, '#');
	g_autofree char *path = write_file(f, "secrets", big, -1, 0600);

	g_assert_null(mm_sasl_secrets_read(path, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
}

static void
test_secrets_check(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label;
		const char *user, *password;
		gboolean ok;
	} cases[] = {
		{ "right", "tim", "tanstaaf", TRUE },
		{ "wrong", "tim", "tanstaag", FALSE },
		{ "prefix", "tim", "tanstaa", FALSE },
		{ "longer", "tim", "tanstaaff", FALSE },
		{ "empty", "tim", "", FALSE },
		{ "unknown-user", "tom", "tanstaaf", FALSE },
		{ "unknown-user-empty", "tom", "", FALSE },
		{ "empty-secret", "nopw", "", TRUE },
	};
	g_autoptr(MmSaslSecrets) secrets = secrets_from(f, "tim:tanstaaf\nnopw:\n");

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case %s", cases[i].label);
		g_assert_cmpint(mm_sasl_secrets_check(secrets, cases[i].user, cases[i].password), ==,
		                cases[i].ok);
	}
}

static void
test_secret_equal(void)
{
	static const struct {
		const char *label;
		const char *a, *b;
		gboolean equal;
	} cases[] = {
		{ "same", "secret", "secret", TRUE },
		{ "both-empty", "", "", TRUE },
		{ "first-differs", "secret", "Secret", FALSE },
		{ "last-differs", "secret", "secreT", FALSE },
		{ "prefix", "secret", "secre", FALSE },
		{ "longer", "secret", "secrets", FALSE },
		{ "repeated", "ab", "abab", FALSE },
		{ "empty-secret", "", "x", FALSE },
		{ "empty-attempt", "x", "", FALSE },
		{ "high-bit", "p\xc3\xa4ss", "p\xc3\xa5ss", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case %s", cases[i].label);
		g_assert_cmpint(mm_sasl_secret_equal(cases[i].a, cases[i].b), ==, cases[i].equal);
	}
}

/* The comparison takes as long for a difference in the first byte as
 * for one in the last: a loop that stopped early would be many times
 * faster on the first. */
static void
test_secret_equal_timing(void)
{
	enum { LEN = 4096, ROUNDS = 2000 };
	g_autofree char *secret = g_strnfill(LEN, 'a');
	g_autofree char *first = g_strnfill(LEN, 'a');
	g_autofree char *last = g_strnfill(LEN, 'a');
	gint64 t_first = G_MAXINT64, t_last = G_MAXINT64;

	first[0] = 'b';
	last[LEN - 1] = 'b';
	/* the best of several tries, so that a busy machine does not decide */
	for (int k = 0; k < 5; k++) {
		gint64 t0 = g_get_monotonic_time();
		for (int i = 0; i < ROUNDS; i++)
			g_assert_false(mm_sasl_secret_equal(secret, first));
		gint64 t1 = g_get_monotonic_time();
		for (int i = 0; i < ROUNDS; i++)
			g_assert_false(mm_sasl_secret_equal(secret, last));
		gint64 t2 = g_get_monotonic_time();
		t_first = MIN(t_first, t1 - t0);
		t_last = MIN(t_last, t2 - t1);
	}
	g_test_message("first byte differs: %" G_GINT64_FORMAT " us, last: %" G_GINT64_FORMAT " us",
	               t_first, t_last);
	g_assert_cmpint(t_first * 3, >, t_last);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/sasl/cram-md5/rfc2195", test_cram_md5_rfc2195);
	g_test_add_func("/sasl/cram-md5/challenge", test_cram_md5_challenge);
	g_test_add("/sasl/cram-md5/verify", Fixture, NULL, fixture_set_up, test_cram_md5_verify,
	           fixture_tear_down);
	g_test_add("/sasl/cram-md5/round-trip", Fixture, NULL, fixture_set_up,
	           test_cram_md5_round_trip, fixture_tear_down);
	g_test_add_func("/sasl/plain/encode", test_plain_encode);
	g_test_add_func("/sasl/plain/decode", test_plain_decode);
	g_test_add_func("/sasl/plain/limits", test_plain_limits);
	g_test_add_func("/sasl/base64/strict", test_base64_decode);
	g_test_add("/sasl/secrets/parse", Fixture, NULL, fixture_set_up, test_secrets_parse,
	           fixture_tear_down);
	g_test_add("/sasl/secrets/mode", Fixture, NULL, fixture_set_up, test_secrets_mode,
	           fixture_tear_down);
	g_test_add("/sasl/secrets/missing", Fixture, NULL, fixture_set_up, test_secrets_missing,
	           fixture_tear_down);
	g_test_add("/sasl/secrets/too-big", Fixture, NULL, fixture_set_up, test_secrets_too_big,
	           fixture_tear_down);
	g_test_add("/sasl/secrets/check", Fixture, NULL, fixture_set_up, test_secrets_check,
	           fixture_tear_down);
	g_test_add_func("/sasl/secret-equal/cases", test_secret_equal);
	g_test_add_func("/sasl/secret-equal/timing", test_secret_equal_timing);
	return g_test_run();
}
