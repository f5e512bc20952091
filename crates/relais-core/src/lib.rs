//! Relais domain: the types and rules every other crate relies on. No I/O here:
//! parsing, validation, signing and scheduling are pure functions so they can be
//! unit-tested exhaustively and reused by the web layer, the CLI and the worker.

pub mod allocation;
pub mod amount_words;
pub mod backoff;
pub mod chart;
pub mod cohort;
pub mod color;
pub mod disposable;
pub mod email;
pub mod gift;
pub mod iban;
pub mod impact;
pub mod import;
pub mod ledger;
pub mod legal;
pub mod locale;
pub mod map;
pub mod markdown;
pub mod merge;
pub mod message;
pub mod money;
pub mod offline_batch;
pub mod password;
pub mod petition;
pub mod phone;
pub mod places;
pub mod post;
pub mod project;
pub mod record;
pub mod role;
pub mod segment;
pub mod settings;
pub mod signature;
pub mod slug;
pub mod story;
pub mod tag;
pub mod token;

pub use color::HexColor;
pub use email::Email;
pub use locale::Locale;
pub use phone::Phone;
pub use role::Role;
pub use slug::Slug;
