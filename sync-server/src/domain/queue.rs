//! Work queues: which reports a console list shows, in which order, a page at a time.
//!
//! A list is a team leader's or operator's work queue, not a feed of news, so its default
//! order is **oldest waiting first** (by when each report entered its state): the report
//! that has waited longest is on top and cannot sink. The other orders are overdue first
//! (open dispatched cases by deadline), urgent first, and newest first
//! ([`QueueSort`]). Every order ends with the report's ID, so it is total.
//!
//! **Paging is by cursor, not offset.** A page ends with the sort key of its last report
//! ([`Cursor`]); the next page is the reports strictly after that key. Reports arriving or
//! moving meanwhile neither repeat nor skip a report the way an offset would, and the
//! database reads only one page through an index however deep the page is. The answer says
//! whether there is more, and how many match in all, counted up to [`COUNT_CAP`] (a queue
//! of 100,000 reports does not need its exact size to be worked). The count is taken on the
//! first page and carried in the cursor: it reads every match up to the cap where a page
//! reads 51 rows, so the pages after the first say the first page's count.
//!
//! **Search** is over the description and the address, for Chinese first. Word tokenisers
//! do not help there: PostgreSQL's default text-search parser does not split Chinese into
//! words, and SQLite's FTS5 trigram tokenizer cannot match a query of two characters, while
//! most Chinese search words are two (井盖, 垃圾, 占道). So the store keeps its own
//! character n-gram index, the same on both databases: every letter or digit of a report's
//! text alone, and every two side by side ([`grams`]), each a row `(gram, report)` written
//! in the transaction that writes the text. A query word is looked up by its pairs (its one
//! character, if it has one), so every report holding them all is a candidate; the
//! candidates are then checked for the word itself, as a substring of the stored text, so a
//! report holding 井口 and 口盖 but not 井口盖… is found only by a query it contains. Several
//! words must all match. Letters are lower-cased on both sides.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use gridwalk_protocol::console::QueueSort;
use gridwalk_protocol::intake::Source;
use gridwalk_protocol::{CaseState, Kind, Report, ReportId, Urgency};

use super::Denied;
use super::model::ReportFilter;

/// A page when the request does not say.
pub const DEFAULT_PAGE: usize = 50;
/// The largest page.
pub const MAX_PAGE: usize = 200;
/// How far a queue's size is counted; beyond it the answer says "at least".
pub const COUNT_CAP: u64 = 10_000;
/// A dispatched case is due soon within this many hours of its deadline (as the console's
/// badge says).
pub const DUE_SOON_HOURS: i64 = 2;
/// At most this many words in one search.
pub const MAX_TERMS: usize = 8;
/// At most this many characters in one search word.
pub const MAX_TERM_CHARS: usize = 64;
/// A long word is looked up by at most this many of its pairs (spread over it); the
/// substring check makes the answer exact anyway.
const MAX_TERM_GRAMS: usize = 6;

/// Something about a report a leader wants to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueueFlag {
    /// Marked on arrival as a likely duplicate of an earlier report.
    Duplicate,
    /// The device's claim about the place disagrees with the centre's grid.
    PlaceDisputed,
    /// The centre placed it in no cell.
    OutsideGrid,
    /// Its department asked for more time (延期) and the centre has not decided yet.
    ExtensionAsked,
    /// Sent back by its department (回退) and waiting to be dispatched again (改派).
    Bounced,
}

impl QueueFlag {
    const ALL: [(QueueFlag, &'static str); 5] = [
        (QueueFlag::Duplicate, "duplicate"),
        (QueueFlag::PlaceDisputed, "place_disputed"),
        (QueueFlag::OutsideGrid, "outside_grid"),
        (QueueFlag::ExtensionAsked, "extension_asked"),
        (QueueFlag::Bounced, "bounced"),
    ];

    fn parse(s: &str) -> Result<Self, Denied> {
        Self::ALL
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(f, _)| *f)
            .ok_or_else(|| {
                Denied::query(format!(
                    "{s:?} is not a flag; use duplicate, place_disputed, outside_grid, extension_asked or bounced"
                ))
            })
    }
}

/// Open dispatched cases against their deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Past the deadline.
    Overdue,
    /// Not yet past it, but within [`DUE_SOON_HOURS`].
    Soon,
}

/// One value of a sort key, as a cursor carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time(DateTime<Utc>),
    /// A small rank (urgent 0, normal 1).
    Rank(i64),
    Id(ReportId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Time,
    Rank,
}

/// The keys of an order before the report's ID, which ends every order.
fn shape(sort: QueueSort) -> &'static [KeyKind] {
    match sort {
        QueueSort::Waiting | QueueSort::Newest => &[KeyKind::Time],
        QueueSort::Overdue => &[KeyKind::Time, KeyKind::Time],
        QueueSort::Urgent => &[KeyKind::Rank, KeyKind::Time],
    }
}

/// The deadline an overdue-first order gives a report that has none open (after every
/// real one).
#[must_use]
pub fn no_deadline() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Where the next page of an order starts: the sort key of the last report shown, and
/// how many matched when the first page was counted (so the pages after it are not
/// counted again: a count reads every match up to [`COUNT_CAP`], the page only 51).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort: QueueSort,
    /// The keys of [`shape`], then the report's ID.
    pub keys: Vec<SortKey>,
    /// The first page's count, and whether it reached the cap; `None` in a cursor from
    /// before counts were carried (the page counts again).
    pub total: Option<(u64, bool)>,
}

impl Cursor {
    /// The cursor as text: the order's name, its keys and the count (`+` when capped),
    /// `~`-separated (times in RFC 3339 to the nanosecond, so the key is exact).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut parts = vec![self.sort.as_str().to_owned()];
        for k in &self.keys {
            parts.push(match k {
                SortKey::Time(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                SortKey::Rank(n) => n.to_string(),
                SortKey::Id(id) => id.to_string(),
            });
        }
        if let Some((n, capped)) = self.total {
            parts.push(format!("{n}{}", if capped { "+" } else { "" }));
        }
        parts.join("~")
    }

    /// A cursor read back for `sort`; one of another order, or not a cursor at all, is
    /// refused in words.
    pub fn decode(text: &str, sort: QueueSort) -> Result<Self, Denied> {
        let bad = || {
            Denied::query(format!(
                "{text:?} is not a cursor of this list; start again without `after`"
            ))
        };
        let mut parts = text.split('~');
        let named: QueueSort = parts.next().unwrap_or("").parse().map_err(|_| bad())?;
        if named != sort {
            return Err(Denied::query(format!(
                "the cursor continues the order {}, not {}; start again without `after`",
                named.as_str(),
                sort.as_str()
            )));
        }
        let mut keys = Vec::new();
        for kind in shape(sort) {
            let part = parts.next().ok_or_else(bad)?;
            keys.push(match kind {
                KeyKind::Time => SortKey::Time(
                    DateTime::parse_from_rfc3339(part)
                        .map_err(|_| bad())?
                        .to_utc(),
                ),
                KeyKind::Rank => SortKey::Rank(part.parse().map_err(|_| bad())?),
            });
        }
        let id: ReportId = parts
            .next()
            .and_then(|p| p.parse::<uuid::Uuid>().ok())
            .and_then(|u| ReportId::try_from(u).ok())
            .ok_or_else(bad)?;
        keys.push(SortKey::Id(id));
        let total = match parts.next() {
            None => None,
            Some(part) => {
                let (digits, capped) = match part.strip_suffix('+') {
                    Some(d) => (d, true),
                    None => (part, false),
                };
                let n: u64 = digits.parse().map_err(|_| bad())?;
                if n > COUNT_CAP {
                    return Err(bad());
                }
                Some((n, capped))
            }
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Cursor { sort, keys, total })
    }
}

/// The first code after every code starting with the digits `prefix` (`440703009` →
/// `44070301`), so `prefix <= code < end` holds exactly the codes it begins; `None` when
/// no code comes after them (all nines).
#[must_use]
pub fn prefix_end(prefix: &str) -> Option<String> {
    let digits = prefix.trim_end_matches('9');
    let last = digits.chars().last()?;
    let next = char::from_digit(last.to_digit(10)? + 1, 10)?;
    Some(format!(
        "{}{next}",
        &digits[..digits.len() - last.len_utf8()]
    ))
}

/// The text a report is searched by: its description and its address, lower-cased.
#[must_use]
pub fn search_text(r: &Report) -> String {
    format!(
        "{}\n{}",
        r.description.to_lowercase(),
        r.address.to_lowercase()
    )
}

/// The index entries of `text` (already lower-cased): every letter or digit alone, and
/// every two letters or digits side by side. Anything else (spaces, punctuation) separates.
#[must_use]
pub fn grams(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        for c in &chars {
            out.insert(c.to_string());
        }
        for pair in chars.windows(2) {
            out.insert(pair.iter().collect());
        }
    }
    out
}

/// One search word: the index entries that find its candidates, and the `LIKE` pattern
/// that checks them (a word is letters and digits only, so it needs no escaping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    pub grams: Vec<String>,
    pub like: String,
}

/// The words of a search, each with its index entries; none for an empty search.
pub fn search_terms(q: &str) -> Result<Vec<SearchTerm>, Denied> {
    let lower = q.to_lowercase();
    let mut words: Vec<&str> = Vec::new();
    for w in lower.split(|c: char| !c.is_alphanumeric()) {
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    }
    if words.len() > MAX_TERMS {
        return Err(Denied::query(format!(
            "{} words; a search takes at most {MAX_TERMS}",
            words.len()
        )));
    }
    words
        .into_iter()
        .map(|w| {
            let chars: Vec<char> = w.chars().collect();
            if chars.len() > MAX_TERM_CHARS {
                return Err(Denied::query(format!(
                    "a search word is at most {MAX_TERM_CHARS} characters"
                )));
            }
            let all: Vec<String> = if chars.len() == 1 {
                vec![w.to_owned()]
            } else {
                let mut pairs: Vec<String> = Vec::new();
                for p in chars.windows(2) {
                    let p: String = p.iter().collect();
                    if !pairs.contains(&p) {
                        pairs.push(p);
                    }
                }
                pairs
            };
            Ok(SearchTerm {
                grams: spread(all, MAX_TERM_GRAMS),
                like: format!("%{w}%"),
            })
        })
        .collect()
}

/// At most `n` of `items`, the first and the last among them, the rest evenly between.
fn spread(items: Vec<String>, n: usize) -> Vec<String> {
    if items.len() <= n || n < 2 {
        return items;
    }
    let last = items.len() - 1;
    (0..n).map(|i| items[i * last / (n - 1)].clone()).collect()
}

/// What a list request asked for, as it came (the API's query parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ask {
    /// Comma-separated case states.
    pub state: Option<String>,
    /// A street (街道): the first 9 digits of its cells' codes.
    pub street: Option<String>,
    /// A community (社区): the first 12 digits.
    pub community: Option<String>,
    /// One cell: 15 digits.
    pub cell: Option<String>,
    /// `component` (部件) or `event` (事件).
    pub kind: Option<String>,
    /// A 大类 (2 digits) or 小类 (4 digits).
    pub category: Option<String>,
    /// Reports naming this component (16 digits).
    pub component: Option<String>,
    /// The reporting inspector's login.
    pub inspector: Option<String>,
    pub team: Option<String>,
    pub department: Option<String>,
    /// `normal` or `urgent`.
    pub urgency: Option<String>,
    pub source: Option<String>,
    /// Comma-separated [`QueueFlag`]s; a report must have them all.
    pub flags: Option<String>,
    /// `overdue` or `due_soon`.
    pub due: Option<String>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received before.
    pub to: Option<DateTime<Utc>>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
    pub limit: Option<usize>,
}

/// What a person's role lets them see at all: their team's reports, their department's
/// cases, or everything (`None`s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope<'a> {
    pub team: Option<&'a str>,
    pub department: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// The scope of someone's reach for seeing reports ([`super::access::Act::SeeReports`]).
    #[must_use]
    pub fn of(reach: &'a super::access::Reach) -> Self {
        Scope {
            team: reach.team(),
            department: reach.department(),
        }
    }
}

/// The filter a list request asks for within `scope` at `now`; `Ok(None)` when the request
/// names a team or department outside the scope, so nothing can match. A value the request
/// cannot take is refused in words.
pub fn filter(
    ask: &Ask,
    scope: Scope<'_>,
    now: DateTime<Utc>,
) -> Result<Option<ReportFilter>, Denied> {
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (Some(team), Some(department)) = (
        narrow(scope.team, some(&ask.team)),
        narrow(scope.department, some(&ask.department)),
    ) else {
        return Ok(None);
    };
    let states = list(&ask.state)
        .map(|s| {
            s.parse::<CaseState>()
                .map_err(|e| Denied::query(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let place = place(
        some(&ask.street).as_deref(),
        some(&ask.community).as_deref(),
        some(&ask.cell).as_deref(),
    )?;
    let kind = match some(&ask.kind).as_deref() {
        None => None,
        Some("component") => Some(Kind::Component),
        Some("event") => Some(Kind::Event),
        Some(other) => {
            return Err(Denied::query(format!(
                "{other:?} is not a kind; use component or event"
            )));
        }
    };
    let category = some(&ask.category);
    if let Some(c) = &category
        && !((c.len() == 2 || c.len() == 4) && c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Denied::query(format!(
            "{c:?} is not a category: 2 digits (大类) or 4 (小类)"
        )));
    }
    let component = some(&ask.component);
    if let Some(c) = &component
        && !(c.len() == 16 && c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Denied::query(format!(
            "{c:?} is not a component ID: 16 digits (部件编码)"
        )));
    }
    let urgency = match some(&ask.urgency).as_deref() {
        None => None,
        Some("normal") => Some(Urgency::Normal),
        Some("urgent") => Some(Urgency::Urgent),
        Some(other) => {
            return Err(Denied::query(format!(
                "{other:?} is not an urgency; use normal or urgent"
            )));
        }
    };
    let source = some(&ask.source)
        .map(|s| {
            s.parse::<Source>().map_err(|_| {
                Denied::query(format!(
                    "{s:?} is not a source; reports come from: {}",
                    Source::ALL.map(Source::as_str).join(", ")
                ))
            })
        })
        .transpose()?;
    let mut flags = list(&ask.flags)
        .map(QueueFlag::parse)
        .collect::<Result<Vec<_>, _>>()?;
    flags.sort();
    flags.dedup();
    let due = match some(&ask.due).as_deref() {
        None => None,
        Some("overdue") => Some(Due::Overdue),
        Some("due_soon") => Some(Due::Soon),
        Some(other) => {
            return Err(Denied::query(format!(
                "{other:?} is not a deadline filter; use overdue or due_soon"
            )));
        }
    };
    if let (Some(from), Some(to)) = (ask.from, ask.to)
        && to <= from
    {
        return Err(Denied::Invalid(gridwalk_protocol::message::msg!(
            PERIOD_ORDER
        )));
    }
    let sort = match some(&ask.sort) {
        None => QueueSort::default(),
        Some(s) => s.parse().map_err(Denied::query)?,
    };
    let after = some(&ask.after)
        .map(|c| Cursor::decode(&c, sort))
        .transpose()?;
    let limit = ask.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Denied::query(format!(
            "a page holds 1 to {MAX_PAGE} reports, not {limit}"
        )));
    }
    Ok(Some(ReportFilter {
        states,
        team,
        department,
        place,
        kind,
        category,
        component,
        inspector: some(&ask.inspector),
        urgency,
        source,
        flags,
        due,
        // The service sets it from the case rules.
        soon_to: None,
        received_from: ask.from,
        received_to: ask.to,
        search: search_terms(ask.q.as_deref().unwrap_or(""))?,
        sort,
        after,
        now,
        limit,
    }))
}

/// The comma-separated items of a parameter, trimmed, without empty ones.
fn list(v: &Option<String>) -> impl Iterator<Item = &str> {
    v.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A team or department asked for within what the scope allows: the scope's own (what was
/// asked, if it is the same), what was asked when the scope is everything, and `None` when
/// the two differ (nothing can match).
fn narrow(scope: Option<&str>, asked: Option<String>) -> Option<Option<String>> {
    match (scope, asked) {
        (Some(s), Some(a)) if s != a => None,
        (Some(s), _) => Some(Some(s.to_owned())),
        (None, a) => Some(a),
    }
}

/// The cell-code prefix a street, community or cell names (the most precise one given);
/// they must agree and have the right number of digits.
fn place(
    street: Option<&str>,
    community: Option<&str>,
    cell: Option<&str>,
) -> Result<Option<String>, Denied> {
    let mut prefix: Option<&str> = None;
    for (value, digits, what) in [
        (street, 9, "street"),
        (community, 12, "community"),
        (cell, 15, "cell"),
    ] {
        let Some(v) = value else { continue };
        if v.len() != digits || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Denied::query(format!(
                "{v:?} is not a {what} code: {digits} digits (the first {digits} of its cells' codes)"
            )));
        }
        if let Some(p) = prefix
            && !v.starts_with(p)
        {
            return Err(Denied::query(format!("{what} {v} does not lie in {p}")));
        }
        prefix = Some(v);
    }
    Ok(prefix.map(str::to_owned))
}

/// The deadline window of a [`Due`] filter at `now`: deadlines in `from..to`.
#[must_use]
pub fn due_window(
    due: Due,
    now: DateTime<Utc>,
    soon_to: Option<DateTime<Utc>>,
) -> (Option<DateTime<Utc>>, DateTime<Utc>) {
    match due {
        Due::Overdue => (None, now),
        Due::Soon => (
            Some(now),
            soon_to.unwrap_or(now + Duration::hours(DUE_SOON_HOURS)),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
    }

    #[test]
    fn grams_are_every_character_and_every_pair_within_words() {
        let g = grams("井盖缺失, abc");
        let expected: BTreeSet<String> = [
            "井", "盖", "缺", "失", "井盖", "盖缺", "缺失", "a", "b", "c", "ab", "bc",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(g, expected, "no pair across the comma or the space");
    }

    #[test]
    fn a_search_looks_words_up_by_their_pairs_and_checks_the_word() {
        let t = search_terms("  井盖 ， Manhole 井盖 ").unwrap();
        assert_eq!(t.len(), 2, "repeated words count once: {t:?}");
        assert_eq!(t[0].grams, vec!["井盖"]);
        assert_eq!(t[0].like, "%井盖%");
        assert_eq!(t[1].like, "%manhole%", "letters lower-cased");
        let one = search_terms("井").unwrap();
        assert_eq!(one[0].grams, vec!["井"], "one character: its unigram");
        assert!(search_terms(" ，。").unwrap().is_empty());
        let long = search_terms("江门市蓬江区北街道建设路一百号附近").unwrap();
        assert_eq!(long[0].grams.len(), MAX_TERM_GRAMS);
        assert_eq!(long[0].grams[0], "江门");
        assert_eq!(long[0].grams[MAX_TERM_GRAMS - 1], "附近");
        assert!(search_terms("a b c d e f g h i").is_err(), "nine words");
        assert!(search_terms(&"长".repeat(MAX_TERM_CHARS + 1)).is_err());
    }

    #[test]
    fn every_word_of_a_text_is_found_by_its_own_grams() {
        let text = "建设路12号门前井盖缺失\n江门市蓬江区";
        let held = grams(text);
        for q in [
            "井盖",
            "井",
            "12",
            "12号",
            "蓬江区",
            "建设路12号门前井盖缺失",
        ] {
            for t in search_terms(q).unwrap() {
                assert!(t.grams.iter().all(|g| held.contains(g)), "{q}: {t:?}");
                assert!(text.contains(t.like.trim_matches('%')), "{q}");
            }
        }
    }

    #[test]
    fn a_prefix_ends_at_the_next_code_after_all_it_begins() {
        assert_eq!(prefix_end("440703001").as_deref(), Some("440703002"));
        assert_eq!(prefix_end("440703009").as_deref(), Some("44070301"));
        assert_eq!(prefix_end("05").as_deref(), Some("06"));
        assert_eq!(prefix_end("0599").as_deref(), Some("06"));
        assert_eq!(prefix_end("999"), None);
        for p in ["440703009", "0599", "05"] {
            let end = prefix_end(p).unwrap();
            for code in [format!("{p}000"), format!("{p}999")] {
                assert!(p <= code.as_str() && code < end, "{p} {code} {end}");
            }
            let after = format!("{end}000");
            assert!(after.as_str() >= end.as_str(), "{after} is past {end}");
        }
    }

    #[test]
    fn cursors_round_trip_exactly_and_refuse_other_orders() {
        let id = ReportId::new();
        let t = now() + Duration::nanoseconds(123_456_789);
        for (sort, keys) in [
            (QueueSort::Waiting, vec![SortKey::Time(t)]),
            (QueueSort::Newest, vec![SortKey::Time(t)]),
            (
                QueueSort::Overdue,
                vec![SortKey::Time(no_deadline()), SortKey::Time(t)],
            ),
            (QueueSort::Urgent, vec![SortKey::Rank(1), SortKey::Time(t)]),
        ] {
            let mut keys = keys;
            keys.push(SortKey::Id(id));
            for total in [None, Some((7, false)), Some((COUNT_CAP, true))] {
                let c = Cursor {
                    sort,
                    keys: keys.clone(),
                    total,
                };
                let text = c.encode();
                assert_eq!(Cursor::decode(&text, sort).unwrap(), c, "{text}");
            }
        }
        let c = Cursor {
            sort: QueueSort::Waiting,
            keys: vec![SortKey::Time(t), SortKey::Id(id)],
            total: Some((12, false)),
        }
        .encode();
        let e = Cursor::decode(&c, QueueSort::Newest).unwrap_err();
        assert!(e.to_string().contains("continues the order waiting"), "{e}");
        for bad in [
            "",
            "waiting",
            "waiting~x~y",
            &format!("{c}~more"),
            &format!("{c}~3"),
            &c.replace("~12", "~x"),
            &c.replace("~12", &format!("~{}", COUNT_CAP + 1)),
            "sideways~1~2",
        ] {
            assert!(Cursor::decode(bad, QueueSort::Waiting).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_becomes_a_filter_within_its_scope() {
        let ask = Ask {
            state: Some("dispatched, handled".into()),
            street: Some("440703001".into()),
            community: Some("440703001001".into()),
            kind: Some("event".into()),
            category: Some("05".into()),
            urgency: Some("urgent".into()),
            source: Some("inspector".into()),
            flags: Some("outside_grid,duplicate,duplicate".into()),
            due: Some("overdue".into()),
            q: Some("井盖".into()),
            sort: Some("overdue".into()),
            limit: Some(20),
            ..Ask::default()
        };
        let leader = Scope {
            team: Some("T1"),
            department: None,
        };
        let f = filter(&ask, leader, now()).unwrap().unwrap();
        assert_eq!(f.states, vec![CaseState::Dispatched, CaseState::Handled]);
        assert_eq!(f.team.as_deref(), Some("T1"), "the scope's team");
        assert_eq!(f.place.as_deref(), Some("440703001001"), "the most precise");
        assert_eq!(f.kind, Some(Kind::Event));
        assert_eq!(f.urgency, Some(Urgency::Urgent));
        assert_eq!(f.source, Some(Source::Inspector));
        assert_eq!(f.flags, vec![QueueFlag::Duplicate, QueueFlag::OutsideGrid]);
        assert_eq!(f.due, Some(Due::Overdue));
        assert_eq!(f.sort, QueueSort::Overdue);
        assert_eq!((f.limit, f.now, f.search.len()), (20, now(), 1));

        let other_team = Ask {
            team: Some("T2".into()),
            ..Ask::default()
        };
        assert_eq!(filter(&other_team, leader, now()).unwrap(), None);
        let own_team = Ask {
            team: Some("T1".into()),
            ..Ask::default()
        };
        let f = filter(&own_team, leader, now()).unwrap().unwrap();
        assert_eq!(
            (f.sort, f.limit, f.team.as_deref()),
            (QueueSort::Waiting, DEFAULT_PAGE, Some("T1")),
            "oldest waiting first by default"
        );
        let operator = filter(&own_team, Scope::default(), now()).unwrap().unwrap();
        assert_eq!(operator.team.as_deref(), Some("T1"));
    }

    #[test]
    fn a_request_it_cannot_take_is_refused_in_words() {
        let refused = |ask: Ask, words: &str| {
            let e = filter(&ask, Scope::default(), now()).unwrap_err();
            assert!(e.to_string().contains(words), "{e} (wanted {words:?})");
        };
        refused(
            Ask {
                state: Some("open".into()),
                ..Ask::default()
            },
            "open",
        );
        refused(
            Ask {
                street: Some("4407030".into()),
                ..Ask::default()
            },
            "not a street code",
        );
        refused(
            Ask {
                street: Some("440703001".into()),
                cell: Some("440703002001001".into()),
                ..Ask::default()
            },
            "does not lie in 440703001",
        );
        refused(
            Ask {
                category: Some("5".into()),
                ..Ask::default()
            },
            "not a category",
        );
        refused(
            Ask {
                source: Some("hotline".into()),
                ..Ask::default()
            },
            "reports come from: inspector, hotline_12345, hotline_12319",
        );
        refused(
            Ask {
                flags: Some("shiny".into()),
                ..Ask::default()
            },
            "not a flag",
        );
        refused(
            Ask {
                due: Some("later".into()),
                ..Ask::default()
            },
            "not a deadline filter",
        );
        refused(
            Ask {
                sort: Some("random".into()),
                ..Ask::default()
            },
            "not an order",
        );
        refused(
            Ask {
                limit: Some(MAX_PAGE + 1),
                ..Ask::default()
            },
            "a page holds 1 to 200",
        );
        refused(
            Ask {
                from: Some(now()),
                to: Some(now()),
                ..Ask::default()
            },
            "must end after it starts",
        );
        refused(
            Ask {
                after: Some("waiting~garbage".into()),
                ..Ask::default()
            },
            "not a cursor",
        );
    }

    #[test]
    fn due_windows_match_the_consoles_badge() {
        assert_eq!(due_window(Due::Overdue, now(), None), (None, now()));
        assert_eq!(
            due_window(Due::Soon, now(), None),
            (Some(now()), now() + Duration::hours(2))
        );
        // In working time, as the rules give it: over a night, say.
        let morning = now() + Duration::hours(16);
        assert_eq!(
            due_window(Due::Soon, now(), Some(morning)),
            (Some(now()), morning)
        );
    }
}
