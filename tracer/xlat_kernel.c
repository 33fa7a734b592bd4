/* tracer/xlat_kernel.c: constants only the kernel's uapi headers have right
 * for the target. Kept apart because <asm/fcntl.h> clashes with <fcntl.h>. */
#include <asm/fcntl.h>
#include <stdint.h>

extern const uint64_t xlat_kernel_o_largefile;
const uint64_t xlat_kernel_o_largefile = O_LARGEFILE;
