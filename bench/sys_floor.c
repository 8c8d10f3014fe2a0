/*
 * sys_floor.c - the kernel's floor under benchmark 2: what one TASK out and
 * one RESULT in cost the sending process on loopback TCP, with no master
 * logic at all.
 *
 *   sys_floor N MESSAGES
 *
 * A child echo process (one epoll loop, like bench/swarm) holds N loopback
 * connections and answers every 110-byte message (a TASK's size) at once
 * with 46 bytes (a RESULT's). The parent keeps one message in flight per
 * connection, with epoll, nonblocking recv and send with MSG_NOSIGNAL and
 * TCP_NODELAY, exactly the master's system calls per task (one epoll_wait
 * per batch, one recv, one send). Prints floor_cpu_us_per_msg (getrusage of
 * the parent, user + sys), floor_sys_us_per_msg and floor_msgs_per_s.
 * Built by hand (not in the Makefile's bench list):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -o build/bench/sys_floor bench/sys_floor.c
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define TASK_LEN 110
#define RESULT_LEN 46

/* The echo side: accept n connections, answer every TASK_LEN bytes with RESULT_LEN. */
static int echo(int lfd, int n)
{
	int ep = epoll_create1(0);
	char buf[64 << 10], res[RESULT_LEN];
	memset(res, 'r', sizeof res);
	int *have = calloc((size_t)n + 1024, sizeof *have);
	for (int i = 0; i < n; i++) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			return 1;
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = c };
		epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	}
	for (;;) {
		struct epoll_event evs[256];
		int k = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < k; i++) {
			int c = evs[i].data.fd;
			ssize_t r = recv(c, buf, sizeof buf, 0);
			if (r <= 0)
				return 0;
			have[c] += (int)r;
			while (have[c] >= TASK_LEN) {
				have[c] -= TASK_LEN;
				if (send(c, res, sizeof res, MSG_NOSIGNAL) != (ssize_t)sizeof res)
					return 1;
			}
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	long msgs = atol(argv[2]);
	bench_raise_nofile(2 * n + 256);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(echo(lfd, n));
	int ep = epoll_create1(0);
	int *fds = calloc((size_t)n, sizeof *fds), *have = calloc((size_t)2 * n + 1024, sizeof *have);
	char task[TASK_LEN], buf[64 << 10];
	memset(task, 't', sizeof task);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0)
			return 1;
		int one = 1;
		setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	uint64_t c0 = bench_cpu_us(), u0 = bench_user_us(), w0 = bench_mono_us();
	long sent = 0, done = 0;
	for (int i = 0; i < n && sent < msgs; i++, sent++)
		send(fds[i], task, sizeof task, MSG_NOSIGNAL);
	while (done < msgs) {
		struct epoll_event evs[256];
		int k = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < k; i++) {
			int c = evs[i].data.fd;
			ssize_t r = recv(c, buf, sizeof buf, MSG_DONTWAIT);
			if (r <= 0)
				continue;
			have[c] += (int)r;
			while (have[c] >= RESULT_LEN) {
				have[c] -= RESULT_LEN;
				done++;
				if (sent < msgs) {
					send(c, task, sizeof task, MSG_NOSIGNAL);
					sent++;
				}
			}
		}
	}
	uint64_t cpu = bench_cpu_us() - c0, user = bench_user_us() - u0;
	double wall = (double)(bench_mono_us() - w0) / 1e6;
	printf("floor_cpu_us_per_msg %.2f\nfloor_sys_us_per_msg %.2f\nfloor_msgs_per_s %.0f\n", (double)cpu / (double)msgs,
	       (double)(cpu - user) / (double)msgs, (double)msgs / wall);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}
