//! « Nothing typed is lost » between the log and the push (issue 11), as a property: random
//! sequences of edits — participants added, renamed, deleted; a visit's notes rewritten —
//! interleaved with batches of random sizes made from the log (one to four records at a
//! time, so every batch ends mid-log, often mid-`seq`), acknowledged or not, and batches
//! made ahead while others wait (as the engine does while one is in flight). Every batch is applied, in order, to a plain model of the server.
//! At the end, once the log is drained, the model holds exactly what the store holds: every
//! value typed last, no record the store deleted, none it never sent.

use std::collections::BTreeMap;

use preau_core::model::{Participant, Role, VisitPatch};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Map, Value};

use crate::new_store;

#[derive(Debug, Clone)]
enum Step {
    Add(String),
    Rename(u8, String),
    Delete(u8),
    Notes(String),
    /// A batch of this many records; acknowledged, or left waiting (sent again as it is).
    Batch {
        max: u8,
        ack: bool,
    },
    /// The next batch made while one is in flight (`sync_outgoing_build`, as the engine
    /// does): saved after the changes waiting, sent after them.
    BuildAhead(u8),
}

fn step() -> impl Strategy<Value = Step> {
    let name = "[a-z]{1,6}";
    prop_oneof![
        3 => name.prop_map(Step::Add),
        3 => (any::<u8>(), name).prop_map(|(i, n)| Step::Rename(i, n)),
        1 => any::<u8>().prop_map(Step::Delete),
        2 => name.prop_map(Step::Notes),
        3 => (1u8..=4, any::<bool>()).prop_map(|(max, ack)| Step::Batch { max, ack }),
        1 => (1u8..=4).prop_map(Step::BuildAhead),
    ]
}

fn runner() -> TestRunner {
    crate::prop_runner("outgoing_prop.txt", 128)
}

/// The server as a plain map: (table, record id) → fields.
type Model = BTreeMap<(String, String), Map<String, Value>>;

fn send(store: &mut preau_core::Store, model: &mut Model, max: usize, ack: bool) -> usize {
    let batch = store.sync_outgoing(max).expect("batch");
    assert!(batch.len() <= max, "{} changes for {max}", batch.len());
    for c in &batch {
        let key = (c.table.clone(), c.record_id.clone());
        if c.deleted {
            model.remove(&key);
        } else {
            model.entry(key).or_default().extend(c.fields.clone());
        }
    }
    if ack {
        store.sync_acknowledge(&crate::acks(&batch)).expect("ack");
    }
    batch.len()
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    let (_dir, mut store) = new_store();
    let visit = store
        .visit_create("80620", "2026-12-03T18:00")
        .expect("visit")
        .id;
    let mut people: Vec<String> = Vec::new();
    let mut model = Model::new();
    let mut notes = String::new();
    for s in steps {
        match s {
            Step::Add(name) | Step::Rename(_, name) => {
                let id = match s {
                    Step::Rename(i, _) if !people.is_empty() => {
                        people[usize::from(*i) % people.len()].clone()
                    }
                    _ => preau_core::make_id(),
                };
                let p = Participant {
                    id: id.clone(),
                    name: name.clone(),
                    role: Role::Maire,
                    phone: None,
                    email: None,
                };
                store.participant_save(&visit, &p).expect("save");
                if !people.contains(&id) {
                    people.push(id);
                }
            }
            Step::Delete(i) if !people.is_empty() => {
                let id = people.remove(usize::from(*i) % people.len());
                store.participant_delete(&visit, &id).expect("delete");
            }
            Step::Delete(_) => {}
            Step::Notes(text) => {
                store
                    .visit_update(
                        &visit,
                        &VisitPatch {
                            notes: Some(text.clone()),
                            ..Default::default()
                        },
                    )
                    .expect("notes");
                notes = text.clone();
            }
            Step::Batch { max, ack } => {
                send(&mut store, &mut model, usize::from(*max), *ack);
            }
            Step::BuildAhead(max) => {
                store
                    .sync_outgoing_build(usize::from(*max))
                    .expect("build ahead");
            }
        }
    }
    // Drained: everything waiting is sent (and acknowledged) in small batches.
    while send(&mut store, &mut model, 3, true) > 0 {}
    prop_assert_eq!(store.sync_pending().expect("pending"), 0);
    let sent_notes = model
        .get(&("visits".to_string(), visit.clone()))
        .and_then(|f| f.get("notes"))
        .cloned();
    prop_assert_eq!(sent_notes, Some(Value::from(notes)));
    let here = store.visit(&visit).expect("visit").participants;
    let there: BTreeMap<String, Value> = model
        .iter()
        .filter(|((t, _), _)| t == "participants")
        .map(|((_, id), f)| (id.clone(), f.get("name").cloned().unwrap_or(Value::Null)))
        .collect();
    let here: BTreeMap<String, Value> = here
        .into_iter()
        .map(|p| (p.id, Value::from(p.name)))
        .collect();
    prop_assert_eq!(here, there);
    Ok(())
}

#[test]
fn batches_made_from_the_log_lose_nothing() {
    runner()
        .run(&proptest::collection::vec(step(), 1..40), |steps| {
            run(&steps)
        })
        .expect("nothing typed is lost between the log and the push");
}
