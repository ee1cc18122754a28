#include <zlib.h>

// inflateInit is a macro (it passes the library's version and the stream's size): a function
// Swift can call.
static inline int sceneflow_inflate_init(z_stream *stream) { return inflateInit(stream); }
