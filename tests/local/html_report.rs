//! The HTML report as a browser draws it. Debian's headless Chromium (installed by
//! `tests/servers/chromium`) renders `tete demo --format html`: the screenshot is not blank
//! and shows the timeline's marks, no label is cut off by the drawing that holds it, and the
//! page fits a desktop window and a phone's width. In CI the browser must be there; elsewhere
//! the test says why it skips when it cannot be installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The browser, installed when missing; `None` (outside CI) when it cannot be.
fn browser() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/chromium");
    let out = Command::new(script).arg("install").output().unwrap();
    if out.status.code() == Some(77) {
        let why = String::from_utf8_lossy(&out.stderr);
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium must run in CI: {why}"
        );
        eprintln!("skipping the Chromium test: {why}");
        return None;
    }
    assert!(
        out.status.success(),
        "installing Chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Runs headless Chromium on a local page with its own profile and no network use.
fn chromium(browser: &Path, profile: &Path, width: u32, args: &[&str], page: &Path) -> Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={width},2400"))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// Appended to a copy of the page: lists every SVG label that reaches past its drawing's
/// box (a clipped month name), and a page wider than the window, in `data-clipped`.
const MEASURE: &str = r#"<script>
const bad = [];
for (const t of document.querySelectorAll('svg text')) {
  const s = t.ownerSVGElement.getBoundingClientRect(), b = t.getBoundingClientRect();
  if (b.left < s.left - 0.5 || b.right > s.right + 0.5 || b.top < s.top - 0.5 || b.bottom > s.bottom + 0.5)
    bad.push('label cut off: ' + t.textContent);
}
if (document.documentElement.scrollWidth > window.innerWidth)
  bad.push('page wider than the window: ' + document.documentElement.scrollWidth + 'px');
document.body.setAttribute('data-clipped', JSON.stringify(bad));
</script>"#;

/// What the measuring script found, from the DOM Chromium dumps after running it.
fn clipped(dom: &str) -> Vec<String> {
    let start = dom.find("data-clipped=\"").expect("the script ran") + "data-clipped=\"".len();
    let end = start + dom[start..].find('"').unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// Pixels of the screenshot (RGB or RGBA, 8 bits), as RGB triples.
fn pixels(png: &Path) -> Vec<[u8; 3]> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// Whether a pixel is near a colour (anti-aliasing blends the edges of marks).
fn near(p: [u8; 3], rgb: [u8; 3]) -> bool {
    p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 12)
}

/// Renders `page` in Chromium: not blank, each of `colours` drawn, nothing external loaded,
/// no label cut off, and the page fits 960 and 420 pixel wide windows.
fn check_in_chromium(browser: &Path, dir: &Path, page: &Path, colours: &[(&str, [u8; 3])]) {
    let html = std::fs::read_to_string(page).unwrap();
    for external in ["src=", "href=", "url(", "@import"] {
        assert!(
            !html.contains(external),
            "the page loads nothing: {external}"
        );
    }
    let shot = dir.join("shot.png");
    let out = chromium(
        browser,
        &dir.join("profile-shot"),
        960,
        &[&format!("--screenshot={}", shot.display())],
        page,
    );
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let pixels = pixels(&shot);
    let inked = pixels
        .iter()
        .filter(|p| !near(**p, [255, 255, 255]))
        .count();
    assert!(
        inked * 100 > pixels.len(),
        "the page is (almost) blank: {inked} of {} pixels drawn",
        pixels.len()
    );
    for (what, rgb) in colours {
        assert!(
            pixels.iter().filter(|p| near(**p, *rgb)).count() > 20,
            "nothing drawn in the colour of {what}"
        );
    }
    let measured = dir.join("measure.html");
    std::fs::write(
        &measured,
        html.replace("</body>", &format!("{MEASURE}</body>")),
    )
    .unwrap();
    for width in [960, 420] {
        let out = chromium(
            browser,
            &dir.join(format!("profile-{width}")),
            width,
            &["--dump-dom"],
            &measured,
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        assert_eq!(clipped(&dom), Vec::<String>::new(), "at {width} px wide");
    }
}

/// Runs the built binary in Berlin's zone; panics with its stderr when it fails.
fn tete(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .args(args)
        .env("TZ", "Europe/Berlin")
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_demo_report_draws_in_chromium_with_nothing_cut_off() {
    let Some(browser) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    tete(&[
        "demo",
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    check_in_chromium(
        &browser,
        dir.path(),
        &page,
        &[
            ("held", [0x2e, 0x8b, 0x57]),
            ("moved", [0xf0, 0xa5, 0x00]),
            ("cancelled", [0xc0, 0x39, 0x2b]),
        ],
    );
}

/// The digest's HTML part, as a mail client with HTML on would draw it.
#[test]
fn the_digest_draws_in_chromium_with_nothing_cut_off() {
    let Some(browser) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("digest.html");
    let html = crate::report_cli::demo_digest(
        "html",
        &dir.path().join("state.sqlite"),
        "2026-11-30T06:30:00Z",
    );
    std::fs::write(&page, html).unwrap();
    check_in_chromium(
        &browser,
        dir.path(),
        &page,
        &[
            ("past weeks' hours", [0xaa, 0xb2, 0xbf]),
            ("this week's hours", [0x2f, 0x6f, 0xd6]),
        ],
    );
}
