// libm functions that Swift's Glibc module leaves out (GNU extensions).
#include <math.h>

#if defined(__GLIBC__)
// sin and cos of one angle with one argument reduction; glibc computes both with the same
// algorithms as sin and cos, so the values are bitwise those of the separate calls.
extern void sincos(double x, double *sine, double *cosine);
static inline void nnet_sincos(double x, double *sine, double *cosine) { sincos(x, sine, cosine); }
#else
static inline void nnet_sincos(double x, double *sine, double *cosine) { *sine = sin(x); *cosine = cos(x); }
#endif
