// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: include_token_file
// class: secret
// tries: #include the token file so that the diagnostic quotes it
// expect: COMPILE_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "include_token_file"
#include "@TOKEN_FILE@"
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
