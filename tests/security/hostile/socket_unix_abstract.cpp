// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: socket_unix_abstract
// class: socket
// tries: connect to a host abstract unix socket (no path, so no mount namespace hides it)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "socket_unix_abstract"
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cstring>
static void go() { int s = ::socket(AF_UNIX, SOCK_STREAM, 0); sockaddr_un a{}; a.sun_family = AF_UNIX; const char n[] = "@ABSTRACT@"; std::memcpy(a.sun_path + 1, n, sizeof n - 1); if (::connect(s, (sockaddr *)&a, sizeof(sa_family_t) + sizeof n) == 0) (void)!::write(s, "@MARK@", 32); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
