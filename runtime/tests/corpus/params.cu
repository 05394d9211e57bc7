// Parameter layouts: pointers, scalars of every width, structs by value, a 4 KiB parameter block.
struct Pair { char c; double d; };              // 16 bytes, align 8
struct __align__(16) Vec4 { float x, y, z, w; }; // 16 bytes, align 16
struct Odd { unsigned char b[3]; };              // 3 bytes, align 1
struct Big { int v[1020]; };                     // 4080 bytes: with the pointer and int below, 4096 bytes of params

extern "C" __global__ void scalars(signed char a, short b, int c, long long d, unsigned char e, unsigned short f,
                                   unsigned int g, unsigned long long h, float i, double j, bool k, long long *out)
{
    out[threadIdx.x] = a + b + c + d + e + f + g + h + (long long)i + (long long)j + k;
}

extern "C" __global__ void structs(Pair p, char gap, Vec4 v, Odd o, float *out)
{
    out[0] = p.c + (float)p.d + gap + v.x + v.y + v.z + v.w + o.b[0] + o.b[1] + o.b[2];
}

extern "C" __global__ void big_params(int *out, Big big, int n)
{
    int acc = 0;
    for (int i = 0; i < n && i < 1020; i++)
        acc += big.v[i];
    out[blockIdx.x] = acc;
}

extern "C" __global__ void no_params() {}

template <typename T> __global__ void axpy(T a, const T *x, T *y, unsigned n)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = a * x[i] + y[i];
}
template __global__ void axpy<float>(float, const float *, float *, unsigned);
template __global__ void axpy<double>(double, const double *, double *, unsigned);
