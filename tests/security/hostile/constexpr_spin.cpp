// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: constexpr_spin
// class: compiler_bomb
// tries: a constexpr loop of 2^62 iterations evaluated at compile time
// expect: COMPILE_ERROR TIMEOUT
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "constexpr_spin"
constexpr unsigned long spin() { unsigned long s = 0; for (unsigned long i = 0; i < (1ul << 62); i++) s += i; return s; }
static constexpr unsigned long spun = spin();
#define HOSTILE_ENTRY() (void)spun
//@ADD_KERNEL@
