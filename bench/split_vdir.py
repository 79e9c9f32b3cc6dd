#!/usr/bin/env python3
"""Split one iCalendar file into a vdir: one .ics file per UID (a series with its overrides
together, as CalDAV servers and vdirsyncer keep them), each with the VTIMEZONEs it uses.

    bench/split_vdir.py CALENDAR.ics OUT_DIR

Python 3 standard library only; deterministic (file names are a hash of the UID).
"""

import hashlib
import os
import re
import sys


def blocks(lines, name):
    """Top-level components called `name` of a VCALENDAR, as lists of raw lines."""
    out, current, depth = [], None, 0
    for line in lines:
        if line == f"BEGIN:{name}" and current is None:
            current, depth = [line], 1
            continue
        if current is not None:
            current.append(line)
            if line.startswith("BEGIN:"):
                depth += 1
            elif line.startswith("END:"):
                depth -= 1
                if depth == 0:
                    out.append(current)
                    current = None
    return out


def unfolded(block):
    return "\r\n".join(block).replace("\r\n ", "").replace("\r\n\t", "")


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8", newline="") as f:
        lines = f.read().split("\r\n")
    zones = {}
    for z in blocks(lines, "VTIMEZONE"):
        m = re.search(r"^TZID:(.*)$", unfolded(z), re.M)
        if m:
            zones[m.group(1).strip().strip('"')] = z
    by_uid = {}
    for ev in blocks(lines, "VEVENT"):
        m = re.search(r"^UID:(.*)$", unfolded(ev), re.M)
        by_uid.setdefault(m.group(1).strip() if m else "", []).append(ev)
    os.makedirs(out_dir, exist_ok=True)
    for uid, events in by_uid.items():
        text = "".join(unfolded(e) for e in events)
        used = [z for tzid, z in zones.items() if f"TZID={tzid}" in text or f'TZID="{tzid}"' in text]
        body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tete bench//split_vdir//EN"]
        for z in used:
            body.extend(z)
        for e in events:
            body.extend(e)
        body.append("END:VCALENDAR")
        name = hashlib.sha1(uid.encode("utf-8")).hexdigest()[:20] + ".ics"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="") as f:
            f.write("\r\n".join(body) + "\r\n")
    print(f"{len(by_uid)} resources in {out_dir}")


if __name__ == "__main__":
    main()
