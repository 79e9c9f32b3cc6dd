//! WebDAV/CalDAV XML: the request bodies tete sends and a namespace-aware reader for the
//! `207 Multi-Status` answers (RFC 4918, 4791, 6578).
//!
//! The reader keeps only what tete uses, in a generic shape: per `<response>`, its hrefs and
//! status, and per property found (`200` propstat) its text, the hrefs inside it, the names
//! of the elements inside it and the `name` attributes of `<comp>` children. Anything else is
//! skipped, so servers' extra properties and namespaces never break it. Malformed or
//! truncated XML is an error, never a panic.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

/// The WebDAV namespace.
pub const DAV: &str = "DAV:";
/// The CalDAV namespace.
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// Apple's calendarserver namespace (`getctag`).
pub const CS: &str = "http://calendarserver.org/ns/";

/// A qualified XML name: namespace and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QName {
    /// The namespace URI (`""` when none).
    pub ns: String,
    /// The local name.
    pub local: String,
}

impl QName {
    /// True when this is `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// One property as found in a `200` propstat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prop {
    /// Its name.
    pub name: Option<QName>,
    /// Its text content (all text below it, concatenated; CDATA included).
    pub text: String,
    /// Every `DAV:href` below it, in order.
    pub hrefs: Vec<String>,
    /// The names of every element below it (e.g. `DAV:collection`, `C:calendar` in a
    /// `resourcetype`; `DAV:sync-collection` in a `supported-report-set`).
    pub children: Vec<QName>,
    /// The `name` attribute of every `C:comp` below it (supported-calendar-component-set).
    pub comps: Vec<String>,
}

/// One `<response>` of a multistatus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// Its `DAV:href`s (usually one), as written (percent-encoded paths or URLs).
    pub hrefs: Vec<String>,
    /// The response-level status code, when given (`404` for a deleted member in a sync
    /// report, a missing resource in a multiget).
    pub status: Option<u16>,
    /// Properties found (in a propstat with a 2xx status).
    pub props: Vec<Prop>,
}

/// A parsed multistatus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multistatus {
    /// The responses, in order.
    pub responses: Vec<Response>,
    /// The top-level `DAV:sync-token` (sync-collection reports).
    pub sync_token: Option<String>,
}

impl Response {
    /// The first href.
    pub fn href(&self) -> Option<&str> {
        self.hrefs.first().map(String::as_str)
    }

    /// The property with this name, when found.
    pub fn prop(&self, ns: &str, local: &str) -> Option<&Prop> {
        self.props
            .iter()
            .find(|p| p.name.as_ref().is_some_and(|n| n.is(ns, local)))
    }

    /// The trimmed text of a property, when found and not empty.
    pub fn text(&self, ns: &str, local: &str) -> Option<&str> {
        self.prop(ns, local)
            .map(|p| p.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The first href inside a property (`current-user-principal`, `calendar-home-set`).
    pub fn href_in(&self, ns: &str, local: &str) -> Option<&str> {
        self.prop(ns, local)
            .and_then(|p| p.hrefs.first())
            .map(String::as_str)
    }

    /// Whether a property contains an element with this name.
    pub fn prop_has(&self, ns: &str, local: &str, child_ns: &str, child: &str) -> bool {
        self.prop(ns, local)
            .is_some_and(|p| p.children.iter().any(|c| c.is(child_ns, child)))
    }
}

/// Why an answer could not be read as a multistatus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML (the message is the parser's, with the byte position).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// The document ended before its elements were closed (a cut connection).
    #[error("truncated XML: the answer ends inside <{0}>")]
    Truncated(String),
    /// Well-formed XML but not a `DAV:multistatus`.
    #[error("not a WebDAV multistatus (root element <{0}>)")]
    NotMultistatus(String),
}

/// What is being read, innermost last.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Ctx {
    Multistatus,
    Response,
    Propstat,
    PropList,
    Prop,
    Other,
}

/// Parses a multistatus body.
pub fn parse_multistatus(body: &[u8]) -> Result<Multistatus, XmlError> {
    let mut reader = NsReader::from_reader(body);
    let mut buf = Vec::new();
    let mut p = Parse::default();
    loop {
        let position = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event_into(&mut buf) {
            Ok(read) => read,
            Err(err) => {
                return Err(XmlError::Malformed(format!("{err} (at byte {position})")));
            }
        };
        let ns = ns_string(&ns);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let name = QName {
                    ns,
                    local: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                };
                let ctx = p.open(&name, start, &reader)?;
                p.text.clear();
                if matches!(event, Event::Empty(_)) {
                    p.close(ctx, &name);
                } else {
                    p.stack.push((ctx, name));
                }
            }
            Event::End(_) => {
                let Some((ctx, name)) = p.stack.pop() else {
                    return Err(XmlError::Malformed("unexpected end tag".into()));
                };
                p.close(ctx, &name);
            }
            Event::Text(t) => {
                let decoded = t.decode().map_err(|e| malformed(&reader, e))?;
                p.push_text(&decoded);
            }
            Event::CData(t) => {
                let decoded = t.decode().map_err(|e| malformed(&reader, e))?;
                p.push_text(&decoded);
            }
            Event::GeneralRef(r) => p.push_text(&resolve_reference(&r, &reader)?),
            Event::Eof => return p.finish(),
            _ => {}
        }
        buf.clear();
    }
}

/// The text of a character reference (`&#64;`) or one of XML's five predefined entities.
fn resolve_reference(r: &BytesRef<'_>, reader: &NsReader<&[u8]>) -> Result<String, XmlError> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| malformed(reader, e))? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(|e| malformed(reader, e))?;
    Ok(match name.as_ref() {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        other => {
            return Err(XmlError::Malformed(format!("unknown entity &{other};")));
        }
    })
}

/// What the multistatus parser holds while it reads.
#[derive(Default)]
struct Parse {
    out: Multistatus,
    /// Element stack: context and qualified name (for truncation messages).
    stack: Vec<(Ctx, QName)>,
    response: Response,
    propstat_props: Vec<Prop>,
    propstat_status: Option<u16>,
    prop: Prop,
    /// Text collected for the element being read, when it is one whose text matters.
    text: String,
    /// Whether the root element was read.
    saw_root: bool,
}

impl Parse {
    /// Handles the start of an element: the context it opens, given its parent's.
    fn open(
        &mut self,
        name: &QName,
        start: &BytesStart<'_>,
        reader: &NsReader<&[u8]>,
    ) -> Result<Ctx, XmlError> {
        let parent = self.stack.last().map(|(c, _)| *c);
        Ok(match parent {
            None => {
                self.saw_root = true;
                if !name.is(DAV, "multistatus") {
                    return Err(XmlError::NotMultistatus(name.local.clone()));
                }
                Ctx::Multistatus
            }
            Some(Ctx::Multistatus) if name.is(DAV, "response") => {
                self.response = Response::default();
                Ctx::Response
            }
            Some(Ctx::Response) if name.is(DAV, "propstat") => {
                self.propstat_props.clear();
                self.propstat_status = None;
                Ctx::Propstat
            }
            Some(Ctx::Propstat) if name.is(DAV, "prop") => Ctx::PropList,
            Some(Ctx::PropList) => {
                self.prop = Prop {
                    name: Some(name.clone()),
                    ..Prop::default()
                };
                Ctx::Prop
            }
            Some(Ctx::Prop) | Some(Ctx::Other) if self.inside_prop() => {
                if name.is(CALDAV, "comp") {
                    for attr in start.attributes().flatten() {
                        if attr.key.local_name().as_ref() == b"name" {
                            let value = attr.unescape_value().map_err(|e| malformed(reader, e))?;
                            self.prop.comps.push(value.into_owned());
                        }
                    }
                }
                self.prop.children.push(name.clone());
                Ctx::Other
            }
            _ => Ctx::Other,
        })
    }

    /// The end of the document: what was read, unless an element is still open or there
    /// was none.
    fn finish(self) -> Result<Multistatus, XmlError> {
        if let Some((_, name)) = self.stack.last() {
            return Err(XmlError::Truncated(name.local.clone()));
        }
        if !self.saw_root {
            return Err(XmlError::Truncated("the document".into()));
        }
        Ok(self.out)
    }

    fn inside_prop(&self) -> bool {
        self.stack.iter().any(|(c, _)| *c == Ctx::Prop)
    }

    fn push_text(&mut self, piece: &str) {
        self.text.push_str(piece);
        if self.inside_prop() {
            self.prop.text.push_str(piece);
        }
    }

    /// Handles the end of an element: stores what it held where it belongs.
    fn close(&mut self, ctx: Ctx, name: &QName) {
        let parent = self.stack.last().map(|(c, _)| *c);
        let text = std::mem::take(&mut self.text);
        match ctx {
            Ctx::Response => self.out.responses.push(std::mem::take(&mut self.response)),
            Ctx::Propstat => {
                // A propstat without a status is taken as found.
                if self.propstat_status.is_none_or(|s| (200..300).contains(&s)) {
                    self.response.props.append(&mut self.propstat_props);
                }
                self.propstat_props.clear();
            }
            Ctx::Prop => self.propstat_props.push(std::mem::take(&mut self.prop)),
            Ctx::Other if self.inside_prop() && name.is(DAV, "href") => {
                self.prop.hrefs.push(text.trim().to_string());
            }
            Ctx::Other if self.inside_prop() => {}
            Ctx::Other => match parent {
                Some(Ctx::Response) if name.is(DAV, "href") => {
                    self.response.hrefs.push(text.trim().to_string());
                }
                Some(Ctx::Response) if name.is(DAV, "status") => {
                    self.response.status = parse_status(&text);
                }
                Some(Ctx::Propstat) if name.is(DAV, "status") => {
                    self.propstat_status = parse_status(&text);
                }
                Some(Ctx::Multistatus) if name.is(DAV, "sync-token") => {
                    self.out.sync_token = Some(text.trim().to_string());
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// The preconditions a `DAV:error` body names (RFC 4918 16): the qualified names of the
/// root `error` element's children, e.g. `DAV: valid-sync-token` (RFC 6578 3.2). Empty when
/// the body is not such an element (servers also answer HTML or nothing).
pub fn error_conditions(body: &[u8]) -> Vec<QName> {
    let mut reader = NsReader::from_reader(body);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut out = Vec::new();
    loop {
        let Ok((ns, event)) = reader.read_resolved_event_into(&mut buf) else {
            return out;
        };
        let ns = ns_string(&ns);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = QName {
                    ns,
                    local: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                };
                match depth {
                    0 if !name.is(DAV, "error") => return out,
                    1 => out.push(name),
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return out,
            _ => {}
        }
        buf.clear();
    }
}

/// `HTTP/1.1 404 Not Found` -> 404.
fn parse_status(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ns_string(ns: &ResolveResult<'_>) -> String {
    match ns {
        ResolveResult::Bound(Namespace(uri)) => String::from_utf8_lossy(uri).into_owned(),
        _ => String::new(),
    }
}

fn malformed<R>(reader: &NsReader<R>, err: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(format!("{err} (at byte {})", reader.buffer_position()))
}

/// Escapes text for an XML element's content.
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

const HEADER: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

/// PROPFIND body for the principal and calendar home (discovery).
pub fn propfind_principal() -> String {
    format!(
        r#"{HEADER}<d:propfind xmlns:d="DAV:" xmlns:c="{CALDAV}"><d:prop><d:current-user-principal/><c:calendar-home-set/><c:schedule-inbox-URL/><c:schedule-outbox-URL/><d:resourcetype/></d:prop></d:propfind>"#
    )
}

/// PROPFIND body for the calendars in a home (Depth 1) or one calendar (Depth 0).
pub fn propfind_calendars() -> String {
    format!(
        r#"{HEADER}<d:propfind xmlns:d="DAV:" xmlns:c="{CALDAV}" xmlns:cs="{CS}"><d:prop><d:resourcetype/><d:displayname/><c:supported-calendar-component-set/><cs:getctag/><d:sync-token/><d:supported-report-set/></d:prop></d:propfind>"#
    )
}

/// MKCALENDAR body (RFC 4791, 5.3.1) for a calendar with this display name holding these
/// components (`VEVENT` for events, `VTODO` for a task list).
pub fn mkcalendar(display_name: &str, components: &[&str]) -> String {
    let comps: String = components
        .iter()
        .map(|c| format!(r#"<c:comp name="{}"/>"#, escape(c)))
        .collect();
    format!(
        r#"{HEADER}<c:mkcalendar xmlns:d="DAV:" xmlns:c="{CALDAV}"><d:set><d:prop><d:displayname>{}</d:displayname><c:supported-calendar-component-set>{comps}</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"#,
        escape(display_name)
    )
}

/// PROPFIND body for a collection's ctag and sync-token only (Depth 0): the cheap "has
/// anything changed" question for servers without sync-collection.
pub fn propfind_ctag() -> String {
    format!(
        r#"{HEADER}<d:propfind xmlns:d="DAV:" xmlns:cs="{CS}"><d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>"#
    )
}

/// PROPFIND body for members' etags (Depth 1).
pub fn propfind_etags() -> String {
    format!(
        r#"{HEADER}<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>"#
    )
}

/// REPORT sync-collection (RFC 6578) from `token` (`""` for an initial sync).
pub fn sync_collection(token: &str) -> String {
    format!(
        r#"{HEADER}<d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#,
        escape(token)
    )
}

/// REPORT calendar-multiget for these hrefs (paths as the server gave them).
pub fn calendar_multiget<'a>(hrefs: impl IntoIterator<Item = &'a str>) -> String {
    let mut body = format!(
        r#"{HEADER}<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{CALDAV}"><d:prop><d:getetag/><c:calendar-data/></d:prop>"#
    );
    for href in hrefs {
        body.push_str("<d:href>");
        body.push_str(&escape(href));
        body.push_str("</d:href>");
    }
    body.push_str("</c:calendar-multiget>");
    body
}

/// REPORT calendar-query for every VEVENT's etag, optionally only those with occurrences
/// from `since` on (`YYYYMMDDTHHMMSSZ`; an open-ended time-range, RFC 4791 9.9).
pub fn calendar_query_etags(since: Option<&str>) -> String {
    let filter = match since {
        Some(start) => format!(
            r#"<c:comp-filter name="VEVENT"><c:time-range start="{}"/></c:comp-filter>"#,
            escape(start)
        ),
        None => r#"<c:comp-filter name="VEVENT"/>"#.to_string(),
    };
    format!(
        r#"{HEADER}<c:calendar-query xmlns:d="DAV:" xmlns:c="{CALDAV}"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR">{filter}</c:comp-filter></c:filter></c:calendar-query>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_name_their_preconditions() {
        let body =
            br#"<?xml version="1.0"?><d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>"#;
        assert!(
            error_conditions(body)
                .iter()
                .any(|q| q.is(DAV, "valid-sync-token"))
        );
        let nested = b"<error xmlns='DAV:'><valid-sync-token><x/></valid-sync-token></error>";
        assert_eq!(error_conditions(nested).len(), 1);
        assert!(error_conditions(b"<html>valid-sync-token</html>").is_empty());
        assert!(error_conditions(b"valid-sync-token").is_empty());
    }

    const CALENDARS: &str = r#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">
 <response><href>/tete/</href>
  <propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat>
  <propstat><prop><displayname/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
 </response>
 <response><href>/tete/work/</href>
  <propstat><prop>
   <resourcetype><collection/><C:calendar/></resourcetype>
   <displayname>Work &amp; more</displayname>
   <C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
   <CS:getctag>"abc"</CS:getctag>
   <sync-token>http://radicale.org/ns/sync/abc</sync-token>
   <supported-report-set><supported-report><report><sync-collection/></report></supported-report></supported-report-set>
  </prop><status>HTTP/1.1 200 OK</status></propstat>
 </response>
</multistatus>"#;

    #[test]
    fn reads_calendar_properties() {
        let ms = parse_multistatus(CALENDARS.as_bytes()).unwrap();
        assert_eq!(ms.responses.len(), 2);
        let home = &ms.responses[0];
        assert_eq!(home.href(), Some("/tete/"));
        assert!(home.prop(DAV, "displayname").is_none());
        assert!(!home.prop_has(DAV, "resourcetype", CALDAV, "calendar"));
        let work = &ms.responses[1];
        assert!(work.prop_has(DAV, "resourcetype", CALDAV, "calendar"));
        assert_eq!(work.text(DAV, "displayname"), Some("Work & more"));
        assert_eq!(
            work.prop(CALDAV, "supported-calendar-component-set")
                .unwrap()
                .comps,
            ["VEVENT", "VTODO"]
        );
        assert_eq!(work.text(CS, "getctag"), Some("\"abc\""));
        assert!(work.prop_has(DAV, "supported-report-set", DAV, "sync-collection"));
    }

    #[test]
    fn reads_sync_report_with_deletions_and_token() {
        let body = r#"<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">
<d:response><d:href>/c/a.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/c/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
<d:sync-token>tok-2</d:sync-token></d:multistatus>"#;
        let ms = parse_multistatus(body.as_bytes()).unwrap();
        assert_eq!(ms.sync_token.as_deref(), Some("tok-2"));
        assert_eq!(ms.responses[0].text(DAV, "getetag"), Some("\"1\""));
        assert_eq!(ms.responses[0].status, None);
        assert_eq!(ms.responses[1].status, Some(404));
    }

    #[test]
    fn calendar_data_keeps_character_references_and_cdata() {
        let body = "<multistatus xmlns='DAV:' xmlns:c='urn:ietf:params:xml:ns:caldav'><response><href>/x.ics</href><propstat><prop>\
            <c:calendar-data>BEGIN:VCALENDAR&#13;\nSUMMARY:a &lt;b&gt;<![CDATA[ & c]]>&#13;\n</c:calendar-data>\
            </prop></propstat></response></multistatus>";
        let ms = parse_multistatus(body.as_bytes()).unwrap();
        assert_eq!(
            ms.responses[0].prop(CALDAV, "calendar-data").unwrap().text,
            "BEGIN:VCALENDAR\r\nSUMMARY:a <b> & c\r\n"
        );
    }

    #[test]
    fn truncated_and_malformed_are_errors() {
        let end = CALENDARS.find("</response>").unwrap() + "</response>".len();
        let cut = &CALENDARS[..end];
        assert_eq!(
            parse_multistatus(cut.as_bytes()),
            Err(XmlError::Truncated("multistatus".into()))
        );
        // Cut inside a tag: an error too.
        for len in 0..CALENDARS.len() {
            assert!(
                parse_multistatus(&CALENDARS.as_bytes()[..len]).is_err(),
                "{len}"
            );
        }
        assert!(matches!(
            parse_multistatus(b""),
            Err(XmlError::Truncated(_))
        ));
        assert!(matches!(
            parse_multistatus(b"<multistatus xmlns='DAV:'><response></multistatus>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            parse_multistatus(b"<html><body>login</body></html>"),
            Err(XmlError::NotMultistatus(_))
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 7u64;
        for len in 0..400 {
            let mut bytes = CALENDARS.as_bytes()[..len.min(CALENDARS.len())].to_vec();
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            if !bytes.is_empty() {
                let i = (seed >> 33) as usize % bytes.len();
                bytes[i] = (seed >> 13) as u8;
            }
            let _ = parse_multistatus(&bytes);
        }
    }

    #[test]
    fn request_bodies_escape_hrefs_and_tokens() {
        let body = calendar_multiget(["/c/a&b.ics"]);
        assert!(body.contains("<d:href>/c/a&amp;b.ics</d:href>"), "{body}");
        assert!(sync_collection("a<b").contains("a&lt;b"));
    }
}
