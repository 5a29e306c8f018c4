// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: include_dev_stdin
// class: compiler_bomb
// tries: #include </dev/stdin> and </proc/self/fd/0>: read the compiler's stdin (empty in a sandbox: OK is fine)
// expect: COMPILE_ERROR TIMEOUT OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "include_dev_stdin"
#include </dev/stdin>
#include </proc/self/fd/0>
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
