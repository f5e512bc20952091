//! News of impact projects, on both backends.

use super::*;
use relais_core::project::{Figure, ProjectInput, Stage};

conformance!(
    news_tells_what_happened_and_moves_the_project_along,
    |store: DynStore| async move {
        let (org, owner) = new_org(&store, "amis", "chair@amis.example").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        let (other_org, other_owner) = new_org(&store, "autres", "chair@autres.example").await;
        let other = store.authorise(other_owner.id, other_org.id).await.unwrap().unwrap();
        let draft = ProjectInput {
            title: "Puits de Kpalimé".into(),
            budget: "12000".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let p = store
            .create_project(&access, &draft, Some(owner.id), NOW)
            .await
            .unwrap();
        store.publish_project(&access, p.id, true, NOW).await.unwrap();

        // Plain news changes nothing else.
        let first = NewProjectUpdate {
            body: "La foreuse est arrivée.",
            photo: None,
            stage: None,
            figures: None,
            tell: false,
        };
        let first = store
            .add_project_update(&access, p.id, &first, Some(owner.id), NOW + 1)
            .await
            .unwrap();
        assert_eq!(
            (first.body.as_str(), first.stage, first.created_at),
            ("La foreuse est arrivée.", None, NOW + 1)
        );
        assert_eq!(store.project(&access, p.id).await.unwrap().stage, Stage::Funded);

        // News announcing a stage and figures: the project takes them, in the same transaction.
        let figures = [Figure {
            label: "litres".into(),
            value: 3_000,
            unit: "par jour".into(),
        }];
        let second = NewProjectUpdate {
            body: "L’eau coule !",
            photo: Some(("project-1-abc", "La pompe")),
            stage: Some(Stage::Completed),
            figures: Some(&figures),
            tell: false,
        };
        let second = store
            .add_project_update(&access, p.id, &second, None, NOW + 2)
            .await
            .unwrap();
        assert_eq!(second.photo_base.as_deref(), Some("project-1-abc"));
        assert_eq!(second.photo_alt, "La pompe");
        assert_eq!(
            (second.stage, second.figures.as_deref()),
            (Some(Stage::Completed), Some(&figures[..]))
        );
        let page = store.public_project(&p.slug).await.unwrap().unwrap();
        assert_eq!(
            (page.project.stage, page.project.figures.as_slice()),
            (Stage::Completed, &figures[..])
        );
        assert_eq!(page.updates, [second.clone(), first.clone()], "newest first");

        // Another association can neither write nor remove this project's news.
        let intruder = NewProjectUpdate {
            body: "Piraté",
            photo: None,
            stage: Some(Stage::Funded),
            figures: None,
            tell: false,
        };
        assert!(matches!(
            store.add_project_update(&other, p.id, &intruder, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.remove_project_update(&other, p.id, first.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.project(&access, p.id).await.unwrap().stage, Stage::Completed);

        // Removing news returns it (for its photo's files) and keeps the stage it set.
        assert_eq!(
            store.remove_project_update(&access, p.id, second.id).await.unwrap(),
            second
        );
        let page = store.project_page(&access, p.id).await.unwrap();
        assert_eq!((page.updates, page.project.stage), (vec![first], Stage::Completed));
    }
);
