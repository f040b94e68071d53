/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The one GError domain of masqmail. Whether a failure is temporary
 * (try again later, SMTP 4xx, EX_TEMPFAIL) or permanent (bounce, SMTP
 * 5xx) is decided once, where the error is made, by its code.
 */
#pragma once

#include <glib.h>

#define MM_ERROR (mm_error_quark())
GQuark mm_error_quark(void);

typedef enum {
	MM_ERROR_FAILED,     /* generic, permanent */
	MM_ERROR_TEMPORARY,  /* retry later: ENOSPC, EIO, 4xx, lost connection */
	MM_ERROR_PARSE,      /* malformed input (address, header, spool line) */
	MM_ERROR_CONFIG,     /* configuration error; message is "file:line: text" */
	MM_ERROR_LIMIT,      /* an input exceeded a limit of limits.h */
	MM_ERROR_LOCKED,     /* somebody else holds the lock */
	MM_ERROR_CORRUPT,    /* damaged spool entry */
	MM_ERROR_NOT_FOUND,
	MM_ERROR_PERMISSION,
} MmErrorCode;

/* Sets a GError from an errno value: ENOSPC, EDQUOT, EIO, EAGAIN, EINTR,
 * ENOMEM, EMFILE and ENFILE become MM_ERROR_TEMPORARY, ENOENT
 * MM_ERROR_NOT_FOUND, EACCES and EPERM MM_ERROR_PERMISSION, everything
 * else MM_ERROR_FAILED. The message is "<what>: <strerror>". */
void mm_error_set_errno(GError **error, int errnum, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* TRUE for the codes a caller should treat as "try again later". */
gboolean mm_error_is_temporary(const GError *error);
