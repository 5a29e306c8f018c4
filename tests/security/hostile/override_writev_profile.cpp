// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_writev_profile
// class: profile_forgery
// tries: override writev()/fwrite()/fflush() so buffered record and result writes vanish
// expect: WRONG_ANSWER SANDBOX_VIOLATION RUNTIME_ERROR COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_writev_profile"
#include <sys/uio.h>
#include <cstdio>

extern "C" ssize_t writev(int, const struct iovec *v, int c) { ssize_t n = 0; for (int i = 0; i < c; i++) n += v[i].iov_len; return n; }
extern "C" size_t fwrite(const void *, size_t s, size_t n, FILE *) { return s ? n : 0; }
extern "C" int fflush(FILE *) { return 0; }
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
