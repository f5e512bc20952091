//! Messages to a segment on both backends: drafts, schedule and cancel, the fan-out
//! to the people of the segment whose latest word is a yes (never erased people,
//! never another association's), and the figures.

use super::*;
use relais_core::message::{MessageInput, MessageState, topic, unsubscribe_source};
use relais_core::segment::SegmentInput;

fn message_draft(subject: &str) -> relais_core::message::MessageDraft {
    MessageInput {
        subject: subject.into(),
        body: "Bonjour {{first_name}}, le puits coule.".into(),
        html: "on".into(),
        purpose: String::new(),
    }
    .parse()
    .unwrap()
}

const EVERYONE: MessageSegment<'static> = MessageSegment { query: "", name: "" };

/// Fans out every message due at `now`, `limit` people a step; how many copies.
async fn fan_out_all(store: &DynStore, now: i64, limit: i64) -> u64 {
    let mut total = 0;
    while let Some(step) = store.fan_out_messages(now, limit).await.unwrap() {
        total += step.enqueued;
    }
    total
}

async fn has_copy(store: &DynStore, message_id: i64, supporter_id: i64) -> bool {
    store
        .message_by_key(&format!("{}:{supporter_id}", topic(message_id)))
        .await
        .unwrap()
        .is_some()
}

conformance!(
    messages_reach_only_the_consenting_people_of_the_segment,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        let (access, p) = published(&store, "lettre").await;
        // Everyone ticks the newsletter box but Paul; Jeanne never confirms her address.
        let people = [
            ("marie@example.org", true),
            ("paul@example.org", false),
            ("jeanne@example.org", true),
            ("luc@example.org", true),
            ("zoe@example.org", true),
        ];
        let requests: Vec<_> = people
            .iter()
            .map(|(a, newsletter)| request(&p, a, "69003", (false, *newsletter)))
            .collect();
        store.sign_batch(&requests, NOW).await.unwrap();
        confirm_all(
            &store,
            &p,
            &[
                "marie@example.org",
                "paul@example.org",
                "luc@example.org",
                "zoe@example.org",
            ],
            NOW + 1,
        )
        .await;
        let mut ids = Vec::new();
        for (address, _) in people {
            ids.push(supporter_id(&store, &access, address).await);
        }
        let [marie, paul, jeanne, luc, zoe] = ids[..] else {
            panic!("five people")
        };
        store.set_tag(&access, luc, "lyon", true, NOW).await.unwrap();
        // Another association, whose supporter agreed too.
        let (other, q) = published(&store, "voisins").await;
        store
            .sign_batch(&[request(&q, "bob@example.org", "75011", (false, true))], NOW)
            .await
            .unwrap();
        confirm_all(&store, &q, &["bob@example.org"], NOW + 1).await;

        // Drafts: written, changed, listed, never seen from the other association.
        let m = store
            .create_message(&access, &message_draft("Nouvelles"), EVERYONE, None, NOW + 2)
            .await
            .unwrap();
        assert_eq!((m.state, m.draft.purpose.as_str()), (MessageState::Draft, "newsletter"));
        let m = store
            .update_message(&access, m.id, &message_draft("Nouvelles du puits"), EVERYONE, NOW + 3)
            .await
            .unwrap();
        assert_eq!(
            (m.draft.subject.as_str(), m.updated_at),
            ("Nouvelles du puits", NOW + 3)
        );
        assert!(matches!(store.message(&other, m.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            store
                .update_message(&other, m.id, &message_draft("x"), EVERYONE, NOW)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.schedule_message(&other, m.id, NOW, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.messages(&other).await.unwrap().is_empty());
        let lyon = store
            .create_message(
                &access,
                &message_draft("Lyon"),
                MessageSegment {
                    query: "tag=lyon",
                    name: "Lyonnais",
                },
                None,
                NOW + 4,
            )
            .await
            .unwrap();
        let listed: Vec<i64> = store.messages(&access).await.unwrap().iter().map(|m| m.id).collect();
        assert_eq!(listed, [lyon.id, m.id], "newest first");
        assert_eq!(
            store.message_by_id(lyon.id).await.unwrap().unwrap().segment_name,
            "Lyonnais"
        );

        // Who agreed: Marie, Luc and Zoé (Paul said no, Jeanne's address is unconfirmed).
        let everyone = SegmentInput::default().parse().unwrap();
        assert_eq!(
            store
                .count_recipients(&access, &everyone, "newsletter", NOW + 5)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            store
                .count_recipients(&access, &everyone, "impact", NOW + 5)
                .await
                .unwrap(),
            0
        );
        let sample = store
            .sample_recipients(&access, &everyone, "newsletter", 10, NOW + 5)
            .await
            .unwrap();
        assert_eq!(sample.iter().map(|p| p.id).collect::<Vec<_>>(), [marie, luc, zoe]);
        let tagged = SegmentInput::from_query_string("tag=lyon").parse().unwrap();
        assert_eq!(
            store
                .count_recipients(&access, &tagged, "newsletter", NOW + 5)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .count_recipients(&other, &everyone, "newsletter", NOW + 5)
                .await
                .unwrap(),
            1
        );

        // Scheduled for later: nothing leaves before its time; cancelled, never.
        let s = store
            .schedule_message(&access, lyon.id, NOW + 1_000, NOW + 5)
            .await
            .unwrap();
        assert_eq!((s.state, s.scheduled_at), (MessageState::Scheduled, Some(NOW + 1_000)));
        assert!(matches!(
            store
                .update_message(&access, lyon.id, &message_draft("x"), EVERYONE, NOW + 6)
                .await,
            Err(StoreError::Conflict("state"))
        ));
        assert_eq!(store.fan_out_messages(NOW + 10, 100).await.unwrap(), None);
        let c = store.cancel_message(&access, lyon.id, NOW + 11).await.unwrap();
        assert_eq!(c.state, MessageState::Cancelled);
        assert!(matches!(
            store.schedule_message(&access, lyon.id, NOW + 12, NOW + 12).await,
            Err(StoreError::Conflict("state"))
        ));
        assert_eq!(fan_out_all(&store, NOW + 2_000, 100).await, 0);
        // A segment's message reaches the segment only, one of its people a chunk.
        let tagged_message = store
            .create_message(
                &access,
                &message_draft("Lyon, encore"),
                MessageSegment {
                    query: "tag=lyon",
                    name: "",
                },
                None,
                NOW + 12,
            )
            .await
            .unwrap();
        store
            .schedule_message(&access, tagged_message.id, NOW + 12, NOW + 12)
            .await
            .unwrap();
        assert_eq!(fan_out_all(&store, NOW + 12, 1).await, 1);
        assert!(has_copy(&store, tagged_message.id, luc).await);
        assert!(!has_copy(&store, tagged_message.id, marie).await, "not in the segment");

        // Marie withdraws and Zoé is erased before the message leaves: neither gets it.
        store.schedule_message(&access, m.id, NOW + 20, NOW + 13).await.unwrap();
        store
            .record_consent(&consent_change(p.org_id, marie, "newsletter", false), NOW + 14)
            .await
            .unwrap();
        store.erase_person(&access, zoe, None, NOW + 15).await.unwrap();
        assert_eq!(
            fan_out_all(&store, NOW + 20, 2).await,
            1,
            "two people a chunk, one copy"
        );
        for (who, expected) in [
            (marie, false),
            (paul, false),
            (jeanne, false),
            (luc, true),
            (zoe, false),
        ] {
            assert_eq!(has_copy(&store, m.id, who).await, expected, "supporter {who}");
        }
        let bob = supporter_id(&store, &other, "bob@example.org").await;
        assert!(!has_copy(&store, m.id, bob).await, "another association's people never");
        let sent = store.message(&access, m.id).await.unwrap();
        assert_eq!(
            (sent.state, sent.fanout_total, sent.fanout_done_at),
            (MessageState::Sent, 1, Some(NOW + 20))
        );
        assert!(matches!(
            store.cancel_message(&access, m.id, NOW + 21).await,
            Err(StoreError::Conflict("state"))
        ));
        let copy = store
            .message_by_key(&format!("{}:{luc}", topic(m.id)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            copy.payload.deferred,
            Some(Deferred::Message {
                message: m.id,
                supporter: luc
            })
        );
        assert_eq!(copy.recipient, "luc@example.org");

        // The other association's message reaches its own people only.
        let theirs = store
            .create_message(&other, &message_draft("Voisins"), EVERYONE, None, NOW)
            .await
            .unwrap();
        store
            .schedule_message(&other, theirs.id, NOW + 30, NOW + 30)
            .await
            .unwrap();
        assert_eq!(fan_out_all(&store, NOW + 30, 1_000).await, 1);
        assert!(has_copy(&store, theirs.id, bob).await);
        assert!(!has_copy(&store, theirs.id, luc).await);

        // Figures: delivered, then Luc unsubscribes from the message's link and clicks twice.
        let stats = store.message_stats(&access, m.id).await.unwrap();
        assert_eq!((stats.recipients, stats.pending, stats.sent), (1, 1, 0));
        let claimed = store.claim(NOW + 40, 60, 100).await.unwrap();
        let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
        store.mark_sent(&ids, NOW + 41).await.unwrap();
        let recipient = store.message_recipient(&sent, luc).await.unwrap().unwrap();
        assert!(recipient.deliverable);
        assert_eq!(
            (recipient.first_name.as_str(), recipient.postcode.as_str()),
            ("Marie", "69003")
        );
        assert!(
            !store
                .message_recipient(&sent, marie)
                .await
                .unwrap()
                .unwrap()
                .deliverable
        );
        assert_eq!(
            store.message_recipient(&sent, bob).await.unwrap(),
            None,
            "not the association's"
        );
        let source = unsubscribe_source(m.id, true);
        store
            .record_consent(
                &ConsentChange {
                    source: &source,
                    ..consent_change(p.org_id, luc, "newsletter", false)
                },
                NOW + 42,
            )
            .await
            .unwrap();
        assert!(!store.message_recipient(&sent, luc).await.unwrap().unwrap().deliverable);
        for _ in 0..2 {
            store
                .record_click(p.org_id, &topic(m.id), Some(luc), "https://example.org", NOW + 43)
                .await
                .unwrap();
        }
        let stats = store.message_stats(&access, m.id).await.unwrap();
        assert_eq!(
            stats,
            MessageStats {
                recipients: 1,
                sent: 1,
                unsubscribes: 1,
                clicks: 2,
                clickers: 1,
                ..Default::default()
            }
        );
        assert!(matches!(
            store.message_stats(&other, m.id).await,
            Err(StoreError::NotFound)
        ));
        // Luc's page names the message he received.
        let timeline = store.timeline(&access, luc).await.unwrap();
        assert!(
            timeline
                .iter()
                .any(|e| e.kind == "message" && e.subject == "Nouvelles du puits" && e.detail == "sent"),
            "{timeline:?}"
        );
    }
);
