//! The back-office (issue 13) over real HTTP, as a browser uses it: cookies, forms with
//! their CSRF token, redirects not followed (each answer is checked).
//!
//! Every page and export for each role (anonymous: the login page; wrong role: 403,
//! never data), device tokens and sessions kept apart, CSRF-less posts refused, a
//! disabled account's session ended, the login throttle, and the dashboard's totals equal
//! to the cent to the plans the laptops computed.

use std::collections::HashMap;
use std::sync::Arc;

use preau_server::staff::{self, Role};

use crate::support::{Backend, Laptop, TestServer};

pub const PASSWORD: &str = "un mot de passe assez long";

/// A browser: its own cookie jar, redirects not followed.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    pub cookies: HashMap<String, String>,
    /// Asks for gzipped answers (`Accept-Encoding: gzip`) and unzips them, as a browser does.
    pub gzip: bool,
}

pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    /// The body as sent (unzipped when it came gzipped).
    pub body: Vec<u8>,
    /// Bytes of body on the wire.
    pub transferred: usize,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the hidden `csrf` field of the page's first form.
    pub fn csrf(&self) -> String {
        let text = self.text();
        let at = text.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        text[at..at + 64].to_string()
    }

    /// The text of the element marked `data-figure="{name}"`.
    pub fn figure(&self, name: &str) -> String {
        let text = self.text();
        let marker = format!("data-figure=\"{name}\">");
        let at = text.find(&marker).expect("figure") + marker.len();
        text[at..]
            .split('<')
            .next()
            .expect("figure text")
            .to_string()
    }
}

impl Browser {
    pub fn new(server: &TestServer) -> Browser {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: server.url(),
            cookies: HashMap::new(),
            gzip: false,
        }
    }

    /// A browser with its own HTTP client (one that trusts a test CA).
    pub fn with_client(server: &TestServer, client: reqwest::Client) -> Browser {
        Browser {
            client,
            base: server.url(),
            cookies: HashMap::new(),
            gzip: false,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let req = if self.gzip {
            req.header("accept-encoding", "gzip")
        } else {
            req
        };
        let resp = req.send().await.expect("send");
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().expect("cookie text");
            let pair = c.split(';').next().expect("pair");
            let (k, v) = pair.split_once('=').expect("name=value");
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let sent = resp.bytes().await.expect("body").to_vec();
        let body = if headers.get("content-encoding").is_some_and(|e| e == "gzip") {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&sent[..]), &mut out)
                .expect("a gzip body");
            out
        } else {
            sent.clone()
        };
        Answer {
            status,
            location: headers
                .get("location")
                .map(|l| l.to_str().expect("location").to_string()),
            headers,
            body,
            transferred: sent.len(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", preau_server::web::html::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Posts a multipart form (the Référentiel page's upload): `fields`, then the file.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> Answer {
        const BOUNDARY: &str = "----preau-test-boundary-7d1f0c";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        self.send(req).await
    }

    /// Logs in through the form; returns the answer to the post.
    pub async fn login(&mut self, email: &str, password: &str) -> Answer {
        let form = self.get("/bureau/connexion").await;
        let csrf = form.csrf();
        self.post(
            "/bureau/connexion",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// An account with its password set (through the library, as the link's page does).
pub fn account(server: &TestServer, email: &str, role: Role) {
    named_account(server, email, "Quelqu’un", role);
}

/// An account with this name (an adviser's is the name their laptop is enrolled under).
pub fn named_account(server: &TestServer, email: &str, name: &str, role: Role) {
    let storage = Arc::clone(&server.storage);
    let (email, name) = (email.to_string(), name.to_string());
    server.block_on(async move {
        let (_, link) = staff::add_user(storage.as_ref(), &email, &name, role)
            .await
            .expect("add user");
        staff::set_password(storage.as_ref(), &link.token, PASSWORD)
            .await
            .expect("set password")
            .expect("password accepted");
    });
}

fn email(role: Role) -> String {
    format!("{}@syndicat.test", role.as_str())
}

/// A laptop with the example visit and an issued proposal, synced.
pub struct Issued {
    pub laptop: Laptop,
    pub visit: String,
    pub proposal: String,
    pub pdf: Vec<u8>,
}

/// The example visit under new ids (every id replaced the same way wherever it occurs),
/// so two advisers can each hold one.
pub fn fresh_example_visit(l: &mut Laptop) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/visit-peronne-2-ecoles.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut ids: HashMap<String, String> = HashMap::new();
    let renamed: Vec<String> = text
        .split('"')
        .map(|part| {
            if preau_protocol::schema::is_uuid_text(part) {
                ids.entry(part.to_string())
                    .or_insert_with(|| uuid::Uuid::now_v7().to_string())
                    .clone()
            } else {
                part.to_string()
            }
        })
        .collect();
    let doc = preau_core::workflow::VisitExport::parse(&renamed.join("\"")).expect("fixture");
    l.store.visit_import(&doc).expect("import")
}

pub fn issue(server: &TestServer, adviser: &str, accept: bool) -> Issued {
    let mut laptop = Laptop::enrolled(&server.url(), &server.enrollment_code(adviser));
    let visit = fresh_example_visit(&mut laptop);
    let today = chrono::Utc::now().date_naive();
    let draft = laptop.store.proposal_draft(&visit, today).expect("draft");
    let pdf: Vec<u8> = format!("%PDF-1.7 proposition de {adviser}\n")
        .into_bytes()
        .into_iter()
        .chain((0..=255u8).cycle().take(3000))
        .collect();
    let bytes = pdf.clone();
    let issued = laptop
        .store
        .proposal_issue(&draft.id, today, move |_| Ok(bytes))
        .expect("issue");
    if accept {
        // The mayor accepts the second of the two scenarios (issue 13), and the council
        // deliberated the same day.
        let b = issued.offered.last().expect("scenarios").id.clone();
        laptop
            .store
            .proposal_accept(
                &issued.id,
                &preau_core::proposals::Acceptance {
                    scenario_id: Some(b),
                    deliberated_on: Some(today),
                },
                today,
            )
            .expect("accept");
    }
    laptop.sync();
    Issued {
        laptop,
        visit,
        proposal: issued.id,
        pdf,
    }
}

/// The pages and exports (GET), for one visit, proposal and campaign; the forms
/// (`CampaignNew`, `DeviceActions`) are posted apart.
fn pages(visit: &str, proposal: &str, campaign: &str) -> Vec<(preau_server::web::Page, String)> {
    use preau_server::web::Page;
    let all: Vec<(Page, String)> = vec![
        (Page::Dashboard, "/bureau".into()),
        (Page::Map, "/bureau/carte".into()),
        (Page::Visits, "/bureau/visites".into()),
        (Page::Visit, format!("/bureau/visites/{visit}")),
        (
            Page::ProposalPdf,
            format!("/bureau/propositions/{proposal}/pdf"),
        ),
        (Page::Audit, "/bureau/journal".into()),
        (Page::Devices, "/bureau/postes".into()),
        (Page::Reference, "/bureau/referentiel".into()),
        (Page::Campaigns, "/bureau/recensement".into()),
        (Page::Campaigns, format!("/bureau/recensement/{campaign}")),
        (
            Page::DemandExport,
            format!("/bureau/recensement/{campaign}/besoins.xlsx"),
        ),
        (
            Page::DemandExport,
            format!("/bureau/recensement/{campaign}/besoins.csv"),
        ),
        (Page::FollowUp, "/bureau/suivi".into()),
        (Page::FollowUp, "/bureau/suivi/commune/80620".into()),
        (Page::Balance, "/bureau/bilan".into()),
        (Page::BalanceExport, "/bureau/bilan.xlsx".into()),
    ];
    for page in Page::ALL {
        assert!(
            matches!(
                page,
                Page::CampaignNew | Page::DeviceActions | Page::FollowUpRecord
            ) || all.iter().any(|(p, _)| *p == page),
            "{page:?} is tested"
        );
    }
    all
}

pub fn every_page_checks_the_role(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_roles"));
    let issued = issue(&server, "Anne Martin", true);
    for role in Role::ALL {
        account(&server, &email(role), role);
    }
    let campaign = preau_server::storage::Campaign {
        id: uuid::Uuid::now_v7(),
        name: "Rentrée 2027".into(),
        cutoff: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).expect("date"),
        catalogue_version: "demo".into(),
        created_at: chrono::Utc::now(),
        created_by: "coordinator@syndicat.test".into(),
    };
    {
        let storage = Arc::clone(&server.storage);
        let c = campaign.clone();
        server.block_on(async move { storage.add_campaign(&c).await.expect("campaign") });
    }
    let pages = pages(&issued.visit, &issued.proposal, &campaign.id.to_string());
    server.block_on(async {
        // Anonymous: the login page, never data.
        let mut anonymous = Browser::new(&server);
        for (_, path) in &pages {
            let a = anonymous.get(path).await;
            assert_eq!(a.status, 303, "{path}");
            assert_eq!(a.location.as_deref(), Some("/bureau/connexion"), "{path}");
            assert!(a.body.is_empty(), "{path}");
        }
        // A device token is not a session: the login page again.
        let token = issued.laptop.token();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        for (_, path) in &pages {
            let r = client
                .get(format!("{}{path}", server.url()))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .expect("send");
            assert_eq!(r.status().as_u16(), 303, "device token on {path}");
        }
        for role in Role::ALL {
            let mut b = Browser::new(&server);
            let login = b.login(&email(role), PASSWORD).await;
            assert_eq!(login.status, 303, "{role:?}: {}", login.text());
            assert_eq!(login.location.as_deref(), Some("/bureau"));
            let cookie = b.cookies.get("preau_session").cloned().expect("session");
            for (page, path) in &pages {
                let a = b.get(path).await;
                if page.allows(role) {
                    assert_eq!(a.status, 200, "{role:?} {path}: {}", a.text());
                } else {
                    assert_eq!(a.status, 403, "{role:?} {path}");
                    let text = a.text();
                    assert!(
                        !text.contains("Péronne") && !text.contains("Anne Martin"),
                        "{role:?} {path}: a refusal shows no data"
                    );
                }
            }
            // Launching a campaign: a form the coordination posts.
            let csrf = b.get("/bureau").await.csrf();
            let before = server.storage.campaigns().await.expect("campaigns").len();
            let a = b
                .post(
                    "/bureau/recensement",
                    &[
                        ("csrf", &csrf),
                        ("name", "Campagne de test"),
                        ("cutoff", "2099-01-01"),
                        ("catalogue_version", "serveur-1"),
                    ],
                )
                .await;
            let after = server.storage.campaigns().await.expect("campaigns").len();
            if Page::CampaignNew.allows(role) {
                // No catalogue published: the version is not one offered, nothing made.
                assert_eq!(a.status, 422, "{role:?}: {}", a.text());
            } else {
                assert_eq!(a.status, 403, "{role:?}");
            }
            assert_eq!(before, after);
            // Dating a follow-up step: the coordination and the administration; an
            // adviser only on their own visits (this account is not Anne Martin's).
            let before = server.storage.follow_up_steps().await.expect("steps").len();
            let a = b
                .post(
                    &format!("/bureau/suivi/{}", issued.proposal),
                    &[("csrf", &csrf), ("step", "formation"), ("on", "2026-12-01")],
                )
                .await;
            let after = server.storage.follow_up_steps().await.expect("steps").len();
            if matches!(role, Role::Admin | Role::Coordinator) {
                assert_eq!((a.status, after), (303, before + 1), "{role:?}");
            } else {
                assert_eq!((a.status, after), (403, before), "{role:?}");
            }
            // A session never authorises the sync API.
            let r = client
                .post(format!("{}/api/v1/pull", server.url()))
                .header("cookie", format!("preau_session={cookie}"))
                .header("content-type", "application/json")
                .body(r#"{"protocol":1,"cursor":0,"limit":10}"#)
                .send()
                .await
                .expect("send");
            assert_eq!(
                r.status().as_u16(),
                401,
                "{role:?}: a session is not a token"
            );
        }
    });
    // The matrix itself: partners read the dashboards only; the log is the admins'.
    use preau_server::web::Page;
    assert!(Page::Dashboard.allows(Role::Viewer));
    assert!(!Page::Visits.allows(Role::Viewer) && !Page::ProposalPdf.allows(Role::Viewer));
    assert!(Page::Audit.allows(Role::Admin) && !Page::Audit.allows(Role::Coordinator));
}

pub fn forms_need_their_csrf_token_and_disabled_accounts_are_out(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_csrf"));
    account(&server, "anne@syndicat.test", Role::Coordinator);
    account(&server, "paul@syndicat.test", Role::Admin);
    server.block_on(async {
        // A login without the form's token is refused, whatever the password.
        let mut b = Browser::new(&server);
        let a = b
            .post(
                "/bureau/connexion",
                &[("email", "anne@syndicat.test"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(a.status, 403);
        assert!(!b.cookies.contains_key("preau_session"));

        assert_eq!(b.login("anne@syndicat.test", PASSWORD).await.status, 303);
        let page = b.get("/bureau").await;
        assert_eq!(page.status, 200);
        let csrf = page.csrf();
        // Logout without the token, with another session's token, or from another
        // origin: refused, the session still open.
        let mut other = Browser::new(&server);
        assert_eq!(
            other.login("paul@syndicat.test", PASSWORD).await.status,
            303
        );
        let other_csrf = other.get("/bureau").await.csrf();
        assert_ne!(other_csrf, csrf);
        for form in [
            vec![],
            vec![("csrf", other_csrf.as_str())],
            vec![("csrf", "x")],
        ] {
            assert_eq!(b.post("/bureau/deconnexion", &form).await.status, 403);
        }
        let cross = reqwest::Client::new()
            .post(format!("{}/bureau/deconnexion", server.url()))
            .header(
                "cookie",
                format!("preau_session={}", b.cookies["preau_session"]),
            )
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}"))
            .send()
            .await
            .expect("send");
        assert_eq!(cross.status().as_u16(), 403);
        assert_eq!(b.get("/bureau").await.status, 200, "still logged in");
        // With it: logged out, the old cookie is worth nothing.
        let old = b.cookies["preau_session"].clone();
        let out = b.post("/bureau/deconnexion", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, 303);
        assert!(!b.cookies.contains_key("preau_session"));
        b.cookies.insert("preau_session".into(), old);
        assert_eq!(b.get("/bureau").await.status, 303, "a closed session");

        // A disabled account's open session ends at once, and it cannot log in again.
        assert_eq!(other.get("/bureau/journal").await.status, 200);
        assert!(
            staff::disable_user(server.storage.as_ref(), "Paul@Syndicat.test", None)
                .await
                .expect("disable")
        );
        assert_eq!(other.get("/bureau/journal").await.status, 303);
        assert_eq!(
            other.login("paul@syndicat.test", PASSWORD).await.status,
            401
        );

        // The one-time link, through its page: a short password is refused, a good one
        // set, the link then used up.
        let (_, link) = staff::add_user(
            server.storage.as_ref(),
            "lea@syndicat.test",
            "Léa",
            Role::Viewer,
        )
        .await
        .expect("add");
        let mut lea = Browser::new(&server);
        let form = lea.get(&link.path()).await;
        assert_eq!(form.status, 200);
        assert_eq!(form.headers["referrer-policy"], "same-origin");
        let csrf = form.csrf();
        let fields = |p: &'static str| {
            [
                ("csrf", csrf.clone()),
                ("jeton", link.token.clone()),
                ("password", p.to_string()),
                ("confirm", p.to_string()),
            ]
        };
        for (password, status) in [("court", 422), (PASSWORD, 200), (PASSWORD, 422)] {
            let f = fields(password);
            let form: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let a = lea.post("/bureau/mot-de-passe", &form).await;
            assert_eq!(a.status, status, "{password}: {}", a.text());
        }
        assert_eq!(lea.login("lea@syndicat.test", PASSWORD).await.status, 303);

        // The audit log holds the logins, the failure and the disabling.
        let log = server.storage.audit_log(100).await.expect("log");
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        for a in [
            "login",
            "logout",
            "login_failed",
            "user_disabled",
            "password_set",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
    });
}

pub fn logins_are_throttled(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_throttle"));
    account(&server, "anne@syndicat.test", Role::Viewer);
    server.block_on(async {
        let mut b = Browser::new(&server);
        for _ in 0..preau_server::web::session::FAILURES_PER_EMAIL {
            assert_eq!(
                b.login("anne@syndicat.test", "pas le bon").await.status,
                401
            );
        }
        // Past the limit, even the right password waits.
        let a = b.login("Anne@syndicat.test", PASSWORD).await;
        assert_eq!(a.status, 429);
        assert!(!b.cookies.contains_key("preau_session"));
    });
}

/// What the laptop computes (`preau-cli visits plan`): its visit's first scenario's plan,
/// the one the back-office counts until the laptop records which the mayor retained.
/// The plan of the scenario `issue`'s mayor accepts (the last of the visit's), as the
/// laptop computes it (what `preau-cli visits plan` prints).
pub fn accepted_plan(i: &Issued) -> preau_core::plan::FundingPlan {
    i.laptop
        .store
        .plans(&i.visit)
        .expect("plans")
        .into_iter()
        .last()
        .expect("a scenario")
        .1
}

/// "12 345,67 €" as the pages write it.
fn euros(cents: i64) -> String {
    preau_reference::format::euros(cents)
}

pub fn dashboard_totals_are_the_laptops_plans(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_totals"));
    let anne = issue(&server, "Anne Martin", true);
    let paul = issue(&server, "Paul Durand", false);
    account(&server, "coord@syndicat.test", Role::Coordinator);
    // What the laptops compute (`preau-cli visits plan`): the plan of the scenario Anne's
    // mayor accepted (B, the second of two), and of the first one for Paul's pending
    // proposal.
    let plan = |i: &Issued, n: usize| {
        i.laptop
            .store
            .plans(&i.visit)
            .expect("plans")
            .into_iter()
            .nth(n)
            .expect("a scenario")
            .1
    };
    let (accepted, pending) = (plan(&anne, 1), plan(&paul, 0));
    assert!(accepted.total_ht_cents > 0);
    assert_ne!(
        accepted.total_ht_cents,
        plan(&anne, 0).total_ht_cents,
        "A and B differ, so counting the wrong one shows"
    );
    server.block_on(async {
        let mut b = Browser::new(&server);
        assert_eq!(b.login("coord@syndicat.test", PASSWORD).await.status, 303);
        let d = b.get("/bureau").await;
        assert_eq!(d.status, 200);
        assert_eq!(d.figure("acceptee-ht"), euros(accepted.total_ht_cents));
        assert_eq!(d.figure("acceptee-aides"), euros(accepted.total_aid_cents));
        assert_eq!(d.figure("attente-ht"), euros(pending.total_ht_cents));
        assert_eq!(d.figure("refusee-ht"), euros(0));
        let text = d.text();
        assert!(text.contains("Anne Martin") && text.contains("Paul Durand"));

        // The table's filters.
        let all = b.get("/bureau/visites").await.text();
        assert!(all.contains("2 visite(s) sur 2"), "{all}");
        let pauls = b
            .get("/bureau/visites?conseiller=Paul%20Durand")
            .await
            .text();
        assert!(pauls.contains("1 visite(s) sur 2"));
        assert!(pauls.contains(&paul.visit) && !pauls.contains(&anne.visit));
        let accepted_only = b
            .get("/bureau/visites?statut=acceptee&tri=-commune")
            .await
            .text();
        assert!(accepted_only.contains(&anne.visit) && !accepted_only.contains(&paul.visit));
        let none = b.get("/bureau/visites?commune=Amiens").await.text();
        assert!(none.contains("0 visite(s) sur 2"));

        // The issued PDF, byte for byte, with its hash; the download is in the log.
        let page = b
            .get(&format!("/bureau/visites/{}", anne.visit))
            .await
            .text();
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&anne.pdf));
        assert!(page.contains(&sha), "the visit page shows the SHA-256");
        let today = chrono::Utc::now().date_naive();
        let answer = format!(
            "Scénario accepté\u{a0}: <strong>B — Écrans seulement</strong>\u{a0}; délibération \
             du conseil municipal du <strong>{}</strong>.",
            preau_reference::format::date(today)
        );
        assert!(page.contains(&answer), "the visit page shows {answer}");
        assert!(page.contains("(compté)"));
        for shown in [
            "Projet par école",
            "École élémentaire Louis Pasteur",
            "Renforcer la lecture",
            "Marie Dupont — Maire",
        ] {
            assert!(page.contains(shown), "the visit page shows {shown}");
        }
        let pdf = b
            .get(&format!("/bureau/propositions/{}/pdf", anne.proposal))
            .await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.body, anne.pdf);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert_eq!(pdf.headers["x-content-sha256"], sha.as_str());
        // A browser asking for gzip gets the pages gzipped, never the PDF: it arrives as
        // issued, its SHA-256 the one shown.
        b.gzip = true;
        let visit = b.get(&format!("/bureau/visites/{}", anne.visit)).await;
        assert_eq!(visit.headers["content-encoding"], "gzip");
        assert!(visit.transferred < visit.body.len());
        assert_eq!(visit.text(), page);
        let zipped = b
            .get(&format!("/bureau/propositions/{}/pdf", anne.proposal))
            .await;
        assert!(zipped.headers.get("content-encoding").is_none());
        assert_eq!(zipped.body, anne.pdf);
        assert_eq!(zipped.transferred, anne.pdf.len());
        b.gzip = false;
        let log = server.storage.audit_log(10).await.expect("log");
        assert!(log
            .iter()
            .any(|e| e.action == "pdf_downloaded"
                && e.actor.as_deref() == Some("coord@syndicat.test")));
    });

    // What changes on the server shows at the next request, cached or not: Paul's mayor
    // accepts (a push), then Anne's visit is handed over (no push: the owner only).
    let mut paul = paul;
    let today = chrono::Utc::now().date_naive();
    paul.laptop
        .store
        .proposal_accept(
            &paul.proposal,
            &preau_core::proposals::Acceptance {
                scenario_id: Some(
                    paul.laptop.store.scenarios_of(&paul.visit).expect("sc")[0]
                        .id
                        .clone(),
                ),
                deliberated_on: None,
            },
            today,
        )
        .expect("accept");
    paul.laptop.sync();
    let anne_visit: uuid::Uuid = anne.visit.parse().expect("uuid");
    // The demand counts the lines of the accepted scenarios — Anne's B, Paul's A — to the
    // cent of the laptops' plans.
    let version = anne
        .laptop
        .store
        .proposal_snapshot(&anne.proposal, today)
        .expect("snapshot")
        .catalogue
        .version;
    let campaign = preau_server::storage::Campaign {
        id: uuid::Uuid::now_v7(),
        name: "Rentrée 2027".into(),
        cutoff: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).expect("date"),
        catalogue_version: version,
        created_at: chrono::Utc::now(),
        created_by: "coord@syndicat.test".into(),
    };
    {
        let storage = Arc::clone(&server.storage);
        let c = campaign.clone();
        server.block_on(async move { storage.add_campaign(&c).await.expect("campaign") });
    }
    server.block_on(async {
        let mut b = Browser::new(&server);
        assert_eq!(b.login("coord@syndicat.test", PASSWORD).await.status, 303);
        let csv = b
            .get(&format!("/bureau/recensement/{}/besoins.csv", campaign.id))
            .await;
        assert_eq!(csv.status, 200);
        let text = String::from_utf8(csv.body).expect("utf-8");
        let firm: i64 = text
            .lines()
            .filter(|l| l.contains(";acceptée;"))
            .map(|l| {
                let amount = l.rsplit(';').next().unwrap_or("");
                amount
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<i64>()
                    .expect("cents")
            })
            .sum();
        assert_eq!(
            firm,
            accepted.total_ht_cents + pending.total_ht_cents,
            "{text}"
        );
    });
    server.block_on(async {
        let mut b = Browser::new(&server);
        assert_eq!(b.login("coord@syndicat.test", PASSWORD).await.status, 303);
        let d = b.get("/bureau").await;
        assert_eq!(
            d.figure("acceptee-ht"),
            euros(accepted.total_ht_cents + pending.total_ht_cents)
        );
        assert_eq!(d.figure("attente-ht"), euros(0));
        let n = preau_server::admin::hand_over(server.storage.as_ref(), anne_visit, "Léa Bernard")
            .await
            .expect("hand over");
        assert!(n > 0);
        let text = b.get("/bureau").await.text();
        assert!(text.contains("Léa Bernard") && !text.contains("Anne Martin"));
    });

    // A PDF altered in the database is not sent.
    let sql = match backend {
        Backend::Sqlite(_) => format!(
            "UPDATE records SET fields = json_set(fields, '$.pdf', '00') \
             WHERE tbl = 'proposals' AND record_id = '{}'",
            paul.proposal
        ),
        Backend::Postgres(_) => format!(
            "UPDATE records SET fields = jsonb_set(fields::jsonb, '{{pdf}}', '\"00\"')::text \
             WHERE tbl = 'proposals' AND record_id = '{}'",
            paul.proposal
        ),
    };
    backend.execute("backoffice_totals", &sql);
    server.block_on(async {
        let mut b = Browser::new(&server);
        assert_eq!(b.login("coord@syndicat.test", PASSWORD).await.status, 303);
        let pdf = b
            .get(&format!("/bureau/propositions/{}/pdf", paul.proposal))
            .await;
        assert_eq!(pdf.status, 500);
        assert!(!pdf.body.starts_with(b"%PDF"));
        assert_eq!(b.get("/bureau/propositions/nope/pdf").await.status, 404);
    });
}

/// The code the enrollment form shows.
fn shown_code(page: &Answer) -> String {
    let text = page.text();
    let at = text.find("class=\"code\">").expect("a code") + 13;
    text[at..at + 14].to_string()
}

/// The text of the QR code the page draws as inline SVG, read back by a QR decoder
/// (`rqrr`) from the SVG's squares drawn into a bitmap.
fn decoded_qr(page: &str) -> String {
    let svg = &page[page.find("<svg").expect("an inline svg")..];
    let attr = |name: &str| -> usize {
        let marker = format!("{name}=\"");
        let at = svg.find(&marker).expect("attribute") + marker.len();
        svg[at..]
            .split('"')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    };
    let (w, h) = (attr("width"), attr("height"));
    let at = svg.find(" d=\"").expect("the squares' path") + 4;
    let path = svg[at..].split('"').next().expect("path data");
    let mut dark = vec![false; w * h];
    // Each square: "M{left} {top}h{width}v{height}H{left}V{top}".
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let n: Vec<usize> = square
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("number"))
            .collect();
        for y in n[1]..n[1] + n[3] {
            for x in n[0]..n[0] + n[2] {
                dark[y * w + x] = true;
            }
        }
    }
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(
            w,
            h,
            |x, y| {
                if dark[y * w + x] {
                    0
                } else {
                    255
                }
            },
        );
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("a readable QR code").1
}

pub fn laptops_are_enrolled_and_revoked_from_the_postes_page(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_devices"));
    account(&server, "admin@syndicat.test", Role::Admin);
    account(&server, "coord@syndicat.test", Role::Coordinator);
    let (code, mut coord) = server.block_on(async {
        let mut admin = Browser::new(&server);
        assert_eq!(
            admin.login("admin@syndicat.test", PASSWORD).await.status,
            303
        );
        let csrf = admin.get("/bureau/postes").await.csrf();
        let empty = admin
            .post(
                "/bureau/postes/enrolement",
                &[("csrf", &csrf), ("adviser", " ")],
            )
            .await;
        assert_eq!(empty.status, 422);
        let made = admin
            .post(
                "/bureau/postes/enrolement",
                &[("csrf", &csrf), ("adviser", "Anne Martin")],
            )
            .await;
        assert_eq!(made.status, 200, "{}", made.text());
        // The code, also as a QR code that reads back as the code.
        assert_eq!(decoded_qr(&made.text()), shown_code(&made));
        assert!(made
            .text()
            .contains("aria-label=\"Code QR du code d’enrôlement"));
        let mut coord = Browser::new(&server);
        assert_eq!(
            coord.login("coord@syndicat.test", PASSWORD).await.status,
            303
        );
        (shown_code(&made), coord)
    });
    let mut laptop = Laptop::enrolled(&server.url(), &code);
    laptop.sync();
    let id = server.block_on(async {
        let devices = server.storage.devices().await.expect("devices");
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].adviser, "Anne Martin");
        let id = devices[0].id;
        // The coordination sees no laptops and cannot revoke one.
        assert_eq!(coord.get("/bureau/postes").await.status, 403);
        let csrf = coord.get("/bureau").await.csrf();
        let path = format!("/bureau/postes/{id}/revocation");
        assert_eq!(coord.post(&path, &[("csrf", &csrf)]).await.status, 403);
        assert!(server.storage.devices().await.expect("devices")[0]
            .revoked_at
            .is_none());
        id
    });
    server.block_on(async {
        let mut admin = Browser::new(&server);
        assert_eq!(
            admin.login("admin@syndicat.test", PASSWORD).await.status,
            303
        );
        let list = admin.get("/bureau/postes").await;
        assert!(list.text().contains("Anne Martin"));
        // What the laptop still had to send when last seen: nothing, after its sync.
        let text = list.text();
        assert!(text.contains("Modifications en attente"), "{text}");
        assert!(text.contains("Aucune<br><span class=\"notice\">au "), "{text}");
        // Three changes reported ten days ago: a note says where they are.
        let ago = chrono::Utc::now() - chrono::Duration::days(10);
        server
            .storage
            .touch_device(id, ago, None, None, Some(3))
            .await
            .expect("touch");
        let text = admin.get("/bureau/postes").await.text();
        assert!(text.contains("3\u{a0}modifications<br>"), "{text}");
        assert!(
            text.contains(
                "Non synchronisé depuis 10\u{a0}jours\u{a0}: ces modifications n’existent que sur le portable."
            ),
            "{text}"
        );
        let path = format!("/bureau/postes/{id}/revocation");
        assert_eq!(admin.post(&path, &[]).await.status, 403, "no CSRF token");
        let done = admin.post(&path, &[("csrf", &list.csrf())]).await;
        assert_eq!(done.status, 303);
        let log = server.storage.audit_log(10).await.expect("log");
        assert!(log.iter().any(|e| e.action == "device_revoked"));
        assert!(log.iter().any(|e| e.action == "enrollment_created"));
    });
    let err = laptop
        .try_sync(crate::support::fast_retries())
        .expect_err("revoked");
    assert!(matches!(err, preau_sync::Error::Revoked), "{err:?}");
}

/// A server with a few advisers' visits and proposals (three laptops each, one
/// accepted, refused or pending proposal each), and accounts `admin@syndicat.test`,
/// `coord@syndicat.test`, `viewer@syndicat.test`, all with the tests' password.
fn demo_server(backend: &Backend) -> (TestServer, Vec<Issued>) {
    let server = TestServer::start(&backend.url("backoffice_demo"));
    account(&server, "admin@syndicat.test", Role::Admin);
    account(&server, "coord@syndicat.test", Role::Coordinator);
    account(&server, "viewer@syndicat.test", Role::Viewer);
    let mut kept = Vec::new();
    for (adviser, answers) in [
        ("Anne Martin", [Some(true), None, Some(false)]),
        ("Paul Durand", [Some(true), Some(true), None]),
        ("Léa Bernard", [None, None, Some(true)]),
    ] {
        for answer in answers {
            let mut i = issue(&server, adviser, answer == Some(true));
            if answer == Some(false) {
                let today = chrono::Utc::now().date_naive();
                i.laptop
                    .store
                    .proposal_refuse(&i.proposal, today)
                    .expect("refuse");
                i.laptop.sync();
            }
            kept.push(i);
        }
    }
    // Two more communes visited, for the map (Paul Durand's visits stay those above).
    if let Some(lea) = kept.last_mut() {
        for insee in ["80001", "80021"] {
            lea.laptop
                .store
                .visit_create(insee, "2026-12-10T10:00")
                .expect("visit");
        }
        lea.laptop.sync();
    }
    // Postes: one laptop still held three changes when last seen, ten days ago; another
    // holds one now (the others said « none » at their last sync).
    server.block_on(async {
        let devices = server.storage.devices().await.expect("devices");
        let now = chrono::Utc::now();
        for (d, at, n) in devices
            .iter()
            .zip([(now - chrono::Duration::days(10), 3), (now, 1)])
            .map(|(d, (at, n))| (d, at, n))
        {
            server
                .storage
                .touch_device(d.id, at, None, d.app_version.as_deref(), Some(n))
                .await
                .expect("touch");
        }
    });
    (server, kept)
}

/// The class of the commune's path on the map (`<path class="…" data-insee="…"`), and of
/// its row's state in the table.
fn map_stage(page: &str, insee: &str) -> (String, String) {
    let marker = format!("data-insee=\"{insee}\"");
    let path_at = page.find(&format!("{marker} d=")).expect("a path");
    let class_at = page[..path_at].rfind("class=\"").expect("its class") + 7;
    let path_class = page[class_at..]
        .split('"')
        .next()
        .expect("class")
        .to_string();
    let row_at = page.find(&format!("<tr {marker}>")).expect("a row");
    let row = &page[row_at..];
    let row = &row[..row.find("</tr>").expect("row end")];
    let rect_at = row
        .find("<span class=\"pastille ")
        .expect("the row's swatch")
        + 22;
    let row_class = row[rect_at..].split('"').next().expect("class").to_string();
    (path_class, row_class)
}

/// The map: an accepted commune, a visited one and a non-member coloured as such on the
/// map and in the table, a commune visited by an adviser filtered out back to « member »,
/// the visited communes linking to their visits.
pub fn map_colours_communes_by_stage(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_map"));
    account(&server, "viewer@syndicat.test", Role::Viewer);
    account(&server, "coord@syndicat.test", Role::Coordinator);
    // Péronne (80620): a proposal accepted; Abbeville (80001): visited only.
    let mut issued = issue(&server, "Anne Martin", true);
    issued
        .laptop
        .store
        .visit_create("80001", "2026-12-10T10:00")
        .expect("visit");
    issued.laptop.sync();
    server.block_on(async {
        let mut anonymous = Browser::new(&server);
        let a = anonymous.get("/bureau/carte").await;
        assert_eq!(a.status, 303);
        assert_eq!(a.location.as_deref(), Some("/bureau/connexion"));

        let mut coord = Browser::new(&server);
        coord.login("coord@syndicat.test", PASSWORD).await;
        let a = coord.get("/bureau/carte").await;
        assert_eq!(a.status, 200, "{}", a.text());
        let page = a.text();
        let both = |c: &str| (c.to_string(), c.to_string());
        assert_eq!(map_stage(&page, "80620"), both("acceptee"));
        assert_eq!(map_stage(&page, "80001"), both("visitee"));
        // Amiens: a member not visited; Biencourt: its EPCI is not in the syndicate.
        assert_eq!(map_stage(&page, "80021"), both("adherente"));
        assert_eq!(map_stage(&page, "80104"), both("hors"));
        assert_eq!(a.figure("carte-acceptee"), "1");
        assert_eq!(a.figure("carte-visitee"), "1");
        assert_eq!(a.figure("carte-hors"), "11");
        assert_eq!(a.figure("carte-adherente"), "758");
        assert!(page.contains("<a href=\"/bureau/visites?commune=80620\">"));
        assert!(!page.contains("/bureau/visites?commune=80021"));
        assert!(page.contains("class=\"epci\" d=\"M"), "the EPCI borders");
        assert_eq!(page.matches("<tr data-insee=").count(), 771);
        // Gzipped for a browser that asks: the same page, a fraction on the wire.
        coord.gzip = true;
        let zipped = coord.get("/bureau/carte").await;
        coord.gzip = false;
        assert_eq!(zipped.headers["content-encoding"], "gzip");
        assert_eq!(zipped.body, a.body);
        assert!(zipped.transferred * 3 < a.body.len());
        eprintln!(
            "map page: {} bytes, {} transferred gzipped",
            a.body.len(),
            zipped.transferred
        );
        // Another adviser's visits only: nothing visited.
        let a = coord.get("/bureau/carte?conseiller=Paul%20Durand").await;
        assert_eq!(map_stage(&a.text(), "80620"), both("adherente"));
        assert_eq!(a.figure("carte-acceptee"), "0");
        let a = coord.get("/bureau/carte?conseiller=Anne%20Martin").await;
        assert_eq!(map_stage(&a.text(), "80620"), both("acceptee"));

        // A viewer sees the map, without links to the visits it may not open.
        let mut viewer = Browser::new(&server);
        viewer.login("viewer@syndicat.test", PASSWORD).await;
        let a = viewer.get("/bureau/carte").await;
        assert_eq!(a.status, 200);
        assert_eq!(map_stage(&a.text(), "80620"), both("acceptee"));
        assert!(!a.text().contains("/bureau/visites?"));
    });
}

/// The demo server left running for a person to look at: `cargo test -p preau-server
/// --test it backoffice_demo -- --ignored`, with `PREAU_DEMO_URL_FILE` (where its
/// address is written) and `PREAU_DEMO_SECONDS` (how long it serves, 600 by default).
pub fn demo(backend: &Backend) {
    let (server, _laptops) = demo_server(backend);
    if let Ok(file) = std::env::var("PREAU_DEMO_URL_FILE") {
        std::fs::write(file, server.url()).expect("url file");
    }
    let seconds: u64 = std::env::var("PREAU_DEMO_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    eprintln!(
        "back-office demo at {}/bureau for {seconds} s",
        server.url()
    );
    std::thread::sleep(std::time::Duration::from_secs(seconds));
}

/// The back-office in a real browser (`tests/backoffice/browser.mjs`: Debian's Chromium
/// through chromedriver, axe-core on every page) against the demo server. Needs
/// `chromium`, `chromium-driver`, Node.js and `tests/backoffice/node_modules` (the
/// scripts install them); `PREAU_SCREENSHOTS` keeps a screenshot of each page.
pub fn in_a_real_browser(backend: &Backend) {
    let (server, _laptops) = demo_server(backend);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut driver = std::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver (apt-get install chromium-driver)");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/backoffice/browser.mjs");
    let driver_url = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "chromedriver did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut node = std::process::Command::new("node");
    node.arg(&script).arg(server.url()).arg(&driver_url);
    if let Ok(dir) = std::env::var("PREAU_SCREENSHOTS") {
        node.arg(dir);
    }
    let status = node.status().expect("node");
    let _ = driver.kill();
    let _ = driver.wait();
    assert!(
        status.success(),
        "the browser scenario failed (its lines above)"
    );
}

/// Over the server's own HTTPS, the cookies are marked `Secure` (and not over HTTP: the
/// other tests read them without).
pub fn cookies_are_secure_over_https(backend: &Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let ca = crate::support::TestCa::new("Préau test CA (bureau)");
    let (cert, key, _) = ca.leaf();
    std::fs::write(dir.path().join("cert.pem"), cert).expect("cert");
    std::fs::write(dir.path().join("key.pem"), key).expect("key");
    let options = preau_server::ServerOptions {
        tls: Some(preau_server::tls::TlsFiles {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        }),
        ..preau_server::ServerOptions::default()
    };
    let server = TestServer::start_with(&backend.url("backoffice_https"), options);
    account(&server, "anne@syndicat.test", Role::Viewer);
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(ca.client_config())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    server.block_on(async {
        let mut b = Browser::with_client(&server, client);
        let form = b.get("/bureau/connexion").await;
        let set: Vec<&str> = form
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("text"))
            .collect();
        assert!(set.iter().all(|c| c.ends_with("; Secure")), "{set:?}");
        let csrf = form.csrf();
        let login = b
            .post(
                "/bureau/connexion",
                &[
                    ("csrf", &csrf),
                    ("email", "anne@syndicat.test"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(login.status, 303);
        let session = login.headers["set-cookie"].to_str().expect("text");
        assert!(
            session.starts_with("preau_session=")
                && session.contains("HttpOnly")
                && session.contains("SameSite=Strict")
                && session.ends_with("; Secure"),
            "{session}"
        );
        assert_eq!(b.get("/bureau").await.status, 200);
    });
}

/// The `users` commands of the real binary: a one-time link printed, the account listed
/// as waiting for its password, then active, then disabled; a bad role refused in French.
pub fn users_commands_add_list_link_and_disable(backend: &Backend) {
    let url = backend.url("backoffice_cli");
    let run = |args: &[&str]| -> (bool, String, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_preau-server"))
            .arg("--database-url")
            .arg(&url)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .expect("preau-server");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&[
        "users",
        "add",
        "--email",
        " Claire@Syndicat.test ",
        "--name",
        "Claire Martin",
        "--role",
        "coordinator",
        "--base-url",
        "https://preau.example/",
    ]);
    assert!(ok, "{err}");
    let link = out
        .split_whitespace()
        .find(|w| w.starts_with("https://preau.example/bureau/mot-de-passe?jeton="))
        .expect("a one-time link")
        .to_string();
    let token = link.rsplit('=').next().expect("token").to_string();
    let (_, list, _) = run(&["users", "list"]);
    assert!(
        list.contains("claire@syndicat.test") && list.contains("mot de passe à choisir"),
        "{list}"
    );
    let (ok, _, err) = run(&[
        "users",
        "add",
        "--email",
        "x@syndicat.test",
        "--name",
        "X",
        "--role",
        "root",
    ]);
    assert!(!ok && err.contains("rôle inconnu"), "{err}");
    let (ok, _, err) = run(&[
        "users",
        "add",
        "--email",
        "claire@syndicat.test",
        "--name",
        "C",
        "--role",
        "viewer",
    ]);
    assert!(
        !ok && err.contains("création du compte claire@syndicat.test"),
        "{err}"
    );

    let server = TestServer::start(&url);
    let storage = Arc::clone(&server.storage);
    server.block_on(async move {
        staff::set_password(storage.as_ref(), &token, PASSWORD)
            .await
            .expect("set")
            .expect("the printed link sets the password");
    });
    let (_, list, _) = run(&["users", "list"]);
    assert!(list.contains("actif"), "{list}");
    let (ok, out, _) = run(&["users", "link", "claire@syndicat.test"]);
    assert!(ok && out.contains("/bureau/mot-de-passe?jeton="), "{out}");
    let (ok, _, _) = run(&["users", "disable", "claire@syndicat.test"]);
    assert!(ok);
    let (_, list, _) = run(&["users", "list"]);
    assert!(list.contains("désactivé le"), "{list}");
    let (ok, _, err) = run(&["users", "disable", "nobody@syndicat.test"]);
    assert!(!ok && err.contains("aucun compte"), "{err}");
    let (ok, _, err) = run(&["users", "link", "claire@syndicat.test"]);
    assert!(
        !ok && err.contains("aucun compte actif"),
        "no link for a disabled account: {err}"
    );
}
