//! Small request extractors: the visitor's language and address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use relais_core::Locale;

use crate::Shared;

/// Name of the cookie set by the language switch.
pub(crate) const LANG_COOKIE: &str = "lang";

/// The languages a request asks for: an explicit choice (switch cookie), then the
/// browser's preference. Pages fall back to the association's default language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lang {
    chosen: Option<Locale>,
    browser: Option<Locale>,
}

impl Lang {
    pub(crate) fn from_parts(parts: &Parts) -> Self {
        let jar = CookieJar::from_headers(&parts.headers);
        let chosen = jar.get(LANG_COOKIE).and_then(|c| Locale::parse(c.value()));
        let browser = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::negotiate);
        Self { chosen, browser }
    }

    /// The language to use, given the page's default.
    pub(crate) fn or(self, default: Locale) -> Locale {
        self.chosen.or(self.browser).unwrap_or(default)
    }

    /// The visitor's own preference (switch, then browser), if any: what a page
    /// rendered for this visitor depends on, besides the association's default.
    pub(crate) fn preference(self) -> Option<Locale> {
        self.chosen.or(self.browser)
    }

    /// The language to use where no association default applies.
    pub(crate) fn resolve(self) -> Locale {
        self.or(Locale::default())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

/// The client's address: the peer, or the last untrusted hop of `X-Forwarded-For`
/// when the peer is a configured trusted proxy. Never believed blindly: anyone
/// can send that header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub IpAddr);

impl FromRequestParts<Shared> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        Ok(Self(client_ip(peer, parts, &state.config.trusted_proxies)))
    }
}

fn client_ip(peer: IpAddr, parts: &Parts, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    let hops: Vec<IpAddr> = forwarded
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    // Walk from the nearest hop back; the first address that is not one of our
    // proxies is the client. Hops further left could be forged by the client.
    hops.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

/// A multipart form read whole: its text fields, and the bytes of its one file
/// field (`None` when absent or empty).
pub(crate) struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    /// Every text field in the order sent, repeated names included (rows of a table).
    pub all: Vec<(String, String)>,
    pub file: Option<Vec<u8>>,
    /// The file's name as the browser sent it (shown, never used as a path).
    pub file_name: Option<String>,
}

impl Upload {
    /// Reads `multipart`, keeping the file sent as `file_field`.
    pub(crate) async fn read(
        mut multipart: axum::extract::Multipart,
        file_field: &str,
    ) -> Result<Self, crate::AppError> {
        fn fail(e: &axum::extract::multipart::MultipartError) -> crate::AppError {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                crate::AppError::TooLarge
            } else {
                crate::AppError::BadRequest(e.body_text())
            }
        }
        let mut upload = Self {
            fields: std::collections::HashMap::new(),
            all: Vec::new(),
            file: None,
            file_name: None,
        };
        while let Some(field) = multipart.next_field().await.map_err(|e| fail(&e))? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == file_field {
                upload.file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| fail(&e))?;
                upload.file = (!bytes.is_empty()).then(|| bytes.to_vec());
            } else {
                let text = field.text().await.map_err(|e| fail(&e))?;
                upload.all.push((name.clone(), text.clone()));
                upload.fields.insert(name, text);
            }
        }
        Ok(upload)
    }

    /// A text field, empty when absent.
    pub(crate) fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(xff: &str) -> Parts {
        let (parts, ()) = axum::http::Request::builder()
            .header("x-forwarded-for", xff)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(peer, &parts("1.2.3.4"), &[]), peer);
    }

    #[test]
    fn the_first_untrusted_hop_behind_our_proxies_is_the_client() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let got = client_ip(peer, &parts("6.6.6.6, 198.51.100.7, 10.0.0.5"), &trusted);
        assert_eq!(got, "198.51.100.7".parse::<IpAddr>().unwrap());
    }
}
