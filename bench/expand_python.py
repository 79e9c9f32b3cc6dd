#!/usr/bin/env python3
"""Python baseline for the tete expand benchmark.

Usage:
    python bench/expand_python.py FILE START END

Reads FILE with icalendar==7.3.0, expands its VEVENTs between START and END
with recurring-ical-events==3.8.2
(`recurring_ical_events.of(cal, components=["VEVENT"]).between(start, end)`)
and prints the number of occurrences.  START and END are UTC dates
(YYYY-MM-DD) or date-times (YYYY-MM-DDTHH:MM:SSZ), as for `tete expand`.

Run it with the benchmark venv (bench/run creates it at .venv-bench):
    .venv-bench/bin/python bench/expand_python.py FILE 2026-01-01 2027-01-01
"""

import datetime as dt
import sys

PINS = {"icalendar": "7.3.0", "recurring-ical-events": "3.8.2"}


def parse_utc(s):
    t = s.strip().rstrip("Zz")
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return dt.datetime.strptime(t, fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    raise SystemExit("error: %r is not a UTC date or date-time" % s)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import icalendar
        import recurring_ical_events
    except ImportError as e:
        print("error: %s (run bench/run once to create .venv-bench)" % e, file=sys.stderr)
        return 2
    from importlib.metadata import version
    for name, want in PINS.items():
        have = version(name)
        if have != want:
            print("warning: %s %s installed, benchmark pins %s" % (name, have, want),
                  file=sys.stderr)
    path, start, end = argv[1], parse_utc(argv[2]), parse_utc(argv[3])
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    events = recurring_ical_events.of(cal, components=["VEVENT"]).between(start, end)
    n = 0
    for _ in events:
        n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
