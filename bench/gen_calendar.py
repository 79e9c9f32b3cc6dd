#!/usr/bin/env python3
"""Generate a realistic, deterministic manager's calendar (.ics) for benchmarks.

Usage:
    bench/gen_calendar.py --events N --seed S --out FILE
    bench/gen_calendar.py --print-middle-year        # e.g. "2026-01-01 2027-01-01"
    bench/gen_calendar.py --demo [--out demo/calendar.ics]

The benchmark calendar is one VCALENDAR with exactly N VEVENT components
(series masters, RECURRENCE-ID overrides and single events all count), about
1.1 KB per VEVENT on average, spanning the five years 2024..2028 so that 2026
is the middle year.  The same arguments always give a byte-identical file
(stdlib only, one seeded random.Random, no clock, no hash-ordered iteration).

What is in it, in proportions a real calendar has:
  * recurring 1:1 series (weekly, biweekly, monthly) organised by
    manager@example.com with exactly one ATTENDEE, titles in the many
    spellings people use ("Ann / Manager 1:1", "1-1 Bo <> Manager", ...);
    moved occurrences (RECURRENCE-ID overrides, same UID, sometimes a higher
    SEQUENCE, some of them far from their master in the file), cancelled
    occurrences (STATUS:CANCELLED overrides), EXDATEs (several per line
    sometimes), series that stop with UNTIL and continue as a new series;
  * team meetings (stand-ups, team syncs, all-hands) with many attendees and
    rooms (CUTYPE=ROOM), also with overrides and EXDATEs;
  * thousands of single events with multi-line descriptions (escaped commas,
    semicolons, backslashes, non-ASCII), locations, VALARMs, X- properties
    (Google, Microsoft, Apple flavours), attendees with CN/PARTSTAT/ROLE;
  * time zones: Europe/Berlin (most), America/New_York, Asia/Tokyo (each with
    its VTIMEZONE), the Windows name "W. Europe Standard Time" with an
    Outlook-style VTIMEZONE, UTC date-times and all-day events.
Lines are folded at 75 octets (never inside a UTF-8 sequence) with CRLF.

There is deliberately no X-WR-TIMEZONE header: recurring-ical-events applies
it (converting UTC events to that zone) and the benchmark compares raw
expansion work, not that convention.

The --demo calendar is small and readable: Mia Manager <mia@example.com> and
nine direct reports, 2026-05-01 .. 2027-01-31, Europe/Berlin (see demo()).
"""

import argparse
import datetime as dt
import random
import sys

FIRST_YEAR = 2024
YEARS = 5
SPAN_START = dt.date(FIRST_YEAR, 1, 1)
SPAN_END = dt.date(FIRST_YEAR + YEARS, 1, 1)  # exclusive
MIDDLE_YEAR = FIRST_YEAR + YEARS // 2
EXPORT_STAMP = "20260315T120000Z"  # a fixed DTSTAMP, like one export run

MANAGER_EMAIL = "manager@example.com"
MANAGER_CN = "Manager"

CRLF = "\r\n"

# --------------------------------------------------------------------------
# Low-level text helpers


def escape_text(s):
    """RFC 5545 TEXT escaping."""
    return (s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line):
    """Fold one content line at 75 octets, never splitting a UTF-8 sequence."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return raw + b"\r\n"
    out = []
    start = 0
    limit = 75
    n = len(raw)
    while start < n:
        end = min(start + limit, n)
        # step back off UTF-8 continuation bytes
        while end < n and (raw[end] & 0xC0) == 0x80:
            end -= 1
        out.append(raw[start:end])
        start = end
        limit = 74  # continuation lines carry one leading space
    return b"\r\n ".join(out) + b"\r\n"


def fmt_local(t):
    return t.strftime("%Y%m%dT%H%M%S")


def fmt_date(d):
    return d.strftime("%Y%m%d")


def param_quote(s):
    if any(c in s for c in ':;,'):
        return '"' + s.replace('"', "'") + '"'
    return s


# --------------------------------------------------------------------------
# Time zones


VTIMEZONES = {
    "Europe/Berlin": [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "X-LIC-LOCATION:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ],
    "America/New_York": [
        "BEGIN:VTIMEZONE",
        "TZID:America/New_York",
        "X-LIC-LOCATION:America/New_York",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "TZNAME:EDT",
        "DTSTART:19700308T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "TZNAME:EST",
        "DTSTART:19701101T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ],
    "Asia/Tokyo": [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Tokyo",
        "X-LIC-LOCATION:Asia/Tokyo",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0900",
        "TZOFFSETTO:+0900",
        "TZNAME:JST",
        "DTSTART:19700101T000000",
        "END:STANDARD",
        "END:VTIMEZONE",
    ],
    # Outlook / Exchange style: Windows zone name, rules anchored in 1601.
    "W. Europe Standard Time": [
        "BEGIN:VTIMEZONE",
        "TZID:W. Europe Standard Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ],
}
TZ_ORDER = ["Europe/Berlin", "America/New_York", "Asia/Tokyo",
            "W. Europe Standard Time"]


def last_sunday(year, month):
    d = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() - 6) % 7)


def nth_sunday(year, month, n):
    d = dt.date(year, month, 1)
    d += dt.timedelta(days=(6 - d.weekday()) % 7)
    return d + dt.timedelta(days=7 * (n - 1))


def utc_offset(tzid, t):
    """UTC offset (timedelta) of local time t in tzid, per the VTIMEZONEs above."""
    if tzid in ("Europe/Berlin", "W. Europe Standard Time"):
        y = t.year
        dst_start = dt.datetime.combine(last_sunday(y, 3), dt.time(2))
        dst_end = dt.datetime.combine(last_sunday(y, 10), dt.time(3))
        return dt.timedelta(hours=2 if dst_start <= t < dst_end else 1)
    if tzid == "America/New_York":
        y = t.year
        dst_start = dt.datetime.combine(nth_sunday(y, 3, 2), dt.time(2))
        dst_end = dt.datetime.combine(nth_sunday(y, 11, 1), dt.time(2))
        return dt.timedelta(hours=-4 if dst_start <= t < dst_end else -5)
    if tzid == "Asia/Tokyo":
        return dt.timedelta(hours=9)
    return dt.timedelta(0)


def to_utc(tzid, t):
    return t - utc_offset(tzid, t)


# --------------------------------------------------------------------------
# Vocabulary

FIRST_NAMES = [
    "Ann", "Bo", "Carla", "Dmitri", "Eve", "Farid", "Greta", "Hassan", "Ines",
    "Jonas", "Kaito", "Lena", "Mateo", "Nora", "Oskar", "Priya", "Quentin",
    "Rosa", "Sven", "Tamar", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë",
    "Jürgen", "Søren", "Aiko", "José", "Chloé", "Elif", "Björn", "Małgorzata",
    "Anaïs", "Ngozi", "Rahul", "Sofía", "Tomasz", "Hyun-woo", "Léa", "Mikael",
    "Olga", "Pedro", "Ruth", "Sanjay", "Theo", "Valentina", "Wiebke", "Yara",
]
LAST_NAMES = [
    "Andersen", "Bauer", "Chen", "Dubois", "Eriksson", "Fischer", "García",
    "Hoffmann", "Ivanova", "Jansen", "Kowalski", "López", "Müller", "Nakamura",
    "O'Brien", "Petrović", "Quinn", "Rossi", "Schäfer", "Tanaka", "Ünal",
    "Vogel", "Wagner", "Xu", "Yamamoto", "Zieliński", "Okafor", "Novak",
    "Larsen", "Silva", "Kim", "Patel", "Berg", "Martin", "Weiß", "Nguyen",
]
TRANSLIT = str.maketrans({"ë": "e", "ü": "ue", "ø": "oe", "é": "e", "ł": "l", "ï": "i",
                          "í": "i", "ó": "o", "á": "a", "ä": "ae", "ö": "oe", "ć": "c",
                          "ń": "n", "ß": "ss", "Ü": "ue", "Ø": "oe", "Ł": "l", "ğ": "g"})
DOMAINS = ["example.com"] * 6 + ["customer.example", "partner.example",
                                  "vendor.example.org", "agency.example.net"]

ROOMS = [
    ("Room Fjord (8)", "room-fjord@resource.example.com"),
    ("Room Delta (4)", "room-delta@resource.example.com"),
    ("Berlin-3-Spree, Großer Saal (20)", "c_188a2b7f9e@resource.example.com"),
    ("NYC-12-Hudson (10)", "c_1a77c0ffee@resource.example.com"),
    ("Tokyo-5-Sakura (6)", "c_9b1e5ea7@resource.example.com"),
    ("Phone booth 2", "booth-2@resource.example.com"),
]

ONE_ON_ONE_TITLES = [
    "{p} / {m} 1:1",
    "1-1 {p} <> {m}",
    "{p} <> {m}",
    "1:1 {p} & {m}",
    "{m} / {p} - weekly 1:1",
    "{p}:{m}",
    "1on1 {p}",
    "{p} x {m} — 1:1",
    "One-on-one: {p}",
    "{p} | {m} catch-up",
]

TEAM_TITLES = [
    "Team sync", "Daily stand-up", "Weekly team meeting", "Sprint planning",
    "Retro", "Engineering all-hands", "Leads sync", "Product review",
    "Architecture forum", "Ops review; incidents & follow-ups",
]

SINGLE_TITLES = [
    "Quarterly planning", "Budget review, Q{q}", "Interview: {p} (backend)",
    "Interview loop debrief", "Customer call — {c}", "Vendor demo: {c}",
    "Coffee with {p}", "Lunch", "Focus time", "Dentist", "Offsite prep",
    "Hiring committee", "Design review: {t}", "Incident post-mortem #{n}",
    "Skip-level with {p}", "Board deck review", "Performance calibration",
    "Town hall", "Onboarding: {p}", "Roadmap brainstorm", "QBR with {c}",
    "Security training", "Pick up kids", "Flight to {city}", "Workshop: {t}",
    "Café & chat with {p}", "Überstunden-Abgleich", "Brainstorm; naming",
    "{c} contract review", "Reference call for {p}",
]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella GmbH", "Soylent AG",
             "Hooli", "Stark Industries", "Wayne Enterprises", "Kaiba KK",
             "Müller & Söhne"]
TOPICS = ["billing service", "search v2", "mobile onboarding", "data retention",
          "SSO rollout", "pricing page", "on-call rotation", "API gateway"]
CITIES = ["New York", "Tokyo", "Lisbon", "München", "São Paulo", "Zürich"]
LOCATIONS = [
    "Berlin HQ, Room Fjord", "Café Einstein, Unter den Linden 42, 10117 Berlin",
    "https://meet.google.com/abc-defg-hij", "Zoom", "Microsoft Teams Meeting",
    "NYC office; 12th floor", "東京オフィス 5F", "Home", "Phone: +49 30 1234567",
    "Customer site, 1 Infinite Loop, Cupertino, CA 95014, USA",
]
SENTENCES = [
    "Agenda: status, blockers, next steps.",
    "Please review the doc beforehand; comments welcome.",
    "We'll go through Q{q} numbers, hiring, and the roadmap.",
    "Notes from last time: action items 1–3 are done, 4 is blocked.",
    "Bring your laptop, a charger, and ideas!",
    "Zusammenfassung folgt per E-Mail; Rückfragen gerne vorab.",
    "Goal: agree on scope; decide owners; set a date.",
    "Dial-in details below. If the link doesn't work, use the phone number.",
    "Context: see the thread in #team-leads (search \"offsite\").",
    "Path on the share: \\\\fileserver\\team\\plans\\2026 — read-only.",
    "Résumé attached. Candidate prefers English; German is fine too.",
    "議題: 進捗確認、課題、次のステップ。",
    "Snacks provided 🍪; dietary restrictions → tell Rosa.",
    "Costs: €1,200 travel; $450 tooling; ¥30,000 misc.",
]
JOIN_BLOCKS = [
    ("-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::-\n"
     "Join with Google Meet: https://meet.google.com/{code}\n"
     "Join by phone\n(US) +1 415-555-0{n3} PIN: {pin}#\n"
     "More phone numbers: https://tel.meet/{code}?pin={pin}\n\n"
     "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n"
     "Please do not edit this section.\n"
     "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::-"),
    ("________________________________________________________________________________\n"
     "Microsoft Teams meeting\nJoin on your computer, mobile app or room device\n"
     "Click here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%3ameeting_{code}%40thread.v2/0>\n"
     "Meeting ID: {pin} {n3}\nPasscode: {code4}\n"
     "Download Teams | Join on the web\n"
     "Learn More | Meeting options\n"
     "________________________________________________________________________________"),
    ("Join Zoom Meeting\nhttps://example.zoom.us/j/{pin}{n3}?pwd={code}\n\n"
     "Meeting ID: {pin} {n3}\nPasscode: {code4}\n\n---\n\n"
     "One tap mobile\n+493056795800,,{pin}{n3}#,,,,*{code4}# Germany\n"
     "+13126266799,,{pin}{n3}#,,,,*{code4}# US (Chicago)"),
]

# --------------------------------------------------------------------------
# Recurrence helpers (enough of RFC 5545 for what we write)

WD = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def nth_weekday(year, month, weekday, n):
    """n-th (1..4, or -1) weekday of a month."""
    if n > 0:
        d = dt.date(year, month, 1)
        d += dt.timedelta(days=(weekday - d.weekday()) % 7)
        return d + dt.timedelta(days=7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() - weekday) % 7)


def occurrences(rule, first, hard_end):
    """Local start datetimes (or dates) of a series, up to hard_end (exclusive),
    honouring rule['until'] (date, inclusive) and rule['count']."""
    out = []
    kind = rule["kind"]
    until = rule.get("until")
    count = rule.get("count")
    is_date = not isinstance(first, dt.datetime)
    fd = first if is_date else first.date()
    tm = None if is_date else first.time()

    def emit(d):
        if until is not None and d > until:
            return False
        if d >= hard_end:
            return False
        if count is not None and len(out) >= count:
            return False
        out.append(d if is_date else dt.datetime.combine(d, tm))
        return True

    if kind == "weekly":
        monday = fd - dt.timedelta(days=fd.weekday())
        k = 0
        while True:
            base = monday + dt.timedelta(days=7 * k)
            stop = False
            for wd in rule["days"]:
                d = base + dt.timedelta(days=wd)
                if d < fd:
                    continue
                if not emit(d):
                    stop = True
                    break
            if stop:
                break
            k += rule["interval"]
    elif kind == "monthly":
        y, m = fd.year, fd.month
        while True:
            d = nth_weekday(y, m, rule["weekday"], rule["nth"])
            if d >= fd and not emit(d):
                break
            m += rule["interval"]
            while m > 12:
                m -= 12
                y += 1
    elif kind == "yearly":
        y = fd.year
        while True:
            if not emit(dt.date(y, fd.month, fd.day)):
                break
            y += 1
    return out


def rrule_text(rule, style, tzid):
    tz_is_date = tzid == "DATE"
    parts = []
    if rule["kind"] == "weekly":
        parts.append("FREQ=WEEKLY")
        if style == "outlook" or rule["interval"] != 1:
            parts.append("INTERVAL=%d" % rule["interval"])
    elif rule["kind"] == "monthly":
        parts.append("FREQ=MONTHLY")
        if rule["interval"] != 1 or style == "outlook":
            parts.append("INTERVAL=%d" % rule["interval"])
    else:
        parts.append("FREQ=YEARLY")
    if rule.get("until") is not None:
        u = rule["until"]
        if tz_is_date:
            parts.append("UNTIL=" + fmt_date(u))
        else:
            # like Google: the end of the last local day, in UTC
            end = to_utc(tzid, dt.datetime.combine(u, dt.time(23, 59, 59)))
            parts.append("UNTIL=" + fmt_local(end) + "Z")
    if rule.get("count") is not None:
        parts.append("COUNT=%d" % rule["count"])
    if rule["kind"] == "weekly":
        parts.append("BYDAY=" + ",".join(WD[d] for d in rule["days"]))
    elif rule["kind"] == "monthly":
        parts.append("BYDAY=%d%s" % (rule["nth"], WD[rule["weekday"]]))
    if style == "outlook":
        parts.append("WKST=MO")
    elif style == "apple" and rule["kind"] == "weekly":
        parts.append("WKST=SU")
    return "RRULE:" + ";".join(parts)


# --------------------------------------------------------------------------
# The benchmark calendar


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.people = []
        self._uid_n = 0

    # ---- small random pieces ----------------------------------------------
    def person(self, internal=True):
        r = self.r
        first = r.choice(FIRST_NAMES)
        last = r.choice(LAST_NAMES)
        dom = "example.com" if internal else r.choice(DOMAINS)
        local = (first + "." + last).lower()
        local = local.translate(TRANSLIT).encode("ascii", "ignore").decode().replace("'", "")
        return ("%s %s" % (first, last), "%s@%s" % (local, dom), first)

    def uid(self, style):
        r = self.r
        self._uid_n += 1
        if style == "outlook":
            return ("040000008200E00074C5B7101A82E00800000000%016X000000000000000010000000%032X"
                    % (r.getrandbits(64), r.getrandbits(128)))
        if style == "apple":
            h = "%032X" % r.getrandbits(128)
            return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
        return "%026x@google.com" % r.getrandbits(104)

    def stamp_before(self, t):
        r = self.r
        d = t if not isinstance(t, dt.datetime) else t.date()
        back = d - dt.timedelta(days=r.randint(1, 60))
        return "%sT%02d%02d%02dZ" % (fmt_date(back), r.randint(6, 20),
                                     r.randint(0, 59), r.randint(0, 59))

    def description(self, long=True):
        r = self.r
        n = r.randint(1, 3) if long else 1
        lines = [r.choice(SENTENCES).format(q=r.randint(1, 4)) for _ in range(n)]
        text = "\n".join(lines)
        if long and r.random() < 0.2:
            blk = r.choice(JOIN_BLOCKS)
            code = "%s-%s-%s" % (self.letters(3), self.letters(4), self.letters(3))
            text += "\n\n" + blk.format(code=code, pin=r.randint(100000000, 999999999),
                                        n3=r.randint(100, 999), code4=r.randint(1000, 9999))
        return text

    def letters(self, n):
        return "".join(self.r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))

    def attendee(self, cn, email, partstat=None, role="REQ-PARTICIPANT", rsvp=None,
                 cutype="INDIVIDUAL", style="google"):
        r = self.r
        if partstat is None:
            partstat = r.choice(["ACCEPTED"] * 6 + ["TENTATIVE", "NEEDS-ACTION", "DECLINED"])
        params = ["CUTYPE=" + cutype, "ROLE=" + role, "PARTSTAT=" + partstat]
        if rsvp is None:
            rsvp = partstat == "NEEDS-ACTION"
        params.append("RSVP=" + ("TRUE" if rsvp else "FALSE"))
        params.append("CN=" + param_quote(cn))
        if style == "google":
            params.append("X-NUM-GUESTS=0")
        if style == "apple":
            params.append('EMAIL="%s"' % email)
        if r.random() < 0.5:
            params = [params[-1]] + params[:-1] if style == "outlook" else params
        return "ATTENDEE;" + ";".join(params) + ":mailto:" + email

    def organizer(self, cn, email):
        return "ORGANIZER;CN=%s:mailto:%s" % (param_quote(cn), email)

    def dt_line(self, name, tzid, t):
        if tzid == "DATE":
            return "%s;VALUE=DATE:%s" % (name, fmt_date(t))
        if tzid == "UTC":
            return "%s:%sZ" % (name, fmt_local(t))
        return "%s;TZID=%s:%s" % (name, param_quote(tzid) if tzid != "W. Europe Standard Time"
                                  else '"W. Europe Standard Time"'
                                  if self.r.random() < 0.3 else tzid, fmt_local(t))

    def alarm(self, style):
        r = self.r
        minutes = r.choice([5, 10, 10, 15, 15, 30, 60, 1440])
        lines = ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:This is an event reminder",
                 "TRIGGER:-P%s" % ("1D" if minutes == 1440 else "T%dM" % minutes)]
        if style == "apple":
            lines.insert(1, "X-WR-ALARMUID:" + self.uid("apple"))
            lines.insert(2, "UID:" + self.uid("apple"))
            lines.append("X-APPLE-DEFAULT-ALARM:TRUE")
        lines.append("END:VALARM")
        return lines

    def style_props(self, style):
        r = self.r
        if style == "outlook":
            return [
                "X-MICROSOFT-CDO-APPT-SEQUENCE:%d" % r.randint(0, 3),
                "X-MICROSOFT-CDO-BUSYSTATUS:" + r.choice(["BUSY", "BUSY", "TENTATIVE", "OOF"]),
                "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
                "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
                "X-MICROSOFT-CDO-IMPORTANCE:1",
                "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
                "X-MS-OLK-CONFTYPE:0",
            ]
        if style == "apple":
            return [
                "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:" + r.choice(["AUTOMATIC", "DISABLED"]),
                "X-APPLE-CREATOR-IDENTITY:com.apple.mobilecal",
                "X-APPLE-CREATOR-TEAM-IDENTITY:0000000000",
            ]
        out = []
        if r.random() < 0.4:
            out.append("X-GOOGLE-CONFERENCE:https://meet.google.com/%s-%s-%s"
                       % (self.letters(3), self.letters(4), self.letters(3)))
        return out

    # ---- components -------------------------------------------------------
    def vevent(self, props, style, alarm=True):
        lines = ["BEGIN:VEVENT"] + props
        if alarm:
            lines += self.alarm(style)
        lines.append("END:VEVENT")
        return lines

    def series(self, kind_title, uid, style, tzid, first, dur, rule, attendees,
               organizer, summary, location, overrides_p, hard_end, description=True):
        """One recurring series: master + override VEVENTs + the list of which
        overrides may be put far from the master. Returns (master, [overrides])."""
        r = self.r
        occ = occurrences(rule, first, hard_end)
        is_date = tzid == "DATE"
        seq = r.choice([0, 0, 0, 1, 2])
        created = self.stamp_before(first)
        exdates = []
        overrides = []
        p_move, p_cancel, p_ex = overrides_p
        # never touch the first occurrence (keeps DTSTART an occurrence)
        for t in occ[1:]:
            x = r.random()
            if x < p_ex:
                exdates.append(t)
            elif x < p_ex + p_cancel:
                overrides.append(("cancel", t))
            elif x < p_ex + p_cancel + p_move:
                overrides.append(("move", t))
        props = []
        if style == "outlook":
            props.append("CLASS:PUBLIC")
        props += [
            self.dt_line("DTSTART", tzid, first),
            self.dt_line("DTEND", tzid, first + dur) if not (style == "apple" and not is_date)
            else "DURATION:PT%dM" % (dur.total_seconds() // 60),
            rrule_text(rule, style, tzid),
        ]
        # EXDATEs: sometimes several per line, sometimes one per line
        i = 0
        while i < len(exdates):
            k = r.choice([1, 1, 2, 3, 4])
            chunk = exdates[i:i + k]
            i += k
            if is_date:
                props.append("EXDATE;VALUE=DATE:" + ",".join(fmt_date(d) for d in chunk))
            else:
                props.append("EXDATE;TZID=%s:%s" % (param_quote(tzid) if tzid != "W. Europe Standard Time" else tzid,
                                                    ",".join(fmt_local(d) for d in chunk)))
        props += [
            "DTSTAMP:" + EXPORT_STAMP,
            organizer,
            "UID:" + uid,
        ]
        props += attendees
        props += [
            "CREATED:" + created,
        ]
        if description:
            props.append("DESCRIPTION:" + escape_text(self.description(long=r.random() < 0.6)))
        else:
            props.append("DESCRIPTION:")
        props += [
            "LAST-MODIFIED:" + created,
            "LOCATION:" + escape_text(location),
            "SEQUENCE:%d" % seq,
            "STATUS:CONFIRMED",
            "SUMMARY:" + escape_text(summary),
            "TRANSP:" + ("TRANSPARENT" if is_date else "OPAQUE"),
        ]
        props += self.style_props(style)
        master = self.vevent(props, style, alarm=not is_date and r.random() < 0.7)
        comps = []
        for what, t in overrides:
            rid = self.dt_line("RECURRENCE-ID", tzid, t)
            if what == "cancel":
                start, end = t, t + dur
                status = "CANCELLED"
                s = summary
            else:
                if is_date:
                    start = t + dt.timedelta(days=r.choice([-1, 1, 2]))
                else:
                    shift = r.choice([
                        dt.timedelta(hours=1), dt.timedelta(hours=-1), dt.timedelta(hours=2),
                        dt.timedelta(minutes=30), dt.timedelta(days=1), dt.timedelta(days=-1),
                        dt.timedelta(days=2, hours=-1), dt.timedelta(days=7)])
                    start = t + shift
                end = start + dur
                status = "CONFIRMED"
                s = summary if r.random() < 0.8 else summary + " (moved)"
            oprops = []
            use_utc = what == "move" and not is_date and r.random() < 0.15
            if use_utc:
                oprops.append("DTSTART:%sZ" % fmt_local(to_utc(tzid, start)))
                oprops.append("DTEND:%sZ" % fmt_local(to_utc(tzid, end)))
            else:
                oprops.append(self.dt_line("DTSTART", tzid, start))
                oprops.append(self.dt_line("DTEND", tzid, end))
            oprops += [
                "DTSTAMP:" + EXPORT_STAMP,
                organizer,
                "UID:" + uid,
                rid,
            ]
            oprops += attendees
            oprops += [
                "CREATED:" + created,
                "DESCRIPTION:" + (escape_text(self.description(long=False))
                                  if r.random() < 0.3 else ""),
                "LAST-MODIFIED:" + self.stamp_before(t),
                "LOCATION:" + escape_text(location),
                "SEQUENCE:%d" % (seq + (r.choice([1, 1, 2]) if r.random() < 0.6 else 0)),
                "STATUS:" + status,
                "SUMMARY:" + escape_text(s),
                "TRANSP:OPAQUE",
            ]
            oprops += self.style_props(style)
            comps.append(self.vevent(oprops, style, alarm=what == "move" and r.random() < 0.5))
        return master, comps, occ

    def one_on_one_relationships(self, n_rel):
        """All 1:1 series. Returns list of blocks (master, overrides)."""
        r = self.r
        blocks = []
        span_days = (SPAN_END - SPAN_START).days
        for i in range(n_rel):
            name, email, first = self.person()
            title_t = r.choice(ONE_ON_ONE_TITLES)
            style = r.choice(["google"] * 6 + ["outlook"] * 2 + ["apple"] * 2)
            tzid = r.choice(["Europe/Berlin"] * 7 + ["America/New_York", "Asia/Tokyo"]
                            + ["UTC"])
            if style == "outlook":
                tzid = "W. Europe Standard Time"
            start = SPAN_START + dt.timedelta(days=r.randint(0, span_days - 90))
            length = r.randint(120, 4 * 365)
            end = min(start + dt.timedelta(days=length), SPAN_END)
            open_ended = end >= SPAN_END or r.random() < 0.15
            nseg = r.choice([1, 1, 1, 2, 2, 3])
            seg_bounds = sorted(r.sample(range(1, max(2, (end - start).days)), k=min(nseg - 1, max(0, (end - start).days - 2))))
            seg_starts = [start] + [start + dt.timedelta(days=b) for b in seg_bounds]
            seg_ends = seg_starts[1:] + [end]
            for si, (s0, s1) in enumerate(zip(seg_starts, seg_ends)):
                if (s1 - s0).days < 21:
                    continue
                cadence = r.choice(["weekly"] * 5 + ["biweekly"] * 3 + ["monthly"] * 2)
                weekday = r.randint(0, 4)
                hour = r.randint(8, 17)
                minute = r.choice([0, 0, 0, 30, 15, 45])
                dur = dt.timedelta(minutes=r.choice([25, 30, 30, 30, 45, 50, 60]))
                if cadence == "monthly":
                    nth = r.choice([1, 1, 2, 3, -1])
                    rule = {"kind": "monthly", "interval": 1, "weekday": weekday, "nth": nth}
                    d = nth_weekday(s0.year, s0.month, weekday, nth)
                    if d < s0:
                        y, m = s0.year + (s0.month == 12), s0.month % 12 + 1
                        d = nth_weekday(y, m, weekday, nth)
                else:
                    rule = {"kind": "weekly", "interval": 1 if cadence == "weekly" else 2,
                            "days": [weekday]}
                    d = s0 + dt.timedelta(days=(weekday - s0.weekday()) % 7)
                last_seg = si == len(seg_starts) - 1
                if not (last_seg and open_ended):
                    if r.random() < 0.2 and not last_seg:
                        # COUNT instead of UNTIL for some finished series
                        occ_all = occurrences(rule, dt.datetime.combine(d, dt.time(hour, minute)), s1)
                        rule["count"] = max(1, len(occ_all))
                    else:
                        rule["until"] = s1 - dt.timedelta(days=1)
                first_t = dt.datetime.combine(d, dt.time(hour, minute))
                if d >= s1 or d >= SPAN_END:
                    continue
                summary = title_t.format(p=first, m=MANAGER_CN)
                att = [self.attendee(name, email, style=style)]
                loc = r.choice(["", "", "Zoom", "Phone booth 2", "Manager's office",
                                "https://meet.google.com/%s-%s-%s" % (self.letters(3), self.letters(4), self.letters(3))])
                # a troubled relationship now and then
                if r.random() < 0.1:
                    probs = (0.25, 0.2, 0.05)
                else:
                    probs = (0.07, 0.04, 0.03)
                uid = self.uid(style)
                if si > 0 and style == "google" and r.random() < 0.5:
                    prev_uid = blocks[-1][0][[l.startswith("UID:") for l in blocks[-1][0]].index(True)][4:]
                    uid = prev_uid.replace("@google.com", "_R%s@google.com" % fmt_local(first_t))
                master, comps, _ = self.series(
                    "1:1", uid, style, tzid, first_t, dur, rule, att,
                    self.organizer(MANAGER_CN, MANAGER_EMAIL), summary, loc, probs,
                    min(s1, SPAN_END) if not (last_seg and open_ended) else SPAN_END)
                blocks.append((master, comps))
        return blocks

    def team_series(self, n_series):
        r = self.r
        blocks = []
        span_days = (SPAN_END - SPAN_START).days
        for i in range(n_series):
            title = r.choice(TEAM_TITLES)
            style = r.choice(["google"] * 5 + ["outlook"] * 2 + ["apple"])
            tzid = "W. Europe Standard Time" if style == "outlook" else r.choice(
                ["Europe/Berlin"] * 6 + ["America/New_York", "Asia/Tokyo", "UTC"])
            start = SPAN_START + dt.timedelta(days=r.randint(0, span_days - 120))
            end = min(start + dt.timedelta(days=r.randint(90, 3 * 365)), SPAN_END)
            open_ended = end >= SPAN_END or r.random() < 0.2
            kind = r.choice(["standup", "weekly", "weekly", "biweekly", "monthly", "allday"])
            hour = r.randint(8, 16)
            minute = r.choice([0, 0, 30, 15])
            if kind == "standup":
                rule = {"kind": "weekly", "interval": 1,
                        "days": r.choice([[0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 2, 4], [1, 3]])}
                dur = dt.timedelta(minutes=15)
                probs = (0.01, 0.02, 0.03)
                title = "Daily stand-up" if len(rule["days"]) == 5 else "Stand-up"
            elif kind in ("weekly", "biweekly"):
                rule = {"kind": "weekly", "interval": 1 if kind == "weekly" else 2,
                        "days": [r.randint(0, 4)]}
                dur = dt.timedelta(minutes=r.choice([30, 45, 60, 90]))
                probs = (0.04, 0.03, 0.03)
            elif kind == "monthly":
                rule = {"kind": "monthly", "interval": r.choice([1, 1, 3]),
                        "weekday": r.randint(0, 4), "nth": r.choice([1, 2, -1])}
                dur = dt.timedelta(minutes=r.choice([60, 90, 120]))
                probs = (0.08, 0.03, 0.02)
            else:
                rule = {"kind": "weekly", "interval": 2, "days": [r.randint(0, 4)]}
                dur = dt.timedelta(days=1)
                probs = (0.03, 0.0, 0.05)
                title = r.choice(["Sprint starts", "Release day", "On-call handover"])
                tzid = "DATE"
            if not open_ended:
                rule["until"] = end - dt.timedelta(days=1)
            if rule["kind"] == "monthly":
                d = nth_weekday(start.year, start.month, rule["weekday"], rule["nth"])
                if d < start:
                    y, m = start.year + (start.month == 12), start.month % 12 + 1
                    d = nth_weekday(y, m, rule["weekday"], rule["nth"])
            else:
                wd = rule["days"][0]
                d = start + dt.timedelta(days=(wd - start.weekday()) % 7)
            first_t = d if tzid == "DATE" else dt.datetime.combine(d, dt.time(hour, minute))
            n_att = r.randint(3, 12)
            org = self.person()
            att = [self.attendee(MANAGER_CN, MANAGER_EMAIL, style=style)]
            att += [self.attendee(*self.person()[:2], style=style) for _ in range(n_att)]
            if tzid != "DATE" and r.random() < 0.8:
                room = r.choice(ROOMS)
                att.append(self.attendee(room[0], room[1], partstat="ACCEPTED",
                                         role="NON-PARTICIPANT", cutype="ROOM", style=style))
            if r.random() < 0.5:
                organizer = self.organizer(MANAGER_CN, MANAGER_EMAIL)
            else:
                organizer = self.organizer(org[0], org[1])
            loc = r.choice(ROOMS)[0] if r.random() < 0.6 else r.choice(LOCATIONS)
            master, comps, _ = self.series("team", self.uid(style), style, tzid, first_t, dur,
                                           rule, att, organizer, title, loc, probs,
                                           end if not open_ended else SPAN_END)
            blocks.append((master, comps))
        return blocks

    def single(self):
        r = self.r
        span_days = (SPAN_END - SPAN_START).days
        d = SPAN_START + dt.timedelta(days=r.randint(0, span_days - 2))
        x = r.random()
        style = r.choice(["google"] * 6 + ["outlook"] * 2 + ["apple"] * 2)
        if x < 0.07:
            tzid = "DATE"
        elif x < 0.15:
            tzid = "UTC"
        elif x < 0.21:
            tzid = "America/New_York"
        elif x < 0.25:
            tzid = "Asia/Tokyo"
        else:
            tzid = "Europe/Berlin"
        if style == "outlook" and tzid != "DATE":
            tzid = "W. Europe Standard Time"
        if tzid != "DATE" and d.weekday() >= 5 and r.random() < 0.85:
            d -= dt.timedelta(days=d.weekday() - 4)
        if d < SPAN_START:
            d = SPAN_START
        title = r.choice(SINGLE_TITLES).format(
            q=r.randint(1, 4), p=self.person()[2], c=r.choice(COMPANIES),
            t=r.choice(TOPICS), n=r.randint(100, 999), city=r.choice(CITIES))
        if tzid == "DATE":
            start = d
            end = d + dt.timedelta(days=r.choice([1, 1, 1, 2, 3, 5]))
            title = r.choice(["Out of office", "Public holiday", "Conference: %s" % r.choice(TOPICS),
                              "Urlaub", "Parental leave day", "Company offsite", "Birthday: %s"
                              % self.person()[2]])
        else:
            start = dt.datetime.combine(d, dt.time(r.randint(7, 18), r.choice([0, 0, 15, 30, 30, 45])))
            end = start + dt.timedelta(minutes=r.choice([15, 25, 30, 30, 45, 60, 60, 90, 120, 180]))
        props = []
        if style == "outlook":
            props.append("CLASS:PUBLIC")
        props.append(self.dt_line("DTSTART", tzid, start))
        if style == "apple" and tzid != "DATE" and r.random() < 0.5:
            props.append("DURATION:PT%dM" % ((end - start).total_seconds() // 60))
        else:
            props.append(self.dt_line("DTEND", tzid, end))
        props.append("DTSTAMP:" + EXPORT_STAMP)
        n_att = r.choice([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 5, 8])
        if n_att:
            if r.random() < 0.45:
                props.append(self.organizer(MANAGER_CN, MANAGER_EMAIL))
                atts = []
            else:
                o = self.person(internal=r.random() < 0.7)
                props.append(self.organizer(o[0], o[1]))
                atts = [self.attendee(MANAGER_CN, MANAGER_EMAIL, style=style)]
            for _ in range(n_att):
                p = self.person(internal=r.random() < 0.7)
                atts.append(self.attendee(p[0], p[1], style=style,
                                          role=r.choice(["REQ-PARTICIPANT"] * 4 + ["OPT-PARTICIPANT"])))
            if r.random() < 0.25:
                room = r.choice(ROOMS)
                atts.append(self.attendee(room[0], room[1], partstat="ACCEPTED",
                                          role="NON-PARTICIPANT", cutype="ROOM", style=style))
        else:
            atts = []
        props.append("UID:" + self.uid(style))
        props += atts
        props.append("CREATED:" + self.stamp_before(start))
        if r.random() < 0.85:
            props.append("DESCRIPTION:" + escape_text(self.description()))
        props.append("LAST-MODIFIED:" + self.stamp_before(start))
        if r.random() < 0.8:
            props.append("LOCATION:" + escape_text(r.choice(LOCATIONS)))
        props.append("SEQUENCE:%d" % r.choice([0, 0, 0, 1, 2, 3]))
        status = r.choice(["CONFIRMED"] * 14 + ["TENTATIVE", "CANCELLED"])
        props.append("STATUS:" + status)
        props.append("SUMMARY:" + escape_text(title))
        props.append("TRANSP:" + ("TRANSPARENT" if tzid == "DATE" else "OPAQUE"))
        if r.random() < 0.3:
            props.append("URL:https://intranet.example.com/events/%d?ref=cal&lang=de" % r.randint(1, 10**6))
        if style == "apple" and r.random() < 0.4:
            props.append('X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS="Unter den Linden 42\\n10117 Berlin\\nGermany";'
                         'X-APPLE-RADIUS=70.58;X-TITLE="Café Einstein":geo:52.517037,13.388860')
        props += self.style_props(style)
        return self.vevent(props, style, alarm=tzid != "DATE" and r.random() < 0.45)


def bench_calendar(n_events, seed):
    g = Gen(seed)
    r = g.r
    n_rel = max(1, round(n_events * 0.012)) if n_events >= 20 else 0
    n_team = max(1, round(n_events * 0.0035)) if n_events >= 40 else 0
    blocks = g.one_on_one_relationships(n_rel) + g.team_series(n_team)
    # keep within budget: drop overrides from the end if needed (tiny N only)
    total = sum(1 + len(c) for _, c in blocks)
    while total > n_events and blocks:
        m, c = blocks[-1]
        if c:
            c.pop()
        else:
            blocks.pop()
        total -= 1
    n_single = n_events - total
    for _ in range(n_single):
        blocks.append((g.single(), []))
    r.shuffle(blocks)
    # Most overrides follow their master; some land anywhere in the file.
    comps = []
    stray = []
    for master, overs in blocks:
        comps.append(master)
        for o in overs:
            if r.random() < 0.2:
                stray.append(o)
            else:
                comps.append(o)
    for o in stray:
        comps.insert(r.randint(0, len(comps)), o)
    return comps, TZ_ORDER


def write_calendar(path, comps, tzids, prodid, name, extra_header=()):
    with open(path, "wb") as f:
        head = ["BEGIN:VCALENDAR", "PRODID:" + prodid, "VERSION:2.0",
                "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:" + escape_text(name)]
        head += list(extra_header)
        buf = []
        for line in head:
            buf.append(fold(line))
        for tz in tzids:
            for line in VTIMEZONES[tz]:
                buf.append(fold(line))
        f.write(b"".join(buf))
        buf = []
        for comp in comps:
            for line in comp:
                buf.append(fold(line))
            if len(buf) > 20000:
                f.write(b"".join(buf))
                buf = []
        buf.append(fold("END:VCALENDAR"))
        f.write(b"".join(buf))


# --------------------------------------------------------------------------
# The demo calendar

DEMO_TZ = "Europe/Berlin"
MIA = ("Mia Manager", "mia@example.com")
DEMO_STAMP = "20261125T080000Z"
DEMO_FROM = dt.date(2026, 5, 1)
DEMO_TO = dt.date(2027, 2, 1)  # exclusive


DEMO_NOW = dt.datetime(2026, 11, 25, 12, 0)  # local (Berlin) time is close enough here
DEMO_NOTES = {
    "ann": "Talked about Q1 hiring.\n- [ ] Ann: send the hiring plan draft (due 2026-12-04)\n"
           "- [x] Mia: introduce Ann to the data team\n- [ ] Mia: check the conference budget",
    "ben": "<b>Notes</b><br><ul><li>[ ] Ben: write up the on-call proposal (due 2026-12-02)</li>"
           "<li>[x] Ben: fix the flaky CI job</li></ul>",
    "chloe": "Short one today.\nTODO: Chloé to share the migration timeline\n"
             "AI: Mia to ask finance about the tooling budget",
    "hugo": "☐ Hugo: prepare the demo for Friday\n✓ Hugo: update the runbook",
    "isla": "- [ ] Isla: read the onboarding doc, including the {{ weird }} template section",
}


def demo():
    r = random.Random(20261125)
    comps = []

    def att(cn, email, partstat="ACCEPTED", role="REQ-PARTICIPANT", cutype="INDIVIDUAL"):
        return "ATTENDEE;CUTYPE=%s;ROLE=%s;PARTSTAT=%s;CN=%s:mailto:%s" % (
            cutype, role, partstat, param_quote(cn), email)

    org = "ORGANIZER;CN=%s:mailto:%s" % MIA

    def ev(uid, start, end, summary, attendees=(), organizer=org, rrule=None,
           exdates=(), rid=None, status="CONFIRMED", seq=0, location=None,
           description=None, transp="OPAQUE"):
        p = ["BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:" + DEMO_STAMP]
        if isinstance(start, dt.datetime):
            p.append("DTSTART;TZID=%s:%s" % (DEMO_TZ, fmt_local(start)))
            p.append("DTEND;TZID=%s:%s" % (DEMO_TZ, fmt_local(end)))
        else:
            p.append("DTSTART;VALUE=DATE:" + fmt_date(start))
            p.append("DTEND;VALUE=DATE:" + fmt_date(end))
        if rrule:
            p.append("RRULE:" + rrule)
        if exdates:
            p.append("EXDATE;TZID=%s:%s" % (DEMO_TZ, ",".join(fmt_local(t) for t in exdates)))
        if rid is not None:
            p.append("RECURRENCE-ID;TZID=%s:%s" % (DEMO_TZ, fmt_local(rid)))
        p.append("SUMMARY:" + escape_text(summary))
        if organizer:
            p.append(organizer)
        p += list(attendees)
        if location:
            p.append("LOCATION:" + escape_text(location))
        if description:
            p.append("DESCRIPTION:" + escape_text(description))
        p += ["STATUS:" + status, "SEQUENCE:%d" % seq, "TRANSP:" + transp, "END:VEVENT"]
        comps.append(p)

    def weekly_dates(first, interval, until):
        out = []
        t = first
        while t.date() <= until:
            out.append(t)
            t += dt.timedelta(weeks=interval)
        return out

    reports = [
        # key, name, email, first start, minutes, interval(weeks) or 'monthly', title, until
        ("ann", "Ann Berger", "ann.berger@example.com", dt.datetime(2026, 5, 5, 10, 0), 30, 1,
         "Ann / Mia 1:1"),
        ("ben", "Ben Okafor", "ben.okafor@example.com", dt.datetime(2026, 5, 6, 14, 0), 45, 2,
         "1-1 Ben <> Mia"),
        ("chloe", "Chloé Dubois", "chloe.dubois@example.com", dt.datetime(2026, 5, 7, 9, 30), 30, 1,
         "Chloé / Mia weekly 1:1"),
        ("dev", "Dev Patel", "dev.patel@example.com", dt.datetime(2026, 5, 4, 11, 0), 60, "monthly",
         "Dev <> Mia monthly 1:1"),
        ("elif", "Elif Yılmaz", "elif.yilmaz@example.com", dt.datetime(2026, 5, 4, 15, 0), 30, 1,
         "Elif / Mia 1:1"),
        ("finn", "Finn Larsen", "finn.larsen@example.com", dt.datetime(2026, 5, 8, 11, 0), 30, 1,
         "1:1 Finn & Mia"),
        ("grace", "Grace Kim", "grace.kim@example.com", dt.datetime(2026, 5, 12, 16, 0), 45, 2,
         "Grace | Mia 1:1"),
        ("hugo", "Hugo Martin", "hugo.martin@example.com", dt.datetime(2026, 5, 6, 9, 0), 25, 1,
         "Hugo / Mia 1:1"),
        ("isla", "Isla Novak", "isla.novak@example.com", dt.datetime(2026, 9, 24, 14, 0), 30, 1,
         "1-1 Isla <> Mia"),
    ]
    last_day = DEMO_TO - dt.timedelta(days=1)
    for key, name, email, first, minutes, interval, title in reports:
        dur = dt.timedelta(minutes=minutes)
        uid = "demo-1on1-%s@tete.example" % key
        attendees = [att(name, email)]
        if interval == "monthly":
            # first Monday of each month
            occ = []
            y, m = first.year, first.month
            while dt.date(y, m, 1) < DEMO_TO:
                occ.append(dt.datetime.combine(nth_weekday(y, m, 0, 1), first.time()))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            rrule = "FREQ=MONTHLY;BYDAY=1MO"
        elif key == "elif":
            until = dt.date(2026, 8, 31)
            occ = weekly_dates(first, 1, until)
            rrule = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260831T235959Z"
        else:
            occ = weekly_dates(first, interval, last_day)
            rrule = "FREQ=WEEKLY;BYDAY=%s" % WD[first.weekday()]
            if interval != 1:
                rrule = "FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s" % (interval, WD[first.weekday()])
        exdates = []
        moved = []      # (original, new start)
        cancelled = []
        if key == "ann":
            moved = [(occ[6], occ[6] + dt.timedelta(days=1)),
                     (occ[20], occ[20] + dt.timedelta(hours=4))]
            cancelled = [occ[14]]
        elif key == "ben":
            moved = [(occ[5], occ[5] + dt.timedelta(hours=-3))]
        elif key == "chloe":
            # the troubled relationship: about half the 1:1s cancelled or moved
            for t in occ[1:]:
                x = r.random()
                if x < 0.3:
                    cancelled.append(t)
                elif x < 0.5:
                    moved.append((t, t + r.choice([dt.timedelta(days=1), dt.timedelta(hours=5),
                                                   dt.timedelta(days=1, hours=6)])))
        elif key == "dev":
            moved = [(occ[3], occ[3] + dt.timedelta(days=1))]
        elif key == "finn":
            exdates = [t for t in occ if dt.date(2026, 8, 3) <= t.date() <= dt.date(2026, 8, 21)]
            cancelled = [occ[24]]
        elif key == "grace":
            cancelled = [occ[8]]
        elif key == "hugo":
            moved = [(occ[10], occ[10] + dt.timedelta(minutes=90))]
            # Mia's vacation: both 1:1s removed, one EXDATE line with two dates
            exdates = [t for t in occ if dt.date(2026, 8, 10) <= t.date() <= dt.date(2026, 8, 21)]
        elif key == "isla":
            moved = [(occ[3], occ[3] + dt.timedelta(days=1))]
        # notes of the last meeting before the demo's "now", with action items in the forms
        # people type them (Markdown boxes, Google's HTML, TODO:/AI: prefixes, check marks)
        notes = DEMO_NOTES.get(key)
        if notes:
            taken = set(exdates) | set(cancelled) | {o for o, _ in moved}
            held = [t for t in occ if t < DEMO_NOW and t not in taken]
            if held:
                t = held[-1]
                ev(uid, t, t + dur, title, attendees, rid=t, seq=0,
                   location="Mia's office" if key != "isla" else "Zoom", description=notes)
        ev(uid, first, first + dur, title, attendees, rrule=rrule, exdates=exdates,
           location="Mia's office" if key != "isla" else "Zoom",
           description="Standing 1:1. Shared notes doc: https://docs.example.com/1on1-%s" % key)
        for orig, new in moved:
            ev(uid, new, new + dur, title, attendees, rid=orig, seq=1,
               location="Mia's office", description="Moved: calendar clash.")
        for orig in cancelled:
            ev(uid, orig, orig + dur, title, attendees, rid=orig, status="CANCELLED", seq=1)
        if key == "elif":
            # the same relationship continues biweekly after the summer
            first2 = dt.datetime(2026, 9, 7, 15, 0)
            ev("demo-1on1-elif-biweekly@tete.example", first2, first2 + dur,
               "Elif / Mia 1:1 (biweekly)", attendees,
               rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", location="Mia's office",
               description="Now every two weeks, as agreed in August.")

    everyone = [att(n, e) for _, n, e, *_ in reports]
    room = att("Room Fjord (8)", "room-fjord@resource.example.com", role="NON-PARTICIPANT",
               cutype="ROOM")
    t = dt.datetime(2026, 5, 4, 9, 30)
    ev("demo-team-weekly@tete.example", t, t + dt.timedelta(minutes=45), "Team weekly",
       everyone + [room], rrule="FREQ=WEEKLY;BYDAY=MO", location="Room Fjord",
       exdates=[dt.datetime(2026, 12, 28, 9, 30)],
       description="Agenda: wins, metrics, blockers; rotating host.")
    t = dt.datetime(2026, 5, 8, 9, 0)
    ev("demo-1on1-prep@tete.example", t, t + dt.timedelta(minutes=30), "1:1 prep",
       [], organizer=None, rrule="FREQ=WEEKLY;BYDAY=FR",
       description="Read notes for next week's 1:1s.")
    t = dt.datetime(2026, 5, 20, 13, 0)
    ev("demo-room-hold@tete.example", t, t + dt.timedelta(hours=2), "Planning (room hold)",
       [room], rrule="FREQ=MONTHLY;BYDAY=3WE", location="Room Fjord")
    t = dt.datetime(2026, 5, 13, 16, 0)
    ev("demo-roadmap-trio@tete.example", t, t + dt.timedelta(minutes=45),
       "Ann / Ben / Mia: roadmap", [everyone[0], everyone[1]],
       rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", location="Zoom")

    # single events: one-off meetings; the two-person ones rotate through many
    # different people so that none of them looks like a recurring 1:1
    peers = [("Sam Skip", "sam.skip@example.com"), ("Priya Peer", "priya.peer@example.com"),
             ("Tom Recruiter", "tom.recruiter@example.com"), ("Olga Customer", "olga@customer.example"),
             ("Lars Lead", "lars.lead@example.com"), ("Noor Finance", "noor.finance@example.com"),
             ("Kenji Sato", "kenji.sato@partner.example"), ("Rosa Legal", "rosa.legal@example.com"),
             ("Jan de Vries", "jan.devries@vendor.example.org"), ("Amara Mentor", "amara@mentor.example"),
             ("Paul HR", "paul.hr@example.com"), ("Wen Designer", "wen.design@example.com")]
    two_person = ["Coffee with {p}", "Intro: {p}", "Catch-up with {p}", "Lunch with {p}",
                  "Contract questions ({p})", "Reference call: {p}"]
    group = [("Quarterly planning", 90), ("Budget review", 60), ("Design review: search v2", 60),
             ("Interview loop debrief", 30), ("Managers' circle", 60), ("Incident review #{n}", 45),
             ("Customer call — Globex", 45), ("Offsite prep", 60), ("Hiring committee", 45),
             ("Roadmap brainstorm", 90)]
    solo = [("Focus time", 120), ("Dentist", 60), ("Expense reports", 30), ("Write performance reviews", 90)]
    report_people = [(n, e) for _, n, e, *_ in reports]
    n = 0
    pi = 0
    d = DEMO_FROM
    while d < DEMO_TO:
        vacation = dt.date(2026, 8, 10) <= d <= dt.date(2026, 8, 21)
        if d.weekday() < 5 and not vacation and r.random() < 0.7:
            n += 1
            x = r.random()
            h, m = r.choice([(8, 30), (11, 30), (12, 0), (13, 0), (14, 30), (16, 0), (17, 0)])
            s = dt.datetime.combine(d, dt.time(h, m))
            if x < 0.3:
                who = [peers[pi % len(peers)]]
                pi += 1
                title = r.choice(two_person).format(p=who[0][0].split()[0])
                minutes = r.choice([30, 45, 60])
            elif x < 0.8:
                title, minutes = r.choice(group)
                title = title.format(n=r.randint(100, 999))
                who = r.sample(peers, r.randint(1, 3)) + r.sample(report_people, r.randint(1, 4))
            else:
                title, minutes = r.choice(solo)
                who = []
            if who and r.random() < 0.5:
                organizer = org
                atts = [att(*p) for p in who]
            elif who:
                organizer = "ORGANIZER;CN=%s:mailto:%s" % (param_quote(who[0][0]), who[0][1])
                atts = [att(*MIA)] + [att(*p) for p in who]
            else:
                organizer, atts = None, []
            ev("demo-single-%03d@tete.example" % n, s, s + dt.timedelta(minutes=minutes), title,
               atts, organizer=organizer,
               location=r.choice([None, "Zoom", "Room Delta", "Café Einstein, Unter den Linden 42"]),
               description=r.choice([None, None, "Agenda in the doc; please add your points.",
                                     "Notes: https://docs.example.com/n/%d" % n]))
        d += dt.timedelta(days=1)
    # two one-off 1:1s with Grace between her biweekly ones: tete suggests weekly
    grace = [r_ for r_ in reports if r_[0] == "grace"][0]
    for i, day in enumerate([dt.date(2026, 10, 22), dt.date(2026, 11, 12)]):
        s_ = dt.datetime.combine(day, dt.time(15, 0))
        ev("demo-grace-adhoc-%d@tete.example" % i, s_, s_ + dt.timedelta(minutes=30),
           "Quick sync Grace / Mia", [att(grace[1], grace[2])], location="Mia's office")
    ev("demo-vacation@tete.example", dt.date(2026, 8, 10), dt.date(2026, 8, 22), "Vacation (Mia)",
       [], organizer=None, transp="TRANSPARENT")
    for day, name in [(dt.date(2026, 10, 3), "Tag der Deutschen Einheit"),
                      (dt.date(2026, 12, 25), "1. Weihnachtstag"),
                      (dt.date(2026, 12, 26), "2. Weihnachtstag"),
                      (dt.date(2027, 1, 1), "Neujahr")]:
        ev("demo-holiday-%s@tete.example" % fmt_date(day), day, day + dt.timedelta(days=1), name,
           [], organizer=None, transp="TRANSPARENT")
    return comps


# --------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, help="number of VEVENT components")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="output file (default: stdout for --events, "
                    "demo/calendar.ics for --demo)")
    ap.add_argument("--print-middle-year", action="store_true",
                    help="print the middle year as 'START END' dates and exit")
    ap.add_argument("--demo", action="store_true", help="write the small demo calendar")
    a = ap.parse_args(argv)
    if a.print_middle_year:
        print("%04d-01-01 %04d-01-01" % (MIDDLE_YEAR, MIDDLE_YEAR + 1))
        return 0
    if a.demo:
        out = a.out or "demo/calendar.ics"
        write_calendar(out, demo(), ["Europe/Berlin"], "-//tete//demo calendar//EN",
                       "Mia Manager (demo)")
        return 0
    if a.events is None or a.events < 0:
        ap.error("--events N is required (or --demo / --print-middle-year)")
    out = a.out or "/dev/stdout"
    comps, tzids = bench_calendar(a.events, a.seed)
    write_calendar(out, comps, tzids, "-//Google Inc//Google Calendar 70.9054//EN",
                   "Manager (bench, seed %d)" % a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
