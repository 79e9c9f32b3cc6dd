//! The lossless iCalendar model: components, properties and parameters exactly as read.
//!
//! Nothing here interprets values. A property keeps its raw (still escaped) value and its
//! parameters in the order they were written, so that writing a component back reproduces
//! every property, parameter, `X-` extension and unknown component a person's client put there.
//! Interpretation (dates, rules, text unescaping) lives in [`super::value`].

use compact_str::CompactString;

/// One iCalendar component (`VCALENDAR`, `VEVENT`, `VALARM`, an unknown `X-` component...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Upper-cased component name, e.g. `VEVENT`, held inline like a property's.
    pub name: CompactString,
    /// Properties in the order they were read.
    pub properties: Vec<Property>,
    /// Sub-components in the order they were read.
    pub components: Vec<Component>,
    /// 1-based line of the `BEGIN` line in the source (0 for components built in memory).
    pub line: usize,
}

/// One content line: `NAME;PARAM=VALUE:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper-cased property name, e.g. `DTSTART` or `X-APPLE-STRUCTURED-LOCATION`: held
    /// inline up to 24 bytes (every standard name), as a big file's millions of properties
    /// each cost an allocation for it.
    pub name: CompactString,
    /// Parameters in the order they were written.
    pub params: Vec<Param>,
    /// The raw value, still escaped as on the wire (`\n`, `\,`...).
    pub value: CompactString,
    /// 1-based line number in the source (0 for properties built in memory).
    pub line: usize,
    /// A line that could not be split into name and value. It is kept verbatim in `value` and
    /// written back unchanged, so a client's odd line is never dropped by a round trip.
    pub unparsed: bool,
}

/// One property parameter: `NAME=value` or `NAME=v1,"v 2"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Upper-cased parameter name, e.g. `TZID`, held inline like a property's.
    pub name: CompactString,
    /// The values, unquoted, with RFC 6868 `^` escapes still in place.
    pub values: Vec<CompactString>,
}

impl Component {
    /// A new, empty component.
    pub fn new(name: &str) -> Self {
        Component {
            name: upper_case(name),
            properties: Vec::new(),
            components: Vec::new(),
            line: 0,
        }
    }

    /// The first property with this (case-insensitive) name.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|p| !p.unparsed && p.name.eq_ignore_ascii_case(name))
    }

    /// Every property with this (case-insensitive) name, in order.
    pub fn properties_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> {
        self.properties
            .iter()
            .filter(move |p| !p.unparsed && p.name.eq_ignore_ascii_case(name))
    }

    /// The raw value of the first property with this name.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.property(name).map(|p| p.value.as_str())
    }

    /// Sets the value of the first property with this name, keeping its position and
    /// parameters, or appends the property when there is none.
    pub fn set_value(&mut self, name: &str, raw_value: impl Into<String>) {
        let raw_value = raw_value.into();
        match self
            .properties
            .iter_mut()
            .find(|p| !p.unparsed && p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => p.value = raw_value.into(),
            None => self.properties.push(Property::new(name, raw_value)),
        }
    }

    /// Sets a text property (`DESCRIPTION`, `SUMMARY`...) from plain text, escaping it.
    pub fn set_text(&mut self, name: &str, text: &str) {
        self.set_value(name, super::value::escape_text(text));
    }

    /// Sub-components with this (case-insensitive) name.
    pub fn components_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.components
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }
}

/// `name` upper-cased, held inline when short (see [`Property::name`]).
pub(crate) fn upper_case(name: &str) -> CompactString {
    let mut name = CompactString::from(name);
    name.make_ascii_uppercase();
    name
}

impl Property {
    /// A new property without parameters.
    pub fn new(name: &str, raw_value: impl Into<String>) -> Self {
        Property {
            name: upper_case(name),
            params: Vec::new(),
            value: CompactString::from(raw_value.into()),
            line: 0,
            unparsed: false,
        }
    }

    /// The first value of the parameter with this name, RFC 6868 escapes decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        self.param_borrowed(name).map(std::borrow::Cow::into_owned)
    }

    /// [`Property::param`], borrowed from the property when it has no escape (most do): a
    /// reader of thousands of attendees compares without allocating.
    pub fn param_borrowed(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| p.values.first())
            .map(|v| decode_param_value_borrowed(v))
    }

    /// True when the parameter is present with this value (case-insensitive).
    pub fn param_is(&self, name: &str, value: &str) -> bool {
        self.param_borrowed(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    }
}

/// Decodes RFC 6868 caret escapes: `^n` newline, `^'` double quote, `^^` caret.
pub fn decode_param_value(raw: &str) -> String {
    decode_param_value_borrowed(raw).into_owned()
}

/// [`decode_param_value`], borrowing `raw` when it has no escape.
pub(crate) fn decode_param_value_borrowed(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('^') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some('\'') => out.push('"'),
            Some('^') => out.push('^'),
            Some(other) => {
                out.push('^');
                out.push(other);
            }
            None => out.push('^'),
        }
    }
    std::borrow::Cow::Owned(out)
}
