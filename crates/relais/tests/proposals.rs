//! Citizens propose petitions from their phone; staff moderate; authors are told.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 255) as u8, (y % 255) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn proposal(title: &str, photo: Option<Vec<u8>>) -> Form {
    let mut form = Form::new()
        .text("title", title.to_owned())
        .text("description", "Des travaux bloquent le trottoir depuis trois mois.")
        .text("target_name", "La mairie du 1er")
        .text("postcode", "")
        .text("lat", "45.767")
        .text("lon", "4.834")
        .text("first_name", "Léa")
        .text("last_name", "Martin")
        .text("email", "lea@example.org")
        .text("website", "");
    if let Some(bytes) = photo {
        form = form.part(
            "photo",
            Part::bytes(bytes)
                .file_name("IMG_0001.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    form
}

async fn staff_app() -> TestApp {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    app
}

#[tokio::test]
async fn a_citizen_proposes_from_a_phone_staff_approve_and_the_author_is_told() {
    let app = staff_app().await;
    let org_page = client()
        .get(app.url("/o/amis"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(org_page.contains("href=\"/o/amis/propose\""));
    let form_page = client()
        .get(app.url("/o/amis/propose"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form_page.contains("capture=\"environment\"") && form_page.contains("data-locate"));
    let r = client()
        .post(app.url("/o/amis/propose"))
        .multipart(proposal("Trottoir bloqué rue des Lilas", Some(jpeg(1600, 1200))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status(), location(&r).as_str()),
        (StatusCode::SEE_OTHER, "/o/amis/propose/thanks")
    );
    let ack = app.last_email_to("lea@example.org").await;
    assert_eq!(
        ack.subject,
        "Nous avons bien reçu votre proposition : Trottoir bloqué rue des Lilas"
    );
    let staff_mail = app.last_email_to("chair@amis.example").await;
    assert!(staff_mail.subject.starts_with("Proposition de pétition à modérer"));

    let list = app.get("/admin/petitions").await.text().await.unwrap();
    assert!(list.contains("À modérer"));
    let p = app.store.list_orgs().await.unwrap();
    let access = app.store.operator_access(&p[0].slug).await.unwrap();
    let petition = app.store.petitions(&access).await.unwrap().remove(0);
    assert!(petition.slug.starts_with("trottoir-bloque-rue-des-lilas-"));
    assert!(
        client()
            .get(app.url(&format!("/p/{}", petition.slug)))
            .send()
            .await
            .unwrap()
            .status()
            == StatusCode::NOT_FOUND,
        "not public before moderation"
    );
    let edit = app
        .get(&format!("/admin/petitions/{}", petition.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("Proposée par Léa Martin") && edit.contains("-600.jpg"));
    let csrf = hidden(&edit, "csrf");
    let r = app
        .post(
            &format!("/admin/petitions/{}/moderate", petition.id),
            &[("csrf", csrf.as_str()), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let told = app.last_email_to("lea@example.org").await;
    assert_eq!(
        told.subject,
        "Votre pétition est publiée : Trottoir bloqué rue des Lilas"
    );
    assert!(told.text.contains(&app.url(&format!("/p/{}", petition.slug))));
    let public = client()
        .get(app.url(&format!("/p/{}", petition.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = public.find("/media/petition-").expect("the photo on the page");
    let photo_url = public[start..].split('"').next().unwrap().to_owned();
    let photo = client().get(app.url(&photo_url)).send().await.unwrap();
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    let img = image::load_from_memory(&photo.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (1200, 900), "scaled to the page width");
    app.stop().await;
}

#[tokio::test]
async fn a_rejection_needs_a_reason_that_reaches_the_author() {
    let app = staff_app().await;
    client()
        .post(app.url("/o/amis/propose"))
        .multipart(proposal("Hors sujet", None))
        .send()
        .await
        .unwrap();
    let access = app.store.operator_access("amis").await.unwrap();
    let petition = app.store.petitions(&access).await.unwrap().remove(0);
    let csrf = hidden(
        &app.get(&format!("/admin/petitions/{}", petition.id))
            .await
            .text()
            .await
            .unwrap(),
        "csrf",
    );
    let path = format!("/admin/petitions/{}/moderate", petition.id);
    let r = app
        .post(
            &path,
            &[("csrf", csrf.as_str()), ("decision", "reject"), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"reason-error\""));
    let r = app
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("decision", "reject"),
                ("reason", "Cela ne relève pas de notre objet."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let told = app.last_email_to("lea@example.org").await;
    assert!(told.subject.starts_with("Votre proposition n’a pas été retenue"));
    assert!(told.text.contains("Cela ne relève pas de notre objet."));
    assert!(
        app.get(&format!("/admin/petitions/{}", petition.id))
            .await
            .text()
            .await
            .unwrap()
            .contains("Proposition refusée")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_refused_proposal_keeps_what_was_typed_and_bad_photos_are_refused() {
    let app = staff_app().await;
    let mut form = proposal("", Some(jpeg(10, 10)));
    form = form.text("extra", "x");
    let r = client()
        .post(app.url("/o/amis/propose"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"title-error\"")
            && html.contains("value=\"Léa\"")
            && html.contains("la photo doit être choisie à nouveau")
    );
    let bad = client()
        .post(app.url("/o/amis/propose"))
        .multipart(proposal("Un vrai titre", Some(b"%PDF-1.4".to_vec())))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("id=\"photo-error\""));
    let access = app.store.operator_access("amis").await.unwrap();
    assert!(app.store.petitions(&access).await.unwrap().is_empty(), "nothing stored");
    assert_eq!(
        client()
            .get(app.url("/o/nobody/propose"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn staff_add_and_replace_a_petition_photo() {
    let app = staff_app().await;
    let csrf = hidden(&app.get("/admin/petitions/new").await.text().await.unwrap(), "csrf");
    app.post(
        "/admin/petitions",
        &[
            ("csrf", csrf.as_str()),
            ("action", "publish"),
            ("title", "Des arbres"),
            ("body", "x"),
            ("target_name", "X"),
            ("place_postcode", "75011"),
        ],
    )
    .await;
    let access = app.store.operator_access("amis").await.unwrap();
    let p = app.store.petitions(&access).await.unwrap().remove(0);
    assert_eq!(p.place.as_ref().unwrap().name, "Paris 11e Arrondissement");
    let upload = |bytes: Vec<u8>| {
        let form = Form::new()
            .text("csrf", csrf.clone())
            .part("image", Part::bytes(bytes).file_name("a.jpg"));
        app.client
            .post(app.url(&format!("/admin/petitions/{}/image", p.id)))
            .multipart(form)
            .send()
    };
    assert_eq!(
        location(&upload(jpeg(800, 600)).await.unwrap()),
        format!("/admin/petitions/{}?done=image", p.id)
    );
    let first = app.store.petition(&access, p.id).await.unwrap().image_path.unwrap();
    upload(jpeg(900, 600)).await.unwrap();
    let second = app.store.petition(&access, p.id).await.unwrap().image_path.unwrap();
    assert_ne!(first, second);
    assert!(
        !app.data.join("media").join(format!("{first}-600.jpg")).exists(),
        "the replaced photo is deleted"
    );
    assert!(app.data.join("media").join(format!("{second}-1200.jpg")).exists());
    let bad = upload(b"not an image".to_vec()).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}
