use super::*;

fn router(patterns: &[(Engine, &str)]) -> Router {
    let mut r = Router::new();
    for (engine, source) in patterns {
        r.add(*engine, source).unwrap();
    }
    r
}

/// A host that must not be asked.
fn no_host(_: usize) -> Result<bool, ()> {
    panic!("the host was asked")
}

#[test]
fn empty_router_matches_nothing() {
    let r = Router::new();
    assert_eq!(r.first_match("/a", no_host), Ok(None));
    assert!(r.is_empty());
}

#[test]
fn lowest_index_wins_in_the_set() {
    let r = router(&[
        (Engine::Regex, r"\A/b"),
        (Engine::Regex, r"\A/a"),
        (Engine::Regex, r"a"),
    ]);
    assert_eq!(r.first_match("/ab", no_host), Ok(Some(1)));
    assert_eq!(r.first_match("/b", no_host), Ok(Some(0)));
    assert_eq!(r.first_match("xa", no_host), Ok(Some(2)));
    assert_eq!(r.first_match("/c", no_host), Ok(None));
}

#[test]
fn fancy_pattern_below_a_set_match_wins() {
    let r = router(&[
        (Engine::Regex, r"\A/x"),
        (Engine::Fancy, r"\A/(a)\1"),
        (Engine::Regex, r"a"),
    ]);
    assert_eq!(r.first_match("/aa", no_host), Ok(Some(1)));
    assert_eq!(r.first_match("/ab", no_host), Ok(Some(2)));
    assert_eq!(r.engine(1), Some(Engine::Fancy));
    assert_eq!(r.engine(3), None);
}

#[test]
fn host_is_asked_only_below_the_rust_answer() {
    let r = router(&[
        (Engine::Host, ""),
        (Engine::Regex, r"a"),
        (Engine::Host, ""),
    ]);
    let mut asked = Vec::new();
    let hit = r.first_match("a", |i| {
        asked.push(i);
        Ok::<_, ()>(false)
    });
    assert_eq!(hit, Ok(Some(1)));
    assert_eq!(asked, vec![0]);
    asked.clear();
    let hit = r.first_match("b", |i| {
        asked.push(i);
        Ok::<_, ()>(i == 2)
    });
    assert_eq!(hit, Ok(Some(2)));
    assert_eq!(asked, vec![0, 2]);
}

#[test]
fn host_errors_propagate() {
    let r = router(&[(Engine::Host, "")]);
    assert_eq!(r.first_match("a", |_| Err("boom")), Err("boom"));
}

#[test]
fn sets_are_rebuilt_after_an_add() {
    let mut r = router(&[(Engine::Regex, r"b")]);
    assert_eq!(r.first_match("a", no_host), Ok(None));
    r.add(Engine::Regex, r"a").unwrap();
    assert_eq!(r.first_match("a", no_host), Ok(Some(1)));
}

#[test]
fn rejected_patterns_are_not_added() {
    let mut r = Router::new();
    assert!(matches!(
        r.add(Engine::Regex, r"(?=a)"),
        Err(Error::Regex(_))
    ));
    assert!(matches!(r.add(Engine::Fancy, r"(a"), Err(Error::Fancy(_))));
    assert!(matches!(
        r.add(Engine::Regex, r"\w{1000}\w{1000}"),
        Err(Error::Regex(_))
    ));
    assert_eq!(r.len(), 0);
}

#[test]
fn fancy_backtracking_limit_asks_the_host() {
    let r = router(&[(Engine::Fancy, r"\A(a*)*\1b")]);
    let name = "a".repeat(40);
    assert_eq!(r.first_match(&name, |i| Ok::<_, ()>(i == 0)), Ok(Some(0)));
}

#[test]
fn sets_too_big_for_one_set_are_split() {
    // Each \w{40} is about 2 MB of NFA: 40 of them exceed one set.
    let patterns: Vec<String> = (0..40).map(|i| format!(r"\A{i}-\w{{40}}")).collect();
    let mut r = Router::new();
    for p in &patterns {
        r.add(Engine::Regex, p).unwrap();
    }
    let name = format!("39-{}", "é".repeat(40));
    assert_eq!(r.first_match(&name, no_host), Ok(Some(39)));
    assert!(r.sets().sets.len() > 1);
    assert!(r.sets().undecided.is_empty());
}

#[test]
fn ten_thousand_patterns() {
    let mut r = Router::new();
    for i in 0..10_000 {
        r.add(Engine::Regex, &format!(r"\A/tenant-{i}-[0-9]+\n?\z"))
            .unwrap();
    }
    assert_eq!(r.first_match("/tenant-9999-12", no_host), Ok(Some(9999)));
    assert_eq!(r.first_match("/tenant-x", no_host), Ok(None));
}

#[test]
fn class_ranges_of_escapes() {
    assert_eq!(class_ranges(r"[0-9a]").unwrap(), vec![(48, 57), (97, 97)]);
    assert_eq!(class_ranges(r"[a]").unwrap(), vec![(97, 97)]);
    assert!(class_ranges(r"\d").unwrap().contains(&(0x660, 0x669)));
    assert!(class_ranges(r"ab").is_err());
}
