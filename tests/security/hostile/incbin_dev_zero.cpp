// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: incbin_dev_zero
// class: compiler_bomb
// tries: .incbin /dev/zero: the assembler reads forever
// expect: COMPILE_ERROR TIMEOUT
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "incbin_dev_zero"
asm(".section .rodata\n.incbin \"/dev/zero\"\n.previous\n");
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
