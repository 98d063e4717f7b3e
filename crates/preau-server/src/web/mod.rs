//! The syndicate's back-office (issue 13): server-rendered HTML (maud) under [`PREFIX`],
//! on the same storage and in the same router as the sync API, with one embedded CSS
//! file and no script a page needs to work.
//!
//! - `session.rs`: staff sessions (cookie), CSRF, login throttling, who may see what;
//! - `html.rs`: the layout and French typography;
//! - `data.rs`: the synced records read into what the pages show (read-only);
//! - `demand.rs`, `follow.rs`: the group purchase's demand, the follow-up and balance
//!   sheet, computed from them (and their spreadsheets);
//! - `uploads.rs`: reference files between their preview and « Publier »;
//! - `pages/`: one module per page.
//!
//! Invariants: a device token never opens a page (only the session cookie is read here)
//! and a session never authorises the sync API (`auth::AuthDevice` reads only the bearer
//! token); every page and export checks the role ([`Page::allows`]); no handler writes a
//! synced record.

pub mod data;
pub mod demand;
pub mod follow;
pub mod html;
pub mod pages;
pub mod session;
pub mod uploads;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

use crate::staff::Role;
use crate::storage::Storage;

/// Where the back-office is served; the sync API is under `/api/v1`.
pub const PREFIX: &str = "/bureau";

/// Largest form body accepted (a login, a filter).
const MAX_FORM_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct WebState {
    pub storage: Arc<dyn Storage>,
    /// Cookies marked `Secure`: the server speaks HTTPS itself.
    pub secure: bool,
    pub throttle: Arc<session::Throttle>,
    pub cache: Arc<data::Cache>,
    pub follow: Arc<follow::Cache>,
    pub uploads: Arc<uploads::Uploads>,
}

/// Every page and export, and who may open it: the one place roles are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Dashboard,
    /// The communes coloured by where the service stands.
    Map,
    Visits,
    Visit,
    ProposalPdf,
    /// The campaigns and their demand.
    Campaigns,
    /// Launching a campaign (a form).
    CampaignNew,
    /// The demand's XLSX and CSV.
    DemandExport,
    /// The laptops.
    Devices,
    /// Enrolling and revoking laptops (forms).
    DeviceActions,
    Audit,
    /// The accepted proposals' follow-up and the communes' timelines.
    FollowUp,
    /// Dating a follow-up step (a form; an adviser only for their own visits, checked
    /// by the handler: `pages::follow::may_record`).
    FollowUpRecord,
    /// The balance sheet per EPCI and for the département.
    Balance,
    /// Its XLSX.
    BalanceExport,
    /// Reference data: upload, preview, publish.
    Reference,
}

impl Page {
    pub const ALL: [Page; 16] = [
        Page::Dashboard,
        Page::Map,
        Page::Visits,
        Page::Visit,
        Page::ProposalPdf,
        Page::Campaigns,
        Page::CampaignNew,
        Page::DemandExport,
        Page::Devices,
        Page::DeviceActions,
        Page::Audit,
        Page::FollowUp,
        Page::FollowUpRecord,
        Page::Balance,
        Page::BalanceExport,
        Page::Reference,
    ];

    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            // Read-only partners see the dashboards, not the visits (people's names).
            // The follow-up and the balance sheet: partners read them (without people's
            // names); the balance's figures are sums, its export too.
            Page::Dashboard | Page::Map | Page::FollowUp | Page::Balance | Page::BalanceExport => {
                true
            }
            Page::FollowUpRecord => matches!(role, Admin | Coordinator | Adviser),
            Page::Visits | Page::Visit | Page::ProposalPdf | Page::Campaigns => {
                matches!(role, Admin | Coordinator | Adviser)
            }
            // The coordinator runs the group purchase and sends its files.
            Page::CampaignNew | Page::DemandExport => matches!(role, Admin | Coordinator),
            Page::Devices | Page::DeviceActions | Page::Audit | Page::Reference => role == Admin,
        }
    }
}

/// Reads the proposals, their follow-up and the catalogue categories into the caches
/// once, in the background, when the server starts: the first person to open a page does
/// not wait for every proposal to be read (a few hundred milliseconds at 1,500).
fn warm_up(state: &WebState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (storage, cache, follow) = (
        Arc::clone(&state.storage),
        Arc::clone(&state.cache),
        Arc::clone(&state.follow),
    );
    runtime.spawn(async move {
        let today = chrono::Utc::now().date_naive();
        let read = async {
            data::proposals(storage.as_ref(), &cache, today).await?;
            data::categories(storage.as_ref(), &cache).await?;
            follow::extras(storage.as_ref(), &follow).await?;
            Ok::<_, crate::error::Error>(())
        };
        if let Err(e) = read.await {
            tracing::warn!(error = %e, "back-office caches not warmed up");
        }
    });
}

/// The back-office's routes, to be merged into the server's router.
pub fn router(storage: Arc<dyn Storage>, secure: bool) -> Router {
    let state = WebState {
        storage,
        secure,
        throttle: Arc::new(session::Throttle::default()),
        cache: Arc::new(data::Cache::default()),
        follow: Arc::new(follow::Cache::default()),
        uploads: Arc::new(uploads::Uploads::default()),
    };
    warm_up(&state);
    let pages = Router::new()
        .route("/", get(pages::dashboard::show))
        .route(
            "/connexion",
            get(pages::login::form).post(pages::login::submit),
        )
        .route("/deconnexion", axum::routing::post(pages::login::logout))
        .route(
            "/mot-de-passe",
            get(pages::login::password_form).post(pages::login::password_submit),
        )
        .route("/carte", get(pages::map::show))
        .route("/visites", get(pages::visits::list))
        .route("/visites/{id}", get(pages::visits::visit))
        .route("/propositions/{id}/pdf", get(pages::visits::pdf))
        .route(
            "/recensement",
            get(pages::demand::list).post(pages::demand::create),
        )
        .route("/recensement/{id}", get(pages::demand::show))
        .route("/recensement/{id}/besoins.xlsx", get(pages::demand::xlsx))
        .route("/recensement/{id}/besoins.csv", get(pages::demand::csv))
        .route("/postes", get(pages::devices::list))
        .route(
            "/postes/enrolement",
            axum::routing::post(pages::devices::enroll),
        )
        .route(
            "/postes/{id}/revocation",
            axum::routing::post(pages::devices::revoke),
        )
        .route("/journal", get(pages::audit::show))
        .route("/suivi", get(pages::follow::show))
        .route("/suivi/{id}", axum::routing::post(pages::follow::record))
        .route("/suivi/commune/{insee}", get(pages::follow::commune))
        .route("/bilan", get(pages::follow::bilan))
        .route("/bilan.xlsx", get(pages::follow::bilan_xlsx))
        .route(
            "/referentiel",
            get(pages::referentiel::show)
                .post(pages::referentiel::upload)
                .layer(DefaultBodyLimit::max(pages::referentiel::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/referentiel/publication",
            axum::routing::post(pages::referentiel::publish),
        )
        .route("/style.css", get(html::stylesheet))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(secure_headers))
        .layer(compression())
        .with_state(state);
    // `/bureau/` as typed by hand: the dashboard is `/bureau`.
    let home = || async { axum::response::Redirect::permanent(PREFIX) };
    Router::new()
        .nest(PREFIX, pages)
        .route(&[PREFIX, "/"].concat(), get(home))
}

/// Pages gzipped for a browser that asks (the map is 390 KB of HTML at 2,000 visits, 60 KB
/// gzipped). Never a PDF — the proposal is sent byte for byte, as its SHA-256 says — nor
/// a spreadsheet, already a zip.
fn compression() -> tower_http::compression::CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ));
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .compress_when(predicate)
}

/// Headers on every back-office answer: nothing from elsewhere, no framing, no sniffing,
/// no caching of people's data, and no Referer to other sites (a password link carries its
/// secret). `same-origin`, not `no-referrer`: under the latter browsers send `Origin: null`
/// with our own forms, which the CSRF check refuses.
async fn secure_headers(mut response: Response) -> impl IntoResponse {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
