"""A python3-libtorrent seeder on 127.0.0.1, for tests and benchmarks.

Run it with /usr/bin/python3 (Debian's python3-libtorrent is importable only there).

  lt_seeder.py --torrent T --save-path DIR --ready-file F [options]

It seeds T from DIR (the folder that holds the torrent's file or top folder) on a free
port of 127.0.0.1, with DHT, LSD, UPnP, NAT-PMP and uTP off. When it is seeding it
writes its listen port to the ready file (atomically), prints "lt_seeder: seeding on
127.0.0.1:PORT" and keeps seeding until SIGTERM/SIGINT or the lifetime ends.

Options:
  --lifetime S        stop by itself after S seconds (default 600)
  --check             hash-check the data before seeding instead of seed_mode (in seed
                      mode libtorrent assumes the data is right and hashes each piece the
                      first time a peer asks for it, which slows the first downloader)
  --corrupt-pieces L  serve wrong bytes for these pieces (L like "0,5,10-12", "even",
                      "all"): the torrent's files are copied into --work-dir, checked
                      (so libtorrent marks every piece as verified), then the pieces are
                      overwritten in place with garbage. libtorrent never re-hashes a
                      verified piece before uploading it, so peers get bad data. (seed_mode
                      is no good for this: it hashes a piece before its first upload and
                      drops out of seed mode when the hash fails.)
  --work-dir D        where the corrupted copy goes (required with --corrupt-pieces)
  --upload-rate B     limit uploads to B bytes/s. libtorrent exempts local peers from rate
                      limits by default; this puts every address in the limited class.
  --high-performance  apply lt.high_performance_seed()
  --stats-file F      rewritten (atomically) every 0.25 s with
                      "uploaded=N peers=N corrupt_blocks=N state=S writes=N": payload
                      bytes uploaded so far, peers connected, blocks of corrupted pieces
                      sent, and how many times the file was written (1 the first time),
                      so a reader can wait for figures made after some moment

Exit status: 0 after a clean stop, 1 on failure, 2 on bad usage.
"""

import argparse
import os
import shutil
import signal
import sys
import time

import libtorrent as lt

HOST = "127.0.0.1"
XOR_A5 = bytes(b ^ 0xA5 for b in range(256))


def session_settings(high_performance):
    settings = {}
    if high_performance:
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
        # Keep every peer unchoked: the tests talk to one or two peers at a time.
        "unchoke_slots_limit": -1,
        "user_agent": "bitflow-tests lt_seeder",
    })
    return settings


# MSE/PE required both ways, RC4 only (allowed_enc_level 1 = rc4).
FORCED_ENCRYPTION = {
    "out_enc_policy": lt.enc_policy.forced,
    "in_enc_policy": lt.enc_policy.forced,
    "allowed_enc_level": lt.enc_level.rc4,
    "prefer_rc4": True,
}


def parse_pieces(spec, num_pieces):
    if spec == "all":
        return set(range(num_pieces))
    if spec == "even":
        return set(range(0, num_pieces, 2))
    pieces = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        lo_i = int(lo) if lo != "last" else num_pieces - 1
        hi_i = lo_i if not hi else (int(hi) if hi != "last" else num_pieces - 1)
        if not 0 <= lo_i <= hi_i < num_pieces:
            raise ValueError(f"piece range '{part}' is outside 0..{num_pieces - 1}")
        pieces.update(range(lo_i, hi_i + 1))
    return pieces


def copy_payload(ti, src, dst):
    fs = ti.files()
    for i in range(fs.num_files()):
        rel = fs.file_path(i)
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))


def corrupt(ti, save_path, pieces):
    """Overwrites each piece with its bytes XOR 0xA5, in place (same inode: libtorrent's
    mappings of the files see the change)."""
    fs = ti.files()
    for piece in sorted(pieces):
        for sl in ti.map_block(piece, 0, ti.piece_size(piece)):
            if sl.size == 0:
                continue
            path = os.path.join(save_path, fs.file_path(sl.file_index))
            with open(path, "r+b") as f:
                f.seek(sl.offset)
                data = f.read(sl.size)
                f.seek(sl.offset)
                f.write(data.translate(XOR_A5))
                f.flush()
                os.fsync(f.fileno())


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="python3-libtorrent seeder on 127.0.0.1")
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--corrupt-pieces")
    ap.add_argument("--work-dir")
    ap.add_argument("--upload-rate", type=int, default=0)
    ap.add_argument("--high-performance", action="store_true")
    ap.add_argument("--stats-file")
    # forced: MSE/PE both ways with RC4 only (plain handshakes and plaintext MSE refused).
    ap.add_argument("--forced-encryption", action="store_true")
    args = ap.parse_args()

    deadline = time.monotonic() + args.lifetime
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    ti = lt.torrent_info(args.torrent)
    save_path = os.path.abspath(args.save_path)
    corrupt_pieces = set()
    if args.corrupt_pieces:
        if not args.work_dir:
            ap.error("--corrupt-pieces needs --work-dir")
        try:
            corrupt_pieces = parse_pieces(args.corrupt_pieces, ti.num_pieces())
        except ValueError as e:
            ap.error(str(e))
        copy = os.path.join(os.path.abspath(args.work_dir), "corrupt-copy")
        shutil.rmtree(copy, ignore_errors=True)
        copy_payload(ti, save_path, copy)
        save_path = copy

    ses = lt.session(session_settings(args.high_performance))
    if args.forced_encryption:
        ses.apply_settings(FORCED_ENCRYPTION)
    if corrupt_pieces:
        # block_uploaded_alert tells which pieces went out: were bad bytes really served?
        ses.apply_settings({"alert_mask": ses.get_settings()["alert_mask"]
                            | lt.alert.category_t.upload_notification})
    if args.upload_rate > 0:
        ses.apply_settings({"upload_rate_limit": args.upload_rate})
        # Every IPv4 address, 127.0.0.1 included, in the global (rate-limited) class only.
        classes = lt.ip_filter()
        classes.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(classes)

    params = lt.add_torrent_params()
    params.ti = ti
    params.save_path = save_path
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    if not (args.check or corrupt_pieces):
        params.flags |= lt.torrent_flags.seed_mode
    handle = ses.add_torrent(params)

    ready = False
    corrupt_blocks = 0
    next_stats = 0.0
    stats_writes = 0

    def stats_line(state):
        nonlocal stats_writes
        stats_writes += 1
        st = handle.status()
        return (f"uploaded={st.total_payload_upload} peers={st.num_peers} "
                f"corrupt_blocks={corrupt_blocks} state={state} writes={stats_writes}\n")

    while not stop and time.monotonic() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, lt.block_uploaded_alert):
                if a.piece_index in corrupt_pieces:
                    corrupt_blocks += 1
                continue
            if isinstance(a, (lt.file_error_alert, lt.torrent_error_alert,
                              lt.listen_failed_alert)):
                print(f"lt_seeder: {a.message()}", file=sys.stderr)
                if not ready:
                    return 1
        st = handle.status()
        if not ready:
            if st.errc.value() != 0:
                print(f"lt_seeder: torrent error: {st.errc.message()}", file=sys.stderr)
                return 1
            if st.state == lt.torrent_status.seeding and ses.listen_port() > 0:
                if corrupt_pieces:
                    corrupt(ti, save_path, corrupt_pieces)
                port = ses.listen_port()
                write_atomic(args.ready_file, f"{port}\n")
                print(f"lt_seeder: seeding on {HOST}:{port}"
                      + (f", pieces {sorted(corrupt_pieces)} corrupted" if corrupt_pieces else ""),
                      flush=True)
                ready = True
            elif st.state in (lt.torrent_status.downloading, lt.torrent_status.finished) \
                    and st.progress < 1:
                # The check is over and pieces are missing: the data is not the torrent's.
                print(f"lt_seeder: the data in {save_path} does not match the torrent "
                      f"({st.progress * 100:.1f}% verified)", file=sys.stderr)
                return 1
        now = time.monotonic()
        if args.stats_file and now >= next_stats:
            write_atomic(args.stats_file, stats_line(st.state))
            next_stats = now + 0.25
        ses.wait_for_alert(100)

    if args.stats_file:
        write_atomic(args.stats_file, stats_line("stopped"))
    print(f"lt_seeder: stopping ({'signal' if stop else 'lifetime over'}), "
          f"uploaded {handle.status().total_payload_upload} bytes", flush=True)
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
