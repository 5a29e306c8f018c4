// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: inline_asm_error
// class: compiler_bomb
// tries: an inline-asm typo: the assembler rejects it (candidate's fault, never INTERNAL)
// expect: COMPILE_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "inline_asm_error"
static void go() { asm volatile("movq %%rax, %%notaregister" ::: "memory"); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
