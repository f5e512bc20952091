//! Impact projects, their ledger and allocations, as the store returns and accepts them.

use relais_core::ledger::ExpenseCategory;
use relais_core::money::Money;
use relais_core::project::{Figure, Stage};

use crate::StoreError;

/// An impact project (`/projects/{slug}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Row id.
    pub id: i64,
    /// Owning association.
    pub org_id: i64,
    /// URL slug, unique across the installation.
    pub slug: String,
    /// `draft` or `published`.
    pub state: String,
    /// Title.
    pub title: String,
    /// Markdown text.
    pub body: String,
    /// The place as people name it.
    pub place_label: String,
    /// Latitude, WGS84.
    pub lat: Option<f64>,
    /// Longitude, WGS84.
    pub lon: Option<f64>,
    /// What it costs.
    pub budget: Money,
    /// How far along it is.
    pub stage: Stage,
    /// The impact figures staff chose, in their order.
    pub figures: Vec<Figure>,
    /// Created.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
    /// First published.
    pub published_at: Option<i64>,
}

impl Project {
    /// Whether anyone may see it.
    pub fn is_published(&self) -> bool {
        self.state == "published"
    }
}

pub(crate) const PROJECT_COLUMNS: &str = "id, org_id, slug, state, title, body, place_label, lat, lon, budget_cents, \
     stage, figures, created_at, updated_at, published_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ProjectRow {
    id: i64,
    org_id: i64,
    slug: String,
    state: String,
    title: String,
    body: String,
    place_label: String,
    lat: Option<f64>,
    lon: Option<f64>,
    budget_cents: i64,
    stage: String,
    figures: String,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        let stage = Stage::parse(&r.stage).ok_or_else(|| StoreError::Corrupt(format!("project stage {}", r.stage)))?;
        let figures =
            serde_json::from_str(&r.figures).map_err(|e| StoreError::Corrupt(format!("project figures: {e}")))?;
        Ok(Self {
            id: r.id,
            org_id: r.org_id,
            slug: r.slug,
            state: r.state,
            title: r.title,
            body: r.body,
            place_label: r.place_label,
            lat: r.lat,
            lon: r.lon,
            budget: Money::from_cents(r.budget_cents),
            stage,
            figures,
            created_at: r.created_at,
            updated_at: r.updated_at,
            published_at: r.published_at,
        })
    }
}

/// A photo of a project: JPEG files `{file_base}-{width}.jpg` under the data folder's `media/`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProjectPhoto {
    /// Row id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// Base name of its files.
    pub file_base: String,
    /// What it shows, for people who cannot see it.
    pub alt: String,
    /// Added.
    pub created_at: i64,
}

/// One line of a project's public ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Expense {
    /// Row id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// `YYYY-MM-DD`.
    pub spent_on: String,
    /// What for.
    pub category: ExpenseCategory,
    /// Description.
    pub label: String,
    /// How much.
    pub amount: Money,
    /// Entered.
    pub created_at: i64,
}

pub(crate) const EXPENSE_COLUMNS: &str = "id, project_id, spent_on, category, label, amount_cents, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ExpenseRow {
    id: i64,
    project_id: i64,
    spent_on: String,
    category: String,
    label: String,
    amount_cents: i64,
    created_at: i64,
}

impl TryFrom<ExpenseRow> for Expense {
    type Error = StoreError;

    fn try_from(r: ExpenseRow) -> Result<Self, StoreError> {
        Ok(Self {
            category: ExpenseCategory::parse(&r.category)
                .ok_or_else(|| StoreError::Corrupt(format!("expense category {}", r.category)))?,
            id: r.id,
            project_id: r.project_id,
            spent_on: r.spent_on,
            label: r.label,
            amount: Money::from_cents(r.amount_cents),
            created_at: r.created_at,
        })
    }
}

/// What reached a project and what it spent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectTotals {
    /// Paid gifts of the campaigns restricted to the project.
    pub restricted: Money,
    /// How many such gifts.
    pub restricted_gifts: i64,
    /// Unrestricted gifts staff allocated to it (still paid: a refunded gift's share no longer counts).
    pub allocated: Money,
    /// How many gifts contributed to the allocations.
    pub allocated_gifts: i64,
    /// Every expense.
    pub spent: Money,
    /// Expenses by category, largest first.
    pub by_category: Vec<(ExpenseCategory, Money)>,
}

impl ProjectTotals {
    /// Restricted and allocated gifts together.
    pub fn received(&self) -> Money {
        Money::from_cents(self.restricted.cents() + self.allocated.cents())
    }
}

/// A published campaign restricted to a project: where to give to it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProjectCampaign {
    /// The campaign's slug (`/d/{slug}`).
    pub slug: String,
    /// Its title.
    pub title: String,
}

/// News of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectUpdate {
    /// Row id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// What happened, Markdown.
    pub body: String,
    /// Base name of its photo's files, if any.
    pub photo_base: Option<String>,
    /// What the photo shows.
    pub photo_alt: String,
    /// The stage it announced.
    pub stage: Option<Stage>,
    /// The figures it set, when it changed them.
    pub figures: Option<Vec<Figure>>,
    /// Written.
    pub created_at: i64,
}

pub(crate) const UPDATE_COLUMNS: &str = "id, project_id, body, photo_base, photo_alt, stage, figures, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UpdateRow {
    pub(crate) id: i64,
    project_id: i64,
    body: String,
    photo_base: Option<String>,
    photo_alt: String,
    stage: Option<String>,
    figures: Option<String>,
    created_at: i64,
}

impl TryFrom<UpdateRow> for ProjectUpdate {
    type Error = StoreError;

    fn try_from(r: UpdateRow) -> Result<Self, StoreError> {
        let stage = match r.stage {
            Some(s) => Some(Stage::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("update stage {s}")))?),
            None => None,
        };
        let figures = match r.figures {
            Some(json) => {
                Some(serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("update figures: {e}")))?)
            }
            None => None,
        };
        Ok(Self {
            id: r.id,
            project_id: r.project_id,
            body: r.body,
            photo_base: r.photo_base,
            photo_alt: r.photo_alt,
            stage,
            figures,
            created_at: r.created_at,
        })
    }
}

/// News to publish on a project; its stage and figures, when given, become the project's.
#[derive(Debug, Clone)]
pub struct NewProjectUpdate<'a> {
    /// What happened, Markdown.
    pub body: &'a str,
    /// Base name of its photo's files (already under `media/`), and what it shows.
    pub photo: Option<(&'a str, &'a str)>,
    /// The stage the project reaches.
    pub stage: Option<Stage>,
    /// The project's new figures.
    pub figures: Option<&'a [Figure]>,
    /// Tell every contributor (one personal message each, in the same transaction);
    /// only a published project's contributors are told.
    pub tell: bool,
}

/// Everything a project's page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectPage {
    /// The project.
    pub project: Project,
    /// Its photos, oldest first.
    pub photos: Vec<ProjectPhoto>,
    /// Its ledger, by date.
    pub expenses: Vec<Expense>,
    /// Money in and out.
    pub totals: ProjectTotals,
    /// Published campaigns restricted to it.
    pub campaigns: Vec<ProjectCampaign>,
    /// Its news, newest first.
    pub updates: Vec<ProjectUpdate>,
}

/// Which gifts an allocation may draw on: paid, unrestricted (no campaign, or a
/// campaign restricted to no project), received in `[from, until)`, and from one
/// campaign when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocationCriteria {
    /// First instant, Unix seconds, included.
    pub from: i64,
    /// Last instant, excluded.
    pub until: i64,
    /// Only this campaign's gifts.
    pub campaign_id: Option<i64>,
}

/// What the gifts matching some criteria have left to allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allocatable {
    /// Gifts with something left.
    pub gifts: i64,
    /// Their unallocated total.
    pub available: Money,
}

/// A staff decision to allocate.
#[derive(Debug, Clone)]
pub struct NewAllocation<'a> {
    /// How much.
    pub amount: Money,
    /// Its name in the trace.
    pub label: &'a str,
    /// Which gifts to draw on.
    pub criteria: AllocationCriteria,
}

/// One staff decision, with what it drew.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AllocationBatch {
    /// Row id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// Its name.
    pub label: String,
    /// How much it allocated, in cents.
    pub amount_cents: i64,
    /// Criteria: first instant.
    pub gifts_from: i64,
    /// Criteria: last instant, excluded.
    pub gifts_until: i64,
    /// Criteria: campaign.
    pub campaign_id: Option<i64>,
    /// How many gifts it drew on.
    pub gifts_count: i64,
    /// Who decided.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: i64,
    /// When staff undid it (its gifts' cents went back to the unallocated pool).
    pub undone_at: Option<i64>,
    /// Who undid it.
    pub undone_by: Option<i64>,
}

impl AllocationBatch {
    /// Whether staff undid it.
    pub fn is_undone(&self) -> bool {
        self.undone_at.is_some()
    }
}

pub(crate) const BATCH_COLUMNS: &str = "id, project_id, label, amount_cents, gifts_from, gifts_until, campaign_id, \
     gifts_count, created_by, created_at, undone_at, undone_by";

/// The project a gift was given to, for a query joining `gifts g` and `campaigns c`:
/// the one fixed on the gift when its campaign changed project since, else its
/// campaign's. `NULL`: unrestricted, so staff may allocate it.
pub(crate) const GIFT_PROJECT: &str = "(CASE WHEN g.project_fixed THEN g.fixed_project_id ELSE c.project_id END)";

/// One row of the trace: how much of one gift went to one project.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Allocation {
    /// Row id.
    pub id: i64,
    /// The decision it belongs to.
    pub batch_id: i64,
    /// The project.
    pub project_id: i64,
    /// The gift drawn on.
    pub gift_id: i64,
    /// How much of it, in cents.
    pub cents: i64,
    /// When.
    pub created_at: i64,
}

pub(crate) const ALLOCATION_COLUMNS: &str = "id, batch_id, project_id, gift_id, cents, created_at";
