//! preau-server over real HTTP on 127.0.0.1, against SQLite and a throwaway PostgreSQL
//! cluster: the same suite for both.

mod account;
mod api;
mod attack;
mod backoffice;
mod dashboard_cache;
mod faults;
mod follow;
mod pending;
mod privacy;
mod referentiel;
mod store_model;
mod support;
mod sync;
mod tls;
mod transport;

use support::{Backend, PgCluster};

fn suite(backend: &Backend) {
    eprintln!("[{}] bad input", backend.label());
    api::bad_input(backend);
    eprintln!("[{}] enrollment", backend.label());
    api::enrollment_is_one_time(backend);
    api::openapi_is_served(backend);
    eprintln!("[{}] account", backend.label());
    account::revocation_is_recorded_and_re_enrollment_clears_it(backend);
    account::device_codes_are_handed_out_at_enrollment(backend);
    account::pull_progress_counts_to_the_total(backend);
    eprintln!("[{}] replay", backend.label());
    sync::replay_changes_nothing(backend);
    eprintln!("[{}] convergence", backend.label());
    sync::two_laptops_converge(backend, true);
    sync::two_laptops_converge(backend, false);
    eprintln!("[{}] conflict", backend.label());
    sync::same_field_conflict_is_visible(backend);
    sync::reference_data_comes_down(backend);
    sync::the_directory_is_one_set_of_schools_on_every_laptop(backend);
    sync::one_school_per_uai_typed_on_two_laptops(backend);
    sync::reimporting_a_visit_is_not_a_conflict(backend);
    eprintln!("[{}] proposals", backend.label());
    sync::issued_proposals_travel_append_only(backend);
    eprintln!("[{}] attack", backend.label());
    attack::foreign_owner_cannot_change_or_delete(backend);
    attack::forged_proposals_are_refused(backend);
    attack::poison_values_are_refused(backend);
    attack::pages_and_conflicts_are_bounded(backend);
    attack::revert_restores_a_vandalised_visit(backend);
    attack::hand_over_and_purge(backend);
    attack::a_flood_is_stopped_at_the_quota(backend);
    eprintln!("[{}] privacy", backend.label());
    privacy::erasure_reaches_every_laptop(backend);
    privacy::retention_anonymises_only_old_visits(backend);
    privacy::issued_proposals_naming_a_person_are_listed(backend);
    privacy::a_replaced_person_is_found_in_history(backend);
    eprintln!("[{}] detection", backend.label());
    transport::refusals_are_logged_and_tokens_expire_when_idle(backend);
    transport::device_names_with_control_characters_are_refused(backend);
    transport::refusals_are_documented_in_openapi(backend);
    eprintln!("[{}] pending changes", backend.label());
    pending::the_server_knows_what_each_laptop_still_holds(backend);
    pending::hostile_pending_counts_are_ignored(backend);
    eprintln!("[{}] https", backend.label());
    tls::https_serves_sync_and_reloads_its_certificate(backend);
}

/// The transport does not depend on the backend: run once, on SQLite.
#[test]
fn transport_limits() {
    let backend = Backend::sqlite();
    transport::idle_connections_are_closed_and_health_keeps_answering(&backend);
    transport::slow_loris_is_cut(&backend);
    transport::late_bodies_and_requests_get_408(&backend);
    transport::idle_watchdog_closes_quiet_connections(&backend);
}

#[test]
fn postgres_tls() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    tls::postgres_sslmode_is_honoured(&cluster);
}

#[test]
fn suite_sqlite() {
    suite(&Backend::sqlite());
}

#[test]
fn suite_postgres() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    suite(&Backend::Postgres(cluster));
}

/// The back-office (issue 13), on both backends: `cargo test -p preau-server --test it
/// backoffice`.
#[test]
fn backoffice_sqlite() {
    backoffice_suite(&Backend::sqlite());
}

#[test]
fn backoffice_postgres() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    backoffice_suite(&Backend::Postgres(cluster));
}

#[test]
#[ignore = "serves demo data for a person or a browser; see backoffice::demo"]
fn backoffice_demo() {
    backoffice::demo(&Backend::sqlite());
}

/// Debian's Chromium, chromedriver and axe-core: run by `scripts/test.sh`, which installs
/// them (`cargo test -p preau-server --test it backoffice_browser -- --ignored`).
#[test]
#[ignore = "needs chromium, chromium-driver, node and tests/backoffice/node_modules"]
fn backoffice_browser() {
    backoffice::in_a_real_browser(&Backend::sqlite());
}

fn backoffice_suite(backend: &Backend) {
    backoffice::every_page_checks_the_role(backend);
    backoffice::forms_need_their_csrf_token_and_disabled_accounts_are_out(backend);
    backoffice::logins_are_throttled(backend);
    backoffice::dashboard_totals_are_the_laptops_plans(backend);
    dashboard_cache::the_cache_serves_what_a_fresh_read_reads(backend);
    backoffice::map_colours_communes_by_stage(backend);
    backoffice::laptops_are_enrolled_and_revoked_from_the_postes_page(backend);
    referentiel::reference_files_are_previewed_then_published(backend);
    backoffice::cookies_are_secure_over_https(backend);
    backoffice::users_commands_add_list_link_and_disable(backend);
    follow::steps_are_dated_by_the_right_people(backend);
    follow::the_balance_is_the_laptops_plans(backend);
}

#[test]
fn faults_sqlite() {
    faults::proxy_cuts_and_restart(&Backend::sqlite(), 200);
}

#[test]
fn faults_postgres() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    faults::proxy_cuts_and_restart(&Backend::Postgres(cluster), 200);
}
