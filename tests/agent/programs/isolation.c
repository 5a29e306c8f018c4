/* Hostile and ordinary programs for tests/agent/test_isolation.py; each reports JSON on the result pipe. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void report(const char *json) {
    const char *fd = getenv("HAWK_RESULT_FD");
    if (fd) dprintf(atoi(fd), "%s", json);
}

static void *sleeper(void *arg) { sleep((unsigned)(long)arg); return NULL; }

static int try_open(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) return errno;
    if (flags & O_WRONLY) (void)!write(fd, "pwned", 5);
    else { char b[64]; (void)!read(fd, b, sizeof b); }
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    char buf[4096];
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "hold") && argc > 2) {  /* a tenant's evaluation: a secret in its work dir */
        int fd = open("secret.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        (void)!write(fd, "tenant-a-secret", 15);
        close(fd);
        sleep((unsigned)atoi(argv[2]));
        fd = open("secret.txt", O_RDONLY);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        char out[256];
        snprintf(out, sizeof out, "{\"intact\": %s}", strcmp(buf, "tenant-a-secret") == 0 ? "true" : "false");
        report(out);
        return 0;
    }
    if (!strcmp(mode, "snoop") && argc > 3) {  /* another tenant: read, overwrite and list */
        char path[1024];
        snprintf(path, sizeof path, "%s/secret.txt", argv[2]);
        int read_errno = try_open(path, O_RDONLY), write_errno = try_open(path, O_WRONLY | O_TRUNC);
        int listed = -1;
        DIR *d = opendir(argv[3]);
        if (d) { listed = 0; while (readdir(d)) listed++; closedir(d); }
        snprintf(buf, sizeof buf, "{\"read_errno\": %d, \"write_errno\": %d, \"listed\": %d}", read_errno,
                 write_errno, listed);
        report(buf);
        return 0;
    }
    if (!strcmp(mode, "threads") && argc > 3) {  /* starve: many sleeping threads */
        int want = atoi(argv[2]), made = 0;
        pthread_t t[512];
        for (int i = 0; i < want && i < 512; i++)
            if (pthread_create(&t[made], NULL, sleeper, (void *)(long)atoi(argv[3])) == 0) made++;
        for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
        snprintf(buf, sizeof buf, "{\"threads\": %d}", made);
        report(buf);
        return 0;
    }
    if (!strcmp(mode, "touch") && argc > 2) {  /* resident memory, not just address space */
        size_t mib = strtoull(argv[2], NULL, 10), done = 0;
        for (; done < mib; done++) {
            char *p = malloc(1 << 20);
            if (!p) break;
            memset(p, 1, 1 << 20);
        }
        snprintf(buf, sizeof buf, "{\"mib\": %zu}", done);
        report(buf);
        return 0;
    }
    if ((!strcmp(mode, "unix") || !strcmp(mode, "abstract")) && argc > 2) {
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        socklen_t len = sizeof a;
        if (!strcmp(mode, "abstract")) {
            strncpy(a.sun_path + 1, argv[2], sizeof a.sun_path - 2);
            len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(argv[2]));
        } else {
            strncpy(a.sun_path, argv[2], sizeof a.sun_path - 1);
        }
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        int rc = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, len);
        if (rc == 0) (void)!write(s, "pwned", 5);
        snprintf(buf, sizeof buf, "{\"connected\": %s, \"errno\": %d}", rc == 0 ? "true" : "false", rc ? errno : 0);
        report(buf);
        return 0;
    }
    if (!strcmp(mode, "write") && argc > 2) {
        snprintf(buf, sizeof buf, "{\"errno\": %d}", try_open(argv[2], O_WRONLY | O_CREAT | O_TRUNC));
        report(buf);
        return 0;
    }
    if (!strcmp(mode, "exec") && argc > 2) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "echo pwned > %s", argv[2]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        snprintf(buf, sizeof buf, "{\"exec_errno\": %d}", errno);
        report(buf);
        return 0;
    }
    if (!strcmp(mode, "ok")) { report("{\"ok\": true}"); return 0; }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
