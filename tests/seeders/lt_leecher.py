"""A python3-libtorrent leecher on 127.0.0.1: the reference client of the seeder self-test
and of bench/download_bench.sh.

Run it with /usr/bin/python3 (Debian's python3-libtorrent is importable only there).

  lt_leecher.py --torrent T --save-path DIR --peer HOST:PORT [--peer ...] [options]

It downloads T into DIR from the given peers only (DHT, LSD, UPnP, NAT-PMP, uTP and the
torrent's trackers are not used; it dials each peer itself and dials again when the
connection drops), waits until every piece has passed its hash check, removes the torrent
from the session (so the files are closed and written out) and prints one line:

  lt_leecher: done in 1.234 s, 20983865 bytes, 16.2 MiB/s, 0 hash failures

Options:
  --timeout S         give up after S seconds (default 120): exit 1 with the progress
  --high-performance  apply lt.high_performance_seed() (libtorrent's only high-throughput
                      preset; it raises queue depths, buffers and cache limits)
  --no-encryption     never try an encrypted (MSE/PE) handshake: by default libtorrent
                      dials with one first and, when the peer does not speak it, dials
                      again in plain text about 1 s later
  --quiet             print only the final line (and errors)

Exit status: 0 when the download is complete, 1 on failure or timeout, 2 on bad usage.
"""

import argparse
import sys
import time

import libtorrent as lt

HOST = "127.0.0.1"


def parse_peer(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"not HOST:PORT: '{text}'")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description="python3-libtorrent leecher on 127.0.0.1")
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--peer", type=parse_peer, action="append", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--high-performance", action="store_true")
    ap.add_argument("--no-encryption", action="store_true")
    # MSE/PE required both ways, RC4 only: plain handshakes and plaintext MSE refused.
    ap.add_argument("--forced-encryption", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    start = time.monotonic()
    settings = {}
    if args.high_performance:
        settings.update(lt.high_performance_seed())
    settings.update({
        "listen_interfaces": f"{HOST}:0",
        "outgoing_interfaces": HOST,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": (lt.alert.category_t.error_notification
                       | lt.alert.category_t.status_notification
                       | lt.alert.category_t.storage_notification),
        "user_agent": "bitflow-tests lt_leecher",
    })
    if args.no_encryption:
        settings["out_enc_policy"] = lt.enc_policy.disabled
        settings["in_enc_policy"] = lt.enc_policy.disabled
    if args.forced_encryption:
        settings["out_enc_policy"] = lt.enc_policy.forced
        settings["in_enc_policy"] = lt.enc_policy.forced
        settings["allowed_enc_level"] = lt.enc_level.rc4
        settings["prefer_rc4"] = True
    ses = lt.session(settings)

    ti = lt.torrent_info(args.torrent)
    params = lt.add_torrent_params()
    params.ti = ti
    params.save_path = args.save_path
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    params.flags |= lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd \
        | lt.torrent_flags.disable_pex
    handle = ses.add_torrent(params)
    # Peers are given on the command line; announcing would only wait for timeouts.
    handle.replace_trackers([])

    hash_failures = 0
    deadline = start + args.timeout
    next_dial = 0.0
    next_report = start + 5
    finished = False
    while time.monotonic() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, lt.hash_failed_alert):
                hash_failures += 1
                if not args.quiet:
                    print(f"lt_leecher: {a.message()}", flush=True)
            elif isinstance(a, (lt.file_error_alert, lt.torrent_error_alert)):
                print(f"lt_leecher: {a.message()}", file=sys.stderr)
                return 1
        st = handle.status()
        if st.is_seeding:
            finished = True
            break
        now = time.monotonic()
        if now >= next_dial:
            connected = {(p.ip[0], p.ip[1]) for p in handle.get_peer_info()}
            for peer in args.peer:
                if peer not in connected:
                    handle.connect_peer(peer)
            next_dial = now + 1
        if not args.quiet and now >= next_report:
            print(f"lt_leecher: {st.progress * 100:.1f}% {st.download_payload_rate / 2**20:.1f} "
                  f"MiB/s, {st.num_peers} peers", flush=True)
            next_report = now + 5
        ses.wait_for_alert(50)

    st = handle.status()
    if not finished:
        print(f"lt_leecher: timed out after {args.timeout:g} s at {st.progress * 100:.1f}% "
              f"({st.num_peers} peers connected, {hash_failures} hash failures)",
              file=sys.stderr)
        return 1
    # Close the files before reporting: the caller compares them next.
    ses.remove_torrent(handle)
    removed_by = time.monotonic() + 30
    while time.monotonic() < removed_by:
        if any(isinstance(a, lt.torrent_removed_alert) for a in ses.pop_alerts()):
            break
        ses.wait_for_alert(100)
    elapsed = time.monotonic() - start
    size = ti.total_size()
    print(f"lt_leecher: done in {elapsed:.3f} s, {size} bytes, "
          f"{size / elapsed / 2**20:.1f} MiB/s, {hash_failures} hash failures", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
