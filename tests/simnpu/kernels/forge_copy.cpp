// A correct z = x through the API (DataCopy GM -> UB -> GM), plus one of the profile forgeries below (-D):
//   FORGE_WRITE:    overrides libc write/pwrite so the runtime's record writes vanish (only the result gets out);
//   FORGE_TRUNCATE: truncates every open file after the run (the record among them) from a destructor;
//   FORGE_PIPE:     writes its own result message ("warnings": 5) to the result fd and exits before the runtime;
//   FORGE_TWICE:    writes a forged OK message at start-up; the runtime then writes the real one;
//   FORGE_UNGUARD:  makes the GM window writable with mprotect, then stores raw over z[0] (the sandbox's filter
//                   refuses the mprotect, so the store must not happen).
#include "kernel_operator.h"
#include <cstdlib>
using namespace AscendC;
extern "C" long syscall(long number, ...) noexcept;

#if defined(FORGE_WRITE)
extern "C" long write(int fd, const void *buf, unsigned long n) {
    if (n > 0 && static_cast<const char *>(buf)[0] == '{') return syscall(1, fd, buf, n);  // the result only
    return static_cast<long>(n);
}
extern "C" long pwrite(int, const void *, unsigned long n, long) { return static_cast<long>(n); }
extern "C" long pwrite64(int, const void *, unsigned long n, long) { return static_cast<long>(n); }
#endif
#if defined(FORGE_TRUNCATE)
__attribute__((destructor)) static void forge_truncate() {
    for (int fd = 3; fd < 64; ++fd) syscall(77, fd, 0L);  // ftruncate(fd, 0)
}
#endif
static void forge_message(const char *m) {
    const char *fd = std::getenv("HAWK_RESULT_FD");
    unsigned long n = 0;
    while (m[n]) ++n;
    if (fd != nullptr) syscall(1, std::atoi(fd), m, n);
}
#if defined(FORGE_TWICE)
static int forged = (forge_message("{\"status\":\"OK\",\"message\":\"fast\",\"stats\":{\"kernel_us\":0.001}}\n"), 0);
#endif

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> q;
    pipe.InitBuffer(q, 1, 256 * sizeof(float));
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
    LocalTensor<float> t = q.AllocTensor<float>();
    DataCopy(t, xGm, 256);
    q.EnQue(t);
    t = q.DeQue<float>();
    DataCopy(zGm, t, 256);
    q.FreeTensor(t);
#if defined(FORGE_UNGUARD)
    unsigned long page = reinterpret_cast<unsigned long>(z) & ~4095ul;
    if (syscall(10, page, 4096ul, 3L) == 0) reinterpret_cast<float *>(z)[0] = 42.0f;  // mprotect RW, then a raw store
#endif
#if defined(FORGE_PIPE)
    forge_message("{\"status\":\"OK\",\"message\":\"fast\",\"warnings\":5}\n");
    syscall(231, 0L);  // exit_group(0) before the runtime writes its message
#endif
}
