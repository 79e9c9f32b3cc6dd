#!/usr/bin/env python3
"""Writes the Graph test calendar twice: as Microsoft Graph answers it and as iCalendar.

Hand-authored: no Microsoft account was used. Each series below is described once, with its
Graph `patternedRecurrence` and, written by hand separately, the RRULE an iCalendar client
would give the same series; the Graph JSON follows the shapes of the documentation pages
cited in tests/caldav/graph.rs (event, patternedRecurrence, calendarView delta). The files
are checked in, so the tests need no Python; run this again only to change the calendar:

    python3 tests/data/graph/make.py

Outputs (in this folder): delta-1.json and delta-2.json (the first delta round, two pages;
the fake fills in the links), masters/<id>.json (GET /me/events/{id}), caldav/<name>.ics
(one resource per series, for the CalDAV server).
"""

import base64
import datetime as dt
import hashlib
import json
import os
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
END = dt.date(2027, 3, 31)  # occurrences listed up to here (the fake's calendar view)

WINDOWS = {
    "W. Europe Standard Time": "Europe/Berlin",
    "Pacific Standard Time": "America/Los_Angeles",
    "GMT Standard Time": "Europe/London",
    "Eastern Standard Time": "America/New_York",
    "UTC": "UTC",
}

MIA = ("Mia Rossi", "mia@example.com")


def person(name, address, status, kind="required"):
    return {"type": kind, "status": {"response": status, "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": name, "address": address}}


# Each series: Graph's pattern and range, the RRULE written by hand, local start date and
# times, exceptions {date: (new local start, new local end)}, deleted dates (the organizer
# deleted them: Graph lists them no more), cancelled dates (isCancelled, attendee's copy).
SERIES = [
    dict(name="ann", subject="Ann / Mia 1:1", zone="W. Europe Standard Time",
         start=dt.date(2026, 9, 7), time=(dt.time(10), dt.time(10, 30)),
         pattern={"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": ["monday"], "firstDayOfWeek": "monday", "index": "first"},
         range={"type": "noEnd", "numberOfOccurrences": 0},
         rrule="FREQ=WEEKLY;BYDAY=MO;WKST=MO",
         organizer=MIA, attendees=[person("Ann Berger", "ann@example.com", "accepted")],
         body=("html", "<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n<p>Standing 1:1</p>\r\n</body>\r\n</html>\r\n"),
         online="https://teams.microsoft.com/l/meetup-join/19%3ameeting_ann%40thread.v2/0",
         exceptions={dt.date(2026, 10, 12): (dt.datetime(2026, 10, 13, 11), dt.datetime(2026, 10, 13, 11, 30))},
         deleted=[dt.date(2026, 11, 2)], cancelled=[]),
    dict(name="ben", subject="1:1 Ben / Mia", zone="Pacific Standard Time",
         start=dt.date(2026, 9, 3), time=(dt.time(7), dt.time(7, 45)),
         pattern={"type": "weekly", "interval": 2, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": ["thursday"], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "endDate", "endDate": "2027-06-30", "numberOfOccurrences": 0},
         rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;WKST=SU;UNTIL=20270701T065959Z",
         organizer=("Ben Okafor", "ben@example.com"),
         attendees=[person("Ben Okafor", "ben@example.com", "organizer"),
                    person("Mia Rossi", "mia@example.com", "accepted")],
         body=("text", "Weekly sync, every other Thursday."),
         online=None, exceptions={}, deleted=[], cancelled=[dt.date(2026, 10, 15)]),
    dict(name="cat", subject="Cat <> Mia", zone="GMT Standard Time",
         start=dt.date(2026, 9, 1), time=(dt.time(9), dt.time(9, 45)),
         pattern={"type": "relativeMonthly", "interval": 1, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": ["tuesday"], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "numbered", "numberOfOccurrences": 12},
         rrule="FREQ=MONTHLY;BYDAY=TU;BYSETPOS=1;COUNT=12",
         organizer=MIA, attendees=[person("Cat Lind", "cat@example.com", "accepted")],
         body=("text", ""), online=None, exceptions={}, deleted=[], cancelled=[]),
    dict(name="dan", subject="Dan / Mia", zone="Eastern Standard Time",
         start=dt.date(2026, 9, 2), time=(dt.time(16), dt.time(16, 30)),
         pattern={"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": ["wednesday"], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "noEnd", "numberOfOccurrences": 0},
         rrule="FREQ=WEEKLY;BYDAY=WE;WKST=SU",
         organizer=("Dan Wu", "dan@example.com"),
         # Mia declined the series: her answer is her copy's responseStatus; the attendee
         # list she got from Dan still shows her as not answered.
         attendees=[person("Dan Wu", "dan@example.com", "organizer"),
                    person("Mia Rossi", "mia@example.com", "none")],
         response="declined",
         body=("text", "Dan's weekly"), online=None, exceptions={}, deleted=[], cancelled=[]),
    dict(name="focus", subject="Focus day", zone="W. Europe Standard Time", all_day=True,
         start=dt.date(2026, 9, 4), time=None,
         pattern={"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": ["friday"], "firstDayOfWeek": "monday", "index": "first"},
         range={"type": "numbered", "numberOfOccurrences": 20},
         rrule="FREQ=WEEKLY;BYDAY=FR;WKST=MO;COUNT=20",
         organizer=MIA, attendees=[], show_as="free",
         body=("text", ""), online=None, exceptions={}, deleted=[dt.date(2026, 10, 2)], cancelled=[]),
    dict(name="team", subject="Platform team weekly", zone="UTC",
         start=dt.date(2026, 9, 8), time=(dt.time(14), dt.time(15)),
         pattern={"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": ["tuesday"], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "noEnd", "numberOfOccurrences": 0},
         rrule="FREQ=WEEKLY;BYDAY=TU;WKST=SU",
         organizer=MIA,
         attendees=[person(n, f"{n.lower()}@example.com", "accepted") for n in ["Ann", "Ben", "Cat", "Eve"]]
         + [person("Room 4", "room4@example.com", "accepted", "resource")],
         body=("text", "Team meeting"), online=None, exceptions={}, deleted=[], cancelled=[]),
    dict(name="fay", subject="Skip-level: Fay", zone="Eastern Standard Time",
         start=dt.date(2026, 9, 15), time=(dt.time(14), dt.time(14, 30)),
         pattern={"type": "absoluteMonthly", "interval": 1, "month": 0, "dayOfMonth": 15,
                  "daysOfWeek": [], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "noEnd", "numberOfOccurrences": 0},
         rrule="FREQ=MONTHLY;BYMONTHDAY=15",
         organizer=MIA, attendees=[person("Fay Moreau", "fay@example.com", "tentativelyAccepted")],
         body=("text", "Monthly"), online=None, exceptions={}, deleted=[], cancelled=[]),
    dict(name="gus", subject="Annual review: Gus", zone="W. Europe Standard Time",
         start=dt.date(2026, 11, 20), time=(dt.time(10), dt.time(11)),
         pattern={"type": "absoluteYearly", "interval": 1, "month": 11, "dayOfMonth": 20,
                  "daysOfWeek": [], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "noEnd", "numberOfOccurrences": 0},
         rrule="FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=20",
         organizer=MIA, attendees=[person("Gus Hale", "gus@example.com", "accepted")],
         body=("text", ""), online=None, exceptions={}, deleted=[], cancelled=[]),
    dict(name="planning", subject="Planning day", zone="W. Europe Standard Time",
         start=dt.date(2026, 11, 26), time=(dt.time(9), dt.time(17)),
         pattern={"type": "relativeYearly", "interval": 1, "month": 11, "dayOfMonth": 0,
                  "daysOfWeek": ["thursday"], "firstDayOfWeek": "sunday", "index": "fourth"},
         range={"type": "noEnd", "numberOfOccurrences": 0},
         rrule="FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4",
         organizer=MIA, attendees=[], body=("text", ""), online=None,
         exceptions={}, deleted=[], cancelled=[]),
    dict(name="ops", subject="Ops check", zone="UTC",
         start=dt.date(2026, 11, 16), time=(dt.time(8), dt.time(8, 15)),
         pattern={"type": "daily", "interval": 3, "month": 0, "dayOfMonth": 0,
                  "daysOfWeek": [], "firstDayOfWeek": "sunday", "index": "first"},
         range={"type": "numbered", "numberOfOccurrences": 10},
         rrule="FREQ=DAILY;INTERVAL=3;COUNT=10",
         organizer=MIA, attendees=[], body=("text", ""), online=None,
         exceptions={}, deleted=[], cancelled=[]),
]

SINGLES = [
    dict(name="eve", subject="Eve / Mia", zone="UTC",
         start=dt.datetime(2026, 11, 10, 13), end=dt.datetime(2026, 11, 10, 13, 30),
         organizer=MIA, attendees=[person("Eve Adams", "eve@example.com", "accepted")],
         body=("text", "Intro 1:1")),
]

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def occurrences(s):
    """Local start dates of a series, as its Graph pattern says (up to END)."""
    p, r = s["pattern"], s["range"]
    count = r.get("numberOfOccurrences") if r["type"] == "numbered" else None
    until = dt.date.fromisoformat(r["endDate"]) if r["type"] == "endDate" else END
    until = min(until, END)
    out = []
    day = s["start"]
    while day <= until and (count is None or len(out) < count):
        if matches(p, s["start"], day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def matches(p, first, day):
    kind, n = p["type"], p["interval"]
    if kind == "daily":
        return (day - first).days % n == 0
    if kind == "weekly":
        monday = lambda d: d - dt.timedelta(days=d.weekday())
        weeks = (monday(day) - monday(first)).days // 7
        return weeks % n == 0 and DAYS[day.weekday()] in p["daysOfWeek"]
    if kind == "absoluteMonthly":
        return day.day == p["dayOfMonth"]
    if kind == "absoluteYearly":
        return day.month == p["month"] and day.day == p["dayOfMonth"]
    if kind in ("relativeMonthly", "relativeYearly"):
        if kind == "relativeYearly" and day.month != p["month"]:
            return False
        if DAYS[day.weekday()] not in p["daysOfWeek"]:
            return False
        nth = (day.day - 1) // 7 + 1
        index = {"first": 1, "second": 2, "third": 3, "fourth": 4}.get(p["index"])
        if p["index"] == "last":
            return (day + dt.timedelta(days=7)).month != day.month
        return nth == index
    raise ValueError(kind)


def ident(*parts):
    raw = hashlib.sha256("/".join(parts).encode()).digest()[:30]
    return "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAi" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def etag(*parts):
    return 'W/"' + base64.b64encode(hashlib.sha256(("etag/" + "/".join(parts)).encode()).digest()[:15]).decode() + '"'


def uid(name):
    return "040000008200E00074C5B7101A82E00800000000" + hashlib.sha256(name.encode()).hexdigest()[:32].upper()


def utc(local_day, local_time, zone):
    local = dt.datetime.combine(local_day, local_time).replace(tzinfo=ZoneInfo(WINDOWS[zone]))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def dtz(t):
    return {"dateTime": t.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def common(s, kind, event_id, tag):
    """The fields every copy of the event has (event resource type)."""
    body_type, body = s["body"]
    response = s.get("response", "organizer" if s["organizer"] == MIA else "accepted")
    online = s.get("online")
    return {
        "@odata.etag": tag,
        "id": event_id,
        "createdDateTime": "2026-08-20T09:12:44.1234567Z",
        "lastModifiedDateTime": "2026-08-20T09:12:44.1234567Z",
        "changeKey": tag[3:-1],
        "categories": [],
        "transactionId": None,
        "originalStartTimeZone": s["zone"],
        "originalEndTimeZone": s["zone"],
        "iCalUId": uid(s["name"]),
        "uid": uid(s["name"]),
        "reminderMinutesBeforeStart": 15,
        "isReminderOn": True,
        "hasAttachments": False,
        "subject": s["subject"],
        "bodyPreview": body[:255] if body_type == "text" else "Standing 1:1",
        "importance": "normal",
        "sensitivity": "normal",
        "isAllDay": bool(s.get("all_day")),
        "isCancelled": False,
        "isOrganizer": s["organizer"] == MIA,
        "responseRequested": True,
        "seriesMasterId": None,
        "showAs": s.get("show_as", "busy"),
        "type": kind,
        "webLink": "https://outlook.office365.com/owa/?itemid=" + event_id[:20] + "&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": online is not None,
        "onlineMeetingProvider": "teamsForBusiness" if online else "unknown",
        "allowNewTimeProposals": True,
        "isDraft": False,
        "hideAttendees": False,
        "responseStatus": {"response": response, "time": "0001-01-01T00:00:00Z"},
        "body": {"contentType": body_type, "content": body},
        "location": {"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": {}, "coordinates": {}},
        "locations": [],
        "recurrence": None,
        "attendees": s["attendees"],
        "organizer": {"emailAddress": {"name": s["organizer"][0], "address": s["organizer"][1]}},
        "onlineMeeting": {"joinUrl": online} if online else None,
    }


def graph_series(s):
    master_id = ident(s["name"], "master")
    master = common(s, "seriesMaster", master_id, etag(s["name"], "master"))
    all_day = bool(s.get("all_day"))
    first = s["start"]
    if all_day:
        start, end = dt.datetime.combine(first, dt.time()), dt.datetime.combine(first + dt.timedelta(days=1), dt.time())
    else:
        start, end = utc(first, s["time"][0], s["zone"]), utc(first, s["time"][1], s["zone"])
    master["start"], master["end"] = dtz(start), dtz(end)
    rng = dict(s["range"])
    rng.setdefault("endDate", "0001-01-01")
    rng["startDate"] = first.isoformat()
    rng["recurrenceTimeZone"] = s["zone"]
    master["recurrence"] = {"pattern": s["pattern"], "range": rng}
    items = []
    for day in occurrences(s):
        if day in s["deleted"]:
            continue
        if all_day:
            o_start = dt.datetime.combine(day, dt.time())
            o_end = o_start + dt.timedelta(days=1)
            original = o_start
        else:
            o_start, o_end = utc(day, s["time"][0], s["zone"]), utc(day, s["time"][1], s["zone"])
            original = o_start
        kind = "occurrence"
        if day in s["exceptions"]:
            kind = "exception"
            new_start, new_end = s["exceptions"][day]
            o_start = utc(new_start.date(), new_start.time(), s["zone"])
            o_end = utc(new_end.date(), new_end.time(), s["zone"])
        event_id = ident(s["name"], day.isoformat())
        item = common(s, kind, event_id, etag(s["name"], day.isoformat()))
        item["seriesMasterId"] = master_id
        item["originalStart"] = original.strftime("%Y-%m-%dT%H:%M:%SZ")
        item["start"], item["end"] = dtz(o_start), dtz(o_end)
        if day in s["cancelled"]:
            item["isCancelled"] = True
            item["subject"] = "Canceled: " + s["subject"]
        items.append(item)
    return master, items


def graph_single(s):
    event_id = ident(s["name"], "single")
    item = common(s, "singleInstance", event_id, etag(s["name"], "single"))
    item["start"], item["end"] = dtz(s["start"]), dtz(s["end"])
    return item


# --- iCalendar, as a CalDAV client would write the same calendar --------------------------

VTIMEZONES = {
    "Europe/Berlin": ("+0100", "+0200", "CET", "CEST", "-1SU", 3, "-1SU", 10, "020000", "030000"),
    "Europe/London": ("+0000", "+0100", "GMT", "BST", "-1SU", 3, "-1SU", 10, "010000", "020000"),
    "America/New_York": ("-0500", "-0400", "EST", "EDT", "2SU", 3, "1SU", 11, "020000", "020000"),
    "America/Los_Angeles": ("-0800", "-0700", "PST", "PDT", "2SU", 3, "1SU", 11, "020000", "020000"),
}


def vtimezone(tzid):
    std, dst, std_name, dst_name, dst_day, dst_month, std_day, std_month, dst_at, std_at = VTIMEZONES[tzid]
    return (f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
            f"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:{std}\r\nTZOFFSETTO:{dst}\r\nTZNAME:{dst_name}\r\n"
            f"DTSTART:1970{dst_month:02d}08T{dst_at}\r\nRRULE:FREQ=YEARLY;BYMONTH={dst_month};BYDAY={dst_day}\r\nEND:DAYLIGHT\r\n"
            f"BEGIN:STANDARD\r\nTZOFFSETFROM:{dst}\r\nTZOFFSETTO:{std}\r\nTZNAME:{std_name}\r\n"
            f"DTSTART:1970{std_month:02d}01T{std_at}\r\nRRULE:FREQ=YEARLY;BYMONTH={std_month};BYDAY={std_day}\r\nEND:STANDARD\r\n"
            "END:VTIMEZONE\r\n")


def people_lines(s):
    lines = [f"ORGANIZER;CN=\"{s['organizer'][0]}\":mailto:{s['organizer'][1]}"]
    partstat = {"accepted": "ACCEPTED", "organizer": "ACCEPTED", "declined": "DECLINED",
                "tentativelyAccepted": "TENTATIVE", "none": "NEEDS-ACTION"}
    for a in s["attendees"]:
        extra = ";CUTYPE=RESOURCE" if a["type"] == "resource" else ""
        answer = a["status"]["response"]
        if a["emailAddress"]["address"] == MIA[1] and s.get("response"):
            answer = s["response"]  # a CalDAV copy carries Mia's own answer on her line
        lines.append(f"ATTENDEE;CN=\"{a['emailAddress']['name']}\"{extra};PARTSTAT={partstat[answer]}:mailto:{a['emailAddress']['address']}")
    return lines


def escape(text):
    return text.replace("\r", "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ical_time(name, day, time, tzid, all_day=False):
    if all_day:
        return f"{name};VALUE=DATE:{day.strftime('%Y%m%d')}"
    if tzid == "UTC":
        return f"{name}:{dt.datetime.combine(day, time).strftime('%Y%m%dT%H%M%S')}Z"
    return f"{name};TZID={tzid}:{dt.datetime.combine(day, time).strftime('%Y%m%dT%H%M%S')}"


def ical_series(s):
    tzid = WINDOWS[s["zone"]]
    all_day = bool(s.get("all_day"))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tete tests//Graph twin//EN"]
    head = "".join(l + "\r\n" for l in lines) + (vtimezone(tzid) if tzid in VTIMEZONES else "")
    body = ["BEGIN:VEVENT", f"UID:{uid(s['name'])}", "DTSTAMP:20260820T091244Z"]
    if all_day:
        body += [ical_time("DTSTART", s["start"], None, tzid, True),
                 ical_time("DTEND", s["start"] + dt.timedelta(days=1), None, tzid, True)]
    else:
        body += [ical_time("DTSTART", s["start"], s["time"][0], tzid), ical_time("DTEND", s["start"], s["time"][1], tzid)]
    body.append(f"RRULE:{s['rrule']}")
    for day in s["deleted"]:
        body.append(ical_time("EXDATE", day, None if all_day else s["time"][0], tzid, all_day))
    body.append(f"SUMMARY:{escape(s['subject'])}")
    if s["body"][1]:
        body.append(f"DESCRIPTION:{escape(s['body'][1])}")
    if s.get("show_as") == "free":
        body.append("TRANSP:TRANSPARENT")
    body += people_lines(s)
    body.append("END:VEVENT")
    for day, (new_start, new_end) in s["exceptions"].items():
        body += ["BEGIN:VEVENT", f"UID:{uid(s['name'])}", "DTSTAMP:20260820T091244Z",
                 ical_time("RECURRENCE-ID", day, s["time"][0], tzid),
                 ical_time("DTSTART", new_start.date(), new_start.time(), tzid),
                 ical_time("DTEND", new_end.date(), new_end.time(), tzid),
                 f"SUMMARY:{escape(s['subject'])}"]
        if s["body"][1]:
            body.append(f"DESCRIPTION:{escape(s['body'][1])}")
        body += people_lines(s) + ["END:VEVENT"]
    for day in s["cancelled"]:
        body += ["BEGIN:VEVENT", f"UID:{uid(s['name'])}", "DTSTAMP:20260820T091244Z",
                 ical_time("RECURRENCE-ID", day, s["time"][0], tzid),
                 ical_time("DTSTART", day, s["time"][0], tzid),
                 ical_time("DTEND", day, s["time"][1], tzid),
                 f"SUMMARY:{escape('Canceled: ' + s['subject'])}", "STATUS:CANCELLED"]
        if s["body"][1]:
            body.append(f"DESCRIPTION:{escape(s['body'][1])}")
        body += people_lines(s) + ["END:VEVENT"]
    return head + "".join(l + "\r\n" for l in body) + "END:VCALENDAR\r\n"


def ical_single(s):
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tete tests//Graph twin//EN",
            "BEGIN:VEVENT", f"UID:{uid(s['name'])}", "DTSTAMP:20260820T091244Z",
            f"DTSTART:{s['start'].strftime('%Y%m%dT%H%M%S')}Z", f"DTEND:{s['end'].strftime('%Y%m%dT%H%M%S')}Z",
            f"SUMMARY:{escape(s['subject'])}", f"DESCRIPTION:{escape(s['body'][1])}"]
    body += people_lines(s) + ["END:VEVENT", "END:VCALENDAR"]
    return "".join(l + "\r\n" for l in body)


def main():
    os.makedirs(os.path.join(HERE, "masters"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "caldav"), exist_ok=True)
    items = []
    for s in SERIES:
        master, instances = graph_series(s)
        items += instances
        with open(os.path.join(HERE, "masters", master["id"] + ".json"), "w") as f:
            json.dump(master, f, indent=1)
        with open(os.path.join(HERE, "caldav", s["name"] + ".ics"), "w", newline="") as f:
            f.write(ical_series(s))
    for s in SINGLES:
        items.append(graph_single(s))
        with open(os.path.join(HERE, "caldav", s["name"] + ".ics"), "w", newline="") as f:
            f.write(ical_single(s))
    # Graph lists a calendar view in no promised order; by start here.
    items.sort(key=lambda i: (i["start"]["dateTime"], i["id"]))
    half = len(items) // 2
    context = "https://graph.microsoft.com/v1.0/$metadata#Collection(event)"
    for n, page in [(1, items[:half]), (2, items[half:])]:
        with open(os.path.join(HERE, f"delta-{n}.json"), "w") as f:
            json.dump({"@odata.context": context, "value": page}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
