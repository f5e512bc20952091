//! What a person's `/me` space reads beyond their gifts and signatures: where each
//! gift's money went and what happened since on the projects and petitions.

/// A share of one of the person's gifts that staff allocated to a project.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MyAllocation {
    /// The gift.
    pub gift_id: i64,
    /// The project it went to.
    pub project_id: i64,
    /// How much of the gift, in cents.
    pub cents: i64,
    /// When staff allocated it.
    pub created_at: i64,
}

/// News of a petition the person signed, posted since they signed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MyPetitionPost {
    /// The petition.
    pub petition_id: i64,
    /// The post.
    pub id: i64,
    /// `update`, `response`, `victory` or `milestone`.
    pub kind: String,
    /// Markdown text.
    pub body: String,
    /// The count a milestone post celebrates.
    pub milestone: Option<i64>,
    /// Posted.
    pub created_at: i64,
}

/// The projects a person's paid gifts reached, restricted or allocated, for a query
/// with the association as `$1` and the person as `$2`.
pub(crate) const MY_PROJECT_IDS: &str = "SELECT (CASE WHEN g.project_fixed THEN g.fixed_project_id ELSE c.project_id END) \
     FROM gifts g JOIN campaigns c ON c.id = g.campaign_id \
     WHERE g.org_id = $1 AND g.supporter_id = $2 AND g.status = 'paid' \
     UNION SELECT a.project_id FROM allocations a JOIN gifts g ON g.id = a.gift_id \
     WHERE g.org_id = $1 AND g.supporter_id = $2 AND g.status = 'paid'";
