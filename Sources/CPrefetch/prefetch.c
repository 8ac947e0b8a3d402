// The prefetch hint is a static inline function in include/cprefetch.h; SwiftPM needs one source file per C target.
#include "cprefetch.h"
