//! Teams (班组) as people call them. A team is only a code on people's records
//! (`T440703001-01`); the centre says it after its leaders, "陈建国组" (two leaders:
//! "陈建国、王芳组"), and by the code only while no leader is in it. Every page and export
//! that names a team takes the name from here.

use std::collections::BTreeMap;

use gridwalk_protocol::console::{Person, Team};

use super::model::Role;

/// A team's name from its code and its leaders' names (in the order given).
#[must_use]
pub fn team_name(code: &str, leaders: &[&str]) -> String {
    if leaders.is_empty() {
        code.to_owned()
    } else {
        format!("{}组", leaders.join("、"))
    }
}

/// The teams of `people` (pass those not disabled), by code, each with its name and its
/// leaders and inspectors: leaders first, then by name and login. Only leaders and
/// inspectors make a team: an operator's or a clerk's team code (the centre's own) does not.
#[must_use]
pub fn teams(people: impl IntoIterator<Item = Person>) -> Vec<Team> {
    let mut by_code: BTreeMap<String, Vec<Person>> = BTreeMap::new();
    for p in people {
        if let (Role::Leader | Role::Inspector, Some(code)) = (p.role, p.team.clone()) {
            by_code.entry(code).or_default().push(p);
        }
    }
    by_code
        .into_iter()
        .map(|(code, mut members)| {
            members.sort_by(|a, b| {
                (a.role != Role::Leader, &a.name, &a.login).cmp(&(
                    b.role != Role::Leader,
                    &b.name,
                    &b.login,
                ))
            });
            let leaders: Vec<&str> = members
                .iter()
                .filter(|m| m.role == Role::Leader)
                .map(|m| m.name.as_str())
                .collect();
            Team {
                name: team_name(&code, &leaders),
                code,
                members,
            }
        })
        .collect()
}

/// Team code → name, for labels.
#[must_use]
pub fn names(teams: &[Team]) -> BTreeMap<String, String> {
    teams
        .iter()
        .map(|t| (t.code.clone(), t.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_protocol::UserId;

    fn person(name: &str, role: Role, team: Option<&str>) -> Person {
        Person {
            id: UserId::new(),
            login: name.to_owned(),
            name: name.to_owned(),
            role,
            team: team.map(str::to_owned),
            department: None,
        }
    }

    #[test]
    fn a_team_is_named_after_its_leaders_and_lists_them_first() {
        let t = teams([
            person("李晓明", Role::Inspector, Some("T1")),
            person("陈建国", Role::Leader, Some("T1")),
            person("王芳", Role::Leader, Some("T1")),
            person("赵六", Role::Inspector, Some("T2")),
            person("周七", Role::Operator, Some("T0")),
        ]);
        assert_eq!(t.len(), 2, "an operator makes no team: {t:?}");
        assert_eq!(t[0].code, "T1");
        assert_eq!(t[0].name, "王芳、陈建国组");
        let order: Vec<&str> = t[0].members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(order, ["王芳", "陈建国", "李晓明"]);
        assert_eq!(t[1].name, "T2", "a team without a leader keeps its code");
        assert_eq!(names(&t)["T1"], "王芳、陈建国组");
    }
}
