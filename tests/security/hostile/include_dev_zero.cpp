// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: include_dev_zero
// class: compiler_bomb
// tries: #include </dev/zero>: the preprocessor reads an endless file
// expect: COMPILE_ERROR TIMEOUT
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "include_dev_zero"
#include </dev/zero>
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
