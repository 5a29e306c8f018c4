// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: socket_inet_tcp
// class: socket
// tries: connect over TCP to a listener on the host's 127.0.0.1 and send the token file's name
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "socket_inet_tcp"
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cstring>
static void go() { int s = ::socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(@TCP_PORT@); a.sin_addr.s_addr = htonl(0x7f000001); if (::connect(s, (sockaddr *)&a, sizeof a) == 0) (void)!::write(s, "@MARK@", 32); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
