//! File and vdir sources: listing, reading, and the vdir's conditional writes.

use std::io::Read;
use std::path::Path;

use tete::sources::{Content, FileSource, Precondition, Resource, Source, SourceError, VdirSource};

const EVENT: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn text_of(resource: &Resource) -> String {
    let mut text = String::new();
    resource.open().unwrap().read_to_string(&mut text).unwrap();
    text
}

fn vdir(dir: &Path) -> Source {
    Source::Vdir(VdirSource::new(dir.to_path_buf()))
}

/// Replaces a file the way sync tools do (new file renamed over the old one).
fn replace_like_a_sync_tool(path: &Path, text: &str) {
    let temp = path.with_extension("sync-tmp");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn file_source_is_one_streamed_read_only_resource() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.ics");
    std::fs::write(&path, EVENT).unwrap();
    let source = Source::File(FileSource::new(path.clone()));
    assert!(!source.is_writable());
    let snapshot = source.fetch().await.unwrap();
    assert_eq!(snapshot.resources.len(), 1);
    let resource = &snapshot.resources[0];
    assert_eq!(resource.href, "export.ics");
    assert_eq!(resource.content, Content::File(path.clone()));
    assert!(resource.etag.is_some());
    assert_eq!(text_of(resource), EVENT);
    let err = source
        .put("export.ics", Precondition::IfNoneMatch, b"x".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::ReadOnly { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EVENT);
}

#[tokio::test]
async fn missing_file_error_names_the_path() {
    let source = Source::File(FileSource::new("/nonexistent/tete/export.ics".into()));
    let err = source.fetch().await.unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/tete/export.ics"),
        "{err}"
    );
}

#[tokio::test]
async fn vdir_lists_visible_ics_files_sorted_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "b.ics",
        "a.ics",
        "C.ICS",
        ".hidden.ics",
        "notes.txt",
        "c.ics.tmp",
    ] {
        std::fs::write(dir.path().join(name), EVENT).unwrap();
    }
    std::fs::create_dir(dir.path().join("sub.ics")).unwrap();
    let source = vdir(dir.path());
    assert!(source.is_writable());
    let snapshot = source.fetch().await.unwrap();
    let hrefs: Vec<_> = snapshot.resources.iter().map(|r| r.href.as_str()).collect();
    assert_eq!(hrefs, ["C.ICS", "a.ics", "b.ics"]);
    for resource in snapshot.resources.iter() {
        // Listed, not read: the bytes are read when asked for.
        assert!(
            matches!(resource.content, Content::Item { .. }),
            "{resource:?}"
        );
        assert_eq!(&*resource.bytes().unwrap(), EVENT.as_bytes());
        assert!(resource.etag.is_some());
    }
    assert_eq!(
        source.resource_origin(&snapshot.resources[1]),
        dir.path().join("a.ics").display().to_string()
    );
}

#[tokio::test]
async fn vdir_put_if_match_replaces_and_returns_the_new_etag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ics"), EVENT).unwrap();
    let source = vdir(dir.path());
    let read = source.fetch().await.unwrap().resources[0].clone();
    let old_etag = read.etag.clone().unwrap();

    let new_body = EVENT.replace("UID:a", "UID:a\r\nSUMMARY:1:1 Alice");
    let new_etag = source
        .put(
            "a.ics",
            Precondition::IfMatch(old_etag.clone()),
            new_body.clone().into_bytes(),
        )
        .await
        .unwrap();

    assert_ne!(new_etag, old_etag);
    let reread = source.fetch().await.unwrap().resources[0].clone();
    assert_eq!(reread.etag.as_deref(), Some(new_etag.as_str()));
    assert_eq!(text_of(&reread), new_body);
    assert_eq!(
        names_in(dir.path()),
        ["a.ics"],
        "temporary file left behind"
    );
}

#[tokio::test]
async fn vdir_put_with_a_stale_etag_is_a_conflict_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ics");
    std::fs::write(&path, EVENT).unwrap();
    let source = vdir(dir.path());
    let stale = source.fetch().await.unwrap().resources[0]
        .etag
        .clone()
        .unwrap();
    let theirs = EVENT.replace("UID:a", "UID:a\r\nSUMMARY:theirs");
    replace_like_a_sync_tool(&path, &theirs);

    let err = source
        .put("a.ics", Precondition::IfMatch(stale), b"mine".to_vec())
        .await
        .unwrap_err();

    assert!(err.is_precondition_failed(), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
    assert_eq!(
        names_in(dir.path()),
        ["a.ics"],
        "temporary file left behind"
    );
}

#[tokio::test]
async fn vdir_put_if_match_on_a_deleted_item_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ics");
    std::fs::write(&path, EVENT).unwrap();
    let source = vdir(dir.path());
    let etag = source.fetch().await.unwrap().resources[0]
        .etag
        .clone()
        .unwrap();
    std::fs::remove_file(&path).unwrap();

    let err = source
        .put("a.ics", Precondition::IfMatch(etag), b"mine".to_vec())
        .await
        .unwrap_err();

    assert!(err.is_precondition_failed(), "{err}");
    assert!(!path.exists());
    assert!(names_in(dir.path()).is_empty());
}

#[tokio::test]
async fn vdir_put_if_none_match_creates_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let source = vdir(dir.path());

    let etag = source
        .put(
            "new.ics",
            Precondition::IfNoneMatch,
            EVENT.as_bytes().to_vec(),
        )
        .await
        .unwrap();
    let err = source
        .put("new.ics", Precondition::IfNoneMatch, b"second".to_vec())
        .await
        .unwrap_err();

    assert!(err.is_precondition_failed(), "{err}");
    let read = source.fetch().await.unwrap().resources[0].clone();
    assert_eq!(read.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(text_of(&read), EVENT);
    assert_eq!(
        names_in(dir.path()),
        ["new.ics"],
        "temporary file left behind"
    );
}

#[tokio::test]
async fn vdir_put_rejects_names_outside_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let source = vdir(&dir.path().join("cal"));
    std::fs::create_dir(dir.path().join("cal")).unwrap();
    for href in ["../escape.ics", "sub/a.ics", ".hidden.ics", "a.txt"] {
        let err = source
            .put(href, Precondition::IfNoneMatch, b"x".to_vec())
            .await
            .unwrap_err();
        assert!(
            matches!(err, SourceError::InvalidHref { .. }),
            "{href}: {err}"
        );
    }
    assert_eq!(names_in(dir.path()), ["cal"]);
}

#[tokio::test]
async fn missing_vdir_error_names_the_folder() {
    let source = vdir(Path::new("/nonexistent/tete/vdir"));
    let err = source.fetch().await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/tete/vdir"), "{err}");
}
