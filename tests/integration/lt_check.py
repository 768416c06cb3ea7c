"""libtorrent's verdict on existing data, for check_data.sh.

  /usr/bin/python3 lt_check.py <file.torrent> <save-path>

Adds the torrent to a python3-libtorrent session that talks to no one (no trackers are
contacted, no DHT, LSD, UPnP or NAT-PMP, listening on 127.0.0.1 only), lets it check the
data in <save-path> and prints, as one JSON list, the indices of the pieces it found
good. Point it at a copy of the data: libtorrent may create files of its own there.
"""

import json
import sys
import time

import libtorrent as lt


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": 0,
    })
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(argv[0])
    atp.save_path = argv[1]
    atp.trackers = []
    # Not paused (a paused torrent does not check) and not queued behind others.
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    handle = ses.add_torrent(atp)
    deadline = time.monotonic() + 60
    checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
    while True:
        status = handle.status()
        if status.state not in checking and status.has_metadata and not status.errc.value():
            break
        if status.errc.value():
            print(f"lt_check.py: {status.errc.message()}", file=sys.stderr)
            return 1
        if time.monotonic() > deadline:
            print("lt_check.py: libtorrent did not finish checking in 60 s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    print(json.dumps([i for i, have in enumerate(status.pieces) if have]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
