// Every argument shape the launch builder packs: 1/2/4/8-byte integers, floats, doubles, a
// by-value array struct and a pointer. Writes what it received into out[] for comparison with a
// CPU reference.
struct Vec3 { float v[3]; };
extern "C" __global__ void args(signed char i8, short i16, int i32, long long i64, unsigned char u8,
                                unsigned short u16, unsigned int u32, unsigned long long u64, float f32,
                                double f64, Vec3 v3, double* out) {
    if (threadIdx.x != 0 || blockIdx.x != 0) return;
    out[0] = i8; out[1] = i16; out[2] = i32; out[3] = (double)i64; out[4] = u8; out[5] = u16;
    out[6] = u32; out[7] = (double)u64; out[8] = f32; out[9] = f64;
    out[10] = v3.v[0]; out[11] = v3.v[1]; out[12] = v3.v[2];
}
