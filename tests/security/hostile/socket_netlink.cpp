// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: socket_netlink
// class: socket
// tries: open a netlink route socket (to read or change host interfaces)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "socket_netlink"
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cstring>
#include <linux/netlink.h>
static void go() { int s = ::socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE); (void)s; }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
