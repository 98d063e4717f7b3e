//! Search ranking on the real communes of the Somme.

#[test]
fn the_somme_is_searched_as_an_adviser_types() {
    let (_dir, store) = crate::new_store();
    let cases: &[(&str, &str)] = &[
        ("peronne", "Péronne"),
        ("PÉRONNE", "Péronne"),
        ("amiens", "Amiens"),
        ("abbe", "Abbeville"),
        ("st valery", "Saint-Valery-sur-Somme"),
        ("St-Valéry", "Saint-Valery-sur-Somme"),
        ("saint riquier", "Saint-Riquier"),
        ("ste", "Sainte-Segrée"),
        ("ault", "Ault"),
        ("80000", "Amiens"),
        ("80620", "Péronne"),
        ("80100", "Abbeville"),
        ("ablaincourt pressoir", "Ablaincourt-Pressoir"),
        ("pressoir", "Ablaincourt-Pressoir"),
    ];
    for (query, best) in cases {
        let hits = store.communes_search(query, 10);
        assert_eq!(
            hits.first().map(|h| h.name.as_str()),
            Some(*best),
            "query {query:?}: {hits:?}"
        );
    }
}

#[test]
fn exact_name_beats_a_bigger_commune_with_that_prefix() {
    let (_dir, store) = crate::new_store();
    // "Ailly" is not a commune but "Ailly-sur-Somme" and "Ailly-sur-Noye" are: both are
    // prefix matches, so the larger comes first.
    let hits = store.communes_search("ailly sur", 5);
    assert!(hits.len() >= 2);
    assert!(hits[0].population >= hits[1].population);
    // "Ault" is also a word start inside other names; the exact name comes first.
    let ault = store.communes_search("ault", 5);
    assert_eq!(ault[0].name, "Ault");
}
