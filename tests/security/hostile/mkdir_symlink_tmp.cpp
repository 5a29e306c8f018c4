// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: mkdir_symlink_tmp
// class: write_outside
// tries: mkdir and symlink in /tmp (directory entries, no open)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "mkdir_symlink_tmp"
#include <sys/stat.h>
#include <unistd.h>
static void go() { ::mkdir("/tmp/@MARK@-mkdir_symlink_tmp", 0777); (void)!::symlink("/etc/passwd", "/tmp/@MARK@-mkdir_symlink_tmp.lnk"); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
