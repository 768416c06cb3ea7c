// The S3 client's error codes (category "s3") live in the public bitflow/s3_types.hpp:
// the pure cores and the client report the same codes.
#pragma once

#include "bitflow/s3_types.hpp"
