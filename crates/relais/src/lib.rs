//! The Relais binary's library: configuration, start-up and the commands, so that
//! `main` and the tests start Relais the same way, through [`launch`].

pub mod config;
pub mod datadir;
pub mod demo;

use std::future::Future;
use std::sync::Arc;

use relais_core::token::LinkSigner;
use relais_messaging::{Deliverer, DeliveryConfig, Worker};
use relais_store::{DynStore, SignWriter};
use relais_web::{AppState, WebConfig};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::Settings;

/// A failure of a command, with the exit code it deserves.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad usage or configuration: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Something failed while running: exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl RunError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Runtime(_) => 1,
        }
    }
}

/// What `serve` does besides serving.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeOptions {
    /// Seed the demo association into an empty database.
    pub demo: bool,
    /// Also run the delivery worker in this process.
    pub worker: bool,
}

/// Opens the database named by the settings (applying migrations).
pub async fn open_store(settings: &Settings) -> Result<DynStore, RunError> {
    datadir::ensure(&settings.data).map_err(|e| RunError::Runtime(e.to_string()))?;
    let url = settings.database_url();
    relais_store::open(url.expose_secret())
        .await
        .map_err(|e| RunError::Runtime(format!("cannot open the database {}: {e}", config::redact(&url))))
}

fn deliverer(settings: &Settings) -> Result<Arc<Deliverer>, RunError> {
    let config = DeliveryConfig {
        data_dir: settings.data.clone(),
        smtp_url: settings.smtp_url.as_ref().map(|s| s.expose_secret().to_owned()),
        sms_url: settings.sms_url.as_ref().map(|s| s.expose_secret().to_owned()),
        from_address: settings.email_from(),
    };
    Deliverer::new(&config)
        .map(Arc::new)
        .map_err(|e| RunError::Usage(e.to_string()))
}

fn web_config(settings: &Settings) -> WebConfig {
    WebConfig {
        base_url: settings.base_url(),
        data_dir: settings.data.clone(),
        trusted_proxies: settings.trusted_proxies.clone(),
        signature_expiry_days: settings.signature_expiry_days,
        stripe_api_url: settings.stripe_api_url.as_str().trim_end_matches('/').to_owned(),
        sandbox_payments: settings.sandbox_payments,
        tip_operator: settings.tip_operator.clone().filter(|s| !s.trim().is_empty()),
    }
}

/// The delivery worker `serve` and `worker` run (tests build theirs here too), with
/// the renderer of messages made at delivery (petition posts).
pub fn worker_for(settings: &Settings, store: &DynStore) -> Result<Worker, RunError> {
    let deliverer = deliverer(settings)?;
    let secret = datadir::secret(&settings.data).map_err(|e| RunError::Runtime(e.to_string()))?;
    let renderer = relais_web::renderer(store.clone(), LinkSigner::new(secret), web_config(settings));
    Ok(Worker::new(store.clone(), deliverer)
        .expire_signatures_after(settings.signature_expiry_days)
        .bulk_per_second(settings.bulk_per_second)
        .with_renderer(renderer))
}

fn app_state(
    settings: &Settings,
    store: DynStore,
    writer: SignWriter,
    stats: Option<Arc<relais_messaging::WorkerStats>>,
) -> Result<Arc<AppState>, RunError> {
    let secret = datadir::secret(&settings.data).map_err(|e| RunError::Runtime(e.to_string()))?;
    Ok(AppState::new(
        store,
        LinkSigner::new(secret),
        web_config(settings),
        writer,
        stats,
    ))
}

/// Starts Relais on `listener` and serves until `shutdown` completes, then stops
/// accepting, finishes in-flight requests and deliveries, and closes the database.
/// `main` and every test start Relais through this function.
pub async fn launch(
    listener: TcpListener,
    settings: Settings,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    datadir::ensure(&settings.data).map_err(|e| RunError::Runtime(e.to_string()))?;
    let mut settings = settings;
    // The demo association pays on the sandbox page: nothing to configure, no network.
    settings.sandbox_payments |= options.demo;
    // Two servers on one SQLite folder would fight over the write lock and each
    // believe it is alone; PostgreSQL installations may run many.
    let _lock = if settings.uses_sqlite() {
        Some(datadir::lock(&settings.data).map_err(|e| RunError::Runtime(e.to_string()))?)
    } else {
        None
    };
    let store = open_store(&settings).await?;
    // A bad SMTP or SMS setting is refused at start, even when this process does not deliver.
    deliverer(&settings)?;
    let worker = if options.worker {
        Some(worker_for(&settings, &store)?)
    } else {
        None
    };
    let (writer, writer_task) = SignWriter::spawn(store.clone());
    let state = app_state(&settings, store.clone(), writer, worker.as_ref().map(Worker::stats))?;

    if options.demo
        && let Some((user_id, org_id)) = demo::seed(&store).await.map_err(|e| RunError::Runtime(e.to_string()))?
    {
        let link = state
            .login_link(user_id, Some(org_id))
            .await
            .map_err(|e| RunError::Runtime(e.to_string()))?;
        println!(
            "Demo association \"{}\" created at {}o/{}",
            demo::SLUG,
            settings.base_url(),
            demo::SLUG
        );
        println!("One-time staff login link (valid 30 minutes): {link}");
    }
    if store
        .list_orgs()
        .await
        .map_err(|e| RunError::Runtime(e.to_string()))?
        .is_empty()
    {
        println!("No association yet: create one with `relais org create SLUG --name NAME --admin EMAIL`.");
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let worker_task = worker.map(|w| tokio::spawn(w.run(stop_rx)));
    let address = listener.local_addr().map_err(|e| RunError::Runtime(e.to_string()))?;
    tracing::info!(%address, database = store.backend(), base_url = %settings.base_url(), "Relais is listening");
    println!("Relais is listening on {}", settings.base_url());

    let app = relais_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;

    // The router (and every handle on the writer) is gone: the writer finishes
    // what was queued, then stops. Only then may the database close.
    let _ = writer_task.await;
    tracing::info!("shutting down: finishing deliveries");
    let _ = stop_tx.send(true);
    if let Some(task) = worker_task {
        let _ = task.await;
    }
    store.close().await;
    served.map_err(|e| RunError::Runtime(format!("server error: {e}")))
}

/// `relais worker`: delivers until `shutdown` (or once, with `once`).
pub async fn run_worker(
    settings: &Settings,
    once: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let store = open_store(settings).await?;
    let worker = worker_for(settings, &store)?;
    if once {
        let n = worker.drain().await.map_err(|e| RunError::Runtime(e.to_string()))?;
        println!("{n} message(s) attempted");
    } else {
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(worker.run(rx));
        shutdown.await;
        let _ = tx.send(true);
        let _ = task.await;
    }
    store.close().await;
    Ok(())
}

/// `relais org create`: creates the association and returns a login link.
pub async fn create_org(settings: &Settings, slug: &str, name: &str, admin: &str) -> Result<String, RunError> {
    let slug = relais_core::Slug::parse(slug).map_err(|e| RunError::Usage(format!("SLUG {slug:?}: {e}")))?;
    let admin = relais_core::Email::parse(admin).map_err(|e| RunError::Usage(format!("--admin {admin:?}: {e}")))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(RunError::Usage("--name must not be empty".into()));
    }
    let store = open_store(settings).await?;
    let new = relais_store::NewOrg {
        slug: slug.clone(),
        name: name.to_owned(),
        contact_email: admin.clone(),
    };
    let now = jiff::Timestamp::now().as_second();
    let (org, user) = store.create_org(&new, &admin, now).await.map_err(|e| match e {
        relais_store::StoreError::Conflict(_) => {
            RunError::Usage(format!("an association with the slug {slug:?} already exists"))
        }
        other => RunError::Runtime(other.to_string()),
    })?;
    let (writer, _) = SignWriter::spawn(store.clone());
    let state = app_state(settings, store.clone(), writer, None)?;
    let link = state
        .login_link(user.id, Some(org.id))
        .await
        .map_err(|e| RunError::Runtime(e.to_string()))?;
    store.close().await;
    Ok(link)
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("stop requested");
}
