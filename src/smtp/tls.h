/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * TLS for the SMTP server (STARTTLS, RFC 3207) and the SMTP client
 * (STARTTLS and implicit TLS, RFC 8314). This header is the whole
 * interface; tls-gnutls.c implements it and is the only file of the
 * program that includes GnuTLS, so that nothing else depends on the
 * library's types.
 *
 * A session does its I/O on the descriptor it is given, blocking or
 * not. On a non-blocking descriptor every call may answer
 * MM_TLS_WANT_READ or MM_TLS_WANT_WRITE: wait until the descriptor is
 * readable or writable and make the same call again. On a blocking
 * descriptor the calls answer only MM_TLS_OK, MM_TLS_CLOSED or
 * MM_TLS_ERROR (unless SO_RCVTIMEO/SO_SNDTIMEO are set: then a WANT_*
 * means that time ran out).
 *
 * Time limits are the caller's business: a handshake or a read waits as
 * long as the descriptor lets it. The non-blocking server keeps its own
 * per-state timers; a blocking client sets mm_tls_set_timeout().
 *
 * Errors are in the MM_ERROR domain: MM_ERROR_CONFIG for unusable
 * certificates, keys and priority strings (the message names the file),
 * the codes of mm_error_set_errno() when a file cannot be read,
 * MM_ERROR_LIMIT for a file over MM_TLS_FILE_MAX, and
 * MM_ERROR_TEMPORARY for every failure of a session (handshake,
 * certificate verification, I/O): the peer may be fixed by the next
 * try, so a message is deferred, never bounced, for a TLS failure.
 */
#pragma once

#include <glib.h>

/* Certificates, keys and settings, shared by many sessions. Reference
 * counted: every session holds a reference, so the owner may free its
 * own (mm_tls_creds_free()) while sessions still run, e.g. on a reload
 * of the configuration. */
typedef struct MmTlsCreds MmTlsCreds;

/* One TLS session on one descriptor (or a pair, see
 * mm_tls_new_server_fds()). */
typedef struct MmTls MmTls;

typedef enum {
	MM_TLS_OK,
	MM_TLS_WANT_READ,  /* wait for the descriptor to be readable, then call again */
	MM_TLS_WANT_WRITE, /* wait for the descriptor to be writable, then call again */
	MM_TLS_CLOSED,     /* the peer closed the connection (with or without close_notify) */
	MM_TLS_ERROR,      /* the error says why; the session is unusable */
} MmTlsStatus;

/* Credentials of a server: a certificate chain @cert_file (PEM, the
 * server's certificate first) and its private key @key_file (PEM). With
 * @ca_file (PEM) the server asks clients for a certificate and checks
 * what they send against these CAs (mm_tls_peer_verified()); a client
 * without a certificate, or with one that does not verify, is still
 * served. @priority is a GnuTLS priority string; NULL is the GnuTLS
 * default (which follows the system's crypto policy). Returns a new
 * object (free with mm_tls_creds_free()) or NULL with an error that
 * names the file or the position in @priority. */
MmTlsCreds *mm_tls_creds_new_server(const char *cert_file, const char *key_file, const char *ca_file,
                                    const char *priority, GError **error);

/* Credentials of a client. With @verify the server's certificate must
 * verify against @ca_file, or the system's trust store when @ca_file is
 * NULL, and match the name given to mm_tls_new_client(); the handshake
 * fails otherwise. Without @verify (opportunistic TLS) any certificate
 * is accepted; mm_tls_peer_verified() still tells whether it verified
 * against @ca_file when one is given. @cert_file and @key_file (both or
 * neither) are a client certificate to present when the server asks.
 * @priority as for the server. */
MmTlsCreds *mm_tls_creds_new_client(const char *ca_file, gboolean verify, const char *cert_file,
                                    const char *key_file, const char *priority, GError **error);

/* Drops the caller's reference. NULL is ignored. */
void mm_tls_creds_free(MmTlsCreds *creds);

/* A server session on the connected socket @fd (blocking or not). The
 * session does not own @fd: mm_tls_free() leaves it open. Call
 * mm_tls_handshake() next. */
MmTls *mm_tls_new_server(MmTlsCreds *creds, int fd, GError **error);

/* A server session that reads @in_fd and writes @out_fd, for `-bs` on
 * stdin and stdout when those are pipes (a `wrapper` of another
 * masqmail) rather than one socket. */
MmTls *mm_tls_new_server_fds(MmTlsCreds *creds, int in_fd, int out_fd, GError **error);

/* A client session on the connected socket @fd. @server_name, the host
 * name the connection was meant for (bare, no port or brackets), is sent
 * as SNI (not for an IP address, RFC 6066 3) and, when the credentials
 * verify, must match the certificate (DNS name or IP address). With
 * verification and a NULL @server_name only the chain is checked. */
MmTls *mm_tls_new_client(MmTlsCreds *creds, int fd, const char *server_name, GError **error);

/* Limits every wait of the session for its descriptor (in the
 * handshake, reads and writes) to @timeout_ms milliseconds; 0, the
 * default, waits as long as the descriptor does. Running out of time is
 * MM_TLS_ERROR with MM_ERROR_TEMPORARY and a message that says so. Meant
 * for blocking descriptors. */
void mm_tls_set_timeout(MmTls *tls, guint timeout_ms);

/* Performs the handshake. MM_TLS_OK once it is complete. A certificate
 * that fails verification is an error whose message starts with
 * "certificate verification failed: " and names the reasons (unknown
 * issuer, hostname mismatch, expired, ...). */
MmTlsStatus mm_tls_handshake(MmTls *tls, GError **error);

/* Reads up to @len bytes of application data into @buf; *@got is the
 * number read (0 unless MM_TLS_OK). MM_TLS_CLOSED when the peer closed
 * the connection; every later read answers MM_TLS_CLOSED again. */
MmTlsStatus mm_tls_read(MmTls *tls, void *buf, gsize len, gsize *got, GError **error);

/* Writes @len bytes of @buf. MM_TLS_OK with *@written, which may be less
 * than @len on a non-blocking descriptor: call again with the rest.
 * MM_TLS_WANT_WRITE (nothing of @buf accounted for): call again with the
 * same @buf and @len once the descriptor is writable. On a blocking
 * descriptor OK means everything was written. */
MmTlsStatus mm_tls_write(MmTls *tls, const void *buf, gsize len, gsize *written, GError **error);

/* TRUE when decrypted data is buffered in the session: mm_tls_read()
 * returns it without waiting for the descriptor, so a poll()-driven
 * caller must read it before it waits again. */
gboolean mm_tls_pending(MmTls *tls);

/* Sends close_notify (without waiting for the peer's). The descriptor
 * stays open. */
MmTlsStatus mm_tls_bye(MmTls *tls, GError **error);

/* After the handshake, "PROTOCOL:KEY-EXCHANGE:CIPHER" (with ":MAC" for
 * the rare ciphers that are no AEAD), e.g. "TLS1.3:ECDHE-X25519:AES-256-GCM",
 * for Received: fields and log lines. New string; before the handshake
 * "none". */
char *mm_tls_describe(MmTls *tls);

/* The subject (RFC 4514 form, "CN=client.example,O=...") of the
 * certificate the peer presented, verified or not: see
 * mm_tls_peer_verified() before trusting it. New string, NULL when the
 * peer presented none. */
char *mm_tls_peer_cert_subject(MmTls *tls);

/* TRUE when the peer presented a certificate that verifies against the
 * CAs of the credentials (for a client that verifies: and matches the
 * server name). */
gboolean mm_tls_peer_verified(MmTls *tls);

/* Frees the session, not the descriptor. NULL is ignored. */
void mm_tls_free(MmTls *tls);

/* The crypto that SASL needs, here so that GnuTLS stays in one file. */

#define MM_TLS_MD5_LEN 16

/* HMAC-MD5 (RFC 2104) of @text keyed with @key into @digest. FALSE when
 * the library refuses MD5 (FIPS mode). */
gboolean mm_tls_hmac_md5(const void *key, gsize key_len, const void *text, gsize text_len,
                         guint8 digest[MM_TLS_MD5_LEN]);

/* Fills @buf with @len unpredictable bytes (nonces, challenges). */
void mm_tls_random(void *buf, gsize len);

/* The version of the TLS library, loading it when no TLS was used yet
 * (-bV), or why it cannot be loaded. New string. */
char *mm_tls_library_version(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmTlsCreds, mm_tls_creds_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmTls, mm_tls_free)
