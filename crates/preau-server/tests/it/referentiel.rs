//! The back-office's Référentiel page over real HTTP: a file uploaded, its changes
//! previewed, published as `preau-server import` publishes it, fetched by a laptop; other
//! roles refused, CSRF-less posts refused, a bad file changing nothing.

use preau_server::reference::{self, ReferenceKind};
use preau_server::staff::Role;

use crate::backoffice::{account, Answer, Browser, PASSWORD};
use crate::support::{Backend, Laptop, TestServer};

fn data(path: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read(path).expect("data file")
}

fn euros(cents: i64) -> String {
    preau_reference::format::euros(cents)
}

/// The example catalogue with ENI65 at 1 990,00 € instead of 1 890,00 € and its last
/// item (FORM) removed.
fn new_catalogue() -> Vec<u8> {
    let text =
        String::from_utf8(data("data/reference/catalogue-syndicat-exemple.csv")).expect("utf-8");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines.pop().is_some_and(|l| l.starts_with("FORM;")));
    assert!(lines[1].starts_with("ENI65;"));
    lines[1] = lines[1].replacen(";1 890,00;", ";1 990,00;", 1);
    (lines.join("\n") + "\n").into_bytes()
}

async fn versions(server: &TestServer) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = server
        .storage
        .reference_versions()
        .await
        .expect("versions")
        .into_iter()
        .map(|v| (v.kind, v.version))
        .collect();
    v.sort();
    v
}

/// `file` uploaded on the Référentiel page as `kind`, with the form's token.
async fn preview(b: &mut Browser, csrf: &str, kind: &str, name: &str, file: &[u8]) -> Answer {
    b.upload(
        "/bureau/referentiel",
        &[("csrf", csrf), ("kind", kind)],
        name,
        file,
    )
    .await
}

/// « Publier » for the preview `id`.
async fn publish(b: &mut Browser, csrf: &str, id: &str) -> Answer {
    b.post(
        "/bureau/referentiel/publication",
        &[("csrf", csrf), ("upload", id)],
    )
    .await
}

/// The hidden `upload` field of a preview's « Publier » form.
fn upload_id(page: &Answer) -> String {
    let text = page.text();
    let at = text
        .find("name=\"upload\" value=\"")
        .expect("an upload field")
        + 21;
    text[at..at + 32].to_string()
}

pub fn reference_files_are_previewed_then_published(backend: &Backend) {
    let server = TestServer::start(&backend.url("backoffice_reference"));
    for (email, role) in [
        ("admin@syndicat.test", Role::Admin),
        ("paul@syndicat.test", Role::Admin),
        ("coord@syndicat.test", Role::Coordinator),
        ("viewer@syndicat.test", Role::Viewer),
    ] {
        account(&server, email, role);
    }
    let dir = tempfile::tempdir().expect("dir");
    let example = dir.path().join("catalogue.csv");
    std::fs::write(
        &example,
        data("data/reference/catalogue-syndicat-exemple.csv"),
    )
    .expect("write");
    // Version 1 by the command line's library function.
    {
        let storage = std::sync::Arc::clone(&server.storage);
        let path = example.clone();
        server
            .block_on(async move {
                preau_server::admin::import_reference(
                    storage.as_ref(),
                    ReferenceKind::Catalogue,
                    &path,
                )
                .await
            })
            .expect("catalogue v1");
    }
    let mut laptop = Laptop::enrolled(&server.url(), &server.enrollment_code("Anne Martin"));
    assert_eq!(
        laptop.sync().reference_updated,
        vec!["catalogue".to_string()]
    );
    let eni65 = |l: &Laptop| {
        l.store
            .catalogue()
            .expect("catalogue")
            .items
            .iter()
            .find(|i| i.reference == "ENI65")
            .map(|i| i.unit_price_cents)
    };
    assert_eq!(eni65(&laptop), Some(189_000));

    let new = new_catalogue();
    let id = server.block_on(async {
        let mut admin = Browser::new(&server);
        assert_eq!(
            admin.login("admin@syndicat.test", PASSWORD).await.status,
            303
        );
        let page = admin.get("/bureau/referentiel").await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(page.figure("version-catalogue"), "1");
        assert_eq!(page.figure("version-funding"), "aucune");
        let csrf = page.csrf();

        // A bad file: refused in French, nothing kept or published.
        let before = versions(&server).await;
        let a = preview(
            &mut admin,
            &csrf,
            "catalogue",
            "faux.csv",
            b"not,a,catalogue\n1,2,3\n",
        )
        .await;
        assert_eq!(a.status, 422);
        let text = a.text();
        assert!(
            text.contains("Ce fichier n’est pas un catalogue valide."),
            "{text}"
        );
        assert!(
            text.contains("colonne « not » : colonne inconnue"),
            "{text}"
        );
        assert!(text.contains("Rien n’a été publié."));
        assert!(!text.contains("name=\"upload\""));
        for (fields, status) in [
            // An unknown kind, no file.
            (vec![("csrf", csrf.as_str()), ("kind", "communes")], 422),
            // No CSRF token: refused before anything is read.
            (vec![("kind", "catalogue")], 403),
            (
                vec![("csrf", "0".repeat(64).as_str()), ("kind", "catalogue")],
                403,
            ),
        ] {
            let a = admin
                .upload("/bureau/referentiel", &fields, "c.csv", &new)
                .await;
            assert_eq!(a.status, status, "{fields:?}: {}", a.text());
        }
        // A form that is not multipart: refused as unreadable.
        let a = admin
            .post(
                "/bureau/referentiel",
                &[("csrf", &csrf), ("kind", "catalogue")],
            )
            .await;
        assert_eq!(a.status, 403);
        // Funding rules as a catalogue: refused too.
        let a = preview(
            &mut admin,
            &csrf,
            "catalogue",
            "regles.json",
            &data("data/reference/funding_rules.json"),
        )
        .await;
        assert_eq!(a.status, 422);
        // Past a catalogue's bound (4 MiB): refused as too large.
        let huge = vec![b'x'; ReferenceKind::Catalogue.max_bytes() + 1];
        let a = preview(&mut admin, &csrf, "catalogue", "enorme.csv", &huge).await;
        assert_eq!(a.status, 413);
        assert!(a.text().contains("Fichier trop volumineux."));
        assert_eq!(versions(&server).await, before, "nothing published");

        // The new catalogue: its changes against version 1.
        let a = preview(&mut admin, &csrf, "catalogue", "catalogue-2027.csv", &new).await;
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(a.figure("ajoutes"), "0");
        assert_eq!(a.figure("modifies"), "1");
        assert_eq!(a.figure("retires"), "1");
        assert_eq!(a.figure("prix"), "1");
        let text = a.text();
        for shown in [
            "Version publiée aujourd’hui : 1.",
            &euros(189_000),
            &euros(199_000),
            &format!("+{}", euros(10_000)),
            "FORM",
            "catalogue-2027.csv",
        ] {
            assert!(text.contains(shown), "{shown} in the preview");
        }
        assert_eq!(
            versions(&server).await,
            before,
            "a preview publishes nothing"
        );
        let id = upload_id(&a);
        assert_eq!(id.len(), 32);

        // Other roles: refused, on the page and on its forms.
        for email in ["coord@syndicat.test", "viewer@syndicat.test"] {
            let mut b = Browser::new(&server);
            b.login(email, PASSWORD).await;
            assert_eq!(b.get("/bureau/referentiel").await.status, 403, "{email}");
            let their = b.get("/bureau").await.csrf();
            let a = preview(&mut b, &their, "catalogue", "c.csv", &new).await;
            assert_eq!(a.status, 403, "{email}");
            let a = b
                .post(
                    "/bureau/referentiel",
                    &[("csrf", &their), ("kind", "catalogue")],
                )
                .await;
            assert_eq!(a.status, 403, "{email}: not multipart");
            let a = publish(&mut b, &their, &id).await;
            assert_eq!(a.status, 403, "{email}");
        }
        // Another admin's session cannot publish this preview; a post without the
        // token is refused.
        let mut paul = Browser::new(&server);
        paul.login("paul@syndicat.test", PASSWORD).await;
        let his = paul.get("/bureau/referentiel").await.csrf();
        let a = publish(&mut paul, &his, &id).await;
        assert_eq!(a.status, 410);
        let a = admin
            .post("/bureau/referentiel/publication", &[("upload", &id)])
            .await;
        assert_eq!(a.status, 403);
        assert_eq!(versions(&server).await, before);
        id
    });

    // Published from the page: version 2, what the command line publishes for this file,
    // in the audit log; the laptop's next sync fetches it.
    server.block_on(async {
        let mut admin = Browser::new(&server);
        admin.login("admin@syndicat.test", PASSWORD).await;
        let csrf = admin.get("/bureau/referentiel").await.csrf();
        // A new session: the upload belonged to the first one.
        let a = publish(&mut admin, &csrf, &id).await;
        assert_eq!(a.status, 410, "another session's preview");
        let a = preview(&mut admin, &csrf, "catalogue", "catalogue-2027.csv", &new).await;
        let id = upload_id(&a);
        let a = publish(&mut admin, &csrf, &id).await;
        assert_eq!(a.status, 200, "{}", a.text());
        assert!(
            a.text().contains("Version 2 publiée : Catalogue"),
            "{}",
            a.text()
        );
        assert_eq!(a.figure("version-catalogue"), "2");
        let again = publish(&mut admin, &csrf, &id).await;
        assert_eq!(again.status, 410, "published once");
        let (version, content) = server
            .storage
            .reference("catalogue")
            .await
            .expect("read")
            .expect("published");
        assert_eq!(version, 2);
        let cli = reference::prepare(ReferenceKind::Catalogue, &new).expect("prepared");
        assert_eq!(
            content, cli.content,
            "the page publishes what the CLI would"
        );
        let log = server.storage.audit_log(20).await.expect("log");
        let entry = log
            .iter()
            .find(|e| e.action == "reference_published")
            .expect("logged");
        assert_eq!(entry.actor.as_deref(), Some("admin@syndicat.test"));
        assert!(
            entry.detail.contains("catalogue version 2"),
            "{}",
            entry.detail
        );
    });
    let report = laptop.sync();
    assert_eq!(report.reference_updated, vec!["catalogue".to_string()]);
    assert_eq!(eni65(&laptop), Some(199_000));

    // The real binary's `import` on the same file publishes the same bytes as the page.
    let file = dir.path().join("catalogue-2027.csv");
    std::fs::write(&file, &new).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_preau-server"))
        .arg("--database-url")
        .arg(backend.url("backoffice_reference"))
        .args(["import", "catalogue"])
        .arg(&file)
        .env("RUST_LOG", "warn")
        .output()
        .expect("preau-server import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prepared = reference::prepare(ReferenceKind::Catalogue, &new).expect("prepared");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let said = format!(
        "catalogue : version 3 publiée ({} entrées)",
        prepared.entries
    );
    assert!(printed.contains(&said), "{printed}");
    server.block_on(async {
        let page = server.storage.reference("catalogue").await.expect("read");
        let cli = page.expect("published");
        assert_eq!(cli.0, 3);
        assert_eq!(
            cli.1,
            reference::prepare(ReferenceKind::Catalogue, &new)
                .expect("prepared")
                .content
        );
    });
    assert!(laptop
        .sync()
        .reference_updated
        .contains(&"catalogue".to_string()));
    assert_eq!(eni65(&laptop), Some(199_000));

    // A preview made stale by a publication meanwhile (here by the command line) is not
    // published; the schools directory and funding rules are previewed too.
    server.block_on(async {
        let mut admin = Browser::new(&server);
        admin.login("admin@syndicat.test", PASSWORD).await;
        let csrf = admin.get("/bureau/referentiel").await.csrf();
        let a = preview(
            &mut admin,
            &csrf,
            "catalogue",
            "exemple.csv",
            &data("data/reference/catalogue-syndicat-exemple.csv"),
        )
        .await;
        assert_eq!(a.figure("prix"), "1");
        assert_eq!(a.figure("ajoutes"), "1");
        let id = upload_id(&a);
        preau_server::admin::import_reference(
            server.storage.as_ref(),
            ReferenceKind::Catalogue,
            &example,
        )
        .await
        .expect("v4 by the CLI");
        let a = publish(&mut admin, &csrf, &id).await;
        assert_eq!(a.status, 409);
        assert_eq!(
            server
                .storage
                .reference("catalogue")
                .await
                .expect("read")
                .map(|r| r.0),
            Some(4)
        );

        let a = preview(
            &mut admin,
            &csrf,
            "schools",
            "fr-en-annuaire-education.csv",
            &data("crates/preau-reference/tests/fixtures/annuaire-education-2026-somme.csv"),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(a.figure("ajoutes"), "10");
        assert!(a.text().contains("Rien n’est publié aujourd’hui."));
        let a = preview(
            &mut admin,
            &csrf,
            "schools",
            "erreurs.csv",
            &data("crates/preau-reference/tests/fixtures/annuaire-education-erreurs.csv"),
        )
        .await;
        assert_eq!(a.status, 422);
        assert!(a.text().contains("ligne 3 :"), "{}", a.text());
        let a = preview(
            &mut admin,
            &csrf,
            "funding",
            "regles.json",
            &data("data/reference/funding_rules.json"),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text());
        assert!(a.text().contains("Programmes ajoutés"));
        let a = preview(
            &mut admin,
            &csrf,
            "funding",
            "regles.json",
            br#"{"version": "x"}"#,
        )
        .await;
        assert_eq!(a.status, 422);
        assert!(a.text().contains("règles de financement refusées"));
        assert_eq!(
            versions(&server).await,
            vec![("catalogue".to_string(), 4)],
            "previews publish nothing"
        );
    });
}
