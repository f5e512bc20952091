//! The back-office page of one project: every form staff use on it (description,
//! publication, stage, figures, photos, ledger, allocation) and what they show.
//! Each handler renders it again when its form is refused, with that form as typed.

use askama::Template;
use jiff::ToSpan;
use relais_core::ledger::{AllocationInput, ExpenseCategory, ExpenseInput};
use relais_core::project::{MAX_FIGURES, ProjectInput, Stage, UpdateInput};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{AllocationCriteria, Project, ProjectCampaign, ProjectPhoto};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, local_time};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Rows of figures as typed: `(label, value, unit)`.
pub(crate) type FigureRows = Vec<(String, String, String)>;

/// The forms as submitted, when one was refused; `None`: filled from the project.
#[derive(Default)]
pub(crate) struct Forms {
    pub project: Option<ProjectInput>,
    pub figures: Option<Vec<(String, String, String)>>,
    pub expense: Option<ExpenseInput>,
    pub allocation: Option<AllocationInput>,
    pub alt: Option<String>,
    /// The news form and its figure rows.
    pub update: Option<(UpdateInput, FigureRows)>,
    /// The news form's "tell the donors" box as sent (`None`: checked, its default).
    pub update_tell: Option<bool>,
}

/// One line of the ledger, formatted.
pub(crate) struct ExpenseLine {
    pub id: i64,
    pub day: String,
    pub category: String,
    pub label: String,
    pub amount: String,
}

/// One allocation decision, formatted, with its trace.
pub(crate) struct BatchLine {
    pub id: i64,
    pub label: String,
    pub when: String,
    pub amount: String,
    pub gifts: i64,
    /// "12 000 € from 31 gifts".
    pub summary: String,
    /// The gifts it drew on: period, and campaign when one was chosen.
    pub criteria: String,
    /// One line per gift: "Gift #12: 100 €".
    pub trace: Vec<String>,
    /// "Undone on 3 March 2026", once staff undid it.
    pub undone: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/project.html")]
pub(crate) struct ProjectTemplate {
    pub c: Chrome,
    pub csrf: String,
    pub can_edit: bool,
    pub p: Project,
    pub photos: Vec<ProjectPhoto>,
    pub errors: Errors,
    pub input: ProjectInput,
    pub figure_rows: Vec<(String, String, String)>,
    pub expense: ExpenseInput,
    pub allocation: AllocationInput,
    pub alt: String,
    pub base: String,
    pub budget: String,
    pub received: String,
    pub spent: String,
    /// "restricted X, allocated Y".
    pub received_detail: String,
    pub by_category: Vec<(String, String)>,
    pub expenses: Vec<ExpenseLine>,
    pub batches: Vec<BatchLine>,
    /// Unrestricted campaigns, whose gifts may be allocated: `(id, title)`.
    pub campaigns: Vec<(i64, String)>,
    /// Published campaigns restricted to this project.
    pub restricted_campaigns: Vec<ProjectCampaign>,
    /// What every unrestricted gift of the association has left, formatted.
    pub unallocated: String,
    pub today: String,
    pub categories: Vec<(&'static str, String)>,
    pub stages: Vec<(&'static str, String)>,
    pub update: UpdateInput,
    pub update_figures: Vec<(String, String, String)>,
    pub updates: Vec<crate::routes::project::UpdateLine>,
    /// "tell the donors" is checked.
    pub update_tell: bool,
    /// Per update: how many donors it told, in words.
    pub told: Vec<(i64, String)>,
}

impl ProjectTemplate {
    /// "State: draft".
    fn state_line(&self) -> String {
        let state = self.c.t.get(&format!("project-state-{}", self.p.state));
        self.c.t.arg("project-state-line", "state", &state)
    }

    /// The form's value for the current stage.
    fn stage_is(&self, stage: &str) -> bool {
        self.p.stage.as_str() == stage
    }
}

/// Figure rows from a form's repeated `figure_label`, `figure_value`, `figure_unit`
/// fields, in the order sent.
pub(crate) fn figure_rows(fields: &[(String, String)]) -> Vec<(String, String, String)> {
    let column = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let (values, units) = (column("figure_value"), column("figure_unit"));
    column("figure_label")
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let value = values.get(i).cloned().unwrap_or_default();
            (label, value, units.get(i).cloned().unwrap_or_default())
        })
        .collect()
}

/// The form rows of `figures`, with spare empty rows to add more, up to the limit.
fn rows_with_spares(figures: &[relais_core::project::Figure]) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = figures
        .iter()
        .map(|f| (f.label.clone(), f.value.to_string(), f.unit.clone()))
        .collect();
    let spare = MAX_FIGURES.saturating_sub(rows.len()).min(2);
    rows.extend(std::iter::repeat_n(Default::default(), spare));
    rows
}

/// The form of a project as it is saved.
pub(crate) fn input_of(p: &Project) -> ProjectInput {
    ProjectInput {
        title: p.title.clone(),
        slug: p.slug.clone(),
        body: p.body.clone(),
        budget: amount_value(p.budget.cents()),
        place_label: p.place_label.clone(),
        place_postcode: String::new(),
        latitude: p.lat.map(|v| v.to_string()).unwrap_or_default(),
        longitude: p.lon.map(|v| v.to_string()).unwrap_or_default(),
    }
}

/// An amount as the amount parser reads it back (`12000`, `12,50`).
fn amount_value(cents: i64) -> String {
    if cents % 100 == 0 {
        (cents / 100).to_string()
    } else {
        format!("{},{:02}", cents / 100, cents % 100)
    }
}

/// Builds the page of project `id` (the association's, else 404) for `staff`.
pub(crate) async fn project_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    id: i64,
    forms: Forms,
    errors: &[FieldError],
) -> Result<ProjectTemplate, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let page = state.store.project_page(access, id).await?;
    let p = page.project;
    let path = format!("/admin/projects/{id}");
    let mut c = admin_chrome(state, staff, Some(&org), lang, "project-admin-title", &path, "projects");
    c.title = p.title.clone();
    let (t, locale) = (c.t.clone(), c.t.locale);
    let money = |m: relais_core::money::Money| m.format(locale);
    let day = |ts: i64| local_time(ts, &org.timezone).get(..10).unwrap_or_default().to_owned();
    let all_campaigns = state.store.campaigns(access).await?;
    let mut batches = Vec::new();
    for b in state.store.allocation_batches(access, id).await? {
        let trace = state
            .store
            .batch_allocations(access, b.id)
            .await?
            .into_iter()
            .map(|a| {
                let cents = money(relais_core::money::Money::from_cents(a.cents));
                t.args(
                    "project-batch-gift",
                    &[("gift", &a.gift_id.to_string()), ("amount", &cents)],
                )
            })
            .collect();
        let period = format!("{} – {}", day(b.gifts_from), day(b.gifts_until - 1));
        let criteria = match all_campaigns.iter().find(|k| Some(k.id) == b.campaign_id) {
            Some(k) => format!("{period} · {}", k.title),
            None => period,
        };
        let amount = money(relais_core::money::Money::from_cents(b.amount_cents));
        batches.push(BatchLine {
            id: b.id,
            label: b.label,
            when: local_time(b.created_at, &org.timezone),
            summary: t.args(
                "project-batch",
                &[("amount", &amount), ("count", &b.gifts_count.to_string())],
            ),
            undone: b
                .undone_at
                .map(|at| t.arg("project-batch-undone", "date", &local_time(at, &org.timezone))),
            amount,
            gifts: b.gifts_count,
            criteria,
            trace,
        });
    }
    let everything = AllocationCriteria {
        from: i64::MIN,
        until: i64::MAX,
        campaign_id: None,
    };
    let unallocated = money(state.store.allocatable(access, &everything).await?.available);
    let today = crate::routes::petitions_admin::today(&org);
    let figure_rows = forms.figures.unwrap_or_else(|| rows_with_spares(&p.figures));
    let (update, update_figures) = forms
        .update
        .unwrap_or_else(|| (UpdateInput::default(), rows_with_spares(&p.figures)));
    let updates = crate::routes::project::update_lines(&t, &page.updates, &org.timezone);
    let told = state
        .store
        .impact_counts(access, id)
        .await?
        .into_iter()
        .map(|n| {
            let mut line = t.args(
                "projects-told",
                &[("email", &n.email.to_string()), ("sms", &n.sms.to_string())],
            );
            if n.pending > 0 {
                line = format!(
                    "{line} {}",
                    t.arg("projects-told-pending", "pending", &n.pending.to_string())
                );
            }
            (n.update_id, line)
        })
        .collect();
    let totals = &page.totals;
    Ok(ProjectTemplate {
        csrf: staff.session.csrf.clone(),
        can_edit: staff.can(Permission::EditContent),
        errors: Errors::from_fields(&t, errors),
        input: forms.project.unwrap_or_else(|| input_of(&p)),
        figure_rows,
        expense: forms.expense.unwrap_or_else(|| ExpenseInput {
            spent_on: today.to_string(),
            category: ExpenseCategory::Materials.as_str().into(),
            ..Default::default()
        }),
        allocation: forms.allocation.unwrap_or_else(|| AllocationInput {
            from: today.checked_sub(3.months()).unwrap_or(today).to_string(),
            to: today.to_string(),
            ..Default::default()
        }),
        alt: forms.alt.unwrap_or_default(),
        base: state.config.link("/projects/"),
        budget: money(p.budget),
        received: money(totals.received()),
        spent: money(totals.spent),
        received_detail: t.args(
            "project-received-detail",
            &[
                ("restricted", &money(totals.restricted)),
                ("allocated", &money(totals.allocated)),
            ],
        ),
        by_category: totals
            .by_category
            .iter()
            .map(|(k, m)| (t.get(&format!("expense-category-{}", k.as_str())), money(*m)))
            .collect(),
        expenses: page
            .expenses
            .iter()
            .map(|e| ExpenseLine {
                id: e.id,
                day: e.spent_on.clone(),
                category: t.get(&format!("expense-category-{}", e.category.as_str())),
                label: e.label.clone(),
                amount: money(e.amount),
            })
            .collect(),
        batches,
        campaigns: all_campaigns
            .iter()
            .filter(|k| k.project_id.is_none())
            .map(|k| (k.id, k.title.clone()))
            .collect(),
        restricted_campaigns: page.campaigns,
        unallocated,
        today: today.to_string(),
        categories: ExpenseCategory::ALL
            .iter()
            .map(|k| (k.as_str(), t.get(&format!("expense-category-{}", k.as_str()))))
            .collect(),
        stages: Stage::ALL
            .iter()
            .map(|s| (s.as_str(), t.get(&format!("project-stage-{}", s.as_str()))))
            .collect(),
        photos: page.photos,
        update,
        update_figures,
        updates,
        update_tell: forms.update_tell.unwrap_or(true),
        told,
        p,
        c,
    })
}
