/* eventfd ABI (linux/eventfd.h). */
#ifndef UAPI_EVENTFD_H
#define UAPI_EVENTFD_H

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC   02000000  /* O_CLOEXEC */
#define EFD_NONBLOCK  00004000  /* O_NONBLOCK */

#endif
