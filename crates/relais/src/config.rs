//! Configuration: one struct, from flags or `RELAIS_*` environment variables (a
//! flag wins). Secrets (database and SMTP URLs may hold passwords) are kept in
//! `SecretString`, which never prints.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "relais",
    version,
    about = "Relais: self-hosted mobilisation platform for associations"
)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Data folder: SQLite database, signing secret, logos, outgoing files.
    #[arg(long, env = "RELAIS_DATA", default_value = "./relais-data", global = true)]
    pub data: PathBuf,
    /// Address and port to listen on.
    #[arg(long, env = "RELAIS_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// Database URL: `sqlite://…` or `postgres://…` (default: SQLite in the data folder).
    #[arg(long, env = "RELAIS_DATABASE_URL", value_parser = parse_database_url, global = true, hide_env_values = true)]
    pub database_url: Option<SecretString>,
    /// Public URL of this installation, used in e-mailed links (default: http://LISTEN).
    #[arg(long, env = "RELAIS_BASE_URL", value_parser = parse_base_url, global = true)]
    pub base_url: Option<url::Url>,
    /// Proxies (CIDRs, comma-separated) whose X-Forwarded-For is believed.
    #[arg(long, env = "RELAIS_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// SMTP server, `smtp://user:pass@host:587?tls=required` or `smtps://…` (default: .eml files).
    #[arg(long, env = "RELAIS_SMTP_URL", value_parser = parse_smtp_url, global = true, hide_env_values = true)]
    pub smtp_url: Option<SecretString>,
    /// SMS provider endpoint (default: text files in the data folder).
    #[arg(long, env = "RELAIS_SMS_URL", value_parser = parse_http_url, global = true, hide_env_values = true)]
    pub sms_url: Option<SecretString>,
    /// Sender address of e-mails (default: relais@ the host of the public URL).
    #[arg(long, env = "RELAIS_EMAIL_FROM", global = true)]
    pub email_from: Option<String>,
    /// Days a petition signature may stay unconfirmed before it is deleted.
    #[arg(long, env = "RELAIS_SIGNATURE_EXPIRY_DAYS", default_value_t = 14, value_parser = clap::value_parser!(i64).range(1..=365), global = true)]
    pub signature_expiry_days: i64,
    /// Bulk e-mails (posts to a petition's signers) sent per second at most, by each
    /// worker; 0 for no limit. Messages people wait for (confirmations) always go first.
    #[arg(long, env = "RELAIS_BULK_PER_SECOND", default_value_t = relais_messaging::DEFAULT_BULK_PER_SECOND, global = true)]
    pub bulk_per_second: u32,
    /// Stripe's API address; change it only to test against a local Stripe-compatible server.
    #[arg(long, env = "RELAIS_STRIPE_API_URL", default_value = "https://api.stripe.com", value_parser = parse_base_url, global = true)]
    pub stripe_api_url: url::Url,
    /// The platform operator's name: when set, donation forms offer an optional tip
    /// for it (never pre-selected, paid with one-off gifts, recorded apart from the gift).
    #[arg(long, env = "RELAIS_TIP_OPERATOR", global = true)]
    pub tip_operator: Option<String>,
    /// Lets donors "pay" on Relais's own sandbox page when their association has no
    /// payment provider configured (demos and tests; `serve --demo` turns it on).
    /// Sandbox gifts are not real money: never enable it in production.
    #[arg(long, env = "RELAIS_SANDBOX_PAYMENTS", global = true)]
    pub sandbox_payments: bool,
    /// Log filter, e.g. `info` or `relais=debug,info`.
    #[arg(long, env = "RELAIS_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format.
    #[arg(long, env = "RELAIS_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    pub log_format: String,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (and, unless --no-worker, the delivery worker).
    Serve {
        /// Seed a demo association when the database is empty, and print a staff login link.
        #[arg(long)]
        demo: bool,
        /// Do not deliver messages from this process (run `relais worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run the delivery worker alone.
    Worker {
        /// Deliver what is due, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Apply database migrations, then exit.
    Migrate,
    /// Manage associations.
    Org {
        /// What to do with associations.
        #[command(subcommand)]
        command: OrgCommand,
    },
}

/// `relais org …`.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an association and print a one-time login link for its first owner.
    Create {
        /// URL slug, e.g. `amis-du-puits`.
        slug: String,
        /// Public name.
        #[arg(long)]
        name: String,
        /// E-mail address of the first owner.
        #[arg(long)]
        admin: String,
    },
}

fn parse_database_url(s: &str) -> Result<SecretString, String> {
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| s.starts_with(p));
    if ok {
        Ok(SecretString::from(s.to_owned()))
    } else {
        Err("expected sqlite://… or postgres://…".into())
    }
}

fn parse_base_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("expected an absolute http(s) URL such as https://relais.example.org".into());
    }
    Ok(url)
}

fn parse_smtp_url(s: &str) -> Result<SecretString, String> {
    let url = url::Url::parse(s).map_err(|_| "expected smtp://host:port or smtps://host:port".to_owned())?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none() {
        return Err("expected smtp://host:port or smtps://host:port".into());
    }
    Ok(SecretString::from(s.to_owned()))
}

fn parse_http_url(s: &str) -> Result<SecretString, String> {
    parse_base_url(s).map(|_| SecretString::from(s.to_owned()))
}

/// Environment variables that look like settings but are not ones (typos lose
/// hours: `RELAIS_DATABSE_URL` would silently fall back to SQLite).
pub fn unknown_env_settings() -> Vec<String> {
    const KNOWN: &[&str] = &[
        "RELAIS_DATA",
        "RELAIS_LISTEN",
        "RELAIS_DATABASE_URL",
        "RELAIS_BASE_URL",
        "RELAIS_TRUSTED_PROXIES",
        "RELAIS_SMTP_URL",
        "RELAIS_SMS_URL",
        "RELAIS_EMAIL_FROM",
        "RELAIS_LOG",
        "RELAIS_LOG_FORMAT",
        "RELAIS_SIGNATURE_EXPIRY_DAYS",
        "RELAIS_BULK_PER_SECOND",
        "RELAIS_STRIPE_API_URL",
        "RELAIS_SANDBOX_PAYMENTS",
        "RELAIS_TIP_OPERATOR",
    ];
    std::env::vars()
        .map(|(k, _)| k)
        // RELAIS_TEST_* and RELAIS_REQUIRE_* belong to the test suite.
        .filter(|k| k.starts_with("RELAIS_") && !k.starts_with("RELAIS_TEST_") && !k.starts_with("RELAIS_REQUIRE_"))
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .collect()
}

impl Settings {
    /// The database URL to use.
    pub fn database_url(&self) -> SecretString {
        self.database_url
            .clone()
            .unwrap_or_else(|| SecretString::from(format!("sqlite://{}", self.data.join("relais.db").display())))
    }

    /// Whether the database is the data folder's SQLite file (which takes the folder lock).
    pub fn uses_sqlite(&self) -> bool {
        self.database_url().expose_secret().starts_with("sqlite:")
    }

    /// The public URL.
    pub fn base_url(&self) -> url::Url {
        self.base_url.clone().unwrap_or_else(|| {
            let host = if self.listen.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                self.listen.ip().to_string()
            };
            let host = if self.listen.is_ipv6() && !self.listen.ip().is_unspecified() {
                format!("[{host}]")
            } else {
                host
            };
            url::Url::parse(&format!("http://{host}:{}/", self.listen.port())).unwrap_or_else(|_| {
                // A SocketAddr always formats into a valid URL authority.
                url::Url::parse("http://127.0.0.1:8080/").unwrap_or_else(|_| unreachable!())
            })
        })
    }

    /// The sender address of e-mails.
    pub fn email_from(&self) -> String {
        self.email_from.clone().unwrap_or_else(|| match self.base_url().host() {
            Some(url::Host::Domain(d)) if d.contains('.') => format!("relais@{d}"),
            _ => "relais@localhost".to_owned(),
        })
    }
}

/// A URL with its password (if any) replaced, for error messages.
pub fn redact(url: &SecretString) -> String {
    match url::Url::parse(url.expose_secret()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(unparseable URL)".to_owned(),
    }
}
