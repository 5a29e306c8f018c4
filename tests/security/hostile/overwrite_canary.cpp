// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: overwrite_canary
// class: write_outside
// tries: truncate and rewrite a world-writable canary file on the host
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "overwrite_canary"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
static void go() { int fd = ::open("@CANARY@", O_WRONLY | O_TRUNC); if (fd >= 0) { (void)!::write(fd, "pwned", 5); ::close(fd); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
