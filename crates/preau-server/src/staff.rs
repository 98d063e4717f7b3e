//! The syndicate's staff accounts (issue 13): one library function per account action,
//! called by the `users` subcommands and by the back-office alike.
//!
//! Passwords are hashed with argon2id (PHC string, its parameters inside); one-time
//! password links and session tokens are random and stored as SHA-256 hashes only, like
//! the devices' tokens. A disabled account's sessions and links are deleted with it.

use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::{new_token, sha256_hex};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// How long a one-time password link stays valid.
pub const LINK_VALIDITY_HOURS: i64 = 72;
/// How long a session lasts from its login (a working day), whatever is done with it.
pub const SESSION_HOURS: i64 = 10;
/// Shortest password accepted (ANSSI's advice for a password alone: 12 and more).
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_CHARS: usize = 256;

/// What a staff member may see and do; checked on the server for every page and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Accounts, laptops, reference data, the audit log; everything else too.
    Admin,
    /// Campaigns, exports, all data.
    Coordinator,
    /// All data read (from the office).
    Adviser,
    /// Read-only dashboards.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Coordinator, Role::Adviser, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Adviser => "adviser",
            Role::Viewer => "viewer",
        }
    }

    /// The French name shown in the back-office.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administration",
            Role::Coordinator => "Coordination",
            Role::Adviser => "Conseil",
            Role::Viewer => "Consultation",
        }
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Error::Reference(format!(
                    "unknown role {s:?} (admin, coordinator, adviser or viewer)"
                ))
            })
    }
}

/// A staff account as stored (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffUser {
    pub id: Uuid,
    /// Trimmed and lowercased: the login's key.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Whether a password was set (through a one-time link).
    pub has_password: bool,
}

/// What staff did, for the admins' audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    UserAdded,
    UserDisabled,
    PasswordSet,
    PdfDownloaded,
    Exported,
    DeviceRevoked,
    EnrollmentCreated,
    CampaignCreated,
    /// A follow-up step of an accepted proposal recorded.
    FollowUpRecorded,
    ReferencePublished,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::UserAdded => "user_added",
            Action::UserDisabled => "user_disabled",
            Action::PasswordSet => "password_set",
            Action::PdfDownloaded => "pdf_downloaded",
            Action::Exported => "exported",
            Action::DeviceRevoked => "device_revoked",
            Action::EnrollmentCreated => "enrollment_created",
            Action::CampaignCreated => "campaign_created",
            Action::FollowUpRecorded => "follow_up_recorded",
            Action::ReferencePublished => "reference_published",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Login => "Connexion",
            Action::LoginFailed => "Échec de connexion",
            Action::Logout => "Déconnexion",
            Action::UserAdded => "Compte créé",
            Action::UserDisabled => "Compte désactivé",
            Action::PasswordSet => "Mot de passe choisi",
            Action::PdfDownloaded => "Proposition téléchargée",
            Action::Exported => "Export",
            Action::DeviceRevoked => "Poste révoqué",
            Action::EnrollmentCreated => "Code d’enrôlement créé",
            Action::CampaignCreated => "Campagne lancée",
            Action::FollowUpRecorded => "Étape de suivi enregistrée",
            Action::ReferencePublished => "Référentiel publié",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Login,
            Action::LoginFailed,
            Action::Logout,
            Action::UserAdded,
            Action::UserDisabled,
            Action::PasswordSet,
            Action::PdfDownloaded,
            Action::Exported,
            Action::DeviceRevoked,
            Action::EnrollmentCreated,
            Action::CampaignCreated,
            Action::FollowUpRecorded,
            Action::ReferencePublished,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The staff member's email (`None`: the command line, or nobody logged in).
    pub actor: Option<String>,
    /// The stored action's name (an unknown one, from a newer server, is kept as is).
    pub action: String,
    /// What it was about (an email, a proposal number, an export's name).
    pub detail: String,
    pub ip: Option<String>,
}

impl AuditEntry {
    pub fn new(actor: Option<&str>, action: Action, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            at: Utc::now(),
            actor: actor.map(str::to_string),
            action: action.as_str().to_string(),
            detail: detail.into(),
            ip: None,
        }
    }

    pub fn from(mut self, ip: Option<std::net::IpAddr>) -> AuditEntry {
        self.ip = ip.map(|i| i.to_string());
        self
    }
}

/// The key an email is stored and looked up under.
pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Reference(format!("not an email address: {email:?}")))
    }
}

/// A new one-time password link's secret and its expiry.
pub struct PasswordLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl PasswordLink {
    /// The path of the back-office page that takes it.
    pub fn path(&self) -> String {
        format!("{}/mot-de-passe?jeton={}", crate::web::PREFIX, self.token)
    }
}

async fn new_link(storage: &dyn Storage, user: Uuid) -> Result<PasswordLink> {
    let token = new_token()?;
    let expires_at = Utc::now() + Duration::hours(LINK_VALIDITY_HOURS);
    storage
        .create_password_link(&sha256_hex(&token), user, expires_at)
        .await?;
    Ok(PasswordLink { token, expires_at })
}

/// Creates a staff account and a one-time link to set its password.
pub async fn add_user(
    storage: &dyn Storage,
    email: &str,
    name: &str,
    role: Role,
) -> Result<(StaffUser, PasswordLink)> {
    let email = normal_email(email);
    check_email(&email)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Reference("name must be 1 to 100 characters".into()));
    }
    let user = StaffUser {
        id: Uuid::now_v7(),
        email,
        name: name.to_string(),
        role,
        created_at: Utc::now(),
        disabled_at: None,
        has_password: false,
    };
    if !storage.add_staff_user(&user).await? {
        return Err(Error::Reference(format!(
            "an account already uses {}",
            user.email
        )));
    }
    let link = new_link(storage, user.id).await?;
    storage
        .record_audit(&AuditEntry::new(None, Action::UserAdded, &user.email))
        .await?;
    Ok((user, link))
}

/// A new one-time link for an existing, enabled account (a forgotten password).
pub async fn reset_link(storage: &dyn Storage, email: &str) -> Result<PasswordLink> {
    let user = storage
        .staff_user_by_email(&normal_email(email))
        .await?
        .map(|(u, _)| u)
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(|| Error::Reference(format!("no enabled account {email:?}")))?;
    new_link(storage, user.id).await
}

pub async fn list_users(storage: &dyn Storage) -> Result<Vec<StaffUser>> {
    storage.staff_users().await
}

/// Disables an account: its sessions end and its links stop working. `false`: no such
/// account.
pub async fn disable_user(storage: &dyn Storage, email: &str, actor: Option<&str>) -> Result<bool> {
    let email = normal_email(email);
    let done = storage.disable_staff_user(&email, Utc::now()).await?;
    if done {
        storage
            .record_audit(&AuditEntry::new(actor, Action::UserDisabled, &email))
            .await?;
    }
    Ok(done)
}

/// Why a password was refused (shown to the user in French).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefused {
    TooShort,
    TooLong,
    /// The link is unknown, used, expired, or its account disabled.
    BadLink,
}

impl PasswordRefused {
    pub fn message(self) -> String {
        match self {
            PasswordRefused::TooShort => {
                format!("Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères.")
            }
            PasswordRefused::TooLong => {
                format!("Le mot de passe doit compter au plus {MAX_PASSWORD_CHARS} caractères.")
            }
            PasswordRefused::BadLink => "Ce lien n’est plus valable : demandez-en un nouveau à \
                l’administration du service."
                .to_string(),
        }
    }
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&crate::auth::random_bytes::<16>()?)
        .map_err(|e| Error::Random(format!("argon2 salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Random(format!("argon2: {e}")))
}

/// Whether `password` is the one `phc` was made from.
fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash of nothing anyone knows: an unknown email costs a login as much time as a known
/// one, so timing does not tell which emails have accounts.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy, never a password").unwrap_or_default())
}

/// Sets the password of the account a one-time link was made for, and uses the link up.
/// The account's open sessions end.
pub async fn set_password(
    storage: &dyn Storage,
    link_token: &str,
    password: &str,
) -> Result<std::result::Result<StaffUser, PasswordRefused>> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Ok(Err(PasswordRefused::TooShort));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Ok(Err(PasswordRefused::TooLong));
    }
    if link_token.is_empty() || link_token.len() > 128 {
        return Ok(Err(PasswordRefused::BadLink));
    }
    let password = password.to_string();
    let phc = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let Some(user) = storage
        .use_password_link(&sha256_hex(link_token), &phc, Utc::now())
        .await?
    else {
        return Ok(Err(PasswordRefused::BadLink));
    };
    storage
        .record_audit(&AuditEntry::new(
            Some(&user.email),
            Action::PasswordSet,
            &user.email,
        ))
        .await?;
    Ok(Ok(user))
}

/// A session opened by a login: its secret goes in the cookie, only its hash is stored.
pub struct Session {
    pub token: String,
    pub user: StaffUser,
}

/// Checks an email and password; on success opens a session. `None`: wrong email,
/// wrong password, no password set, or a disabled account (the same answer for all).
pub async fn login(storage: &dyn Storage, email: &str, password: &str) -> Result<Option<Session>> {
    if password.len() > MAX_PASSWORD_CHARS * 4 {
        return Ok(None);
    }
    let found = storage.staff_user_by_email(&normal_email(email)).await?;
    let (user, phc) = match found {
        Some((user, Some(phc))) if user.disabled_at.is_none() => (Some(user), phc),
        _ => (None, decoy_hash().to_string()),
    };
    let password = password.to_string();
    let good = tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await?;
    let Some(user) = user.filter(|_| good) else {
        return Ok(None);
    };
    let token = new_token()?;
    let now = Utc::now();
    storage
        .create_staff_session(
            &sha256_hex(&token),
            user.id,
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await?;
    Ok(Some(Session { token, user }))
}

/// The account behind a session token, if the session is open and the account enabled.
pub async fn session_user(storage: &dyn Storage, token: &str) -> Result<Option<StaffUser>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    storage.staff_session(&sha256_hex(token), Utc::now()).await
}

pub async fn logout(storage: &dyn Storage, token: &str) -> Result<()> {
    storage.end_staff_session(&sha256_hex(token)).await
}

/// The token a session's forms carry (CSRF): derived from the session's secret, so it
/// needs no storage and is worthless without the cookie, which another site cannot read.
pub fn csrf_token(session_token: &str) -> String {
    sha256_hex(&format!("preau-csrf:{session_token}"))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let phc = hash_password("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterie", &phc));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn roles_and_actions_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().expect("role"), r);
        }
        assert!("root".parse::<Role>().is_err());
        assert_eq!(Action::parse("exported"), Some(Action::Exported));
        assert_eq!(Action::parse("nope"), None);
    }

    #[test]
    fn emails_are_checked_and_folded() {
        assert_eq!(
            normal_email("  Anne.Martin@Syndicat.FR "),
            "anne.martin@syndicat.fr"
        );
        assert!(check_email("anne@syndicat.fr").is_ok());
        for bad in [
            "",
            "anne",
            "@syndicat.fr",
            "anne@local",
            "a b@c.fr",
            "a\n@c.fr",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
    }
}
