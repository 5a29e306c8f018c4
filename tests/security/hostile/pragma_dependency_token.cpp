// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: pragma_dependency_token
// class: secret
// tries: #pragma GCC dependency on the token file and #embed-like __has_include probing
// expect: OK COMPILE_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "pragma_dependency_token"
#if __has_include("@TOKEN_FILE@")
#define HAS_TOKEN 1
#endif
#pragma GCC dependency "@TOKEN_FILE@"
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
