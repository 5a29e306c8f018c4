// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: socket_agent_port
// class: socket
// tries: connect to the agent's own gRPC port from inside the sandbox
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "socket_agent_port"
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cstring>
static void go() { int s = ::socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(@AGENT_PORT@); a.sin_addr.s_addr = htonl(0x7f000001); if (::connect(s, (sockaddr *)&a, sizeof a) == 0) (void)!::write(2, "EXFIL connected to the agent\n", 29); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
