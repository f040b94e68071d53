/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls.h with GnuTLS. This is the only file of masqmail that includes
 * GnuTLS headers, and the one that loads the library when TLS is first
 * used; GnuTLS return codes are turned into MmTlsStatus and GError here
 * and nowhere else.
 *
 * Sessions do their own reads and writes on the descriptors (not
 * GnuTLS's send()/recv() defaults) so that a pipe pair works as well as
 * a socket, writes to a socket never raise SIGPIPE, and a blocking
 * session can limit its waits.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/crypto.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "base/log.h"
#include "smtp/tls.h"

/* GnuTLS is loaded with dlopen() when TLS or its crypto is first used,
 * not linked: the library and the seven it depends on are built with
 * immediate binding, and resolving their symbols and running GnuTLS's
 * constructor made up more than half of the start-up of every
 * masqmail process, the sendmail command line's included, which never
 * uses TLS. The functions are called through this table, typed from
 * the GnuTLS headers, so the compiler still checks every call. */
#define MM_GNUTLS_FUNCTIONS(X) \
	X(gnutls_alert_get) \
	X(gnutls_alert_get_name) \
	X(gnutls_alert_send) \
	X(gnutls_alert_send_appropriate) \
	X(gnutls_bye) \
	X(gnutls_certificate_allocate_credentials) \
	X(gnutls_certificate_free_credentials) \
	X(gnutls_certificate_get_peers) \
	X(gnutls_certificate_server_set_request) \
	X(gnutls_certificate_set_known_dh_params) \
	X(gnutls_certificate_set_x509_key_mem2) \
	X(gnutls_certificate_set_x509_system_trust) \
	X(gnutls_certificate_set_x509_trust_mem) \
	X(gnutls_certificate_type_get) \
	X(gnutls_certificate_verification_status_print) \
	X(gnutls_certificate_verify_peers2) \
	X(gnutls_certificate_verify_peers3) \
	X(gnutls_check_version) \
	X(gnutls_cipher_get) \
	X(gnutls_cipher_get_name) \
	X(gnutls_credentials_set) \
	X(gnutls_deinit) \
	X(gnutls_error_is_fatal) \
	X(gnutls_group_get) \
	X(gnutls_group_get_name) \
	X(gnutls_handshake) \
	X(gnutls_handshake_set_timeout) \
	X(gnutls_hmac_fast) \
	X(gnutls_hmac_get_len) \
	X(gnutls_init) \
	X(gnutls_kx_get) \
	X(gnutls_kx_get_name) \
	X(gnutls_mac_get) \
	X(gnutls_mac_get_name) \
	X(gnutls_priority_deinit) \
	X(gnutls_priority_init2) \
	X(gnutls_priority_set) \
	X(gnutls_protocol_get_name) \
	X(gnutls_protocol_get_version) \
	X(gnutls_record_check_pending) \
	X(gnutls_record_get_direction) \
	X(gnutls_record_recv) \
	X(gnutls_record_send) \
	X(gnutls_rnd) \
	X(gnutls_server_name_set) \
	X(gnutls_session_get_verify_cert_status) \
	X(gnutls_session_set_verify_cert) \
	X(gnutls_set_default_priority) \
	X(gnutls_strerror) \
	X(gnutls_transport_set_errno) \
	X(gnutls_transport_set_ptr) \
	X(gnutls_transport_set_pull_function) \
	X(gnutls_transport_set_pull_timeout_function) \
	X(gnutls_transport_set_push_function) \
	X(gnutls_x509_crt_deinit) \
	X(gnutls_x509_crt_get_dn3) \
	X(gnutls_x509_crt_import) \
	X(gnutls_x509_crt_init)

static struct {
#define MM_GNUTLS_FIELD(name) __typeof__(name) *name;
	MM_GNUTLS_FUNCTIONS(MM_GNUTLS_FIELD)
#undef MM_GNUTLS_FIELD
	gnutls_free_function *free_fn; /* gnutls_free is a variable */
} lib;

static char *lib_error; /* why loading failed; NULL once it worked */

static gpointer
lib_load(gpointer unused)
{
	void *handle = dlopen(MM_GNUTLS_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (handle == NULL) {
		lib_error = g_strdup_printf("cannot load %s: %s", MM_GNUTLS_SONAME, dlerror());
		return NULL;
	}
#define MM_GNUTLS_LOOKUP(name) \
	if ((lib.name = (__typeof__(lib.name))dlsym(handle, #name)) == NULL && missing == NULL) \
		missing = #name;
	MM_GNUTLS_FUNCTIONS(MM_GNUTLS_LOOKUP)
#undef MM_GNUTLS_LOOKUP
	if ((lib.free_fn = dlsym(handle, "gnutls_free")) == NULL && missing == NULL)
		missing = "gnutls_free";
	if (missing != NULL) {
		lib_error = g_strdup_printf("%s has no %s", MM_GNUTLS_SONAME, missing);
		memset(&lib, 0, sizeof lib);
		/* the handle stays: a half-loaded library is not unloaded under
		 * whatever its constructor started */
		return NULL;
	}
	return handle;
}

/* Loads GnuTLS once, for all threads. FALSE with MM_ERROR_CONFIG (a
 * broken installation, not a transient failure) when it cannot be. */
static gboolean
lib_ready(GError **error)
{
	static GOnce once = G_ONCE_INIT;

	if (g_once(&once, lib_load, NULL) != NULL)
		return TRUE;
	g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "TLS: %s", lib_error);
	return FALSE;
}

static void
lib_free(void *p)
{
	(*lib.free_fn)(p);
}

struct MmTlsCreds {
	gatomicrefcount ref;
	gboolean server;
	gboolean verify;        /* client: fail the handshake unless the peer verifies */
	gboolean have_ca;       /* CAs loaded: client certificates are asked for / checked */
	gnutls_certificate_credentials_t cert;
	gnutls_priority_t priority; /* NULL: the GnuTLS default */
};

struct MmTls {
	MmTlsCreds *creds;
	gnutls_session_t session;
	int in_fd;
	int out_fd;
	guint timeout_ms;
	gboolean timed_out;     /* the last failed transport call ran out of time */
	int transport_errno;    /* errno of the last failed transport call */
	gboolean would_block;   /* a transport call met EAGAIN since the last reset */
	gboolean handshake_done;
	gboolean closed;        /* the peer closed: reads answer CLOSED from now on */
	char *server_name;
};

static void
set_gnutls_error(GError **error, int code, int rc, const char *what)
{
	g_set_error(error, MM_ERROR, code, "%s: %s", what, lib.gnutls_strerror(rc));
}

/* Reads a whole PEM file into a gnutls_datum_t. Files are opened with
 * symbolic links followed: certificate paths such as Let's Encrypt's
 * live/ directory are links by design. */
static gboolean
read_pem(const char *path, const char *what, gnutls_datum_t *out, GBytes **keep, GError **error)
{
	int fd;
	struct stat st;
	GBytes *data;
	gsize len;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		mm_error_set_errno(error, errno, "%s %s", what, path);
		return FALSE;
	}
	if (fstat(fd, &st) < 0) {
		mm_error_set_errno(error, errno, "%s %s", what, path);
		close(fd);
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s %s: not a regular file", what, path);
		close(fd);
		return FALSE;
	}
	data = mm_fs_read_all(fd, MM_TLS_FILE_MAX, path, error);
	close(fd);
	if (data == NULL)
		return FALSE;
	out->data = (unsigned char *)g_bytes_get_data(data, &len);
	out->size = (unsigned int)len;
	*keep = data;
	return TRUE;
}

static gboolean
load_key_pair(gnutls_certificate_credentials_t cert, const char *cert_file, const char *key_file,
              GError **error)
{
	gnutls_datum_t c, k;
	g_autoptr(GBytes) cdata = NULL;
	g_autoptr(GBytes) kdata = NULL;
	int rc;

	if (!read_pem(cert_file, "certificate file", &c, &cdata, error) ||
	    !read_pem(key_file, "key file", &k, &kdata, error))
		return FALSE;
	rc = lib.gnutls_certificate_set_x509_key_mem2(cert, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	/* GnuTLS keeps its own copy; ours goes without leaving the key behind */
	if (k.size > 0)
		explicit_bzero(k.data, k.size);
	if (rc < 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "certificate %s with key %s: %s", cert_file,
		            key_file, lib.gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static gboolean
load_ca(gnutls_certificate_credentials_t cert, const char *ca_file, GError **error)
{
	gnutls_datum_t d;
	g_autoptr(GBytes) data = NULL;
	int rc;

	if (!read_pem(ca_file, "CA file", &d, &data, error))
		return FALSE;
	rc = lib.gnutls_certificate_set_x509_trust_mem(cert, &d, GNUTLS_X509_FMT_PEM);
	if (rc <= 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "CA file %s: %s", ca_file,
		            rc == 0 ? "no certificates found" : lib.gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static gboolean
init_priority(MmTlsCreds *creds, const char *priority, GError **error)
{
	const char *err_pos = NULL;
	int rc;

	if (priority == NULL)
		return TRUE;
	rc = lib.gnutls_priority_init2(&creds->priority, priority, &err_pos, 0);
	if (rc < 0) {
		creds->priority = NULL;
		if (rc == GNUTLS_E_INVALID_REQUEST && err_pos != NULL)
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
			            "TLS priority string \"%s\": error at \"%s\"", priority, err_pos);
		else
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "TLS priority string \"%s\": %s",
			            priority, lib.gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static MmTlsCreds *
creds_alloc(gboolean server, GError **error)
{
	MmTlsCreds *creds;
	int rc;

	if (!lib_ready(error))
		return NULL;
	creds = g_new0(MmTlsCreds, 1);
	g_atomic_ref_count_init(&creds->ref);
	creds->server = server;
	rc = lib.gnutls_certificate_allocate_credentials(&creds->cert);
	if (rc < 0) {
		set_gnutls_error(error, MM_ERROR_TEMPORARY, rc, "TLS credentials");
		g_free(creds);
		return NULL;
	}
	return creds;
}

static void
creds_destroy(MmTlsCreds *creds)
{
	if (creds->priority != NULL)
		lib.gnutls_priority_deinit(creds->priority);
	lib.gnutls_certificate_free_credentials(creds->cert);
	g_free(creds);
}

static MmTlsCreds *
creds_ref(MmTlsCreds *creds)
{
	g_atomic_ref_count_inc(&creds->ref);
	return creds;
}

void
mm_tls_creds_free(MmTlsCreds *creds)
{
	if (creds != NULL && g_atomic_ref_count_dec(&creds->ref))
		creds_destroy(creds);
}

MmTlsCreds *
mm_tls_creds_new_server(const char *cert_file, const char *key_file, const char *ca_file,
                        const char *priority, GError **error)
{
	MmTlsCreds *creds;

	g_return_val_if_fail(cert_file != NULL && key_file != NULL, NULL);

	creds = creds_alloc(TRUE, error);
	if (creds == NULL)
		return NULL;
	if (!load_key_pair(creds->cert, cert_file, key_file, error))
		goto fail;
	if (ca_file != NULL) {
		if (!load_ca(creds->cert, ca_file, error))
			goto fail;
		creds->have_ca = TRUE;
	}
	/* RFC 7919 groups for DHE with clients that do not negotiate them */
	lib.gnutls_certificate_set_known_dh_params(creds->cert, GNUTLS_SEC_PARAM_MEDIUM);
	if (!init_priority(creds, priority, error))
		goto fail;
	return creds;
fail:
	creds_destroy(creds);
	return NULL;
}

MmTlsCreds *
mm_tls_creds_new_client(const char *ca_file, gboolean verify, const char *cert_file,
                        const char *key_file, const char *priority, GError **error)
{
	MmTlsCreds *creds;
	int rc;

	g_return_val_if_fail((cert_file == NULL) == (key_file == NULL), NULL);

	creds = creds_alloc(FALSE, error);
	if (creds == NULL)
		return NULL;
	creds->verify = verify;
	if (ca_file != NULL) {
		if (!load_ca(creds->cert, ca_file, error))
			goto fail;
		creds->have_ca = TRUE;
	} else if (verify) {
		rc = lib.gnutls_certificate_set_x509_system_trust(creds->cert);
		if (rc <= 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
			            "system trust store: %s",
			            rc == 0 ? "no certificates found" : lib.gnutls_strerror(rc));
			goto fail;
		}
		creds->have_ca = TRUE;
	}
	if (cert_file != NULL && !load_key_pair(creds->cert, cert_file, key_file, error))
		goto fail;
	if (!init_priority(creds, priority, error))
		goto fail;
	return creds;
fail:
	creds_destroy(creds);
	return NULL;
}

/* Transport: the session reads in_fd and writes out_fd itself. */

/* Waits up to the session's time limit for @fd to be ready for
 * @events. 1 ready, 0 out of time (errno ETIMEDOUT), -1 error. */
static int
wait_fd(MmTls *tls, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	if (tls->timeout_ms == 0)
		return 1;
	do
		n = poll(&p, 1, (int)MIN(tls->timeout_ms, (guint)G_MAXINT));
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		tls->timed_out = TRUE;
		errno = ETIMEDOUT;
	}
	return n;
}

static ssize_t
transport_failed(MmTls *tls)
{
	tls->transport_errno = errno;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		tls->would_block = TRUE;
	lib.gnutls_transport_set_errno(tls->session, errno);
	return -1;
}

static ssize_t
transport_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	MmTls *tls = ptr;
	ssize_t n;

	if (wait_fd(tls, tls->in_fd, POLLIN) <= 0)
		return transport_failed(tls);
	n = read(tls->in_fd, buf, len);
	if (n < 0)
		return transport_failed(tls);
	return n;
}

static ssize_t
transport_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	MmTls *tls = ptr;
	ssize_t n;

	if (wait_fd(tls, tls->out_fd, POLLOUT) <= 0)
		return transport_failed(tls);
	/* MSG_NOSIGNAL: a peer that went away is an error, not a SIGPIPE */
	n = send(tls->out_fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)
		n = write(tls->out_fd, buf, len);
	if (n < 0)
		return transport_failed(tls);
	return n;
}

/* GnuTLS asks whether data arrives within @ms (TLS 1.3 and the
 * handshake use it). */
static int
transport_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	MmTls *tls = ptr;
	struct pollfd p = { .fd = tls->in_fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)MIN(ms, (unsigned int)G_MAXINT));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		lib.gnutls_transport_set_errno(tls->session, errno);
	return n;
}

static MmTls *
session_new(MmTlsCreds *creds, unsigned int flags, int in_fd, int out_fd, GError **error)
{
	g_autoptr(MmTls) tls = g_new0(MmTls, 1);
	int rc;

	tls->in_fd = in_fd;
	tls->out_fd = out_fd;
	rc = lib.gnutls_init(&tls->session, flags);
	if (rc < 0) {
		tls->session = NULL;
		set_gnutls_error(error, MM_ERROR_TEMPORARY, rc, "TLS session");
		return NULL;
	}
	tls->creds = creds_ref(creds);
	if (creds->priority != NULL)
		rc = lib.gnutls_priority_set(tls->session, creds->priority);
	else
		rc = lib.gnutls_set_default_priority(tls->session);
	if (rc < 0) {
		set_gnutls_error(error, MM_ERROR_TEMPORARY, rc, "TLS priority");
		return NULL;
	}
	rc = lib.gnutls_credentials_set(tls->session, GNUTLS_CRD_CERTIFICATE, creds->cert);
	if (rc < 0) {
		set_gnutls_error(error, MM_ERROR_TEMPORARY, rc, "TLS credentials");
		return NULL;
	}
	lib.gnutls_transport_set_ptr(tls->session, tls);
	lib.gnutls_transport_set_pull_function(tls->session, transport_pull);
	lib.gnutls_transport_set_push_function(tls->session, transport_push);
	lib.gnutls_transport_set_pull_timeout_function(tls->session, transport_pull_timeout);
	/* no limit of GnuTLS's own: the callers time their states */
	lib.gnutls_handshake_set_timeout(tls->session, 0);
	return g_steal_pointer(&tls);
}

MmTls *
mm_tls_new_server_fds(MmTlsCreds *creds, int in_fd, int out_fd, GError **error)
{
	MmTls *tls;

	g_return_val_if_fail(creds != NULL && creds->server, NULL);
	g_return_val_if_fail(in_fd >= 0 && out_fd >= 0, NULL);

	tls = session_new(creds, GNUTLS_SERVER, in_fd, out_fd, error);
	if (tls != NULL && creds->have_ca)
		lib.gnutls_certificate_server_set_request(tls->session, GNUTLS_CERT_REQUEST);
	return tls;
}

MmTls *
mm_tls_new_server(MmTlsCreds *creds, int fd, GError **error)
{
	return mm_tls_new_server_fds(creds, fd, fd, error);
}

MmTls *
mm_tls_new_client(MmTlsCreds *creds, int fd, const char *server_name, GError **error)
{
	g_autoptr(MmTls) tls = NULL;
	int rc;

	g_return_val_if_fail(creds != NULL && !creds->server, NULL);
	g_return_val_if_fail(fd >= 0, NULL);

	tls = session_new(creds, GNUTLS_CLIENT, fd, fd, error);
	if (tls == NULL)
		return NULL;
	tls->server_name = g_strdup(server_name);
	if (server_name != NULL && !g_hostname_is_ip_address(server_name)) {
		rc = lib.gnutls_server_name_set(tls->session, GNUTLS_NAME_DNS, server_name,
		                            strlen(server_name));
		if (rc < 0) {
			set_gnutls_error(error, MM_ERROR_TEMPORARY, rc, "TLS server name");
			return NULL;
		}
	}
	if (creds->verify)
		lib.gnutls_session_set_verify_cert(tls->session, server_name, 0);
	return g_steal_pointer(&tls);
}

void
mm_tls_set_timeout(MmTls *tls, guint timeout_ms)
{
	g_return_if_fail(tls != NULL);
	tls->timeout_ms = timeout_ms;
}

void
mm_tls_free(MmTls *tls)
{
	if (tls == NULL)
		return;
	if (tls->session != NULL)
		lib.gnutls_deinit(tls->session);
	mm_tls_creds_free(tls->creds);
	g_free(tls->server_name);
	g_free(tls);
}

/* The reasons of a failed verification, in words an administrator
 * looks for. */
static char *
describe_verify_status(MmTls *tls, unsigned int status)
{
	static const struct {
		unsigned int flag;
		const char *text;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "unknown issuer" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER, "hostname mismatch" },
		{ GNUTLS_CERT_EXPIRED, "expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, "not yet valid" },
		{ GNUTLS_CERT_REVOKED, "revoked" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "issuer is not a CA" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
		{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "issuer constraints violated" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, "not for this purpose" },
		{ GNUTLS_CERT_MISSING_OCSP_STATUS, "OCSP status missing" },
		{ GNUTLS_CERT_INVALID_OCSP_STATUS, "invalid OCSP status" },
	};
	g_autoptr(GString) s = g_string_new(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++) {
		if (status & reasons[i].flag)
			g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", reasons[i].text);
	}
	if (s->len == 0) {
		gnutls_datum_t out = { NULL, 0 };

		if (lib.gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
			g_string_append(s, (const char *)out.data);
			lib_free(out.data);
		} else {
			g_string_append_printf(s, "status 0x%x", status);
		}
	}
	if ((status & GNUTLS_CERT_UNEXPECTED_OWNER) && tls->server_name != NULL)
		g_string_append_printf(s, " (expected %s)", tls->server_name);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Turns a GnuTLS code that ends a call into a status and an error.
 * @what names the operation for the message. */
static MmTlsStatus
fail(MmTls *tls, int rc, const char *what, GError **error)
{
	switch (rc) {
	case GNUTLS_E_AGAIN:
		return lib.gnutls_record_get_direction(tls->session) ? MM_TLS_WANT_WRITE : MM_TLS_WANT_READ;
	case GNUTLS_E_PREMATURE_TERMINATION:
		/* SMTP ends itself (QUIT, the final dot): a peer that closes
		 * without close_notify has truncated nothing we rely on. */
		tls->closed = TRUE;
		return MM_TLS_CLOSED;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR: {
		g_autofree char *why =
		    describe_verify_status(tls, lib.gnutls_session_get_verify_cert_status(tls->session));
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "certificate verification failed: %s",
		            why);
		return MM_TLS_ERROR;
	}
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		if (tls->timed_out) {
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s: timed out after %u ms", what,
			            tls->timeout_ms);
			return MM_TLS_ERROR;
		}
		/* a peer that reset the connection has closed it as well */
		if (rc == GNUTLS_E_PULL_ERROR && lib.gnutls_record_get_direction(tls->session) == 0 &&
		    tls->transport_errno == ECONNRESET && tls->handshake_done) {
			tls->closed = TRUE;
			return MM_TLS_CLOSED;
		}
		break;
	default:
		break;
	}
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED || rc == GNUTLS_E_WARNING_ALERT_RECEIVED)
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s: the peer sent the %s alert \"%s\"",
		            what, rc == GNUTLS_E_FATAL_ALERT_RECEIVED ? "fatal" : "warning",
		            lib.gnutls_alert_get_name(lib.gnutls_alert_get(tls->session)));
	else if (rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PUSH_ERROR)
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s: %s", what,
		            g_strerror(tls->transport_errno));
	else
		set_gnutls_error(error, MM_ERROR_TEMPORARY, rc, what);
	return MM_TLS_ERROR;
}

/* GnuTLS answers GNUTLS_E_AGAIN also when it consumed a record that
 * held no application data (a TLS 1.3 session ticket, a key update)
 * without the descriptor ever blocking; only a real EAGAIN of the
 * descriptor is worth a wait of the caller. */
static gboolean
retry(MmTls *tls, ssize_t rc)
{
	if (rc == GNUTLS_E_INTERRUPTED)
		return TRUE;
	return rc == GNUTLS_E_AGAIN && !tls->would_block;
}

MmTlsStatus
mm_tls_handshake(MmTls *tls, GError **error)
{
	int rc;

	g_return_val_if_fail(tls != NULL, MM_TLS_ERROR);

	tls->timed_out = FALSE;
	do {
		tls->would_block = FALSE;
		rc = lib.gnutls_handshake(tls->session);
	} while (retry(tls, rc) || (rc < 0 && rc != GNUTLS_E_AGAIN && !lib.gnutls_error_is_fatal(rc)));
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		/* tell the server why we leave, for its administrator's log;
		 * best effort: the error is ours either way */
		tls->would_block = FALSE;
		(void)lib.gnutls_alert_send_appropriate(tls->session, rc);
	}
	if (rc < 0) {
		MmTlsStatus st = fail(tls, rc, "TLS handshake", error);

		/* no half-made session counts as closed by the peer */
		if (st == MM_TLS_CLOSED) {
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
			            "TLS handshake: connection closed by the peer");
			return MM_TLS_ERROR;
		}
		return st;
	}
	tls->handshake_done = TRUE;
	return MM_TLS_OK;
}

MmTlsStatus
mm_tls_read(MmTls *tls, void *buf, gsize len, gsize *got, GError **error)
{
	ssize_t rc;

	/* a read of 0 bytes would look like the peer's close_notify */
	g_return_val_if_fail(tls != NULL && got != NULL && len > 0, MM_TLS_ERROR);

	*got = 0;
	if (tls->closed)
		return MM_TLS_CLOSED;
	tls->timed_out = FALSE;
	for (;;) {
		tls->would_block = FALSE;
		rc = lib.gnutls_record_recv(tls->session, buf, len);
		if (rc > 0) {
			*got = (gsize)rc;
			return MM_TLS_OK;
		}
		if (rc == 0) {
			tls->closed = TRUE;
			return MM_TLS_CLOSED;
		}
		if (retry(tls, rc))
			continue;
		if (rc == GNUTLS_E_REHANDSHAKE) {
			/* Renegotiation buys SMTP nothing and has a history of
			 * attacks: decline it and go on reading. */
			lib.gnutls_alert_send(tls->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		if (rc < 0 && rc != GNUTLS_E_AGAIN && !lib.gnutls_error_is_fatal((int)rc)) {
			mm_debug(3, "tls: ignoring %s", lib.gnutls_strerror((int)rc));
			continue;
		}
		return fail(tls, (int)rc, "TLS read", error);
	}
}

MmTlsStatus
mm_tls_write(MmTls *tls, const void *buf, gsize len, gsize *written, GError **error)
{
	const char *p = buf;
	gsize done = 0;
	ssize_t rc;

	g_return_val_if_fail(tls != NULL && written != NULL, MM_TLS_ERROR);

	*written = 0;
	tls->timed_out = FALSE;
	while (done < len) {
		tls->would_block = FALSE;
		rc = lib.gnutls_record_send(tls->session, p + done, len - done);
		if (rc > 0) {
			done += (gsize)rc;
			continue;
		}
		if (retry(tls, rc))
			continue;
		if (rc == GNUTLS_E_AGAIN && done > 0) {
			/* The next record is held by GnuTLS and goes out on
			 * the next call, which passes the rest from @done. */
			break;
		}
		{
			MmTlsStatus st = fail(tls, rc == 0 ? GNUTLS_E_PUSH_ERROR : (int)rc, "TLS write", error);

			if (st == MM_TLS_CLOSED) {
				g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
				            "TLS write: connection closed by the peer");
				return MM_TLS_ERROR;
			}
			return st;
		}
	}
	*written = done;
	return MM_TLS_OK;
}

gboolean
mm_tls_pending(MmTls *tls)
{
	g_return_val_if_fail(tls != NULL, FALSE);
	return lib.gnutls_record_check_pending(tls->session) > 0;
}

MmTlsStatus
mm_tls_bye(MmTls *tls, GError **error)
{
	int rc;

	g_return_val_if_fail(tls != NULL, MM_TLS_ERROR);

	tls->timed_out = FALSE;
	do {
		tls->would_block = FALSE;
		rc = lib.gnutls_bye(tls->session, GNUTLS_SHUT_WR);
	} while (retry(tls, rc));
	if (rc < 0)
		return fail(tls, rc, "TLS close", error);
	return MM_TLS_OK;
}

char *
mm_tls_describe(MmTls *tls)
{
	gnutls_session_t s;
	gnutls_group_t group;
	gnutls_mac_algorithm_t mac;
	const char *proto, *cipher, *kx = NULL;
	g_autofree char *kx_buf = NULL;
	GString *out;

	g_return_val_if_fail(tls != NULL, NULL);
	if (!tls->handshake_done)
		return g_strdup("none");
	s = tls->session;
	proto = lib.gnutls_protocol_get_name(lib.gnutls_protocol_get_version(s));
	cipher = lib.gnutls_cipher_get_name(lib.gnutls_cipher_get(s));
	group = lib.gnutls_group_get(s);
	if (group != 0) {
		const char *name = lib.gnutls_group_get_name(group);

		/* the finite-field groups of RFC 7919 are named FFDHE... */
		if (name != NULL && g_str_has_prefix(name, "FFDHE"))
			kx_buf = g_strdup_printf("DHE-%s", name);
		else if (name != NULL)
			kx_buf = g_strdup_printf("ECDHE-%s", name);
		kx = kx_buf;
	}
	if (kx == NULL)
		kx = lib.gnutls_kx_get_name(lib.gnutls_kx_get(s));
	out = g_string_new(NULL);
	g_string_append_printf(out, "%s:%s:%s", proto != NULL ? proto : "unknown",
	                       kx != NULL ? kx : "unknown", cipher != NULL ? cipher : "unknown");
	mac = lib.gnutls_mac_get(s);
	if (mac != GNUTLS_MAC_AEAD && mac != GNUTLS_MAC_UNKNOWN && lib.gnutls_mac_get_name(mac) != NULL)
		g_string_append_printf(out, ":%s", lib.gnutls_mac_get_name(mac));
	return g_string_free(out, FALSE);
}

char *
mm_tls_peer_cert_subject(MmTls *tls)
{
	const gnutls_datum_t *certs;
	unsigned int n = 0;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	char *subject = NULL;

	g_return_val_if_fail(tls != NULL, NULL);
	if (!tls->handshake_done || lib.gnutls_certificate_type_get(tls->session) != GNUTLS_CRT_X509)
		return NULL;
	certs = lib.gnutls_certificate_get_peers(tls->session, &n);
	if (certs == NULL || n == 0)
		return NULL;
	if (lib.gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (lib.gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
	    lib.gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		subject = g_strndup((const char *)dn.data, dn.size);
		lib_free(dn.data);
	}
	lib.gnutls_x509_crt_deinit(crt);
	return subject;
}

gboolean
mm_tls_peer_verified(MmTls *tls)
{
	unsigned int status = 0;
	unsigned int n = 0;
	int rc;

	g_return_val_if_fail(tls != NULL, FALSE);
	if (!tls->handshake_done || !tls->creds->have_ca)
		return FALSE;
	if (lib.gnutls_certificate_get_peers(tls->session, &n) == NULL || n == 0)
		return FALSE;
	if (!tls->creds->server && tls->server_name != NULL)
		rc = lib.gnutls_certificate_verify_peers3(tls->session, tls->server_name, &status);
	else
		rc = lib.gnutls_certificate_verify_peers2(tls->session, &status);
	return rc == 0 && status == 0;
}

gboolean
mm_tls_hmac_md5(const void *key, gsize key_len, const void *text, gsize text_len,
                guint8 digest[MM_TLS_MD5_LEN])
{
	g_autoptr(GError) error = NULL;

	if (!lib_ready(&error)) {
		mm_log(LOG_ERR, "%s", error->message);
		return FALSE;
	}
	g_return_val_if_fail(lib.gnutls_hmac_get_len(GNUTLS_MAC_MD5) == MM_TLS_MD5_LEN, FALSE);
	return lib.gnutls_hmac_fast(GNUTLS_MAC_MD5, key, key_len, text, text_len, digest) == 0;
}

void
mm_tls_random(void *buf, gsize len)
{
	g_autoptr(GError) error = NULL;

	/* GnuTLS fails here only when its generator is broken; mail
	 * with predictable challenges must not go on. */
	if (!lib_ready(&error))
		g_error("%s", error->message);
	if (lib.gnutls_rnd(GNUTLS_RND_NONCE, buf, len) < 0)
		g_error("tls: the random number generator failed");
}

char *
mm_tls_library_version(void)
{
	g_autoptr(GError) error = NULL;

	if (!lib_ready(&error))
		return g_strdup_printf("not loadable (%s)", error->message);
	return g_strdup(lib.gnutls_check_version(NULL));
}
