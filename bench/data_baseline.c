/*
 * data_baseline.c - the floor of benchmark 4: the simplest program moving
 * the same bytes the same way, on loopback TCP, in the same run.
 *
 *   data_baseline DIR MIB
 *
 * Writes DIR/base_in.dat (not timed). Then, timed: the parent sendfile()s
 * it over a loopback TCP connection to a child, which writes it to
 * DIR/base_recv.dat (recv + write), runs /bin/sh -c "cp base_recv.dat
 * base_copy.dat" there, and sendfile()s the copy back; the parent writes
 * it to DIR/base_back.dat. Prints base_data_s and base_data_mb_per_s (in
 * plus out bytes per second, MB = 1e6). Exit 1 when a byte differs.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"

#define CHUNK (128u << 10)
extern char **environ;

/* sendfile all n bytes of path to sock; 0 or -1. */
static int send_file(int sock, const char *path, uint64_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t off = 0;
	while (fd >= 0 && (uint64_t)off < n)
		if (sendfile(sock, fd, &off, n - (uint64_t)off) <= 0)
			break;
	if (fd >= 0)
		close(fd);
	return (uint64_t)off == n ? 0 : -1;
}

/* recv exactly n bytes from sock into a new file path; 0 or -1. */
static int recv_file(int sock, const char *path, uint64_t n)
{
	static char buf[CHUNK];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (fd >= 0 && n > 0) {
		ssize_t r = recv(sock, buf, n < CHUNK ? n : CHUNK, 0);
		if (r <= 0 || write(fd, buf, (size_t)r) != r)
			break;
		n -= (uint64_t)r;
	}
	if (fd >= 0)
		close(fd);
	return n == 0 ? 0 : -1;
}

/* Write mib MiB of xorshift bytes (the same generator as data.c). */
static int make_input(const char *path, long mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	uint64_t *blk = malloc(1u << 20), x = 0x9e3779b97f4a7c15ULL;
	int rc = fd < 0 || !blk ? -1 : 0;
	for (long i = 0; rc == 0 && i < mib; i++) {
		for (size_t j = 0; j < (1u << 20) / 8; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			blk[j] = x;
		}
		if (write(fd, blk, 1u << 20) != (ssize_t)(1u << 20))
			rc = -1;
	}
	free(blk);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The child: receive, copy with cp, send back. Exit status 0 or 1. */
static int child(int port, const char *dir, uint64_t n)
{
	char recvd[4096], cmd[8300];
	snprintf(recvd, sizeof recvd, "%s/base_recv.dat", dir);
	snprintf(cmd, sizeof cmd, "cd '%s' && cp base_recv.dat base_copy.dat", dir);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0 || recv_file(s, recvd, n) < 0)
		return 1;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	pid_t pid;
	int st;
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 || st != 0)
		return 1;
	snprintf(recvd, sizeof recvd, "%s/base_copy.dat", dir);
	int rc = send_file(s, recvd, n);
	close(s);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: data_baseline DIR MIB\n");
		return 2;
	}
	const char *dir = argv[1];
	uint64_t n = (uint64_t)atol(argv[2]) << 20;
	char in[4096], back[4096], p1[4096], p2[4096];
	snprintf(in, sizeof in, "%s/base_in.dat", dir);
	snprintf(back, sizeof back, "%s/base_back.dat", dir);
	snprintf(p1, sizeof p1, "%s/base_recv.dat", dir);
	snprintf(p2, sizeof p2, "%s/base_copy.dat", dir);
	if (make_input(in, atol(argv[2])) < 0)
		return 1;
	sync();   /* as data.c: no writeback of the input during the timed part */
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0)
		return 1;
	uint64_t t0 = bench_mono_us();
	pid_t pid = fork();
	if (pid == 0)
		_exit(child(ntohs(a.sin_port), dir, n));
	int s = accept(ls, NULL, NULL);
	int rc = s < 0 || send_file(s, in, n) < 0 || recv_file(s, back, n) < 0;
	int st;
	waitpid(pid, &st, 0);
	double secs = (double)(bench_mono_us() - t0) / 1e6;
	if (rc || st != 0) {
		fprintf(stderr, "data_baseline: the transfer failed\n");
		rc = 1;
	} else {
		printf("base_data_s %.3f\nbase_data_mb_per_s %.1f\n", secs, 2.0 * (double)n / secs / 1e6);
	}
	unlink(in);
	unlink(back);
	unlink(p1);
	unlink(p2);
	return rc;
}
