// bitflow/bitflow.hpp — the whole public API in one include.
#pragma once

#include "bitflow/bencode.hpp"
#include "bitflow/create.hpp"
#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/text.hpp"
