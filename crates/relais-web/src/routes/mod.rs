//! The route table: public pages, sign-in, and the back office, each with the
//! middleware it needs.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod api;
pub(crate) mod api_keys_admin;
pub(crate) mod assets;
pub(crate) mod auth;
pub(crate) mod campaign_project_admin;
pub(crate) mod campaigns_admin;
pub(crate) mod donate;
pub(crate) mod gifts_admin;
pub(crate) mod loop_admin;
pub(crate) mod mandate;
pub(crate) mod me;
pub(crate) mod me_story;
pub(crate) mod merge_admin;
pub(crate) mod message_segment;
pub(crate) mod message_send_admin;
pub(crate) mod messages_admin;
pub(crate) mod newsletter;
pub(crate) mod offline_batches_admin;
pub(crate) mod payments_admin;
pub(crate) mod people;
pub(crate) mod people_import;
pub(crate) mod people_import_report;
pub(crate) mod person_export;
pub(crate) mod person_record;
pub(crate) mod petition;
pub(crate) mod petitions_admin;
pub(crate) mod pledge_stop;
pub(crate) mod posts_admin;
pub(crate) mod project;
pub(crate) mod project_ledger_admin;
pub(crate) mod project_page_admin;
pub(crate) mod project_photos_admin;
pub(crate) mod project_updates_admin;
pub(crate) mod projects_admin;
pub(crate) mod proposals;
pub(crate) mod public;
pub(crate) mod receipts_admin;
pub(crate) mod retention_admin;
pub(crate) mod segments_admin;
pub(crate) mod sepa_admin;
pub(crate) mod settings;
pub(crate) mod share;
pub(crate) mod sign;
pub(crate) mod signatures_admin;
pub(crate) mod sources_admin;
pub(crate) mod staff;
pub(crate) mod stripe_webhook;
pub(crate) mod unsubscribe;
pub(crate) mod widget;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::Shared;

pub(crate) fn router(state: Shared) -> Router {
    // Back-office and sign-in pages are personal: never cached anywhere.
    let private = Router::new()
        .route("/admin/login", get(auth::login_page).post(auth::send_login_link))
        .route("/admin/login/password", post(auth::password_login))
        .route("/admin/auth", get(auth::consume_login_link))
        .route("/admin/logout", post(auth::logout))
        .route(
            "/admin/password/forgot",
            get(auth::forgot_page).post(auth::send_reset_link),
        )
        .route(
            "/admin/password/reset",
            get(auth::reset_page).post(auth::reset_password),
        )
        .route("/admin", get(admin::dashboard))
        .route("/admin/switch", post(admin::switch_org))
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/outbox/{id}/retry", post(admin::retry))
        .route("/admin/settings", get(settings::show).post(settings::save))
        .route(
            "/admin/settings/logo",
            post(settings::upload_logo).layer(DefaultBodyLimit::max(crate::images::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/settings/logo/remove", post(settings::remove_logo))
        .route("/admin/staff", get(staff::show))
        .route("/admin/staff/invite", post(staff::invite))
        .route("/admin/staff/{user_id}/role", post(staff::set_role))
        .route("/admin/staff/{user_id}/remove", post(staff::remove))
        .route(
            "/admin/petitions",
            get(petitions_admin::list).post(petitions_admin::create),
        )
        .route("/admin/petitions/new", get(petitions_admin::new))
        .route(
            "/admin/petitions/{id}",
            get(petitions_admin::edit).post(petitions_admin::update),
        )
        .route("/admin/petitions/{id}/state", post(petitions_admin::set_state))
        .route("/admin/petitions/{id}/signatures.csv", get(signatures_admin::export))
        .route("/admin/petitions/{id}/abuse", get(signatures_admin::abuse))
        .route(
            "/admin/petitions/{id}/invalidate-by",
            post(signatures_admin::invalidate_by),
        )
        .route("/admin/petitions/{id}/moderate", post(petitions_admin::moderate))
        .route(
            "/admin/petitions/{id}/image",
            post(petitions_admin::upload_image)
                .layer(DefaultBodyLimit::max(crate::images::MAX_PHOTO_BYTES + 256 * 1024)),
        )
        .route(
            "/admin/petitions/{id}/image/remove",
            post(petitions_admin::remove_image),
        )
        .route("/admin/petitions/{id}/invalidate", post(signatures_admin::invalidate))
        .route("/admin/petitions/{id}/posts", get(posts_admin::show))
        .route("/admin/petitions/{id}/sources", get(sources_admin::show))
        .route(
            "/admin/petitions/{id}/posts/{kind}",
            post(posts_admin::create).layer(DefaultBodyLimit::max(
                crate::images::MAX_PHOTO_BYTES.max(posts_admin::MAX_DOCUMENT_BYTES) + 256 * 1024,
            )),
        )
        .route(
            "/admin/campaigns",
            get(campaigns_admin::list).post(campaigns_admin::create),
        )
        .route(
            "/admin/projects",
            get(projects_admin::list).post(projects_admin::create),
        )
        .route(
            "/admin/projects/{id}",
            get(projects_admin::show).post(projects_admin::update),
        )
        .route("/admin/projects/{id}/state", post(projects_admin::set_state))
        .route("/admin/projects/{id}/stage", post(projects_admin::set_stage))
        .route("/admin/projects/{id}/figures", post(projects_admin::set_figures))
        .route(
            "/admin/projects/{id}/photos",
            post(project_photos_admin::upload)
                .layer(DefaultBodyLimit::max(crate::images::MAX_PHOTO_BYTES + 256 * 1024)),
        )
        .route(
            "/admin/projects/{id}/photos/{photo}/remove",
            post(project_photos_admin::remove),
        )
        .route("/admin/projects/{id}/expenses", post(project_ledger_admin::add_expense))
        .route(
            "/admin/projects/{id}/expenses/{expense}/remove",
            post(project_ledger_admin::remove_expense),
        )
        .route("/admin/projects/{id}/allocate", post(project_ledger_admin::allocate))
        .route(
            "/admin/projects/{id}/allocations/{batch}/undo",
            post(project_ledger_admin::undo),
        )
        .route("/admin/projects/loop", get(loop_admin::show))
        .route(
            "/admin/campaigns/{id}/project",
            post(campaign_project_admin::move_project),
        )
        .route(
            "/admin/projects/{id}/updates",
            post(project_updates_admin::create)
                .layer(DefaultBodyLimit::max(crate::images::MAX_PHOTO_BYTES + 256 * 1024)),
        )
        .route(
            "/admin/projects/{id}/updates/{update}/remove",
            post(project_updates_admin::remove),
        )
        .route("/admin/gifts/offline", post(campaigns_admin::offline))
        .route(
            "/admin/gifts/batch",
            get(offline_batches_admin::list).post(offline_batches_admin::submit),
        )
        .route("/admin/gifts/batch/{id}", get(offline_batches_admin::show))
        .route("/admin/gifts.csv", get(campaigns_admin::export_csv))
        .route("/admin/gifts", get(gifts_admin::list))
        .route("/admin/gifts/{id}/refund", post(gifts_admin::refund))
        .route("/admin/payments", get(payments_admin::show).post(payments_admin::save))
        .route("/admin/receipts", get(receipts_admin::list))
        .route("/admin/receipts/annual", post(receipts_admin::annual))
        .route("/admin/receipts/{id}", get(receipts_admin::show))
        .route("/admin/receipts/{id}/pdf", get(receipts_admin::pdf))
        .route("/admin/receipts/{id}/replace", post(receipts_admin::replace))
        .route("/admin/pledges/{reference}/stop", post(payments_admin::stop))
        .route("/admin/sepa", get(sepa_admin::show))
        .route("/admin/sepa/runs", post(sepa_admin::prepare))
        .route("/admin/sepa/runs/{id}", get(sepa_admin::run))
        .route("/admin/sepa/runs/{id}/pain008.xml", get(sepa_admin::file))
        .route("/admin/sepa/runs/{id}/settle", post(sepa_admin::settle))
        .route("/admin/sepa/debits/{gift}/reject", post(sepa_admin::reject))
        .route("/admin/gifts/{id}/receipt.pdf", get(campaigns_admin::receipt))
        .route("/admin/people", get(people::list))
        .route("/admin/people.csv", get(people::export_csv))
        .route(
            "/admin/people/retention",
            get(retention_admin::show).post(retention_admin::save),
        )
        .route("/admin/people/duplicates", get(merge_admin::duplicates))
        .route("/admin/people/duplicates/distinct", post(merge_admin::distinct))
        .route("/admin/people/merge", get(merge_admin::show).post(merge_admin::merge))
        .route(
            "/admin/messages",
            get(messages_admin::list).post(messages_admin::create),
        )
        .route("/admin/messages/new", get(messages_admin::new))
        .route(
            "/admin/messages/{id}",
            get(messages_admin::show).post(messages_admin::update),
        )
        .route("/admin/messages/{id}/test", post(message_send_admin::test))
        .route("/admin/messages/{id}/send", post(message_send_admin::send))
        .route("/admin/messages/{id}/schedule", post(message_send_admin::schedule))
        .route("/admin/messages/{id}/cancel", post(message_send_admin::cancel))
        .route("/admin/segments", post(segments_admin::save))
        .route("/admin/segments/{id}/delete", post(segments_admin::delete))
        .route(
            "/admin/people/import",
            get(people_import::list)
                .post(people_import::upload)
                .layer(DefaultBodyLimit::max(people_import::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/people/imports", get(people_import::list))
        .route("/admin/people/imports/{id}", get(people_import_report::show))
        .route("/admin/people/imports/{id}/check", post(people_import_report::check))
        .route("/admin/people/imports/{id}/run", post(people_import_report::run))
        .route(
            "/admin/people/imports/{id}/refused.csv",
            get(people_import_report::refused_csv),
        )
        .route("/admin/people/{id}/tags", post(people::tag))
        .route("/admin/people/{id}/interests", post(person_record::interest))
        .route("/admin/people/{id}/record", post(person_record::save))
        .route("/admin/people/{id}/notes", post(people::note))
        .route("/admin/people/{id}", get(people::show))
        .route("/admin/people/{id}/export.json", get(people::export))
        .route("/admin/people/{id}/export.html", get(person_export::show))
        .route("/admin/people/{id}/erase", post(people::erase))
        .route(
            "/admin/api-keys",
            get(api_keys_admin::show).post(api_keys_admin::create),
        )
        .route("/admin/api-keys/{id}/revoke", post(api_keys_admin::revoke))
        .route("/admin/account", get(account::show))
        .route("/admin/account/password", post(account::set_password))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    let public = Router::new()
        .route("/", get(public::home))
        .route("/o/{slug}", get(public::org_page))
        .route(
            "/o/{slug}/propose",
            get(proposals::show)
                .post(proposals::submit)
                .layer(DefaultBodyLimit::max(crate::images::MAX_PHOTO_BYTES + 256 * 1024)),
        )
        .route("/o/{slug}/propose/thanks", get(proposals::thanks))
        .route(
            "/o/{slug}/newsletter",
            get(newsletter::sent).post(newsletter::subscribe),
        )
        .route("/o/{slug}/newsletter/confirm", get(newsletter::confirm))
        .route("/o/{slug}/newsletter/widget", get(newsletter::widget))
        .route("/p/{slug}", get(petition::show))
        .route("/p/{slug}/sign", post(sign::sign))
        .route("/p/{slug}/share.png", get(share::image))
        .route("/p/{slug}/widget", get(widget::page))
        .route("/widget.js", get(widget::script))
        .route("/p/{slug}/thanks", get(sign::thanks))
        .route("/p/{slug}/confirm", get(sign::confirm))
        .route("/p/{slug}/resend", post(sign::resend))
        .route("/projects/{slug}", get(project::show))
        .route("/d/{slug}", get(donate::show).post(donate::give))
        .route(
            "/d/{slug}/sandbox/{reference}",
            get(donate::sandbox).post(donate::sandbox_outcome),
        )
        .route("/d/{slug}/merci/{reference}", get(donate::thanks))
        .route("/d/{slug}/mandat/{reference}", get(mandate::show).post(mandate::sign))
        .route("/d/stop/{token}", get(pledge_stop::show).post(pledge_stop::stop))
        .route("/webhooks/stripe/{org}", post(stripe_webhook::receive))
        .route("/me/{token}", get(me::show))
        .route("/me/{token}/receipts/{file}", get(me::receipt))
        .route("/me/{token}/consents", post(me::consent))
        .route("/me/{token}/erase", post(me::erase_request))
        .route("/u/{token}", get(unsubscribe::page_get).post(unsubscribe::change))
        .route("/r/{token}", get(unsubscribe::click))
        .route("/lang/{code}", get(public::switch_language))
        .route("/api/v1/donations/{id}/outcomes", post(api::report_outcome))
        .route("/healthz", get(public::healthz))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/static/{file}", get(assets::static_file))
        .route("/theme/{file}", get(assets::theme))
        .route("/media/{file}", get(assets::media));

    Router::new()
        .merge(private)
        .merge(public)
        .fallback(public::not_found)
        .layer(DefaultBodyLimit::max(256 * 1024))
        .layer(middleware::from_fn(crate::security::origin_guard))
        .layer(middleware::from_fn_with_state(state.clone(), crate::error::error_pages))
        .layer(middleware::from_fn(crate::security::security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                // The path only: query strings may carry sign-in tokens, and so do
                // the paths of message links, which are cut.
                tracing::info_span!("http", method = %request.method(), path = loggable_path(request.uri().path()))
            }),
        )
        .with_state(state)
}

/// A request path fit for logs: message links (`/u/…`, `/r/…`) carry their token
/// in the path, and a token in a log is a way in for whoever reads the log.
fn loggable_path(path: &str) -> &str {
    match path.get(..3) {
        Some("/u/") => "/u/…",
        Some("/r/") => "/r/…",
        _ if path.starts_with("/me/") => "/me/…",
        // Gift references and stop links: whoever holds one sees a donor's page.
        _ if path.starts_with("/d/") && path.matches('/').count() > 2 => "/d/…",
        _ => path,
    }
}
