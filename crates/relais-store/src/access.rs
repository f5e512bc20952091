//! The tenancy guard. Every store method that reads or writes an association's
//! data takes an [`OrgAccess`]; its fields are private and it is only made by
//! [`crate::StaffStore::authorise`] (a staff member's membership, checked in the
//! database) or [`crate::StaffStore::operator_access`] (the command line, run by
//! whoever operates the installation). A handler cannot forge one from an id in
//! a URL, so one association can never reach another's rows by mistake.

use relais_core::Role;
use relais_core::role::Permission;

/// Proof that the caller may act on one association, with which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccess {
    org_id: i64,
    role: Role,
}

impl OrgAccess {
    pub(crate) fn new(org_id: i64, role: Role) -> Self {
        Self { org_id, role }
    }

    /// The association this access is for.
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The role it was granted with.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the role allows `permission`.
    pub fn allows(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

/// Proof that the caller is one supporter of one association, reading their own
/// data (`/me`): made only by [`crate::MeStore::self_access`] from a signed link
/// whose person still exists there. It reaches that person's rows and no others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfAccess {
    org_id: i64,
    supporter_id: i64,
}

impl SelfAccess {
    pub(crate) fn new(org_id: i64, supporter_id: i64) -> Self {
        Self { org_id, supporter_id }
    }

    /// The association.
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The person.
    pub fn supporter_id(&self) -> i64 {
        self.supporter_id
    }
}
