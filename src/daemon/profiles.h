/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Provider profiles from the configuration: each query_routes.NAME
 * connection becomes one netdetect profile, with the detection rules
 * of its route files (masqmail.route(5), "LINK DETECTION").
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "netdetect/netdetect.h"

/* One NdProfile* per query_routes.NAME, in configuration order, named
 * after the connection. A connection whose route files give no rule
 * gets the defaults (interfaces ppp*;ippp*, default route required).
 * Returns a GPtrArray that frees its profiles, or NULL with
 * MM_ERROR_CONFIG ("FILE:LINE: ...") when a rule does not parse or
 * route files of one connection contradict each other. */
GPtrArray *mm_profiles_load(const MmConf *conf, GError **error);
