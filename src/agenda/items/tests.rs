use proptest::prelude::*;

use super::due::{DUE, ISO, MONTH_WORD, NUMBER};
use super::html::{CHECKED, DOCUMENT, HTML_TAG};
use super::key::DUE_LEFTOVER;
use super::line::{BULLET, CHECKBOX, DONE_SUFFIX, PREFIX, STRAY_END};
use super::owner::{COLON_OWNER, MENTION, NOT_OWNERS};
use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The demo's "now": 2026-11-25.
fn today() -> NaiveDate {
    day(2026, 11, 25)
}

fn item(text: &str, owner: Option<&str>, due: Option<NaiveDate>, done: bool) -> ActionItem {
    ActionItem {
        text: text.to_string(),
        owner: owner.map(str::to_string),
        due,
        done,
    }
}

fn one(line: &str) -> Option<ActionItem> {
    parse_line(line, today())
}

#[test]
fn regexes_compile() {
    for re in [
        &*DUE,
        &*DUE_LEFTOVER,
        &*ISO,
        &*MONTH_WORD,
        &*NUMBER,
        &*BULLET,
        &*CHECKBOX,
        &*PREFIX,
        &*DONE_SUFFIX,
        &*COLON_OWNER,
        &*MENTION,
        &*HTML_TAG,
        &*DOCUMENT,
        &*CHECKED,
        &*STRAY_END,
    ] {
        assert!(!re.as_str().is_empty());
    }
}

#[test]
fn markdown_task_with_owner_and_due() {
    assert_eq!(
        one("- [ ] Ann: send the hiring plan (due 2026-12-04)"),
        Some(item(
            "send the hiring plan",
            Some("Ann"),
            Some(day(2026, 12, 4)),
            false
        ))
    );
}

#[test]
fn checkbox_forms() {
    let open = Some(item("send the plan", None, None, false));
    let done = Some(item("send the plan", None, None, true));
    for line in [
        "- [ ] send the plan",
        "* [ ] send the plan",
        "+ [ ] send the plan",
        "[ ] send the plan",
        "[] send the plan",
        "  -[ ] send the plan  ",
        "1. [ ] send the plan",
        "☐ send the plan",
        "• ☐ send the plan",
        "TODO: send the plan",
        "todo: send the plan",
        "To do: send the plan",
        "AI: send the plan",
        "Action: send the plan",
        "Action item: send the plan",
        "- Action item: send the plan",
        "- [ ] TODO: send the plan",
    ] {
        assert_eq!(one(line), open, "{line}");
    }
    for line in [
        "- [x] send the plan",
        "- [X] send the plan",
        "[x] send the plan",
        "[✓] send the plan",
        "☑ send the plan",
        "✓ send the plan",
        "✔ send the plan",
        "☒ send the plan",
        "✅ send the plan",
        "TODO: send the plan (done)",
        "AI: send the plan ✓",
        "AI: [x] send the plan",
        "Action: send the plan - done",
        "Done: send the plan",
        "- [ ] send the plan (done)",
    ] {
        assert_eq!(one(line), done, "{line}");
    }
}

#[test]
fn not_items() {
    for line in [
        "",
        "We should keep a todo list for the offsite.",
        "the todo: app is slow",
        "Action items:",
        "Action items: see below",
        "TODO:",
        "- [ ]",
        "[x]",
        "- send the plan",
        "Ann: send the plan",
        "ai: we talked about AI tooling",
        "[link](https://example.com)",
        "Notes from last time",
    ] {
        assert_eq!(one(line), None, "{line}");
    }
}

#[test]
fn owners() {
    let owner = |line: &str| one(line).and_then(|i| i.owner);
    assert_eq!(owner("- [ ] Ann: send it").as_deref(), Some("Ann"));
    assert_eq!(owner("- [ ] ann: send it").as_deref(), Some("ann"));
    assert_eq!(owner("- [ ] Ann Lee: send it").as_deref(), Some("Ann Lee"));
    assert_eq!(owner("- [ ] @ann: send it").as_deref(), Some("ann"));
    assert_eq!(owner("- [ ] send it @ann").as_deref(), Some("ann"));
    assert_eq!(owner("- [ ] @ann send it").as_deref(), Some("ann"));
    assert_eq!(owner("- [ ] Decide: hire or not"), None);
    assert_eq!(owner("- [ ] Note: the budget is fixed"), None);
    assert_eq!(owner("- [ ] Talk to Bo: about the budget"), None);
    assert_eq!(owner("- [ ] Q3: plan the budget"), None);
    assert_eq!(owner("- [ ] mail ann@example.com the plan"), None);
    // A mention in the middle names the owner and stays in the text.
    assert_eq!(
        one("- [ ] ask @bo about the budget"),
        Some(item("ask @bo about the budget", Some("bo"), None, false))
    );
    assert_eq!(
        one("- [ ] send it @ann."),
        Some(item("send it", Some("ann"), None, false))
    );
    assert_eq!(
        one("- [ ] Ann: check the 10:30 slot"),
        Some(item("check the 10:30 slot", Some("Ann"), None, false))
    );
}

#[test]
fn due_dates() {
    let due = |line: &str| one(line).and_then(|i| i.due);
    let dec4 = Some(day(2026, 12, 4));
    for line in [
        "- [ ] send it (due 2026-12-04)",
        "- [ ] send it (Due: 2026-12-04)",
        "- [ ] send it due: 2026-12-04",
        "- [ ] send it due 2026-12-04",
        "- [ ] send it, due 4 Dec",
        "- [ ] send it due 4th December",
        "- [ ] send it due Dec. 4",
        "- [ ] send it by 2026-12-04",
        "- [ ] send it (by Dec 4)",
        "- [ ] send it [by Dec 4]",
        "- [ ] send it by December 4, 2026",
        "- [ ] send it due by 4 Dec 2026",
        "- [ ] send it 2026-12-04",
        "- [ ] send it (2026-12-04)",
        "- [ ] 2026-12-04 send it",
        "- [ ] send it by 2026/12/04",
        "- [ ] send it due 4 Dec.",
        "- [ ] send it, by Dec 4, 2026.",
    ] {
        assert_eq!(due(line), dec4, "{line}");
        assert_eq!(
            one(line).map(|i| i.text).as_deref(),
            Some("send it"),
            "{line}"
        );
    }
    // Without a year: the next such date, or a recent one (overdue, typed late).
    assert_eq!(due("- [ ] send it by Jan 10"), Some(day(2027, 1, 10)));
    assert_eq!(due("- [ ] send it by Nov 20"), Some(day(2026, 11, 20)));
    assert_eq!(due("- [ ] send it by Oct 1"), Some(day(2027, 10, 1)));
    assert_eq!(
        parse_line("- [ ] send it by Feb 29", today()).and_then(|i| i.due),
        Some(day(2028, 2, 29))
    );
    // Not dates: kept as text.
    assert_eq!(due("- [ ] send it by Friday"), None);
    assert_eq!(due("- [ ] send it (due 2026-13-45)"), None);
    assert_eq!(due("- [ ] review the due diligence"), None);
    assert_eq!(due("- [ ] stand by May"), None);
    assert_eq!(
        one("- [ ] send it by Friday").map(|i| i.text).as_deref(),
        Some("send it by Friday")
    );
}

#[test]
fn key_matches_the_same_item_typed_again() {
    let key = |line: &str| one(line).map(|i| i.key()).unwrap_or_default();
    let base = key("- [ ] Ann: send the hiring plan (due 2026-12-04)");
    assert_eq!(base, "ann: send the hiring plan");
    for line in [
        "- [x] Ann: send the hiring plan (due 2026-12-04)",
        "- [ ] ann:  Send the   hiring plan.",
        "☑ Ann: send the hiring plan",
        "TODO: send the hiring plan @ann",
        "- [ ] @Ann send the hiring plan by 4 Dec",
        "AI: Ann: send the hiring plan (due Friday)",
        "AI: Ann: send the hiring plan, due next week",
    ] {
        assert_eq!(key(line), base, "{line}");
    }
    assert_ne!(key("- [ ] Bo: send the hiring plan"), base);
    assert_ne!(key("- [ ] send the hiring plan"), base);
    assert_ne!(key("- [ ] Ann: send the hiring plan v2"), base);
    assert_eq!(
        key("- [ ] Ann: don’t forget “the plan”!"),
        key("- [ ] Ann: don't forget \"the plan\"")
    );
}

#[test]
fn to_line_reads_back() {
    for line in [
        "- [ ] Ann: send the hiring plan (due 2026-12-04)",
        "- [x] send it @ann_lee",
        "☑ Ann Lee: book the offsite by Jan 10",
        "AI: ask @bo about the budget",
        "TODO: send the plan @ann.",
        "- [ ] Decide: hire or not",
        "- [ ] send it by Friday",
    ] {
        let Some(first) = one(line) else {
            panic!("not an item: {line}")
        };
        assert_eq!(one(&first.to_line()), Some(first.clone()), "{line}");
    }
    assert_eq!(
        item("send it", Some("Ann"), Some(day(2026, 12, 4)), false).to_line(),
        "- [ ] Ann: send it (due 2026-12-04)"
    );
}

#[test]
fn extract_plain_text() {
    let description = "Agenda\r\n\
        - how was the week\r\n\
        Action items:\r\n\
        - [ ] Ann: send the hiring plan (due 2026-12-04)\r\n\
        - [x] Mia: book the room\n\
        We need a better todo list.\n\
        TODO: write the brag doc @ann\n";
    assert_eq!(
        extract(description, today()),
        vec![
            item(
                "send the hiring plan",
                Some("Ann"),
                Some(day(2026, 12, 4)),
                false
            ),
            item("book the room", Some("Mia"), None, true),
            item("write the brag doc", Some("ann"), None, false),
        ]
    );
}

#[test]
fn extract_google_html() {
    let description = "Agenda<br><ul><li>[ ] Ann: send the hiring plan (due 2026-12-04)</li>\
        <li>[x] Mia: book the room &amp; the&nbsp;projector</li><li>just a bullet</li></ul>\
        <br>TODO: <b>write</b> the brag doc<br><p>☐ ask @bo about the budget</p>";
    assert!(looks_like_html(description));
    assert_eq!(
        extract(description, today()),
        vec![
            item(
                "send the hiring plan",
                Some("Ann"),
                Some(day(2026, 12, 4)),
                false
            ),
            item("book the room & the projector", Some("Mia"), None, true),
            item("write the brag doc", None, None, false),
            item("ask @bo about the budget", Some("bo"), None, false),
        ]
    );
}

#[test]
fn extract_outlook_document() {
    let description = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n\
        <META NAME=\"Generator\" CONTENT=\"MS Exchange Server\">\n<TITLE>TODO: not this</TITLE>\n\
        <style>p { margin: 0 }</style>\n</HEAD>\n<BODY>\n<!-- Converted from text/rtf format -->\n\
        <P DIR=LTR><SPAN LANG=\"en-us\"><FONT FACE=\"Calibri\">[ ] Ann: send the\n\
        hiring plan</FONT></SPAN></P>\n<P><input type=\"checkbox\" checked> Bo: file the expenses</P>\n\
        <P><INPUT TYPE=checkbox> Bo: plan Q1</P>\n</BODY>\n</HTML>";
    assert_eq!(
        extract(description, today()),
        vec![
            item("send the hiring plan", Some("Ann"), None, false),
            item("file the expenses", Some("Bo"), None, true),
            item("plan Q1", Some("Bo"), None, false),
        ]
    );
}

#[test]
fn html_detection() {
    for html in [
        "a<br>b",
        "a<br/>b",
        "a<BR />b",
        "<p>x</p>",
        "<ul><li>x</li></ul>",
        "<b>x</b>",
        "<a href=\"https://x\">x</a>",
        "<!DOCTYPE html><html></html>",
        "<html-blob>x</html-blob>",
    ] {
        assert!(looks_like_html(html), "{html}");
    }
    for text in [
        "plain text",
        "Ann <ann@example.com>",
        "if a < b and b > c",
        "use <angle brackets>",
        "R&D &amp; more",
        "<ann@example.com>",
        "x <- y",
    ] {
        assert!(!looks_like_html(text), "{text}");
    }
}

#[test]
fn html_to_text_shapes() {
    assert_eq!(html_to_text("a<br>b<br/>c<br />d"), "a\nb\nc\nd");
    assert_eq!(
        html_to_text("<p>one</p><p>two</p><div>three</div>"),
        "one\ntwo\nthree"
    );
    assert_eq!(html_to_text("<ul><li>a</li><li>b</li></ul>"), "- a\n- b");
    assert_eq!(
        html_to_text("x &lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; &#x263A; &hellip;"),
        "x <b> & \"q\" 's' ☺ …"
    );
    assert_eq!(html_to_text("a&nbsp;&nbsp;b"), "a  b");
    assert_eq!(html_to_text("a<br><br><br><br>b"), "a\n\nb");
    assert_eq!(html_to_text("if a < b > c"), "if a < b > c");
    assert_eq!(html_to_text("<a href=\"x>y\">link</a>"), "link");
    assert_eq!(html_to_text("broken <b"), "broken <b");
    assert_eq!(html_to_text("<!-- <p>hidden</p> -->shown"), "shown");
    assert_eq!(html_to_text("<script>alert('<p>')</script>ok"), "ok");
    assert_eq!(
        html_to_text("fragment\nkeeps lines"),
        "fragment\nkeeps lines"
    );
    assert_eq!(
        html_to_text("<html><body><p>a document\nwraps</p></body></html>"),
        "a document wraps"
    );
    assert_eq!(
        html_to_text("<html-blob>google\nfragment</html-blob>"),
        "google\nfragment"
    );
    assert_eq!(html_to_text(""), "");
}

#[test]
fn pieces_cover_every_byte() {
    for html in [
        "a<br>b<p class='x'>c</p><!-- d --><script>e</script>f<",
        "<<>><",
        "<a href=\"unterminated>",
        "é<b>ü</b>☐",
    ] {
        let ps = pieces(html);
        let mut at = 0;
        for p in &ps {
            assert_eq!(p.range.start, at, "{html}");
            at = p.range.end;
        }
        assert_eq!(at, html.len(), "{html}");
    }
}

fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,8}"
}

fn generated_item() -> impl Strategy<Value = ActionItem> {
    (
        prop::collection::vec(word(), 1..6),
        prop::option::of(prop_oneof!["[A-Z][a-z]{1,7}", "[a-z]{2,6}_[0-9]"]),
        prop::option::of((2020i32..2035, 1u32..13, 1u32..29)),
        any::<bool>(),
    )
        .prop_map(|(words, owner, due, done)| ActionItem {
            text: words.join(" "),
            owner,
            due: due.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            done,
        })
}

proptest! {
    #[test]
    fn generated_items_read_back(item in generated_item()) {
        prop_assume!(item.owner.as_deref().is_none_or(|o| {
            !NOT_OWNERS.contains(&o.to_lowercase().as_str())
        }));
        let back = parse_line(&item.to_line(), today());
        prop_assert_eq!(back.as_ref().map(ActionItem::key), Some(item.key()));
        prop_assert_eq!(back, Some(item));
    }

    #[test]
    fn extract_never_panics(s in "\\PC{0,120}") {
        let _ = extract(&s, today());
        let _ = html_to_text(&s);
    }

    #[test]
    fn pieces_cover_arbitrary_input(s in "[<>/!a-z\"' \\-]{0,40}") {
        let mut at = 0;
        for p in pieces(&s) {
            prop_assert_eq!(p.range.start, at);
            at = p.range.end;
        }
        prop_assert_eq!(at, s.len());
    }
}

#[test]
fn never_panics_on_odd_input() {
    for s in [
        "- [ ] @",
        "- [ ] @ ",
        "☐",
        "- [ ] by",
        "- [ ] (due )",
        "- [ ] due 99 Dec",
        "- [ ] due 0 Dec",
        "- [ ] 9999-99-99",
        "- [ ] by 2026-02-30",
        "<",
        "<!--",
        "<script>",
        "&#xFFFFFFFF;",
        "- [ ] Ann:",
        "- [ ] Ann: ",
    ] {
        let _ = extract(s, today());
        let _ = html_to_text(s);
    }
}
