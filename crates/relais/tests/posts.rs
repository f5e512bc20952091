//! Keeping the mobilisation moving: updates, responses, victories and milestones
//! reach the signers who agreed — and only them — with a way out in every message.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

/// An association, its staff signed in, and a published petition.
async fn setup(app: &TestApp) -> relais_store::Petition {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let page = app.get("/admin/petitions/new").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let r = app
        .post(
            "/admin/petitions",
            &[
                ("csrf", csrf.as_str()),
                ("action", "publish"),
                ("title", "Un puits pour Kpalimé"),
                ("body", "Le puits est à sec."),
                ("target_name", "Mme la Maire"),
                ("target_role", "Maire de Kpalimé"),
                ("goal", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.store
        .petition_by_slug("un-puits-pour-kpalime")
        .await
        .unwrap()
        .unwrap()
}

/// Signs as a fresh visitor coming from `ip` (the test trusts loopback's
/// `X-Forwarded-For`, so many people can sign without hitting the per-address limit).
async fn sign(app: &TestApp, slug: &str, email: &str, updates: bool, locale: &str, ip: &str) {
    let mut form = vec![
        ("first_name", "Awa".to_owned()),
        ("last_name", "Mensah".to_owned()),
        ("email", email.to_owned()),
        ("postcode", "75011".to_owned()),
        ("country", "FR".to_owned()),
        ("website", String::new()),
    ];
    if updates {
        form.push(("consent_updates", "on".to_owned()));
    }
    let r = client()
        .post(app.url(&format!("/p/{slug}/sign")))
        .header("accept-language", locale)
        .header("x-forwarded-for", ip)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email}");
}

async fn confirm(app: &TestApp, petition_id: i64, email: &str) {
    let email = relais_core::Email::parse(email).unwrap();
    assert_eq!(
        app.store.confirm_signature(petition_id, &email, now()).await.unwrap(),
        Some(true)
    );
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Posts one of the staff forms of `/admin/petitions/{id}/posts`.
async fn post_news(
    app: &TestApp,
    id: i64,
    kind: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let page = app
        .get(&format!("/admin/petitions/{id}/posts"))
        .await
        .text()
        .await
        .unwrap();
    let mut form = Form::new().text("csrf", hidden(&page, "csrf"));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((field, bytes)) = file {
        let name = if field == "document" {
            "réponse de la maire.pdf"
        } else {
            "photo.png"
        };
        form = form.part(field.to_owned(), Part::bytes(bytes).file_name(name));
    }
    app.client
        .post(app.url(&format!("/admin/petitions/{id}/posts/{kind}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn spawn_trusting_loopback(backend: Backend) -> impl Future<Output = Option<TestApp>> {
    TestApp::spawn_with(backend, |s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()])
}

/// The e-mails sent to `to` whose subject contains `needle`.
fn mails(app: &TestApp, to: &str, needle: &str) -> Vec<Email> {
    app.emails()
        .into_iter()
        .filter(|e| e.to == to && e.subject.contains(needle))
        .collect()
}

macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = spawn_trusting_loopback(Backend::Sqlite).await {
                    super::$name(&app).await;
                    app.stop().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = spawn_trusting_loopback(Backend::Postgres).await {
                    super::$name(&app).await;
                    app.stop().await;
                }
            }
        }
    };
}

on_both!(an_update_reaches_confirmed_signers_who_agreed_and_nobody_else);

async fn an_update_reaches_confirmed_signers_who_agreed_and_nobody_else(app: &TestApp) {
    let p = setup(app).await;
    sign(app, &p.slug, "yes@example.org", true, "fr", "198.51.100.1").await;
    sign(app, &p.slug, "english@example.org", true, "en", "198.51.100.2").await;
    sign(app, &p.slug, "no@example.org", false, "fr", "198.51.100.3").await;
    sign(app, &p.slug, "unconfirmed@example.org", true, "fr", "198.51.100.4").await;
    for email in ["yes@example.org", "english@example.org", "no@example.org"] {
        confirm(app, p.id, email).await;
    }
    app.drain().await;
    let before = app.emails().len();

    // Empty text is refused, the form kept.
    let r = post_news(app, p.id, "update", &[("body", "   ")], None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Ce champ est obligatoire"));

    let text = "Nous avons rencontré la mairie mardi. [Le compte rendu](https://amis.example/cr) est en ligne.";
    let r = post_news(app, p.id, "update", &[("body", text)], Some(("image", png()))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(location(&r), format!("/admin/petitions/{}/posts?done=posted", p.id));
    app.drain().await;

    let sent: Vec<Email> = app.emails().into_iter().skip(before).collect();
    let mut to: Vec<&str> = sent.iter().map(|e| e.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        ["english@example.org", "yes@example.org"],
        "consenting, confirmed signers only"
    );
    let fr = sent.iter().find(|e| e.to == "yes@example.org").unwrap();
    assert_eq!(
        fr.subject,
        "Des nouvelles de la pétition «\u{a0}Un puits pour Kpalimé\u{a0}»"
    );
    assert!(fr.text.starts_with("Bonjour Awa,"), "{}", fr.text);
    assert!(fr.text.contains("Nous avons rencontré la mairie mardi."));
    assert!(fr.from.contains("Les Amis du Puits"));
    // RFC 8058 headers, and the same link visibly in the text.
    let unsubscribe = link_in(fr, &app.url("/u/"));
    assert!(
        fr.raw.contains(&format!("List-Unsubscribe: <{unsubscribe}>")),
        "{}",
        fr.raw
    );
    assert!(fr.raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    // The link in the text is counted, then leads where the author pointed.
    assert!(
        !fr.html.contains("href=\"https://amis.example/cr\""),
        "links are routed through Relais"
    );
    let en = sent.iter().find(|e| e.to == "english@example.org").unwrap();
    assert_eq!(en.subject, "News about the petition “Un puits pour Kpalimé”");
    let tracked = en
        .html
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|h| h.contains("/r/"))
        .unwrap()
        .replace("&#38;", "&");
    let r = client().get(&tracked).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "https://amis.example/cr");
    // A forged click link leads nowhere.
    assert_eq!(
        client().get(app.url("/r/forged.token")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The public page shows it; the back office shows what became of it.
    let page = client()
        .get(app.url(&format!("/p/{}", p.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Nous avons rencontré la mairie mardi."));
    assert!(page.contains("-600.jpg"), "the update's photo is on the page");
    let stats = app.store.post_stats(&access(app).await, p.id).await.unwrap();
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].post.fanout_total, stats[0].sent, stats[0].failed), (2, 2, 0));
    assert_eq!((stats[0].clicks, stats[0].clickers), (1, 1));
    let admin = app
        .get(&format!("/admin/petitions/{}/posts", p.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        admin.contains("Nouvelles de la mobilisation") && admin.contains("personnes distinctes : 1"),
        "{admin}"
    );
}

on_both!(the_running_worker_queues_a_post_then_feeds_the_outbox_and_sends_it);

/// What `relais serve` runs, not `drain`: the fan-out task queues the recipients,
/// then stocks the outbox from the queue while the delivery loop sends.
async fn the_running_worker_queues_a_post_then_feeds_the_outbox_and_sends_it(app: &TestApp) {
    let p = setup(app).await;
    let agreed: Vec<String> = (1..=6).map(|i| format!("signer{i}@example.org")).collect();
    for (i, email) in agreed.iter().enumerate() {
        sign(app, &p.slug, email, true, "fr", &format!("198.51.100.{}", 10 + i)).await;
        confirm(app, p.id, email).await;
    }
    sign(app, &p.slug, "no@example.org", false, "fr", "198.51.100.30").await;
    confirm(app, p.id, "no@example.org").await;
    app.drain().await;

    let r = post_news(app, p.id, "update", &[("body", "La pétition sera remise lundi.")], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = format!("/admin/petitions/{}/posts", p.id);
    let page = app.get(&admin).await.text().await.unwrap();
    assert!(page.contains("envoi en cours"), "{page}");
    let worker = relais::worker_for(&app.settings, &app.store).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let delivered = loop {
        let n = app
            .emails()
            .iter()
            .filter(|e| e.subject.starts_with("Des nouvelles"))
            .count();
        if n >= agreed.len() || std::time::Instant::now() > deadline {
            break n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    stop.send(true).unwrap();
    running.await.unwrap();
    assert_eq!(delivered, agreed.len(), "every consenting signer, once");
    for email in &agreed {
        assert_eq!(mails(app, email, "Des nouvelles").len(), 1, "{email}");
    }
    assert!(mails(app, "no@example.org", "Des nouvelles").is_empty());
    let stats = app.store.post_stats(&access(app).await, p.id).await.unwrap();
    assert_eq!(
        (stats[0].post.fanout_total, stats[0].pending, stats[0].sent),
        (6, 0, 6),
        "nothing left in the queue or the outbox"
    );
    let page = app.get(&admin).await.text().await.unwrap();
    assert!(!page.contains("envoi en cours"), "{page}");
}

async fn access(app: &TestApp) -> relais_store::OrgAccess {
    app.store.operator_access("amis").await.unwrap()
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(800, 500, image::Rgb([30, 80, 160]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

on_both!(one_click_unsubscribe_stops_the_next_message_even_one_already_queued);

async fn one_click_unsubscribe_stops_the_next_message_even_one_already_queued(app: &TestApp) {
    let p = setup(app).await;
    sign(app, &p.slug, "leaving@example.org", true, "fr", "198.51.100.1").await;
    sign(app, &p.slug, "staying@example.org", true, "fr", "198.51.100.2").await;
    confirm(app, p.id, "leaving@example.org").await;
    confirm(app, p.id, "staying@example.org").await;
    let r = post_news(app, p.id, "update", &[("body", "Première nouvelle.")], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = app.last_email_to("leaving@example.org").await;
    let unsubscribe = link_in(&first, &app.url("/u/"));

    // The visible link asks before acting (mail scanners open links)…
    let page = client().get(&unsubscribe).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Un puits pour Kpalimé") && page.contains("Me désabonner"));
    // …and a second update is written while the person clicks the one-click
    // button of their mail client: it was enqueued for them, and must not leave.
    let r = post_news(app, p.id, "update", &[("body", "Deuxième nouvelle.")], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.worker.fan_out_step().await.unwrap();
    let r = client()
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.drain().await;
    assert_eq!(
        mails(app, "leaving@example.org", "Des nouvelles").len(),
        1,
        "the queued message was withdrawn"
    );
    assert_eq!(mails(app, "staying@example.org", "Des nouvelles").len(), 2);
    let stats = app.store.post_stats(&access(app).await, p.id).await.unwrap();
    assert_eq!(
        (stats[0].sent, stats[0].cancelled),
        (1, 1),
        "newest first: the second update"
    );

    // The ledger says so, with where it came from; the signature still counts.
    let who = app
        .store
        .supporter_by_email(
            &access(app).await,
            &relais_core::Email::parse("leaving@example.org").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let ledger = app.store.consents(&access(app).await, who.id).await.unwrap();
    let last = ledger.last().unwrap();
    assert!(!last.granted && last.source == "list-unsubscribe", "{ledger:?}");
    assert_eq!(
        app.store
            .petition(&access(app).await, p.id)
            .await
            .unwrap()
            .confirmed_count,
        2
    );

    // The page offers the way back; a third update then reaches them again.
    let page = client().get(&unsubscribe).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Vous ne recevez plus ces messages"));
    let r = client()
        .post(&unsubscribe)
        .form(&[("action", "resubscribe")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("vous recevrez à nouveau ces messages"));
    post_news(app, p.id, "update", &[("body", "Troisième nouvelle.")], None).await;
    app.drain().await;
    assert_eq!(mails(app, "leaving@example.org", "Des nouvelles").len(), 2);
    // A forged or altered link changes nothing.
    let forged = format!("{}x", unsubscribe);
    assert_eq!(
        client()
            .post(&forged)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

on_both!(the_response_and_the_victory_are_told_once);

async fn the_response_and_the_victory_are_told_once(app: &TestApp) {
    let p = setup(app).await;
    sign(app, &p.slug, "awa@example.org", true, "fr", "198.51.100.1").await;
    confirm(app, p.id, "awa@example.org").await;

    // The decision maker's response, dated, with her letter attached.
    let r = post_news(
        app,
        p.id,
        "response",
        &[("body", "Nous financerons le forage."), ("responded_on", "2099-01-01")],
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "not in the future");
    assert!(
        r.text().await.unwrap().contains("Nous financerons le forage."),
        "the form is kept"
    );
    let r = post_news(
        app,
        p.id,
        "response",
        &[("body", "Bonjour"), ("responded_on", "")],
        Some(("document", b"<html>".to_vec())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "PDF only");
    let letter = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF".to_vec();
    let r = post_news(
        app,
        p.id,
        "response",
        &[("body", "Nous financerons le forage."), ("responded_on", "2026-11-20")],
        Some(("document", letter.clone())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app.last_email_to("awa@example.org").await;
    assert_eq!(
        mail.subject,
        "Mme la Maire a répondu à la pétition «\u{a0}Un puits pour Kpalimé\u{a0}»"
    );
    assert!(
        mail.text.contains("2026-11-20") && mail.text.contains("réponse de la maire.pdf"),
        "{}",
        mail.text
    );
    let page = client()
        .get(app.url(&format!("/p/{}", p.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = page
        .split("href=\"/media/doc-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = client()
        .get(app.url(&format!("/media/doc-{doc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), letter);

    // Victory: the petition stops taking signatures, signers are told, and once only.
    let r = post_news(app, p.id, "victory", &[("body", "Le forage commence en mars.")], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .petition(&access(app).await, p.id)
            .await
            .unwrap()
            .state
            .as_str(),
        "victory"
    );
    let mail = app.last_email_to("awa@example.org").await;
    assert_eq!(mail.subject, "Victoire : «\u{a0}Un puits pour Kpalimé\u{a0}»");
    assert!(mail.text.contains("Le forage commence en mars."));
    // A second victory is refused, and its photo is not stored (a new picture, so
    // any new file in the media folder would be this one).
    let media_files = || std::fs::read_dir(app.data.join("media")).map_or(0, |d| d.count());
    let before = media_files();
    let mut other = image::RgbImage::from_pixel(640, 400, image::Rgb([200, 40, 40]));
    other.put_pixel(1, 1, image::Rgb([0, 0, 0]));
    let mut photo = Vec::new();
    other
        .write_to(&mut std::io::Cursor::new(&mut photo), image::ImageFormat::Png)
        .unwrap();
    let r = post_news(app, p.id, "victory", &[("body", "Encore ?")], Some(("image", photo))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("déjà été déclarée"));
    assert_eq!(media_files(), before, "a refused post leaves no file behind");
    app.drain().await;
    assert_eq!(mails(app, "awa@example.org", "Victoire").len(), 1);
    let page = client()
        .get(app.url(&format!("/p/{}", p.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Victoire !") && page.contains("Le forage commence en mars."));
    assert!(
        !page.contains("action=\"/p/un-puits-pour-kpalime/sign\""),
        "no more signatures"
    );
    // Milestones are Relais's to write.
    let r = post_news(app, p.id, "milestone", &[("body", "x")], None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

on_both!(a_milestone_is_announced_once_with_personal_share_links);

async fn a_milestone_is_announced_once_with_personal_share_links(app: &TestApp) {
    let p = setup(app).await;
    for i in 0..100 {
        let email = format!("s{i}@example.org");
        // One network each: the per-network limit must not stop the test.
        sign(app, &p.slug, &email, i % 2 == 0, "fr", &format!("10.{i}.0.1")).await;
        if i < 99 {
            confirm(app, p.id, &email).await;
        }
    }
    app.drain().await;
    assert!(
        app.emails().iter().all(|e| !e.subject.contains("Aidez-nous")),
        "99 is no milestone"
    );
    confirm(app, p.id, "s99@example.org").await;
    app.drain().await;
    let milestone: Vec<Email> = app
        .emails()
        .into_iter()
        .filter(|e| e.subject.contains("Aidez-nous"))
        .collect();
    assert_eq!(milestone.len(), 50, "the signers who agreed");
    let mail = milestone.iter().find(|e| e.to == "s0@example.org").unwrap();
    assert_eq!(mail.subject, "100 signatures ! Aidez-nous à atteindre 500");
    // Their own links, counted, leading to the petition with their referral code.
    let facebook = mail
        .text
        .lines()
        .find(|l| l.starts_with("Facebook : "))
        .unwrap()
        .trim_start_matches("Facebook : ");
    let r = client().get(facebook).send().await.unwrap();
    let target = location(&r);
    let code = app
        .store
        .referral_code(p.id, &relais_core::Email::parse("s0@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        target.starts_with("https://www.facebook.com/sharer/sharer.php?u=") && target.contains(&code),
        "{target}"
    );
    // Draining again announces nothing more.
    app.drain().await;
    assert_eq!(
        app.emails()
            .into_iter()
            .filter(|e| e.subject.contains("Aidez-nous"))
            .count(),
        50
    );
}
