//! Relais over HTTP: public pages, the back office, health and metrics. Pages are
//! server-rendered HTML (askama, auto-escaped) that work without JavaScript.

mod confirm_mail;
mod csv_export;
mod emails;
mod error;
mod extract;
mod fonts;
mod gift_mail;
pub mod i18n;
mod images;
mod impact_mail;
mod import_job;
mod limits;
mod message_mail;
mod metrics;
mod password;
mod payments;
mod post_mail;
mod receipt_pdf;
mod receipts;
mod render;
mod render_cache;
mod routes;
mod security;
mod sepa_mail;
mod session;
mod share_image;

use std::path::PathBuf;
use std::sync::Arc;

use relais_core::token::LinkSigner;
use relais_messaging::WorkerStats;
use relais_store::DynStore;

pub use error::AppError;
pub use post_mail::renderer;

/// What the web layer needs from the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Absolute URL of this installation, used in e-mailed links.
    pub base_url: url::Url,
    /// The data folder (logos under `media/`).
    pub data_dir: PathBuf,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Days a signature may stay unconfirmed (also the confirmation link's lifetime).
    pub signature_expiry_days: i64,
    /// Stripe's API address (a local server in tests).
    pub stripe_api_url: String,
    /// Associations without a payment provider take gifts on the sandbox page (demos, tests).
    pub sandbox_payments: bool,
    /// The platform operator donors may tip, if it asks for tips.
    pub tip_operator: Option<String>,
}

impl WebConfig {
    /// Cookies get `Secure` when the public URL is https (Relais behind a TLS proxy).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// An absolute link to `path` (which starts with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
}

/// Everything handlers share.
pub struct AppState {
    /// The database.
    pub store: DynStore,
    /// Signs and checks e-mailed links.
    pub signer: LinkSigner,
    /// Configuration.
    pub config: WebConfig,
    catalogues: Arc<i18n::Catalogues>,
    limits: limits::Limits,
    metrics: metrics::Metrics,
    /// The group-commit writer signatures go through.
    writer: relais_store::SignWriter,
    /// Petition figures computed at most every few seconds (GROUP BY over signatures).
    figures: routes::petition::FiguresCache,
    /// Rendered petition pages, reused for a second.
    pages: routes::petition::PageCache,
    /// Public petitions and their association, reused for a second.
    petitions: routes::petition::PetitionCache,
    /// Share images (PNG), re-rendered at most once a minute per petition and language.
    share_images: routes::share::ShareImageCache,
    /// Calls payment providers (one connection pool for every association).
    http: reqwest::Client,
}

/// Shared handle on the state.
pub type Shared = Arc<AppState>;

impl AppState {
    /// Builds the state; `worker_stats` are exported on `/metrics` when a worker runs here.
    pub fn new(
        store: DynStore,
        signer: LinkSigner,
        config: WebConfig,
        writer: relais_store::SignWriter,
        worker_stats: Option<Arc<WorkerStats>>,
    ) -> Shared {
        Arc::new(Self {
            store,
            signer,
            config,
            catalogues: Arc::new(i18n::Catalogues::load()),
            limits: limits::Limits::new(),
            metrics: metrics::Metrics::new(worker_stats),
            writer,
            figures: routes::petition::FiguresCache::default(),
            pages: routes::petition::PageCache::default(),
            petitions: routes::petition::PetitionCache::default(),
            share_images: routes::share::ShareImageCache::default(),
            http: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        })
    }

    /// Forgets what this process keeps of a petition (page, lookup, figures), after a
    /// change made here, so the person who made it sees it at once.
    pub(crate) fn petition_changed(&self, id: i64, slug: &str) {
        self.pages.forget(slug);
        self.petitions.forget(slug);
        self.figures.forget(id);
    }

    /// A translator for `locale`.
    pub fn tr(&self, locale: relais_core::Locale) -> i18n::Tr {
        i18n::Tr::new(self.catalogues.clone(), locale)
    }

    /// Issues a one-time sign-in link for `user_id` without sending it (CLI, demo).
    pub async fn login_link(&self, user_id: i64, org_id: Option<i64>) -> Result<String, AppError> {
        routes::auth::issue_login_link(self, user_id, org_id, None).await
    }
}

/// The application's routes and middleware.
pub fn router(state: Shared) -> axum::Router {
    routes::router(state)
}

/// Seconds since the epoch, the store's unit of time.
pub(crate) fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
