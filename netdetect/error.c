/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The ND_ERROR domain.
 */
#include "config.h"

#include "netdetect/error.h"

G_DEFINE_QUARK(nd-error-quark, nd_error)
