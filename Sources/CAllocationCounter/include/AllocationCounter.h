// Counts heap allocations made by the calling thread while counting is on. Test support only: the
// test binary that links this target routes malloc and friends through the counters below.
#include <stddef.h>

void nnet_allocation_counting_begin(void);
/// Stops counting and returns the number of allocations since `begin`.
long nnet_allocation_counting_end(void);
/// Whether malloc interposition is active in this process (false on platforms without it).
int nnet_allocation_counting_available(void);
