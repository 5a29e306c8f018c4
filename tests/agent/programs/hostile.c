/* Hostile behaviours for sandbox tests, one per mode (argv[1]); results go to the HAWK_RESULT_FD pipe. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...) {
    const char *fd = getenv("HAWK_RESULT_FD");
    if (!fd) return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (write(atoi(fd), buf, n) < 0) _exit(99);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "ok")) { report("{\"ok\": true}"); return 0; }
    if (!strcmp(mode, "fake")) {  /* a forged result on stdout, nothing on the pipe */
        printf("{\"status\": \"OK\", \"time_us\": 0.001}\n");
        return 0;
    }
    if (!strcmp(mode, "env")) {
        extern char **environ;
        report("{\"env\": [");
        for (char **e = environ; *e; e++) report("%s\"%.*s\"", e == environ ? "" : ",", (int)strcspn(*e, "=\"\\"), *e);
        report("]}");
        return 0;
    }
    if (!strcmp(mode, "loop")) { for (;;) {} }
    if (!strcmp(mode, "forkbomb")) { for (;;) fork(); }
    if (!strcmp(mode, "nproc")) {  /* how many children can exist at once */
        int n = 0;
        for (int i = 0; i < 500; i++) {
            pid_t p = fork();
            if (p == 0) { pause(); _exit(0); }
            if (p < 0) break;
            n++;
        }
        report("{\"children\": %d}", n);
        return 0;
    }
    if (!strcmp(mode, "escape")) {  /* a grandchild leaves the process group and lives on */
        pid_t p = fork();
        if (p == 0) {
            setsid();
            if (fork() == 0) { for (;;) pause(); }
            _exit(0);
        }
        waitpid(p, NULL, 0);
        report("{\"escaped\": true}");
        for (;;) pause();
    }
    if (!strcmp(mode, "memory")) {  /* allocate and touch until refused */
        long mib = 0;
        for (;;) {
            char *p = malloc(16 << 20);
            if (!p) break;
            memset(p, 1, 16 << 20);
            mib += 16;
            if (mib > (64L << 10)) break;
        }
        report("{\"mib\": %ld}", mib);
        return 0;
    }
    if (!strcmp(mode, "bigfile")) {
        int fd = open("big.bin", O_CREAT | O_WRONLY | O_TRUNC, 0600);
        static char block[1 << 20];
        for (int i = 0; i < 4096; i++) if (write(fd, block, sizeof block) < 0) break;
        report("{\"wrote\": true}");
        return 0;
    }
    if (!strcmp(mode, "write")) {  /* argv[2]: a path outside the work dir */
        int out = open(argc > 2 ? argv[2] : "/etc/hawk-pwned", O_CREAT | O_WRONLY | O_TRUNC, 0644);
        int errno_out = out < 0 ? errno : 0;
        int in = open("inside.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
        report("{\"outside_errno\": %d, \"inside_ok\": %s}", errno_out, in >= 0 ? "true" : "false");
        return 0;
    }
    if (!strcmp(mode, "connect")) {  /* argv[2]: a TCP port listening on the host's 127.0.0.1 */
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        int rc = connect(s, (struct sockaddr *)&a, sizeof a);
        report("{\"connected\": %s, \"errno\": %d}", rc == 0 ? "true" : "false", rc == 0 ? 0 : errno);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
