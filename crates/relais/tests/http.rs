//! The web app as people use it: public pages, signing in, the back office.
//! Each test starts the real app on a random port with a fresh database.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

async fn owner_signed_in(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
}

async fn csrf_of(app: &TestApp, path: &str) -> String {
    let page = app.get(path).await.text().await.unwrap();
    hidden(&page, "csrf")
}

#[tokio::test]
async fn the_home_page_speaks_french_and_english_on_request() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let fr = app.get("/").await;
    assert_eq!(fr.status(), StatusCode::OK);
    assert!(fr.headers()["vary"].to_str().unwrap().contains("Accept-Language"));
    let html = fr.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Les Amis du Puits") && html.contains("Nous écrire"));
    let en = app
        .client
        .get(app.url("/o/amis"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(en.text().await.unwrap().contains("Write to us"));
    // The switch wins over the browser, and comes back to the page.
    let switch = app.get("/lang/en?next=%2Fo%2Famis").await;
    assert_eq!(
        (switch.status(), location(&switch).as_str()),
        (StatusCode::SEE_OTHER, "/o/amis")
    );
    let chosen = app
        .client
        .get(app.url("/o/amis"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert!(chosen.text().await.unwrap().contains("<html lang=\"en\">"));
    assert_eq!(
        location(&app.get("/lang/fr?next=https://evil.example").await),
        "/",
        "no open redirect"
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_pages_get_a_translated_404_and_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let r = app
        .client
        .get(app.url("/nope"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.text().await.unwrap().contains("Page not found"));
    assert_eq!(app.get("/o/nobody").await.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

on_both_backends!(staff_sign_in_by_emailed_link_and_edit_the_settings);

async fn staff_sign_in_by_emailed_link_and_edit_the_settings(app: &TestApp) {
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let sent = app.post("/admin/login", &[("email", "Chair@Amis.example")]).await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(sent.text().await.unwrap().contains("Vérifiez votre boîte mail"));
    let email = app.last_email_to("chair@amis.example").await;
    assert_eq!(email.subject, "Votre lien de connexion à Relais");
    assert!(email.html.contains("Me connecter"));
    let link = link_in(&email, &app.url("/admin/auth?token="));
    let r = app.client.get(&link).send().await.unwrap();
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/admin"));
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let dashboard = app.get("/admin").await;
    assert_eq!(dashboard.headers()["cache-control"], "no-store");
    assert!(dashboard.text().await.unwrap().contains("Propriétaire"));

    let csrf = csrf_of(app, "/admin/settings").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Les Amis de l'Eau"),
        ("slug", "amis-eau"),
        ("contact_email", "contact@amis.example"),
        ("primary_color", "#0f5f8a"),
        ("accent_color", "#7c2d12"),
        ("legal_name", ""),
        ("rna", "w751234567"),
        ("siren", ""),
        ("address", "1 rue de la Paix, Paris"),
        ("purpose", "L'eau pour tous"),
        ("tax_eligible", "on"),
        ("timezone", "Europe/Paris"),
        ("default_locale", "en"),
    ];
    let saved = app.post("/admin/settings", &form).await;
    assert_eq!(
        (saved.status(), location(&saved).as_str()),
        (StatusCode::SEE_OTHER, "/admin/settings?done=saved")
    );
    let public = app.get("/o/amis-eau").await.text().await.unwrap();
    assert!(public.contains("Les Amis de l&#39;Eau"), "escaped and saved");
    assert!(public.contains("<html lang=\"en\">"), "the new default language");
    assert!(public.contains("W751234567"));
    assert_eq!(
        app.get("/theme/amis-eau.css").await.text().await.unwrap(),
        ":root{--brand:#0f5f8a;--accent:#7c2d12}\n"
    );

    // The link worked once; a second click explains and offers a new one.
    let again = app.client.get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body = again.text().await.unwrap();
    assert!(body.contains("Ce lien n’est pas valide") && body.contains("action=\"/admin/login\""));
}

#[tokio::test]
async fn refused_settings_keep_what_was_typed_with_each_error_beside_its_field() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    owner_signed_in(&app).await;
    let csrf = csrf_of(&app, "/admin/settings").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Nom <b>gardé</b>"),
        ("slug", "Pas Bon"),
        ("contact_email", "pas-une-adresse"),
        ("primary_color", "#ffee00"),
        ("accent_color", "#9a3412"),
        ("rna", ""),
        ("siren", ""),
        ("address", ""),
        ("purpose", ""),
        ("tax_eligible", "on"),
        ("timezone", "Mars/Olympus"),
        ("default_locale", "fr"),
    ];
    let r = app.post("/admin/settings", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Nom &#60;b&#62;gardé&#60;/b&#62;\""),
        "kept and escaped"
    );
    assert!(html.contains("value=\"pas-une-adresse\""));
    assert!(html.contains("id=\"contact_email-error\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("contraste"), "contrast explained");
    assert!(
        html.contains("id=\"rna-error\"")
            && html.contains("id=\"timezone-error\"")
            && html.contains("id=\"slug-error\"")
    );
    assert!(
        html.contains("href=\"#contact_email\""),
        "the summary links to the field"
    );
    // Nothing was saved.
    assert!(
        app.get("/o/amis")
            .await
            .text()
            .await
            .unwrap()
            .contains("Les Amis du Puits")
    );
    // A slug already taken is refused the same way.
    app.create_org("autre", "Autre", "x@autre.example").await;
    let mut taken = form.to_vec();
    for (k, v) in &mut taken {
        match *k {
            "name" => *v = "Amis",
            "slug" => *v = "autre",
            "contact_email" => *v = "a@b.example",
            "primary_color" => *v = "#0f5f8a",
            "tax_eligible" => *v = "",
            "timezone" => *v = "Europe/Paris",
            _ => {}
        }
    }
    let r = app.post("/admin/settings", &taken).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("déjà prise"));
    app.stop().await;
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_our_own_origin() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    owner_signed_in(&app).await;
    let no_token = app.post("/admin/settings", &[("name", "Pirate")]).await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let csrf = csrf_of(&app, "/admin/settings").await;
    let cross = app
        .client
        .post(app.url("/admin/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert!(cross.text().await.unwrap().contains("ne provient pas de ce site"));
    let site = app
        .client
        .post(app.url("/admin/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "a@b.c")])
        .send()
        .await
        .unwrap();
    assert_eq!(site.status(), StatusCode::FORBIDDEN);
    // Still signed in: nothing happened.
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn roles_are_enforced_on_every_back_office_route() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    owner_signed_in(&app).await;
    let csrf = csrf_of(&app, "/admin/staff").await;
    let r = app
        .post(
            "/admin/staff/invite",
            &[
                ("csrf", csrf.as_str()),
                ("email", "Lea@Amis.example"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/admin/staff?done=invited&email=lea%40amis.example");
    let staff_page = app.get("/admin/staff").await.text().await.unwrap();
    assert!(staff_page.contains("lea@amis.example") && staff_page.contains("Invitation envoyée"));
    let invitation = app.last_email_to("lea@amis.example").await;
    assert_eq!(invitation.subject, "Les Amis du Puits vous invite dans son équipe");
    assert!(
        invitation
            .text
            .contains("chair@amis.example vous invite à rejoindre l’équipe de Les Amis du Puits"),
        "{}",
        invitation.text
    );
    assert!(invitation.text.contains("Lecteur·rice"));
    assert!(
        invitation.from.starts_with("\"Les Amis du Puits\""),
        "{}",
        invitation.from
    );

    let viewer = TestAppClient::new(&app);
    viewer
        .follow(&link_in(&invitation, &app.url("/admin/auth?token=")))
        .await;
    assert_eq!(viewer.get("/admin").await.status(), StatusCode::OK);
    assert_eq!(viewer.get("/admin/settings").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/admin/outbox").await.status(), StatusCode::FORBIDDEN);
    let viewer_staff = viewer.get("/admin/staff").await.text().await.unwrap();
    assert!(
        !viewer_staff.contains("action=\"/admin/staff/invite\""),
        "no invite form for a viewer"
    );
    let vcsrf = hidden(&viewer_staff, "csrf");
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        ("/admin/settings", vec![("csrf", &vcsrf), ("name", "X")]),
        (
            "/admin/staff/invite",
            vec![("csrf", &vcsrf), ("email", "x@y.example"), ("role", "owner")],
        ),
        ("/admin/outbox/1/retry", vec![("csrf", &vcsrf)]),
        ("/admin/settings/logo/remove", vec![("csrf", &vcsrf)]),
    ];
    for (path, form) in forms {
        assert_eq!(viewer.post(path, &form).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // The owner promotes the viewer; it takes effect at once.
    let lea = app
        .store
        .user_by_email(&relais_core::Email::parse("lea@amis.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post(
            &format!("/admin/staff/{}/role", lea.id),
            &[("csrf", csrf.as_str()), ("role", "admin")],
        )
        .await;
    assert_eq!(location(&r), "/admin/staff?done=role");
    assert_eq!(viewer.get("/admin/settings").await.status(), StatusCode::OK);
    // The last owner cannot step down.
    let me = app
        .store
        .user_by_email(&relais_core::Email::parse("chair@amis.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post(
            &format!("/admin/staff/{}/role", me.id),
            &[("csrf", csrf.as_str()), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("au moins un·e propriétaire"));
    // Removing someone ends their access.
    let r = app
        .post(&format!("/admin/staff/{}/remove", lea.id), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(location(&r), "/admin/staff?done=removed");
    assert_eq!(viewer.get("/admin/settings").await.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

/// A second browser on the same app.
struct TestAppClient<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
}

impl<'a> TestAppClient<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self { app, client: client() }
    }
    async fn follow(&self, link: &str) {
        let r = self.client.get(link).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.app.url(path)).send().await.unwrap()
    }
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.app.url(path)).form(form).send().await.unwrap()
    }
}

#[tokio::test]
async fn a_person_in_two_associations_switches_between_them_and_no_further() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    owner_signed_in(&app).await;
    app.create_org("velo", "Vélo Cité", "chair@amis.example").await;
    let third = app.create_org("secret", "Secret", "other@secret.example").await;
    drop(third);
    let dashboard = app.get("/admin").await.text().await.unwrap();
    assert!(dashboard.contains("id=\"switch-org\""));
    assert!(
        !dashboard.contains(">Secret<"),
        "only the person's associations are offered"
    );
    let csrf = hidden(&dashboard, "csrf");
    let velo = app.store.org_by_slug("velo").await.unwrap().unwrap();
    let secret = app.store.org_by_slug("secret").await.unwrap().unwrap();
    let r = app
        .post(
            "/admin/switch",
            &[("csrf", csrf.as_str()), ("org_id", &velo.id.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        app.get("/admin/settings")
            .await
            .text()
            .await
            .unwrap()
            .contains("value=\"Vélo Cité\"")
    );
    let forged = app
        .post(
            "/admin/switch",
            &[("csrf", csrf.as_str()), ("org_id", &secret.id.to_string())],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        app.get("/admin/settings")
            .await
            .text()
            .await
            .unwrap()
            .contains("value=\"Vélo Cité\"")
    );
    app.stop().await;
}

on_both_backends!(passwords_sign_in_and_can_be_reset_by_email);

async fn passwords_sign_in_and_can_be_reset_by_email(app: &TestApp) {
    owner_signed_in(app).await;
    let csrf = csrf_of(app, "/admin/account").await;
    let short = app
        .post(
            "/admin/account/password",
            &[("csrf", csrf.as_str()), ("password", "short")],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text().await.unwrap().contains("au moins 10 caractères"));
    let set = app
        .post(
            "/admin/account/password",
            &[("csrf", csrf.as_str()), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(location(&set), "/admin/account?done=account-password");
    let csrf = csrf_of(app, "/admin/account").await;
    let out = app.post("/admin/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(location(&out), "/admin/login");
    assert_eq!(
        location(&app.get("/admin/settings").await),
        "/admin/login?next=%2Fadmin%2Fsettings"
    );

    let wrong = app
        .post(
            "/admin/login/password",
            &[("email", "chair@amis.example"), ("password", "wrong horse battery")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Adresse ou mot de passe incorrect") && html.contains("value=\"chair@amis.example\""));
    let ok = app
        .post(
            "/admin/login/password",
            &[
                ("email", "chair@amis.example"),
                ("password", "correct horse battery"),
                ("next", "/admin/settings"),
            ],
        )
        .await;
    assert_eq!(
        (ok.status(), location(&ok).as_str()),
        (StatusCode::SEE_OTHER, "/admin/settings")
    );

    let other_browser = client();
    let r = other_browser
        .post(app.url("/admin/password/forgot"))
        .form(&[("email", "chair@amis.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let email = app.last_email_to("chair@amis.example").await;
    let link = link_in(&email, &app.url("/admin/password/reset?token="));
    let form = other_browser.get(&link).send().await.unwrap().text().await.unwrap();
    let token = hidden(&form, "token");
    let r = other_browser
        .post(app.url("/admin/password/reset"))
        .form(&[("token", token.as_str()), ("password", "a brand new passphrase")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/admin?done=password");
    // The reset signed out every other session, including the first browser's.
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
    let reuse = other_browser
        .post(app.url("/admin/password/reset"))
        .form(&[("token", token.as_str()), ("password", "yet another passphrase")])
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), StatusCode::BAD_REQUEST, "a reset link works once");
    let ok = app
        .post(
            "/admin/login/password",
            &[("email", "chair@amis.example"), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn tampered_or_expired_links_explain_and_offer_a_new_one() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let tampered = format!("{}x", link);
    let r = app.client.get(&tampered).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Ce lien n’est pas valide"));
    let secret = std::fs::read_to_string(app.data.join("secret.key")).unwrap();
    let signer = relais_core::token::LinkSigner::new(hex_decode(secret.trim()));
    let expired = signer.sign("login", "whatever", 1_000);
    let r = app
        .client
        .get(app.url(&format!("/admin/auth?token={expired}")))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("This link has expired") && html.contains("Send me a sign-in link"));
    // The original link still works.
    app.follow_login_link(&link).await;
    app.stop().await;
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn sign_in_requests_never_reveal_accounts_and_are_rate_limited() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let known = app
        .post("/admin/login", &[("email", "chair@amis.example")])
        .await
        .text()
        .await
        .unwrap();
    let unknown = app
        .post("/admin/login", &[("email", "nobody@amis.example")])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(known, unknown);
    let bad = app.post("/admin/login", &[("email", "not an address")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("value=\"not an address\""));
    app.drain().await;
    assert_eq!(app.emails().len(), 1, "only the staff member got a link");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.post("/admin/login", &[("email", "chair@amis.example")])
                .await
                .status(),
        );
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let limited = app.post("/admin/login", &[("email", "chair@amis.example")]).await;
    assert_eq!(limited.headers()["retry-after"], "60");
    app.stop().await;
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([15, 95, 138]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_logo_is_uploaded_resized_and_served_from_the_data_folder() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    owner_signed_in(&app).await;
    let csrf = csrf_of(&app, "/admin/settings").await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part("logo", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.client.post(app.url("/admin/settings/logo")).multipart(form).send()
    };
    let r = upload(png(1200, 600), "logo.png").await.unwrap();
    assert_eq!(location(&r), "/admin/settings?done=logo");
    let public = app.get("/o/amis").await.text().await.unwrap();
    let start = public.find("/media/logo-").expect("logo on the public page");
    let url = public[start..].split('"').next().unwrap().to_owned();
    let served = app.get(&url).await;
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(
        served.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let img = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 128));
    assert!(app.data.join("media").join(url.trim_start_matches("/media/")).exists());
    let bad = upload(b"%PDF-1.4 not an image".to_vec(), "x.pdf").await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("id=\"logo-error\""));
    assert_eq!(app.get("/media/..%2Fsecret.key").await.status(), StatusCode::NOT_FOUND);
    let r = app
        .post("/admin/settings/logo/remove", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(location(&r), "/admin/settings?done=logo-removed");
    assert!(!app.get("/o/amis").await.text().await.unwrap().contains("/media/logo-"));
    assert_eq!(app.get(&url).await.status(), StatusCode::NOT_FOUND, "the file is gone");
    app.stop().await;
}

#[tokio::test]
async fn failed_deliveries_are_listed_with_their_error_and_can_be_retried() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    owner_signed_in(&app).await;
    let csrf = csrf_of(&app, "/admin/staff").await;
    // An address our SMTP side refuses outright: dead-lettered on the first attempt.
    app.post(
        "/admin/staff/invite",
        &[
            ("csrf", csrf.as_str()),
            ("email", "bad@-invalid-.example"),
            ("role", "editor"),
        ],
    )
    .await;
    let org = app.store.org_by_slug("amis").await.unwrap().unwrap();
    let msg = relais_store::NewMessage {
        org_id: Some(org.id),
        channel: relais_store::Channel::Email,
        recipient: "not-an-address".into(),
        payload: relais_store::Payload {
            subject: "Merci !".into(),
            text: "x".into(),
            html: None,
            from_name: None,
            reply_to: None,
            ..Default::default()
        },
        idempotency_key: "test:dead".into(),
    };
    app.store.enqueue(&msg, 0).await.unwrap();
    app.drain().await;
    let page = app.get("/admin/outbox").await.text().await.unwrap();
    assert!(
        page.contains("not-an-address") && page.contains("Merci !") && page.contains("permanent failure"),
        "{page}"
    );
    let dashboard = app.get("/admin").await.text().await.unwrap();
    assert!(dashboard.contains("Envois en échec : "));
    let id = app.store.message_by_key("test:dead").await.unwrap().unwrap().id;
    let r = app
        .post(&format!("/admin/outbox/{id}/retry"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(location(&r), "/admin/outbox?done=retried");
    assert_eq!(
        app.store.message_by_key("test:dead").await.unwrap().unwrap().status,
        relais_store::OutboxStatus::Pending
    );
    app.stop().await;
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure_and_links_use_the_public_url() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.base_url = Some("https://relais.example/".parse().unwrap())
    })
    .await
    .unwrap();
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    assert!(link.starts_with("https://relais.example/admin/auth?token="), "{link}");
    let local = link.replace("https://relais.example", &app.base);
    let r = app.client.get(&local).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    app.stop().await;
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let h: serde_json::Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(h, serde_json::json!({"status": "ok", "database": "sqlite"}));
    app.get("/").await;
    let m = app.get("/metrics").await.text().await.unwrap();
    assert!(
        m.contains("relais_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"}"),
        "{m}"
    );
    assert!(m.contains("relais_outbox_messages{status=\"pending\"} 0"));
    assert!(m.contains("relais_http_request_duration_seconds_bucket"));
    app.stop().await;
}
