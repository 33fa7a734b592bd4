/* rpc/addr.c: implements rpc/addr.h. */
#include "rpc/addr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int rpc_resolve(const char *spec, bool passive, struct addrinfo **ai)
{
	const char *colon = strrchr(spec, ':');
	if (!colon)
		return -EINVAL;
	const char *h = spec;
	size_t hl = (size_t)(colon - spec);
	if (hl && h[0] == '[') {
		/* An IPv6 address has colons of its own: it is bracketed
		 * (and one that is not is refused below: "::1:7001" could
		 * be an address without a port). */
		if (hl < 2 || h[hl - 1] != ']')
			return -EINVAL;
		h++;
		hl -= 2;
	}
	char host[NI_MAXHOST];
	if (!hl || hl >= sizeof host || memchr(h, '[', hl) || memchr(h, ']', hl) ||
	    (h == spec && memchr(h, ':', hl)))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	const char *port = colon + 1;
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || strtoul(port, NULL, 10) > 65535)
		return -EINVAL;
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
	};
	/* No AI_ADDRCONFIG: it would hide ::1 on a machine whose only IPv6
	 * address is the loopback one. */
	switch (getaddrinfo(host, port, &hints, ai)) {
	case 0:
		return 0;
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
	case EAI_FAIL:
		return -ENXIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	default:
		return -EINVAL;
	}
}

const char *rpc_addr_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case ENXIO:
		return "unknown host";
	case EAGAIN:
		return "the host name cannot be resolved now (try again)";
	default:
		return strerror(err);
	}
}
