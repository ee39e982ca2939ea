// malloc interposition for the allocation-count tests: definitions in the executable take
// precedence over libc's for every library in the process, and forward to glibc's own entry points.
#include "AllocationCounter.h"
#include <stdlib.h>  /* defines __GLIBC__, which the interposition below is conditional on */

#if defined(__linux__) && defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

// Per thread, so tests running in parallel on other threads do not count.
static _Thread_local int counting;
static _Thread_local long allocations;

static inline void count(void) {
    if (counting) allocations += 1;
}

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *pointer, size_t size) { count(); return __libc_realloc(pointer, size); }
void free(void *pointer) { __libc_free(pointer); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
    count();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer) return 12; /* ENOMEM */
    *result = pointer;
    return 0;
}

void nnet_allocation_counting_begin(void) {
    allocations = 0;
    counting = 1;
}
long nnet_allocation_counting_end(void) {
    counting = 0;
    return allocations;
}
int nnet_allocation_counting_available(void) { return 1; }
#else
void nnet_allocation_counting_begin(void) {}
long nnet_allocation_counting_end(void) { return 0; }
int nnet_allocation_counting_available(void) { return 0; }
#endif
