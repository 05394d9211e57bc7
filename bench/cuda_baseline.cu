// CUDA driver-API baseline for nvbare's bench/README.md figures. Built on the GPU machine with its
// own nvcc and linked to libcuda; never a dependency of the Rust crates.
//
//   nvcc -O2 -o cuda_baseline bench/cuda_baseline.cu -lcuda
//
// Prints `name value unit`, one per line, as examples/nvbare_baseline.rs does.
#include <cuda.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <vector>

#define CK(x) do { CUresult r_ = (x); if (r_ != CUDA_SUCCESS) { const char* s; cuGetErrorName(r_, &s); \
    fprintf(stderr, "%s failed: %s\n", #x, s); exit(1); } } while (0)

static const char* kPtx =
    ".version 7.0\n.target sm_70\n.address_size 64\n"
    ".visible .entry empty() { ret; }\n";

using clk = std::chrono::steady_clock;
static double us(clk::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

int main() {
    const int kLaunches = 10000;
    const size_t kBytes = 256u << 20;
    auto t0 = clk::now();
    CK(cuInit(0));
    CUdevice dev; CK(cuDeviceGet(&dev, 0));
    CUcontext ctx; CK(cuCtxCreate(&ctx, 0, dev));
    CUstream st; CK(cuStreamCreate(&st, CU_STREAM_NON_BLOCKING));
    printf("context_open_ms %.3f ms\n", us(clk::now() - t0) / 1e3);

    CUmodule mod; CK(cuModuleLoadData(&mod, kPtx));
    CUfunction f; CK(cuModuleGetFunction(&f, mod, "empty"));
    CK(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, st, nullptr, nullptr));
    CK(cuStreamSynchronize(st));

    auto t = clk::now();
    for (int i = 0; i < kLaunches; i++) CK(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, st, nullptr, nullptr));
    auto cpu = clk::now() - t;
    CK(cuStreamSynchronize(st));
    printf("cpu_time_per_launch_us %.3f us\n", us(cpu) / kLaunches);

    std::vector<double> lat;
    for (int i = 0; i < 1000; i++) {
        t = clk::now();
        CK(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, st, nullptr, nullptr));
        CK(cuStreamSynchronize(st));
        lat.push_back(us(clk::now() - t));
    }
    std::sort(lat.begin(), lat.end());
    printf("empty_launch_to_completion_us %.3f us\n", lat[lat.size() / 2]);

    // Pageable host memory, as nvbare's Vec-based copies use.
    std::vector<unsigned char> host(kBytes), back(kBytes);
    for (size_t i = 0; i < kBytes; i++) host[i] = (unsigned char)(i % 251);
    CUdeviceptr a, b; CK(cuMemAlloc(&a, kBytes)); CK(cuMemAlloc(&b, kBytes));
    double gb = kBytes / 1e9;
    t = clk::now(); CK(cuMemcpyHtoD(a, host.data(), kBytes)); CK(cuCtxSynchronize());
    printf("h2d_bandwidth %.2f GB/s\n", gb / (us(clk::now() - t) / 1e6));
    t = clk::now(); CK(cuMemcpyDtoH(back.data(), a, kBytes));
    printf("d2h_bandwidth %.2f GB/s\n", gb / (us(clk::now() - t) / 1e6));
    t = clk::now(); CK(cuMemcpyDtoD(b, a, kBytes)); CK(cuCtxSynchronize());
    printf("d2d_bandwidth %.2f GB/s\n", 2 * gb / (us(clk::now() - t) / 1e6));
    if (back != host) { fprintf(stderr, "round trip mismatch\n"); return 1; }
    CK(cuMemFree(a)); CK(cuMemFree(b)); CK(cuModuleUnload(mod)); CK(cuCtxDestroy(ctx));
    return 0;
}
