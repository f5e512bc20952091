//! Payment providers. Each one turns a gift that Relais has recorded as pending
//! into a page where the donor pays, and later tells Relais what happened:
//! Stripe through signed webhooks, SEPA direct debit through collection files
//! the association uploads to its bank, the sandbox through its own form.

pub mod pain008;
pub mod provider;
pub mod stripe;

#[cfg(feature = "fake-stripe")]
pub mod fake_stripe;

pub use provider::{Checkout, PaymentError, Provider, Started};
