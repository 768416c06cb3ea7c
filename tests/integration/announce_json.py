"""Reads and checks the output of `bitflow announce --json` for the tracker tests.

Run it with /usr/bin/python3 (standard library only).

  announce_json.py check <out.json> [--info-hash HEX] [--trackers N]
      The output must be one JSON object of the documented shape:
        {"info_hash": "<40 hex>", "trackers": [{"url", "ok", "error", "interval",
         "min_interval", "seeders", "leechers", "warning", "tracker_id", "peers",
         "scrape"}...]}
      with the documented types, "error" null exactly when "ok" is true, and (when
      given) this info-hash and this many trackers. Prints every problem.
  announce_json.py get <out.json> <path>
      Prints one value; <path> is dotted, list indices are numbers: trackers.0.seeders.
      Strings are printed as they are, anything else as JSON (null, true, 12, {...}).
  announce_json.py peers <out.json> [tracker-index]
      Prints the peers of one tracker (default 0) as host:port, one a line.

Exit status: 0 when all is well, 1 on a problem (printed), 2 on bad usage.
"""

import json
import re
import sys

TRACKER_KEYS = ("url", "ok", "error", "interval", "min_interval", "seeders", "leechers",
                "warning", "tracker_id", "peers", "scrape")


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text)
    except ValueError as e:
        raise SystemExit("%s: not one JSON value (%s): %r" % (path, e, text[:300]))


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def optional(value, check):
    return value is None or check(value)


def check(doc, info_hash, count):
    problems = []
    if not isinstance(doc, dict):
        return ["the output is not a JSON object"]
    got_hash = doc.get("info_hash")
    if not (isinstance(got_hash, str) and re.fullmatch(r"[0-9a-fA-F]{40}", got_hash)):
        problems.append("info_hash is not 40 hex digits: %r" % (got_hash,))
    elif info_hash and got_hash.lower() != info_hash.lower():
        problems.append("info_hash is %s, expected %s" % (got_hash, info_hash))
    trackers = doc.get("trackers")
    if not isinstance(trackers, list):
        return problems + ["trackers is not a list: %r" % (trackers,)]
    if count is not None and len(trackers) != count:
        problems.append("%d trackers, expected %d" % (len(trackers), count))
    for i, t in enumerate(trackers):
        where = "trackers[%d]" % i
        if not isinstance(t, dict):
            problems.append("%s is not an object" % where)
            continue
        missing = [k for k in TRACKER_KEYS if k not in t]
        if missing:
            problems.append("%s lacks %s" % (where, ", ".join(missing)))
            continue
        if not isinstance(t["url"], str):
            problems.append("%s.url is not a string" % where)
        if not isinstance(t["ok"], bool):
            problems.append("%s.ok is not true/false" % where)
        elif t["ok"] and t["error"] is not None:
            problems.append("%s: ok but error is %r" % (where, t["error"]))
        elif not t["ok"] and not (isinstance(t["error"], str) and t["error"]):
            problems.append("%s: not ok but error is %r" % (where, t["error"]))
        for key in ("interval", "min_interval", "seeders", "leechers"):
            if not optional(t[key], lambda v: is_int(v) and v >= 0):
                problems.append("%s.%s is not null or a count: %r" % (where, key, t[key]))
        for key in ("warning", "tracker_id", "error"):
            if not optional(t[key], lambda v: isinstance(v, str)):
                problems.append("%s.%s is not null or a string: %r" % (where, key, t[key]))
        if not isinstance(t["peers"], list):
            problems.append("%s.peers is not a list" % where)
        else:
            for p in t["peers"]:
                if not (isinstance(p, dict) and isinstance(p.get("host"), str)
                        and is_int(p.get("port")) and 0 <= p["port"] <= 65535):
                    problems.append("%s.peers holds %r" % (where, p))
        scrape = t["scrape"]
        if scrape is not None:
            if not (isinstance(scrape, dict)
                    and all(is_int(scrape.get(k)) and scrape[k] >= 0
                            for k in ("seeders", "completed", "leechers"))):
                problems.append("%s.scrape is %r" % (where, scrape))
    return problems


def get(doc, path):
    value = doc
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise SystemExit("no %s in the output" % path)
    return value


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        info_hash, count, rest = None, None, argv[2:]
        while rest:
            if rest[0] == "--info-hash" and len(rest) >= 2:
                info_hash, rest = rest[1], rest[2:]
            elif rest[0] == "--trackers" and len(rest) >= 2:
                count, rest = int(rest[1]), rest[2:]
            else:
                print(__doc__, file=sys.stderr)
                return 2
        problems = check(load(argv[1]), info_hash, count)
        for p in problems:
            print("%s: %s" % (argv[1], p))
        return 1 if problems else 0
    if len(argv) == 3 and argv[0] == "get":
        value = get(load(argv[1]), argv[2])
        print(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
        return 0
    if len(argv) in (2, 3) and argv[0] == "peers":
        index = argv[2] if len(argv) == 3 else "0"
        for p in get(load(argv[1]), "trackers.%s.peers" % index):
            print("%s:%s" % (p.get("host"), p.get("port")))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
