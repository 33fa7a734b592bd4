/* rpc/addr.h: "HOST:PORT" as splitrun --shadow takes it. HOST is a host name, a numeric IPv4 address or an IPv6 address
 * in brackets ("[::1]:7001"); PORT is a number. Owns parsing and resolving
 * it (getaddrinfo); making the connection is the caller's. */
#ifndef SPLITRUN_RPC_ADDR_H
#define SPLITRUN_RPC_ADDR_H

#include <netdb.h>
#include <stdbool.h>

/* Stream socket addresses for SPEC, in the order to try them; PASSIVE:
 * for listening. Returns 0 with *AI (freeaddrinfo it), or -EINVAL (SPEC is
 * malformed: no ':', an empty host, an unclosed '[', a port that is not a
 * number from 0 to 65535), -ENXIO (the host name is unknown), -EAGAIN (the
 * name could not be resolved now), -ENOMEM or another -errno. */
int rpc_resolve(const char *spec, bool passive, struct addrinfo **ai);

/* Describes an error of rpc_resolve or of connecting: its own errnos in
 * words of names ("unknown host"), others as strerror. */
const char *rpc_addr_strerror(int err);

#endif
