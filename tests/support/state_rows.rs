//! What the end-to-end tests of "an idle run writes nothing" share (tests/local on a vdir,
//! tests/caldav on real servers): the state file's rows, to compare before and after.

use std::path::Path;

/// Every row of every table of the state file but the cycle cache's (its own tests say
/// what it saves), as text, sorted.
pub fn state_rows(state: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(state).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for table in tables.iter().filter(|t| !t.starts_with("cycle_cache")) {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    out.sort();
    out
}
