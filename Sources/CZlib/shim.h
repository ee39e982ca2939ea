// System zlib, used for gzip-compressed IDX datasets and PNG output.
#include <zlib.h>
