use proptest::prelude::*;

use super::html::BR_AFTER;
use super::markers::{BEGIN, END, LOOSE, normalize};
use super::*;

fn intact(inside: &str) -> Found {
    Found::Intact {
        inside: inside.to_string(),
    }
}

fn broken(description: &str) -> bool {
    matches!(find(description), Found::Broken { .. })
}

fn written(description: &str, agenda: &str) -> String {
    match write(description, agenda) {
        Ok(text) => text,
        Err(e) => panic!("write failed: {e}"),
    }
}

const AGENDA: &str = "Check-in\n- [ ] Ann: send the hiring plan (due 2026-12-04)\n\nWins";

#[test]
fn regexes_compile() {
    for re in [&*BEGIN, &*END, &*LOOSE, &*BR_AFTER] {
        assert!(!re.as_str().is_empty());
    }
}

#[test]
fn markers_are_plain_and_recognized() {
    for marker in [BEGIN_MARKER, END_MARKER] {
        assert!(!marker.contains(['<', '>', '&', '"', '\'']), "{marker}");
        assert!(marker.is_ascii());
        assert!(!marker.contains('\n'));
    }
    assert!(BEGIN.is_match(&normalize(BEGIN_MARKER)));
    assert!(!END.is_match(&normalize(BEGIN_MARKER)));
    assert!(END.is_match(&normalize(END_MARKER)));
    assert!(!BEGIN.is_match(&normalize(END_MARKER)));
    assert_eq!(LOOSE.find_iter(&normalize(BEGIN_MARKER)).count(), 1);
    assert_eq!(LOOSE.find_iter(&normalize(END_MARKER)).count(), 1);
}

#[test]
fn absent_plain_inserts_at_top() {
    let d = "Talk about the offsite.\n- [ ] Bo: book rooms\n";
    let w = written(d, AGENDA);
    assert_eq!(w, format!("{BEGIN_MARKER}\n{AGENDA}\n{END_MARKER}\n\n{d}"));
    assert_eq!(find(&w), intact(AGENDA));
    assert_eq!(outside(&w), d);
    assert_eq!(
        written("", AGENDA),
        format!("{BEGIN_MARKER}\n{AGENDA}\n{END_MARKER}")
    );
    assert_eq!(find(d), Found::Absent);
    assert_eq!(outside(d), d);
}

#[test]
fn crlf_and_trailing_whitespace_outside_are_kept() {
    let d = "notes  \r\nline two\t\n\r\nlast line without ending   ";
    let w = written(d, "a\nb");
    assert_eq!(
        w,
        format!("{BEGIN_MARKER}\r\na\r\nb\r\n{END_MARKER}\r\n\r\n{d}")
    );
    assert!(w.ends_with(d));
    assert_eq!(find(&w), intact("a\nb"));
    // Replacing keeps the text around the block byte for byte, wherever it stands.
    let moved = format!("before \r\n\n{BEGIN_MARKER}\r\nold\n{END_MARKER}\n  after\r\n\t");
    let w = written(&moved, "new\nlines");
    assert_eq!(
        w,
        format!("before \r\n\n{BEGIN_MARKER}\r\nnew\r\nlines\r\n{END_MARKER}\n  after\r\n\t")
    );
    assert_eq!(outside(&w), "before \r\n\n  after\r\n\t");
    assert_eq!(find(&w), intact("new\nlines"));
}

#[test]
fn replaces_only_the_block() {
    let d = format!(
        "Top note\n{BEGIN_MARKER}\n- [x] Ann: send it\nold agenda\n{END_MARKER}\n\nMy notes\n"
    );
    assert_eq!(find(&d), intact("- [x] Ann: send it\nold agenda"));
    let w = written(&d, "fresh");
    assert_eq!(
        w,
        format!("Top note\n{BEGIN_MARKER}\nfresh\n{END_MARKER}\n\nMy notes\n")
    );
    assert_eq!(outside(&w), "Top note\nMy notes\n");
    assert_eq!(written(&w, "fresh"), w);
    // An empty agenda leaves the markers.
    let empty = written(&d, "");
    assert_eq!(find(&empty), intact(""));
    assert_eq!(written(&empty, "\n\n"), empty);
}

#[test]
fn tolerant_recognition() {
    let agenda = "x";
    for (begin, end) in [
        (
            "  --- TETE AGENDA: other words from an older version ---  ",
            "--- End of tete agenda ---",
        ),
        ("--- tete agenda", "--- end of tete agenda"),
        ("— tete agenda —", "— end of tete agenda —"),
        ("-- Tête agenda: x", "-- end of the tête agenda --"),
        ("tete agenda:", "end of tete agenda"),
        (
            "---&nbsp;tete&nbsp;agenda ---",
            "---\u{a0}end of tete agenda ---",
        ),
        ("===  tete   agenda ===", "=== end tete agenda ==="),
    ] {
        let d = format!("hi\n{begin}\n{agenda}\n{end}\nbye");
        assert_eq!(find(&d), intact(agenda), "{begin} / {end}");
        assert_eq!(
            written(&d, "y"),
            format!("hi\n{BEGIN_MARKER}\ny\n{END_MARKER}\nbye")
        );
    }
    // Mentions of tete are not markers.
    for d in [
        "We talked about the tete agenda.",
        "tete agenda ideas",
        "- the end of the meeting",
    ] {
        assert_eq!(find(d), Found::Absent, "{d}");
    }
}

#[test]
fn tolerant_recognition_in_html() {
    for d in [
        format!("<b>{BEGIN_MARKER}</b><br>x<br><i>{END_MARKER}</i><br>notes"),
        format!("<p>&nbsp;{BEGIN_MARKER} </p><p>x</p><p><span>{END_MARKER}</span></p><p>notes</p>"),
        format!(
            "<div><span style=\"color:red\">{BEGIN_MARKER}</span></div><div>x</div><div>{END_MARKER}</div>notes"
        ),
        "<P>--- TETE&nbsp;AGENDA ---<BR>x<BR/>--- END OF TETE AGENDA ---</P>notes".to_string(),
    ] {
        assert_eq!(find(&d), intact("x"), "{d}");
        let w = written(&d, "y");
        assert_eq!(find(&w), intact("y"), "{d}");
        assert!(w.ends_with("notes") || w.ends_with("notes</p>"), "{w}");
    }
}

#[test]
fn broken_markers_are_reported_not_guessed() {
    let cases = [
        format!("{BEGIN_MARKER}\nx\nnotes"),
        format!("notes\nx\n{END_MARKER}"),
        format!("{END_MARKER}\nx\n{BEGIN_MARKER}"),
        format!("{BEGIN_MARKER}\n{BEGIN_MARKER}\nx\n{END_MARKER}"),
        format!("{BEGIN_MARKER}\nx\n{END_MARKER}\n{END_MARKER}"),
        // A marker run into other text, by an app rewrapping or a person joining lines.
        format!("notes {BEGIN_MARKER}\nx\n{END_MARKER}"),
        "--- tete\nagenda ---\nx\n--- end of tete agenda ---".to_string(),
        format!("{BEGIN_MARKER}<br>x<br>notes"),
    ];
    for d in &cases {
        assert!(broken(d), "{d}");
        assert!(
            matches!(write(d, "y"), Err(BlockError::Broken { .. })),
            "{d}"
        );
        assert_eq!(outside(d), *d);
    }
    assert_eq!(
        find(&cases[0]),
        Found::Broken {
            reason: "the begin marker is there but the end marker is not".into()
        }
    );
    assert_eq!(
        find(&cases[2]),
        Found::Broken {
            reason: "the end marker comes before the begin marker".into()
        }
    );
}

#[test]
fn agenda_that_reads_as_a_marker_is_refused() {
    let d = "notes";
    assert_eq!(
        write(d, "ok\n--- end of tete agenda ---"),
        Err(BlockError::MarkerInAgenda { line: 2 })
    );
    assert_eq!(
        write(d, "see --- tete agenda"),
        Err(BlockError::MarkerInAgenda { line: 1 })
    );
}

#[test]
fn lines_that_together_read_as_a_marker_are_refused() {
    assert_eq!(
        write("notes", "x ---\ntete agenda y"),
        Err(BlockError::WouldNotReadBack)
    );
}

#[test]
fn html_looking_agenda_in_a_plain_description_stays_plain() {
    // Items people typed can hold anything; in a plain description they are written as
    // they are, and they must not make tete read the description as HTML next time
    // (where `<!--` or `<script>` would hide the end marker).
    let d = "plain notes";
    let agenda = "- [ ] fix <!-- the comment\n- [ ] drop <script> tags\n<br>";
    let w = written(d, agenda);
    assert_eq!(w, format!("{BEGIN_MARKER}\n{agenda}\n{END_MARKER}\n\n{d}"));
    assert_eq!(find(&w), intact(agenda));
    assert_eq!(outside(&w), d);
    assert_eq!(written(&w, agenda), w);
    assert_eq!(written(&w, "a"), written(d, "a"));
}

#[test]
fn html_fragment_gets_an_html_block() {
    let d = "<ul><li>[ ] Bo: book rooms</li></ul><br>My &amp; notes";
    let w = written(d, "Check-in\n- [ ] <b>bold</b> & co\n");
    assert_eq!(
        w,
        format!(
            "{BEGIN_MARKER}<br>Check-in<br>- [ ] &lt;b&gt;bold&lt;/b&gt; &amp; co<br>{END_MARKER}<br><br>{d}"
        )
    );
    assert_eq!(find(&w), intact("Check-in\n- [ ] <b>bold</b> & co"));
    assert_eq!(outside(&w), d);
    assert_eq!(written(&w, "Check-in\n- [ ] <b>bold</b> & co"), w);
    let again = written(&w, "other");
    assert_eq!(
        again,
        format!("{BEGIN_MARKER}<br>other<br>{END_MARKER}<br><br>{d}")
    );
}

#[test]
fn html_replaces_exactly_the_marker_lines() {
    // As Google's editor might leave it: the block split into divs, a person's text
    // before and after, inline tags around the markers.
    let before = "<div>Before</div>";
    let after = "</div><div><br></div><div>after &nbsp;</div>";
    let d = format!(
        "{before}<div><span>{BEGIN_MARKER}</span></div><div>- [x] Ann: send it</div><div>{END_MARKER}{after}"
    );
    assert_eq!(find(&d), intact("- [x] Ann: send it"));
    let w = written(&d, "new & fresh");
    assert_eq!(
        w,
        format!("{before}<div>{BEGIN_MARKER}<br>new &amp; fresh<br>{END_MARKER}{after}")
    );
    assert_eq!(written(&w, "new & fresh"), w);
}

#[test]
fn html_markup_around_the_block_stays_balanced() {
    // Tags opened before the begin marker and closed after the end marker, or the other
    // way round, are written back; pairs inside the span go with the old block.
    for (d, expected) in [
        (
            format!("<span class=\"a\">{BEGIN_MARKER}<br>x<br>{END_MARKER}</span><br>n"),
            format!("{BEGIN_MARKER}<br>y<br>{END_MARKER}<br>n"),
        ),
        (
            format!("<b>{BEGIN_MARKER}</b><br><i>x</i><br><u>{END_MARKER}</u><br>n"),
            format!("{BEGIN_MARKER}<br>y<br>{END_MARKER}<br>n"),
        ),
        (
            format!("<i>n<br><span>{BEGIN_MARKER}</span></i><br>x<br>{END_MARKER}<b><br>n</b>"),
            format!("<i>n<br>{BEGIN_MARKER}<br>y<br>{END_MARKER}</i><b><br>n</b>"),
        ),
        (
            format!("<div><font>{BEGIN_MARKER}</div><div>x</div><div>{END_MARKER}</font></div>n"),
            format!("<div>{BEGIN_MARKER}<br>y<br>{END_MARKER}</div>n"),
        ),
    ] {
        let w = written(&d, "y");
        assert_eq!(w, expected, "{d}");
        assert_eq!(written(&w, "y"), w, "{d}");
    }
}

#[test]
fn outlook_document_gets_the_block_inside_body() {
    let d = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n<TITLE></TITLE>\n</HEAD>\n<BODY class=\"x\">\n<P>Hello</P>\n</BODY>\n</HTML>";
    let w = written(d, "a\nb");
    let at = d
        .find("<BODY class=\"x\">")
        .map_or(0, |p| p + "<BODY class=\"x\">".len());
    assert_eq!(
        w,
        format!(
            "{}{BEGIN_MARKER}<br>a<br>b<br>{END_MARKER}<br><br>{}",
            &d[..at],
            &d[at..]
        )
    );
    assert_eq!(find(&w), intact("a\nb"));
    assert_eq!(outside(&w), d);
    assert_eq!(written(&w, "a\nb"), w);
}

#[test]
fn google_html_blob_gets_the_block_inside() {
    let d = "<html-blob><u>Notes</u><br>- [ ] Bo: book rooms</html-blob>";
    let w = written(d, "a");
    assert_eq!(
        w,
        format!(
            "<html-blob>{BEGIN_MARKER}<br>a<br>{END_MARKER}<br><br><u>Notes</u><br>- [ ] Bo: book rooms</html-blob>"
        )
    );
    assert_eq!(outside(&w), d);
    assert_eq!(written(&w, "a"), w);
}

#[test]
fn plain_block_later_turned_into_html_is_found() {
    let plain = written("notes", "- [ ] Ann: send it");
    let google = plain.replace('\n', "<br>");
    assert_eq!(find(&google), intact("- [ ] Ann: send it"));
    let w = written(&google, "- [ ] Ann: send it");
    assert_eq!(w, google);
}

#[test]
fn checked_items_inside_can_be_read() {
    let w = written(
        "notes\n- [ ] Bo: typed outside",
        "- [ ] Ann: send it\n- [ ] Mia: book it",
    );
    let checked = w.replace("- [ ] Ann", "- [x] Ann");
    let Found::Intact { inside } = find(&checked) else {
        panic!("block not found")
    };
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let inside_items = items::extract(&inside, day);
    assert_eq!(inside_items.len(), 2);
    assert!(inside_items[0].done && !inside_items[1].done);
    let outside_items = items::extract(&outside(&checked), day);
    assert_eq!(outside_items.len(), 1);
    assert_eq!(outside_items[0].owner.as_deref(), Some("Bo"));
}

#[test]
fn items_carried_then_checked_in_google_keep_their_identity() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    // Last week: items typed by hand, plain text.
    let last = "Notes\n- [ ] Ann: send the hiring plan (due 4 Dec)\nTODO: book the offsite @mia\n- [x] done already";
    let open: Vec<items::ActionItem> = items::extract(last, day)
        .into_iter()
        .filter(|i| !i.done)
        .collect();
    assert_eq!(open.len(), 2);
    let agenda = open
        .iter()
        .map(items::ActionItem::to_line)
        .collect::<Vec<_>>()
        .join("\n");
    // This week's event, edited in Google: HTML; the manager checks one item there.
    let next = written("<b>Prep</b><br>ask about the reorg", &agenda);
    let checked = next.replacen("- [ ] Ann", "- [x] Ann", 1);
    let Found::Intact { inside } = find(&checked) else {
        panic!("block not found in {checked}")
    };
    let now = items::extract(&inside, day);
    assert_eq!(
        now.iter().map(|i| (i.key(), i.done)).collect::<Vec<_>>(),
        vec![(open[0].key(), true), (open[1].key(), false)]
    );
    assert_eq!(now[0].due, open[0].due);
    assert_eq!(items::extract(&outside(&checked), day), Vec::new());
}

#[test]
fn template_syntax_passes_through_verbatim() {
    for d in [
        "Ideas: {{ x }} and {% if true %}yes{% endif %} {# c #}",
        "<p>{{ counterpart }}</p><p>{% for i in items %}{{ i }}{% endfor %}</p>",
    ] {
        let w = written(d, "{{ agenda }} {% raw %}");
        assert!(w.ends_with(d), "{w}");
        assert_eq!(outside(&w), d);
        assert_eq!(find(&w), intact("{{ agenda }} {% raw %}"));
    }
}

/// Descriptions made of pieces people and apps produce, markers excluded.
fn description() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 .,:;!?()\\[\\]{}%@#'\"-]{0,12}",
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just(" \t ".to_string()),
        Just("- [ ] Ann: send it".to_string()),
        Just("<br>".to_string()),
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<div>".to_string()),
        Just("<b>".to_string()),
        Just("&nbsp;".to_string()),
        Just("&amp;".to_string()),
        Just("<body>".to_string()),
        Just("a < b".to_string()),
        Just("é☐✓".to_string()),
        Just("tete".to_string()),
        Just("agenda".to_string()),
        Just("---".to_string()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Agendas, including text that would mean something in HTML.
fn agenda() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[a-zA-Z0-9 <>&;:\\[\\]-]{0,10}",
        Just("<!-- note".to_string()),
        Just("<script>".to_string()),
        Just("<br>".to_string()),
        Just("&nbsp;&amp;".to_string()),
        Just("{{ x }}".to_string()),
        Just("---".to_string()),
        Just("tete".to_string()),
    ];
    prop::collection::vec(line, 0..5).prop_map(|v| v.join("\n"))
}

proptest! {
    #[test]
    fn write_is_idempotent_and_keeps_the_outside(d in description(), a in agenda(), b in agenda()) {
        prop_assume!(find(&d) == Found::Absent);
        prop_assume!(write(&d, &a).is_ok() && write(&d, &b).is_ok());
        let w = write(&d, &a).unwrap_or_default();
        prop_assert_eq!(write(&w, &a).unwrap_or_default(), w.clone());
        let intact_after = matches!(find(&w), Found::Intact { .. });
        prop_assert!(intact_after);
        prop_assert_eq!(outside(&w), d.clone());
        // Another agenda and back: still the same outside, still one block.
        let other = write(&w, &b).unwrap_or_default();
        prop_assert_eq!(outside(&other), d.clone());
        prop_assert_eq!(write(&other, &a).unwrap_or_default(), w);
    }

    #[test]
    fn plain_inside_is_the_agenda(d in "[a-z \\n]{0,30}", a in "[a-z\\-\\[\\] ]{1,10}(\\n[a-z ]{0,10}){0,3}") {
        prop_assume!(find(&d) == Found::Absent);
        let w = write(&d, &a).unwrap_or_default();
        prop_assert_eq!(find(&w), intact(a.trim_end_matches('\n')));
    }

    #[test]
    fn find_never_panics(s in "\\PC{0,80}") {
        let _ = find(&s);
        let _ = outside(&s);
        let _ = write(&s, "x");
    }
}

#[test]
fn a_block_with_the_older_long_marker_is_found_and_gets_the_short_one() {
    let old = "--- tete agenda: tete rewrites this part before each 1:1 and keeps what you check off here; add your own notes below the end line ---";
    let d = format!("{old}\nold agenda\n{END_MARKER}\n\nMy notes\n");
    assert!(matches!(find(&d), Found::Intact { .. }));
    assert_eq!(
        write(&d, "new agenda").unwrap(),
        format!("{BEGIN_MARKER}\nnew agenda\n{END_MARKER}\n\nMy notes\n")
    );
    assert!(BEGIN_MARKER.len() < 64, "short and plain");
}

/// Where a located block starts and ends (or why it is broken), to compare two answers.
fn spans(located: &Located) -> String {
    match located {
        Located::Absent => "absent".into(),
        Located::Intact { begin, end, html } => format!("{:?} {:?} {html}", begin.range, end.range),
        Located::Broken(why) => format!("broken: {why}"),
    }
}

#[test]
fn descriptions_located_before_are_located_alike_and_never_mixed_up() {
    let with_block = write("Notes of my own", "- budget").unwrap();
    let moved = format!("A line first\n{with_block}");
    let broken = format!("{BEGIN_MARKER}\nno end");
    // Past the number remembered too: the oldest are let go, and found again.
    let many: Vec<String> = (0..300).map(|i| format!("{moved}\n{i}")).collect();
    for _ in 0..2 {
        for text in [&with_block, &moved, &broken, &"plain".to_string()]
            .into_iter()
            .chain(&many)
        {
            assert_eq!(
                spans(&locate(text)),
                spans(&locate::locate_anew(text)),
                "{text:?}"
            );
        }
    }
    assert_eq!(find(&with_block), intact("- budget"));
}
