// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: incbin_token
// class: compiler_bomb
// tries: .incbin the agent's token file into the binary and print it at run time
// expect: COMPILE_ERROR RUNTIME_ERROR HARDWARE_EXCEPTION SANDBOX_VIOLATION OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "incbin_token"
#include <cstdio>
asm(".section .rodata\n.global hawk_blob\nhawk_blob:\n.incbin \"@TOKEN_FILE@\"\n.byte 0\n.previous\n");
extern "C" const char hawk_blob[];
#define HOSTILE_ENTRY() (std::fprintf(stderr, "EXFIL %s\n", hawk_blob), std::fflush(stderr))
//@ADD_KERNEL@
