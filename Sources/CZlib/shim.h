#include <zlib.h>

// deflateInit2/inflateInit2 are function-like macros Swift cannot call.
static inline int ledgerbot_deflate_init(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}
static inline int ledgerbot_inflate_init(z_streamp strm) {
    return inflateInit2(strm, MAX_WBITS);
}
// Raw inflate: the zlib header and trailer are read by the caller (see Inflater in Zlib.swift).
static inline int ledgerbot_inflate_init_raw(z_streamp strm) {
    return inflateInit2(strm, -MAX_WBITS);
}
