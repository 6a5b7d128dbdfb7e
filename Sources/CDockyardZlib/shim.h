// zlib, the SDK's system dependency (Debian: zlib1g-dev), for gzip-compressed layers.
#include <zlib.h>

// deflateInit2 is a macro; a function Swift can call.
static inline int dockyard_deflateInit2(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

// inflateInit2 for gzip streams (windowBits 15 + 16: gzip wrapper only).
static inline int dockyard_inflateInit2_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}
