//! The agenda template: a default in tete's own words, or one per relationship from the
//! config, rendered by minijinja in a sandbox (strict undefined, fuel and recursion limits).
//!
//! Everything that comes from calendars (names, item text) enters only as values of the
//! [`AgendaContext`]; minijinja never evaluates a value as template code, so a description
//! containing `{{ ... }}` or `{% ... %}` comes out verbatim.

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// The default agenda. Sections follow what a useful 1:1 covers: how the person is, wins,
/// what is in the way, goals, feedback both ways, growth from time to time, and action
/// items with an owner and a date.
pub const DEFAULT_TEMPLATE: &str = "\
Agenda for {{ date }}: 1:1 number {{ meeting_number }} with {{ counterpart.first_name }}
{% if last_meeting and last_meeting.outcome != \"held\" %}
The last one planned ({{ last_meeting.date }}) was {{ last_meeting.outcome }}.
{% endif %}
{% if days_since_last_held is not none %}
Last one held: {{ days_since_last_held }} days ago.
{% endif %}
{% if their_topics %}

Topics already in this event come first (below this agenda).
{% endif %}

Still open from last time:
{% set grouped = open_items|length > 5 %}
{% for group in (open_by_owner if grouped else [{\"owner\": none, \"items\": open_items}]) %}
{% if grouped %}
{% if group.owner %}{{ group.owner }}{% else %}Nobody yet{% endif %}:
{% endif %}
{% for item in group.items %}
{{ item.line }}
{% if item.overdue %}
    (OVERDUE, due {{ item.due }})
{% elif item.carried > 1 %}
    (open since {{ item.first_raised }})
{% endif %}
{% endfor %}
{% endfor %}
{% if not open_items %}
(nothing open)
{% endif %}
{% if done_items %}

Done since last time:
{% for item in done_items %}
{{ item.line }}
{% endfor %}
{% endif %}

1. Check-in: how are things, really?
2. Wins since last time
3. What is in the way? Blockers, worries, help needed
4. Goals and priorities: where do they stand?
5. Feedback, both directions
{% if career %}
6. Growth: where do you want to be in a year, and what would help you get there?
{% endif %}

Question of the day: {{ prompt }}

New action items (one per line: - [ ] Owner: what (due YYYY-MM-DD))
";

/// Questions that rotate from one meeting to the next, so the conversation does not run
/// on rails.
pub const PROMPTS: &[&str] = &[
    "What is one thing I could do differently to help you?",
    "What took more energy than it should have lately?",
    "What are you proud of from the last weeks?",
    "Is there a decision you are waiting on?",
    "What would you like to learn next?",
    "Who on the team deserves recognition, and for what?",
    "What is unclear about our priorities?",
    "If you ran the team for a week, what would you change first?",
    "What is something you would like more feedback on?",
    "How is your workload: too much, too little, about right?",
];

/// One open action item as the template sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateItem {
    /// The item as a checklist line, ready to print: `- [ ] Ann: send the plan (due 2026-12-04)`.
    pub line: String,
    /// What is to be done.
    pub text: String,
    /// Who does it, if said.
    pub owner: Option<String>,
    /// By when (`YYYY-MM-DD`), if said.
    pub due: Option<String>,
    /// In how many meetings it has been open (1 = raised last time).
    pub carried: u32,
    /// The date of the meeting where it was first seen (`YYYY-MM-DD`).
    pub first_raised: String,
    /// True when its due date is before this meeting.
    pub overdue: bool,
}

/// The open items of one owner, for agendas that group a long list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerGroup {
    /// Who, as written in the items ("Ann"); `None` for items nobody owns yet.
    pub owner: Option<String>,
    /// Their open items, oldest first.
    pub items: Vec<TemplateItem>,
}

/// The last 1:1 before this one that was planned, whatever became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastMeeting {
    /// Its date, as people read it ("Tue 24 Nov").
    pub date: String,
    /// `held`, `moved` or `cancelled` (declined ones included).
    pub outcome: String,
}

/// The other person, for the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplatePerson {
    /// Full name.
    pub name: String,
    /// First name.
    pub first_name: String,
    /// Address, if known.
    pub email: Option<String>,
}

/// Every variable a template can use (README.md, "Agenda template", documents them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgendaContext {
    /// The other person.
    pub counterpart: TemplatePerson,
    /// The meeting's date, as people read it ("Tue 1 Dec 2026").
    pub date: String,
    /// The meeting's date, `YYYY-MM-DD`.
    pub date_iso: String,
    /// This meeting's number in the relationship (1 for the first).
    pub meeting_number: u32,
    /// Days since the last meeting that took place, if any did.
    pub days_since_last_held: Option<i64>,
    /// Open action items, oldest first.
    pub open_items: Vec<TemplateItem>,
    /// The same items grouped by owner (owners in name order, those nobody owns last).
    pub open_by_owner: Vec<OwnerGroup>,
    /// The last 1:1 planned before this one, if any was.
    pub last_meeting: Option<LastMeeting>,
    /// True when the event already holds text outside tete's block: the other person's (or
    /// the manager's) own topics for this meeting.
    pub their_topics: bool,
    /// Items of the last meeting checked off since.
    pub done_items: Vec<TemplateItem>,
    /// The configured cadence (`weekly`, `biweekly`...).
    pub cadence: String,
    /// The actual cadence, if known.
    pub actual_cadence: Option<String>,
    /// The cadence suggestion's reason, if there is one.
    pub suggestion: Option<String>,
    /// This meeting's rotating question.
    pub prompt: String,
    /// True every `career_every`-th meeting: time for the growth conversation.
    pub career: bool,
}

/// Why an agenda could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template is not valid, uses an unknown variable, or ran out of fuel.
    #[error("agenda template {name}")]
    Render {
        /// Which template (`default` or the relationship's).
        name: String,
        /// What minijinja said.
        source: minijinja::Error,
    },
}

/// Enough for any sane agenda, far too little for a runaway loop.
const FUEL: u64 = 50_000;
const RECURSION_LIMIT: usize = 20;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    // Plain text: nothing is HTML-escaped here (HTML descriptions are escaped when the
    // block is written).
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// Renders `source` (the default template when `None`) with `ctx`.
pub fn render(source: Option<&str>, ctx: &AgendaContext) -> Result<String, TemplateError> {
    let name = if source.is_some() {
        "from the config"
    } else {
        "default"
    };
    let error = |source| TemplateError::Render {
        name: name.to_string(),
        source,
    };
    let ctx = minijinja::Value::from(minijinja::value::Serde(ctx));
    let text = match source {
        Some(source) => environment()
            .template_from_str(source)
            .and_then(|template| template.render(ctx)),
        None => DEFAULT.with(|env| match env {
            Ok(env) => env
                .get_template(DEFAULT_NAME)
                .and_then(|template| template.render(ctx)),
            Err(e) => Err(minijinja::Error::new(e.kind(), e.to_string())),
        }),
    }
    .map_err(error)?;
    Ok(text.trim_end().to_string())
}

const DEFAULT_NAME: &str = "default";

thread_local! {
    /// The default template, compiled once per thread: every coming 1:1 renders it, and
    /// compiling it cost more than rendering.
    static DEFAULT: Result<Environment<'static>, minijinja::Error> = {
        let mut env = environment();
        env.add_template(DEFAULT_NAME, DEFAULT_TEMPLATE).map(|()| env)
    };
}

/// Checks a template from the config before any cycle uses it: syntax, and a render with
/// sample values (catches unknown variables under strict undefined).
pub fn validate(source: &str) -> Result<(), TemplateError> {
    render(Some(source), &sample()).map(|_| ())
}

/// A context with every variable set, for validation and documentation.
pub fn sample() -> AgendaContext {
    let open = TemplateItem {
        line: "- [ ] Ann: send the hiring plan (due 2026-12-04)".into(),
        text: "send the hiring plan".into(),
        owner: Some("Ann".into()),
        due: Some("2026-12-04".into()),
        carried: 2,
        first_raised: "2026-11-17".into(),
        overdue: false,
    };
    AgendaContext {
        counterpart: TemplatePerson {
            name: "Ann Berger".into(),
            first_name: "Ann".into(),
            email: Some("ann@example.com".into()),
        },
        date: "Tue 1 Dec 2026".into(),
        date_iso: "2026-12-01".into(),
        meeting_number: 12,
        days_since_last_held: Some(7),
        open_items: vec![open.clone()],
        open_by_owner: vec![OwnerGroup {
            owner: Some("Ann".into()),
            items: vec![open],
        }],
        done_items: vec![TemplateItem {
            line: "- [x] Mia: book the offsite".into(),
            text: "book the offsite".into(),
            owner: Some("Mia".into()),
            due: None,
            carried: 1,
            first_raised: "2026-11-24".into(),
            overdue: false,
        }],
        last_meeting: Some(LastMeeting {
            date: "Tue 24 Nov".into(),
            outcome: "cancelled".into(),
        }),
        their_topics: true,
        cadence: "weekly".into(),
        actual_cadence: Some("weekly".into()),
        suggestion: None,
        prompt: PROMPTS[0].into(),
        career: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template_renders_every_section() {
        let text = render(None, &sample()).unwrap();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn the_compiled_default_template_has_all_its_fuel_at_every_render() {
        let once = render(None, &sample()).unwrap();
        for _ in 0..200 {
            assert_eq!(render(None, &sample()).unwrap(), once);
        }
    }

    #[test]
    fn event_text_is_data_not_template() {
        let mut ctx = sample();
        ctx.open_items[0].line =
            "- [ ] {{ 7 * 7 }} {% for x in range(999999) %}x{% endfor %}".into();
        ctx.counterpart.first_name = "{{ counterpart.email }}".into();
        let text = render(None, &ctx).unwrap();
        assert!(text.contains("- [ ] {{ 7 * 7 }} {% for x in range(999999) %}x{% endfor %}"));
        assert!(text.contains("with {{ counterpart.email }}"));
        assert!(!text.contains("49"));
    }

    #[test]
    fn unknown_variables_and_runaway_loops_are_errors() {
        let err = crate::errors::chain(&validate("Hello {{ counterpart.nmae }}").unwrap_err());
        assert!(err.contains("undefined"), "{err}");
        let err = crate::errors::chain(
            &validate(
                "{% for i in range(100000) %}{% for j in range(100) %}x{% endfor %}{% endfor %}",
            )
            .unwrap_err(),
        );
        assert!(err.contains("fuel"), "{err}");
        assert!(validate("{% if %}").is_err());
    }

    #[test]
    fn custom_templates_see_the_documented_variables() {
        let t = "{{ counterpart.name }} {{ date_iso }} {{ meeting_number }} {{ cadence }} \
                 {{ open_items | length }} {{ prompt }} {{ career }} {{ suggestion }}";
        let text = render(Some(t), &sample()).unwrap();
        assert!(
            text.starts_with("Ann Berger 2026-12-01 12 weekly 1 "),
            "{text}"
        );
    }
}
