"""python3-libtorrent downloading by magnet link from one peer on 127.0.0.1: it must fetch
the metadata (BEP 9) from that peer, then the data. Run with /usr/bin/python3.

  lt_magnet_leecher.py MAGNET SAVE_PATH HOST:PORT TIMEOUT_S

Prints "lt_magnet_leecher: metadata in X s, complete in Y s" and exits 0 once every piece
has passed its hash check; exits 1 with the state reached on timeout.
"""

import sys
import time

import libtorrent as lt


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    uri, save_path, peer, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    host, _, port = peer.rpartition(":")
    session = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        # bitflow speaks plain TCP: no uTP attempt, no encrypted handshake first (each
        # would cost a failed try before the one that works).
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "out_enc_policy": 2,  # pe_disabled
        "in_enc_policy": 2,
    })
    params = lt.parse_magnet_uri(uri)
    params.save_path = save_path
    params.trackers = []
    handle = session.add_torrent(params)
    start = time.monotonic()
    metadata_at = None
    next_dial = 0.0
    while time.monotonic() - start < limit:
        now = time.monotonic()
        status = handle.status()
        if status.has_metadata and metadata_at is None:
            metadata_at = now - start
        if status.is_seeding:
            session.remove_torrent(handle)  # closes the files: everything is on disk
            print(f"lt_magnet_leecher: metadata in {metadata_at:.2f} s, "
                  f"complete in {now - start:.2f} s")
            return 0
        if now >= next_dial and status.num_peers == 0:
            handle.connect_peer((host, int(port)))
            next_dial = now + 5
        time.sleep(0.1)
    status = handle.status()
    print(f"lt_magnet_leecher: timed out after {limit} s: state {status.state}, "
          f"metadata {status.has_metadata}, progress {status.progress:.3f}, "
          f"peers {status.num_peers}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
