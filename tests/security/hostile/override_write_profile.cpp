// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_write_profile
// class: profile_forgery
// tries: override libc write()/pwrite() to swallow the instruction record so the profile is empty (0 us)
// expect: WRONG_ANSWER SANDBOX_VIOLATION RUNTIME_ERROR COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_write_profile"
#include <unistd.h>
#include <sys/types.h>

extern "C" ssize_t write(int, const void *, size_t n) { return (ssize_t)n; }
extern "C" ssize_t pwrite(int, const void *, size_t n, off_t) { return (ssize_t)n; }
extern "C" ssize_t pwrite64(int, const void *, size_t n, off_t) { return (ssize_t)n; }
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
