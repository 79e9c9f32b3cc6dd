//! `[tasks]`: the task list action items go to, named by a `[[calendar]]` entry.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};
use crate::sources::{CalendarSpec, Location};
use crate::tasks::{Owners, Settings};

/// `[tasks]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTasks {
    list: Spanned<String>,
    owner: Option<Spanned<String>>,
    create: Option<bool>,
}

impl Resolver<'_> {
    /// `[tasks]`: `list` names a vdir or CalDAV `[[calendar]]`; `owner` is `"me"` (the
    /// default) or `"all"`; `create` (default false) lets tete create a missing list.
    pub(super) fn tasks(
        &self,
        raw: RawTasks,
        calendars: &[CalendarSpec],
    ) -> Result<Settings, ConfigError> {
        let wanted = raw.list.get_ref();
        let Some(list) = calendars.iter().find(|c| &c.name == wanted) else {
            let names: Vec<String> = calendars.iter().map(|c| format!("{:?}", c.name)).collect();
            let message = format!(
                "{wanted:?} is not the name of a [[calendar]] (there are {})",
                names.join(", ")
            );
            return Err(self.error(raw.list.span(), Some("list"), message));
        };
        if matches!(list.location, Location::File(_) | Location::Feed(_)) {
            let message = format!(
                "the task list {wanted:?} is a file or a feed, which tete does not write: name a `vdir` or `caldav` calendar"
            );
            return Err(self.error(raw.list.span(), Some("list"), message));
        }
        let owner = match &raw.owner {
            None => Owners::Me,
            Some(owner) => match owner.get_ref().as_str() {
                "me" => Owners::Me,
                "all" => Owners::All,
                other => {
                    let message = format!("{other:?} is not an owner: \"me\" or \"all\"");
                    return Err(self.error(owner.span(), Some("owner"), message));
                }
            },
        };
        Ok(Settings {
            list: list.clone(),
            owner,
            create: raw.create.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{invalid_parts, parse};
    use crate::tasks::Owners;

    const CALENDARS: &str = "state_file = \"/tmp/s\"\ncache_dir = \"/tmp/c\"\n\
        [[calendar]]\nname = \"work\"\nvdir = \"/tmp/work\"\n\
        [[calendar]]\nname = \"export\"\nfile = \"/tmp/e.ics\"\n";

    #[test]
    fn the_list_names_a_calendar() {
        let config = parse(&format!(
            "{CALENDARS}[tasks]\nlist = \"work\"\nowner = \"all\"\ncreate = true\n"
        ))
        .unwrap();
        let tasks = config.tasks.unwrap();
        assert_eq!(tasks.list.name, "work");
        assert_eq!(tasks.owner, Owners::All);
        assert!(tasks.create);
        let config = parse(&format!("{CALENDARS}[tasks]\nlist = \"work\"\n")).unwrap();
        assert_eq!(config.tasks.unwrap().owner, Owners::Me);
        assert!(parse(CALENDARS).unwrap().tasks.is_none());
    }

    #[test]
    fn a_list_that_is_no_calendar_is_named_with_its_line() {
        let err = parse(&format!("{CALENDARS}[tasks]\nlist = \"Work\"\n")).unwrap_err();
        let (line, _, key, message) = invalid_parts(err);
        assert_eq!((line, key.as_deref()), (10, Some("list")));
        assert!(
            message.contains("\"Work\" is not the name of a [[calendar]]"),
            "{message}"
        );
        let err = parse(&format!("{CALENDARS}[tasks]\nlist = \"export\"\n")).unwrap_err();
        assert!(invalid_parts(err).3.contains("a file or a feed"));
        let err = parse(&format!(
            "{CALENDARS}[tasks]\nlist = \"work\"\nowner = \"mine\"\n"
        ))
        .unwrap_err();
        let (line, _, key, _) = invalid_parts(err);
        assert_eq!((line, key.as_deref()), (11, Some("owner")));
        let err = parse(&format!("{CALENDARS}[tasks]\nlist = \"work\"\nlsit = 1\n")).unwrap_err();
        assert_eq!(invalid_parts(err).2.as_deref(), Some("lsit"));
    }
}
