//! One spelling per owner in a relationship's agendas: `@bo`, `Bo:` and `BO:` are one owner
//! (their item keys already agree), written the way people write the name.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::agenda::items::ActionItem;

/// How each owner of a relationship's items is written, by lower-case name.
#[derive(Debug, Default)]
pub(super) struct Spellings(HashMap<String, String>);

impl Spellings {
    /// The spellings of every owner in `seen`: the other person's first name as the
    /// relationship knows it (`counterpart`); else the spelling people used most that reads
    /// as a name ("Mara", not "mara" or "MARA"), the first one on a tie; else the name
    /// capitalized.
    pub(super) fn of(seen: &[(ActionItem, NaiveDate)], counterpart: &str) -> Spellings {
        let mut used: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for owner in seen.iter().filter_map(|(item, _)| item.owner.as_deref()) {
            let owner = owner.trim_start_matches('@');
            let forms = used.entry(owner.to_lowercase()).or_default();
            match forms.iter_mut().find(|(form, _)| form == owner) {
                Some((_, count)) => *count += 1,
                None => forms.push((owner.to_string(), 1)),
            }
        }
        let counterpart_key = counterpart.to_lowercase();
        let spellings = used
            .into_iter()
            .map(|(key, forms)| {
                let spelled = if key == counterpart_key {
                    counterpart.to_string()
                } else {
                    best(&forms).unwrap_or_else(|| capitalized(&key))
                };
                (key, spelled)
            })
            .collect();
        Spellings(spellings)
    }

    /// The item with its owner spelled the one way.
    pub(super) fn apply(&self, item: &mut ActionItem) {
        if let Some(owner) = &item.owner
            && let Some(spelled) = self.0.get(&owner.trim_start_matches('@').to_lowercase())
        {
            item.owner = Some(spelled.clone());
        }
    }
}

/// The most used form that reads as a name; the first on a tie.
fn best(forms: &[(String, usize)]) -> Option<String> {
    let mut best: Option<&(String, usize)> = None;
    for form in forms.iter().filter(|(form, _)| reads_as_a_name(form)) {
        if best.is_none_or(|(_, count)| form.1 > *count) {
            best = Some(form);
        }
    }
    best.map(|(form, _)| form.clone())
}

/// Starts with a capital and is not all capitals ("Mara", "McLean"; not "mara", "MARA").
fn reads_as_a_name(form: &str) -> bool {
    let letters: Vec<char> = form.chars().filter(|c| c.is_alphabetic()).collect();
    letters.first().is_some_and(|c| c.is_uppercase())
        && (letters.len() == 1 || letters.iter().any(|c| c.is_lowercase()))
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(owner: &str) -> (ActionItem, NaiveDate) {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let item = crate::agenda::items::extract(&format!("- [ ] {owner} do it"), date)
            .pop()
            .unwrap();
        (item, date)
    }

    #[test]
    fn one_owner_is_written_one_way() {
        let seen = [
            item("@bo"),
            item("MARA:"),
            item("mara:"),
            item("Mara:"),
            item("Bo:"),
            item("@ann"),
            item("@zoé"),
        ];
        let spellings = Spellings::of(&seen, "Ann");
        let spelled = |raw: &str| {
            let (mut i, _) = item(raw);
            spellings.apply(&mut i);
            i.owner.unwrap()
        };
        assert_eq!(spelled("@bo"), "Bo");
        assert_eq!(spelled("BO:"), "Bo");
        assert_eq!(spelled("mara:"), "Mara");
        assert_eq!(spelled("MARA:"), "Mara");
        assert_eq!(spelled("@ann"), "Ann");
        assert_eq!(spelled("@zoé"), "Zoé");
    }
}
