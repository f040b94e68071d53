/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Who may relay: the relay networks (relay_networks, or by default the
 * loopback networks and those of the host's own LAN interfaces), and
 * the decision for one recipient of an SMTP transaction. Mail for a
 * remote recipient is taken only from a client in the relay networks
 * or one that authenticated; everybody may send to local recipients.
 * An address whose local part routes onward (%, !, an @ in a quoted
 * local part) counts as remote, whatever its domain: that is how the
 * classic open-relay tricks disguise a remote recipient as a local one.
 *
 * The decision is a pure function; only mm_relay_nets_new_default()
 * looks at the system (getifaddrs()).
 */
#pragma once

#include <gio/gio.h>
#include <sys/socket.h>

#include "msg/address.h"

typedef struct _MmRelayNets MmRelayNets;

/* The networks of @items ("10.0.0.0/8", "::1", "2001:db8::/32"). An
 * empty list gives an empty set. NULL with MM_ERROR_CONFIG naming the
 * item that is not an address or address/prefix. */
MmRelayNets *mm_relay_nets_new(const char *const *items, GError **error);

/* The default: 127.0.0.0/8, ::1/128, and the network of every address
 * of every interface that is up and neither loopback nor point-to-point
 * (the LAN, not the dial-up link to the provider). Never fails; without
 * getifaddrs() it is the loopback networks only. */
MmRelayNets *mm_relay_nets_new_default(void);

/* Adds the network of one interface address (@addr with @netmask) when
 * @if_flags (IFF_*) say the interface is up and neither loopback nor
 * point-to-point. Other address families are ignored. For the default
 * set and for tests. */
void mm_relay_nets_add_interface(MmRelayNets *nets, const struct sockaddr *addr,
                                 const struct sockaddr *netmask, unsigned int if_flags);

/* One "address/prefix" item as a mask: NULL unless mm_netmask_check()
 * accepts @text. */
GInetAddressMask *mm_relay_net_parse(const char *text);

/* Adds one "address/prefix" item. FALSE with MM_ERROR_CONFIG. */
gboolean mm_relay_nets_add(MmRelayNets *nets, const char *item, GError **error);

/* TRUE when @address (text form; IPv4-mapped IPv6 addresses count as
 * IPv4) is in one of the networks. FALSE for text that is no address. */
gboolean mm_relay_nets_contains(const MmRelayNets *nets, const char *address);

/* The networks as "address/prefix" items joined with ';', for the log. */
char *mm_relay_nets_to_string(const MmRelayNets *nets);

void mm_relay_nets_free(MmRelayNets *nets);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmRelayNets, mm_relay_nets_free)

typedef enum {
	MM_RELAY_LOCAL,          /* a local recipient: taken from anybody */
	MM_RELAY_ALLOWED,        /* a remote recipient from a client that may relay */
	MM_RELAY_DENIED,         /* a remote recipient from a client that may not */
	MM_RELAY_DENIED_SENDER,  /* do_relay = false: remote sender to remote recipient */
} MmRelayVerdict;

/* TRUE when the local part of @addr routes onward: it holds '%', '!'
 * or '@' (the last only possible quoted). */
gboolean mm_relay_address_routes(const MmAddress *addr);

/* The decision for recipient @rcpt of a message from @sender.
 * @client_may_relay: the client is in the relay networks or has
 * authenticated. @do_relay is masqmail 1.0's option: when FALSE, a
 * sender that is not local may not send to a recipient that is not
 * local, whoever the client is. */
MmRelayVerdict mm_relay_check(const MmLocality *locality, gboolean client_may_relay, gboolean do_relay,
                              const MmAddress *sender, const MmAddress *rcpt);
