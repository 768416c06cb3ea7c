"""Oracle for the integration scripts: compares `bitflow info --json` with libtorrent.

Run it with /usr/bin/python3 (Debian's python3-libtorrent is only importable there).

  torrent_oracle.py compare <file.torrent> <bitflow.json> [options]
      Loads the torrent with libtorrent and checks that bitflow's JSON says the same:
      info-hash, name, sizes, piece geometry, files, private flag, trackers, web seeds,
      comment, creator and date. Options add expectations of our own:
        --expect KEY=JSON       bitflow's KEY must equal this JSON value
        --expect-text KEY=TEXT  bitflow's KEY must equal this string
        --content PATH          the torrent was made from PATH: name, total size and the
                                set of files must match the disk, and every piece hash
                                must match the data
  torrent_oracle.py field <bitflow.json> KEY
      Prints one top-level value: strings as they are, anything else as JSON.
  torrent_oracle.py paths <bitflow.json>
      Prints the path of every file, one a line.

Exit status: 0 when everything agrees, 1 on a disagreement (each one printed), 2 on
bad usage.
"""

import argparse
import hashlib
import json
import os
import sys


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def libtorrent_view(torrent_path):
    """The fields bitflow reports, as libtorrent sees them, in bitflow's JSON shapes."""
    import libtorrent as lt  # imported here: `field` and `paths` must work without it

    ti = lt.torrent_info(torrent_path)
    hashes = ti.info_hashes()
    fs = ti.files()
    tiers = {}
    for entry in ti.trackers():
        tiers.setdefault(entry.tier, []).append(entry.url)
    files = []
    for i in range(fs.num_files()):
        flags = fs.file_flags(i)
        files.append({
            "path": fs.file_path(i),
            "size": fs.file_size(i),
            "pad": bool(flags & lt.file_storage.flag_pad_file),
            "executable": bool(flags & lt.file_storage.flag_executable),
            "hidden": bool(flags & lt.file_storage.flag_hidden),
            "symlink": bool(flags & lt.file_storage.flag_symlink),
        })
    view = {
        "info_hash": str(hashes.v1),
        "name": ti.name(),
        "total_size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "num_files": fs.num_files(),
        "private": ti.priv(),
        # libtorrent shuffles the trackers of each tier (as BEP 12 asks clients to), so
        # only the set of each tier is comparable; --expect checks bitflow's exact order.
        "trackers": [sorted(tiers[t]) for t in sorted(tiers)],
        # type 0 is a BEP 19 url-list seed; BEP 17 http seeds are not in bitflow's list.
        "web_seeds": [w["url"] for w in ti.web_seeds() if w["type"] == 0],
        "comment": ti.comment(),
        "created_by": ti.creator(),
        # libtorrent says 0 when the torrent has no date; bitflow says null.
        "creation_date": ti.creation_date() or None,
        "files": files,
    }
    piece_hashes = [bytes(ti.hash_for_piece(i)).hex() for i in range(ti.num_pieces())]
    return view, piece_hashes


def bitflow_view(doc):
    """bitflow's JSON reduced to the fields libtorrent_view() gives."""
    view = {key: doc.get(key) for key in (
        "info_hash", "name", "total_size", "piece_length", "num_pieces", "private",
        "comment", "created_by", "creation_date")}
    view["trackers"] = [sorted(tier) for tier in doc["trackers"]]
    view["num_files"] = len(doc["files"])
    view["files"] = [{key: f[key] for key in ("path", "size", "pad", "executable", "hidden",
                                              "symlink")}
                     for f in doc["files"]]
    # libtorrent appends '/' to the web seeds of a multi-file torrent (the client adds
    # name/path to them); bitflow reports them as written. Compare them the same way.
    files = doc["files"]
    multi_file = len(files) > 1 or (len(files) == 1 and "/" in files[0]["path"])
    view["web_seeds"] = [url if not multi_file or url.endswith("/") else url + "/"
                         for url in doc["web_seeds"]]
    return view


class Report:
    """Collects disagreements so that one run shows all of them."""

    def __init__(self):
        self.problems = []

    def check(self, what, actual, expected):
        if actual != expected:
            self.problems.append(f"{what}: bitflow says {actual!r}, expected {expected!r}")

    def fail(self, message):
        self.problems.append(message)


def files_on_disk(content):
    """(path as the torrent names it, size) for every regular file under `content`."""
    name = os.path.basename(os.path.normpath(content))
    if os.path.isfile(content):
        return [(name, os.path.getsize(content))]
    found = []
    for folder, _dirs, names in os.walk(content):
        for n in names:
            full = os.path.join(folder, n)
            if os.path.isfile(full) and not os.path.islink(full):
                rel = os.path.relpath(full, os.path.dirname(os.path.normpath(content)))
                found.append((rel.replace(os.sep, "/"), os.path.getsize(full)))
    return found


def file_blocks(f, data_dir):
    """The bytes of one file of the torrent, in blocks; a pad file is zeros."""
    if f["pad"]:
        yield bytes(f["size"])
        return
    with open(os.path.join(data_dir, f["path"]), "rb") as fh:
        while block := fh.read(1 << 20):
            yield block


def stream_pieces(files, data_dir, piece_length):
    """Yields the SHA-1 of each piece of the torrent's data, read from `data_dir`."""
    hasher, filled = hashlib.sha1(), 0
    for f in files:
        for data in file_blocks(f, data_dir):
            while data:
                take = min(len(data), piece_length - filled)
                hasher.update(data[:take])
                data, filled = data[take:], filled + take
                if filled == piece_length:
                    yield hasher.hexdigest()
                    hasher, filled = hashlib.sha1(), 0
    if filled:
        yield hasher.hexdigest()


def check_content(report, doc, lt_view, piece_hashes, content):
    disk = files_on_disk(content)
    report.check("name", doc["name"], os.path.basename(os.path.normpath(content)))
    report.check("total_size", doc["total_size"], sum(size for _, size in disk))
    listed = sorted((f["path"], f["size"]) for f in doc["files"] if not f["pad"])
    report.check("files (sorted)", listed, sorted(disk))
    data_dir = os.path.dirname(os.path.normpath(content))
    actual = list(stream_pieces(lt_view["files"], data_dir, lt_view["piece_length"]))
    if actual != piece_hashes:
        bad = [i for i, (a, b) in enumerate(zip(actual, piece_hashes)) if a != b]
        report.fail(f"piece hashes do not match the data: {len(actual)} pieces in the data, "
                    f"{len(piece_hashes)} in the torrent, first differing piece "
                    f"{bad[0] if bad else 'n/a'}")


def command_compare(args):
    report = Report()
    doc = load_json(args.bitflow_json)
    if doc.get("type") != "torrent":
        report.fail(f"bitflow's JSON type is {doc.get('type')!r}, not 'torrent'")
    try:
        lt_view, piece_hashes = libtorrent_view(args.torrent)
    except RuntimeError as e:
        print(f"{args.torrent}: libtorrent cannot load it: {e}", file=sys.stderr)
        return 1
    ours = bitflow_view(doc)
    for key, theirs in lt_view.items():
        report.check(f"{key} (libtorrent)", ours[key], theirs)
    for item in args.expect:
        key, _, value = item.partition("=")
        report.check(f"{key} (expected)", doc.get(key), json.loads(value))
    for item in args.expect_text:
        key, _, value = item.partition("=")
        report.check(f"{key} (expected)", doc.get(key), value)
    if args.content:
        check_content(report, doc, lt_view, piece_hashes, args.content)
    for problem in report.problems:
        print(f"{args.torrent}: {problem}", file=sys.stderr)
    return 1 if report.problems else 0


def command_field(args):
    value = load_json(args.bitflow_json).get(args.key)
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


def command_paths(args):
    for f in load_json(args.bitflow_json)["files"]:
        print(f["path"])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    compare = sub.add_parser("compare")
    compare.add_argument("torrent")
    compare.add_argument("bitflow_json")
    compare.add_argument("--expect", action="append", default=[], metavar="KEY=JSON")
    compare.add_argument("--expect-text", action="append", default=[], metavar="KEY=TEXT")
    compare.add_argument("--content", metavar="PATH")
    compare.set_defaults(run=command_compare)
    field = sub.add_parser("field")
    field.add_argument("bitflow_json")
    field.add_argument("key")
    field.set_defaults(run=command_field)
    paths = sub.add_parser("paths")
    paths.add_argument("bitflow_json")
    paths.set_defaults(run=command_paths)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
