/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "base/error.h"

G_DEFINE_QUARK(masqmail-error-quark, mm_error)

static MmErrorCode
code_for_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
	case EIO:
	case EAGAIN:
	case EINTR:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
		return MM_ERROR_TEMPORARY;
	case ENOENT:
		return MM_ERROR_NOT_FOUND;
	case EACCES:
	case EPERM:
		return MM_ERROR_PERMISSION;
	default:
		return MM_ERROR_FAILED;
	}
}

void
mm_error_set_errno(GError **error, int errnum, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *what = NULL;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, MM_ERROR, code_for_errno(errnum), "%s: %s", what, g_strerror(errnum));
}

gboolean
mm_error_is_temporary(const GError *error)
{
	return error != NULL && error->domain == MM_ERROR &&
	       (error->code == MM_ERROR_TEMPORARY || error->code == MM_ERROR_LOCKED);
}
