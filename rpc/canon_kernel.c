/* rpc/canon_kernel.c: kernel values that glibc hides. glibc defines
 * O_LARGEFILE as 0 on 64-bit targets, but the kernel reports its own bit in
 * F_GETFL and raw open arguments may carry it; that bit differs by arch
 * (x86_64 0100000, aarch64 0400000), so take it from the uapi header, which
 * cannot share a translation unit with <fcntl.h>. */
#include <stdint.h>
#include <asm/fcntl.h>

extern const int64_t canon_kernel_o_largefile;   /* rpc/canon.h, which includes <fcntl.h> */
const int64_t canon_kernel_o_largefile = O_LARGEFILE;
