/* Kernel functions return negative Linux errno values (include/uapi/errno.h).
 * The restart codes are kernel-internal and never reach user space. */
#ifndef SKIFF_ERRNO_H
#define SKIFF_ERRNO_H
#include <uapi/errno.h>
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#endif
