//! A city's code table (部件/事件 大类 and 小类) from the spreadsheet it keeps: CSV (UTF-8,
//! or GBK as Excel saves it on a Chinese Windows) or XLSX (the first sheet), one row per
//! 小类, with a header row naming the columns in Chinese or English:
//!
//! | column | names taken |
//! |---|---|
//! | kind | 类型, 类别, 种类, kind (`部件`/`事件` or `component`/`event`) |
//! | major code | 大类代码, 大类编码, 大类编号, major_code |
//! | major name | 大类名称, 大类, major_name |
//! | minor code | 小类代码, 小类编码, 小类编号, minor_code |
//! | minor name | 小类名称, 小类, minor_name |
//! | English name (optional) | 英文名称, name_en |
//!
//! A major code is 2 digits; a minor code 2 (CJ/T 214) or 3 (the newer 城市运行管理服务平台
//! tables), so a category is 4 or 5 digits. Every row is checked before the table is made:
//! codes of the right shape, names present, one name per 大类, no 小类 twice, a known
//! kind. The result is the table file Gridwalk stores and sends to tablets (the shape of
//! `fixtures/codes.json`), under the version given.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::Error;
use crate::validate::{Problem, ProblemKind};

const COLUMNS: [(&str, &[&str]); 6] = [
    ("kind", &["类型", "类别", "种类", "kind"]),
    (
        "major code",
        &["大类代码", "大类编码", "大类编号", "major_code"],
    ),
    ("major name", &["大类名称", "大类", "major_name"]),
    (
        "minor code",
        &["小类代码", "小类编码", "小类编号", "minor_code"],
    ),
    ("minor name", &["小类名称", "小类", "minor_name"]),
    ("English name", &["英文名称", "name_en"]),
];

/// The rows of a `.csv` or `.xlsx` file, as text (the header row first).
pub fn read_rows(path: &Path) -> Result<Vec<Vec<String>>, Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let io = |e: std::io::Error| Error::Read(format!("{}: {e}", path.display()));
    match ext.as_str() {
        "csv" => {
            let bytes = std::fs::read(path).map_err(io)?;
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t.to_owned(),
                // Excel on a Chinese Windows saves CSV in GBK (GB18030 reads it and more).
                Err(utf8) => encoding_rs::GB18030
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .ok_or_else(|| {
                        Error::Read(format!(
                            "{}: the text is neither UTF-8 (a bad byte at offset {}) nor GBK; \
                             save the table as CSV UTF-8 or GBK",
                            path.display(),
                            utf8.valid_up_to()
                        ))
                    })?
                    .into_owned(),
            };
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes())
                .records()
                .take(MAX_ROWS + 1)
                .map(|r| {
                    r.map(|r| r.iter().map(|c| c.trim().to_owned()).collect())
                        .map_err(|e| Error::Read(format!("{}: {e}", path.display())))
                })
                .collect::<Result<Vec<_>, _>>()
                .and_then(|rows| within_limits(path, rows))
        }
        "xlsx" => xlsx_rows(path),
        "xls" | "ods" => Err(Error::Read(format!(
            "{}: save the table as .xlsx or CSV (the older .xls and .ods formats are not read: \
             their readers trust the sizes a file declares)",
            path.display()
        ))),
        _ => Err(Error::Read(format!(
            "{}: a code table is read from .csv or .xlsx",
            path.display()
        ))),
    }
}

/// Rows a code table may have: a city's has a few hundred 小类.
pub const MAX_ROWS: usize = 10_000;
/// Columns a code table may have (it uses eight or so).
pub const MAX_COLUMNS: usize = 64;

fn within_limits(path: &Path, rows: Vec<Vec<String>>) -> Result<Vec<Vec<String>>, Error> {
    if rows.len() > MAX_ROWS {
        return Err(Error::Read(format!(
            "{}: more than {MAX_ROWS} rows; a code table has a few hundred",
            path.display()
        )));
    }
    Ok(rows)
}

/// The first sheet of an `.xlsx`, cell by cell as the file streams them: a sheet can name
/// a cell a million rows down (XFD1048576), and making the sheet's rectangle first would
/// reserve room for every cell between. Cells past [`MAX_ROWS`] or [`MAX_COLUMNS`] are
/// refused with their place, and the rows are made only as far as cells reach.
fn xlsx_rows(path: &Path) -> Result<Vec<Vec<String>>, Error> {
    use calamine::Reader;
    shared_strings_bounded(path)?;
    let bad = |e: calamine::XlsxError| Error::Read(format!("{}: {e}", path.display()));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(bad)?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Error::Read(format!("{}: the workbook has no sheet", path.display())))?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(bad)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(bad)? {
        let (row, column) = cell.get_position();
        let (r, c) = (row as usize, column as usize);
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            return Err(Error::Read(format!(
                "{}, sheet \"{sheet}\": a cell at row {}, column {} lies beyond where a code \
                 table can be ({MAX_ROWS} rows, {MAX_COLUMNS} columns); clear it",
                path.display(),
                r + 1,
                c + 1
            )));
        }
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        if rows[r].len() <= c {
            rows[r].resize(c + 1, String::new());
        }
        rows[r][c] = text;
    }
    // The sheet's first used row is the header, wherever it starts.
    let first = rows.iter().position(|r| !r.is_empty()).unwrap_or(0);
    rows.drain(..first);
    Ok(rows)
}

/// Distinct strings a workbook may declare: a code table or a list of people has a few
/// thousand at most.
const MAX_SHARED_STRINGS: usize = 1_000_000;

/// How much of the shared strings table is looked at for its declaration.
const SST_HEAD: u64 = 64 * 1024;

/// The workbook's shared strings table declares how many strings it holds
/// (`<sst uniqueCount="…">`), and the reader reserves room for that many before reading
/// one: a 2 KB file declaring four billion would bring the process down. The declaration
/// is read here first, in the table's first 64 KB where it belongs, and refused when it is
/// absurd or not there.
fn shared_strings_bounded(path: &Path) -> Result<(), Error> {
    use std::io::Read;
    let bad = |what: String| Error::Read(format!("{}: {what}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| bad(format!("not an .xlsx workbook (a zip archive): {e}")))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = entry
            .name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        if !name.ends_with("sharedstrings.xml") {
            continue;
        }
        let mut head = Vec::new();
        (&mut entry)
            .take(SST_HEAD)
            .read_to_end(&mut head)
            .map_err(|e| bad(e.to_string()))?;
        let text = String::from_utf8_lossy(&head);
        let Some(at) = text.find("<sst") else {
            return Err(bad(
                "the workbook's shared strings do not begin as a spreadsheet's do".into(),
            ));
        };
        let tag = &text[at..text[at..].find('>').map_or(text.len(), |e| at + e)];
        if let Some(v) = tag.split("uniqueCount=").nth(1) {
            let digits: String = v
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let n: u128 = digits.parse().unwrap_or(u128::MAX);
            if n > MAX_SHARED_STRINGS as u128 {
                return Err(bad(format!(
                    "the workbook declares {digits} distinct strings; a code table or a list of \
                     people has a few thousand (save it again from the spreadsheet program)"
                )));
            }
        }
    }
    Ok(())
}

/// A spreadsheet cell as a person reads it: 1 rather than 1.0, "01" kept as written.
fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string().trim().to_owned(),
    }
}

/// The table file (JSON text) and its number of categories, or every problem found.
pub fn code_table(
    rows: &[Vec<String>],
    version: &str,
    title: &str,
) -> Result<Result<(String, usize), Vec<Problem>>, Error> {
    if version.trim().is_empty() {
        return Err(Error::Read("give the table a version (--version)".into()));
    }
    let version = version.trim();
    if version.chars().count() > 40
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(Error::Read(format!(
            "the version {:?} is not a version name: up to 40 letters, digits, '.', '-' and \
             '_' (e.g. CJT214-2026.1)",
            version
        )));
    }
    if title.chars().any(char::is_control) || title.chars().count() > 200 {
        return Err(Error::Read(format!(
            "the title {:?} is not one line of up to 200 characters",
            title
        )));
    }
    let header = rows
        .first()
        .ok_or_else(|| Error::Read("the file is empty".into()))?;
    let mut at = [None; 6];
    for (i, (what, names)) in COLUMNS.iter().enumerate() {
        at[i] = header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
        if at[i].is_none() && i < 5 {
            return Err(Error::Read(format!(
                "no {what} column (a header named {}); the header row is: {}",
                names.join(" or "),
                header.join(", ")
            )));
        }
    }
    let get = |row: &Vec<String>, i: usize| {
        at[i]
            .and_then(|c| row.get(c))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    // kind → major code → (major name, first row, minors: code → (name, name_en, row))
    type Minors = BTreeMap<String, (String, String, usize)>;
    let mut kinds: BTreeMap<&str, BTreeMap<String, (String, usize, Minors)>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut count = 0;
    for (i, row) in rows.iter().enumerate().skip(1) {
        let n = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let fail = |kind, message: String, code: Option<String>| Problem {
            row: n,
            code,
            kind,
            message,
            at: None,
        };
        let kind = match get(row, 0).as_str() {
            "部件" | "component" | "Component" => "component",
            "事件" | "event" | "Event" => "event",
            other => {
                problems.push(fail(
                    ProblemKind::BadCode,
                    format!("kind \"{other}\" is neither 部件 nor 事件"),
                    None,
                ));
                continue;
            }
        };
        let (major, minor) = (get(row, 1), get(row, 3));
        let code = format!("{major}{minor}");
        let digits = |s: &str, lens: &[usize]| {
            lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(&major, &[2]) || !digits(&minor, &[2, 3]) {
            problems.push(fail(
                ProblemKind::BadCode,
                format!(
                    "大类 \"{major}\" / 小类 \"{minor}\": a 大类 code is 2 digits and a 小类 code \
                     2 or 3 (keep leading zeros: format the column as text)"
                ),
                Some(code),
            ));
            continue;
        }
        let (major_name, minor_name) = (get(row, 2), get(row, 4));
        if major_name.is_empty() || minor_name.is_empty() {
            problems.push(fail(
                ProblemKind::MissingCode,
                "the 大类 or 小类 has no name".into(),
                Some(code),
            ));
            continue;
        }
        let majors = kinds.entry(kind).or_default();
        let entry = majors
            .entry(major.clone())
            .or_insert_with(|| (major_name.clone(), n, BTreeMap::new()));
        if entry.0 != major_name {
            problems.push(fail(
                ProblemKind::Duplicate,
                format!(
                    "大类 {major} is named \"{major_name}\" here but \"{}\" on row {}",
                    entry.0, entry.1
                ),
                Some(code.clone()),
            ));
        }
        if let Some((_, _, first)) = entry.2.get(&minor) {
            problems.push(fail(
                ProblemKind::Duplicate,
                format!("{} {code} is also on row {first}", kind_zh(kind)),
                Some(code),
            ));
            continue;
        }
        entry.2.insert(minor, (minor_name, get(row, 5), n));
        count += 1;
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    if count == 0 {
        return Err(Error::Read("the file has no category rows".into()));
    }
    let kinds: Vec<serde_json::Value> = kinds
        .iter()
        .map(|(kind, majors)| {
            json!({
                "kind": kind,
                "name": kind_zh(kind),
                "majors": majors.iter().map(|(code, (name, _, minors))| json!({
                    "code": code,
                    "name": name,
                    "minors": minors.iter().map(|(code, (name, en, _))| {
                        let mut m = json!({ "code": code, "name": name });
                        if !en.is_empty() {
                            m["name_en"] = json!(en);
                        }
                        m
                    }).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let table = json!({ "version": version.trim(), "title": title, "kinds": kinds });
    Ok(Ok((
        serde_json::to_string_pretty(&table).unwrap_or_default(),
        count,
    )))
}

fn kind_zh(kind: &str) -> &'static str {
    if kind == "component" {
        "部件"
    } else {
        "事件"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn a_table_from_chinese_headers() {
        let (json, n) = code_table(
            &rows(
                "类型,大类代码,大类名称,小类代码,小类名称\n\
                 部件,01,公用设施,01,上水井盖\n\
                 部件,01,公用设施,02,污水井盖\n\
                 事件,01,市容环境,001,暴露垃圾\n",
            ),
            "ZZ-2026.1",
            "郑州",
        )
        .expect("read")
        .expect("no problems");
        assert_eq!(n, 3);
        let table = gridwalk_protocol::CodeTable::from_json(&json).expect("a table");
        assert_eq!(table.version(), "ZZ-2026.1");
        assert!(
            table
                .get(
                    gridwalk_protocol::Kind::Event,
                    &"01001".parse().expect("code")
                )
                .is_some()
        );
    }

    #[test]
    fn a_version_or_title_that_could_forge_a_line_is_refused() {
        let rows = rows("大类代码,大类名称,小类代码,小类名称,类型\n01,公用设施,01,上水井盖,部件");
        for version in ["2026.1\nimport_codes ok", "a b", "版本1", &"9".repeat(41)] {
            let e = code_table(&rows, version, "t")
                .expect_err(version)
                .to_string();
            assert!(e.contains("not a version name"), "{e}");
        }
        let e = code_table(&rows, "V1", "one\ntwo")
            .expect_err("title")
            .to_string();
        assert!(e.contains("one line"), "{e}");
    }

    #[test]
    fn every_row_problem_is_named_and_no_table_is_made() {
        let problems = code_table(
            &rows(
                "kind,major_code,major_name,minor_code,minor_name\n\
                 部件,1,公用设施,01,上水井盖\n\
                 部件,01,公用设施,01,上水井盖\n\
                 部件,01,公用设施,01,重复\n\
                 部件,01,道路交通,02,别名\n\
                 设施,02,x,01,y\n\
                 事件,02,市容,03,\n",
            ),
            "v",
            "",
        )
        .expect("read")
        .expect_err("problems");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 5, "{text:#?}");
        assert!(text[0].starts_with("row 2"), "{text:#?}");
        assert!(
            text.iter().any(|t| t.contains("also on row 3")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("named \"道路交通\" here but \"公用设施\"")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("neither 部件 nor 事件")),
            "{text:#?}"
        );
        assert!(text.iter().any(|t| t.contains("has no name")), "{text:#?}");
    }

    #[test]
    fn a_missing_column_is_named() {
        let e = code_table(&rows("类型,大类代码,小类代码\n部件,01,01\n"), "v", "")
            .expect_err("refused")
            .to_string();
        assert!(e.contains("no major name column"), "{e}");
    }
}
