// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: popen_shell
// class: exec
// tries: popen('cat <token file>') and print it
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "popen_shell"
#include <cstdio>
static void go() { FILE *p = ::popen("cat @TOKEN_FILE@; touch /tmp/@MARK@-popen_shell", "r"); if (p) { char b[256]; while (std::fgets(b, sizeof b, p)) std::fputs(b, stderr); ::pclose(p); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
