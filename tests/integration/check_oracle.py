"""Oracle for check_data.sh: what `bitflow check --json` must say about some data.

  check_oracle.py expect <check.json> <info.json> [options]
      The torrent's geometry comes from `bitflow info --json` (info.json); the options
      say what is wrong with the data:
        --bad-pieces JSON   the pieces that must not verify (a JSON list; default [])
        --missing PATH      a file that is not on disk (repeatable)
        --size PATH=N       a file that is N bytes long on disk (default: its size)
      Every other figure follows: counts, byte totals, the runs of missing pieces, each
      file's pieces and status (missing; complete when all its pieces verify; partial).
  check_oracle.py bad-pieces <info.json> PATH OFFSET [END]
      The pieces holding bytes OFFSET..END-1 of file PATH (END: the end of the file), as
      a JSON list: what flipping a byte or truncating a file at OFFSET breaks.
  check_oracle.py complement <info.json> <good-pieces.json>
      The pieces not in the JSON list of good pieces (lt_check.py's output), as a JSON list.

Exit status: 0 when everything agrees, 1 on a disagreement (each one printed), 2 on
bad usage.
"""

import argparse
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def file_pieces(info, entry):
    """The half-open range of pieces holding bytes of a file (empty for an empty file)."""
    pl = info["piece_length"]
    if entry["size"] == 0:
        return range(0)
    return range(entry["offset"] // pl, (entry["offset"] + entry["size"] - 1) // pl + 1)


def piece_size(info, p):
    pl = info["piece_length"]
    return min(pl, info["total_size"] - p * pl)


def runs(pieces):
    out = []
    for p in sorted(pieces):
        if out and out[-1][1] + 1 == p:
            out[-1][1] = p
        else:
            out.append([p, p])
    return out


def expected(info, bad, missing, sizes):
    files = []
    for number, entry in enumerate(info["files"], start=1):
        if entry["pad"]:
            continue
        pieces = file_pieces(info, entry)
        verified = sum(1 for p in pieces if p not in bad)
        if entry["path"] in missing:
            status = "missing"
        else:
            status = "complete" if verified == len(pieces) else "partial"
        files.append({
            "number": number,
            "path": entry["path"],
            "size": entry["size"],
            "size_on_disk": None if entry["path"] in missing else sizes.get(entry["path"],
                                                                             entry["size"]),
            "status": status,
            "pieces_total": len(pieces),
            "pieces_verified": verified,
        })
    n = info["num_pieces"]
    return {
        "name": info["name"],
        "info_hash": info["info_hash"],
        "complete": not bad and not missing,
        "pieces_total": n,
        "pieces_verified": n - len(bad),
        "missing_pieces": runs(bad),
        "bytes_total": info["total_size"],
        "bytes_verified": sum(piece_size(info, p) for p in range(n) if p not in bad),
        "files": files,
    }


def cmd_expect(args):
    got, info = load(args.check_json), load(args.info_json)
    bad = set(json.loads(args.bad_pieces))
    sizes = {}
    for item in args.size:
        path, _, n = item.rpartition("=")
        sizes[path] = int(n)
    want = expected(info, bad, set(args.missing), sizes)
    problems = []
    for key, value in want.items():
        if key not in got:
            problems.append(f"{key}: missing from bitflow's JSON")
        elif key == "files":
            if len(got[key]) != len(value):
                problems.append(f"files: {len(got[key])} listed, expected {len(value)}")
            for g, w in zip(got[key], value):
                for k, v in w.items():
                    if g.get(k) != v:
                        problems.append(f"file {w['path']}: {k} is {g.get(k)!r}, expected {v!r}")
        elif got[key] != value:
            problems.append(f"{key} is {got[key]!r}, expected {value!r}")
    for key in ("seconds", "bytes_per_second"):
        if not isinstance(got.get(key), (int, float)) or got[key] < 0:
            problems.append(f"{key} is {got.get(key)!r}, expected a number >= 0")
    if not isinstance(got.get("threads"), int) or got["threads"] < 1:
        problems.append(f"threads is {got.get('threads')!r}, expected a number >= 1")
    for p in problems:
        print(f"check_oracle.py: {args.check_json}: {p}", file=sys.stderr)
    return 1 if problems else 0


def cmd_bad_pieces(args):
    info = load(args.info_json)
    entry = next((f for f in info["files"] if f["path"] == args.path), None)
    if entry is None:
        print(f"check_oracle.py: no file {args.path} in {args.info_json}", file=sys.stderr)
        return 2
    end = entry["size"] if args.end is None else args.end
    if not 0 <= args.offset < end <= entry["size"]:
        print(f"check_oracle.py: bad range {args.offset}..{end} of {args.path}", file=sys.stderr)
        return 2
    pl = info["piece_length"]
    first = (entry["offset"] + args.offset) // pl
    last = (entry["offset"] + end - 1) // pl
    print(json.dumps(list(range(first, last + 1))))
    return 0


def cmd_complement(args):
    info, good = load(args.info_json), set(load(args.good_json))
    print(json.dumps([p for p in range(info["num_pieces"]) if p not in good]))
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("expect")
    p.add_argument("check_json")
    p.add_argument("info_json")
    p.add_argument("--bad-pieces", default="[]")
    p.add_argument("--missing", action="append", default=[])
    p.add_argument("--size", action="append", default=[])
    p.set_defaults(run=cmd_expect)
    p = sub.add_parser("bad-pieces")
    p.add_argument("info_json")
    p.add_argument("path")
    p.add_argument("offset", type=int)
    p.add_argument("end", type=int, nargs="?")
    p.set_defaults(run=cmd_bad_pieces)
    p = sub.add_parser("complement")
    p.add_argument("info_json")
    p.add_argument("good_json")
    p.set_defaults(run=cmd_complement)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
