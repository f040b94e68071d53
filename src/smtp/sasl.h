/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SASL mechanisms of SMTP AUTH (RFC 4954) as pure functions, for the
 * server and the client alike: PLAIN (RFC 4616), LOGIN (base64 of the
 * user and the password, no RFC) and CRAM-MD5 (RFC 2195). No I/O here
 * except reading the server's secrets file; the SMTP dialogue, the
 * base64 of the challenges and the "*" that cancels an exchange belong
 * to the session and the client.
 *
 * The secrets file holds one "user:secret" line per user (empty lines
 * and lines starting with '#' are ignored); the secret is everything
 * after the first colon, spaces included. Its secrets are plain text
 * because CRAM-MD5 needs them, so the file must be readable by its
 * owner only. Secrets are compared in constant time and wiped from
 * memory when freed; none of these functions logs a secret.
 *
 * Errors (MM_ERROR domain): MM_ERROR_PARSE for malformed client input,
 * MM_ERROR_LIMIT for input over MM_SASL_RESPONSE_MAX or
 * MM_SASL_FIELD_MAX, MM_ERROR_PERMISSION for wrong credentials and for
 * a secrets file that others may read, MM_ERROR_CONFIG for a malformed
 * secrets file ("file:line: text").
 */
#pragma once

#include <glib.h>

typedef struct MmSaslSecrets MmSaslSecrets;

/* Strict base64 (RFC 4648 4, padding required, no white space) of at
 * most MM_SASL_RESPONSE_MAX characters, as RFC 4954 4 requires of
 * responses. Returns the decoded bytes NUL-terminated (*@len without
 * the NUL) or NULL with MM_ERROR_PARSE / MM_ERROR_LIMIT. An empty
 * string decodes to an empty result. */
char *mm_sasl_base64_decode(const char *b64, gsize *len, GError **error);

/* A CRAM-MD5 challenge "<random.time@host_name>" (RFC 2195 2), not yet
 * base64-encoded. New string. */
char *mm_sasl_cram_md5_challenge(const char *host_name);

/* The client's CRAM-MD5 answer "user hexdigest" to @challenge (decoded,
 * not base64), the digest being HMAC-MD5 keyed with @secret. New string,
 * to be base64-encoded by the caller; NULL only when the crypto library
 * refuses MD5 (FIPS mode). */
char *mm_sasl_cram_md5_response(const char *user, const char *secret, const char *challenge);

/* Checks a client's decoded CRAM-MD5 @response to @challenge against
 * @secrets. *@user (optional) is set to the user name the response
 * claims whenever it is well-formed, also on a failed check, for the
 * log. TRUE when the user exists and the digest matches; otherwise
 * MM_ERROR_PARSE for a malformed response and MM_ERROR_PERMISSION for
 * an unknown user or a wrong digest (one message for both, and the same
 * work for both, so that neither reveals which users exist). */
gboolean mm_sasl_cram_md5_verify(const char *challenge, const char *response,
                                 const MmSaslSecrets *secrets, char **user, GError **error);

/* Decodes a PLAIN response (base64 of authzid NUL user NUL password).
 * *@authzid is NULL when the client sent none; *@user and *@password
 * are non-empty. All three are new strings (the password to be wiped
 * with mm_sasl_free_secret()). FALSE with MM_ERROR_PARSE (bad base64,
 * not exactly two NULs, empty user or password, invalid UTF-8 in a
 * name) or MM_ERROR_LIMIT; the out arguments are then untouched. */
gboolean mm_sasl_plain_decode(const char *b64, char **authzid, char **user, char **password,
                              GError **error);

/* The base64 PLAIN response for @user and @password, without authzid.
 * New string. */
char *mm_sasl_plain_encode(const char *user, const char *password);

/* Reads the secrets file @path. Refused with MM_ERROR_PERMISSION when
 * group or others may read or write it or it belongs to neither root
 * nor the effective user; the codes of mm_error_set_errno() when it
 * cannot be opened; MM_ERROR_LIMIT over MM_SASL_SECRETS_FILE_MAX;
 * MM_ERROR_CONFIG for a line without a colon, an empty user name or a
 * user named twice. Free with mm_sasl_secrets_free(). */
MmSaslSecrets *mm_sasl_secrets_read(const char *path, GError **error);

/* The secret of @user, or NULL. Owned by @secrets. */
const char *mm_sasl_secrets_lookup(const MmSaslSecrets *secrets, const char *user);

/* TRUE when @user exists in @secrets with the secret @password, for
 * PLAIN and LOGIN. Constant time in the secret. */
gboolean mm_sasl_secrets_check(const MmSaslSecrets *secrets, const char *user, const char *password);

/* Number of users in @secrets. */
guint mm_sasl_secrets_count(const MmSaslSecrets *secrets);

/* Wipes the secrets and frees them. NULL is ignored. */
void mm_sasl_secrets_free(MmSaslSecrets *secrets);

/* TRUE when the strings are equal. The time taken depends on the
 * lengths of the strings, never on where they differ. */
gboolean mm_sasl_secret_equal(const char *secret, const char *attempt);

/* Overwrites a string that held a secret and frees it. NULL is ignored. */
void mm_sasl_free_secret(char *secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSaslSecrets, mm_sasl_secrets_free)
