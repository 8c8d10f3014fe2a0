/*
 * catalog_client_test.c - host lists, picking masters out of /query.json,
 * and the advertiser sending over UDP (small) and TCP (large) to local
 * sockets standing in for a catalog.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catalog_client.h"
#include "testing.h"
#include "work_queue.h"

static void test_parse_hosts(void)
{
	struct wqi_catalog_host h[4];
	CHECK_EQ_INT(wqi_catalog_parse_hosts("a.example:1234", 9097, h, 4), 1);
	CHECK_EQ_STR(h[0].host, "a.example");
	CHECK_EQ_INT(h[0].port, 1234);
	CHECK_EQ_INT(wqi_catalog_parse_hosts(" a , b:2 ,c", 9097, h, 4), 3);
	CHECK_EQ_STR(h[0].host, "a");
	CHECK_EQ_INT(h[0].port, 9097);
	CHECK_EQ_STR(h[1].host, "b");
	CHECK_EQ_INT(h[1].port, 2);
	CHECK_EQ_STR(h[2].host, "c");
	CHECK_EQ_INT(wqi_catalog_parse_hosts("", 9097, h, 4), WQ_EINVAL);
	CHECK_EQ_INT(wqi_catalog_parse_hosts(",,", 9097, h, 4), WQ_EINVAL);
	CHECK_EQ_INT(wqi_catalog_parse_hosts("a:0", 9097, h, 4), WQ_EINVAL);
	CHECK_EQ_INT(wqi_catalog_parse_hosts("a:70000", 9097, h, 4), WQ_EINVAL);
	CHECK_EQ_INT(wqi_catalog_parse_hosts("a:x", 9097, h, 4), WQ_EINVAL);
	CHECK_EQ_INT(wqi_catalog_parse_hosts(":5", 9097, h, 4), WQ_EINVAL);
	CHECK_EQ_INT(wqi_catalog_parse_hosts("a,b,c,d,e", 9097, h, 4), WQ_EINVAL);
}

static void test_env_hosts(void)
{
	unsetenv("CATALOG_HOST");
	CHECK(wqi_catalog_env_hosts() == NULL);
	setenv("CATALOG_HOST", "cat1,cat2:99", 1);
	setenv("CATALOG_PORT", "1000", 1);
	char *s = wqi_catalog_env_hosts();
	CHECK_EQ_STR(s, "cat1:1000,cat2:99");
	free(s);
	unsetenv("CATALOG_PORT");
	setenv("CATALOG_HOST", "cat1", 1);
	s = wqi_catalog_env_hosts();
	CHECK_EQ_STR(s, "cat1:9097");
	free(s);
	unsetenv("CATALOG_HOST");
}

static void test_pick(void)
{
	const char *json =
		"[{\"type\":\"wq_master\",\"project\":\"proj-1\",\"name\":\"old\",\"port\":1,\"lastheardfrom\":100,\"address\":\"10.0.0.1\"},"
		"{\"type\":\"wq_master\",\"project\":\"proj-1\",\"name\":\"new\",\"port\":2,\"lastheardfrom\":200,\"address\":\"10.0.0.2\"},"
		"{\"type\":\"wq_master\",\"project\":\"xproj-1\",\"name\":\"n\",\"port\":3,\"lastheardfrom\":300},"
		"{\"type\":\"other\",\"project\":\"proj-2\",\"name\":\"n\",\"port\":4,\"lastheardfrom\":400},"
		"{\"type\":\"wq_master\",\"project\":\"proj-3\",\"name\":\"n\",\"port\":99999,\"lastheardfrom\":500},"
		"{\"type\":\"wq_master\",\"project\":\"proj-4\",\"name\":\"gone\",\"port\":5,\"state\":\"gone\"},"
		"7]";
	regex_t re;
	char err[128];
	CHECK_EQ_INT(wqi_catalog_regcomp(&re, "proj-[0-9]+", err, sizeof err), 0);
	struct wqi_catalog_master m[8];
	int n = wqi_catalog_pick(json, strlen(json), &re, m, 8);
	CHECK_EQ_INT(n, 2); /* not xproj-1 (whole name), not type other, not a bad port, not gone */
	CHECK_EQ_STR(m[0].name, "new");
	CHECK_EQ_INT(m[0].port, 2);
	CHECK_EQ_STR(m[0].address, "10.0.0.2");
	CHECK_EQ_STR(m[1].name, "old");
	/* with room for one, the newest is kept */
	n = wqi_catalog_pick(json, strlen(json), &re, m, 1);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(m[0].name, "new");
	CHECK_EQ_INT(wqi_catalog_pick("{}", 2, &re, m, 8), WQ_EPROTO);
	CHECK_EQ_INT(wqi_catalog_pick("[", 1, &re, m, 8), WQ_EPROTO);
	CHECK_EQ_INT(wqi_catalog_pick("[]", 2, &re, m, 8), 0);
	regfree(&re);
	CHECK_EQ_INT(wqi_catalog_regcomp(&re, "a(b", err, sizeof err), WQ_EINVAL);
}

/* A UDP socket and a TCP listener on one loopback port: a stand-in catalog. */
static int fake_catalog(int *udp, int *tcp)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t al = sizeof a;
	if (bind(*tcp, (struct sockaddr *)&a, sizeof a) < 0 || listen(*tcp, 4) < 0 || getsockname(*tcp, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (bind(*udp, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	return ntohs(a.sin_port);
}

static void test_advertise_udp_and_tcp(void)
{
	int udp, tcp;
	int port = fake_catalog(&udp, &tcp);
	CHECK(port > 0);
	char hosts[64];
	snprintf(hosts, sizeof hosts, "127.0.0.1:%d", port);
	struct wqi_catalog *c = wqi_catalog_create(hosts);
	CHECK(c != NULL);
	if (!c)
		return;
	const char *small = "{\"type\":\"wq_master\",\"project\":\"p\",\"port\":1}";
	CHECK_EQ_INT(wqi_catalog_send(c, small, strlen(small)), 1); /* numeric: no look-up needed */
	char buf[4096];
	struct pollfd pf = { udp, POLLIN, 0 };
	CHECK(poll(&pf, 1, 2000) == 1);
	ssize_t r = recv(udp, buf, sizeof buf, MSG_DONTWAIT);
	CHECK_EQ_INT(r, (long long)strlen(small));
	CHECK(r > 0 && memcmp(buf, small, (size_t)r) == 0);

	/* over the UDP limit: TCP, from the thread */
	size_t big_n = WQI_CATALOG_UDP_MAX + 500;
	char *big = malloc(big_n);
	memset(big, ' ', big_n);
	big[0] = '{';
	big[big_n - 1] = '}';
	CHECK_EQ_INT(wqi_catalog_send(c, big, big_n), 1);
	struct pollfd pt = { tcp, POLLIN, 0 };
	CHECK(poll(&pt, 1, 5000) == 1);
	int fd = accept(tcp, NULL, NULL);
	size_t got = 0;
	while (fd >= 0) {
		struct pollfd pr = { fd, POLLIN, 0 };
		if (poll(&pr, 1, 5000) != 1)
			break;
		r = recv(fd, buf, sizeof buf, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	CHECK_EQ_INT(got, big_n);
	if (fd >= 0)
		close(fd);
	free(big);

	/* the final update, then the thread ends by itself */
	const char *gone = "{\"state\":\"gone\"}";
	wqi_catalog_delete(c, gone, strlen(gone));
	CHECK(poll(&pf, 1, 2000) == 1);
	r = recv(udp, buf, sizeof buf, MSG_DONTWAIT);
	CHECK(r == (ssize_t)strlen(gone) && memcmp(buf, gone, (size_t)r) == 0);
	usleep(100000); /* let the thread leave before the leak check */
	close(udp);
	close(tcp);
}

/* A name that needs a look-up: the first update reaches it once resolved. */
static void test_advertise_by_name(void)
{
	int udp, tcp;
	int port = fake_catalog(&udp, &tcp);
	char hosts[64];
	snprintf(hosts, sizeof hosts, "localhost:%d", port);
	struct wqi_catalog *c = wqi_catalog_create(hosts);
	CHECK(c != NULL);
	if (!c)
		return;
	const char *ad = "{\"type\":\"wq_master\",\"project\":\"byname\",\"port\":1}";
	wqi_catalog_send(c, ad, strlen(ad)); /* may be before the look-up: the thread sends it after */
	char buf[512];
	struct pollfd pf = { udp, POLLIN, 0 };
	CHECK(poll(&pf, 1, 5000) == 1);
	ssize_t r = recv(udp, buf, sizeof buf, MSG_DONTWAIT);
	CHECK(r == (ssize_t)strlen(ad) && memcmp(buf, ad, (size_t)r) == 0);
	wqi_catalog_delete(c, NULL, 0);
	usleep(100000);
	close(udp);
	close(tcp);
}

static void test_bad_list(void)
{
	CHECK(wqi_catalog_create("") == NULL);
	CHECK(wqi_catalog_create("h:0") == NULL);
}

static const struct wqi_test tests[] = {
	TEST(test_parse_hosts),
	TEST(test_env_hosts),
	TEST(test_pick),
	TEST(test_advertise_udp_and_tcp),
	TEST(test_advertise_by_name),
	TEST(test_bad_list),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
