// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: mmap_noreserve_touch
// class: starvation
// tries: mmap 16 GiB with MAP_NORESERVE and touch every page
// expect: SANDBOX_VIOLATION RUNTIME_ERROR TIMEOUT
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "mmap_noreserve_touch"
#include <sys/mman.h>
static void go() { size_t n = size_t(16) << 30; char *p = (char *)::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0); if (p == MAP_FAILED) { for (;;) { char *q = new char[1 << 30]; for (size_t i = 0; i < (1u << 30); i += 4096) q[i] = 1; } } for (size_t i = 0; i < n; i += 4096) p[i] = 1; }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
