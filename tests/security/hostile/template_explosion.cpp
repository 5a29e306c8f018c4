// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: template_explosion
// class: compiler_bomb
// tries: template recursion that instantiates 2^30 types
// expect: COMPILE_ERROR TIMEOUT
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "template_explosion"
#pragma GCC diagnostic ignored "-Wall"
template <int N, int M> struct E { static const long v = E<N - 1, 2 * M>::v + E<N - 1, 2 * M + 1>::v; };
template <int M> struct E<0, M> { static const long v = M; };
static const long boom = E<30, 0>::v;
#define HOSTILE_ENTRY() (void)boom
//@ADD_KERNEL@
