// Test host program of a direct-launch pair: it prepares its own data with AscendCL, launches the kernel of the
// other file with <<<>>> and reads the result back. On the twin the task's inputs replace the data it copied in.
#include <cstdio>
#include <vector>

#include "acl/acl.h"
#include "kernel_operator.h"

extern "C" __global__ __aicore__ void vadd_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t n);

static bool Check(aclError e, const char* what)
{
    if (e != ACL_SUCCESS) {
        std::printf("%s failed: %d\n", what, e);
    }
    return e == ACL_SUCCESS;
}

int main()
{
    const uint32_t n = 2048;
    const uint32_t blockDim = 8;
    size_t bytes = n * sizeof(float);
    std::vector<float> host(n, 1.0f), out(n, 0.0f);
    aclrtStream stream = nullptr;
    if (!Check(aclInit(nullptr), "aclInit") || !Check(aclrtSetDevice(0), "aclrtSetDevice") ||
        !Check(aclrtCreateStream(&stream), "aclrtCreateStream")) {
        return 1;
    }
    uint8_t *x = nullptr, *y = nullptr, *z = nullptr;
    if (!Check(aclrtMalloc((void**)&x, bytes, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMalloc x") ||
        !Check(aclrtMalloc((void**)&y, bytes, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMalloc y") ||
        !Check(aclrtMalloc((void**)&z, bytes, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMalloc z")) {
        return 1;
    }
    Check(aclrtMemcpy(x, bytes, host.data(), bytes, ACL_MEMCPY_HOST_TO_DEVICE), "aclrtMemcpy x");
    Check(aclrtMemcpy(y, bytes, host.data(), bytes, ACL_MEMCPY_HOST_TO_DEVICE), "aclrtMemcpy y");
    Check(aclrtMemset(z, bytes, 0, bytes), "aclrtMemset z");
    vadd_custom<<<blockDim, nullptr, stream>>>(x, y, z, n);
    Check(aclrtSynchronizeStream(stream), "aclrtSynchronizeStream");
    Check(aclrtMemcpy(out.data(), bytes, z, bytes, ACL_MEMCPY_DEVICE_TO_HOST), "aclrtMemcpy z");
    std::printf("z[0] = %f\n", out[0]);
    aclrtFree(x);
    aclrtFree(y);
    aclrtFree(z);
    aclrtDestroyStream(stream);
    aclrtResetDevice(0);
    aclFinalize();
    return 0;
}
