// bitflow/bitflow.hpp — the whole public API in one include.
#pragma once

#include "bitflow/announcer.hpp"
#include "bitflow/bencode.hpp"
#include "bitflow/create.hpp"
#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/message_reader.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/peer_id.hpp"
#include "bitflow/text.hpp"
#include "bitflow/tracker.hpp"
#include "bitflow/tracker_client.hpp"
#include "bitflow/tracker_list.hpp"
#include "bitflow/wire.hpp"
#include "bitflow/with_timeout.hpp"
