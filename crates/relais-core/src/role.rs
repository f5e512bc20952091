//! Staff roles within one association, and what each may do.

use std::fmt;

/// A staff member's role in one association. Ordered from least to most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Role {
    /// Reads figures and lists; changes nothing.
    Viewer,
    /// Writes content: petitions, campaigns, projects, events, messages.
    Editor,
    /// Everything an editor does, plus settings and delivery operations.
    Admin,
    /// Everything, including who else is staff.
    Owner,
}

/// Something a back-office route does, checked against the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the back office.
    View,
    /// Create and edit content.
    EditContent,
    /// Change the association's settings, see and retry failed deliveries.
    ManageSettings,
    /// Invite, change and remove staff.
    ManageStaff,
}

/// A role name that Relais does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected owner, admin, editor or viewer)")]
pub struct UnknownRole(pub String);

impl Role {
    /// Every role, most powerful first (for pickers).
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Editor, Role::Viewer];

    /// Parses the stored or submitted name.
    pub fn parse(input: &str) -> Result<Self, UnknownRole> {
        match input.trim() {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "editor" => Ok(Self::Editor),
            "viewer" => Ok(Self::Viewer),
            other => Err(UnknownRole(other.to_owned())),
        }
    }

    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Editor => "editor",
            Self::Viewer => "viewer",
        }
    }

    /// Whether this role may do `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        let needed = match permission {
            Permission::View => Role::Viewer,
            Permission::EditContent => Role::Editor,
            Permission::ManageSettings => Role::Admin,
            Permission::ManageStaff => Role::Owner,
        };
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_allows_what_it_should_and_no_more() {
        use Permission::*;
        let table = [
            (Role::Viewer, [true, false, false, false]),
            (Role::Editor, [true, true, false, false]),
            (Role::Admin, [true, true, true, false]),
            (Role::Owner, [true, true, true, true]),
        ];
        for (role, expected) in table {
            let got = [View, EditContent, ManageSettings, ManageStaff].map(|p| role.allows(p));
            assert_eq!(got, expected, "{role}");
        }
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("superuser").is_err());
    }
}
