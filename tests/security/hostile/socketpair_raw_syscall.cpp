// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: socketpair_raw_syscall
// class: socket
// tries: create a socket with the raw socket syscall, bypassing libc
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "socketpair_raw_syscall"
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cstring>
#include <sys/syscall.h>
static void go() { long s = ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); (void)s; }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
