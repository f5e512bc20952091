//! The store conformance suite: every trait method, run against SQLite and
//! PostgreSQL. Each test runs twice (`_sqlite`, `_postgres`) on a fresh database.
//!
//! PostgreSQL tests need `RELAIS_TEST_DATABASE_URL` (a server where the user may
//! create databases). Without it they skip loudly, unless `RELAIS_REQUIRE_POSTGRES=1`
//! (set by CI), where they fail.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::future::Future;
use std::sync::Arc;

use relais_core::backoff::Retry;
use relais_core::settings::SettingsInput;
use relais_core::{Email, Role, Slug};
use relais_store::*;

const NOW: i64 = 1_800_000_000;

use relais_store::testing::{Backend, TestDatabase};

async fn run_on<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = open(&db.url).await.expect("open test database");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(store.backend(), expected, "open() picks the backend from the URL");
    test(store.clone()).await;
    store.close().await;
    db.drop_database().await;
}

macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run_on(Backend::Sqlite, $body).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run_on(Backend::Postgres, $body).await;
            }
        }
    };
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

async fn new_org(store: &DynStore, slug: &str, owner: &str) -> (Org, User) {
    let org = NewOrg {
        slug: Slug::parse(slug).expect("slug"),
        name: format!("Asso {slug}"),
        contact_email: email(owner),
    };
    store.create_org(&org, &email(owner), NOW).await.expect("create org")
}

fn message(org_id: Option<i64>, key: &str) -> NewMessage {
    NewMessage {
        org_id,
        channel: Channel::Email,
        recipient: "someone@example.org".into(),
        payload: Payload {
            subject: "Hello".into(),
            text: "Body".into(),
            html: None,
            from_name: None,
            reply_to: None,
            ..Default::default()
        },
        idempotency_key: key.into(),
    }
}

fn link(nonce: &str, user_id: i64, purpose: LinkPurpose, expires_at: i64) -> NewLoginToken {
    NewLoginToken {
        nonce: nonce.into(),
        user_id,
        purpose,
        org_id: None,
        expires_at,
    }
}

conformance!(
    creating_an_association_makes_its_admin_the_owner,
    |store: DynStore| async move {
        let (org, owner) = new_org(&store, "amis", "Chair@Amis.org").await;
        assert_eq!(org.slug, "amis");
        assert_eq!(org.timezone, "Europe/Paris");
        assert_eq!(org.default_locale, "fr");
        assert!(!org.tax_eligible);
        assert_eq!(owner.email, "chair@amis.org");
        assert_eq!(store.org_by_slug("amis").await.unwrap(), Some(org.clone()));
        assert_eq!(store.org_by_slug("nobody").await.unwrap(), None);
        assert_eq!(store.org_by_id(org.id).await.unwrap(), Some(org.clone()));
        assert_eq!(store.org_by_id(org.id + 100).await.unwrap(), None);
        let access = store
            .authorise(owner.id, org.id)
            .await
            .unwrap()
            .expect("owner is authorised");
        assert_eq!(access.role(), Role::Owner);
        assert_eq!(store.org(&access).await.unwrap(), org);
        assert_eq!(store.operator_access("amis").await.unwrap(), access);
        {
            let r = store.operator_access("nobody").await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        // The same slug twice is a conflict, and the first association is untouched.
        let dup = NewOrg {
            slug: Slug::parse("amis").unwrap(),
            name: "Other".into(),
            contact_email: email("x@y.org"),
        };
        let again = store.create_org(&dup, &email("x@y.org"), NOW).await;
        assert!(matches!(again, Err(StoreError::Conflict("slug"))));
        assert!(
            store.user_by_email(&email("x@y.org")).await.unwrap().is_none(),
            "rolled back"
        );
        new_org(&store, "alpha", "a@alpha.org").await;
        let names: Vec<_> = store.list_orgs().await.unwrap().into_iter().map(|o| o.slug).collect();
        assert_eq!(names, ["alpha", "amis"]);
    }
);

conformance!(settings_are_saved_and_slugs_stay_unique, |store: DynStore| async move {
    let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
    new_org(&store, "taken", "other@taken.org").await;
    let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
    let input = SettingsInput {
        name: "Les Amis".into(),
        slug: "les-amis".into(),
        contact_email: "contact@amis.org".into(),
        primary_color: "#0f766e".into(),
        accent_color: "#7c2d12".into(),
        rna: "W751234567".into(),
        address: "1 rue de la Paix".into(),
        purpose: "Eau potable".into(),
        tax_eligible: Some("on".into()),
        timezone: "America/Cayenne".into(),
        default_locale: "en".into(),
        ..Default::default()
    };
    let saved = store
        .update_settings(&access, &input.parse().unwrap(), NOW + 5)
        .await
        .unwrap();
    assert_eq!((saved.name.as_str(), saved.slug.as_str()), ("Les Amis", "les-amis"));
    assert_eq!(
        (saved.primary_color.as_str(), saved.accent_color.as_str()),
        ("#0f766e", "#7c2d12")
    );
    assert!(saved.tax_eligible);
    assert_eq!(saved.timezone, "America/Cayenne");
    assert_eq!(saved.default_locale, "en");
    assert_eq!(saved.updated_at, NOW + 5);
    let clash = SettingsInput {
        slug: "taken".into(),
        ..input
    };
    {
        let r = store.update_settings(&access, &clash.parse().unwrap(), NOW).await;
        assert!(matches!(r, Err(StoreError::Conflict("slug"))), "{r:?}");
    }
    store.set_logo(&access, Some("logo-1.png"), NOW).await.unwrap();
    assert_eq!(
        store.org(&access).await.unwrap().logo_path.as_deref(),
        Some("logo-1.png")
    );
    store.set_logo(&access, None, NOW).await.unwrap();
    assert_eq!(store.org(&access).await.unwrap().logo_path, None);
});

conformance!(
    one_association_never_sees_anothers_staff_or_messages,
    |store: DynStore| async move {
        let (a, owner_a) = new_org(&store, "asso-a", "a@a.org").await;
        let (b, owner_b) = new_org(&store, "asso-b", "b@b.org").await;
        assert!(store.authorise(owner_a.id, b.id).await.unwrap().is_none());
        let access_a = store.authorise(owner_a.id, a.id).await.unwrap().unwrap();
        let access_b = store.authorise(owner_b.id, b.id).await.unwrap().unwrap();
        let emails: Vec<_> = store
            .members(&access_a)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.email)
            .collect();
        assert_eq!(emails, ["a@a.org"]);
        store.enqueue(&message(Some(b.id), "b-1"), NOW).await.unwrap();
        let claimed = store.claim(NOW, 60, 10).await.unwrap();
        store
            .mark_failed(claimed[0].id, "boom", Retry::GiveUp, NOW)
            .await
            .unwrap();
        assert!(store.dead_letters(&access_a).await.unwrap().is_empty());
        assert_eq!(store.dead_letters(&access_b).await.unwrap().len(), 1);
        {
            let r = store.retry_dead(&access_a, claimed[0].id, NOW).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        {
            let r = store.remove_member(&access_a, owner_b.id).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        {
            let r = store.set_role(&access_a, owner_b.id, Role::Viewer).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
    }
);

conformance!(
    accounts_are_one_per_address_and_passwords_end_sessions,
    |store: DynStore| async move {
        let u1 = store.upsert_user(&email("Marie@Example.org"), NOW).await.unwrap();
        let u2 = store.upsert_user(&email("marie@example.org"), NOW + 1).await.unwrap();
        assert_eq!(u1, u2);
        assert_eq!(store.user(u1.id).await.unwrap(), Some(u1.clone()));
        assert_eq!(store.user(u1.id + 1000).await.unwrap(), None);
        assert_eq!(
            store.user_by_email(&email("marie@example.org")).await.unwrap(),
            Some(u1.clone())
        );
        let session = Session {
            id_hash: hash_secret("cookie"),
            user_id: u1.id,
            current_org_id: None,
            csrf: "csrf".into(),
            created_at: NOW,
            expires_at: NOW + 3600,
        };
        store.create_session(&session).await.unwrap();
        store.set_password_hash(u1.id, Some("$argon2id$fake")).await.unwrap();
        assert_eq!(
            store.user(u1.id).await.unwrap().unwrap().password_hash.as_deref(),
            Some("$argon2id$fake")
        );
        assert_eq!(
            store.session(&session.id_hash, NOW).await.unwrap(),
            None,
            "password change signs out"
        );
        {
            let r = store.set_password_hash(u1.id + 1000, None).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        store.record_login(u1.id, NOW + 9).await.unwrap();
        assert_eq!(store.user(u1.id).await.unwrap().unwrap().last_login_at, Some(NOW + 9));
    }
);

conformance!(
    invitations_add_staff_and_queue_their_link_together,
    |store: DynStore| async move {
        let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
        let (other, _) = new_org(&store, "autre", "x@autre.org").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        let invited = store
            .invite(
                &access,
                &email("vol@amis.org"),
                Role::Editor,
                &link("n-1", 0, LinkPurpose::Login, NOW + 60),
                &message(Some(org.id), "invite-1"),
                NOW,
            )
            .await
            .unwrap();
        let members = store.members(&access).await.unwrap();
        assert_eq!(members.len(), 2);
        let vol = members.iter().find(|m| m.email == "vol@amis.org").unwrap();
        assert_eq!((vol.role, vol.has_signed_in), (Role::Editor, false));
        assert!(store.message_by_key("invite-1").await.unwrap().is_some());
        assert_eq!(
            store.consume_link("n-1", LinkPurpose::Login, NOW).await.unwrap(),
            Some(ConsumedToken {
                user_id: invited.id,
                org_id: None
            })
        );
        // Inviting again changes the role; the person can belong to several associations.
        store
            .invite(
                &access,
                &email("vol@amis.org"),
                Role::Admin,
                &link("n-2", 0, LinkPurpose::Login, NOW + 60),
                &message(Some(org.id), "invite-2"),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            store.authorise(invited.id, org.id).await.unwrap().unwrap().role(),
            Role::Admin
        );
        let other_access = store.operator_access("autre").await.unwrap();
        store
            .invite(
                &other_access,
                &email("vol@amis.org"),
                Role::Viewer,
                &link("n-3", 0, LinkPurpose::Login, NOW + 60),
                &message(Some(other.id), "invite-3"),
                NOW,
            )
            .await
            .unwrap();
        let orgs: Vec<_> = store
            .memberships(invited.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.org_slug, m.role))
            .collect();
        assert_eq!(
            orgs,
            [("amis".to_string(), Role::Admin), ("autre".to_string(), Role::Viewer)]
        );
    }
);

conformance!(an_association_always_keeps_an_owner, |store: DynStore| async move {
    let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
    let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
    {
        let r = store.set_role(&access, owner.id, Role::Admin).await;
        assert!(matches!(r, Err(StoreError::LastOwner)), "{r:?}");
    }
    {
        let r = store.remove_member(&access, owner.id).await;
        assert!(matches!(r, Err(StoreError::LastOwner)), "{r:?}");
    }
    let demote_by_invite = store
        .invite(
            &access,
            &email("chair@amis.org"),
            Role::Viewer,
            &link("n", 0, LinkPurpose::Login, NOW + 60),
            &message(Some(org.id), "k"),
            NOW,
        )
        .await;
    assert!(matches!(demote_by_invite, Err(StoreError::LastOwner)));
    assert!(
        store.message_by_key("k").await.unwrap().is_none(),
        "nothing queued for a refused invitation"
    );
    let second = store
        .invite(
            &access,
            &email("co@amis.org"),
            Role::Owner,
            &link("n2", 0, LinkPurpose::Login, NOW + 60),
            &message(Some(org.id), "k2"),
            NOW,
        )
        .await
        .unwrap();
    store.set_role(&access, owner.id, Role::Viewer).await.unwrap();
    store.remove_member(&access, owner.id).await.unwrap();
    assert!(store.authorise(owner.id, org.id).await.unwrap().is_none());
    {
        let r = store.remove_member(&access, second.id).await;
        assert!(matches!(r, Err(StoreError::LastOwner)), "{r:?}");
    }
});

conformance!(
    a_link_works_once_before_expiry_for_its_purpose,
    |store: DynStore| async move {
        let user = store.upsert_user(&email("m@x.org"), NOW).await.unwrap();
        store
            .issue_link(&link("a", user.id, LinkPurpose::Login, NOW + 60), None, NOW)
            .await
            .unwrap();
        assert_eq!(
            store.consume_link("a", LinkPurpose::PasswordReset, NOW).await.unwrap(),
            None
        );
        assert!(
            store
                .consume_link("a", LinkPurpose::Login, NOW)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store.consume_link("a", LinkPurpose::Login, NOW).await.unwrap(),
            None,
            "second use"
        );
        store
            .issue_link(
                &link("b", user.id, LinkPurpose::Login, NOW + 60),
                Some(&message(None, "login-b")),
                NOW,
            )
            .await
            .unwrap();
        assert!(store.message_by_key("login-b").await.unwrap().is_some());
        assert_eq!(
            store.consume_link("b", LinkPurpose::Login, NOW + 61).await.unwrap(),
            None,
            "expired"
        );
        {
            let r = store
                .issue_link(&link("b", user.id, LinkPurpose::Login, NOW), None, NOW)
                .await;
            assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        }
        // Ten clicks at once: exactly one signs in.
        store
            .issue_link(&link("c", user.id, LinkPurpose::Login, NOW + 60), None, NOW)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.consume_link("c", LinkPurpose::Login, NOW).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(winners, 1);
        assert_eq!(store.purge_expired(NOW + 61).await.unwrap(), 3);
    }
);

conformance!(
    sessions_live_until_they_expire_or_sign_out,
    |store: DynStore| async move {
        let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
        let s = Session {
            id_hash: hash_secret("c1"),
            user_id: owner.id,
            current_org_id: None,
            csrf: "t".into(),
            created_at: NOW,
            expires_at: NOW + 10,
        };
        store.create_session(&s).await.unwrap();
        assert_eq!(store.session(&s.id_hash, NOW).await.unwrap(), Some(s.clone()));
        assert_eq!(store.session(&s.id_hash, NOW + 10).await.unwrap(), None);
        store.set_session_org(&s.id_hash, org.id).await.unwrap();
        assert_eq!(
            store.session(&s.id_hash, NOW).await.unwrap().unwrap().current_org_id,
            Some(org.id)
        );
        store.delete_session(&s.id_hash).await.unwrap();
        assert_eq!(store.session(&s.id_hash, NOW).await.unwrap(), None);
        let s2 = Session {
            id_hash: hash_secret("c2"),
            ..s
        };
        store.create_session(&s2).await.unwrap();
        assert_eq!(store.purge_expired(NOW + 10).await.unwrap(), 1);
    }
);

conformance!(
    the_outbox_delivers_once_retries_and_dead_letters,
    |store: DynStore| async move {
        let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        assert!(store.enqueue(&message(Some(org.id), "m1"), NOW).await.unwrap());
        assert!(
            !store.enqueue(&message(Some(org.id), "m1"), NOW).await.unwrap(),
            "same key twice"
        );
        assert!(store.enqueue(&message(None, "m2"), NOW + 100).await.unwrap());
        let claimed = store.claim(NOW, 60, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "m2 is not due yet");
        let m1 = &claimed[0];
        assert_eq!(
            (m1.idempotency_key.as_str(), m1.attempts, m1.status),
            ("m1", 1, OutboxStatus::Sending)
        );
        assert_eq!(m1.payload.subject, "Hello");
        assert!(store.claim(NOW + 30, 60, 10).await.unwrap().is_empty(), "leased");
        let reclaimed = store.claim(NOW + 61, 60, 10).await.unwrap();
        assert_eq!(reclaimed.len(), 1, "a crashed worker's lease runs out");
        assert_eq!(reclaimed[0].attempts, 2);
        store
            .mark_failed(m1.id, "421 try later", Retry::After(30), NOW + 61)
            .await
            .unwrap();
        assert!(store.claim(NOW + 80, 60, 10).await.unwrap().is_empty());
        let third = store.claim(NOW + 91, 60, 10).await.unwrap();
        assert_eq!(third[0].last_error.as_deref(), Some("421 try later"));
        store
            .mark_failed(m1.id, "550 no such user", Retry::GiveUp, NOW + 91)
            .await
            .unwrap();
        let dead = store.dead_letters(&access).await.unwrap();
        assert_eq!(
            (dead.len(), dead[0].last_error.as_deref()),
            (1, Some("550 no such user"))
        );
        assert_eq!(
            store.outbox_counts().await.unwrap(),
            OutboxCounts {
                pending: 1,
                sending: 0,
                sent: 0,
                dead: 1
            }
        );
        store.retry_dead(&access, m1.id, NOW + 100).await.unwrap();
        assert!(store.dead_letters(&access).await.unwrap().is_empty());
        let both = store.claim(NOW + 100, 60, 10).await.unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].attempts, 1, "a retried dead letter starts over");
        let ids: Vec<i64> = both.iter().map(|m| m.id).collect();
        store.mark_sent(&ids, NOW + 101).await.unwrap();
        store.mark_sent(&[], NOW + 101).await.unwrap();
        assert_eq!(
            store.outbox_counts().await.unwrap(),
            OutboxCounts {
                pending: 0,
                sending: 0,
                sent: 2,
                dead: 0
            }
        );
        assert_eq!(
            store.message_by_key("m2").await.unwrap().unwrap().status,
            OutboxStatus::Sent
        );
        assert_eq!(store.message_by_key("nope").await.unwrap(), None);
        assert!(
            matches!(store.retry_dead(&access, m1.id, NOW).await, Err(StoreError::NotFound)),
            "not dead"
        );
    }
);

conformance!(
    concurrent_workers_never_claim_the_same_message,
    |store: DynStore| async move {
        for i in 0..200 {
            store.enqueue(&message(None, &format!("c{i}")), NOW).await.unwrap();
        }
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let batch = store.claim(NOW, 60, 7).await.unwrap();
                        if batch.is_empty() {
                            break mine;
                        }
                        mine.extend(batch.into_iter().map(|m| m.id));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!((before, all.len()), (200, 200));
        store.ping().await.unwrap();
    }
);

mod petitions_support {
    use super::*;
    use relais_core::petition::{PetitionInput, PetitionState};
    use relais_core::signature::SignatureInput;

    pub fn draft(title: &str) -> relais_core::petition::PetitionDraft {
        PetitionInput {
            title: title.into(),
            body: "Le puits est **à sec**.".into(),
            target_name: "Mme la Maire".into(),
            goal: "1000".into(),
            tags: "eau, togo".into(),
            ..Default::default()
        }
        .parse(jiff::civil::date(2026, 1, 1))
        .unwrap()
    }

    pub async fn published(store: &DynStore, slug: &str) -> (OrgAccess, Petition) {
        let (org, owner) = new_org(store, slug, &format!("chair@{slug}.example")).await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        let p = store
            .create_petition(
                &access,
                &draft(&format!("Pétition {slug}")),
                PetitionState::Published,
                Some(owner.id),
                NOW,
            )
            .await
            .unwrap();
        (access, p)
    }

    pub fn request(p: &Petition, email: &str, postcode: &str, consents: (bool, bool)) -> SignRequest {
        let draft = SignatureInput {
            first_name: "Marie".into(),
            last_name: "Curie".into(),
            email: email.into(),
            postcode: postcode.into(),
            country: "FR".into(),
            consent_updates: consents.0,
            consent_newsletter: consents.1,
            ..Default::default()
        }
        .parse()
        .unwrap();
        SignRequest {
            petition_id: p.id,
            org_id: p.org_id,
            commune: format!("Commune {postcode}"),
            department: postcode[..2].to_owned(),
            show_name: true,
            ip_hash: "ip".into(),
            network_hash: "net".into(),
            locale: "fr".into(),
            updates_wording: "Je veux être tenu·e informé·e".into(),
            newsletter_wording: "Je m'abonne à la lettre".into(),
            source: format!("/p/{}", p.slug),
            confirmation: message(Some(p.org_id), &format!("confirm:{}:{}", p.id, draft.email)),
            ref_code: format!("ref-{}", draft.email.as_str().split('@').next().unwrap_or_default()),
            source_channel: String::new(),
            referrer_site: String::new(),
            referred_by_code: None,
            draft,
        }
    }
}

conformance!(staff_write_publish_and_close_petitions, |store: DynStore| async move {
    use relais_core::petition::PetitionState::*;
    let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
    let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
    let draft = petitions_support::draft("Sauvons le puits");
    let p = store
        .create_petition(&access, &draft, Draft, Some(owner.id), NOW)
        .await
        .unwrap();
    assert_eq!(
        (p.slug.as_str(), p.state, p.goal, p.published_at),
        ("sauvons-le-puits", Draft, Some(1000), None)
    );
    assert_eq!(p.tags, ["eau", "togo"]);
    {
        let r = store.create_petition(&access, &draft, Draft, None, NOW).await;
        assert!(matches!(r, Err(StoreError::Conflict("slug"))), "{r:?}");
    }
    let p = store
        .set_petition_state(&access, p.id, Draft, Published, NOW + 10)
        .await
        .unwrap();
    assert_eq!((p.state, p.published_at), (Published, Some(NOW + 10)));
    {
        let r = store.set_petition_state(&access, p.id, Draft, Published, NOW).await;
        assert!(matches!(r, Err(StoreError::Conflict("state"))), "{r:?}");
    }
    let mut edited = draft.clone();
    edited.body = "Nouveau texte".into();
    let p = store.update_petition(&access, p.id, &edited, NOW + 20).await.unwrap();
    assert_eq!((p.body.as_str(), p.edited_at), ("Nouveau texte", Some(NOW + 20)));
    assert_eq!(
        store.petition_by_slug("sauvons-le-puits").await.unwrap().unwrap().id,
        p.id
    );
    assert_eq!(store.petition_by_slug("nope").await.unwrap(), None);
    assert_eq!(store.petitions(&access).await.unwrap().len(), 1);
    // Another association sees nothing of it.
    let (other, other_owner) = new_org(&store, "autre", "x@autre.org").await;
    let other_access = store.authorise(other_owner.id, other.id).await.unwrap().unwrap();
    assert!(store.petitions(&other_access).await.unwrap().is_empty());
    {
        let r = store.petition(&other_access, p.id).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
    {
        let r = store.update_petition(&other_access, p.id, &edited, NOW).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
    {
        let r = store
            .set_petition_state(&other_access, p.id, Published, Closed, NOW)
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
    let p = store
        .set_petition_state(&access, p.id, Published, Closed, NOW)
        .await
        .unwrap();
    assert_eq!(p.state, Closed);
});

conformance!(
    signing_twice_counts_once_and_confirmation_moves_the_count,
    |store: DynStore| async move {
        use petitions_support::*;
        let (_, p) = published(&store, "amis").await;
        let a = request(&p, "Marie@Example.org", "75011", (true, true));
        let b = request(&p, "paul@example.org", "69001", (false, false));
        let again = request(&p, "marie@example.org", "75011", (false, false));
        let outcomes = store
            .sign_batch(&[a.clone(), b.clone(), again.clone()], NOW)
            .await
            .unwrap();
        assert_eq!(
            outcomes,
            [
                SignOutcome::Pending,
                SignOutcome::Pending,
                SignOutcome::AlreadySigned {
                    confirmed: false,
                    ref_code: "ref-marie".into()
                }
            ]
        );
        assert_eq!(
            store.counts(p.id).await.unwrap(),
            Counts {
                confirmed: 0,
                pending: 2
            }
        );
        assert!(
            store
                .message_by_key(&a.confirmation.idempotency_key)
                .await
                .unwrap()
                .is_some(),
            "confirmation queued"
        );
        let marie = relais_core::Email::parse("marie@example.org").unwrap();
        assert_eq!(store.signature_confirmed(p.id, &marie).await.unwrap(), Some(false));
        assert_eq!(
            store.confirm_signature(p.id, &marie, NOW + 5).await.unwrap(),
            Some(true)
        );
        assert_eq!(
            store.confirm_signature(p.id, &marie, NOW + 6).await.unwrap(),
            Some(false),
            "twice is harmless"
        );
        assert_eq!(
            store.counts(p.id).await.unwrap(),
            Counts {
                confirmed: 1,
                pending: 1
            }
        );
        let nobody = relais_core::Email::parse("nobody@example.org").unwrap();
        assert_eq!(store.confirm_signature(p.id, &nobody, NOW).await.unwrap(), None);
        assert_eq!(store.signature_confirmed(p.id, &nobody).await.unwrap(), None);
        let later = store.sign_batch(&[again], NOW + 7).await.unwrap();
        assert_eq!(
            later,
            [SignOutcome::AlreadySigned {
                confirmed: true,
                ref_code: "ref-marie".into()
            }]
        );
        {
            let r = store.counts(p.id + 999).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
    }
);

conformance!(
    the_public_figures_break_down_by_place_and_show_consenting_signers,
    |store: DynStore| async move {
        use petitions_support::*;
        let (_, p) = published(&store, "amis").await;
        let reqs: Vec<_> = [
            ("a@x.org", "75011"),
            ("b@x.org", "75011"),
            ("c@x.org", "69001"),
            ("d@x.org", "13001"),
        ]
        .iter()
        .map(|(e, pc)| request(&p, e, pc, (false, false)))
        .collect();
        store.sign_batch(&reqs, NOW).await.unwrap();
        let mut hidden = request(&p, "e@x.org", "75011", (false, false));
        hidden.show_name = false;
        store.sign_batch(&[hidden], NOW).await.unwrap();
        for e in ["a@x.org", "b@x.org", "c@x.org", "e@x.org"] {
            store
                .confirm_signature(p.id, &relais_core::Email::parse(e).unwrap(), NOW + 1)
                .await
                .unwrap();
        }
        let b = store.breakdown(p.id).await.unwrap();
        assert_eq!(b.by_country, [("FR".to_string(), 4)]);
        assert_eq!(b.by_department, [("75".to_string(), 3), ("69".to_string(), 1)]);
        assert_eq!(b.by_commune[0], ("75011".to_string(), "Commune 75011".to_string(), 3));
        let recent = store.recent_signers(p.id, 10).await.unwrap();
        assert_eq!(recent.len(), 3, "confirmed and agreed to be shown");
        assert_eq!(recent[0].commune, "Commune 69001", "newest first");
    }
);

conformance!(
    unconfirmed_signatures_expire_with_their_consents,
    |store: DynStore| async move {
        use petitions_support::*;
        let (_, p) = published(&store, "amis").await;
        store
            .sign_batch(&[request(&p, "old@x.org", "75011", (true, true))], NOW - 1000)
            .await
            .unwrap();
        store
            .sign_batch(&[request(&p, "kept@x.org", "75011", (true, false))], NOW - 1000)
            .await
            .unwrap();
        store
            .confirm_signature(p.id, &relais_core::Email::parse("kept@x.org").unwrap(), NOW - 900)
            .await
            .unwrap();
        store
            .sign_batch(&[request(&p, "new@x.org", "75011", (false, false))], NOW)
            .await
            .unwrap();
        assert_eq!(store.expire_unconfirmed(NOW - 500).await.unwrap(), 1);
        assert_eq!(
            store.counts(p.id).await.unwrap(),
            Counts {
                confirmed: 1,
                pending: 1
            }
        );
        let old = relais_core::Email::parse("old@x.org").unwrap();
        assert_eq!(store.signature_confirmed(p.id, &old).await.unwrap(), None);
        // The address may sign again afresh.
        assert_eq!(
            store
                .sign_batch(&[request(&p, "old@x.org", "75011", (false, false))], NOW)
                .await
                .unwrap(),
            [SignOutcome::Pending]
        );
    }
);

conformance!(
    a_hundred_identical_submissions_at_once_make_one_signature,
    |store: DynStore| async move {
        use petitions_support::*;
        let (_, p) = published(&store, "amis").await;
        let (writer, task) = SignWriter::spawn(store.clone());
        let req = request(&p, "same@x.org", "75011", (true, false));
        let jobs: Vec<_> = (0..100)
            .map(|_| {
                let writer = writer.clone();
                let req = req.clone();
                tokio::spawn(async move { writer.sign(req).await.unwrap() })
            })
            .collect();
        let mut pending = 0;
        for j in jobs {
            if j.await.unwrap() == SignOutcome::Pending {
                pending += 1;
            }
        }
        assert_eq!(pending, 1);
        assert_eq!(
            store.counts(p.id).await.unwrap(),
            Counts {
                confirmed: 0,
                pending: 1
            }
        );
        assert_eq!(
            store.outbox_counts().await.unwrap().pending,
            1,
            "one confirmation e-mail"
        );
        drop(writer);
        task.await.unwrap();
    }
);

conformance!(
    staff_export_every_signature_page_by_page,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, p) = published(&store, "amis").await;
        let reqs: Vec<_> = (0..25)
            .map(|i| request(&p, &format!("s{i}@x.org"), "75011", (i % 2 == 0, false)))
            .collect();
        store.sign_batch(&reqs, NOW).await.unwrap();
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = store.signatures_page(&access, p.id, after, 10).await.unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().unwrap().id;
            seen.extend(page);
        }
        assert_eq!(seen.len(), 25);
        assert_eq!(seen[0].email, "s0@x.org");
        assert!(seen[0].consent_updates && !seen[1].consent_updates);
        assert_eq!(
            (seen[0].status.as_str(), seen[0].commune.as_str()),
            ("pending", "Commune 75011")
        );
        let (_, other) = published(&store, "autre").await;
        assert!(
            store
                .signatures_page(&access, other.id, 0, 10)
                .await
                .unwrap()
                .is_empty(),
            "not another association's"
        );
    }
);

conformance!(
    bursts_are_found_and_invalidated_without_emailing_anyone,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, p) = published(&store, "amis").await;
        let mut reqs: Vec<_> = (0..6)
            .map(|i| request(&p, &format!("bot{i}@spam.example"), "75011", (false, false)))
            .collect();
        for r in &mut reqs {
            r.ip_hash = "bad-ip".into();
        }
        reqs.push(request(&p, "honest@x.org", "69001", (false, false)));
        store.sign_batch(&reqs, NOW).await.unwrap();
        store
            .confirm_signature(p.id, &relais_core::Email::parse("bot0@spam.example").unwrap(), NOW + 1)
            .await
            .unwrap();
        let bursts = store.signature_bursts(&access, p.id, NOW - 60, 5).await.unwrap();
        let kinds: Vec<_> = bursts.iter().map(|b| (b.kind, b.key.as_str(), b.count)).collect();
        assert!(kinds.contains(&(BurstKind::Ip, "bad-ip", 6)), "{kinds:?}");
        assert!(kinds.contains(&(BurstKind::Domain, "spam.example", 6)), "{kinds:?}");
        assert!(kinds.contains(&(BurstKind::Postcode, "75011", 6)), "{kinds:?}");
        assert!(!kinds.iter().any(|(_, k, _)| *k == "x.org"), "below the threshold");
        let filter = InvalidationFilter {
            kind: BurstKind::Ip,
            key: "bad-ip".into(),
            from: NOW - 60,
            to: NOW + 60,
        };
        assert_eq!(
            store
                .invalidate_signatures(&access, p.id, &filter, "bot", NOW + 2)
                .await
                .unwrap(),
            6
        );
        assert_eq!(
            store.counts(p.id).await.unwrap(),
            Counts {
                confirmed: 0,
                pending: 1
            }
        );
        assert_eq!(
            store
                .invalidate_signatures(&access, p.id, &filter, "again", NOW + 3)
                .await
                .unwrap(),
            0,
            "idempotent"
        );
        let key = confirmation_key(p.id, "bot3@spam.example");
        assert_eq!(
            store.message_by_key(&key).await.unwrap().unwrap().status,
            OutboxStatus::Cancelled
        );
        let honest = confirmation_key(p.id, "honest@x.org");
        assert_eq!(
            store.message_by_key(&honest).await.unwrap().unwrap().status,
            OutboxStatus::Pending
        );
        assert_eq!(
            store.claim(NOW + 4, 60, 100).await.unwrap().len(),
            1,
            "only the honest signer's e-mail is delivered"
        );
        let page = store.signatures_page(&access, p.id, 0, 100).await.unwrap();
        assert_eq!(
            page.iter()
                .filter(|s| s.status == "invalidated" && s.invalidation_reason.as_deref() == Some("bot"))
                .count(),
            6
        );
        assert!(
            store
                .signature_bursts(&access, p.id, NOW - 60, 5)
                .await
                .unwrap()
                .is_empty(),
            "invalidated ones no longer count"
        );
        // A foreign association cannot invalidate anything here.
        let (other_access, _) = published(&store, "autre").await;
        let all = InvalidationFilter {
            kind: BurstKind::Postcode,
            key: "69001".into(),
            from: 0,
            to: i64::MAX,
        };
        assert_eq!(
            store
                .invalidate_signatures(&other_access, p.id, &all, "x", NOW)
                .await
                .unwrap(),
            0
        );
    }
);

conformance!(
    citizen_proposals_wait_for_moderation_then_publish_or_reject,
    |store: DynStore| async move {
        use relais_core::petition::{PetitionState, ProposalInput};
        let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        let proposal = |title: &str, suffix: &str| {
            ProposalInput {
                title: title.into(),
                description: "Le trottoir est bloqué.".into(),
                target_name: "La mairie".into(),
                postcode: "69001".into(),
                lat: "45.767".into(),
                lon: "4.834".into(),
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                email: "lea@example.org".into(),
            }
            .parse(jiff::civil::date(2026, 1, 1), suffix)
            .unwrap()
        };
        let ack = message(Some(org.id), "proposal-ack");
        let p = store
            .propose_petition(org.id, &proposal("Trottoir bloqué", "a1"), &[ack], NOW)
            .await
            .unwrap();
        assert_eq!(
            (p.state, p.author_name.as_deref(), p.author_email.as_deref()),
            (PetitionState::Moderation, Some("Léa Martin"), Some("lea@example.org"))
        );
        let place = p.place.clone().unwrap();
        assert_eq!(
            (place.postcode.as_str(), place.name.as_str(), place.lat),
            ("69001", "Lyon 1er Arrondissement", Some(45.767))
        );
        assert!(store.message_by_key("proposal-ack").await.unwrap().is_some());
        let approved = store
            .moderate_petition(
                &access,
                p.id,
                true,
                None,
                Some(&message(Some(org.id), "approved")),
                NOW + 1,
            )
            .await
            .unwrap();
        assert_eq!(
            (approved.state, approved.published_at),
            (PetitionState::Published, Some(NOW + 1))
        );
        {
            let r = store
                .moderate_petition(&access, p.id, false, Some("x"), None, NOW)
                .await;
            assert!(matches!(r, Err(StoreError::Conflict("state"))), "{r:?}");
        }
        let q = store
            .propose_petition(org.id, &proposal("Autre chose", "b2"), &[], NOW)
            .await
            .unwrap();
        let rejected = store
            .moderate_petition(
                &access,
                q.id,
                false,
                Some("Hors de notre objet"),
                Some(&message(Some(org.id), "rejected")),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            (rejected.state, rejected.rejection_reason.as_deref()),
            (PetitionState::Rejected, Some("Hors de notre objet"))
        );
        assert!(store.message_by_key("rejected").await.unwrap().is_some());
        store
            .set_petition_image(&access, q.id, Some("petition-1-abc"), NOW)
            .await
            .unwrap();
        assert_eq!(
            store.petition(&access, q.id).await.unwrap().image_path.as_deref(),
            Some("petition-1-abc")
        );
        let (other, other_owner) = new_org(&store, "autre", "x@autre.org").await;
        let other_access = store.authorise(other_owner.id, other.id).await.unwrap().unwrap();
        {
            let r = store.set_petition_image(&other_access, q.id, None, NOW).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        {
            let r = store
                .moderate_petition(&other_access, q.id, true, None, None, NOW)
                .await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
    }
);

conformance!(
    a_signature_records_the_supporter_and_the_exact_consent_wording,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, p) = published(&store, "amis").await;
        store
            .sign_batch(&[request(&p, "Marie@Example.org", "75011", (true, true))], NOW)
            .await
            .unwrap();
        store
            .sign_batch(&[request(&p, "paul@example.org", "75011", (false, false))], NOW)
            .await
            .unwrap();
        let marie = store
            .supporter_by_email(&access, &relais_core::Email::parse("marie@example.org").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                marie.first_name.as_str(),
                marie.postcode.as_str(),
                marie.locale.as_str()
            ),
            ("Marie", "75011", "fr")
        );
        let ledger = store.consents(&access, marie.id).await.unwrap();
        let got: Vec<_> = ledger
            .iter()
            .map(|c| (c.channel.as_str(), c.purpose.as_str(), c.granted, c.wording.as_str()))
            .collect();
        let updates = format!("petition:{}:updates", p.id);
        assert_eq!(
            got,
            [
                ("email", updates.as_str(), true, "Je veux être tenu·e informé·e"),
                ("email", "newsletter", true, "Je m'abonne à la lettre")
            ]
        );
        assert_eq!(ledger[0].source, format!("/p/{}", p.slug));
        let paul = store
            .supporter_by_email(&access, &relais_core::Email::parse("paul@example.org").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(
            store.consents(&access, paul.id).await.unwrap().is_empty(),
            "unticked boxes record nothing"
        );
        // Another association sees neither the person nor the ledger.
        let (other, _) = published(&store, "autre").await;
        assert!(
            store
                .supporter_by_email(&other, &relais_core::Email::parse("marie@example.org").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.consents(&other, marie.id).await.unwrap().is_empty());
    }
);

conformance!(
    a_signature_remembers_its_source_and_who_brought_it,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, p) = published(&store, "amis").await;
        store
            .sign_batch(&[request(&p, "sharer@x.org", "75011", (false, false))], NOW)
            .await
            .unwrap();
        let mut brought = request(&p, "friend@x.org", "75011", (false, false));
        brought.referred_by_code = Some("ref-sharer".into());
        brought.source_channel = "whatsapp".into();
        let mut stranger = request(&p, "stranger@x.org", "75011", (false, false));
        stranger.referred_by_code = Some("no-such-code".into());
        stranger.referrer_site = "news.example".into();
        let outcomes = store.sign_batch(&[brought, stranger], NOW).await.unwrap();
        assert_eq!(
            outcomes,
            [SignOutcome::Pending, SignOutcome::Pending],
            "an unknown code does not stop a signature"
        );
        let sharer = relais_core::Email::parse("sharer@x.org").unwrap();
        assert_eq!(
            store.referral_code(p.id, &sharer).await.unwrap().as_deref(),
            Some("ref-sharer")
        );
        assert_eq!(store.referral_code(p.id + 1, &sharer).await.unwrap(), None);
        let rows = store.signatures_page(&access, p.id, 0, 10).await.unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.email.as_str(),
                    r.source_channel.as_str(),
                    r.referrer_site.as_str(),
                    r.referred,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("sharer@x.org", "", "", false),
                ("friend@x.org", "whatsapp", "", true),
                ("stranger@x.org", "", "news.example", false)
            ]
        );
    }
);

conformance!(
    sources_count_channels_over_time_and_recruiters,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, p) = published(&store, "amis").await;
        let (other, _) = published(&store, "autre").await;
        store
            .sign_batch(&[request(&p, "sharer@x.org", "75011", (false, false))], NOW)
            .await
            .unwrap();
        // Two friends through WhatsApp an hour later, one through e-mail two days on.
        let mut friends = Vec::new();
        for (email, channel) in [("a@x.org", "whatsapp"), ("b@x.org", "whatsapp"), ("c@x.org", "email")] {
            let mut r = request(&p, email, "75011", (false, false));
            r.referred_by_code = Some("ref-sharer".into());
            r.source_channel = channel.into();
            friends.push(r);
        }
        store.sign_batch(&friends[..2], NOW + 3_600).await.unwrap();
        store.sign_batch(&friends[2..], NOW + 2 * 86_400).await.unwrap();
        let s = store.sources(&access, p.id).await.unwrap();
        assert_eq!(s.bucket_secs, 3_600, "young petition: hours");
        assert_eq!(s.signatures, 4);
        assert_eq!(
            s.by_channel,
            [
                ("whatsapp".to_owned(), 2, 2),
                (String::new(), 1, 0),
                ("email".to_owned(), 1, 1)
            ]
        );
        let first = NOW / 3_600 * 3_600;
        assert_eq!(s.over_time[0], (first, String::new(), 1));
        assert_eq!(s.over_time[1], (first + 3_600, "whatsapp".to_owned(), 2));
        assert_eq!(s.recruiters.len(), 1);
        assert_eq!(s.recruiters[0].2, 3);
        // Another association sees nothing of it.
        assert!(matches!(store.sources(&other, p.id).await, Err(StoreError::NotFound)));
    }
);

mod posts_support {
    use super::*;
    use relais_core::post::{PostDraft, PostInput, PostKind};

    /// The day staff write their posts.
    pub fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 27)
    }

    pub fn post_draft(kind: PostKind, body: &str) -> PostDraft {
        PostInput {
            body: body.into(),
            responded_on: String::new(),
        }
        .parse(kind, today())
        .unwrap()
    }

    pub fn new_post(petition_id: i64, draft: &PostDraft) -> NewPost<'_> {
        NewPost {
            petition_id,
            draft,
            image_path: None,
            document: None,
            created_by: None,
        }
    }

    /// A change made from the links of a message (unsubscribe, its undo button).
    pub fn consent_change(org_id: i64, supporter_id: i64, purpose: &str, granted: bool) -> ConsentChange<'_> {
        ConsentChange {
            org_id,
            supporter_id,
            channel: "email",
            purpose,
            granted,
            wording: if granted {
                "Je veux de nouveau être tenu·e informé·e"
            } else {
                "Ne plus recevoir les nouvelles de cette pétition"
            },
            source: "List-Unsubscribe",
            ip_hash: "ip-desinscription",
        }
    }

    pub async fn confirm_all(store: &DynStore, p: &Petition, addresses: &[&str], now: i64) {
        for a in addresses {
            assert_eq!(
                store.confirm_signature(p.id, &email(a), now).await.unwrap(),
                Some(true),
                "{a}"
            );
        }
    }

    pub async fn signature_id(store: &DynStore, access: &OrgAccess, p: &Petition, address: &str) -> i64 {
        store
            .signatures_page(access, p.id, 0, 1_000)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.email == address)
            .unwrap()
            .id
    }

    pub async fn supporter_id(store: &DynStore, access: &OrgAccess, address: &str) -> i64 {
        store
            .supporter_by_email(access, &email(address))
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub async fn stats_of(store: &DynStore, access: &OrgAccess, p: &Petition, post_id: i64) -> PostStats {
        store
            .post_stats(access, p.id)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.post.id == post_id)
            .unwrap()
    }
}

conformance!(
    posts_need_a_public_petition_and_a_victory_happens_once,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::petition::PetitionState;
        use relais_core::post::{PostInput, PostKind};
        let (access, p) = published(&store, "amis").await;
        let owner = store
            .user_by_email(&email("chair@amis.example"))
            .await
            .unwrap()
            .unwrap();
        let update = post_draft(
            PostKind::Update,
            "Nous avons remis vos 2 000 signatures à la mairie **ce matin**.",
        );
        let post = store
            .create_post(
                &access,
                &NewPost {
                    petition_id: p.id,
                    draft: &update,
                    image_path: Some("post-1-remise.jpg"),
                    document: Some(("post-1-courrier.pdf", "Courrier de la mairie.pdf")),
                    created_by: Some(owner.id),
                },
                NOW + 10,
            )
            .await
            .unwrap();
        assert_eq!(
            (post.org_id, post.petition_id, post.kind, post.body.as_str()),
            (
                p.org_id,
                p.id,
                PostKind::Update,
                "Nous avons remis vos 2 000 signatures à la mairie **ce matin**."
            )
        );
        assert_eq!(
            (
                post.image_path.as_deref(),
                post.document_path.as_deref(),
                post.document_name.as_deref()
            ),
            (
                Some("post-1-remise.jpg"),
                Some("post-1-courrier.pdf"),
                Some("Courrier de la mairie.pdf")
            )
        );
        assert_eq!(
            (post.responded_on.as_deref(), post.milestone, post.next_milestone),
            (None, None, None)
        );
        assert_eq!(
            (post.created_at, post.fanout_total, post.fanout_done_at),
            (NOW + 10, 0, None)
        );
        assert_eq!(store.post(post.id).await.unwrap(), Some(post.clone()));
        assert_eq!(store.post(post.id + 1000).await.unwrap(), None);
        let response = PostInput {
            body: "Le maire accepte de recevoir une délégation le 3 décembre.".into(),
            responded_on: "2026-11-20".into(),
        }
        .parse(PostKind::Response, today())
        .unwrap();
        let answered = store
            .create_post(&access, &new_post(p.id, &response), NOW + 20)
            .await
            .unwrap();
        assert_eq!(
            (answered.kind, answered.responded_on.as_deref()),
            (PostKind::Response, Some("2026-11-20"))
        );
        let ids: Vec<_> = store.posts(p.id).await.unwrap().into_iter().map(|x| x.id).collect();
        assert_eq!(ids, [answered.id, post.id], "newest first");

        // Nobody has signed a draft: no post, not even a victory.
        let draft_petition = store
            .create_petition(
                &access,
                &draft("Un préau pour l'école Jules-Ferry"),
                PetitionState::Draft,
                None,
                NOW,
            )
            .await
            .unwrap();
        let victory = post_draft(PostKind::Victory, "Victoire ! La mairie rouvre le puits du quartier.");
        for kind in [&update, &victory] {
            let r = store
                .create_post(&access, &new_post(draft_petition.id, kind), NOW)
                .await;
            assert!(matches!(r, Err(StoreError::Conflict("state"))), "{r:?}");
        }
        assert!(store.posts(draft_petition.id).await.unwrap().is_empty());
        assert_eq!(
            store.petition(&access, draft_petition.id).await.unwrap().state,
            PetitionState::Draft
        );

        // A victory moves the petition, once.
        let won = store
            .create_post(&access, &new_post(p.id, &victory), NOW + 30)
            .await
            .unwrap();
        assert_eq!(won.kind, PostKind::Victory);
        let p_now = store.petition(&access, p.id).await.unwrap();
        assert_eq!(p_now.state, PetitionState::Victory);
        {
            let r = store.create_post(&access, &new_post(p.id, &victory), NOW + 31).await;
            assert!(matches!(r, Err(StoreError::Conflict("victory"))), "{r:?}");
        }
        // The won petition is still public: its signers can still hear from it.
        let thanks = post_draft(
            PostKind::Update,
            "Merci à toutes et à tous, les travaux commencent lundi.",
        );
        store
            .create_post(&access, &new_post(p.id, &thanks), NOW + 40)
            .await
            .unwrap();
        assert_eq!(store.posts(p.id).await.unwrap().len(), 4);

        // A closed petition can still post, and still win.
        let closed = store
            .create_petition(
                &access,
                &draft("Des bancs place de la Mairie"),
                PetitionState::Published,
                None,
                NOW,
            )
            .await
            .unwrap();
        store
            .set_petition_state(
                &access,
                closed.id,
                PetitionState::Published,
                PetitionState::Closed,
                NOW + 1,
            )
            .await
            .unwrap();
        store
            .create_post(&access, &new_post(closed.id, &update), NOW + 2)
            .await
            .unwrap();
        store
            .create_post(&access, &new_post(closed.id, &victory), NOW + 3)
            .await
            .unwrap();
        assert_eq!(
            store.petition(&access, closed.id).await.unwrap().state,
            PetitionState::Victory
        );

        // Another association can neither post on the petition nor see its posts' figures.
        let (other_access, other_p) = published(&store, "autre").await;
        let before = store.posts(p.id).await.unwrap();
        for kind in [&update, &victory] {
            let r = store.create_post(&other_access, &new_post(p.id, kind), NOW + 50).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        assert_eq!(store.posts(p.id).await.unwrap(), before);
        assert!(store.post_stats(&other_access, p.id).await.unwrap().is_empty());
        // Nor win its own petition through the first one's access.
        {
            let r = store
                .create_post(&access, &new_post(other_p.id, &victory), NOW + 50)
                .await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        assert_eq!(
            store.petition(&other_access, other_p.id).await.unwrap().state,
            PetitionState::Published
        );
        {
            let r = store.create_post(&access, &new_post(p.id + 1000, &update), NOW).await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
    }
);

conformance!(eight_victories_clicked_at_once_make_one, |store: DynStore| async move {
    use petitions_support::*;
    use posts_support::*;
    use relais_core::petition::PetitionState;
    use relais_core::post::PostKind;
    let (access, p) = published(&store, "amis").await;
    let victory = post_draft(
        PostKind::Victory,
        "Victoire ! Le conseil municipal a voté la réouverture.",
    );
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            let access = access.clone();
            let victory = victory.clone();
            let petition_id = p.id;
            tokio::spawn(async move {
                store
                    .create_post(&access, &new_post(petition_id, &victory), NOW + i)
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(post) => {
                assert_eq!(post.kind, PostKind::Victory);
                won += 1;
            }
            Err(e) => assert!(matches!(e, StoreError::Conflict("victory")), "{e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.posts(p.id).await.unwrap().len(), 1);
    assert_eq!(
        store.petition(&access, p.id).await.unwrap().state,
        PetitionState::Victory
    );
});

conformance!(
    the_delivery_worker_reads_any_petition_by_id,
    |store: DynStore| async move {
        use petitions_support::*;
        use relais_core::petition::PetitionState;
        let (access, p) = published(&store, "amis").await;
        let (_, q) = published(&store, "autre").await;
        let d = store
            .create_petition(
                &access,
                &draft("Une piste cyclable rue Victor-Hugo"),
                PetitionState::Draft,
                None,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(store.petition_by_id(p.id).await.unwrap(), Some(p.clone()));
        assert_eq!(store.petition_by_id(q.id).await.unwrap(), Some(q.clone()));
        assert_eq!(store.petition_by_id(d.id).await.unwrap(), Some(d.clone()));
        assert_eq!(store.petition_by_id(d.id + 1000).await.unwrap(), None);
        assert_eq!(store.petition_by_id(0).await.unwrap(), None);
    }
);

conformance!(
    a_post_fans_out_in_chunks_to_the_confirmed_signers_who_agreed,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::post::{PostKind, updates_purpose};
        let (access, p) = published(&store, "amis").await;
        let agreed = [
            "camille@exemple.fr",
            "louis@exemple.fr",
            "chloe@exemple.fr",
            "hugo@exemple.fr",
            "lea@exemple.fr",
            "jules@exemple.fr",
            "manon@exemple.fr",
        ];
        let mut reqs: Vec<_> = agreed.iter().map(|a| request(&p, a, "75011", (true, false))).collect();
        reqs.push(request(&p, "nathan@exemple.fr", "69001", (false, true)));
        reqs.push(request(&p, "ines@exemple.fr", "13001", (true, false)));
        reqs.push(request(&p, "theo@exemple.fr", "33000", (true, false)));
        reqs.push(request(&p, "zoe@exemple.fr", "59000", (true, false)));
        store.sign_batch(&reqs, NOW).await.unwrap();
        confirm_all(&store, &p, &agreed, NOW + 5).await;
        // Confirmed without agreeing; confirmed then withdrew; Inès never confirms.
        confirm_all(&store, &p, &["nathan@exemple.fr", "theo@exemple.fr"], NOW + 5).await;
        let theo = supporter_id(&store, &access, "theo@exemple.fr").await;
        let purpose = updates_purpose(p.id);
        assert!(
            store
                .record_consent(&consent_change(p.org_id, theo, &purpose, false), NOW + 6)
                .await
                .unwrap()
        );
        let update = post_draft(PostKind::Update, "La mairie nous reçoit jeudi : venez nombreux !");
        let post = store
            .create_post(&access, &new_post(p.id, &update), NOW + 10)
            .await
            .unwrap();
        // Zoé confirms after the post was written: she sees it on the page, no message.
        confirm_all(&store, &p, &["zoe@exemple.fr"], NOW + 20).await;

        let mut steps = Vec::new();
        while let Some(step) = store.fan_out(NOW + 30, 3).await.unwrap() {
            assert_eq!(step.post_id, post.id);
            steps.push((step.enqueued, step.done));
            assert!(steps.len() < 10, "fan-out never ends: {steps:?}");
        }
        // Chunks walk the confirmed signatures (Nathan, Théo and Zoé take a place
        // in the third and fourth chunks but get no message).
        assert_eq!(steps, [(3, false), (3, false), (1, false), (0, true)]);
        assert_eq!(steps.iter().map(|s| s.0).sum::<u64>(), 7);
        assert_eq!(store.fan_out(NOW + 31, 3).await.unwrap(), None, "nothing left to do");
        let done = store.post(post.id).await.unwrap().unwrap();
        assert_eq!((done.fanout_total, done.fanout_done_at), (7, Some(NOW + 30)));
        // Queued, not yet in the outbox: the figures count them as waiting.
        let camille = signature_id(&store, &access, &p, agreed[0]).await;
        assert_eq!(
            store
                .message_by_key(&format!("post:{}:{camille}", post.id))
                .await
                .unwrap(),
            None
        );
        assert_eq!(stats_of(&store, &access, &p, post.id).await.pending, 7);
        // The outbox is fed a chunk at a time, and not while it holds enough.
        assert_eq!(store.feed_outbox(NOW + 32, 4, i64::MAX).await.unwrap(), 4);
        assert_eq!(store.feed_outbox(NOW + 32, 4, 4).await.unwrap(), 0, "four wait already");
        assert_eq!(store.feed_outbox(NOW + 32, 4, 5).await.unwrap(), 3);
        assert_eq!(
            store.feed_outbox(NOW + 33, 4, i64::MAX).await.unwrap(),
            0,
            "queue empty"
        );

        for a in agreed {
            let signature = signature_id(&store, &access, &p, a).await;
            let key = format!("post:{}:{signature}", post.id);
            let m = store.message_by_key(&key).await.unwrap().expect(a);
            assert_eq!(
                (m.org_id, m.channel, m.recipient.as_str(), m.status, m.attempts),
                (Some(p.org_id), Channel::Email, a, OutboxStatus::Pending, 0)
            );
            assert_eq!(
                m.payload.deferred,
                Some(Deferred::PetitionPost {
                    post: post.id,
                    signature
                })
            );
            assert_eq!(m.created_at, NOW + 32);
        }
        for a in [
            "nathan@exemple.fr",
            "ines@exemple.fr",
            "theo@exemple.fr",
            "zoe@exemple.fr",
        ] {
            let signature = signature_id(&store, &access, &p, a).await;
            let key = format!("post:{}:{signature}", post.id);
            assert_eq!(store.message_by_key(&key).await.unwrap(), None, "{a}");
        }
        let stats = stats_of(&store, &access, &p, post.id).await;
        assert_eq!(
            (stats.pending, stats.sent, stats.failed, stats.cancelled),
            (7, 0, 0, 0),
            "one message each"
        );

        // The next post reaches Zoé too; Théo still said no.
        let next = post_draft(PostKind::Update, "Compte rendu de la rencontre avec le maire.");
        let second = store
            .create_post(&access, &new_post(p.id, &next), NOW + 40)
            .await
            .unwrap();
        assert_eq!(
            store.fan_out(NOW + 41, 100).await.unwrap(),
            Some(FanOut {
                post_id: second.id,
                enqueued: 8,
                done: true
            })
        );
        assert_eq!(store.fan_out(NOW + 42, 100).await.unwrap(), None);

        // Several workers fanning out at once never write a message twice.
        let third = store
            .create_post(&access, &new_post(p.id, &next), NOW + 50)
            .await
            .unwrap();
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut mine = 0;
                    while let Some(step) = store.fan_out(NOW + 60, 2).await.unwrap() {
                        mine += step.enqueued;
                    }
                    mine
                })
            })
            .collect();
        let mut total = 0;
        for w in workers {
            total += w.await.unwrap();
        }
        assert_eq!(total, 8);
        let third = store.post(third.id).await.unwrap().unwrap();
        assert_eq!((third.fanout_total, third.fanout_done_at), (8, Some(NOW + 60)));
        assert_eq!(stats_of(&store, &access, &p, third.id).await.pending, 8);
        assert_eq!(stats_of(&store, &access, &p, post.id).await.pending, 7, "untouched");

        // Several workers feeding the outbox at once move each recipient once,
        // oldest post first.
        let feeders: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut mine = 0;
                    loop {
                        let moved = store.feed_outbox(NOW + 70, 3, i64::MAX).await.unwrap();
                        if moved == 0 {
                            return mine;
                        }
                        mine += moved;
                    }
                })
            })
            .collect();
        let mut total = 0;
        for f in feeders {
            total += f.await.unwrap();
        }
        assert_eq!(total, 16);
        let claimed = store.claim(NOW + 80, 60, 100).await.unwrap();
        for (id, n) in [(second.id, 8_i64), (third.id, 8), (post.id, 7)] {
            let prefix = format!("post:{id}:");
            let copies = claimed
                .iter()
                .filter(|m| m.idempotency_key.starts_with(&prefix))
                .count();
            assert_eq!(
                i64::try_from(copies).unwrap(),
                n,
                "post {id}: one message per recipient"
            );
            assert_eq!(
                stats_of(&store, &access, &p, id).await.pending,
                n,
                "nothing left queued"
            );
        }
    }
);

conformance!(
    a_posts_recipient_is_deliverable_while_confirmed_and_consenting,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::post::{PostKind, updates_purpose};
        let (access, p) = published(&store, "amis").await;
        let (_, q) = published(&store, "autre").await;
        store
            .sign_batch(
                &[
                    request(&p, "camille@exemple.fr", "75011", (true, false)),
                    request(&p, "ines@exemple.fr", "13001", (true, false)),
                    request(&p, "nathan@exemple.fr", "69001", (false, false)),
                    request(&q, "paul@exemple.fr", "69001", (true, false)),
                ],
                NOW,
            )
            .await
            .unwrap();
        confirm_all(&store, &p, &["camille@exemple.fr", "nathan@exemple.fr"], NOW + 1).await;
        confirm_all(&store, &q, &["paul@exemple.fr"], NOW + 1).await;
        let update = post_draft(PostKind::Update, "Réunion publique samedi à 10 h, salle des fêtes.");
        let post = store
            .create_post(&access, &new_post(p.id, &update), NOW + 10)
            .await
            .unwrap();
        let camille_sig = signature_id(&store, &access, &p, "camille@exemple.fr").await;
        let camille = supporter_id(&store, &access, "camille@exemple.fr").await;
        assert_eq!(
            store.post_recipient(&post, camille_sig).await.unwrap(),
            Some(PostRecipient {
                supporter_id: camille,
                email: "camille@exemple.fr".into(),
                first_name: "Marie".into(),
                locale: "fr".into(),
                ref_code: "ref-camille".into(),
                deliverable: true,
            })
        );
        let deliverable = |signature: i64| {
            let store = Arc::clone(&store);
            let post = post.clone();
            async move {
                store
                    .post_recipient(&post, signature)
                    .await
                    .unwrap()
                    .unwrap()
                    .deliverable
            }
        };
        let ines_sig = signature_id(&store, &access, &p, "ines@exemple.fr").await;
        assert!(!deliverable(ines_sig).await, "pending");
        let nathan_sig = signature_id(&store, &access, &p, "nathan@exemple.fr").await;
        assert!(!deliverable(nathan_sig).await, "never agreed");
        let purpose = updates_purpose(p.id);
        assert!(
            store
                .record_consent(&consent_change(p.org_id, camille, &purpose, false), NOW + 20)
                .await
                .unwrap()
        );
        assert!(!deliverable(camille_sig).await, "withdrawn");
        assert!(
            store
                .record_consent(&consent_change(p.org_id, camille, &purpose, true), NOW + 21)
                .await
                .unwrap()
        );
        assert!(deliverable(camille_sig).await, "agreed again");
        // A signature of another petition is not this post's recipient.
        let other_access = store
            .operator_access(&store.org_by_id(q.org_id).await.unwrap().unwrap().slug)
            .await
            .unwrap();
        let paul_sig = signature_id(&store, &other_access, &q, "paul@exemple.fr").await;
        assert_eq!(store.post_recipient(&post, paul_sig).await.unwrap(), None);
        assert_eq!(store.post_recipient(&post, camille_sig + 1000).await.unwrap(), None);
    }
);

conformance!(post_figures_count_deliveries_and_clicks, |store: DynStore| async move {
    use petitions_support::*;
    use posts_support::*;
    use relais_core::post::{PostKind, post_topic};
    let (access, p) = published(&store, "amis").await;
    let (other_access, q) = published(&store, "autre").await;
    let signers = [
        "camille@exemple.fr",
        "louis@exemple.fr",
        "chloe@exemple.fr",
        "hugo@exemple.fr",
        "lea@exemple.fr",
    ];
    let reqs: Vec<_> = signers.iter().map(|a| request(&p, a, "75011", (true, false))).collect();
    store.sign_batch(&reqs, NOW).await.unwrap();
    confirm_all(&store, &p, &signers, NOW + 1).await;
    store
        .sign_batch(&[request(&q, "paul@exemple.fr", "69001", (true, false))], NOW)
        .await
        .unwrap();
    let update = post_draft(PostKind::Update, "La pétition passe au conseil municipal mardi.");
    let post = store
        .create_post(&access, &new_post(p.id, &update), NOW + 10)
        .await
        .unwrap();
    assert_eq!(
        store.fan_out(NOW + 11, 100).await.unwrap(),
        Some(FanOut {
            post_id: post.id,
            enqueued: 5,
            done: true
        })
    );
    assert_eq!(store.feed_outbox(NOW + 11, 100, i64::MAX).await.unwrap(), 5);
    let prefix = format!("post:{}:", post.id);
    let mine: Vec<_> = store
        .claim(NOW + 12, 60, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.idempotency_key.starts_with(&prefix))
        .collect();
    assert_eq!(mine.len(), 5);
    store.mark_sent(&[mine[0].id, mine[1].id], NOW + 13).await.unwrap();
    store
        .mark_failed(mine[2].id, "550 5.1.1 adresse inconnue", Retry::GiveUp, NOW + 13)
        .await
        .unwrap();
    store
        .mark_cancelled(&[mine[3].id], "consentement retiré")
        .await
        .unwrap();
    store.mark_cancelled(&[], "rien").await.unwrap();
    store
        .mark_failed(mine[4].id, "421 réessayez plus tard", Retry::After(300), NOW + 13)
        .await
        .unwrap();
    let cancelled = store.message_by_key(&mine[3].idempotency_key).await.unwrap().unwrap();
    assert_eq!(
        (cancelled.status, cancelled.last_error.as_deref()),
        (OutboxStatus::Cancelled, Some("consentement retiré"))
    );
    let stats = stats_of(&store, &access, &p, post.id).await;
    assert_eq!((stats.pending, stats.sent, stats.failed, stats.cancelled), (1, 2, 1, 1));
    assert_eq!((stats.clicks, stats.clickers), (0, 0));
    assert_eq!(stats.post, store.post(post.id).await.unwrap().unwrap());
    // A withdrawn message never leaves, even once every lease has run out.
    let later: Vec<_> = store
        .claim(NOW + 10_000, 60, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.idempotency_key.starts_with(&prefix))
        .map(|m| m.id)
        .collect();
    assert_eq!(later, [mine[4].id], "only the retried one");
    assert_eq!(stats_of(&store, &access, &p, post.id).await.pending, 1, "being retried");

    // Two clicks by Camille, one by Louis.
    let camille = supporter_id(&store, &access, "camille@exemple.fr").await;
    let louis = supporter_id(&store, &access, "louis@exemple.fr").await;
    let topic = post_topic(post.id);
    let url = format!("https://relais.exemple.fr/p/{}", p.slug);
    for (who, at) in [(camille, NOW + 20), (camille, NOW + 21), (louis, NOW + 22)] {
        store.record_click(p.org_id, &topic, Some(who), &url, at).await.unwrap();
    }
    let stats = stats_of(&store, &access, &p, post.id).await;
    assert_eq!((stats.clicks, stats.clickers), (3, 2));

    // A second post: a click naming another association's supporter counts, as nobody's.
    let second = store
        .create_post(&access, &new_post(p.id, &update), NOW + 30)
        .await
        .unwrap();
    let paul = supporter_id(&store, &other_access, "paul@exemple.fr").await;
    store
        .record_click(p.org_id, &post_topic(second.id), Some(paul), &url, NOW + 31)
        .await
        .unwrap();
    let all = store.post_stats(&access, p.id).await.unwrap();
    let got: Vec<_> = all
        .iter()
        .map(|s| (s.post.id, s.pending, s.sent, s.clicks, s.clickers))
        .collect();
    assert_eq!(got, [(second.id, 0, 0, 1, 0), (post.id, 1, 2, 3, 2)], "newest first");
    assert!(store.post_stats(&other_access, p.id).await.unwrap().is_empty());
});

conformance!(
    milestones_are_announced_once_and_at_most_daily,
    |store: DynStore| async move {
        use petitions_support::*;
        use relais_core::petition::PetitionState;
        use relais_core::post::PostKind;
        let (org, owner) = new_org(&store, "amis", "chair@amis.org").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        // No staff goal: the ladder sets the next aim.
        let mut d = draft("Sauvons la piscine municipale");
        d.goal = None;
        let p = store
            .create_petition(&access, &d, PetitionState::Published, Some(owner.id), NOW)
            .await
            .unwrap();
        let addresses: Vec<String> = (0..1_000).map(|i| format!("signataire{i}@exemple.fr")).collect();
        for chunk in addresses.chunks(250) {
            let reqs: Vec<_> = chunk.iter().map(|a| request(&p, a, "75011", (false, false))).collect();
            store.sign_batch(&reqs, NOW).await.unwrap();
        }
        let confirm = |range: std::ops::Range<usize>| {
            let store = Arc::clone(&store);
            let addresses = addresses.clone();
            let petition_id = p.id;
            async move {
                for a in &addresses[range] {
                    assert_eq!(
                        store.confirm_signature(petition_id, &email(a), NOW + 1).await.unwrap(),
                        Some(true)
                    );
                }
            }
        };
        confirm(0..99).await;
        assert!(store.announce_milestones(NOW + 100).await.unwrap().is_empty(), "99");
        confirm(99..100).await;
        // Several workers at once: one announces.
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.announce_milestones(NOW + 200).await.unwrap() })
            })
            .collect();
        let mut announced = Vec::new();
        for w in workers {
            announced.extend(w.await.unwrap());
        }
        assert_eq!(announced.len(), 1, "{announced:?}");
        let first = &announced[0];
        assert_eq!(
            (first.kind, first.milestone, first.next_milestone),
            (PostKind::Milestone, Some(100), Some(500))
        );
        assert_eq!(
            (first.org_id, first.petition_id, first.body.as_str(), first.created_at),
            (org.id, p.id, "", NOW + 200)
        );
        assert!(
            store.announce_milestones(NOW + 201).await.unwrap().is_empty(),
            "announced already"
        );
        confirm(100..1_000).await;
        assert_eq!(store.counts(p.id).await.unwrap().confirmed, 1_000);
        assert!(
            store.announce_milestones(NOW + 300).await.unwrap().is_empty(),
            "one a day"
        );
        assert!(
            store.announce_milestones(NOW + 200 + 86_399).await.unwrap().is_empty(),
            "one a day, to the second"
        );
        let day_after = store.announce_milestones(NOW + 200 + 86_400).await.unwrap();
        let got: Vec<_> = day_after
            .iter()
            .map(|x| (x.petition_id, x.milestone, x.next_milestone))
            .collect();
        assert_eq!(got, [(p.id, Some(1_000), Some(5_000))]);
        assert!(store.announce_milestones(NOW + 3 * 86_400).await.unwrap().is_empty());
        let posts: Vec<_> = store
            .posts(p.id)
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.milestone)
            .collect();
        assert_eq!(posts, [Some(1_000), Some(100)]);
    }
);

conformance!(
    consent_changes_are_recorded_once_for_the_associations_own_supporters,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::post::updates_purpose;
        let (access, p) = published(&store, "amis").await;
        let (other_access, q) = published(&store, "autre").await;
        store
            .sign_batch(
                &[
                    request(&p, "camille@exemple.fr", "75011", (true, true)),
                    request(&p, "nathan@exemple.fr", "69001", (false, false)),
                ],
                NOW,
            )
            .await
            .unwrap();
        let camille = supporter_id(&store, &access, "camille@exemple.fr").await;
        let nathan = supporter_id(&store, &access, "nathan@exemple.fr").await;
        let purpose = updates_purpose(p.id);
        let granted = |org_id: i64, supporter: i64, channel: &'static str, purpose: String| {
            let store = Arc::clone(&store);
            async move {
                store
                    .consent_granted(org_id, supporter, channel, &purpose)
                    .await
                    .unwrap()
            }
        };
        assert!(granted(p.org_id, camille, "email", purpose.clone()).await);
        assert!(granted(p.org_id, camille, "email", "newsletter".into()).await);
        assert_eq!(store.consents(&access, camille).await.unwrap().len(), 2);

        // Unsubscribe, twice: one ledger entry.
        assert!(
            store
                .record_consent(&consent_change(p.org_id, camille, &purpose, false), NOW + 10)
                .await
                .unwrap()
        );
        assert!(!granted(p.org_id, camille, "email", purpose.clone()).await);
        assert!(
            granted(p.org_id, camille, "email", "newsletter".into()).await,
            "only this petition's updates"
        );
        assert!(
            !store
                .record_consent(&consent_change(p.org_id, camille, &purpose, false), NOW + 11)
                .await
                .unwrap(),
            "changes nothing"
        );
        let ledger = store.consents(&access, camille).await.unwrap();
        assert_eq!(ledger.len(), 3);
        let last = ledger.last().unwrap();
        assert_eq!(
            (
                last.channel.as_str(),
                last.purpose.as_str(),
                last.granted,
                last.wording.as_str(),
                last.source.as_str(),
                last.created_at
            ),
            (
                "email",
                purpose.as_str(),
                false,
                "Ne plus recevoir les nouvelles de cette pétition",
                "List-Unsubscribe",
                NOW + 10
            )
        );
        // The undo button.
        assert!(
            store
                .record_consent(&consent_change(p.org_id, camille, &purpose, true), NOW + 12)
                .await
                .unwrap()
        );
        assert!(granted(p.org_id, camille, "email", purpose.clone()).await);
        assert_eq!(store.consents(&access, camille).await.unwrap().len(), 4);

        // No ledger entry is a no.
        assert!(!granted(p.org_id, nathan, "email", purpose.clone()).await);
        assert!(!granted(p.org_id, camille, "sms", purpose.clone()).await);
        assert!(!granted(p.org_id, camille, "email", updates_purpose(q.id)).await);
        assert!(
            !granted(q.org_id, camille, "email", purpose.clone()).await,
            "another association's word is not this one's"
        );
        // Nathan never ticked the box: saying yes from a link starts his ledger.
        assert!(
            store
                .record_consent(&consent_change(p.org_id, nathan, &purpose, true), NOW + 13)
                .await
                .unwrap()
        );
        assert!(granted(p.org_id, nathan, "email", purpose.clone()).await);

        // A link naming another association cannot touch this one's supporters.
        {
            let r = store
                .record_consent(&consent_change(q.org_id, camille, &purpose, true), NOW + 14)
                .await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        {
            let r = store
                .record_consent(&consent_change(p.org_id, camille + 1000, &purpose, true), NOW + 14)
                .await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        assert_eq!(store.consents(&access, camille).await.unwrap().len(), 4);
        assert!(store.consents(&other_access, camille).await.unwrap().is_empty());
        assert!(granted(p.org_id, camille, "email", purpose.clone()).await);
    }
);

// A forged link naming another association's supporter is refused, whatever the
// change asked for: the caller must tell it from a repeated click.
conformance!(
    a_withdrawal_naming_another_association_is_not_found,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::post::updates_purpose;
        let (access, p) = published(&store, "amis").await;
        let (_, q) = published(&store, "autre").await;
        store
            .sign_batch(&[request(&p, "camille@exemple.fr", "75011", (true, false))], NOW)
            .await
            .unwrap();
        let camille = supporter_id(&store, &access, "camille@exemple.fr").await;
        let purpose = updates_purpose(p.id);
        // The contract: NotFound "when the person is not the association's", whatever the change.
        let r = store
            .record_consent(&consent_change(q.org_id, camille, &purpose, false), NOW + 10)
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        let r = store
            .record_consent(&consent_change(p.org_id, camille + 1000, &purpose, false), NOW + 10)
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        assert!(
            store
                .consent_granted(p.org_id, camille, "email", &purpose)
                .await
                .unwrap()
        );
        assert_eq!(store.consents(&access, camille).await.unwrap().len(), 1);
    }
);

// Simultaneous clicks on one unsubscribe link (a mail client's one-click POST and
// the person's own click) change the ledger once: the supporter's row is locked.
conformance!(
    unsubscribe_clicks_at_once_make_one_ledger_entry,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::post::updates_purpose;
        let (access, p) = published(&store, "amis").await;
        store
            .sign_batch(&[request(&p, "camille@exemple.fr", "75011", (true, false))], NOW)
            .await
            .unwrap();
        let camille = supporter_id(&store, &access, "camille@exemple.fr").await;
        let org_id = p.org_id;
        // Unsubscribe, undo, unsubscribe, undo: ten clicks at once each time.
        for (round, granted) in [false, true, false, true].into_iter().enumerate() {
            let tasks: Vec<_> = (0..10)
                .map(|_| {
                    let store = Arc::clone(&store);
                    let purpose = updates_purpose(p.id);
                    tokio::spawn(async move {
                        store
                            .record_consent(&consent_change(org_id, camille, &purpose, granted), NOW + 10)
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut changed = 0;
            for t in tasks {
                changed += usize::from(t.await.unwrap());
            }
            assert_eq!(changed, 1, "round {round}");
            assert_eq!(
                store.consents(&access, camille).await.unwrap().len(),
                round + 2,
                "one ledger entry per change"
            );
        }
    }
);

conformance!(
    receipts_are_numbered_without_gaps_or_duplicates_under_concurrency,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, _) = published(&store, "amis").await;
        let campaign = store
            .create_campaign(
                &access,
                &relais_core::gift::CampaignInput {
                    title: "Un puits".into(),
                    once: "on".into(),
                    ..Default::default()
                }
                .parse()
                .unwrap(),
                true,
                NOW,
            )
            .await
            .unwrap();
        let mut refs = Vec::new();
        for i in 0..20 {
            let draft = relais_core::gift::GiftInput {
                amount: "30".into(),
                first_name: "Jeanne".into(),
                last_name: "Martin".into(),
                email: format!("d{i}@example.org"),
                address: "12 rue des Lilas".into(),
                postcode: "69001".into(),
                city: "Lyon".into(),
                receipt: if i % 4 == 3 { String::new() } else { "on".into() },
                ..Default::default()
            }
            .parse(
                &[relais_core::gift::Frequency::Once],
                relais_core::gift::MIN_GIFT,
                relais_core::gift::MAX_GIFT,
                relais_core::Locale::Fr,
            )
            .unwrap();
            let reference = format!("ref-{i}");
            store
                .start_gift(
                    &relais_store::NewGift {
                        campaign: &campaign,
                        draft: &draft,
                        locale: "fr",
                        provider: "sandbox",
                        method: "card",
                        provider_ref: &reference,
                        newsletter_wording: "",
                        impact_wording: "",
                        pledge_ref: None,
                        tip_cents: 0,
                    },
                    NOW,
                )
                .await
                .unwrap();
            refs.push(reference);
        }
        // Every confirmation twice, all at once: each gift is counted once.
        let tasks: Vec<_> = refs
            .iter()
            .chain(refs.iter())
            .map(|r| {
                let store = store.clone();
                let r = r.clone();
                tokio::spawn(async move { store.complete_gift(&r, NOW + 10).await.unwrap() })
            })
            .collect();
        let mut numbers = Vec::new();
        let mut paid = 0;
        for t in tasks {
            if let Some((_, receipt)) = t.await.unwrap() {
                paid += 1;
                numbers.extend(receipt.map(|r| r.number));
            }
        }
        assert_eq!(paid, 20, "each gift confirmed once");
        numbers.sort();
        let year = jiff::Timestamp::from_second(NOW + 10)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .year();
        let expected: Vec<String> = (1..=15).map(|n| format!("{year}-{n:06}")).collect();
        assert_eq!(numbers, expected, "15 receipts asked, numbered 1 to 15");
        let campaign = store.campaign_by_slug(&campaign.slug).await.unwrap().unwrap();
        assert_eq!((campaign.raised.cents(), campaign.gifts_count), (60_000, 20));
        // A failed confirmation after payment changes nothing.
        assert!(!store.fail_gift("ref-0", "declined").await.unwrap());
        // Each paid gift has one thank-you message.
        let gift = store.gift_by_ref("ref-0").await.unwrap().unwrap();
        assert!(
            store
                .message_by_key(&format!("gift-thanks:{}", gift.id))
                .await
                .unwrap()
                .is_some()
        );
    }
);

mod giving;
mod impact;
mod imports;
mod merge;
mod messages;
mod offline_batches;
mod project_updates;
mod projects;
mod receipts;
mod segments;
mod story;
