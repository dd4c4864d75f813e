//! Importers that turn tenants' files into nudge customers and invoices.
//!
//! [`ar`] reads the accounts-receivable history format of the example data
//! (`examples/data/accounts-receivable.csv`) and derives the stable,
//! synthetic contacts and time zones that file lacks; [`json`] reads the
//! nudge JSON history format; [`stripe`] verifies and reads Stripe webhooks.
//! The first two become a [`History`]: what a replay feeds
//! to the scheduler.
//!
//! ```
//! use nudge_core::TenantId;
//! let csv = "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\r\n\
//!            391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n";
//! let data = nudge_ingest::ar::read(csv.as_bytes(), &TenantId::new("acme").unwrap()).unwrap();
//! assert_eq!(data.invoices.len(), 1);
//! assert_eq!(data.invoices[0].invoice.total.to_string(), "USD 55.94");
//! ```

pub mod ar;
mod error;
mod history;
pub mod json;
mod positions;
pub mod stripe;

pub use error::{FieldError, ImportError, RowError};
pub use history::{History, IssuedInvoice};
