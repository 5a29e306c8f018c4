// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: shm_open_mmap
// class: write_outside
// tries: shm_open a POSIX shared-memory object (lands in /dev/shm) and map it
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "shm_open_mmap"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
static void go() { int fd = ::shm_open("/@MARK@-shm_open_mmap", O_CREAT | O_RDWR, 0666); if (fd >= 0) { (void)!::ftruncate(fd, 4096); ::close(fd); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
