//! A city's people from the list its office keeps (花名册): one row per person under a header
//! row, from CSV or XLSX, taken as a whole or not at all.
//!
//! The columns are found by their Chinese or English headers: 登录名/账号 (`login`), 姓名
//! (`name`), 角色 (`role`: 网格员, 网格长, 指挥中心/值班长, 处置部门, 管理员 or the English
//! names), 班组 (`team`), 网格 (`cells`, the person's 单元网格 codes separated by `;`, `、`,
//! `，` or spaces), 工号 (`badge`), 执法记录仪 (`camera_serial`) and 部门 (`department`, its
//! code or name in the case rules). [`people`] checks every row against what the centre
//! holds — the cells stored, the departments of the rules, the people already there — and
//! returns either the people to store (a person already there, by login, keeps their ID)
//! or every problem with its row. Teams are the team codes on people's records
//! ([`super::teams`]); departments are the case rules'.
//!
//! Service accounts (another port's system) are not people on a list: they need the port
//! they file for and are made one by one (`admin create-user --role service`).

use std::collections::{BTreeMap, BTreeSet};

use gridwalk_protocol::console::Department;
use gridwalk_protocol::{CellCode, is_camera_serial};

use gridwalk_protocol::UserId;
use gridwalk_protocol::console::Role;

use super::model::User;

/// The header names of each column, compared without case; required ones first.
const COLUMNS: [(&str, &[&str]); 8] = [
    ("login", &["login", "登录名", "账号", "用户名"]),
    ("name", &["name", "姓名"]),
    ("role", &["role", "角色"]),
    ("team", &["team", "班组", "班组编码"]),
    ("cells", &["cells", "网格", "责任网格", "网格编码"]),
    ("badge", &["badge", "工号"]),
    (
        "camera_serial",
        &[
            "camera_serial",
            "执法记录仪",
            "记录仪编号",
            "执法记录仪编号",
        ],
    ),
    ("department", &["department", "部门", "处置部门"]),
];

/// People one list may hold.
pub const MAX_PEOPLE: usize = 20_000;

/// One problem with the list: its row (1-based, the header is row 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.message)
    }
}

/// What the centre holds that a list is checked against.
#[derive(Debug)]
pub struct Held<'a> {
    pub cells: &'a BTreeSet<CellCode>,
    pub departments: &'a [Department],
    /// People already stored, by login.
    pub people: &'a BTreeMap<String, User>,
}

/// A role as an office writes it.
fn role(text: &str) -> Option<Role> {
    Some(match text.trim().to_lowercase().as_str() {
        "网格员" | "inspector" => Role::Inspector,
        "网格长" | "leader" => Role::Leader,
        "指挥中心" | "值班长" | "调度员" | "operator" => Role::Operator,
        "处置部门" | "部门" | "处置人员" | "department" => Role::Department,
        "管理员" | "administrator" | "admin" => Role::Administrator,
        _ => return None,
    })
}

/// A login: 2 to 40 lower-case letters, digits, `.`, `_`, `-`.
fn is_login(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// The people of a list (rows as text, the header first), or every problem in it.
pub fn people(rows: &[Vec<String>], held: &Held<'_>) -> Result<Vec<User>, Vec<RowProblem>> {
    let whole = |message: String| vec![RowProblem { row: 1, message }];
    let Some(header) = rows.first() else {
        return Err(whole("the list is empty".into()));
    };
    if rows.len() > MAX_PEOPLE + 1 {
        return Err(whole(format!("more than {MAX_PEOPLE} people in one list")));
    }
    let mut at = [None; COLUMNS.len()];
    for (i, (what, names)) in COLUMNS.iter().enumerate() {
        at[i] = header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
        if at[i].is_none() && i < 3 {
            return Err(whole(format!(
                "no {what} column (a header named {}); the header row is: {}",
                names.join(" or "),
                header.join(", ")
            )));
        }
    }
    let mut problems = Vec::new();
    let mut people = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        let row = i + 1;
        let get = |c: usize| {
            at[c]
                .and_then(|j| r.get(j))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut say = |message: String| problems.push(RowProblem { row, message });
        let login = get(0).unwrap_or_default();
        if !is_login(&login) {
            say(format!(
                "the login {login:?} is not 2-40 lower-case letters, digits, '.', '_' or '-'"
            ));
        } else if let Some(first) = seen.insert(login.clone(), row) {
            say(format!("{login} is also on row {first}"));
        }
        let name = get(1).unwrap_or_default();
        if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
            say(format!(
                "the name {name:?} is not one line of 1-40 characters"
            ));
        }
        let Some(role) = get(2).as_deref().and_then(role) else {
            say(format!(
                "the role {:?} is not one of 网格员, 网格长, 指挥中心, 处置部门, 管理员 \
                 (service accounts are made with create-user)",
                get(2).unwrap_or_default()
            ));
            continue;
        };
        let team = get(3);
        if matches!(role, Role::Inspector | Role::Leader) && team.is_none() {
            say(format!(
                "a {} needs a team (班组)",
                if role == Role::Leader {
                    "网格长"
                } else {
                    "网格员"
                }
            ));
        }
        let mut cells = Vec::new();
        for c in get(4)
            .unwrap_or_default()
            .split([';', '、', '，', ',', ' '])
            .filter(|c| !c.trim().is_empty())
        {
            match c.trim().parse::<CellCode>() {
                Ok(code) if held.cells.contains(&code) => cells.push(code),
                Ok(code) => say(format!(
                    "cell {code} is not in the grid the centre holds (import it first)"
                )),
                Err(_) => say(format!("{c:?} is not a 15-digit cell code")),
            }
        }
        if role == Role::Inspector && cells.is_empty() && get(4).is_none() {
            say("a 网格员 needs the cells they walk (网格)".into());
        }
        let badge = get(5);
        if let Some(b) = &badge
            && (b.chars().count() > 20 || !b.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            say(format!("the 工号 {b:?} is not up to 20 letters and digits"));
        }
        let camera_serial = get(6);
        if let Some(s) = &camera_serial
            && !is_camera_serial(s)
        {
            say(format!(
                "the body-cam serial {s:?} is not 7 letters and digits (GA/T 947)"
            ));
        }
        let department = match (role, get(7)) {
            (Role::Department, None) => {
                say("a 处置部门 clerk needs their department (部门)".into());
                None
            }
            (_, None) => None,
            (_, Some(d)) => match held
                .departments
                .iter()
                .find(|x| x.code.eq_ignore_ascii_case(&d) || x.name == d)
            {
                Some(x) => Some(x.code.clone()),
                None => {
                    say(format!(
                        "no department {d:?} in the case rules (they have: {})",
                        held.departments
                            .iter()
                            .map(|x| format!("{} {}", x.code, x.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    None
                }
            },
        };
        let id = held.people.get(&login).map_or_else(UserId::new, |u| u.id);
        if let Some(existing) = held.people.get(&login)
            && existing.role == Role::Service
        {
            say(format!(
                "{login} is a service account at the centre; a list does not change those"
            ));
        }
        people.push(User {
            id,
            login,
            name,
            role,
            team,
            department,
            cells,
            badge,
            camera_serial,
            source: None,
        });
    }
    if people.is_empty() && problems.is_empty() {
        return Err(whole("the list has no people under its header".into()));
    }
    if problems.is_empty() {
        Ok(people)
    } else {
        Err(problems)
    }
}

/// Whether an active administrator is left once `list` is stored over `stored` (each with
/// whether they are disabled): a list that takes the role away from every administrator
/// would leave no one to manage people from the console. The problem names those whose
/// administrator role the list would end.
pub fn administrators_left(stored: &[(User, bool)], list: &[User]) -> Result<(), RowProblem> {
    let listed: BTreeMap<&str, &User> = list.iter().map(|u| (u.login.as_str(), u)).collect();
    let left = stored.iter().any(|(u, disabled)| {
        !disabled && listed.get(u.login.as_str()).map_or(u.role, |l| l.role) == Role::Administrator
    });
    // Someone new on the list is active.
    let new_admin = list
        .iter()
        .any(|u| u.role == Role::Administrator && !stored.iter().any(|(s, _)| s.login == u.login));
    if left || new_admin {
        return Ok(());
    }
    let ended: Vec<&str> = stored
        .iter()
        .filter(|(u, _)| u.role == Role::Administrator && listed.contains_key(u.login.as_str()))
        .map(|(u, _)| u.login.as_str())
        .collect();
    Err(RowProblem {
        row: 1,
        message: format!(
            "after this list no active administrator would be left (it ends the role of {}); \
             keep at least one",
            if ended.is_empty() {
                "nobody listed".to_owned()
            } else {
                ended.join(", ")
            }
        ),
    })
}

/// The header names of a departments list's columns (部门编码, 部门名称, 英文名称).
const DEPARTMENT_COLUMNS: [(&str, &[&str]); 3] = [
    ("code", &["code", "部门编码", "编码", "部门代码"]),
    ("name", &["name", "部门名称", "名称", "部门"]),
    ("English name", &["name_en", "英文名称"]),
];

/// The departments of a list (rows as text, the header first) merged into those `held`:
/// a department of the list already held (by code) takes the list's names, a new one is
/// added, one not on the list stays (its cases and clerks still name it). Or every problem:
/// codes of 1-16 capital letters, digits, `-` or `_`, each once; names one line of 1-40
/// characters, each name once.
pub fn departments(
    rows: &[Vec<String>],
    held: &[Department],
) -> Result<Vec<Department>, Vec<RowProblem>> {
    let whole = |message: String| vec![RowProblem { row: 1, message }];
    let Some(header) = rows.first() else {
        return Err(whole("the list is empty".into()));
    };
    if rows.len() > 1001 {
        return Err(whole("more than 1000 departments in one list".into()));
    }
    let mut at = [None; DEPARTMENT_COLUMNS.len()];
    for (i, (what, names)) in DEPARTMENT_COLUMNS.iter().enumerate() {
        at[i] = header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
        if at[i].is_none() && i < 2 {
            return Err(whole(format!(
                "no {what} column (a header named {}); the header row is: {}",
                names.join(" or "),
                header.join(", ")
            )));
        }
    }
    let one_line =
        |s: &str| !s.is_empty() && s.chars().count() <= 40 && !s.chars().any(char::is_control);
    let mut problems = Vec::new();
    let mut list: Vec<Department> = held.to_vec();
    let (mut codes, mut names): (BTreeMap<String, usize>, BTreeMap<String, usize>) =
        Default::default();
    for (i, r) in rows.iter().enumerate().skip(1) {
        let row = i + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |c: usize| {
            at[c]
                .and_then(|j| r.get(j))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let mut say = |message: String| problems.push(RowProblem { row, message });
        let (code, name, name_en) = (get(0), get(1), get(2));
        if !((1..=16).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_'))
        {
            say(format!(
                "the code {code:?} is not 1-16 capital letters, digits, '-' or '_'"
            ));
            continue;
        }
        if let Some(first) = codes.insert(code.clone(), row) {
            say(format!("the code {code} is also on row {first}"));
        }
        if !one_line(&name) {
            say(format!(
                "the name {name:?} is not one line of 1-40 characters"
            ));
            continue;
        }
        if let Some(first) = names.insert(name.clone(), row) {
            say(format!("the name {name} is also on row {first}"));
        }
        if !name_en.is_empty() && !one_line(&name_en) {
            say(format!(
                "the English name {name_en:?} is not one line of 1-40 characters"
            ));
        }
        let department = Department {
            name_en: if name_en.is_empty() {
                name.clone()
            } else {
                name_en
            },
            code,
            name,
        };
        match list.iter_mut().find(|d| d.code == department.code) {
            Some(d) => *d = department,
            None => list.push(department),
        }
    }
    // A kept department may not share a name with another's new name.
    for d in &list {
        if let Some(row) = names.get(&d.name)
            && !codes.contains_key(&d.code)
        {
            problems.push(RowProblem {
                row: *row,
                message: format!("the name {} is already department {}'s", d.name, d.code),
            });
        }
    }
    if problems.is_empty() {
        Ok(list)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
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
    fn a_departments_list_updates_by_code_adds_and_keeps_the_rest() {
        let held = vec![
            Department {
                code: "SZ".into(),
                name: "市政设施维护中心".into(),
                name_en: "Municipal facilities".into(),
            },
            Department {
                code: "HW".into(),
                name: "环境卫生管理处".into(),
                name_en: "Sanitation".into(),
            },
        ];
        let list = departments(
            &rows("部门编码,部门名称,英文名称\nSZ,市政设施管理处,\nYL,园林绿化局,Parks"),
            &held,
        )
        .expect("good list");
        let codes: Vec<(&str, &str, &str)> = list
            .iter()
            .map(|d| (d.code.as_str(), d.name.as_str(), d.name_en.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("SZ", "市政设施管理处", "市政设施管理处"),
                ("HW", "环境卫生管理处", "Sanitation"),
                ("YL", "园林绿化局", "Parks"),
            ]
        );
        let problems = departments(
            &rows("code,name\nsz,小写\nYL,园林\nYL,园林局\nGL,环境卫生管理处\nZZ,"),
            &held,
        )
        .expect_err("bad list");
        let said: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.row, p.message.as_str()))
            .collect();
        assert_eq!(said.len(), 4, "{said:?}");
        assert!(said[0].1.contains("capital letters"), "{said:?}");
        assert!(said[1].1.contains("also on row 3"), "{said:?}");
        assert!(said[2].1.contains("already department HW's"), "{said:?}");
        assert!(said[3].1.contains("one line"), "{said:?}");
        assert!(
            departments(&rows("部门,x\nA,b"), &held).is_err(),
            "no code column"
        );
    }

    fn held_with(
        people: &BTreeMap<String, User>,
        f: impl FnOnce(&Held<'_>) -> Result<Vec<User>, Vec<RowProblem>>,
    ) -> Result<Vec<User>, Vec<RowProblem>> {
        let cells: BTreeSet<CellCode> = ["440703001001001", "440703001001002"]
            .iter()
            .map(|c| c.parse().expect("a cell code"))
            .collect();
        let departments = vec![Department {
            code: "SZ".into(),
            name: "市政设施维护中心".into(),
            name_en: String::new(),
        }];
        f(&Held {
            cells: &cells,
            departments: &departments,
            people,
        })
    }

    #[test]
    fn a_list_with_chinese_headers_makes_people() {
        let list = rows(
            "登录名,姓名,角色,班组,网格,工号,执法记录仪,部门\n\
             wangwu,王五,网格员,T1,440703001001001;440703001001002,440199,JMC0099,\n\
             zhaoliu,赵六,网格长,T1,,,,\n\
             szclerk,孙七,处置部门,,,,,市政设施维护中心",
        );
        let made = held_with(&BTreeMap::new(), |h| people(&list, h)).expect("made");
        assert_eq!(made.len(), 3);
        assert_eq!(made[0].role, Role::Inspector);
        assert_eq!(made[0].cells.len(), 2);
        assert_eq!(made[0].camera_serial.as_deref(), Some("JMC0099"));
        assert_eq!(made[1].role, Role::Leader);
        assert_eq!(made[2].department.as_deref(), Some("SZ"));
    }

    #[test]
    fn every_problem_is_named_by_its_row_and_nothing_is_made() {
        let list = rows(
            "login,name,role,team,cells,badge,camera_serial,department\n\
             Wang Wu,王五,inspector,T1,440703001001001,,,\n\
             lisi,李四,网格员,,440703001009009,,,\n\
             lisi,李四,网格员,T1,44070300100100,,JMC-1,\n\
             clerk,张三,department,,,,,XX\n\
             bot,机器,service,,,,,",
        );
        let problems = held_with(&BTreeMap::new(), |h| people(&list, h)).expect_err("refused");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        for expected in [
            "row 2: the login \"Wang Wu\"",
            "row 3: a 网格员 needs a team",
            "row 3: cell 440703001009009 is not in the grid",
            "row 4: lisi is also on row 3",
            "row 4: \"44070300100100\" is not a 15-digit cell code",
            "row 4: the body-cam serial \"JMC-1\"",
            "row 5: no department \"XX\" in the case rules (they have: SZ 市政设施维护中心)",
            "row 6: the role \"service\" is not one of",
        ] {
            assert!(
                text.iter().any(|t| t.starts_with(expected)),
                "{expected}\n{text:#?}"
            );
        }
    }

    #[test]
    fn a_list_may_not_leave_no_administrator() {
        let admin = User {
            id: UserId::new(),
            login: "guanli".into(),
            name: "管理".into(),
            role: Role::Administrator,
            team: None,
            department: None,
            cells: vec![],
            badge: None,
            camera_serial: None,
            source: None,
        };
        let demoted = User {
            role: Role::Inspector,
            ..admin.clone()
        };
        let stored = vec![(admin.clone(), false)];
        let e =
            administrators_left(&stored, std::slice::from_ref(&demoted)).expect_err("none left");
        assert!(e.message.contains("guanli"), "{}", e.message);
        assert_eq!(administrators_left(&stored, &[]), Ok(()));
        // A second, active administrator stays: fine; a disabled one does not count.
        let other = User {
            login: "other".into(),
            ..admin.clone()
        };
        assert_eq!(
            administrators_left(
                &[(admin.clone(), false), (other.clone(), false)],
                std::slice::from_ref(&demoted)
            ),
            Ok(())
        );
        assert!(administrators_left(&[(admin, false), (other, true)], &[demoted]).is_err());
    }

    #[test]
    fn a_person_already_there_keeps_their_id() {
        let list = rows("login,name,role,team,cells\nlisi,李四,网格长,T2,");
        let id = UserId::new();
        let mut stored = BTreeMap::new();
        stored.insert(
            "lisi".to_owned(),
            User {
                id,
                login: "lisi".into(),
                name: "李四".into(),
                role: Role::Inspector,
                team: Some("T1".into()),
                department: None,
                cells: vec![],
                badge: None,
                camera_serial: None,
                source: None,
            },
        );
        let made = held_with(&stored, |h| people(&list, h)).expect("made");
        assert_eq!(made[0].id, id);
        assert_eq!(made[0].role, Role::Leader);
        let missing = rows("login,name\nlisi,李四");
        let e = held_with(&stored, |h| people(&missing, h)).expect_err("refused");
        assert!(e[0].message.contains("no role column"), "{e:?}");
    }
}
