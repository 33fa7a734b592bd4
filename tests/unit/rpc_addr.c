/* tests/unit/rpc_addr.c: HOST:PORT as --shadow takes it
 * (rpc/addr.h): numeric IPv4, bracketed IPv6, a host name from /etc/hosts
 * ("localhost"), the port, and the malformed forms refused with EINVAL. */
#include "rpc/addr.h"
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Resolves SPEC; returns the error, and the first address's family and
 * port and text. */
static int resolve(const char *spec, bool passive, int *family, int *port, char *text, size_t size)
{
	struct addrinfo *ai;
	int rc = rpc_resolve(spec, passive, &ai);
	*family = -1;
	*port = -1;
	text[0] = 0;
	if (rc)
		return rc;
	*family = ai->ai_family;
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ai->ai_addr;
		*port = ntohs(s4->sin_port);
		inet_ntop(AF_INET, &s4->sin_addr, text, (socklen_t)size);
	} else if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ai->ai_addr;
		*port = ntohs(s6->sin6_port);
		inet_ntop(AF_INET6, &s6->sin6_addr, text, (socklen_t)size);
	}
	freeaddrinfo(ai);
	return 0;
}

int main(void)
{
	int family, port;
	char text[64];

	CHECK_EQ_INT(resolve("127.0.0.1:7001", false, &family, &port, text, sizeof text), 0, "numeric IPv4");
	CHECK(family == AF_INET && port == 7001, "  is AF_INET, port 7001");
	CHECK_EQ_STR(text, "127.0.0.1", "  address");
	CHECK_EQ_INT(resolve("[::1]:65535", false, &family, &port, text, sizeof text), 0, "bracketed IPv6");
	CHECK(family == AF_INET6 && port == 65535, "  is AF_INET6, port 65535");
	CHECK_EQ_STR(text, "::1", "  address");
	CHECK_EQ_INT(resolve("localhost:0", true, &family, &port, text, sizeof text), 0,
		     "a host name (localhost, from /etc/hosts), for listening");
	CHECK(port == 0 && (strcmp(text, "127.0.0.1") == 0 || strcmp(text, "::1") == 0),
	      "  a loopback address, port 0 (got %s)", text);
	CHECK_EQ_INT(resolve("0.0.0.0:80", true, &family, &port, text, sizeof text), 0, "the wildcard address");

	static const char *const malformed[] = {
		"127.0.0.1", "localhost", ":7001", "localhost:", "localhost:http", "localhost:65536",
		"localhost:123456", "localhost:-1", "localhost: 1", "[::1]", "[::1:7001", "::1]:7001",
		"::1:7001", "[]:7001", "[loc[al]host]:1", "1.2.3.4:7001x",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
		CHECK_EQ_INT(resolve(malformed[i], false, &family, &port, text, sizeof text), -EINVAL,
			     "malformed \"%s\" is EINVAL", malformed[i]);

	CHECK_EQ_STR(rpc_addr_strerror(-ENXIO), "unknown host", "ENXIO reads 'unknown host'");
	CHECK_EQ_STR(rpc_addr_strerror(-ECONNREFUSED), "Connection refused", "others read as strerror");
	return check_done();
}
