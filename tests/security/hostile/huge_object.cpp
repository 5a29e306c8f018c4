// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: huge_object
// class: compiler_bomb
// tries: a 1 GiB initialised static array (a huge object for the compile cache)
// expect: COMPILE_ERROR SANDBOX_VIOLATION TIMEOUT
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "huge_object"
__attribute__((used)) static char big[1u << 30] = {1};
#define HOSTILE_ENTRY() (void)big[0]
//@ADD_KERNEL@
